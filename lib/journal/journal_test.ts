import {
  assert,
  assertEquals,
  assertInstanceOf,
  assertRejects,
  assertThrows,
} from "../testing/assert.ts";
import { Journal, type JournalOptions } from "./journal.ts";
import { JournalCorruptionError, JournalFailedError, JournalTruncatedError } from "./errors.ts";
import { MemoryStorage } from "./memory_storage.ts";
import {
  decodeSegmentHeader,
  type JournalRecord,
  type RecordInput,
  RecordKind,
  SEGMENT_HEADER_BYTES,
  segmentFileName,
} from "./record.ts";
import { scanRecords } from "./_scan.ts";
import { decodeAppCursor, encodeEpochChange, JournalPayloadError } from "./payloads.ts";
import { fixPayload, GatedStorage, until, withTempDir } from "./_test_util.ts";

const KEY = "FIX.4.4:ME->THEM";

function out(sessionId: number, seqNum: number, sizeBytes = 0, timestampMs = 1_000) {
  return {
    kind: RecordKind.Outbound,
    sessionId,
    seqNum,
    timestampMs,
    payload: fixPayload(seqNum, sizeBytes),
  };
}

function inb(sessionId: number, seqNum: number) {
  return { ...out(sessionId, seqNum), kind: RecordKind.Inbound };
}

function mem(options: JournalOptions = {}, storage = new MemoryStorage()) {
  return Journal.open("mem", { syncPolicy: "none", ...options, storage });
}

/** Lets the turn's write run: it comes one microtask after the turn's first append. */
async function turnWritten(): Promise<void> {
  await Promise.resolve();
  await Promise.resolve();
}

Deno.test("Journal.append() returns consecutive indices at once and writes one turn in one write", async () => {
  const storage = new MemoryStorage();
  await using journal = await mem({}, storage);
  const s = journal.defineSession(KEY);
  const before = storage.counts.appends;
  const indices = [];
  for (let i = 1; i <= 100; i++) indices.push(journal.append(out(s, i)));
  assertEquals(indices, Array.from({ length: 100 }, (_, i) => i + 2));
  assertEquals(storage.counts.appends, before, "nothing written during the turn");
  assertEquals(journal.writtenIndex, 0);
  await turnWritten();
  assertEquals(storage.counts.appends, before + 1, "one write for the whole turn");
  assertEquals(journal.writtenIndex, 101);
});

Deno.test("Journal.append(): a promise callback the turn resolved runs before the turn's write and its appends join it", async () => {
  const storage = new MemoryStorage();
  await using journal = await mem({}, storage);
  const s = journal.defineSession(KEY);
  journal.flush();
  const before = storage.counts.appends;
  const arrived = Promise.withResolvers<void>();
  let writtenWhenCalledBack = -1;
  const reaction = arrived.promise.then(() => {
    writtenWhenCalledBack = journal.writtenIndex;
    journal.append(out(s, 2)); // an application answering the message it awaited
  });
  const inbound = journal.append(out(s, 1));
  arrived.resolve();
  await reaction;
  await turnWritten();
  assertEquals(writtenWhenCalledBack, inbound - 1, "the callback ran before the write");
  assertEquals(storage.counts.appends, before + 1, "both records in one write");
  assertEquals(journal.writtenIndex, inbound + 1);
});

Deno.test("Journal.append() keeps no reference to its input: a caller may reuse the record and payload", async () => {
  await using journal = await mem();
  const s = journal.defineSession(KEY);
  const payload = fixPayload(1, 60);
  const record: RecordInput = { ...out(s, 1), payload };
  const first = journal.append(record);
  record.seqNum = 2;
  record.kind = RecordKind.Inbound;
  payload.fill(0x7c); // still staged, not yet written
  const second = journal.append(record);
  payload.fill(0);
  const a = journal.read(first)!;
  const b = journal.read(second)!;
  assertEquals([a.kind, a.seqNum, a.payload], [RecordKind.Outbound, 1, fixPayload(1, 60)]);
  assertEquals([b.kind, b.seqNum, b.payload], [
    RecordKind.Inbound,
    2,
    new Uint8Array(payload.length).fill(0x7c),
  ]);
});

