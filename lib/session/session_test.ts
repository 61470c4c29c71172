import { assert, assertEquals, assertThrows } from "../testing/assert.ts";
import { brief, literal, Script, T0 } from "./_script_test_util.ts";
import { formatTimestamp } from "./_timestamp.ts";
import { decodeMessage } from "../fix/message.ts";
import { SessionConfigError, type ValidationIssue } from "./session.ts";
import { SessionSchedule } from "./schedule.ts";

// ------------------------------------------------------------------ logon

Deno.test("Session.receive() answers a valid Logon with a Logon and reports the logon", () => {
  const s = new Script();
  s.connect();
  assertEquals(s.session.state, "awaiting-logon");
  s.in("35=A|34=1|98=0|108=30");
  assertEquals(s.sent, ["35=A|34=1|98=0|108=30"]);
  assert(s.types.includes("logon"));
  assertEquals(s.session.state, "active");
  assertEquals(s.session.nextTargetSeqNum, 2);
  assertEquals(s.session.nextSenderSeqNum, 2);
});

Deno.test("Session.receive() disconnects on a Logon whose SendingTime is outside the tolerance", () => {
  const s = new Script({ sendingTimeToleranceS: 120 });
  s.connect();
  s.receive(s.message(`35=A|34=1|98=0|108=30|52=20010101-00:00:00`));
  assertEquals(s.sent, []);
  assert(s.disconnected);
  assertEquals(s.session.state, "disconnected");
});

Deno.test("Session.receive() accepts SendingTime just inside the tolerance", () => {
  const s = new Script({ sendingTimeToleranceS: 120 });
  s.connect();
  const m = s.message("35=A|34=1|98=0|108=30");
  s.now += 119_000;
  s.receive(m);
  assertEquals(s.session.state, "active");
});

Deno.test("Session.receive() disconnects when the first message is not a Logon", () => {
  const s = new Script();
  s.connect();
  s.in("35=0|34=1");
  assert(s.disconnected);
  assertEquals(s.sent, []);
});

Deno.test("Session.receive() disconnects on a second Logon while logged on (no reset)", () => {
  const s = new Script();
  s.logon();
  s.in("35=A|34=2|98=0|108=30");
  assert(s.disconnected);
  assert(s.types.includes("logout"));
});

Deno.test("Session.receive() resets both sequence numbers on Logon with ResetSeqNumFlag=Y and echoes the flag", () => {
  const s = new Script();
  s.logon();
  s.in("35=0|34=2");
  s.send("D", [[11, "A"]]);
  assertEquals(s.session.nextSenderSeqNum, 3);
  s.in("35=A|34=1|98=0|108=30|141=Y");
  assertEquals(s.sent, ["35=A|34=1|98=0|108=30|141=Y"]);
  assertEquals(s.session.nextSenderSeqNum, 2);
  assertEquals(s.session.nextTargetSeqNum, 2);
  assert(s.actions.some((a) => a.type === "sequence" && a.reset));
});

Deno.test("Session.receive() refuses a Logon the authorizeLogon hook rejects with Logout and text", () => {
  const s = new Script({
    authorizeLogon: (m) => m.get(554) === "secret" ? undefined : "Invalid password",
  });
  s.connect();
  s.in("35=A|34=1|98=0|108=30|553=user|554=wrong");
  assertEquals(s.sent, ["35=5|34=1|58=Invalid password"]);
  assert(s.disconnected);
  s.connect();
  s.in("35=A|34=1|98=0|108=30|553=user|554=secret");
  assertEquals(s.session.state, "active");
});

Deno.test("Session.receive() logs out on a Logon with a negative HeartBtInt", () => {
  const s = new Script();
  s.connect();
  s.in("35=A|34=1|98=0|108=-5");
  assertEquals(s.sent, ["35=5|34=1|58=HeartBtInt (108) must be a non-negative integer"]);
  assert(s.disconnected);
});

Deno.test("Session.receive() requires DefaultApplVerID on a FIXT.1.1 Logon and adopts it", () => {
  const s = new Script({ beginString: "FIXT.1.1", defaultApplVerId: "FIX.5.0SP2" });
  s.connect();
  s.in("35=A|34=1|98=0|108=30");
  assert(s.disconnected);
  s.connect();
  s.in("35=A|34=1|98=0|108=30|1137=7");
  assertEquals(s.sent, ["35=A|34=1|98=0|108=30|1137=7"]);
  assertEquals(s.session.targetApplVerId, "7");
});

