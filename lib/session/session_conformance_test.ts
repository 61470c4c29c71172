// Session-protocol corners a strict peer checks (issue 15): one test per behaviour.
import { assert, assertEquals } from "../testing/assert.ts";
import { Script } from "./_script_test_util.ts";
import { createMessageValidator } from "../fix/dictionary/validate_message.ts";
import { builtinDictionary } from "../fix/dictionary/builtin_dictionary.ts";

Deno.test("Session.receive() logs out and disconnects on a message without MsgSeqNum, consuming nothing", () => {
  const s = new Script();
  s.logon();
  s.in("35=1|112=PING"); // TestRequest with no 34
  assertEquals(s.sent, ["35=5|34=2|58=MsgSeqNum (34) missing"]);
  assert(s.disconnected);
  assertEquals(s.session.nextTargetSeqNum, 2, "the inbound number is not incremented");
  assert(!s.actions.some((a) => a.type === "accepted"));
});

Deno.test("Session.receive() disconnects on a Logon without MsgSeqNum without answering", () => {
  const s = new Script();
  s.connect();
  s.in("35=A|98=0|108=30");
  assertEquals(s.sent, []);
  assert(s.disconnected);
  assertEquals(s.session.nextTargetSeqNum, 1);
});

Deno.test("Session.receive() fills NextExpectedMsgSeqNum recovery through the Logon's own number", () => {
  const s = new Script({ enableNextExpectedMsgSeqNum: true, nextSenderSeqNum: 2000 });
  s.connect();
  s.in("35=A|34=1|98=0|108=30|789=1");
  assertEquals(s.sent, [
    "35=A|34=2000|98=0|108=30|789=2",
    // nothing stored for 1…1999: one gap fill to the number after the Logon (2000)
    "35=4|34=1|43=Y|123=Y|36=2001",
  ]);
});

Deno.test("Session.receive() ends 789 recovery with a gap fill of the Logon's number after a resent message", () => {
  const s = new Script({ enableNextExpectedMsgSeqNum: true });
  s.logon("|789=1");
  s.send("D", [[11, "A"]]); // 2, the last message before the connection drops
  s.session.disconnected("peer closed the connection", s.now);
  s.connect();
  s.in("35=A|34=2|98=0|108=30|789=2");
  assertEquals(s.sent, [
    "35=A|34=3|98=0|108=30|789=3",
    "35=D|34=2|43=Y|11=A",
    "35=4|34=3|43=Y|123=Y|36=4",
  ]);
});

Deno.test("Session.receive() rejects a repeating group out of definition order with 373=15 and 371", () => {
  const validate = createMessageValidator({ transport: builtinDictionary("FIX.4.4") });
  const s = new Script({ validate: (m, c) => validate(m, c) });
  s.logon();
  const nos = "11=A|21=1|38=100|40=1|54=1|55=IBM|60=20261124-10:00:00.000";
  s.in(`35=D|34=2|${nos}|78=1|79=ACC|80=10|661=1`);
  assertEquals(s.sent, [
    "35=3|34=2|45=2|372=D|373=15|371=661|58=Repeating group fields out of order",
  ]);
  assertEquals(s.delivered, []);
  s.in(`35=D|34=3|${nos}|78=1|80=10|79=ACC`);
  assertEquals(s.sent, [
    "35=3|34=3|45=3|372=D|373=15|371=80|58=Repeating group fields out of order",
  ]);
  s.in(`35=D|34=4|${nos}|78=1|79=ACC|661=1|80=10`);
  assertEquals(s.sent, []);
  assertEquals(s.delivered, ["4"]);
});

Deno.test("Session.businessReject() sends no DefaultApplVerID (1137) on a FIXT session", () => {
  const s = new Script({ beginString: "FIXT.1.1", defaultApplVerId: "FIX.5.0SP2" });
  s.connect();
  s.in("35=A|34=1|98=0|108=30|1137=9");
  assertEquals(s.sent, ["35=A|34=1|98=0|108=30|1137=9"], "1137 stays on the Logon");
  s.in("35=8|34=2|37=X");
  s.actions = s.session.rejectUnsupported(s.message("35=8|34=2|37=X"), s.now);
  assertEquals(s.sent, ["35=j|34=2|45=2|372=8|380=3|58=Unsupported Message Type"]);
});

Deno.test("Session puts LastMsgSeqNumProcessed (369) on every outbound message when enabled", () => {
  const s = new Script({ enableLastMsgSeqNumProcessed: true });
  s.logon();
  assertEquals(s.sent, ["35=A|34=1|369=0|98=0|108=30"]);
  s.in("35=1|34=2|112=T");
  assertEquals(s.sent, ["35=0|34=2|369=1|112=T"]);
  s.send("D", [[11, "A"]]);
  assertEquals(s.sent, ["35=D|34=3|369=2|11=A"]);
  const off = new Script();
  off.logon();
  assertEquals(off.sent, ["35=A|34=1|98=0|108=30"], "off by default");
  const old = new Script({ beginString: "FIX.4.1", enableLastMsgSeqNumProcessed: true });
  old.logon();
  assertEquals(old.sent, ["35=A|34=1|98=0|108=30"], "369 exists from FIX.4.2");
});

Deno.test("Session.garbled() rejects a garbled message with a MsgSeqNum when rejectGarbledMessage is on", () => {
  const s = new Script({ rejectGarbledMessage: true });
  s.logon();
  const m = s.message("35=D|34=2|11=A");
  s.actions = s.session.garbled("CheckSum 10=000 does not match the computed 123", s.now, m);
  assertEquals(s.sent, [
    "35=3|34=2|45=2|372=D|373=99|58=Garbled message: CheckSum 10=000 does not match the computed 123",
  ]);
  assertEquals(s.session.nextTargetSeqNum, 3);
  assertEquals(s.delivered, []);
});

Deno.test("Session.garbled() drops a garbled message by default, the specification's rule", () => {
  const s = new Script();
  s.logon();
  const m = s.message("35=D|34=2|11=A");
  s.actions = s.session.garbled("bad checksum", s.now, m);
  assertEquals(s.sent, []);
  assertEquals(s.session.nextTargetSeqNum, 2);
});

Deno.test("Session as initiator fills 789 recovery up to its own Logon, which it sent first", () => {
  const s = new Script({
    role: "initiator",
    enableNextExpectedMsgSeqNum: true,
    nextSenderSeqNum: 2000,
  });
  s.connect();
  assertEquals(s.sent, ["35=A|34=2000|98=0|108=30|789=1"]);
  s.in("35=A|34=1|98=0|108=30|789=1");
  // 1…2000 (the Logon included) gap-filled: the acceptor next expects 2001, our next number
  assertEquals(s.sent, ["35=4|34=1|43=Y|123=Y|36=2001"]);
  assertEquals(s.session.nextSenderSeqNum, 2001);
});

Deno.test("Session.garbled() leaves out SessionRejectReason 99 where the version lacks it", () => {
  const cases = [["FIX.4.2", ""], ["FIX.4.3", ""], ["FIX.4.4", "|373=99"]] as const;
  for (const [beginString, reason] of cases) {
    const s = new Script({ beginString, rejectGarbledMessage: true });
    s.logon();
    s.actions = s.session.garbled("bad", s.now, s.message("35=D|34=2|11=A"));
    assertEquals(s.sent, [`35=3|34=2|45=2|372=D${reason}|58=Garbled message: bad`]);
  }
});
