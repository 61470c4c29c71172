/**
 * Storage faults and silent loss: a failed write, sync or roll fails the
 * journal through one door (`onFailure`, naming the file and the OS error);
 * the checkpoint catches a missing or rewound newest segment; torn tails are
 * counted; one process per data directory.
 */
import {
  assert,
  assertEquals,
  assertInstanceOf,
  assertRejects,
  assertStringIncludes,
  assertThrows,
} from "../testing/assert.ts";
import { Journal } from "./journal.ts";
import { MemoryStorage } from "./memory_storage.ts";
import {
  DataDirLockedError,
  JournalCorruptionError,
  JournalFailedError,
  JournalRewindError,
} from "./errors.ts";
import { RecordKind, SEGMENT_HEADER_BYTES, segmentFileName } from "./record.ts";
import { fixPayload, withTempDir } from "./_test_util.ts";
import { DataDirLock, LOCK_FILE } from "./data_dir_lock.ts";
import { runJournalCommand } from "./cli.ts";

const KEY = "FIX.4.4:ME->THEM";

function out(sessionId: number, seqNum: number, sizeBytes = 200) {
  return {
    kind: RecordKind.Outbound,
    sessionId,
    seqNum,
    timestampMs: 1_000 + seqNum,
    payload: fixPayload(seqNum, sizeBytes),
  };
}

Deno.test("Journal tells onFailure once, naming the segment file and the OS error, when a write hits a full disk", async () => {
  const storage = new MemoryStorage();
  const failures: JournalFailedError[] = [];
  const journal = await Journal.open("m", { storage, onFailure: (e) => failures.push(e) });
  const s = journal.defineSession(KEY);
  await journal.durable(journal.append(out(s, 1)));
  storage.diskFull = true;
  const i = journal.append(out(s, 2));
  const err = await assertRejects(() => journal.durable(i), JournalFailedError);
  assertStringIncludes(err.message, "No space left on device");
  assertEquals(failures.length, 1);
  assertEquals(failures[0]!.file, `memory:/${segmentFileName(1)}`);
  assertStringIncludes(failures[0]!.message, `memory:/${segmentFileName(1)}`);
  assertStringIncludes(failures[0]!.message, "No space left on device (os error 28)");
  assertThrows(() => journal.append(out(s, 3)), JournalFailedError);
  assertEquals(failures.length, 1, "told once");
  assertEquals(journal.failure, failures[0]);
  await journal.close();
});

Deno.test("Journal fails through onFailure, never with 'it is closed', when a roll cannot create the next segment", async () => {
  const storage = new MemoryStorage();
  const failures: JournalFailedError[] = [];
  const journal = await Journal.open("m", {
    storage,
    segmentSizeBytes: 1024,
    onFailure: (e) => failures.push(e),
  });
  const s = journal.defineSession(KEY);
  journal.append(out(s, 1));
  journal.append(out(s, 2));
  await journal.durable(journal.lastIndex);
  storage.diskFull = true;
  let thrown: unknown;
  for (let n = 3; n < 20 && thrown === undefined; n++) {
    try {
      journal.append(out(s, n));
      journal.flush();
    } catch (e) {
      thrown = e;
    }
  }
  assertInstanceOf(thrown, JournalFailedError);
  assertEquals(failures.length, 1);
  assertStringIncludes(failures[0]!.message, "No space left on device");
  // Every later use says why, instead of "Cannot use file ...: it is closed".
  const again = assertThrows(() => journal.append(out(s, 30)), JournalFailedError);
  assert(!again.message.includes("it is closed"), again.message);
  await journal.close();
});

Deno.test("Journal tells onFailure when a sync fails", async () => {
  const storage = new MemoryStorage();
  const failures: JournalFailedError[] = [];
  const journal = await Journal.open("m", { storage, onFailure: (e) => failures.push(e) });
  const s = journal.defineSession(KEY);
  storage.failSyncs = true;
  await assertRejects(() => journal.durable(journal.append(out(s, 1))), JournalFailedError);
  assertEquals(failures.length, 1);
  assertStringIncludes(failures[0]!.message, "Injected sync failure");
  await journal.close();
});

Deno.test("Journal.open() that cannot create its files fails with JournalFailedError naming the directory and the OS error", async () => {
  const storage = new MemoryStorage();
  storage.diskFull = true;
  const err = await assertRejects(() => Journal.open("ro", { storage }), JournalFailedError);
  assertStringIncludes(err.message, "Cannot open journal ro: No space left on device");
});

async function writeJournal(dir: string, records: number): Promise<void> {
  await using journal = await Journal.open(dir, { segmentSizeBytes: 2048 });
  const s = journal.defineSession(KEY);
  for (let n = 1; n <= records; n++) journal.append(out(s, n));
}

async function segments(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const e of Deno.readDir(dir)) if (e.name.endsWith(".seg")) names.push(e.name);
  return names.sort();
}

Deno.test("Journal.open() refuses a journal whose newest segment was deleted, naming it, unless the rewind is accepted", async () => {
  await withTempDir(async (dir) => {
    await writeJournal(dir, 30);
    const names = await segments(dir);
    assert(names.length >= 3, names.join(","));
    await Deno.remove(`${dir}/${names.at(-1)}`);
    const err = await assertRejects(() => Journal.open(dir), JournalRewindError);
    assertStringIncludes(err.message, `segment ${names.at(-1)} is missing`);
    assertStringIncludes(err.message, "--accept-journal-rewind");
    // Read-only tools still open it and report the loss.
    await using ro = await Journal.open(dir, { readOnly: true });
    assertStringIncludes(ro.rewind ?? "", names.at(-1)!);
    const lines: string[] = [];
    assertEquals(await runJournalCommand(["verify", dir], { stdout: (l) => lines.push(l) }), 1);
    assertStringIncludes(lines.join("\n"), "rewound");
    // Accepting it moves the checkpoint back: the next open is clean.
    const accepted = await Journal.open(dir, { acceptRewind: true });
    assertStringIncludes(accepted.rewind ?? "", "is missing");
    await accepted.close();
    await (await Journal.open(dir)).close();
  });
});