Deno.test("Session.tick() disconnects an acceptor connection that sends no Logon within the timeout", () => {
  const s = new Script({ logonTimeoutS: 5 });
  s.connect();
  assertEquals(s.session.nextDeadlineAtMs, T0 + 5000);
  s.advance(4999);
  assert(!s.disconnected);
  s.advance(1);
  assert(s.disconnected);
});

Deno.test("Session.connect() as initiator sends Logon with ResetSeqNumFlag when ResetOnLogon", () => {
  const s = new Script({ role: "initiator", resetOnLogon: true, heartbeatIntervalS: 20 });
  s.connect();
  assertEquals(s.sent, ["35=A|34=1|98=0|108=20|141=Y"]);
  assertEquals(s.session.state, "logon-sent");
  s.in("35=A|34=1|98=0|108=20|141=Y");
  assertEquals(s.sent, []);
  assertEquals(s.session.state, "active");
  assert(s.types.includes("logon"));
});

Deno.test("Session.tick() disconnects an initiator whose Logon is not answered in time", () => {
  const s = new Script({ role: "initiator", logonTimeoutS: 10 });
  s.connect();
  s.advance(10_000);
  assert(s.disconnected);
});

Deno.test("Session.receive() as initiator disconnects on a Logon before it sent one", () => {
  const s = new Script({ role: "initiator" });
  s.connect();
  // a Logon answer arrives; then a second Logon (no reset) is a state error
  s.in("35=A|34=1|98=0|108=30");
  assertEquals(s.session.state, "active");
  s.in("35=A|34=2|98=0|108=30");
  assert(s.disconnected);
});

Deno.test("Session constructor refuses an unknown BeginString and an empty CompID", () => {
  assertThrows(() => new Script({ beginString: "FIX.3.9" }), SessionConfigError);
  assertThrows(() => new Script({ senderCompId: "" }), SessionConfigError);
  assertThrows(
    () => new Script({ beginString: "FIXT.1.1", role: "initiator" }),
    SessionConfigError,
  );
});

// ------------------------------------------------------------------ heartbeats

Deno.test("Session.tick() sends Heartbeat after HeartBtInt of silence, TestRequest at 1.2x, disconnects at 2.4x", () => {
  const s = new Script();
  s.connect();
  s.in("35=A|34=1|98=0|108=10");
  assertEquals(s.session.nextDeadlineAtMs, T0 + 10_000);
  s.advance(9_999);
  assertEquals(s.sent, []);
  s.advance(1);
  assertEquals(s.sent, ["35=0|34=2"]);
  s.now = T0 + 12_000;
  s.tick();
  assertEquals(s.sent, ["35=1|34=3|112=TEST"]);
  s.now = T0 + 23_999;
  s.tick();
  assertEquals(s.sent, []);
  assert(!s.disconnected);
  s.now = T0 + 24_000;
  s.tick();
  assert(s.disconnected);
  assert(s.types.includes("logout"));
});

Deno.test("Session.tick() does not send TestRequest when the counterparty answers", () => {
  const s = new Script();
  s.connect();
  s.in("35=A|34=1|98=0|108=10");
  s.now = T0 + 12_000;
  s.tick();
  assertEquals(s.sent, ["35=1|34=2|112=TEST"]);
  s.in("35=0|34=2|112=TEST");
  s.now = T0 + 22_000;
  s.tick();
  assertEquals(s.sent, ["35=0|34=3"]);
  assert(!s.disconnected);
});

Deno.test("Session.receive() answers TestRequest with a Heartbeat carrying the TestReqID", () => {
  const s = new Script();
  s.logon();
  s.in("35=1|34=2|112=HELLO");
  assertEquals(s.sent, ["35=0|34=2|112=HELLO"]);
});

