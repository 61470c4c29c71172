/**
 * Live streaming: once a follower has the journal's last record, the leader
 * sends what the journal writes straight from its write watcher, and falls
 * back to the tail whenever that could skip or overfill.
 */

import { assert, assertEquals } from "../testing/assert.ts";
import { Journal, RecordKind } from "../journal/mod.ts";
import { MemoryStorage } from "../journal/memory_storage.ts";
import type { StorageReader } from "../journal/storage.ts";
import { ReplicationSecret } from "./auth.ts";
import { ReplicationFollower } from "./follower.ts";
import { ReplicationLeader, type ReplicationLeaderOptions } from "./leader.ts";
import type { ReplicationJournal } from "./journal_port.ts";
import { MemoryJournal } from "./_memory_journal.ts";

const SECRET = await ReplicationSecret.import("correct horse battery staple");
const enc = new TextEncoder();

/** A memory storage that counts reads, to tell records read back from records sent from memory. */
class CountingStorage extends MemoryStorage {
  reads = 0;
  override openReader(name: string): StorageReader {
    const inner = super.openReader(name);
    return {
      size: () => inner.size(),
      readAt: (offset, into) => {
        this.reads++;
        return inner.readAt(offset, into);
      },
      close: () => inner.close(),
    };
  }
}