Deno.test("Journal.read() returns staged records by flushing on demand, with the CRC verified", async () => {
  await using journal = await mem();
  const s = journal.defineSession(KEY);
  const i = journal.append(out(s, 1));
  const r = journal.read(i)!;
  assertEquals(journal.writtenIndex, i);
  assertEquals([r.index, r.kind, r.sessionId, r.seqNum, r.timestampMs], [
    i,
    RecordKind.Outbound,
    s,
    1,
    1_000,
  ]);
  assertEquals(r.payload, fixPayload(1));
  assertEquals(journal.read(0), undefined);
  assertEquals(journal.read(i + 1), undefined);
});

Deno.test("Journal.open() rebuilds the position index of every segment and reads every record back", async () => {
  await withTempDir(async (dir) => {
    const written: JournalRecord[] = [];
    {
      await using journal = await Journal.open(dir, { segmentSizeBytes: 8192, syncPolicy: "none" });
      const s = journal.defineSession(KEY);
      for (let i = 1; i <= 500; i++) journal.append(out(s, i, i % 300));
      for (let i = 1; i <= journal.lastIndex; i++) written.push(journal.read(i)!);
      assert(journal.segmentNames().length > 10);
    }
    await using again = await Journal.open(dir);
    assertEquals(again.recovered, []);
    assertEquals(again.lastIndex, 501);
    for (const r of written) assertEquals(again.read(r.index), r);
  });
});

Deno.test("Journal.appCursorsView() shows the cursors appCursors() copies, later records included", async () => {
  await using journal = await mem();
  const view = journal.appCursorsView();
  journal.recordAppCursor("begin:executor", 4);
  journal.recordAppCursor("executor", 4);
  journal.recordAppCursor("begin:executor", 9);
  assertEquals(new Map(view), journal.appCursors());
  assertEquals(view.get("begin:executor"), 9);
  // A copy from appCursors() is the caller's: changing it leaves the journal's cursors alone.
  const copy = journal.appCursors();
  copy.set("executor", 100);
  assertEquals(journal.appCursorsView().get("executor"), 4);
});

Deno.test("Journal.recordAppCursor() writes each record with its own index, the same name many times in one turn", async () => {
  const storage = new MemoryStorage();
  {
    await using journal = await mem({}, storage);
    for (let i = 1; i <= 5; i++) {
      journal.recordAppCursor("begin:executor@S", i * 10);
      journal.recordAppCursor("executor@S", i * 10);
    }
    const indexes = (j: Journal) =>
      [...Array(j.lastIndex).keys()].map((i) => decodeAppCursor(j.read(i + 1)!.payload).index);
    assertEquals(indexes(journal), [10, 10, 20, 20, 30, 30, 40, 40, 50, 50]);
    await turnWritten();
    assertEquals(indexes(journal), [10, 10, 20, 20, 30, 30, 40, 40, 50, 50]);
    assertThrows(() => journal.recordAppCursor("executor@S", -1), RangeError);
    assertEquals(journal.appCursorsView().get("executor@S"), 50);
  }
  await using again = await mem({}, storage);
  assertEquals(again.appCursors(), new Map([["begin:executor@S", 50], ["executor@S", 50]]));
});

Deno.test("Journal.open() rebuilds sessions, sequence numbers, epoch and application cursors", async () => {
  const storage = new MemoryStorage();
  let expected: unknown;
  {
    await using journal = await mem({}, storage);
    const a = journal.defineSession("FIX.4.2:A->B");
    const b = journal.defineSession("FIX.4.4:C->D");
    assertEquals(journal.defineSession("FIX.4.2:A->B"), a, "defining twice returns the same id");
    for (let i = 1; i <= 5; i++) journal.append(out(a, i));
    for (let i = 1; i <= 3; i++) journal.append(inb(a, i));
    journal.append(out(b, 7));
    journal.setSequenceNumbers(b, {
      nextSenderSeqNum: 100,
      nextTargetSeqNum: 200,
      reason: "admin",
    });
    journal.append(inb(b, 200));
    journal.beginEpoch(3, "promoted");
    journal.recordAppCursor("executor", 9);
    journal.resetSession(a, "daily reset");
    journal.append(out(a, 1));
    expected = {
      sessions: journal.sessions(),
      epoch: journal.epoch,
      cursors: journal.appCursors(),
    };
    assertEquals(journal.sessionState(a), { nextSenderSeqNum: 2, nextTargetSeqNum: 1 });
    assertEquals(journal.sessionState(b), { nextSenderSeqNum: 100, nextTargetSeqNum: 201 });
    assertEquals(journal.epoch, 3);
  }
  await using again = await mem({}, storage);
  assertEquals(
    { sessions: again.sessions(), epoch: again.epoch, cursors: again.appCursors() },
    expected,
  );
  assertEquals(again.sessionId("FIX.4.4:C->D"), 2);
  assertEquals(
    again.read(again.lastIndex)!.epoch,
    3,
    "records after EpochChange carry the new epoch",
  );
});