Deno.test("Session.tick() with custom testRequestDelayMultiplier sends TestRequest at that multiple", () => {
  const s = new Script({ testRequestDelayMultiplier: 2 });
  s.connect();
  s.in("35=A|34=1|98=0|108=10");
  s.in("35=0|34=2");
  s.now = T0 + 10_000;
  s.tick();
  assertEquals(s.sent, ["35=0|34=2"]);
  s.now = T0 + 19_999;
  s.tick();
  assertEquals(s.sent, []);
  s.now = T0 + 20_000;
  s.tick();
  assertEquals(s.sent, ["35=1|34=3|112=TEST"]);
});

// ------------------------------------------------------------------ sequence numbers

Deno.test("Session.receive() sends ResendRequest when MsgSeqNum is higher than expected and processes queued messages in order", () => {
  const s = new Script();
  s.logon();
  s.in("35=D|34=4|11=B");
  assertEquals(s.sent, ["35=2|34=2|7=2|16=0"]);
  assertEquals(s.delivered, []);
  s.in("35=D|34=5|11=C");
  assertEquals(s.sent, [], "no redundant ResendRequest");
  s.in("35=D|34=2|11=A|43=Y|122=20261124-11:59:59");
  assertEquals(s.delivered, ["2"]);
  s.in("35=4|34=3|43=Y|122=20261124-11:59:59|123=Y|36=4");
  assertEquals(s.delivered, ["4", "5"]);
  assertEquals(s.session.nextTargetSeqNum, 6);
  assertEquals(s.session.queuedMessages, 0);
});

Deno.test("Session.receive() sends a redundant ResendRequest when configured to", () => {
  const s = new Script({ sendRedundantResendRequests: true });
  s.logon();
  s.in("35=0|34=4");
  s.in("35=0|34=5");
  assertEquals(s.sent, ["35=2|34=3|7=2|16=0"]);
});

Deno.test("Session.receive() requests a large gap in chunks of resendRequestChunkSize", () => {
  const s = new Script({ resendRequestChunkSize: 2 });
  s.logon();
  s.in("35=0|34=7");
  assertEquals(s.sent, ["35=2|34=2|7=2|16=3"]);
  s.in("35=0|34=2|43=Y|122=20261124-11:59:59");
  assertEquals(s.sent, []);
  s.in("35=0|34=3|43=Y|122=20261124-11:59:59");
  assertEquals(s.sent, ["35=2|34=3|7=4|16=5"]);
  s.in("35=4|34=4|43=Y|122=20261124-11:59:59|123=Y|36=6");
  assertEquals(s.sent, ["35=2|34=4|7=6|16=0"]);
  s.in("35=0|34=6|43=Y|122=20261124-11:59:59");
  assertEquals(s.session.nextTargetSeqNum, 8);
});

Deno.test("Session.handle() sends Logout when MsgSeqNum is lower than expected without PossDupFlag", () => {
  const s = new Script();
  s.logon();
  s.in("35=0|34=2");
  s.in("35=0|34=3");
  s.in("35=0|34=2");
  assertEquals(s.sent, ["35=5|34=2|58=MsgSeqNum too low, expecting 4 but received 2"]);
  assert(s.disconnected);
});

Deno.test("Session.receive() ignores a PossDup duplicate with a valid OrigSendingTime", () => {
  const s = new Script();
  s.logon();
  s.in("35=D|34=2|11=A");
  s.in("35=D|34=2|11=A|43=Y|122=20261124-11:59:59");
  assertEquals(s.sent, []);
  assertEquals(s.delivered, []);
  assertEquals(s.session.nextTargetSeqNum, 3);
});

Deno.test("Session.receive() rejects a PossDup duplicate without OrigSendingTime (373=1, 371=122)", () => {
  const s = new Script();
  s.logon();
  s.in("35=D|34=2|11=A");
  s.in("35=D|34=2|11=A|43=Y");
  assertEquals(s.sent, ["35=3|34=2|45=2|372=D|373=1|371=122|58=Required tag missing"]);
  assertEquals(s.session.nextTargetSeqNum, 3);
});

Deno.test("Session.receive() rejects and logs out a PossDup whose OrigSendingTime is after SendingTime", () => {
  const s = new Script();
  s.logon();
  s.in("35=D|34=2|11=A");
  s.in("35=D|34=2|11=A|43=Y|122=20261124-12:00:10");
  assertEquals(s.sent, [
    "35=3|34=2|45=2|372=D|373=10|58=SendingTime accuracy problem",
    "35=5|34=3",
  ]);
  assertEquals(s.session.state, "logout-sent");
});

