/**
 * A standalone gateway that restarts finishes the application work its
 * journal shows unfinished before it connects out (`app_recovery.ts`), as an
 * acceptor does. In-process: a real journal in a temp dir, an engine acceptor
 * as the venue on 127.0.0.1 port 0.
 */
import { assertEquals } from "../testing/assert.ts";
import { loadConfig } from "../config/mod.ts";
import { createLogger } from "../log/mod.ts";
import { Acceptor } from "../engine/acceptor.ts";
import type { Application } from "../engine/application.ts";
import { encodeMessage } from "../fix/mod.ts";
import { Journal, RecordKind } from "../journal/mod.ts";
import { TandemNode } from "./node.ts";
import { cursorName } from "./app_cursor.ts";

const KEY = "FIX.4.4:TANDEM->VENUE";

/** Answers each fill of a `GW-…` order with two hedge orders built from the report alone. */
const hedger: Application = {
  onMessage(m, session) {
    const id = m.get(11) ?? "";
    if (m.msgType !== "8" || m.get(39) !== "2" || !id.startsWith("GW-")) return;
    for (const leg of ["H1", "H2"]) {
      session.send("D", [
        [11, `${leg}-${id}`],
        [21, "1"],
        [55, "IBM"],
        [54, "2"],
        [
          60,
          "20261124-12:00:00",
        ],
        [38, 100],
        [40, "1"],
      ]);
    }
  },
};

const fill = (id: string): [number, string][] => [
  [37, `O-${id}`],
  [11, id],
  [17, `E-${id}`],
  [150, "F"],
  [39, "2"],
  [55, "IBM"],
  [54, "1"],
  [151, "0"],
  [14, "100"],
  [6, "10"],
];

async function until(test: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!test()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

Deno.test("TandemNode as a standalone gateway finishes a hedging run cut short before it connects out: the venue gets each hedge once and a GapFill for the voided one, also after a second restart", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tandem-gw-recovery-" });
  const orders: string[] = [];
  const orderSeqNums: number[] = [];
  const admins: string[] = [];
  let logons = 0;
  const venue = await new Acceptor({
    sessions: [{
      beginString: "FIX.4.4",
      senderCompId: "VENUE",
      targetCompId: "TANDEM",
      heartbeatIntervalS: 30,
    }],
    logger: () => {},
    application: {
      onLogon: () => void logons++,
      onMessage: (m) => {
        orders.push(m.get(11)!);
        orderSeqNums.push(m.msgSeqNum);
      },
      onAdmin: (m) => void admins.push(m.msgType),
    },
  }).start();
  const config = loadConfig(
    `
node: { id: gw, role: initiator, dataDir: ${JSON.stringify(dir)} }
journal: { syncPolicy: none }
log: { level: warn, format: json }
sessions:
  - beginString: FIX.4.4
    senderCompId: TANDEM
    targetCompId: VENUE
    heartbeatIntervalS: 30
    application: hedger
    connect: { addresses: [127.0.0.1:${venue.port}], reconnectDelayMs: 100 }
`,
    { source: "gw.yaml", env: {} },
  );
  const lines: string[] = [];
  const options = {
    logger: createLogger(config.log, { sink: (l: string) => lines.push(l), isTerminal: false }),
    applications: { hedger },
  };
  const side = venue.sessions.get("FIX.4.4:VENUE->TANDEM")!;
  try {
    let node = await TandemNode.start(config, options);
    let voidedSeqNum = 0;
    await until(() => logons === 1 && side.isLoggedOn, "the first logon");
    side.send("8", fill("GW-1"));
    await until(() => orders.length === 2, "the hedges of GW-1");
    await node.close();
    await until(() => !side.isLoggedOn, "the logout");

    // What a gateway killed while hedging GW-2 leaves: the fill, the run's begin cursor and
    // the first hedge journaled (never sent), no closing cursor. The venue did send the fill.
    {
      await using j = await Journal.open(dir, { syncPolicy: "none" });
      const id = j.sessionId(KEY)!;
      const seq = j.sessionState(id);
      voidedSeqNum = seq.nextSenderSeqNum;
      const at = j.append({
        kind: RecordKind.Inbound,
        sessionId: id,
        seqNum: seq.nextTargetSeqNum,
        timestampMs: Date.now(),
        payload: encodeMessage("FIX.4.4", "8", [
          [34, seq.nextTargetSeqNum],
          [49, "VENUE"],
          [52, "20261124-12:00:00"],
          [56, "TANDEM"],
          ...fill("GW-2"),
        ]),
      });
      j.recordAppCursor("begin:" + cursorName("hedger", KEY), at);
      j.append({
        kind: RecordKind.Outbound,
        sessionId: id,
        seqNum: seq.nextSenderSeqNum,
        timestampMs: Date.now(),
        payload: encodeMessage("FIX.4.4", "D", [
          [34, seq.nextSenderSeqNum],
          [49, "TANDEM"],
          [52, "20261124-12:00:00"],
          [56, "VENUE"],
          [11, "H1-GW-2"],
          [21, "1"],
          [55, "IBM"],
          [54, "2"],
          [60, "20261124-12:00:00"],
          [38, 100],
          [40, "1"],
        ]),
      });
      side.setSequenceNumbers({
        nextSenderSeqNum: side.session.nextSenderSeqNum + 1,
        nextTargetSeqNum: side.session.nextTargetSeqNum,
      }, "the fill of GW-2 was sent");
    }

    node = await TandemNode.start(config, options);
    try {
      await until(() => logons === 2 && orders.length >= 4, "the hedges of GW-2");
      await new Promise((r) => setTimeout(r, 200)); // room for a duplicate to show up
      assertEquals(orders, ["H1-GW-1", "H2-GW-1", "H1-GW-2", "H2-GW-2"]);
      assertEquals(admins.filter((t) => t === "4").length, 1, "one GapFill (the voided hedge)");
      assertEquals(admins.filter((t) => t === "5").length, 1, "only the first run's Logout");
    } finally {
      await node.close();
    }
    await until(() => !side.isLoggedOn, "the second logout");

    // A second recovery (this restart; a second failover alike), when the run is closed: the
    // venue forgets everything from the voided hedge on and asks for it again. The cut-short
    // hedge must stay voided: a GapFill, never its original bytes as a PossDup resend.
    const sentBefore = orderSeqNums.length;
    const expected = side.session.nextTargetSeqNum;
    side.setSequenceNumbers({
      nextSenderSeqNum: side.session.nextSenderSeqNum,
      nextTargetSeqNum: voidedSeqNum,
    }, "the venue lost what followed the voided hedge");
    node = await TandemNode.start(config, options);
    try {
      await until(
        () => logons === 3 && side.isLoggedOn && side.session.nextTargetSeqNum > expected,
        "the venue caught up again",
      );
      const resent = orderSeqNums.slice(sentBefore);
      assertEquals(resent.includes(voidedSeqNum), false, `resent ${resent} voided ${voidedSeqNum}`);
      assertEquals(orders.slice(sentBefore), ["H1-GW-2", "H2-GW-2"], "the replayed hedges");
    } finally {
      await node.close();
    }
  } finally {
    await venue.close();
    await Deno.remove(dir, { recursive: true });
  }
});