Deno.test("Journal.outbound() finds the latest Outbound record of a seqNum and forgets it after SessionReset", async () => {
  await using journal = await mem();
  const s = journal.defineSession(KEY);
  journal.append(out(s, 1));
  const first2 = journal.append(out(s, 2));
  assertEquals(journal.outbound(s, 2)?.index, first2);
  const again2 = journal.append({ ...out(s, 2), payload: fixPayload(2, 99) });
  assertEquals(journal.outbound(s, 2)?.index, again2);
  assertEquals(journal.outbound(s, 3), undefined);
  journal.resetSession(s, "reset");
  assertEquals(journal.outbound(s, 1), undefined);
  assertEquals(journal.sessionState(s), { nextSenderSeqNum: 1, nextTargetSeqNum: 1 });
});

Deno.test("Journal rolls to a new segment before a segment would exceed segmentSizeBytes", async () => {
  const storage = new MemoryStorage();
  await using journal = await mem({ segmentSizeBytes: 4096 }, storage);
  const s = journal.defineSession(KEY);
  for (let i = 1; i <= 200; i++) journal.append(out(s, i, 200));
  journal.flush();
  const names = journal.segmentNames();
  assert(names.length >= 12, `expected many segments, got ${names.length}`);
  assertEquals(names[0], segmentFileName(1));
  for (const name of names) assert(storage.fileBytes(name).length <= 4096, `${name} is too big`);
  // Each segment is named after its first record.
  for (const name of names.slice(1)) {
    const header = decodeSegmentHeader(storage.fileBytes(name));
    assert(typeof header !== "string");
    assertEquals(segmentFileName(header.firstIndex), name);
    assertEquals(journal.read(header.firstIndex)!.index, header.firstIndex);
  }
});

Deno.test("Journal rolls daily at the configured wall time in the configured time zone (DST-correct)", async () => {
  const storage = new MemoryStorage();
  // 2026-03-06 12:00 UTC, a Friday; New York is on EST (UTC-5) until 2026-03-08.
  let now = Date.UTC(2026, 2, 6, 12);
  const options: JournalOptions = {
    roll: { rollDailyAt: "17:00", timeZone: "America/New_York" },
    clock: () => now,
  };
  {
    await using journal = await mem(options, storage);
    const s = journal.defineSession(KEY);
    journal.append(out(s, 1));
    now = Date.UTC(2026, 2, 6, 21, 59); // 16:59 EST: same trading day
    journal.append(out(s, 2));
    assertEquals(journal.segmentNames().length, 1);
    now = Date.UTC(2026, 2, 6, 22, 0); // 17:00 EST: roll
    const third = journal.append(out(s, 3));
    assertEquals(journal.segmentNames(), [segmentFileName(1), segmentFileName(third)]);
    now = Date.UTC(2026, 2, 9, 20, 59); // Monday 16:59 EDT (UTC-4): rolls once (missed days do not add segments)
    const fourth = journal.append(out(s, 4));
    assertEquals(journal.segmentNames().at(-1), segmentFileName(fourth));
    now = Date.UTC(2026, 2, 9, 21, 0); // Monday 17:00 EDT
    const fifth = journal.append(out(s, 5));
    assertEquals(journal.segmentNames().at(-1), segmentFileName(fifth));
  }
  // After a restart the roll time comes from the active segment's creation time.
  now = Date.UTC(2026, 2, 10, 21, 0);
  await using again = await mem(options, storage);
  const sixth = again.append(out(1, 6));
  assertEquals(again.segmentNames().at(-1), segmentFileName(sixth));
});

