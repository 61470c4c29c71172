/**
 * Session benchmarks between two processes on loopback, each beside a raw
 * TCP floor measured in the same run:
 *
 * - round trip NewOrderSingle → first ExecutionReport, measured at a real
 *   Tandem initiator (this process), from just before `send()` to the moment its
 *   application is handed the report, against a Tandem acceptor running the
 *   executor application (a child), both with dictionary validation, journal
 *   off (memory stores), journal on (`JournalSessionStore` over a real journal
 *   with `syncPolicy: none` on both sides, issue 14's definition), and journal
 *   on with `syncPolicy: always` on both sides. Under `always` the session still
 *   sends each message right after its `writeSync`: the `fdatasync` runs beside
 *   the round trip, it is not awaited before the send (only a replication
 *   release gate holds messages back), so that row's floor is the echo too.
 *   Floor: a 200-byte write echoed by a plain Deno TCP echo server in another
 *   process. Each subject first runs {@linkcode WARMUP_ROUND_TRIPS} unrecorded round
 *   trips (the steady state). The subjects are sampled in interleaved blocks so a noisy moment
 *   hits them alike; each block starts with one unrecorded round trip (a
 *   subject's first after the others ran is slow from cold caches, floor
 *   included).
 *   When the interop peer is built (`bash .ci/install_interop.sh`), a fourth
 *   subject in the same blocks: the same initiator against QuickFIX C++ 1.15
 *   as the acceptor (`qfpeer acceptor --threaded --store memory`: a thread
 *   per connection, memory store, dictionary validation, New and Filled
 *   ExecutionReports per order), beside Tandem's acceptor with journal off.
 * - heap bytes allocated per round trip (one NewOrderSingle and its two
 *   ExecutionReports), on each side: V8's cumulative count of bytes
 *   allocated on the JavaScript heap (`total_allocated_bytes` of
 *   `node:v8`'s heap statistics, which garbage collections do not reset)
 *   read before and after each measured block of round trips, summed over
 *   the blocks and divided by their round trips. The initiator reads it in
 *   this process around its blocks; each acceptor child reads it at the
 *   1st and the {@linkcode ALLOCATION_BLOCK}th order of each block of its
 *   orders, so the idle time between blocks is left out, and prints the
 *   differences once the latencies are measured. The counter moves in allocation-buffer steps (up to a few
 *   hundred KB), hence blocks of hundreds of round trips. The raw echo
 *   client's allocation, counted the same way, is the floor. ArrayBuffer
 *   contents are outside the heap and not counted.
 * - one-way throughput of NewOrderSingles, journal on (`none`) at both ends, the
 *   acceptor's application discarding them; the end is marked by a
 *   TestRequest whose Heartbeat comes back after every order was processed.
 *   Floor: the same bytes streamed to a plain Deno process that counts them,
 *   1000 messages per write.
 *
 * Run alone: `./denow run -A tests/bench/session_bench.ts [--samples N]`;
 * `deno task bench` calls {@linkcode runSessionBench}. A child is this file
 * run with `--serve echo|sink|fix …`.
 *
 * @module
 */

import { Acceptor } from "../../lib/engine/acceptor.ts";
import { executorApplication } from "../../lib/engine/executor_application.ts";
import { dictionaryValidator } from "../../lib/engine/validation.ts";
import { JournalSessionStore } from "../../lib/engine/journal_store.ts";
import { Journal, type SyncPolicy } from "../../lib/journal/mod.ts";
import { ACCEPTOR_ID, BenchInitiator, INITIATOR_ID } from "./_bench_initiator.ts";
import { ORDER } from "./codec_bench.ts";
import type { Application } from "../../lib/engine/application.ts";
import { type QfAcceptor, QFPEER_PATH, startQfAcceptor } from "../interop/_peer.ts";
import {
  type Child,
  heapAllocatedBytes,
  median,
  percentile,
  rawRoundTrips,
  spawnChild,
  WARMUP_ROUND_TRIPS,
  within,
} from "./_stats.ts";

const SELF = new URL(import.meta.url).pathname;
const WINDOWS_IN_FLIGHT = 3;
/** Round trips per measured block (and per allocation block of an acceptor child). */
export const ALLOCATION_BLOCK = 250;

