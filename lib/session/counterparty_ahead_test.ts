// Lossy failover seen from the session (issue 12, item 6): the counterparty is ahead of us.
import { assert, assertEquals } from "../testing/assert.ts";
import { Script } from "./_script_test_util.ts";
import { LogonLoopDetector, parseTooLowText } from "./counterparty_ahead.ts";

const HELD_100_299 = "Session held: the counterparty expects MsgSeqNum 300; this node has no " +
  "record of outbound 100-299 (lost in a failover); an operator must set the sequence numbers " +
  "before trading resumes";

function warnings(s: Script): string[] {
  return s.log.flatMap((a) => a.type === "log" && a.level === "warn" ? [a.text] : []);
}

Deno.test("parseTooLowText() reads QuickFIX's and Tandem's 'MsgSeqNum too low' text", () => {
  assertEquals(parseTooLowText("MsgSeqNum too low, expecting 300 but received 100"), {
    expected: 300,
    received: 100,
  });
  assertEquals(parseTooLowText("Logout requested by operator"), undefined);
  assertEquals(parseTooLowText("MsgSeqNum too low, expecting 3 but received 5"), undefined);
});

Deno.test("Session.receive() logs the counterparty's Logout Text, at warn when it complains", () => {
  const s = new Script();
  s.logon();
  s.in("35=5|34=2|58=Invalid order flow, session closed");
  assert(warnings(s).some((w) => w.endsWith("Logout request: Invalid order flow, session closed")));
  const bye = new Script();
  bye.logon();
  bye.in("35=5|34=2|58=done");
  assertEquals(warnings(bye), [], "an ordinary goodbye is no warning");
  assert(bye.log.some((a) => a.type === "log" && a.text.endsWith("Received Logout request: done")));
  const refused = new Script({ role: "initiator" });
  refused.connect();
  refused.in("35=5|34=1|58=Unknown user");
  assert(warnings(refused).some((w) => w.endsWith("Received Logout request: Unknown user")));
});

Deno.test("Session.receive() holds the session on a 'MsgSeqNum too low' Logout and reports the lost range", () => {
  const s = new Script({ nextSenderSeqNum: 100, nextTargetSeqNum: 50 });
  s.connect();
  s.in("35=A|34=50|98=0|108=30");
  assertEquals(s.sent, ["35=A|34=100|98=0|108=30"]);
  s.in("35=5|34=51|58=MsgSeqNum too low, expecting 300 but received 100");
  const lost = s.actions.find((a) => a.type === "lost-outbound");
  assertEquals(lost?.type === "lost-outbound" ? lost.range : undefined, {
    fromSeqNum: 100,
    toSeqNum: 299,
    source: "logout-text",
    policy: "hold",
  });
  assertEquals(s.sent, [`35=5|34=101|58=${HELD_100_299}`]);
  assert(s.disconnected);
  assertEquals(s.session.heldFor?.toSeqNum, 299);
  // the next Logon is refused with the same text and burns no sequence number
  const next = s.session.nextSenderSeqNum;
  for (let i = 0; i < 5; i++) {
    s.connect();
    s.in(`35=A|34=${52 + i}|98=0|108=30`);
    assertEquals(s.sent, [`35=5|34=${next}|58=${HELD_100_299}`]);
    assert(s.disconnected);
    assert(!s.actions.some((a) => a.type === "send" && a.persist));
  }
  assertEquals(s.session.nextSenderSeqNum, next);
  assertEquals(s.session.nextTargetSeqNum, 52, "refused Logons are not consumed");
});

Deno.test("Session.setSequenceNumbers() releases a held session", () => {
  const s = new Script({ nextSenderSeqNum: 100 });
  s.connect();
  s.in("35=A|34=1|98=0|108=30");
  s.in("35=5|34=2|58=MsgSeqNum too low, expecting 300 but received 100");
  assert(s.session.heldFor !== undefined);
  s.session.setSequenceNumbers(300, 3, s.now);
  assertEquals(s.session.heldFor, undefined);
  s.connect();
  s.in("35=A|34=3|98=0|108=30");
  assertEquals(s.sent, ["35=A|34=300|98=0|108=30"]);
  assertEquals(s.session.state, "active");
});