Deno.test("Journal.tail() follows appends across segment rolls, woken by append", async () => {
  await using journal = await mem({ segmentSizeBytes: 2048 });
  const s = journal.defineSession(KEY);
  const controller = new AbortController();
  const seen: number[] = [];
  const tailing = (async () => {
    for await (const r of journal.tail(1, { signal: controller.signal })) {
      seen.push(r.index);
      if (r.index === 301) controller.abort();
    }
  })();
  for (let turn = 0; turn < 30; turn++) {
    for (let i = 1; i <= 10; i++) journal.append(out(s, turn * 10 + i, 100));
    await new Promise((r) => setTimeout(r, 0));
  }
  await tailing;
  assert(journal.segmentNames().length > 5);
  assertEquals(seen, Array.from({ length: 301 }, (_, i) => i + 1));
});

Deno.test("Journal.tail() ends when its signal aborts while it waits, and when the journal closes", async () => {
  const journal = await mem();
  const controller = new AbortController();
  const a = (async () => {
    for await (const _ of journal.tail(1, { signal: controller.signal })) { /* none */ }
  })();
  const b = (async () => {
    for await (const _ of journal.tail(1)) { /* none */ }
  })();
  await new Promise((r) => setTimeout(r, 0));
  controller.abort();
  await a;
  await journal.close();
  await b;
});

Deno.test("Journal.durable() under none resolves once the turn's records are written", async () => {
  const storage = new MemoryStorage();
  await using journal = await mem({ syncPolicy: "none" }, storage);
  const before = storage.counts.syncs; // the checkpoint written at open
  const s = journal.defineSession(KEY);
  const i = journal.append(out(s, 1));
  await journal.durable(i);
  assertEquals(journal.writtenIndex, i);
  assertEquals(storage.counts.syncs - before, 0);
});

Deno.test("Journal.durable() under always: one sync covers every record written while the previous sync was in flight", async () => {
  const storage = new GatedStorage();
  await using journal = await Journal.open("g", { storage, syncPolicy: "always" });
  const s = journal.defineSession(KEY);
  const first = journal.append(out(s, 1));
  const resolved: number[] = [];
  journal.durable(first).then(() => resolved.push(first));
  await until(() => storage.waiting === 1, "the first sync starts");
  const later: number[] = [];
  for (let turn = 0; turn < 5; turn++) {
    const i = journal.append(out(s, turn + 2));
    later.push(i);
    journal.durable(i).then(() => resolved.push(i));
    await new Promise((r) => setTimeout(r, 0));
  }
  assertEquals(storage.syncCalls, 1, "no second sync while the first is in flight");
  assertEquals(journal.writtenIndex, later.at(-1));
  storage.release();
  await until(() => resolved.length === 1 && storage.waiting === 1, "the first group is durable");
  assertEquals(resolved, [first]);
  storage.release();
  await until(() => resolved.length === 6, "the second group is durable");
  assertEquals(resolved, [first, ...later]);
  assertEquals(storage.syncCalls, 2, "two syncs for six records over six turns");
});

Deno.test("Journal.durable() under interval resolves after the timed sync", async () => {
  const storage = new MemoryStorage();
  await using journal = await mem({ syncPolicy: "interval", syncIntervalMs: 5 }, storage);
  const s = journal.defineSession(KEY);
  const before = storage.counts.syncs;
  const i = journal.append(out(s, 1));
  await turnWritten();
  assertEquals(journal.writtenIndex, i);
  assertEquals(journal.durableIndex, 0, "written but not yet synced");
  await journal.durable(i);
  assertEquals(journal.durableIndex, i);
  assertEquals(storage.counts.syncs - before, 1);
});

Deno.test("Journal.durable() rejects with JournalFailedError when a sync fails, and the journal refuses appends", async () => {
  const storage = new MemoryStorage();
  const journal = await Journal.open("m", { storage, syncPolicy: "always" });
  const s = journal.defineSession(KEY);
  storage.failSyncs = true;
  const i = journal.append(out(s, 1));
  const err = await assertRejects(() => journal.durable(i), JournalFailedError);
  assertInstanceOf(err.cause, Deno.errors.Interrupted);
  assertThrows(() => journal.append(out(s, 2)), JournalFailedError);
  await journal.close();
});