Deno.test("Journal.open() refuses a journal cut back at a record boundary after a clean close", async () => {
  await withTempDir(async (dir) => {
    await writeJournal(dir, 30);
    const newest = (await segments(dir)).at(-1)!;
    const bytes = await Deno.readFile(`${dir}/${newest}`);
    // Keep only the first record of the newest segment: a clean cut, no torn bytes.
    const view = new DataView(bytes.buffer);
    const firstLength = 48 + view.getUint32(SEGMENT_HEADER_BYTES + 4, true);
    const keep = SEGMENT_HEADER_BYTES + Math.ceil(firstLength / 8) * 8;
    await Deno.writeFile(`${dir}/${newest}`, bytes.subarray(0, keep));
    const err = await assertRejects(() => Journal.open(dir), JournalRewindError);
    assertStringIncludes(err.message, "are missing");
  });
});

Deno.test("Journal.open() reports a torn tail with its bytes and records", async () => {
  await withTempDir(async (dir) => {
    await writeJournal(dir, 5);
    const newest = (await segments(dir)).at(-1)!;
    const f = await Deno.open(`${dir}/${newest}`, { append: true });
    await f.write(new Uint8Array(100).fill(7));
    f.close();
    await using journal = await Journal.open(dir);
    assertEquals(journal.recovered.length, 1);
    assertEquals(journal.recovered[0]!.droppedBytes, 100);
    assertEquals(journal.recovered[0]!.droppedRecords, 1);
  });
});

Deno.test("Journal.truncateAfter() moves the checkpoint back with it: the journal reopens without a rewind", async () => {
  const storage = new MemoryStorage();
  const journal = await Journal.open("m", { storage, segmentSizeBytes: 2048 });
  const s = journal.defineSession(KEY);
  for (let n = 1; n <= 30; n++) journal.append(out(s, n));
  await journal.durable(journal.lastIndex);
  journal.truncateAfter(5, "step-down.quarantine");
  await journal.close();
  await using again = await Journal.open("m", { storage });
  assertEquals([again.lastIndex, again.rewind], [5, undefined]);
});

Deno.test("DataDirLock refuses a second holder of the same data directory, naming the holder's pid", async () => {
  await withTempDir((dir) => {
    const first = DataDirLock.acquire(dir);
    assertEquals(Deno.readTextFileSync(`${dir}/${LOCK_FILE}`), `${Deno.pid}\n`);
    const err = assertThrows(() => DataDirLock.acquire(dir, "run a node on"), DataDirLockedError);
    assertEquals(err.holderPid, Deno.pid);
    assertStringIncludes(err.message, `Cannot run a node on data directory ${dir}`);
    assertStringIncludes(err.message, `(pid ${Deno.pid})`);
    assertThrows(() => DataDirLock.checkUnlocked(dir, "repair"), DataDirLockedError);
    first.release();
    DataDirLock.checkUnlocked(dir, "repair");
    DataDirLock.acquire(dir).release();
    return Promise.resolve();
  });
});

Deno.test("Journal.open() verifies a segment larger than its read window, reporting damage found past the first window", async () => {
  const storage = new MemoryStorage();
  {
    await using journal = await Journal.open("m", { storage, syncPolicy: "always" });
    const s = journal.defineSession(KEY);
    for (let n = 1; n <= 9_000; n++) journal.append(out(s, n, n % 7 === 0 ? 900 : 200));
    await journal.durable(journal.lastIndex);
  }
  const name = segmentFileName(1);
  const clean = storage.fileBytes(name);
  assert(clean.length > 3 * 1024 * 1024, `segment of ${clean.length} bytes spans several windows`);
  {
    await using journal = await Journal.open("m", { storage });
    assertEquals([journal.lastIndex, journal.recovered], [9_001, []]);
    assertEquals(journal.sessionState(1), { nextSenderSeqNum: 9_001, nextTargetSeqNum: 1 });
    assertEquals(journal.read(5_001)!.payload, fixPayload(5_000, 200));
    assertEquals(journal.outbound(1, 8_995)!.payload, fixPayload(8_995, 900));
  }
  // A torn tail three windows in: cut off and reported, every record before it kept.
  const torn = new Uint8Array(clean.length + 100).fill(7);
  torn.set(clean);
  storage.setFileBytes(name, torn);
  {
    await using journal = await Journal.open("m", { storage });
    assertEquals(journal.lastIndex, 9_001);
    assertEquals(journal.recovered.map((r) => [r.offsetBytes, r.droppedBytes, r.droppedRecords]), [
      [clean.length, 100, 1],
    ]);
  }
  // A flipped byte past the first window, with valid records after it: corruption, named.
  const damaged = storage.fileBytes(name);
  const at = 2 * 1024 * 1024 + 123;
  damaged[at]! ^= 0x01;
  storage.setFileBytes(name, damaged);
  const err = await assertRejects(() => Journal.open("m", { storage }), JournalCorruptionError);
  assertStringIncludes(err.message, "valid records follow it");
  assert(err.offsetBytes <= at && at - err.offsetBytes < 1200, `offset ${err.offsetBytes}`);
});