/** Polls `predicate` every few ms (for state no journal change announces); fails after 10 s naming `what`. */
async function poll(predicate: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function pair(
  leaderJournal: ReplicationJournal,
  followerJournal: MemoryJournal,
  extra: Partial<ReplicationLeaderOptions> = {},
) {
  let acked = 0;
  let ackWaiters: { index: number; resolve: () => void }[] = [];
  const leader = ReplicationLeader.listen({
    journal: leaderJournal,
    clusterId: "test",
    nodeId: "a",
    secret: SECRET,
    onAck: (_, i) => {
      acked = i;
      ackWaiters = ackWaiters.filter((w) => w.index > i || (w.resolve(), false));
    },
    ...extra,
  });
  await leader.ready;
  const follower = ReplicationFollower.start({
    journal: followerJournal,
    clusterId: "test",
    nodeId: "b",
    secret: SECRET,
    leader: { hostname: "127.0.0.1", port: leader.port },
    reconnectDelayMs: 10,
  });
  return {
    leader,
    follower,
    /** Resolves once the follower acknowledged `index` (the test's timeout catches a hang). */
    ackOf: (index: number): Promise<void> => {
      if (acked >= index) return Promise.resolve();
      const { promise, resolve } = Promise.withResolvers<void>();
      ackWaiters.push({ index, resolve });
      return promise;
    },
    async [Symbol.asyncDispose]() {
      await follower[Symbol.asyncDispose]();
      await leader[Symbol.asyncDispose]();
    },
  };
}

Deno.test("ReplicationLeader sends live records as the journal writes them, never reading them back from storage", async () => {
  const storage = new CountingStorage();
  await using lj = await Journal.open("mem", { storage, syncPolicy: "none" });
  const session = lj.defineSession("FIX.4.4:A->B");
  for (let i = 1; i <= 20; i++) {
    lj.append({
      kind: RecordKind.Outbound,
      sessionId: session,
      seqNum: i,
      timestampMs: 1000 + i,
      payload: enc.encode(`old-${i}`),
    });
  }
  const fj = new MemoryJournal(0);
  await using p = await pair(lj, fj);
  await fj.until(() => fj.lastIndex === lj.lastIndex, "catch-up on the follower");
  assert(storage.reads > 0, "catch-up reads the journal");
  const readsBefore = storage.reads;
  for (let i = 21; i <= 60; i++) {
    lj.append({
      kind: RecordKind.Outbound,
      sessionId: session,
      seqNum: i,
      timestampMs: 1000 + i,
      payload: enc.encode(`live-${i}`),
    });
    // One write per turn, as a session appends what it sends.
    await fj.until(() => fj.lastIndex === lj.lastIndex, `record ${lj.lastIndex} on the follower`);
  }
  assertEquals(storage.reads, readsBefore, "live records were read back from storage");
  assertEquals(
    fj.records.map((r) => r.index),
    Array.from({ length: lj.lastIndex }, (_, i) => i + 1),
  );
  for (const r of fj.records) {
    const mine = lj.read(r.index)!;
    assertEquals([r.epoch, r.kind, r.sessionId, r.seqNum, r.timestampMs], [
      mine.epoch,
      mine.kind,
      mine.sessionId,
      mine.seqNum,
      mine.timestampMs,
    ]);
    assertEquals(r.payload, mine.payload);
  }
  assertEquals(p.leader.status().followers[0]!.sentIndex, lj.lastIndex);
});

Deno.test("ReplicationLeader cuts a live run of records at maxBatchRecords and maxBatchBytes", async () => {
  const lj = new MemoryJournal(1);
  lj.append(1, enc.encode("first"));
  const fj = new MemoryJournal(0);
  await using p = await pair(lj, fj, { limits: { maxBatchRecords: 16, maxBatchBytes: 1000 } });
  await fj.until(() => fj.lastIndex === 1, "record 1 on the follower");
  const batchesBefore = p.leader.status().followers[0]!.batchesSent;
  lj.appendRun(Array.from({ length: 200 }, () => new Uint8Array(100)));
  await fj.until(() => fj.lastIndex === 201, "the run on the follower");
  assertEquals(lj.watchedRecords, 200, "the run went through the write watcher");
  // 1000 bytes hold 10 records of 100 bytes: 20 batches for 200 records.
  assertEquals(p.leader.status().followers[0]!.batchesSent - batchesBefore, 20);
  assertEquals(fj.records, lj.records);
});

Deno.test("ReplicationLeader returns a live link that would skip records to the tail, which sends them in order", async () => {
  const lj = new MemoryJournal(1);
  lj.append(1, enc.encode("first"));
  const fj = new MemoryJournal(0);
  await using p = await pair(lj, fj);
  await fj.until(() => fj.lastIndex === 1, "record 1 on the follower");
  // Records written without telling the watcher: the next watched run has a gap before it.
  lj.quiet = true;
  for (let i = 0; i < 5; i++) lj.append(1, enc.encode(`unwatched-${i}`));
  lj.quiet = false;
  lj.append(1, enc.encode("watched"));
  await fj.until(() => fj.lastIndex === 7, "every record on the follower");
  assertEquals(fj.records, lj.records);
  // And it goes live again afterwards.
  const watched = lj.watchedRecords;
  lj.append(1, enc.encode("live again"));
  await fj.until(() => fj.lastIndex === 8, "record 8 on the follower");
  assertEquals(lj.watchedRecords, watched + 1);
  assertEquals(fj.records, lj.records);
  assertEquals(p.leader.status().followers[0]!.sentIndex, 8);
  assertEquals(
    p.follower.status().sessions,
    1,
    `the follower had to reconnect: ${JSON.stringify(p.follower.status().transitions)}`,
  );
});

Deno.test("ReplicationLeader watches the journal's writes only while a link is live", async () => {
  const lj = new MemoryJournal(1);
  lj.append(1, enc.encode("first"));
  const fj = new MemoryJournal(0);
  await using p = await pair(lj, fj);
  await fj.until(() => fj.lastIndex === 1, "record 1 on the follower");
  await poll(() => lj.writeWatcherCount === 1, "the link live");
  // The only follower goes away: nobody consumes the watcher, so it must go too.
  await p.follower[Symbol.asyncDispose]();
  await poll(() => lj.writeWatcherCount === 0, "the watcher dropped with the last live link");
  const watched = lj.watchedRecords;
  for (let i = 0; i < 5; i++) lj.append(1, enc.encode(`unconsumed-${i}`));
  assertEquals(lj.watchedRecords, watched, "records built for a watcher nobody consumes");
  // A follower that comes back catches up through the tail and goes live again.
  const fj2 = new MemoryJournal(0);
  await using f2 = ReplicationFollower.start({
    journal: fj2,
    clusterId: "test",
    nodeId: "b",
    secret: SECRET,
    leader: { hostname: "127.0.0.1", port: p.leader.port },
    reconnectDelayMs: 10,
  });
  await fj2.until(() => fj2.lastIndex === lj.lastIndex, "catch-up on the new follower");
  await poll(() => lj.writeWatcherCount === 1, "the new link live");
  lj.append(1, enc.encode("live again"));
  await fj2.until(() => fj2.lastIndex === lj.lastIndex, "the live record on the new follower");
  assertEquals(lj.watchedRecords, watched + 1);
  assertEquals(fj2.records, lj.records);
  assertEquals(f2.status().sessions, 1);
});

Deno.test("ReplicationLeader returns a live link with maxQueuedBytes waiting to the tail and loses nothing", async () => {
  const lj = new MemoryJournal(1);
  lj.append(1, enc.encode("first"));
  const fj = new MemoryJournal(0);
  await using p = await pair(lj, fj, { maxQueuedBytes: 64 * 1024 });
  await fj.until(() => fj.lastIndex === 1, "record 1 on the follower");
  // Far more than maxQueuedBytes in one turn: the link must leave live mode and wait for the socket.
  for (let k = 0; k < 40; k++) lj.appendRun([new Uint8Array(16 * 1024).fill(k)]);
  await fj.until(() => fj.lastIndex === 41, "every record on the follower");
  assertEquals(fj.records, lj.records);
  // Live, each run is a batch of its own; the tail packs several written records into one.
  const batches = p.leader.status().followers[0]!.batchesSent;
  assert(batches < 41, `${batches} batches: the link never returned to the tail`);
});

Deno.test("ReplicationLeader streams through the tail alone when the journal cannot be watched", async () => {
  const lj = new MemoryJournal(1);
  lj.watchable = false;
  lj.append(1, enc.encode("first"));
  const fj = new MemoryJournal(0);
  await using p = await pair(lj, fj);
  for (let i = 2; i <= 30; i++) {
    lj.append(1, enc.encode(`r-${i}`));
    await fj.until(() => fj.lastIndex === i, `record ${i} on the follower`);
  }
  assertEquals(fj.records, lj.records);
  assertEquals(lj.watchedRecords, 0);
  await p.ackOf(30);
});

Deno.test("ReplicationLeader ends a live link on a record too large for a frame, saying why", async () => {
  const lj = new MemoryJournal(1);
  lj.append(1, enc.encode("first"));
  const fj = new MemoryJournal(0);
  await using p = await pair(lj, fj, { limits: { maxFrameBytes: 4096 } });
  await fj.until(() => fj.lastIndex === 1, "record 1 on the follower");
  lj.append(1, new Uint8Array(8192));
  const deadline = Date.now() + 10_000;
  while (p.leader.status().lastError === undefined && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 5));
  }
  const why = p.leader.status().lastError ?? "no error";
  assert(why.includes("exceeds 4096"), why);
  assertEquals(fj.lastIndex, 1);
});

Deno.test("ReplicationLeader streams live records after the turn when no ack is awaited, and at once when one is", async () => {
  for (const awaited of [false, true]) {
    const lj = new MemoryJournal(1);
    lj.append(1, enc.encode("first"));
    const fj = new MemoryJournal(0);
    let asked = 0;
    await using _p = await pair(lj, fj, {
      acksAwaited: () => {
        asked++;
        return awaited;
      },
    });
    await fj.until(() => fj.lastIndex === 1, "record 1 on the follower");
    for (let i = 2; i <= 20; i++) {
      lj.append(1, enc.encode(`r-${i}`));
      await fj.until(() => fj.lastIndex === i, `record ${i} on the follower`);
    }
    assertEquals(fj.records, lj.records);
    assertEquals(lj.watchedRecords, 19);
    assertEquals(asked, 19, "asked once per written run");
  }
});
