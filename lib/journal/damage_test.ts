/**
 * Damage tests: truncate, corrupt, zero-fill and extend segment files at
 * random offsets, then open. Open must either recover a torn tail (reporting
 * it) or fail with a JournalCorruptionError that names the damaged place —
 * and whatever it returns must be exactly what was written.
 */
import { assert, assertEquals, fail } from "../testing/assert.ts";
import { Journal } from "./journal.ts";
import { JournalCorruptionError } from "./errors.ts";
import { FileStorage } from "./file_storage.ts";
import { MemoryStorage } from "./memory_storage.ts";
import { type JournalRecord, RecordKind } from "./record.ts";
import type { JournalStorage } from "./storage.ts";
import { fixPayload } from "./_test_util.ts";
import { CHECKPOINT_FILE } from "./_checkpoint.ts";

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

interface Reference {
  files: Map<string, Uint8Array>;
  names: string[];
  records: JournalRecord[];
}

async function buildReference(): Promise<Reference> {
  const storage = new MemoryStorage();
  const records: JournalRecord[] = [];
  {
    await using journal = await Journal.open("ref", {
      storage,
      syncPolicy: "none",
      segmentSizeBytes: 2048,
    });
    const a = journal.defineSession("FIX.4.4:A->B");
    const b = journal.defineSession("FIX.4.2:C->D");
    for (let i = 1; i <= 50; i++) {
      journal.append({
        kind: i % 3 === 0 ? RecordKind.Inbound : RecordKind.Outbound,
        sessionId: i % 2 === 0 ? a : b,
        seqNum: i,
        timestampMs: 1_700_000_000_000 + i,
        payload: fixPayload(i, (i * 37) % 180),
      });
      if (i === 25) {
        journal.setSequenceNumbers(a, { nextSenderSeqNum: 90, nextTargetSeqNum: 80, reason: "x" });
      }
    }
    for (let i = 1; i <= journal.lastIndex; i++) records.push(journal.read(i)!);
  }
  // Segments and snapshot only: these trials damage segment files as if the checkpoint
  // (journal.checkpoint) were from an earlier roll; checkpoint_test.ts covers the checkpoint.
  storage.remove(CHECKPOINT_FILE);
  const names = storage.list().sort();
  return { files: new Map(names.map((n) => [n, storage.fileBytes(n)])), names, records };
}

async function expectedSessions(records: JournalRecord[], lastIndex: number) {
  await using replay = await Journal.open("replay", {
    storage: new MemoryStorage(),
    syncPolicy: "none",
  });
  for (const r of records.slice(0, lastIndex)) replay.appendReplicated(r);
  return replay.sessions();
}

type Damage =
  | { kind: "truncate"; file: string; at: number }
  | { kind: "flip"; file: string; at: number; mask: number }
  | { kind: "zero-tail"; file: string; at: number }
  | { kind: "garbage-tail"; file: string; bytes: Uint8Array };

function pickDamage(rand: () => number, ref: Reference): Damage {
  // Half the trials hit the newest segment, where torn tails live.
  const file = rand() < 0.5 ? ref.names.at(-1)! : ref.names[Math.floor(rand() * ref.names.length)]!;
  const size = ref.files.get(file)!.length;
  const at = Math.floor(rand() * size);
  const r = rand();
  if (r < 0.35) return { kind: "truncate", file, at };
  if (r < 0.8) return { kind: "flip", file, at, mask: 1 + Math.floor(rand() * 255) };
  if (r < 0.9) return { kind: "zero-tail", file, at };
  const garbage = Uint8Array.from(
    { length: 1 + Math.floor(rand() * 300) },
    () => Math.floor(rand() * 256),
  );
  return { kind: "garbage-tail", file: ref.names.at(-1)!, bytes: garbage };
}

function applyDamage(original: Uint8Array, d: Damage): Uint8Array {
  switch (d.kind) {
    case "truncate":
      return original.slice(0, d.at);
    case "flip": {
      const b = original.slice();
      b[d.at] = b[d.at]! ^ d.mask;
      return b;
    }
    case "zero-tail": {
      const b = original.slice();
      b.fill(0, d.at);
      return b;
    }
    case "garbage-tail": {
      const b = new Uint8Array(original.length + d.bytes.length);
      b.set(original);
      b.set(d.bytes, original.length);
      return b;
    }
    default: {
      const never: never = d;
      throw new Error(`unknown damage ${JSON.stringify(never)}`);
    }
  }
}