Deno.test("Session.receive() applies SequenceReset-Reset regardless of MsgSeqNum and rejects a lower NewSeqNo", () => {
  const s = new Script();
  s.logon();
  s.in("35=4|34=0|36=25");
  assertEquals(s.session.nextTargetSeqNum, 25);
  assert(s.actions.some((a) => a.type === "sequence" && a.nextTargetSeqNum === 25));
  s.in("35=4|34=0|36=3");
  assertEquals(s.sent, [
    "35=3|34=2|45=0|372=4|373=5|58=Value is incorrect (out of range) for this tag",
  ]);
  assertEquals(s.session.nextTargetSeqNum, 25);
});

Deno.test("Session.receive() treats a too-low SequenceReset-GapFill without PossDup as too low", () => {
  const s = new Script();
  s.logon();
  s.in("35=0|34=2");
  s.in("35=4|34=1|123=Y|36=20");
  assertEquals(s.sent, ["35=5|34=2|58=MsgSeqNum too low, expecting 3 but received 1"]);
  assert(s.disconnected);
});

Deno.test("Session.receive() holds at most maxQueuedMessages out-of-order messages", () => {
  const s = new Script({ maxQueuedMessages: 2 });
  s.logon();
  s.in("35=0|34=3");
  s.in("35=0|34=4");
  s.in("35=0|34=5");
  assertEquals(s.session.queuedMessages, 2);
  assert(s.actions.some((a) => a.type === "log" && a.text.includes("Queue full")));
});

// ------------------------------------------------------------------ resend

Deno.test("Session.receive() serves ResendRequest: application messages with PossDupFlag and OrigSendingTime, admin messages gap-filled", () => {
  const s = new Script();
  s.logon(); // our 1 = Logon
  s.send("D", [[11, "A"]]); // 2
  s.send("D", [[11, "B"]]); // 3
  s.in("35=1|34=2|112=X"); // our 4 = Heartbeat
  s.send("D", [[11, "C"]]); // 5
  s.now += 1000;
  s.in("35=2|34=3|7=1|16=0");
  assertEquals(s.sent, [
    "35=4|34=1|43=Y|123=Y|36=2",
    "35=D|34=2|43=Y|11=A",
    "35=D|34=3|43=Y|11=B",
    "35=4|34=4|43=Y|123=Y|36=5",
    "35=D|34=5|43=Y|11=C",
  ]);
  const resent = s.actions.find((a) => a.type === "send" && a.seqNum === 2);
  assert(resent !== undefined && resent.type === "send" && !resent.persist);
  assertEquals(s.session.nextSenderSeqNum, 6);
});

Deno.test("Session.receive() gap-fills messages the shouldResend hook declines and ones missing from the store", () => {
  const s = new Script({ shouldResend: (m) => m.get(11) !== "B" });
  s.logon();
  s.send("D", [[11, "A"]]); // 2
  s.send("D", [[11, "B"]]); // 3
  s.send("D", [[11, "C"]]); // 4
  s.stored.delete(4);
  s.in("35=2|34=2|7=2|16=4");
  assertEquals(s.sent, ["35=D|34=2|43=Y|11=A", "35=4|34=3|43=Y|123=Y|36=5"]);
});

Deno.test("Session.receive() treats EndSeqNo 999999 as infinity on FIX.4.0", () => {
  const s = new Script({ beginString: "FIX.4.0" });
  s.logon();
  s.in("35=2|34=2|7=1|16=999999");
  assertEquals(s.sent, ["35=4|34=1|43=Y|123=Y|36=2"]);
});

Deno.test("Session.receive() sends ResendRequest with EndSeqNo 999999 on FIX.4.1 and 0 on FIX.4.2", () => {
  const a = new Script({ beginString: "FIX.4.1" });
  a.logon();
  a.in("35=0|34=5");
  assertEquals(a.sent, ["35=2|34=2|7=2|16=999999"]);
  const b = new Script({ beginString: "FIX.4.2" });
  b.logon();
  b.in("35=0|34=5");
  assertEquals(b.sent, ["35=2|34=2|7=2|16=0"]);
});