/** p50/p99 in microseconds. */
export interface Latency {
  readonly p50: number;
  readonly p99: number;
  readonly samples: number;
}

/** Heap bytes allocated per round trip, see the module doc. */
export interface AllocationFigures {
  readonly initiatorJournalOffBytes: number;
  readonly initiatorJournalOnBytes: number;
  readonly acceptorJournalOffBytes: number;
  readonly acceptorJournalOnBytes: number;
  /** The raw TCP echo client (this process), the floor. */
  readonly echoClientBytes: number;
}

/** Figures of one run. */
export interface SessionFigures {
  /**
   * The round trip against QuickFIX C++ as the acceptor (memory store), or why it was not
   * measured ("peer not installed" when qfpeer is not built).
   */
  readonly quickfixAcceptorUs: Latency | string;
  readonly allocatedPerRoundTrip: AllocationFigures;
  readonly echoUs: Latency;
  readonly journalOffUs: Latency;
  /** Journal on, `syncPolicy: none` on both sides. */
  readonly journalOnUs: Latency;
  /** Journal on, `syncPolicy: always` on both sides (the send does not wait for the sync). */
  readonly journalAlwaysUs: Latency;
  readonly oneWayPerS: number;
  readonly rawOneWayPerS: number;
  /** Rate of the initiator's `send()` calls alone (encode + journal append + queue). */
  readonly initiatorSendPerS: number;
  readonly oneWayOrders: number;
}

/** Options for {@linkcode runSessionBench}. */
export interface SessionBenchOptions {
  /** Round trips per subject (after warm-up). Default 3000. */
  readonly samples?: number;
  /** Orders for the one-way throughput. Default 200,000. */
  readonly orders?: number;
}

/** Latency figures of ascending `ms` samples, in microseconds. */
export function latencyUs(ms: number[]): Latency {
  ms.sort((a, b) => a - b);
  return {
    p50: percentile(ms, 0.5) * 1000,
    p99: percentile(ms, 0.99) * 1000,
    samples: ms.length,
  };
}

// ---- children -------------------------------------------------------------

async function serveEcho(): Promise<void> {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  console.log((listener.addr as Deno.NetAddr).port);
  for await (const conn of listener) {
    conn.setNoDelay(true);
    (async () => {
      const buf = new Uint8Array(65536);
      try {
        for (let n = await conn.read(buf); n !== null; n = await conn.read(buf)) {
          for (let o = 0; o < n;) o += await conn.write(buf.subarray(o, n));
        }
      } catch { /* closed */ }
    })();
  }
}

/** Reads an 8-byte big-endian count, then counts that many bytes and answers one byte. */
async function serveSink(): Promise<void> {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  console.log((listener.addr as Deno.NetAddr).port);
  for await (const conn of listener) {
    (async () => {
      const buf = new Uint8Array(256 * 1024);
      let want = -1;
      let got = 0;
      let head = new Uint8Array(0);
      try {
        for (let n = await conn.read(buf); n !== null; n = await conn.read(buf)) {
          let chunk = buf.subarray(0, n);
          if (want < 0) {
            const h = new Uint8Array(head.length + chunk.length);
            h.set(head);
            h.set(chunk, head.length);
            if (h.length < 8) {
              head = h;
              continue;
            }
            want = Number(new DataView(h.buffer).getBigUint64(0));
            chunk = h.subarray(8);
          }
          got += chunk.length;
          if (got >= want) {
            await conn.write(new Uint8Array([1]));
            want = -1;
            got = 0;
            head = new Uint8Array(0);
          }
        }
      } catch { /* closed */ }
    })();
  }
}

/** ClOrdID of the order that makes an acceptor child print what it counted. */
const ALLOCATION_REPORT_ORDER = "ALLOCATION-REPORT";
/** The line a child prints after its `allocated` lines. */
const ALLOCATION_REPORT_END = '{"allocationReportEnd":true}';

