/**
 * Journal benchmark: prints figures, each beside a floor measured in the same
 * run on the same disk.
 *
 * - CRC-32C throughput, slicing-by-8 vs bytewise (why slicing-by-8 is used).
 * - Append throughput, policy `none`, 200-byte payloads (248 bytes on disk),
 *   vs raw coalesced `writeSync` of the same bytes.
 * - Durable throughput, policy `always` (group commit), vs one `fdatasync`.
 * - Append-to-durable latency p50/p99 under `always`, one record at a time
 *   and with 64 records per turn.
 * - Index rebuild rate on open.
 *
 * Run: `./denow run -A tests/bench/journal_bench.ts [--records N]`
 * (`JOURNAL_BENCH_DIR` picks the directory; default: the system temp dir).
 *
 * @module
 */

import { crc32c, crc32cBytewise } from "../../lib/journal/crc32c.ts";
import { Journal, RecordKind } from "../../lib/journal/mod.ts";

const PAYLOAD_BYTES = 200;
const argIndex = Deno.args.indexOf("--records");
const RECORDS = argIndex >= 0 ? Number(Deno.args[argIndex + 1]) : 1_000_000;
const BATCH = 1000;
const WINDOW = 4;

const payload = new Uint8Array(PAYLOAD_BYTES).fill(0x41);
const baseDir = Deno.env.get("JOURNAL_BENCH_DIR");

function fmt(n: number): string {
  return n >= 1e6
    ? `${(n / 1e6).toFixed(2)}M`
    : n >= 1e3
    ? `${(n / 1e3).toFixed(1)}k`
    : n.toFixed(0);
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
}

async function tempDir(): Promise<string> {
  return await Deno.makeTempDir({
    prefix: "tandem-journal-bench-",
    ...(baseDir ? { dir: baseDir } : {}),
  });
}

const results: string[] = [];
function report(line: string): void {
  results.push(line);
  console.log(line);
}

// 1. CRC-32C.
{
  const rec = new Uint8Array(248).map((_, i) => i);
  const n = 400_000;
  let x = 0;
  for (let i = 0; i < 20_000; i++) x ^= crc32c(rec) ^ crc32cBytewise(rec); // warm-up
  let t = performance.now();
  for (let i = 0; i < n; i++) x ^= crc32c(rec);
  const fast = (n * rec.length) / ((performance.now() - t) / 1000);
  t = performance.now();
  for (let i = 0; i < n; i++) x ^= crc32cBytewise(rec);
  const slow = (n * rec.length) / ((performance.now() - t) / 1000);
  report(
    `crc32c 248-byte records: slicing-by-16 ${(fast / 1e6).toFixed(0)} MB/s, bytewise ${
      (slow / 1e6).toFixed(0)
    } MB/s (x${(fast / slow).toFixed(1)})${x === 0.5 ? "" : ""}`,
  );
}

