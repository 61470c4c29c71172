// Lossy failover seen by an acceptor over real sockets and a real journal (issue 12, item 6).
import { assert, assertEquals } from "../testing/assert.ts";
import { decodeLostOutbound, Journal, RecordKind } from "../journal/mod.ts";
import { Acceptor } from "./acceptor.ts";
import type { Logger } from "./application.ts";
import { executorApplication, POSSIBLY_EXECUTED_ELSEWHERE_TEXT } from "./executor_application.ts";
import { JournalSessionStore } from "./journal_store.ts";
import { TestClient } from "./_test_client.ts";

const KEY = "FIX.4.4:ISLD->TW";
const TOO_LOW = "MsgSeqNum too low, expecting 300 but received 100";

function recorder(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  return { lines, logger: (level, m) => lines.push(`${level} ${m}`) };
}

/** A journal whose session sends 100 next (as a promoted node that lacks 100…299 would). */
async function journalAt100(dir: string): Promise<Journal> {
  const journal = await Journal.open(dir, { syncPolicy: "none" });
  const store = new JournalSessionStore(journal);
  const id = store.defineSession(KEY);
  store.appendSequenceChange(id, { nextSenderSeqNum: 100, nextTargetSeqNum: 1 }, false, 0);
  return journal;
}

function lostNotes(journal: Journal) {
  const notes = [];
  for (let i = 1; i <= journal.lastIndex; i++) {
    const r = journal.read(i);
    if (r?.kind !== RecordKind.Audit) continue;
    const note = decodeLostOutbound(r.payload);
    if (note !== undefined) notes.push(note);
  }
  return notes;
}

Deno.test("Acceptor holds a session whose counterparty is ahead, journals the lost range and stops using numbers", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await using journal = await journalAt100(dir);
    const { logger, lines } = recorder();
    await using acceptor = new Acceptor({
      sessions: [{ beginString: "FIX.4.4", senderCompId: "ISLD", targetCompId: "TW" }],
      store: new JournalSessionStore(journal),
      application: executorApplication(),
      logger,
    }).listen();
    {
      await using c = await TestClient.connect(acceptor.port);
      await c.send("35=A|34=1|98=0|108=30");
      assertEquals((await c.next())?.msgSeqNum, 100);
      await c.send(`35=5|34=2|58=${TOO_LOW}`);
      const refusal = await c.next();
      assertEquals(refusal?.msgType, "5");
      assert(refusal?.get(58)?.startsWith("Session held: the counterparty expects MsgSeqNum 300"));
      assert(await c.closedByPeer());
    }
    assert(
      lines.some((l) => l === `warn ${KEY}: Received Logout request: ${TOO_LOW}`) ||
        lines.some((l) => l.startsWith("warn") && l.includes(TOO_LOW)),
    );
    assertEquals(lostNotes(journal), [{
      session: KEY,
      fromSeqNum: 100,
      toSeqNum: 299,
      source: "logout-text",
      policy: "hold",
    }]);
    const host = acceptor.sessions.get(KEY)!;
    assertEquals(host.lostOutbound.map((r) => [r.fromSeqNum, r.toSeqNum]), [[100, 299]]);
    const next = host.session.nextSenderSeqNum;
    // the counterparty retries: each Logon is refused at once, no sequence number used
    for (let i = 0; i < 4; i++) {
      await using c = await TestClient.connect(acceptor.port);
      await c.send(`35=A|34=${3 + i}|98=0|108=30`);
      const m = await c.next();
      assertEquals([m?.msgType, m?.msgSeqNum], ["5", next]);
      assert(await c.closedByPeer());
    }
    assertEquals(host.session.nextSenderSeqNum, next);
    assertEquals(journal.sessionState(host.sessionId).nextSenderSeqNum, next);
    assertEquals(lines.filter((l) => l.includes("Logon/logout loop")).length, 1);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("Acceptor's executor refuses to fill a PossDup order it never saw after outbound was lost", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await using journal = await journalAt100(dir);
    await using acceptor = new Acceptor({
      sessions: [{
        beginString: "FIX.4.4",
        senderCompId: "ISLD",
        targetCompId: "TW",
        onCounterpartyAhead: "continue",
      }],
      store: new JournalSessionStore(journal),
      application: executorApplication(),
      logger: () => {},
    }).listen();
    {
      await using c = await TestClient.connect(acceptor.port);
      await c.send("35=A|34=1|98=0|108=30");
      await c.next();
      await c.send(`35=5|34=2|58=${TOO_LOW}`);
      assertEquals((await c.next())?.msgSeqNum, 300, "continue: the answer carries 300");
    }
    await using c = await TestClient.connect(acceptor.port);
    await c.send("35=A|34=3|98=0|108=30");
    assertEquals((await c.next())?.msgSeqNum, 301);
    const order = "11=LOST-1|21=1|38=100|40=1|54=1|55=IBM|60=20261124-10:00:00";
    await c.send(`35=D|34=4|43=Y|122=20261124-10:00:00|${order}`);
    const report = await c.next();
    assertEquals([report?.msgType, report?.get(39), report?.get(11)], ["8", "8", "LOST-1"]);
    assertEquals(report?.get(58), POSSIBLY_EXECUTED_ELSEWHERE_TEXT);
    await c.send(`35=D|34=5|${order.replace("LOST-1", "NEW-1")}`);
    const fresh = [await c.next(), await c.next()].map((m) => m?.get(39));
    assertEquals(fresh, ["0", "2"], "an order that is not a resend is filled");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
