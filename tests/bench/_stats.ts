/**
 * What the benchmarks share: percentiles, a batch timer for sub-microsecond
 * cases, the row every figure becomes, and the child-process helpers.
 *
 * A {@linkcode Row} is one figure beside its floor (a measurement in the same
 * run of the least any implementation has to do) and the ratio between the
 * two. The ratio is always a cost: how many times the figure's time (or the
 * inverse of its rate) exceeds the floor's, so lower is better and 1.0 means
 * "as fast as the floor" whatever the unit.
 *
 * @module
 */

import v8 from "node:v8";
import { freePorts } from "../../lib/testing/ports.ts";

/**
 * Unit of a figure; `ns`/`us`/`ms` are times (lower is better), `/s` is a rate, `B` bytes (lower
 * is better).
 */
export type Unit = "ns" | "us" | "ms" | "/s" | "MB/s" | "B";

/** A target: a bound on the figure itself or on its ratio to the floor. */
export interface Target {
  readonly on: "figure" | "ratio";
  readonly max?: number;
  readonly min?: number;
}

/** One line of the report. */
export interface Row {
  readonly section: string;
  readonly figure: string;
  /** The figure; NaN when it could not be measured (see `note`). */
  readonly value: number;
  readonly unit: Unit;
  readonly floorName?: string;
  readonly floorValue?: number;
  /** Cost relative to the floor (see the module doc). */
  readonly ratio?: number;
  readonly target?: Target;
  /** Whether the target holds; undefined without a target or a value. */
  readonly pass?: boolean;
  readonly note?: string;
}

/** Builds a row, computing the ratio and whether the target holds. */
export function row(
  r: Omit<Row, "ratio" | "pass">,
): Row {
  let ratio: number | undefined;
  if (r.floorValue !== undefined && Number.isFinite(r.value) && r.floorValue > 0) {
    ratio = r.unit === "/s" || r.unit === "MB/s" ? r.floorValue / r.value : r.value / r.floorValue;
  }
  let pass: boolean | undefined;
  const t = r.target;
  if (t !== undefined) {
    const v = t.on === "figure" ? r.value : ratio;
    if (v !== undefined && Number.isFinite(v)) {
      pass = (t.max === undefined || v <= t.max) && (t.min === undefined || v >= t.min);
    }
  }
  return {
    ...r,
    ...(ratio !== undefined ? { ratio } : {}),
    ...(pass !== undefined ? { pass } : {}),
  };
}

/** A row for a figure that could not be measured, with the reason. */
export function failedRow(
  section: string,
  figure: string,
  unit: Unit,
  reason: string,
  target?: Target,
): Row {
  return { section, figure, value: NaN, unit, note: reason, ...(target ? { target } : {}) };
}

/** The `p` quantile (0..1) of ascending `sorted`, nearest rank. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(sorted.length * p) - 1));
  return sorted[i]!;
}

/** Median of `values` (not necessarily sorted). */
export function median(values: readonly number[]): number {
  return percentile([...values].sort((a, b) => a - b), 0.5);
}

/**
 * A named synchronous case timed in batches. `run(n)` does the work `n` times
 * with the loop written inside the case, so V8 optimises each case on its own
 * (one shared loop calling many closures makes its call site megamorphic and
 * the figures depend on which cases ran before).
 */
export interface BenchCase {
  readonly name: string;
  readonly run: (n: number) => void;
}

/**
 * Times `cases` interleaved: each round runs one batch of every case in turn
 * (so a noisy moment hits all of them alike) and records ns per call; the
 * result is the median over `rounds` rounds. Before that, warm-up rounds run
 * until every case has run for `warmupMs` (V8 tiers a hot function up to its
 * optimising compiler only after a few hundred milliseconds; measuring earlier
 * measures the baseline tiers). The batch size of each case is calibrated to
 * take about `batchMs`.
 */
export function timeInterleaved(
  cases: readonly BenchCase[],
  { rounds = 25, batchMs = 4, warmupMs = 300 }: {
    rounds?: number;
    batchMs?: number;
    warmupMs?: number;
  } = {},
): Map<string, number> {
  const calibrate = (c: BenchCase): number => {
    let n = 1;
    while (true) {
      const t0 = performance.now();
      c.run(n);
      const ms = performance.now() - t0;
      if (ms >= batchMs / 4 || n >= 1 << 24) return Math.max(1, Math.round(n * batchMs / ms));
      n *= 4;
    }
  };
  let sizes = cases.map(calibrate);
  const batch = (k: number): number => {
    const n = sizes[k]!;
    const t0 = performance.now();
    cases[k]!.run(n);
    return (performance.now() - t0) * 1e6 / n;
  };
  const warm = cases.map(() => 0);
  while (warm.some((ms) => ms < warmupMs)) {
    cases.forEach((_, k) => {
      if (warm[k]! < warmupMs) warm[k]! += batch(k) * sizes[k]! / 1e6;
    });
  }
  sizes = cases.map(calibrate); // the warm code is faster: batches of about batchMs again
  const samples = cases.map((): number[] => []);
  for (let r = 0; r < rounds; r++) {
    cases.forEach((_, k) => samples[k]!.push(batch(k)));
  }
  return new Map(cases.map((c, k) => [c.name, median(samples[k]!)]));
}