Deno.test("Journal after a torn write refuses appends; reopening cuts the torn tail and reports it", async () => {
  const storage = new MemoryStorage();
  const journal = await mem({}, storage);
  const s = journal.defineSession(KEY);
  await journal.durable(journal.append(out(s, 1)));
  storage.tearNextAppendAtBytes = 30;
  const i = journal.append(out(s, 2));
  await assertRejects(() => journal.durable(i), JournalFailedError);
  await journal.close();
  await using again = await mem({}, storage);
  assertEquals(again.lastIndex, 2);
  assertEquals(again.recovered.length, 1);
  assertEquals(again.recovered[0]!.droppedBytes, 30);
  assertEquals(again.recovered[0]!.file, `memory:/${segmentFileName(1)}`);
  assertEquals(again.sessionState(s).nextSenderSeqNum, 2);
});

Deno.test("Journal.append() writes synchronously once staged bytes would exceed maxStagedBytes", async () => {
  const storage = new MemoryStorage();
  await using journal = await mem({ maxStagedBytes: 1024 }, storage);
  const s = journal.defineSession(KEY);
  await Promise.resolve();
  const before = storage.counts.appends;
  for (let i = 1; i <= 20; i++) journal.append(out(s, i, 200));
  // 20 records of 248 bytes with at most 1024 staged: at least 4 writes in this turn.
  assert(storage.counts.appends - before >= 4, `only ${storage.counts.appends - before} writes`);
  assert(journal.stats.stagedBytes <= 1024);
  assert(journal.writtenIndex >= 17);
});

Deno.test("Journal.append() rejects bad input: payload over maxPayloadBytes, undefined session, stale epoch", async () => {
  await using journal = await mem({ maxPayloadBytes: 100 });
  const s = journal.defineSession(KEY);
  assertThrows(() => journal.append(out(s, 1, 200)), RangeError, "the limit is 100");
  assertThrows(() => journal.append(out(99, 1)), RangeError, "session id 99 is not defined");
  assertThrows(() => journal.append({ ...out(s, -1) }), RangeError, "seqNum");
  journal.beginEpoch(2, "promoted");
  assertThrows(() => journal.beginEpoch(2, "again"), RangeError, "already at epoch 2");
  assertThrows(
    () =>
      journal.append({
        kind: RecordKind.SequenceChange,
        sessionId: s,
        seqNum: 0,
        timestampMs: 1,
        payload: new Uint8Array(3),
      }),
    JournalPayloadError,
    "need 16",
  );
  assertEquals(journal.lastIndex, 2, "rejected records take no index");
});

Deno.test("Journal.appendReplicated() keeps index and epoch, and rejects a gap or an older epoch", async () => {
  const storage = new MemoryStorage();
  await using leader = await mem();
  const s = leader.defineSession(KEY);
  leader.beginEpoch(4, "promoted");
  for (let i = 1; i <= 5; i++) leader.append(out(s, i));
  await using follower = await mem({}, storage);
  for (let i = 1; i <= 4; i++) follower.appendReplicated(leader.read(i)!);
  const gap = leader.read(6)!;
  assertThrows(() => follower.appendReplicated(gap), RangeError, "the next index is 5");
  follower.appendReplicated(leader.read(5)!);
  assertThrows(
    () => follower.appendReplicated({ ...leader.read(6)!, epoch: 1 }),
    RangeError,
    "below the journal's epoch 4",
  );
  for (let i = 6; i <= leader.lastIndex; i++) follower.appendReplicated(leader.read(i)!);
  for (let i = 1; i <= leader.lastIndex; i++) assertEquals(follower.read(i), leader.read(i));
  assertEquals(follower.sessions(), leader.sessions());
  assertEquals(follower.epoch, 4);
});