/**
 * `app` that also counts, for each block of {@linkcode ALLOCATION_BLOCK} NewOrderSingles, the
 * heap bytes allocated from the block's first order to its last (N = block − 1 round trips), and
 * prints them as `{"allocated":{"fromOrder":K,"roundTrips":N,"bytes":B}}` lines only when the
 * order {@linkcode ALLOCATION_REPORT_ORDER} arrives, after the measurement: a line printed
 * during a block made its last round trip one of the slowest of the run (p99 went to it).
 */
function countingAllocation(app: Application): Application {
  let orders = 0;
  let startBytes = 0;
  const blocks: number[] = []; // fromOrder, bytes, …
  return {
    onMessage(message, session, context) {
      if (message.msgType === "D" && message.get(11) === ALLOCATION_REPORT_ORDER) {
        const roundTrips = ALLOCATION_BLOCK - 1;
        for (let i = 0; i < blocks.length; i += 2) {
          const [fromOrder, bytes] = [blocks[i], blocks[i + 1]];
          console.log(JSON.stringify({ allocated: { fromOrder, roundTrips, bytes } }));
        }
        blocks.length = 0;
        console.log(ALLOCATION_REPORT_END);
      } else if (message.msgType === "D") {
        orders++;
        const k = orders % ALLOCATION_BLOCK;
        if (k === 1) startBytes = heapAllocatedBytes();
        else if (k === 0) {
          blocks.push(orders - ALLOCATION_BLOCK + 1, heapAllocatedBytes() - startBytes);
        }
      }
      app.onMessage?.(message, session, context);
    },
  };
}