Deno.test("Session.receive() rejects a ResendRequest over maxResendRange", () => {
  const s = new Script({ maxResendRange: 2 });
  s.logon();
  s.send("D", [[11, "A"]]);
  s.send("D", [[11, "B"]]);
  s.in("35=2|34=2|7=1|16=0");
  assertEquals(s.sent.length, 1);
  assert(
    s.sent[0]!.startsWith("35=3|34=4|45=2|372=2|373=5|371=16|58=ResendRequest range 1-3 exceeds"),
  );
  assertEquals(s.session.nextTargetSeqNum, 3);
});

Deno.test("Session.receive() resends from NextExpectedMsgSeqNum (789) on Logon when enabled", () => {
  const s = new Script({ enableNextExpectedMsgSeqNum: true });
  s.logon("|789=1");
  s.send("D", [[11, "A"]]); // 2
  s.in("35=5|34=2");
  s.connect();
  s.in("35=A|34=3|98=0|108=30|789=2");
  assertEquals(s.sent, [
    "35=A|34=4|98=0|108=30|789=4",
    "35=D|34=2|43=Y|11=A",
    // through the Logon's own number (4): the counterparty next expects 5
    "35=4|34=3|43=Y|123=Y|36=5",
  ]);
});

Deno.test("Session.receive() holds the session when NextExpectedMsgSeqNum is beyond what was sent", () => {
  const s = new Script({ enableNextExpectedMsgSeqNum: true });
  s.connect();
  s.in("35=A|34=1|98=0|108=30|789=9");
  assertEquals(s.sent, [
    "35=5|34=1|58=Session held: the counterparty expects MsgSeqNum 9; this node has no record " +
    "of outbound 1-8 (lost in a failover); an operator must set the sequence numbers before " +
    "trading resumes",
  ]);
  assert(s.disconnected);
  assertEquals(s.session.nextSenderSeqNum, 1, "the refusal consumes no sequence number");
});

// ------------------------------------------------------------------ rejects

Deno.test("Session.receive() rejects with the validator's reason and tag and consumes the sequence number", () => {
  const s = new Script({
    validate: (m): ValidationIssue | undefined =>
      m.has(9999) ? { reason: 2, tag: 9999, text: "Tag not defined" } : undefined,
  });
  s.logon();
  s.in("35=D|34=2|11=A|9999=X");
  assertEquals(s.sent, [
    "35=3|34=2|45=2|372=D|373=2|371=9999|58=Tag not defined for this message type",
  ]);
  assertEquals(s.session.nextTargetSeqNum, 3);
  assertEquals(s.delivered, []);
});

Deno.test("Session.receive() disconnects when a Logon fails validation", () => {
  const s = new Script({ validate: () => ({ reason: 1, tag: 108, text: "Required tag missing" }) });
  s.connect();
  s.in("35=A|34=1|98=0|108=30");
  assert(s.disconnected);
  assertEquals(s.sent, []);
});

Deno.test("Session.receive() writes only the reject tags each version defines", () => {
  const v40 = new Script({ beginString: "FIX.4.0" });
  v40.logon();
  v40.in("35=0|34=2|49=WRONG");
  assertEquals(v40.sent, ["35=3|34=2|45=2|58=CompID problem", "35=5|34=3"]);
  const v42 = new Script({ beginString: "FIX.4.2" });
  v42.logon();
  v42.receive(v42.message("35=D|34=2|11=A|40=1|40=2"));
  const v42Reject = new Script({
    beginString: "FIX.4.2",
    validate: (m) => m.getAll(40).length > 1 ? { reason: 13, tag: 40, text: "" } : undefined,
  });
  v42Reject.logon();
  v42Reject.in("35=D|34=2|11=A|40=1|40=2");
  assertEquals(v42Reject.sent, ["35=3|34=2|45=2|372=D|371=40|58=Tag appears more than once"]);
});