Deno.test("Journal.truncateAfter() moves the suffix to a quarantine file and rewinds the state", async () => {
  await withTempDir(async (dir) => {
    const journal = await Journal.open(dir, { segmentSizeBytes: 2048, syncPolicy: "always" });
    const s = journal.defineSession(KEY);
    for (let i = 1; i <= 40; i++) journal.append(out(s, i, 100));
    await journal.durable(journal.lastIndex);
    const removed = [];
    for (let i = 22; i <= 41; i++) removed.push(journal.read(i)!);
    // A tail that already passed the cut fails; a waiter for a cut index rejects.
    const controller = new AbortController();
    const tail = journal.tail(41, { signal: controller.signal });
    await tail.next();
    const report = journal.truncateAfter(21, `${dir}/quarantine-1.seg`);
    assertEquals(report, { movedRecords: 20, quarantineFile: `${dir}/quarantine-1.seg` });
    await assertRejects(() => tail.next(), JournalTruncatedError);
    assertEquals(journal.lastIndex, 21);
    assertEquals(journal.sessionState(s), { nextSenderSeqNum: 21, nextTargetSeqNum: 1 });
    assertEquals(journal.outbound(s, 25), undefined);
    assertThrows(() => journal.truncateAfter(10, `${dir}/quarantine-1.seg`), RangeError, "exists");
    // The quarantine file is a segment holding exactly the removed records.
    const q = await Deno.readFile(`${dir}/quarantine-1.seg`);
    const header = decodeSegmentHeader(q);
    assert(typeof header !== "string");
    assertEquals(header.firstIndex, 22);
    const offsets: number[] = [];
    const scan = scanRecords(
      q,
      SEGMENT_HEADER_BYTES,
      q.length,
      22,
      "q",
      true,
      (o) => offsets.push(o),
    );
    assertEquals([scan.nextIndex, scan.torn], [42, undefined]);
    // Appends continue from the cut, and the files agree after reopening.
    const next = journal.append(out(s, 21, 50));
    assertEquals(next, 22);
    await journal.close();
    await using again = await Journal.open(dir);
    assertEquals(again.lastIndex, 22);
    assertEquals(again.read(22)!.payload, fixPayload(21, 50));
    assertEquals(again.sessionState(s).nextSenderSeqNum, 22);
    assertEquals(removed.length, 20);
  });
});

Deno.test("Journal.truncateAfter() rejects durable() waiters for removed indices", async () => {
  const storage = new GatedStorage();
  const journal = await Journal.open("g", { storage, syncPolicy: "always" });
  const s = journal.defineSession(KEY);
  const i = journal.append(out(s, 1));
  const waiting = journal.durable(i);
  await Promise.resolve();
  journal.truncateAfter(1, "q.seg");
  await assertRejects(() => waiting, JournalTruncatedError);
  storage.release();
  await journal.close();
});

Deno.test("Journal.applyRetention() removes old segments by size but keeps those a live session needs for resends", async () => {
  const storage = new MemoryStorage();
  const options: JournalOptions = { segmentSizeBytes: 2048, retention: { maxTotalBytes: 4096 } };
  await using journal = await mem(options, storage);
  const a = journal.defineSession("FIX.4.4:A->B");
  const b = journal.defineSession("FIX.4.4:C->D");
  for (let i = 1; i <= 30; i++) journal.append(out(a, i, 100));
  for (let i = 1; i <= 30; i++) journal.append(inb(b, i));
  await new Promise((r) => setTimeout(r, 0));
  assertEquals(journal.segmentNames()[0], segmentFileName(1), "session A's resend history is kept");
  assertEquals(journal.applyRetention(), []);
  journal.resetSession(a, "end of day");
  for (let i = 31; i <= 60; i++) journal.append(inb(b, i));
  const removed = journal.applyRetention();
  assert(removed.length > 0);
  assertEquals(removed[0], segmentFileName(1));
  assert(journal.stats.totalBytes <= 4096 + 2048);
  assert(journal.firstIndex > 1);
  assertEquals(journal.read(1), undefined);
  assert(!storage.exists(segmentFileName(1)));
  assert(journal.segmentNames().length >= 1);
  // Sessions defined in removed segments survive a restart (snapshot).
  const sessions = journal.sessions();
  await journal.close();
  await using again = await mem(options, storage);
  assertEquals(again.sessions(), sessions);
  assertEquals(again.firstIndex, journal.firstIndex);
  await assertRejects(() => again.tail(1).next(), RangeError, "were removed");
});

Deno.test("Journal.applyRetention() removes segments older than maxAgeMs but never the active one", async () => {
  let now = 1_000_000;
  await using journal = await mem({
    segmentSizeBytes: 1024,
    retention: { maxAgeMs: 60_000 },
    clock: () => now,
  });
  const s = journal.defineSession(KEY);
  for (let i = 1; i <= 20; i++) journal.append({ ...inb(s, i), timestampMs: now });
  const segments = journal.segmentNames().length;
  assert(segments > 2);
  assertEquals(journal.applyRetention(now), []);
  now += 61_000;
  assertEquals(journal.applyRetention(now).length, segments - 1);
  assertEquals(journal.segmentNames().length, 1);
  assertEquals(journal.sessionState(s).nextTargetSeqNum, 21);
});