Deno.test("Session with onCounterpartyAhead 'continue' jumps to the counterparty's number", () => {
  const s = new Script({ nextSenderSeqNum: 100, onCounterpartyAhead: "continue" });
  s.connect();
  s.in("35=A|34=1|98=0|108=30");
  s.in("35=5|34=2|58=MsgSeqNum too low, expecting 300 but received 100");
  assert(s.actions.some((a) => a.type === "lost-outbound" && a.range.policy === "continue"));
  assert(s.actions.some((a) => a.type === "sequence" && a.nextSenderSeqNum === 300));
  assertEquals(s.sent, ["35=5|34=300"], "the Logout answer carries the number expected");
  assertEquals(s.session.heldFor, undefined);
  s.connect();
  s.in("35=A|34=3|98=0|108=30");
  assertEquals(s.sent, ["35=A|34=301|98=0|108=30"]);
});

Deno.test("Session.receive() finds the counterparty ahead from NextExpectedMsgSeqNum (789) on Logon", () => {
  const held = new Script({ enableNextExpectedMsgSeqNum: true, nextSenderSeqNum: 100 });
  held.connect();
  held.in("35=A|34=1|98=0|108=30|789=300");
  assertEquals(held.sent, [`35=5|34=100|58=${HELD_100_299}`]);
  assert(
    held.actions.some((a) =>
      a.type === "lost-outbound" && a.range.source === "logon-next-expected"
    ),
  );
  assertEquals(held.session.nextSenderSeqNum, 100);
  const cont = new Script({
    enableNextExpectedMsgSeqNum: true,
    nextSenderSeqNum: 100,
    onCounterpartyAhead: "continue",
  });
  cont.connect();
  cont.in("35=A|34=1|98=0|108=30|789=300");
  assertEquals(cont.sent, ["35=A|34=300|98=0|108=30|789=2"]);
  assertEquals(cont.session.state, "active");
});

Deno.test("Session marks PossDup application messages new to it after a lost outbound range", () => {
  const s = new Script({ nextSenderSeqNum: 100, onCounterpartyAhead: "continue" });
  s.connect();
  s.in("35=A|34=1|98=0|108=30");
  s.in("35=D|34=2|11=BEFORE|43=Y|122=20261124-11:59:00");
  assertEquals(
    s.actions.filter((a) => a.type === "deliver" && a.possiblyExecutedElsewhere).length,
    0,
    "no lost range known yet: an ordinary resend",
  );
  s.in("35=5|34=3|58=MsgSeqNum too low, expecting 300 but received 100");
  s.connect();
  s.in("35=A|34=4|98=0|108=30");
  s.in("35=D|34=5|11=RESENT|43=Y|122=20261124-11:59:00");
  const d = s.actions.find((a) => a.type === "deliver");
  assert(d?.type === "deliver" && d.possiblyExecutedElsewhere === true);
  s.in("35=D|34=6|11=NEW");
  const fresh = s.actions.find((a) => a.type === "deliver");
  assert(fresh?.type === "deliver" && fresh.possiblyExecutedElsewhere === undefined);
});

Deno.test("Session reports a logon/logout loop once, with a count for metrics", () => {
  const s = new Script({ logonLoop: { shortSessionMs: 10_000, connections: 3 } });
  for (let i = 0; i < 6; i++) {
    s.connect();
    s.in(`35=A|34=${2 * i + 1}|98=0|108=30`);
    s.now += 1_000;
    s.in(`35=5|34=${2 * i + 2}`);
  }
  const loops = warnings(s).filter((w) => w.includes("Logon/logout loop"));
  assertEquals(loops.length, 1);
  assertEquals(s.session.logonLoops, 1);
});

Deno.test("LogonLoopDetector starts a new run after a connection that lasted", () => {
  const d = new LogonLoopDetector({ shortSessionMs: 100, connections: 2 });
  d.started(0);
  assertEquals(d.ended(10, "x"), undefined);
  d.started(20);
  assert(d.ended(30, "x")?.includes("2 connections in a row"));
  d.started(40);
  assertEquals(d.ended(500, "x"), undefined); // lasted: the run ends
  d.started(600);
  assertEquals(d.ended(610, "x"), undefined);
  d.started(620);
  assert(d.ended(630, "x") !== undefined);
  assertEquals(d.loops, 2);
});
