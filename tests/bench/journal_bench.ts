/**
 * Journal benchmark, 200-byte payloads (248 bytes on disk), each figure
 * beside a floor measured in the same run on the same disk:
 *
 * - append throughput, policy `none`, 1000 records per event-loop turn, vs
 *   raw `writeSync` of the same bytes 1000 records per call;
 * - durable throughput, policy `always` (group commit), 64 records per batch
 *   and 4 batches in flight like a busy session runner, vs raw `writeSync` of
 *   the same records with one `fdatasync` per group of the size the journal
 *   formed (the same I/O without a journal);
 *   also with 1024 per batch, for the shape of the curve;
 * - append-to-durable latency p50/p99, policy `always`, one record at a time,
 *   vs a lone `write` + `fdatasync` of 248 bytes to a file beside it, sampled
 *   in alternating blocks of {@linkcode LATENCY_BLOCK} (the tail of both is
 *   the disk's and the machine's: measured apart, minutes apart, the two p99s
 *   compared different moments of the disk, not the journal);
 * - index rebuild rate on open, vs reading the same segment files with
 *   `readSync` into a 1 MiB buffer;
 * - CRC-32C, slicing-by-16 vs bytewise (why the table-driven one is used).
 *
 * Run alone: `./denow run -A tests/bench/journal_bench.ts [--records N]`
 * (`JOURNAL_BENCH_DIR` picks the directory; default: the system temp dir).
 * `deno task bench` calls {@linkcode runJournalBench}.
 *
 * @module
 */

import { crc32c, crc32cBytewise } from "../../lib/journal/crc32c.ts";
import { Journal, RecordKind } from "../../lib/journal/mod.ts";
import { percentile } from "./_stats.ts";

const PAYLOAD_BYTES = 200;
const RECORD_BYTES = 248;
const BATCH = 1000;
const WINDOW = 4;
/** Samples per block of the interleaved append-to-durable and fdatasync latencies. */
const LATENCY_BLOCK = 50;
const LATENCY_SAMPLES = 1000;
const payload = new Uint8Array(PAYLOAD_BYTES).fill(0x41);

/** Figures of one run (rates in records per second, times in milliseconds). */
export interface JournalFigures {
  readonly records: number;
  readonly crc32cMBps: number;
  readonly crc32cBytewiseMBps: number;
  readonly rawWriteSyncPerS: number;
  readonly appendNonePerS: number;
  readonly rawReadPerS: number;
  readonly rebuildPerS: number;
  readonly fdatasyncMs: { readonly p50: number; readonly p99: number };
  readonly rawGroupSyncPerS: number;
  readonly durablePerS: { readonly batch64: number; readonly batch1024: number };
  readonly syncsPerBatch64Run: number;
  readonly appendToDurableMs: { readonly p50: number; readonly p99: number };
}

/** Options for {@linkcode runJournalBench}. */
export interface JournalBenchOptions {
  /** Records appended for the throughput and rebuild figures. Default 1,000,000. */
  readonly records?: number;
  /** Parent of the temporary directory. Default the system temp dir. */
  readonly dir?: string;
}

function crcFigures(): { fast: number; slow: number } {
  const rec = new Uint8Array(RECORD_BYTES).map((_, i) => i);
  const n = 200_000;
  let x = 0;
  for (let i = 0; i < 20_000; i++) x ^= crc32c(rec) ^ crc32cBytewise(rec); // warm-up
  let t = performance.now();
  for (let i = 0; i < n; i++) x ^= crc32c(rec);
  const fast = (n * rec.length) / ((performance.now() - t) / 1000) / 1e6;
  t = performance.now();
  for (let i = 0; i < n; i++) x ^= crc32cBytewise(rec);
  const slow = (n * rec.length) / ((performance.now() - t) / 1000) / 1e6;
  if (x === 0.5) console.log(x);
  return { fast, slow };
}

function append(journal: Journal, sessionId: number, seqNum: number): number {
  return journal.append({
    kind: RecordKind.Outbound,
    sessionId,
    seqNum,
    timestampMs: 1_700_000_000_000,
    payload,
  });
}