Deno.test("Journal.open() fails with JournalCorruptionError naming file, offset and CRCs for damage in an older segment", async () => {
  const storage = new MemoryStorage();
  {
    await using journal = await mem({ segmentSizeBytes: 2048 }, storage);
    const s = journal.defineSession(KEY);
    for (let i = 1; i <= 30; i++) journal.append(out(s, i, 100));
  }
  const name = segmentFileName(1);
  const bytes = storage.fileBytes(name);
  const offset = SEGMENT_HEADER_BYTES + 80; // inside the second record
  bytes[offset + 60] = bytes[offset + 60]! ^ 0xff;
  storage.setFileBytes(name, bytes);
  const err = await assertRejects(() => mem({}, storage), JournalCorruptionError);
  assertEquals(err.file, `memory:/${name}`);
  assert(err.offsetBytes >= SEGMENT_HEADER_BYTES && err.offsetBytes <= offset + 60);
  assert(
    err.expectedCrc !== undefined && err.actualCrc !== undefined &&
      err.expectedCrc !== err.actualCrc,
  );
  assert(err.message.includes(name) && err.message.includes("expected CRC 0x"), err.message);
});

Deno.test("Journal.open() fails when a segment in the middle is missing", async () => {
  const storage = new MemoryStorage();
  {
    await using journal = await mem({ segmentSizeBytes: 1024 }, storage);
    const s = journal.defineSession(KEY);
    for (let i = 1; i <= 30; i++) journal.append(out(s, i));
  }
  const names = storage.list().filter((n) => n.endsWith(".seg")).sort();
  storage.remove(names[1]!);
  await assertRejects(() => mem({}, storage), JournalCorruptionError, "a segment is missing");
});

Deno.test("Journal.open() recreates the header of a newest segment left empty by a crash during a roll", async () => {
  const storage = new MemoryStorage();
  {
    await using journal = await mem({}, storage);
    const s = journal.defineSession(KEY);
    journal.append(out(s, 1));
  }
  storage.setFileBytes(segmentFileName(3), new Uint8Array(12));
  await using again = await mem({}, storage);
  assertEquals(again.recovered.map((r) => r.offsetBytes), [0]);
  assertEquals(again.append(out(1, 2)), 3);
});

Deno.test("Journal opened read-only sees records another writer appends (refresh) and cannot append", async () => {
  await withTempDir(async (dir) => {
    await using writer = await Journal.open(dir, { syncPolicy: "none", segmentSizeBytes: 1024 });
    const s = writer.defineSession(KEY);
    writer.append(out(s, 1));
    writer.flush();
    await using reader = await Journal.open(dir, { readOnly: true, pollIntervalMs: 5 });
    assertEquals(reader.lastIndex, 2);
    assertThrows(() => reader.append(out(s, 2)), Error, "read-only");
    const controller = new AbortController();
    const seen: number[] = [];
    const tailing = (async () => {
      for await (const r of reader.tail(1, { signal: controller.signal })) {
        seen.push(r.index);
        if (r.index === 40) controller.abort();
      }
    })();
    for (let i = 2; i <= 39; i++) writer.append(out(s, i));
    writer.flush();
    await tailing;
    assertEquals(seen, Array.from({ length: 40 }, (_, i) => i + 1));
    assert(writer.segmentNames().length > 2);
  });
});

Deno.test("Journal.append() of an EpochChange record needs a higher epoch than the journal's", async () => {
  await using journal = await mem();
  journal.append({
    kind: RecordKind.EpochChange,
    sessionId: 0,
    seqNum: 0,
    timestampMs: 1,
    payload: encodeEpochChange({ epoch: 1, reason: "first" }),
  });
  assertEquals(journal.epoch, 1);
  assertEquals(journal.read(1)!.epoch, 1);
});

Deno.test("Journal.close() makes staged and written records durable under interval without waiting for the timer", async () => {
  const storage = new MemoryStorage();
  const journal = await mem({ syncPolicy: "interval", syncIntervalMs: 60_000 }, storage);
  const s = journal.defineSession(KEY);
  const i = journal.append(out(s, 1));
  const done = journal.durable(i);
  await journal.close();
  await done;
  assertEquals(journal.durableIndex, i);
  assertEquals(storage.crash().fileBytes(segmentFileName(1)).length, journal.stats.totalBytes);
});

