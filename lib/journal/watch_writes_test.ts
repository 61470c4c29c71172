import { assert, assertEquals } from "../testing/assert.ts";
import { Journal, RecordKind } from "./mod.ts";
import { MemoryStorage } from "./memory_storage.ts";

const enc = new TextEncoder();

Deno.test("Journal.watchWrites tells each written record once, in order, before it reaches storage", async () => {
  const storage = new MemoryStorage();
  await using j = await Journal.open("mem", { storage, syncPolicy: "none" });
  const session = j.defineSession("FIX.4.4:A->B");
  j.flush();
  const seen: { index: number; seqNum: number; payload: string; appendsBefore: number }[] = [];
  const stop = j.watchWrites((records) => {
    for (const r of records) {
      seen.push({
        index: r.index,
        seqNum: r.seqNum,
        payload: new TextDecoder().decode(r.payload),
        appendsBefore: storage.counts.appends,
      });
    }
  });
  const appendsAtStart = storage.counts.appends;
  for (let i = 1; i <= 3; i++) {
    j.append({
      kind: RecordKind.Outbound,
      sessionId: session,
      seqNum: i,
      timestampMs: 1,
      payload: enc.encode(`m${i}`),
    });
  }
  await Promise.resolve(); // the turn's write comes one microtask after its first append
  await Promise.resolve();
  j.append({
    kind: RecordKind.Outbound,
    sessionId: session,
    seqNum: 4,
    timestampMs: 1,
    payload: enc.encode("m4"),
  });
  j.flush();
  const first = session + 1;
  assertEquals(seen.map((s) => [s.index, s.seqNum, s.payload]), [
    [first, 1, "m1"],
    [first + 1, 2, "m2"],
    [first + 2, 3, "m3"],
    [first + 3, 4, "m4"],
  ]);
  assertEquals(seen[0]!.appendsBefore, appendsAtStart, "told after the storage write");
  assertEquals(seen[3]!.appendsBefore, appendsAtStart + 1, "told after the storage write");
  assertEquals(storage.counts.appends, appendsAtStart + 2, "one storage write per turn");
  stop();
  j.append({
    kind: RecordKind.Outbound,
    sessionId: session,
    seqNum: 5,
    timestampMs: 1,
    payload: enc.encode("m5"),
  });
  j.flush();
  assertEquals(seen.length, 4, "told after stop()");
});

Deno.test("Journal.watchWrites ignores a watcher that throws and still writes the records", async () => {
  await using j = await Journal.open("mem", { storage: new MemoryStorage(), syncPolicy: "none" });
  const told: number[] = [];
  j.watchWrites(() => {
    throw new Error("watcher broke");
  });
  j.watchWrites((records) => told.push(...records.map((r) => r.index)));
  const index = j.defineSession("FIX.4.4:A->B");
  j.flush();
  assertEquals(told, [index]);
  assert(j.read(index) !== undefined);
});