/** Asks the acceptor child behind `b` for its allocation lines and waits until they are in. */
async function collectChildAllocation(b: BenchInitiator, child: Child): Promise<void> {
  b.sendOrder(Date.now(), ALLOCATION_REPORT_ORDER);
  const deadline = Date.now() + 10_000;
  while (!child.lines.includes(ALLOCATION_REPORT_END)) {
    if (Date.now() > deadline) throw new Error("an acceptor child printed no allocation report");
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Per round trip from a child's `allocated` lines, leaving out blocks that start in warm-up. */
function childAllocation(lines: readonly string[]): number {
  let bytes = 0;
  let roundTrips = 0;
  for (const line of lines) {
    if (!line.startsWith('{"allocated"')) continue;
    const a = (JSON.parse(line) as {
      allocated: { fromOrder: number; roundTrips: number; bytes: number };
    }).allocated;
    if (a.fromOrder <= WARMUP_ROUND_TRIPS) continue;
    bytes += a.bytes;
    roundTrips += a.roundTrips;
  }
  return roundTrips === 0 ? NaN : bytes / roundTrips;
}

/**
 * The QuickFIX subject: its acceptor and a benchmark initiator logged on to it, or why there is
 * none (`why` is "" when both run).
 */
async function startQuickfixSubject(dataDir: string): Promise<{
  readonly initiator: BenchInitiator | undefined;
  readonly why: string;
  [Symbol.asyncDispose](): Promise<void>;
}> {
  let acceptor: QfAcceptor | undefined;
  let initiator: BenchInitiator | undefined;
  let why = "";
  if (!existsFile(QFPEER_PATH)) {
    why = "peer not installed: bash .ci/install_interop.sh builds tests/interop/build/qfpeer";
  } else {
    try {
      acceptor = await startQfAcceptor({
        dataDir,
        senderCompId: ACCEPTOR_ID,
        targetCompId: INITIATOR_ID,
        fileLog: false,
        extraArgs: ["--threaded", "--store", "memory"],
      });
      initiator = await BenchInitiator.start({
        addresses: [{ hostname: "127.0.0.1", port: acceptor.port }],
      });
    } catch (e) {
      why = `Cannot start the QuickFIX subject: ${e instanceof Error ? e.message : String(e)}`;
    }
  }
  return {
    initiator,
    why,
    async [Symbol.asyncDispose]() {
      await initiator?.[Symbol.asyncDispose]();
      await acceptor?.kill();
    },
  };
}

function existsFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

/** Heap bytes and round trips counted in this process, per subject. */
class AllocationCount {
  bytes = 0;
  roundTrips = 0;
  get perRoundTrip(): number {
    return this.roundTrips === 0 ? NaN : this.bytes / this.roundTrips;
  }
}

/** A Tandem acceptor for BENCH → EXEC, executor or discarding application. */
async function serveFix(
  journalDir: string | undefined,
  app: string,
  syncPolicy: SyncPolicy,
): Promise<void> {
  const journal = journalDir === undefined ? undefined : await Journal.open(journalDir, {
    syncPolicy,
  });
  const acceptor = new Acceptor({
    sessions: [{
      beginString: "FIX.4.4",
      senderCompId: ACCEPTOR_ID,
      targetCompId: INITIATOR_ID,
      validate: dictionaryValidator("FIX.4.4"),
    }],
    ...(journal ? { store: new JournalSessionStore(journal) } : {}),
    application: app === "executor" ? countingAllocation(executorApplication()) : {},
    maxOutboundBufferedBytes: 256 * 1024 * 1024,
    logger: (level, message) => {
      if (level === "error") console.error(message);
    },
  }).listen();
  console.log(acceptor.port);
  await new Promise(() => {}); // until SIGKILL
}

// ---- measurements ---------------------------------------------------------

async function echoRoundTrips(
  conn: Deno.TcpConn,
  n: number,
  out: number[],
  count?: AllocationCount,
): Promise<void> {
  const before = heapAllocatedBytes();
  await rawRoundTrips(conn, ORDER, n, out, "Echo server");
  if (count !== undefined) {
    count.bytes += heapAllocatedBytes() - before;
    count.roundTrips += n;
  }
}

async function fixRoundTrips(
  b: BenchInitiator,
  n: number,
  out: number[],
  count?: AllocationCount,
): Promise<void> {
  const allocatedBefore = heapAllocatedBytes();
  for (let i = 0; i < n; i++) {
    const before = b.executionReports;
    const t0 = performance.now();
    b.sendOrder();
    // the fill, before the next order; the round trip ends where the first report arrived
    await b.waitFor(() => b.executionReports >= before + 2);
    out.push(b.executionReportAtMs(before + 1) - t0);
  }
  if (count !== undefined) {
    count.bytes += heapAllocatedBytes() - allocatedBefore;
    count.roundTrips += n;
  }
}

async function rawOneWay(port: number, orders: number): Promise<number> {
  using conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const perWrite = 1000;
  const chunk = new Uint8Array(ORDER.length * perWrite);
  for (let k = 0; k < perWrite; k++) chunk.set(ORDER, k * ORDER.length);
  const head = new Uint8Array(8);
  const writes = Math.ceil(orders / perWrite);
  new DataView(head.buffer).setBigUint64(0, BigInt(chunk.length * writes));
  const t0 = performance.now();
  await conn.write(head);
  for (let w = 0; w < writes; w++) {
    for (let o = 0; o < chunk.length;) o += await conn.write(chunk.subarray(o));
  }
  const ack = new Uint8Array(1);
  await conn.read(ack);
  return (writes * perWrite) / ((performance.now() - t0) / 1000);
}

async function fixOneWay(
  b: BenchInitiator,
  orders: number,
): Promise<{ perS: number; sendPerS: number }> {
  // Windows of orders sent in one event-loop turn (the runner coalesces them into
  // one write), each followed by a TestRequest; at most WINDOWS_IN_FLIGHT windows
  // are unanswered. No timers: setTimeout would add its own clamped delays.
  const perWindow = 5000;
  const inFlight: Promise<void>[] = [];
  const t0 = performance.now();
  let window = 0;
  let sendMs = 0;
  for (let sent = 0; sent < orders;) {
    const now = Date.now();
    const s0 = performance.now();
    for (let k = 0; k < perWindow && sent < orders; k++, sent++) b.sendOrder(now);
    sendMs += performance.now() - s0;
    const id = `W${++window}`;
    b.sendTestRequest(id);
    inFlight.push(b.heartbeat(id));
    if (inFlight.length >= WINDOWS_IN_FLIGHT) await inFlight.shift();
  }
  await Promise.all(inFlight);
  return { perS: orders / ((performance.now() - t0) / 1000), sendPerS: orders / (sendMs / 1000) };
}

/** Runs the session figures with children started and killed here. */
export async function runSessionBench(options: SessionBenchOptions = {}): Promise<SessionFigures> {
  const samples = options.samples ?? 3000;
  const orders = options.orders ?? 200_000;
  const dir = await Deno.makeTempDir({ prefix: "tandem-session-bench-" });
  try {
    await using echo = await spawnChild(SELF, ["--serve", "echo"]);
    await using sink = await spawnChild(SELF, ["--serve", "sink"]);
    await using off = await spawnChild(SELF, ["--serve", "fix", "--app", "executor"]);
    await using on = await spawnChild(SELF, [
      "--serve",
      "fix",
      "--app",
      "executor",
      "--journal",
      `${dir}/acceptor-rtt`,
      "--sync",
      "none",
    ]);
    await using onAlways = await spawnChild(SELF, [
      "--serve",
      "fix",
      "--app",
      "executor",
      "--journal",
      `${dir}/acceptor-rtt-always`,
      "--sync",
      "always",
    ]);
    await using flood = await spawnChild(SELF, [
      "--serve",
      "fix",
      "--app",
      "sink",
      "--journal",
      `${dir}/acceptor-flood`,
      "--sync",
      "none",
    ]);
    const at = (c: { firstLine: string }) => [{ hostname: "127.0.0.1", port: Number(c.firstLine) }];
    using echoConn = await Deno.connect({ hostname: "127.0.0.1", port: Number(echo.firstLine) });
    echoConn.setNoDelay(true);
    await using fixOff = await BenchInitiator.start({ addresses: at(off) });
    await using fixOn = await BenchInitiator.start({
      addresses: at(on),
      journalDir: `${dir}/initiator-rtt`,
      journalSyncPolicy: "none",
    });
    await using fixOnAlways = await BenchInitiator.start({
      addresses: at(onAlways),
      journalDir: `${dir}/initiator-rtt-always`,
      journalSyncPolicy: "always",
    });
    await using quickfix = await startQuickfixSubject(`${dir}/quickfix`);

    const echoMs: number[] = [];
    const offMs: number[] = [];
    const onMs: number[] = [];
    const onAlwaysMs: number[] = [];
    const block = ALLOCATION_BLOCK;
    // Warm-up, discarded.
    await echoRoundTrips(echoConn, WARMUP_ROUND_TRIPS, []);
    await fixRoundTrips(fixOff, WARMUP_ROUND_TRIPS, []);
    await fixRoundTrips(fixOn, WARMUP_ROUND_TRIPS, []);
    await fixRoundTrips(fixOnAlways, WARMUP_ROUND_TRIPS, []);
    const qfMs: number[] = [];
    let quickfixAcceptorUs: Latency | string = quickfix.why;
    const qf = quickfix.initiator;
    const qfRoundTrips = async (n: number, out: number[]) => {
      if (qf === undefined) return;
      try {
        await within(fixRoundTrips(qf, n, out), 60_000, "round trips to the QuickFIX acceptor");
      } catch (e) {
        quickfixAcceptorUs = e instanceof Error ? e.message : String(e);
      }
    };
    await qfRoundTrips(WARMUP_ROUND_TRIPS, []);
    const echoAllocation = new AllocationCount();
    const offAllocation = new AllocationCount();
    const onAllocation = new AllocationCount();
    // Each subject's block starts with one unrecorded round trip: its first after the others
    // ran meets cold caches, in the floor as in the engines, and it is an effect of the
    // interleaving, not of a stream of round trips.
    for (let done = 0; done < samples; done += block) {
      await echoRoundTrips(echoConn, 1, []);
      await echoRoundTrips(echoConn, block, echoMs, echoAllocation);
      await fixRoundTrips(fixOff, 1, []);
      await fixRoundTrips(fixOff, block, offMs, offAllocation);
      await fixRoundTrips(fixOn, 1, []);
      await fixRoundTrips(fixOn, block, onMs, onAllocation);
      await fixRoundTrips(fixOnAlways, 1, []);
      await fixRoundTrips(fixOnAlways, block, onAlwaysMs);
      if (quickfixAcceptorUs === "") {
        await qfRoundTrips(1, []);
        await qfRoundTrips(block, qfMs);
      }
    }
    await collectChildAllocation(fixOff, off);
    await collectChildAllocation(fixOn, on);
    if (quickfixAcceptorUs === "") quickfixAcceptorUs = latencyUs(qfMs);
    const allocatedPerRoundTrip: AllocationFigures = {
      initiatorJournalOffBytes: offAllocation.perRoundTrip,
      initiatorJournalOnBytes: onAllocation.perRoundTrip,
      acceptorJournalOffBytes: childAllocation(off.lines),
      acceptorJournalOnBytes: childAllocation(on.lines),
      echoClientBytes: echoAllocation.perRoundTrip,
    };

    await using fixFlood = await BenchInitiator.start({
      addresses: at(flood),
      journalDir: `${dir}/initiator-flood`,
      journalSyncPolicy: "none",
    });
    await fixOneWay(fixFlood, Math.min(orders, 20_000)); // warm-up
    await rawOneWay(Number(sink.firstLine), Math.min(orders, 20_000));
    const oneWay: { perS: number; sendPerS: number }[] = [];
    const raw: number[] = [];
    for (let r = 0; r < 5; r++) {
      raw.push(await rawOneWay(Number(sink.firstLine), orders));
      oneWay.push(await within(fixOneWay(fixFlood, orders), 60_000, "one-way orders"));
    }
    return {
      quickfixAcceptorUs,
      allocatedPerRoundTrip,
      echoUs: latencyUs(echoMs),
      journalOffUs: latencyUs(offMs),
      journalOnUs: latencyUs(onMs),
      journalAlwaysUs: latencyUs(onAlwaysMs),
      oneWayPerS: median(oneWay.map((x) => x.perS)),
      initiatorSendPerS: median(oneWay.map((x) => x.sendPerS)),
      rawOneWayPerS: median(raw),
      oneWayOrders: orders,
    };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

if (import.meta.main) {
  const arg = (name: string) => {
    const i = Deno.args.indexOf(name);
    return i >= 0 ? Deno.args[i + 1] : undefined;
  };
  const serve = arg("--serve");
  if (serve === "echo") await serveEcho();
  else if (serve === "sink") await serveSink();
  else if (serve === "fix") {
    const sync = arg("--sync") ?? "none";
    if (sync !== "none" && sync !== "always" && sync !== "interval") {
      throw new TypeError(`Cannot serve: --sync ${sync} is not none, always or interval`);
    }
    await serveFix(arg("--journal"), arg("--app") ?? "executor", sync);
  } else {
    const samples = arg("--samples");
    const f = await runSessionBench(samples ? { samples: Number(samples) } : {});
    const l = (x: Latency) => `p50 ${x.p50.toFixed(0)} us, p99 ${x.p99.toFixed(0)} us`;
    console.log(`round trip NOS -> first ER, ${f.echoUs.samples} samples each`);
    console.log(`  tcp echo floor  ${l(f.echoUs)}`);
    console.log(`  journal off     ${l(f.journalOffUs)}`);
    console.log(`  journal on      ${l(f.journalOnUs)} (syncPolicy none)`);
    console.log(`  journal always  ${l(f.journalAlwaysUs)} (send not held for the sync)`);
    const q = f.quickfixAcceptorUs;
    console.log(`  QuickFIX C++ acceptor (memory store) ${typeof q === "string" ? q : l(q)}`);
    const a = f.allocatedPerRoundTrip;
    const kb = (x: number) => `${(x / 1024).toFixed(1)} KB`;
    console.log(`heap allocated per round trip (NOS + 2 ER)`);
    console.log(`  tcp echo client ${kb(a.echoClientBytes)}`);
    console.log(
      `  journal off     initiator ${kb(a.initiatorJournalOffBytes)}, acceptor ${
        kb(a.acceptorJournalOffBytes)
      }`,
    );
    console.log(
      `  journal on      initiator ${kb(a.initiatorJournalOnBytes)}, acceptor ${
        kb(a.acceptorJournalOnBytes)
      }`,
    );
    console.log(
      `one-way NOS, journal on (none): ${f.oneWayPerS.toFixed(0)}/s (raw stream ${
        f.rawOneWayPerS.toFixed(0)
      }/s)`,
    );
  }
}