/** A child `deno run -A` process and the first line it printed. */
export interface Child extends AsyncDisposable {
  readonly process: Deno.ChildProcess;
  /** The first line of the child's stdout (it prints its port there). */
  readonly firstLine: string;
  /** The lines it printed after the first, the last {@linkcode CHILD_LINES_KEPT} of them. */
  readonly lines: readonly string[];
}

/** How many stdout lines after the first a {@linkcode Child} keeps. */
export const CHILD_LINES_KEPT = 10_000;

/**
 * V8's count of bytes allocated on the JavaScript heap since the process started (young and old
 * generation, large objects; not ArrayBuffer contents, which live outside the heap). It is
 * updated as allocation buffers are handed out, so it is exact only to a few hundred KB: take
 * differences over megabytes of allocation.
 */
export function heapAllocatedBytes(): number {
  // present in Deno 2.x's V8 statistics, not yet in its Node type definitions
  const stats = v8.getHeapStatistics() as { total_allocated_bytes?: number };
  const bytes = stats.total_allocated_bytes;
  if (bytes === undefined) {
    throw new Error("Cannot count allocated bytes: V8 reports no total_allocated_bytes");
  }
  return bytes;
}

/**
 * Spawns `deno run -A script args…` and waits for its first stdout line
 * (a child prints its port, or "ready"); the rest of stdout is discarded.
 * Disposing kills it with SIGKILL and waits for it.
 */
export async function spawnChild(script: string, args: readonly string[]): Promise<Child> {
  const process = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", script, ...args],
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = process.stdout.getReader();
  let text = "";
  const dec = new TextDecoder();
  try {
    while (!text.includes("\n")) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`Cannot start ${script} ${args.join(" ")}: it exited`);
      text += dec.decode(value, { stream: true });
    }
  } catch (e) {
    try {
      process.kill("SIGKILL");
    } catch { /* gone */ }
    await process.status;
    throw e;
  }
  // Keep draining so the child never blocks on a full pipe; keep its lines.
  const lines: string[] = [];
  let rest = text.slice(text.indexOf("\n") + 1);
  const keep = (final: boolean) => {
    const parts = rest.split("\n");
    rest = final ? "" : parts.pop()!;
    for (const line of parts) if (line.trim() !== "") lines.push(line.trim());
    if (lines.length > CHILD_LINES_KEPT) lines.splice(0, lines.length - CHILD_LINES_KEPT);
  };
  keep(false);
  (async () => {
    try {
      for (let r = await reader.read(); !r.done; r = await reader.read()) {
        rest += dec.decode(r.value, { stream: true });
        keep(false);
      }
      keep(true);
    } catch { /* killed */ }
  })();
  return {
    process,
    firstLine: text.slice(0, text.indexOf("\n")).trim(),
    lines,
    async [Symbol.asyncDispose]() {
      try {
        process.kill("SIGKILL");
      } catch { /* already gone */ }
      await process.status;
    },
  };
}

/** `n` free loopback ports below the ephemeral range (see `lib/testing/ports.ts`). */
export { freePorts };

/** Resolves after `ms` (the bench scripts only, for pacing children; never in tests). */
export function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Rejects with `what` timed out when `p` does not settle within `ms`. */
export async function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`Timed out after ${ms} ms: ${what}`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Round trips each round-trip subject runs, unrecorded, before its first measured one. V8 tiers
 * the per-message functions up to its optimising compiler only after thousands of calls, and
 * the compilations run on background threads that compete for the same two cores: measured
 * after 500 round trips, a Tandem acceptor allocated 9.8 KB per round trip instead of 4.1 and
 * the journal-off p99 was 818 µs instead of 138–168 (p50 90 µs instead of 68–78). From about
 * 3,000 on the figures no longer move (5,000 and 10,000 gave the same within the run-to-run
 * noise), so the benchmarks measure the steady state, as issue 14 defines them.
 */
export const WARMUP_ROUND_TRIPS = 5000;

/**
 * The floor of a round trip: writes `payload`, reads the same number of bytes
 * back from a raw echo or relay, `n` times, pushing each time in ms to `out`.
 */
export async function rawRoundTrips(
  conn: Deno.Conn,
  payload: Uint8Array,
  n: number,
  out: number[],
  peer: string,
): Promise<void> {
  const buf = new Uint8Array(65536);
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    for (let o = 0; o < payload.length;) o += await conn.write(payload.subarray(o));
    let got = 0;
    while (got < payload.length) {
      const r = await conn.read(buf);
      if (r === null) throw new Error(`${peer} closed the connection`);
      got += r;
    }
    out.push(performance.now() - t0);
  }
}