Deno.test("Session.receive() rejects an invalid tag number (0 or negative) with 371", () => {
  const s = new Script();
  s.logon();
  const now = formatTimestamp(s.now, 3);
  s.receive(literal(`8=FIX.4.4|9=0|35=0|34=2|49=TW|52=${now}|56=ISLD|0=HI|10=000|`));
  assertEquals(s.sent, ["35=3|34=2|45=2|372=0|373=0|371=0|58=Invalid tag number"]);
  s.receive(literal(`8=FIX.4.4|9=0|35=0|34=3|49=TW|52=${now}|56=ISLD|-1=HI|10=000|`));
  assertEquals(s.sent, ["35=3|34=3|45=3|372=0|373=0|371=-1|58=Invalid tag number"]);
  assertEquals(s.session.nextTargetSeqNum, 4);
});

Deno.test("Session.rejectUnsupported() sends Business Message Reject on FIX.4.2+ and Reject on FIX.4.1", () => {
  const a = new Script({ beginString: "FIX.4.2" });
  a.logon();
  a.in("35=8|34=2|37=X");
  a.actions = a.session.rejectUnsupported(a.message("35=8|34=2|37=X"), a.now);
  assertEquals(a.sent, ["35=j|34=2|45=2|372=8|380=3|58=Unsupported Message Type"]);
  const b = new Script({ beginString: "FIX.4.1" });
  b.logon();
  b.in("35=8|34=2|37=X");
  b.actions = b.session.rejectUnsupported(b.message("35=8|34=2|37=X"), b.now);
  assertEquals(b.sent, ["35=3|34=2|45=2|58=Unsupported message type"]);
});

Deno.test("Session.receive() reverses routing fields on a Reject", () => {
  const s = new Script({
    validate: (m) => m.msgType === "D" ? { reason: 5, tag: 40, text: "" } : undefined,
  });
  s.logon();
  s.in("35=D|34=2|115=JCD|116=CS|144=CHI|129=|11=A|40=w");
  assertEquals(s.sent, [
    "35=3|34=2|128=JCD|129=CS|145=CHI|45=2|372=D|373=5|371=40|58=Value is incorrect (out of range) for this tag",
  ]);
});

Deno.test("Session.receive() rejects a CompID problem with 373=9 and logs out", () => {
  const s = new Script();
  s.logon();
  s.in("35=D|34=2|49=WT|11=A");
  assertEquals(s.sent, ["35=3|34=2|45=2|372=D|373=9|58=CompID problem", "35=5|34=3"]);
});

Deno.test("Session.receive() answers an unexpected BeginString with Logout", () => {
  const s = new Script();
  s.logon();
  s.receive(s.message("35=1|34=2|112=id", "FIX.4.1"));
  assertEquals(s.sent, ["35=5|34=2|58=Incorrect BeginString"]);
  assertEquals(s.session.nextTargetSeqNum, 3);
});

Deno.test("Session.receive() rejects a message missing TargetCompID with 373=1 371=56", () => {
  const s = new Script();
  s.logon();
  const now = formatTimestamp(s.now, 3);
  s.receive(literal(`8=FIX.4.4|9=0|35=0|34=2|49=TW|52=${now}|10=000|`));
  assertEquals(s.sent, ["35=3|34=2|45=2|372=0|373=1|371=56|58=Required tag missing"]);
  assertEquals(s.session.nextTargetSeqNum, 3);
});

// ------------------------------------------------------------------ logout

Deno.test("Session.receive() answers a Logout and disconnects", () => {
  const s = new Script({ resetOnLogout: true });
  s.logon();
  s.in("35=5|34=2");
  assertEquals(s.sent, ["35=5|34=2"]);
  assert(s.disconnected);
  assertEquals(s.session.nextSenderSeqNum, 1, "ResetOnLogout");
  assertEquals(s.session.nextTargetSeqNum, 1);
});

Deno.test("Session.logout() waits for the answer, then disconnects; times out otherwise", () => {
  const s = new Script({ logoutTimeoutS: 2 });
  s.logon();
  s.actions = s.session.logout("bye", s.now);
  assertEquals(s.sent, ["35=5|34=2|58=bye"]);
  assertEquals(s.session.state, "logout-sent");
  s.in("35=5|34=2");
  assertEquals(s.sent, []);
  assert(s.disconnected);

  const t = new Script({ logoutTimeoutS: 2 });
  t.logon();
  t.actions = t.session.logout("bye", t.now);
  t.advance(1999);
  assert(!t.disconnected);
  t.advance(1);
  assert(t.disconnected);
});