Deno.test("Journal.truncateAfter() refuses a quarantine name that looks like a segment", async () => {
  await using journal = await mem();
  journal.defineSession(KEY);
  journal.audit("x");
  assertThrows(() => journal.truncateAfter(1, segmentFileName(2)), RangeError, "segment file name");
});

Deno.test("Journal.tail() that lags behind retention fails with RangeError instead of skipping records", async () => {
  await using journal = await mem({ segmentSizeBytes: 1024, retention: { maxTotalBytes: 1 } });
  const s = journal.defineSession(KEY);
  const tail = journal.tail(1);
  assertEquals((await tail.next()).value?.index, 1);
  for (let i = 1; i <= 30; i++) journal.append(inb(s, i));
  assert(journal.applyRetention().length > 0);
  await assertRejects(() => tail.next(), RangeError, "retention removed records");
});

Deno.test("Journal.installBaseline() lets an empty follower join a primary whose early segments were removed", async () => {
  const options: JournalOptions = { segmentSizeBytes: 1024, retention: { maxTotalBytes: 2048 } };
  await using primary = await mem(options);
  const a = primary.defineSession("FIX.4.4:A->B");
  const b = primary.defineSession("FIX.4.4:C->D");
  primary.beginEpoch(2, "promoted");
  for (let i = 1; i <= 40; i++) primary.append(inb(i % 2 ? a : b, i));
  primary.recordAppCursor("executor", 30);
  assert(primary.applyRetention().length > 0);
  assert(primary.firstIndex > 10);
  const storage = new MemoryStorage();
  {
    await using follower = await mem({}, storage);
    follower.installBaseline(JSON.parse(JSON.stringify(primary.baseline())));
    assertEquals(follower.lastIndex, primary.firstIndex - 1);
    for (let i = primary.firstIndex; i <= primary.lastIndex; i++) {
      follower.appendReplicated(primary.read(i)!);
    }
    assertEquals(follower.sessions(), primary.sessions());
    assertEquals(follower.epoch, 2);
    assertThrows(() => follower.installBaseline(primary.baseline()), RangeError, "holds records");
  }
  await using reopened = await mem({}, storage);
  assertEquals(reopened.sessions(), primary.sessions());
  assertEquals(reopened.appCursors(), primary.appCursors());
  assertEquals(reopened.firstIndex, primary.firstIndex);
  assertEquals(reopened.read(primary.lastIndex), primary.read(primary.lastIndex));
});

Deno.test("Journal options.onSync is told each sync's duration and record count", async () => {
  const dir = await Deno.makeTempDir();
  const seen: [number, number][] = [];
  const j = await Journal.open(dir, {
    syncPolicy: "always",
    onSync: (ms, records) => seen.push([ms, records]),
  });
  try {
    for (let i = 0; i < 3; i++) {
      j.append({
        kind: RecordKind.Audit,
        sessionId: 0,
        seqNum: 0,
        timestampMs: 0,
        payload: new Uint8Array(8),
      });
    }
    await j.durable(j.lastIndex);
    const total = seen.reduce((n, [, r]) => n + r, 0);
    assertEquals(total, j.lastIndex);
    assertEquals(seen.every(([ms]) => ms >= 0), true);
  } finally {
    await j.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("Journal.tail() reads only written records while later ones are still staged", async () => {
  const dir = await Deno.makeTempDir();
  const j = await Journal.open(dir, { syncPolicy: "none" });
  const record = () => ({
    kind: RecordKind.Audit,
    sessionId: 0,
    seqNum: 0,
    timestampMs: 0,
    payload: new Uint8Array(16),
  });
  try {
    j.append(record());
    await new Promise((r) => setTimeout(r, 0)); // record 1 reaches the file
    const ac = new AbortController();
    const it = j.tail(1, { signal: ac.signal })[Symbol.asyncIterator]();
    j.append(record()); // record 2 is staged, not written yet
    const first = await it.next();
    assertEquals(first.value?.index, 1);
    const second = await it.next();
    assertEquals(second.value?.index, 2);
    ac.abort();
    await it.return?.();
  } finally {
    await j.close();
    await Deno.remove(dir, { recursive: true });
  }
});