/** Runs every journal figure in a fresh temporary directory, removed afterwards. */
export async function runJournalBench(options: JournalBenchOptions = {}): Promise<JournalFigures> {
  const records = options.records ?? 1_000_000;
  const crc = crcFigures();
  const dir = await Deno.makeTempDir({
    prefix: "tandem-journal-bench-",
    ...(options.dir ? { dir: options.dir } : {}),
  });
  try {
    // Append, policy none, and its floor.
    let rawWriteSyncPerS: number;
    {
      using file = await Deno.open(`${dir}/raw`, { write: true, create: true });
      const chunk = new Uint8Array(RECORD_BYTES * BATCH);
      const t = performance.now();
      for (let i = 0; i < records; i += BATCH) file.writeSync(chunk);
      rawWriteSyncPerS = records / ((performance.now() - t) / 1000);
    }
    await Deno.remove(`${dir}/raw`);
    let appendNonePerS: number;
    {
      await using journal = await Journal.open(`${dir}/none`, { syncPolicy: "none" });
      const s = journal.defineSession("FIX.4.4:BENCH->PEER");
      const t = performance.now();
      for (let i = 1; i <= records; i += BATCH) {
        for (let k = 0; k < BATCH; k++) append(journal, s, i + k);
        // the turn's write runs one microtask after its first append: one write per batch
        await Promise.resolve();
        await Promise.resolve();
      }
      await journal.durable(journal.lastIndex);
      appendNonePerS = records / ((performance.now() - t) / 1000);
    }
    // Rebuild on open, and reading the same files raw.
    let rawReadPerS: number;
    {
      const buf = new Uint8Array(1 << 20);
      const t = performance.now();
      for await (const e of Deno.readDir(`${dir}/none`)) {
        if (!e.isFile) continue;
        using f = await Deno.open(`${dir}/none/${e.name}`);
        while (f.readSync(buf) !== null) { /* read through */ }
      }
      rawReadPerS = records / ((performance.now() - t) / 1000);
    }
    let rebuildPerS: number;
    {
      const t = performance.now();
      await using journal = await Journal.open(`${dir}/none`, { syncPolicy: "none" });
      rebuildPerS = journal.lastIndex / ((performance.now() - t) / 1000);
    }
    await Deno.remove(`${dir}/none`, { recursive: true });

    const durable: Record<number, number> = {};
    let syncs64 = 0;
    for (const perBatch of [64, 1024]) {
      await using journal = await Journal.open(`${dir}/always-${perBatch}`, {
        syncPolicy: "always",
      });
      const s = journal.defineSession("FIX.4.4:BENCH->PEER");
      const total = Math.min(records, perBatch === 64 ? 100_000 : 300_000);
      const syncsBefore = journal.stats.syncs;
      const inFlight: number[] = [];
      const t = performance.now();
      for (let i = 1; i <= total; i += perBatch) {
        for (let k = 0; k < perBatch; k++) append(journal, s, i + k);
        // Pipelined like a session runner: at most WINDOW batches in flight.
        inFlight.push(journal.lastIndex);
        if (inFlight.length > WINDOW) await journal.durable(inFlight.shift()!);
      }
      await journal.durable(journal.lastIndex);
      durable[perBatch] = total / ((performance.now() - t) / 1000);
      if (perBatch === 64) syncs64 = journal.stats.syncs - syncsBefore;
    }

    // Append-to-durable latency, one record at a time, in blocks alternating with its
    // floor: one write of a record then fdatasync, to a file in the same directory.
    const latencies: number[] = [];
    const syncTimes: number[] = [];
    {
      await using journal = await Journal.open(`${dir}/latency`, { syncPolicy: "always" });
      const s = journal.defineSession("FIX.4.4:BENCH->PEER");
      await journal.durable(journal.lastIndex);
      using file = await Deno.open(`${dir}/latency-raw`, { write: true, create: true });
      const one = new Uint8Array(RECORD_BYTES);
      let seqNum = 0;
      for (let done = 0; done < LATENCY_SAMPLES; done += LATENCY_BLOCK) {
        for (let i = 0; i < LATENCY_BLOCK; i++) {
          const t = performance.now();
          await journal.durable(append(journal, s, ++seqNum));
          latencies.push(performance.now() - t);
        }
        for (let i = 0; i < LATENCY_BLOCK; i++) {
          const t = performance.now();
          file.writeSync(one);
          await file.syncData();
          syncTimes.push(performance.now() - t);
        }
      }
    }
    latencies.sort((a, b) => a - b);
    syncTimes.sort((a, b) => a - b);

    // Group-commit floor: the same records written raw in the groups the journal
    // formed (records per sync of the 64-per-batch run), one fdatasync per group.
    let rawGroupSyncPerS: number;
    {
      const total = Math.min(records, 100_000);
      const perSync = Math.max(1, Math.round(total / Math.max(1, syncs64)));
      using file = await Deno.open(`${dir}/group`, { write: true, create: true });
      const group = new Uint8Array(RECORD_BYTES * perSync);
      const t = performance.now();
      for (let i = 0; i < total; i += perSync) {
        file.writeSync(group);
        await file.syncData();
      }
      rawGroupSyncPerS = total / ((performance.now() - t) / 1000);
    }
    return {
      records,
      crc32cMBps: crc.fast,
      crc32cBytewiseMBps: crc.slow,
      rawWriteSyncPerS,
      appendNonePerS,
      rawReadPerS,
      rebuildPerS,
      fdatasyncMs: { p50: percentile(syncTimes, 0.5), p99: percentile(syncTimes, 0.99) },
      rawGroupSyncPerS,
      durablePerS: { batch64: durable[64]!, batch1024: durable[1024]! },
      syncsPerBatch64Run: syncs64,
      appendToDurableMs: { p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99) },
    };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

if (import.meta.main) {
  const i = Deno.args.indexOf("--records");
  const dir = Deno.env.get("JOURNAL_BENCH_DIR");
  const f = await runJournalBench({
    ...(i >= 0 ? { records: Number(Deno.args[i + 1]) } : {}),
    ...(dir ? { dir } : {}),
  });
  const k = (n: number) => n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : `${(n / 1e3).toFixed(1)}k`;
  console.log(
    `crc32c: ${f.crc32cMBps.toFixed(0)} MB/s, bytewise ${f.crc32cBytewiseMBps.toFixed(0)}`,
  );
  console.log(`append none: ${k(f.appendNonePerS)}/s (raw writeSync ${k(f.rawWriteSyncPerS)}/s)`);
  console.log(
    `durable always, 64/batch: ${k(f.durablePerS.batch64)}/s, 1024/batch: ${
      k(f.durablePerS.batch1024)
    }/s (raw write+fdatasync per group: ${k(f.rawGroupSyncPerS)}/s)`,
  );
  console.log(
    `append-to-durable: p50 ${f.appendToDurableMs.p50.toFixed(3)} ms, p99 ${
      f.appendToDurableMs.p99.toFixed(3)
    } ms (write+fdatasync p50 ${f.fdatasyncMs.p50.toFixed(3)} p99 ${f.fdatasyncMs.p99.toFixed(3)})`,
  );
  console.log(`rebuild: ${k(f.rebuildPerS)}/s (raw read ${k(f.rawReadPerS)}/s)`);
}