Deno.test("Session.disconnected() resets sequence numbers when ResetOnDisconnect", () => {
  const s = new Script({ resetOnDisconnect: true });
  s.logon();
  s.in("35=0|34=2");
  s.actions = s.session.disconnected("peer closed", s.now);
  assertEquals(s.session.nextSenderSeqNum, 1);
  assertEquals(s.session.nextTargetSeqNum, 1);
  assert(s.actions.some((a) => a.type === "logout"));
});

Deno.test("Session.garbled() does not consume a sequence number", () => {
  const s = new Script();
  s.logon();
  s.actions = s.session.garbled("bad checksum", s.now);
  s.in("35=0|34=2");
  assertEquals(s.sent, []);
  assertEquals(s.session.nextTargetSeqNum, 3);
});

Deno.test("Session.send() stores but does not transmit while not logged on", () => {
  const s = new Script();
  s.send("D", [[11, "A"], [115, "X"]]);
  const a = s.actions.find((x) => x.type === "send");
  assert(a !== undefined && a.type === "send" && a.persist && !a.transmit);
  assertEquals(brief(a.bytes), "35=D|34=1|115=X|11=A");
});

Deno.test("Session.send() skips the tags it writes itself and routes header tags, from any iterable", () => {
  const fields: [number, string][] = [
    [34, "99"],
    [49, "X"],
    [52, "20000101-00:00:00"],
    [43, "Y"],
    [122, "20000101-00:00:00"],
    [11, "A"],
    [115, "X"],
    [55, "MSFT"],
  ];
  const fromArray = new Script();
  fromArray.send("D", fields);
  const fromGenerator = new Script();
  fromGenerator.actions = fromGenerator.session.send(
    "D",
    (function* () {
      yield* fields;
    })(),
    fromGenerator.now,
  );
  for (const s of [fromArray, fromGenerator]) {
    const a = s.actions.find((x) => x.type === "send");
    assert(a !== undefined && a.type === "send");
    assertEquals(brief(a.bytes), "35=D|34=1|115=X|11=A|55=MSFT");
    const m = decodeMessage(a.bytes);
    assertEquals(m.get(49), "ISLD");
    assertEquals(m.get(52), formatTimestamp(s.now, 3));
    assertEquals(m.has(43), false);
  }
});

Deno.test("Session writes SendingTime at the configured precision", () => {
  for (const timestampPrecision of [0, 3, 6, 9] as const) {
    const s = new Script({ timestampPrecision });
    s.now = T0 + 86_400_000 * 400 + 45_678;
    s.send("D", [[11, "A"]]);
    const a = s.actions.find((x) => x.type === "send");
    assert(a !== undefined && a.type === "send");
    assertEquals(decodeMessage(a.bytes).get(52), formatTimestamp(s.now, timestampPrecision));
  }
});

Deno.test("Session records every state transition with from, to and why", () => {
  const s = new Script();
  s.logon();
  s.in("35=5|34=2");
  assertEquals(
    s.session.transitions.map((t) => `${t.from}>${t.to}`),
    [
      "disconnected>awaiting-logon",
      "awaiting-logon>active",
      "active>logout-sent",
      "logout-sent>disconnected",
    ],
  );
  assertEquals(s.session.transitions[3]!.why, "Logout");
});

// ------------------------------------------------------------------ schedule

Deno.test("Session refuses a Logon outside session time and logs out at the end of the period", () => {
  const schedule = new SessionSchedule({ startTime: "08:00:00", endTime: "17:00:00" });
  const s = new Script({ schedule });
  s.now = Date.UTC(2026, 10, 24, 7, 59, 0);
  s.connect();
  assert(s.disconnected);
  s.now = Date.UTC(2026, 10, 24, 16, 59, 0);
  s.logon();
  assertEquals(s.session.state, "active");
  assertEquals(s.session.nextDeadlineAtMs, Date.UTC(2026, 10, 24, 16, 59, 30));
  s.now = Date.UTC(2026, 10, 24, 17, 0, 0);
  s.tick();
  assertEquals(s.sent, ["35=5|34=2|58=Session end"]);
});

