/**
 * Simulated power loss: the in-memory storage keeps only synced bytes plus a
 * random part of the unsynced ones, at random moments of a busy journal with
 * syncs in flight and segments rolling. Every index whose durability promise
 * resolved must survive intact; the journal must open after every loss.
 */
import { assert, assertEquals, fail } from "../testing/assert.ts";
import { Journal } from "./journal.ts";
import { RecordKind } from "./record.ts";
import { fixPayload, GatedStorage } from "./_test_util.ts";

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Lets promise callbacks run (the gated syncs need no macrotask). */
async function microtasks(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await Promise.resolve();
}

Deno.test("Journal under policy always loses no durable index to 300 simulated power losses at random moments", async () => {
  const rand = mulberry32(Number(Deno.env.get("JOURNAL_POWER_SEED") ?? 99));
  let torn = 0;
  for (let trial = 0; trial < 300; trial++) {
    const storage = new GatedStorage();
    const journal = await Journal.open("p", {
      storage,
      syncPolicy: "always",
      segmentSizeBytes: 1536,
    });
    const s = journal.defineSession("FIX.4.4:A->B");
    const durable = new Set<number>();
    const turns = 1 + Math.floor(rand() * 12);
    for (let turn = 0; turn < turns; turn++) {
      const batch = 1 + Math.floor(rand() * 8);
      for (let k = 0; k < batch; k++) {
        const seq = journal.lastIndex;
        const index = journal.append({
          kind: RecordKind.Outbound,
          sessionId: s,
          seqNum: seq,
          timestampMs: seq,
          payload: fixPayload(seq, (seq * 53) % 200),
        });
        journal.durable(index).then(() => durable.add(index), () => {});
      }
      await Promise.resolve();
      if (rand() < 0.6) storage.release();
      await microtasks(10);
    }
    const durableAtCrash = [...durable];
    const after = storage.crash((_, unsynced) => Math.floor(rand() * (unsynced + 1)));
    let closed = false;
    const closing = journal.close().then(() => (closed = true));
    while (!closed) {
      storage.release();
      await microtasks(10);
    }
    await closing;
    try {
      await using reopened = await Journal.open("p", { storage: after, syncPolicy: "none" });
      torn += reopened.recovered.length;
      for (const index of durableAtCrash) {
        const r = reopened.read(index);
        assert(r !== undefined, `index ${index} was durable but is gone`);
        assertEquals(r.payload, fixPayload(index - 1, ((index - 1) * 53) % 200));
      }
      if (reopened.lastIndex >= 1) {
        assertEquals(reopened.sessionState(s).nextSenderSeqNum, Math.max(1, reopened.lastIndex));
      }
    } catch (err) {
      fail(`trial ${trial}: ${(err as Error).message}`);
    }
  }
  assert(torn > 10, `only ${torn} torn tails: the test does not exercise recovery`);
});