/** Opens the damaged journal and checks the outcome; returns "recovered", "intact" or "corrupt". */
async function openAndCheck(
  storage: JournalStorage,
  ref: Reference,
  d: Damage,
  location: string,
): Promise<string> {
  const what = JSON.stringify({ ...d, bytes: undefined });
  const original = ref.files.get(d.file)!;
  const damaged = applyDamage(original, d);
  let firstChanged = Math.min(original.length, damaged.length);
  for (let i = 0; i < firstChanged; i++) {
    if (original[i] !== damaged[i]) {
      firstChanged = i;
      break;
    }
  }
  let journal: Journal;
  try {
    journal = await Journal.open(location, { storage, syncPolicy: "none" });
  } catch (err) {
    if (!(err instanceof JournalCorruptionError)) throw err;
    const name = err.file.slice(err.file.lastIndexOf("/") + 1);
    assert(ref.names.includes(name), `${what}: error names ${err.file}`);
    if (name === d.file) {
      assert(
        err.offsetBytes <= firstChanged,
        `${what}: error at ${err.offsetBytes}, after the damage`,
      );
    } else {
      // Only a cut at a record boundary of an older segment blames the next file (a gap).
      assert(
        d.kind === "truncate" || d.kind === "zero-tail",
        `${what}: blames ${name}: ${err.message}`,
      );
    }
    return "corrupt";
  }
  try {
    const n = journal.lastIndex;
    assert(n <= ref.records.length, `${what}: more records than written`);
    for (let i = 1; i <= n; i++) {
      assertEquals(journal.read(i), ref.records[i - 1], `${what}: record ${i} differs`);
    }
    // A cut exactly at a record boundary of the newest segment leaves a clean, shorter journal.
    const cleanCut = d.kind === "truncate" && d.file === ref.names.at(-1) &&
      journal.recovered.length === 0;
    if (n < ref.records.length && !cleanCut) {
      assert(
        journal.recovered.length > 0,
        `${what}: ${ref.records.length - n} records dropped silently`,
      );
      assertEquals(
        journal.recovered[0]!.file.endsWith(d.file),
        true,
        `${what}: recovered another file`,
      );
    }
    assertEquals(
      journal.sessions(),
      await expectedSessions(ref.records, n),
      `${what}: state differs`,
    );
    // The recovered journal takes appends and reopens cleanly.
    journal.audit("after recovery");
    await journal.close();
    await using again = await Journal.open(location, { storage, syncPolicy: "none" });
    assertEquals(again.recovered, [], `${what}: a second recovery was needed`);
    assertEquals(again.lastIndex, n + 1);
    return n < ref.records.length ? "recovered" : "intact";
  } finally {
    await journal.close();
  }
}

const SEED = Number(Deno.env.get("JOURNAL_DAMAGE_SEED") ?? 20261124);

Deno.test("Journal.open() on 1,200 randomly damaged in-memory journals recovers a torn tail or names the corruption, never returning wrong data", async () => {
  const ref = await buildReference();
  assert(ref.names.length >= 4, "the reference spans several segments");
  const rand = mulberry32(SEED);
  const outcomes: Record<string, number> = {};
  for (let trial = 0; trial < 1200; trial++) {
    const d = pickDamage(rand, ref);
    const storage = new MemoryStorage();
    for (const [name, bytes] of ref.files) {
      storage.setFileBytes(name, name === d.file ? applyDamage(bytes, d) : bytes);
    }
    try {
      const outcome = await openAndCheck(storage, ref, d, "mem");
      outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
    } catch (err) {
      fail(`seed ${SEED} trial ${trial}: ${(err as Error).message}`);
    }
  }
  // Every kind of outcome happened, so the test exercises all paths.
  assert((outcomes.corrupt ?? 0) > 100, JSON.stringify(outcomes));
  assert((outcomes.recovered ?? 0) > 100, JSON.stringify(outcomes));
  assert((outcomes.intact ?? 0) > 10, JSON.stringify(outcomes));
});

Deno.test("Journal.open() on 200 randomly damaged journals in real files recovers or names the corruption", async () => {
  const ref = await buildReference();
  const rand = mulberry32(SEED + 1);
  const root = await Deno.makeTempDir({ prefix: "tandem-damage-" });
  try {
    const outcomes: Record<string, number> = {};
    for (let trial = 0; trial < 200; trial++) {
      const d = pickDamage(rand, ref);
      const dir = `${root}/${trial}`;
      await Deno.mkdir(dir);
      for (const [name, bytes] of ref.files) {
        await Deno.writeFile(`${dir}/${name}`, name === d.file ? applyDamage(bytes, d) : bytes);
      }
      try {
        const outcome = await openAndCheck(new FileStorage(dir), ref, d, dir);
        outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
      } catch (err) {
        fail(`seed ${SEED + 1} trial ${trial}: ${(err as Error).message}`);
      }
      await Deno.remove(dir, { recursive: true });
    }
    assert(
      (outcomes.corrupt ?? 0) > 10 && (outcomes.recovered ?? 0) > 10,
      JSON.stringify(outcomes),
    );
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