Deno.test("Session resets sequence numbers when a new schedule period begins", () => {
  const schedule = new SessionSchedule({ startTime: "08:00:00", endTime: "17:00:00" });
  const s = new Script({ schedule });
  s.now = Date.UTC(2026, 10, 24, 9, 0, 0);
  s.logon();
  s.in("35=5|34=2");
  assertEquals(s.session.nextSenderSeqNum, 3);
  s.now = Date.UTC(2026, 10, 25, 9, 0, 0);
  s.logon();
  assertEquals(s.sent, ["35=A|34=1|98=0|108=30"]);
});

Deno.test("Session.receive() as acceptor with ResetOnLogon starts both numbers at 1 on each Logon", () => {
  const s = new Script({ resetOnLogon: true, nextSenderSeqNum: 40, nextTargetSeqNum: 30 });
  s.connect();
  s.in("35=A|34=1|98=0|108=30");
  assertEquals(s.sent, ["35=A|34=1|98=0|108=30"]);
  assertEquals(s.session.nextTargetSeqNum, 2);
  assert(s.actions.some((a) => a.type === "sequence" && a.reset));
});

Deno.test("Session writes SendingTime in whole seconds on FIX.4.0/4.1 and milliseconds from FIX.4.2", () => {
  const a = new Script({ beginString: "FIX.4.1" });
  a.logon();
  const sentA = a.actions.find((x) => x.type === "send");
  assert(sentA?.type === "send");
  assertEquals(
    decodeMessage(sentA.bytes).get(52),
    "20261124-12:00:00",
  );
  const b = new Script({ beginString: "FIX.4.2" });
  b.logon();
  const sentB = b.actions.find((x) => x.type === "send");
  assert(sentB?.type === "send");
  assertEquals(
    decodeMessage(sentB.bytes).get(52),
    "20261124-12:00:00.000",
  );
});

Deno.test("Session.handle() takes events as values and sends Logout when MsgSeqNum is lower than expected", () => {
  const s = new Script();
  s.session.handle({ type: "connected" }, s.now);
  s.session.handle({ type: "received", message: s.message("35=A|34=1|98=0|108=30") }, s.now);
  s.session.handle({ type: "received", message: s.message("35=0|34=2") }, s.now);
  const actions = s.session.handle({ type: "received", message: s.message("35=0|34=1") }, s.now);
  const sent = actions.flatMap((a) => a.type === "send" ? [brief(a.bytes)] : []);
  assertEquals(sent, ["35=5|34=2|58=MsgSeqNum too low, expecting 3 but received 1"]);
  assert(actions.some((a) => a.type === "disconnect"));
  assertEquals(s.session.handle({ type: "timer" }, s.now), []);
});

Deno.test("Session survives 5,000 random messages without throwing and keeps its invariants", () => {
  let seed = 42;
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const types = ["A", "0", "1", "2", "3", "4", "5", "D", "8", "j", "*"];
  const s = new Script({ maxQueuedMessages: 50, maxResendRange: 100 });
  s.connect();
  for (let i = 0; i < 5000; i++) {
    if (s.session.state === "disconnected") s.connect();
    const t = types[rand(types.length)]!;
    let text = `35=${t}|34=${rand(40)}`;
    if (rand(4) === 0) text += "|43=Y";
    if (rand(3) === 0) text += `|122=20261124-11:59:${String(rand(60)).padStart(2, "0")}`;
    if (t === "A") text += `|98=0|108=${rand(3) === 0 ? -1 : 30}${rand(3) === 0 ? "|141=Y" : ""}`;
    if (t === "2") text += `|7=${rand(30)}|16=${rand(30)}`;
    if (t === "4") text += `|36=${rand(40)}${rand(2) === 0 ? "|123=Y" : ""}`;
    if (rand(20) === 0) text += "|49=WRONG";
    s.now += rand(5000);
    s.in(text);
    if (rand(10) === 0) s.tick();
    assert(s.session.nextSenderSeqNum >= 1 && s.session.nextTargetSeqNum >= 1);
    assert(s.session.queuedMessages <= 50);
  }
});