// 2. Append throughput, policy none, and the raw writeSync floor.
const dir = await tempDir();
try {
  {
    const file = await Deno.open(`${dir}/raw`, { write: true, create: true });
    const chunk = new Uint8Array(248 * BATCH);
    const t = performance.now();
    for (let i = 0; i < RECORDS; i += BATCH) file.writeSync(chunk);
    const s = (performance.now() - t) / 1000;
    file.close();
    await Deno.remove(`${dir}/raw`);
    report(`floor: raw writeSync of ${BATCH} x 248 bytes per call: ${fmt(RECORDS / s)} records/s`);
  }
  {
    await using journal = await Journal.open(`${dir}/none`, { syncPolicy: "none" });
    const s = journal.defineSession("FIX.4.4:BENCH->PEER");
    const t = performance.now();
    for (let i = 1; i <= RECORDS; i += BATCH) {
      for (let k = 0; k < BATCH; k++) {
        journal.append({
          kind: RecordKind.Outbound,
          sessionId: s,
          seqNum: i + k,
          timestampMs: 1_700_000_000_000,
          payload,
        });
      }
      await Promise.resolve();
    }
    await journal.durable(journal.lastIndex);
    const sec = (performance.now() - t) / 1000;
    report(
      `append, policy none, ${PAYLOAD_BYTES}-byte payloads, ${BATCH} per turn: ${
        fmt(RECORDS / sec)
      } records/s (${journal.stats.segments} segments)`,
    );
  }
  // 5. Rebuild rate on open.
  {
    const t = performance.now();
    await using journal = await Journal.open(`${dir}/none`, { syncPolicy: "none" });
    const sec = (performance.now() - t) / 1000;
    report(
      `index rebuild on open: ${fmt(journal.lastIndex / sec)} records/s (${
        fmt(journal.lastIndex)
      } records, ${(journal.stats.totalBytes / 1e6).toFixed(0)} MB)`,
    );
  }
  await Deno.remove(`${dir}/none`, { recursive: true });

  // 3. fdatasync floor and group-commit throughput.
  {
    const file = await Deno.open(`${dir}/sync`, { write: true, create: true });
    const one = new Uint8Array(248);
    const times: number[] = [];
    for (let i = 0; i < 200; i++) {
      file.writeSync(one);
      const t = performance.now();
      await file.syncData();
      times.push(performance.now() - t);
    }
    file.close();
    times.sort((a, b) => a - b);
    report(
      `floor: write + fdatasync of 248 bytes: p50 ${percentile(times, 0.5).toFixed(3)} ms, p99 ${
        percentile(times, 0.99).toFixed(3)
      } ms`,
    );
  }
  for (const perTurn of [64, 1024]) {
    await using journal = await Journal.open(`${dir}/always-${perTurn}`, { syncPolicy: "always" });
    const s = journal.defineSession("FIX.4.4:BENCH->PEER");
    const total = Math.min(RECORDS, 300_000);
    let done = 0;
    const batchEnds: number[] = [];
    const t = performance.now();
    for (let i = 1; i <= total; i += perTurn) {
      for (let k = 0; k < perTurn; k++) {
        const index = journal.append({
          kind: RecordKind.Outbound,
          sessionId: s,
          seqNum: i + k,
          timestampMs: 1_700_000_000_000,
          payload,
        });
        journal.durable(index).then(() => done++);
      }
      // Pipelined like a session runner: at most WINDOW batches in flight.
      batchEnds.push(journal.lastIndex);
      if (batchEnds.length > WINDOW) await journal.durable(batchEnds.shift()!);
    }
    await journal.durable(journal.lastIndex);
    await Promise.resolve();
    const sec = (performance.now() - t) / 1000;
    report(
      `durable, policy always (group commit), ${perTurn} per batch, ${WINDOW} batches in flight: ${
        fmt(done / sec)
      } records/s, ${journal.stats.syncs} syncs for ${fmt(done)} records`,
    );
  }
  // 4. Latency.
  for (const perTurn of [1, 64]) {
    await using journal = await Journal.open(`${dir}/latency-${perTurn}`, { syncPolicy: "always" });
    const s = journal.defineSession("FIX.4.4:BENCH->PEER");
    const latencies: number[] = [];
    for (let round = 0; round < (perTurn === 1 ? 2000 : 300); round++) {
      const pending: Promise<void>[] = [];
      for (let k = 0; k < perTurn; k++) {
        const t = performance.now();
        const index = journal.append({
          kind: RecordKind.Outbound,
          sessionId: s,
          seqNum: journal.lastIndex + 1,
          timestampMs: 1_700_000_000_000,
          payload,
        });
        pending.push(journal.durable(index).then(() => void latencies.push(performance.now() - t)));
      }
      await Promise.all(pending);
    }
    latencies.sort((a, b) => a - b);
    report(
      `append-to-durable latency, policy always, ${perTurn} per turn: p50 ${
        percentile(latencies, 0.5).toFixed(3)
      } ms, p99 ${percentile(latencies, 0.99).toFixed(3)} ms`,
    );
  }
} finally {
  await Deno.remove(dir, { recursive: true });
}
