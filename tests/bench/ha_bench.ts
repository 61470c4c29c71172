/**
 * High-availability benchmarks, three processes, each beside a floor
 * measured in the same run:
 *
 * - replicated round trip NewOrderSingle → first ExecutionReport, measured at
 *   a real Tandem initiator (this process) logged on to a primary
 *   (`main.ts --ha primary`, executor application, `ackStrategy: forever`,
 *   journal `always`) that replicates to one secondary (`main.ts --ha
 *   secondary`): every ExecutionReport waits for the secondary's ack. Floors:
 *   a raw relay of plain Deno processes, client → primary → secondary →
 *   primary → client, with the same 200-byte message, and the same relay
 *   whose secondary writes and `fdatasync`s each message before answering
 *   (the disk work the secondary's `always` journal must do before its ack);
 *   sampled in interleaved blocks with the subject. For proportion, the same
 *   round trip through a pair with `ackStrategy: never` (no wait for the
 *   secondary), beside a raw echo (client → relay secondary → client).
 * - the replicated round trip in parts, all sampled in interleaved blocks:
 *   the relay floor; the relay whose secondary also writes what it receives
 *   to a file (`writeSync`) before answering ("+ follower write"); the same
 *   with `fdatasync` after each write ("+ follower fsync"); and two Tandem
 *   pairs under `ackStrategy: forever` whose primary journals with
 *   `syncPolicy: none` and whose secondary with `none` or `always`, each
 *   beside the raw relay doing the same disk work. What a pair takes beyond
 *   its raw relay is the engine's part: journaling on both sides, the
 *   replication protocol and the ack path back to the waiting
 *   ExecutionReport. To split that part, a third pair (`ackStrategy: never`,
 *   both `none`) beside a raw echo (client → relay secondary → client) gives
 *   the FIX path alone (initiator and primary session, executor, journal),
 *   and `forever` minus `never` the replication's own part, beside its floor
 *   (relay + follower write) minus echo: the extra hop with its write.
 *
 * Failover times, by ack strategy, are measured by `failover_bench.ts`.
 *
 * Run alone: `./denow run -A tests/bench/ha_bench.ts`; `deno task bench`
 * calls {@linkcode runHaBench}. A relay child is this file run with
 * `--serve relay-primary|relay-secondary`.
 *
 * @module
 */

import { BenchInitiator, INITIATOR_ID } from "./_bench_initiator.ts";
import { ORDER } from "./codec_bench.ts";
import { type Latency, latencyUs } from "./session_bench.ts";
import { freePorts, rawRoundTrips, spawnChild, WARMUP_ROUND_TRIPS, within } from "./_stats.ts";
import { readLines } from "../../lib/io/read_lines.ts";

const SELF = new URL(import.meta.url).pathname;
const MAIN = new URL("../../main.ts", import.meta.url).pathname;
/** The initiator's reconnect delay, the floor of the failover time. */
export const RECONNECT_DELAY_MS = 100;
/** Replication heartbeat of the pair. */
export const REPLICATION_HEARTBEAT_MS = 50;
/** The secondary promotes itself after this much replication silence. */
export const AUTO_PROMOTE_AFTER_MS = 200;
const SECRET = "benchmark replication secret, long enough";

/** Figures of one run; a figure that could not be measured is an Error's message. */
export interface HaFigures {
  readonly relayUs: Latency;
  /**
   * The relay whose secondary writes and fdatasyncs each message, sampled in
   * the same blocks: the floor of the replicated round trip (journal `always`).
   */
  readonly relayWriteSyncUs?: Latency;
  readonly replicatedUs: Latency | string;
  /**
   * The same round trip through a pair with `ackStrategy: never` (1000 samples),
   * beside a raw echo (client → relay secondary → client: no wait, two processes)
   * sampled in interleaved blocks.
   */
  readonly unreplicated?: { readonly fixUs: Latency; readonly echoUs: Latency };
  /** The replicated round trip in parts (see the module doc). */
  readonly parts?: HaParts;
}

/** The replicated round trip in parts, sampled in interleaved blocks. */
export interface HaParts {
  readonly relayUs: Latency;
  /** The relay whose secondary writes each message to a file before answering. */
  readonly relayWriteUs: Latency;
  /** The same with fdatasync after each write. */
  readonly relayWriteSyncUs: Latency;
  /** Tandem pair, ack forever, primary `syncPolicy: none`, secondary `none`. */
  readonly followerNoneUs: Latency | string;
  /** Tandem pair, ack forever, primary `syncPolicy: none`, secondary `always`. */
  readonly followerAlwaysUs: Latency | string;
  /** Raw echo: client → relay secondary → client (two processes). */
  readonly echoUs: Latency;
  /** Tandem pair, ack never, both `syncPolicy: none`: the FIX path without the wait. */
  readonly neverUs: Latency | string;
}

/** Options for {@linkcode runHaBench}. */
export interface HaBenchOptions {
  /** Round trips per subject (after warm-up). Default 2000. */
  readonly samples?: number;
  /** Round trips per subject for the parts (after warm-up). Default half of `samples`. */
  readonly partSamples?: number;
}

// ---- relay children ---------------------------------------------------------

async function pipe(from: Deno.Conn, to: Deno.Conn): Promise<void> {
  const buf = new Uint8Array(65536);
  try {
    for (let n = await from.read(buf); n !== null; n = await from.read(buf)) {
      for (let o = 0; o < n;) o += await to.write(buf.subarray(o, n));
    }
  } catch { /* closed */ }
}

/** What a relay secondary does with each chunk before answering it. */
type Disk = "none" | "write" | "write+sync";

/** Answers each chunk it reads with itself (the "ack"), after writing it to `file` when given. */
async function echoAfterDisk(conn: Deno.Conn, file: Deno.FsFile | undefined, sync: boolean) {
  const buf = new Uint8Array(65536);
  try {
    for (let n = await conn.read(buf); n !== null; n = await conn.read(buf)) {
      if (file !== undefined) {
        for (let o = 0; o < n;) o += file.writeSync(buf.subarray(o, n));
        if (sync) file.syncDataSync();
      }
      for (let o = 0; o < n;) o += await conn.write(buf.subarray(o, n));
    }
  } catch { /* closed */ }
}

async function serveRelay(
  kind: string,
  secondaryPort: number,
  disk: Disk,
  path: string | undefined,
): Promise<void> {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  console.log((listener.addr as Deno.NetAddr).port);
  for await (const conn of listener) {
    conn.setNoDelay(true);
    if (kind === "relay-secondary") {
      const file = disk === "none" || path === undefined
        ? undefined
        : Deno.openSync(path, { write: true, create: true, append: true });
      echoAfterDisk(conn, file, disk === "write+sync").finally(() => file?.close());
    } else {
      const next = await Deno.connect({ hostname: "127.0.0.1", port: secondaryPort });
      next.setNoDelay(true);
      pipe(conn, next);
      pipe(next, conn);
    }
  }
}

// ---- the Tandem pair ---------------------------------------------------------

interface Ports {
  readonly fix: number;
  readonly admin: number;
  readonly replication: number;
}

/** The replication acknowledgement strategies benchmarked. */
export type AckStrategy = "never" | "forever" | "timeout";

/** Journal sync policies of a pair's two nodes. */
export interface PairSync {
  readonly primary: "none" | "always";
  readonly secondary: "none" | "always";
}

function nodeYaml(
  id: string,
  ha: "primary" | "secondary",
  dir: string,
  me: Ports,
  peer: Ports,
  ack: AckStrategy,
  syncPolicy: "none" | "always",
) {
  return `node: { id: ${id}, role: acceptor, ha: ${ha}, dataDir: ${JSON.stringify(dir)} }
fix: { listen: "127.0.0.1:${me.fix}", logoutTimeoutS: 1 }
journal: { syncPolicy: ${syncPolicy} }
replication:
  listen: "127.0.0.1:${me.replication}"
  ${
    ha === "secondary"
      ? `primary: "127.0.0.1:${peer.replication}"`
      : `peers: ["127.0.0.1:${peer.replication}"]`
  }
  peerIds: [${id === "p" ? "s" : "p"}]
  secret: ${JSON.stringify(SECRET)}
  ackStrategy: ${ack}
  heartbeatIntervalMs: ${REPLICATION_HEARTBEAT_MS}
  autoPromoteAfterMs: ${ha === "secondary" ? AUTO_PROMOTE_AFTER_MS : 0}
  reconnectDelayMs: 50
admin: { listen: "127.0.0.1:${me.admin}" }
log: { level: info, format: json }
sessions:
  - beginString: FIX.4.4
    senderCompId: EXEC
    targetCompId: ${INITIATOR_ID}
    application: executor
`;
}

/** One `main.ts` process whose stderr/stdout lines are watched. */
class NodeProcess implements AsyncDisposable {
  readonly child: Deno.ChildProcess;
  readonly lines: string[] = [];
  #waiters: { text: string; resolve: () => void }[] = [];
  readonly #pumps: Promise<unknown>;

  constructor(readonly name: string, configPath: string) {
    this.child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--quiet", MAIN, "--config", configPath],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const pump = async (stream: ReadableStream<Uint8Array>) => {
      try {
        for await (const line of readLines(stream)) {
          this.lines.push(line);
          this.#waiters = this.#waiters.filter((w) =>
            !(line.includes(w.text) && (w.resolve(), true))
          );
        }
      } catch { /* killed */ }
    };
    this.#pumps = Promise.all([pump(this.child.stdout), pump(this.child.stderr)]);
  }

  /** Resolves on the first line (past or future) containing `text`. */
  async waitFor(text: string, ms = 20_000): Promise<void> {
    if (this.lines.some((l) => l.includes(text))) return;
    const { promise, resolve } = Promise.withResolvers<void>();
    this.#waiters.push({ text, resolve });
    const exited = Promise.all([this.child.status, this.#pumps]).then(([s]) => {
      throw new Error(`${this.name} exited with ${s.code}; last lines:\n${this.tail()}`);
    });
    try {
      await within(Promise.race([promise, exited]), ms, `${this.name}: "${text}"\n${this.tail()}`);
    } finally {
      exited.catch(() => {});
    }
  }

  tail(): string {
    return this.lines.slice(-8).join("\n");
  }

  kill(): void {
    try {
      this.child.kill("SIGKILL");
    } catch { /* already gone */ }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.kill();
    await this.child.status;
    await this.#pumps;
  }
}

/** A primary and a secondary, started and ready (the secondary following). */
class Pair implements AsyncDisposable {
  private constructor(
    readonly dir: string,
    readonly primary: NodeProcess,
    readonly secondary: NodeProcess,
    readonly primaryPorts: Ports,
    readonly secondaryPorts: Ports,
  ) {}

  static async start(
    ack: AckStrategy,
    sync: PairSync = { primary: "always", secondary: "always" },
  ): Promise<Pair> {
    const dir = await Deno.makeTempDir({ prefix: "tandem-ha-bench-" });
    const [a, b, c, d, e, f] = freePorts(6) as [number, number, number, number, number, number];
    const p = { fix: a, admin: b, replication: c };
    const s = { fix: d, admin: e, replication: f };
    await Deno.mkdir(`${dir}/p`);
    await Deno.mkdir(`${dir}/s`);
    await Deno.writeTextFile(
      `${dir}/p.yaml`,
      nodeYaml("p", "primary", `${dir}/p`, p, s, ack, sync.primary),
    );
    await Deno.writeTextFile(
      `${dir}/s.yaml`,
      nodeYaml("s", "secondary", `${dir}/s`, s, p, ack, sync.secondary),
    );
    const primary = new NodeProcess("primary", `${dir}/p.yaml`);
    const secondary = new NodeProcess("secondary", `${dir}/s.yaml`);
    const pair = new Pair(dir, primary, secondary, p, s);
    try {
      await primary.waitFor("accepting FIX connections");
      await secondary.waitFor("following p");
    } catch (e) {
      await pair[Symbol.asyncDispose]();
      throw e;
    }
    return pair;
  }

  get addresses() {
    return [
      { hostname: "127.0.0.1", port: this.primaryPorts.fix },
      { hostname: "127.0.0.1", port: this.secondaryPorts.fix },
    ];
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.primary[Symbol.asyncDispose]();
    await this.secondary[Symbol.asyncDispose]();
    await Deno.remove(this.dir, { recursive: true });
  }
}

// ---- measurements -------------------------------------------------------------

function relayRoundTrips(conn: Deno.TcpConn, n: number, out: number[]): Promise<void> {
  return rawRoundTrips(conn, ORDER, n, out, "Relay");
}

async function fixRoundTrips(b: BenchInitiator, n: number, out: number[]): Promise<void> {
  for (let i = 0; i < n; i++) {
    const before = b.executionReports;
    const t0 = performance.now();
    b.sendOrder();
    // the fill, before the next order; the round trip ends where the first report arrived
    await within(b.waitFor(() => b.executionReports >= before + 2), 10_000, "the reports");
    out.push(b.executionReportAtMs(before + 1) - t0);
  }
}

/** A raw relay chain (primary relay → secondary relay doing `disk`) and a connection to it. */
async function startRelay(disk: Disk, dir: string) {
  const secondary = await spawnChild(SELF, [
    "--serve",
    "relay-secondary",
    "--disk",
    disk,
    "--path",
    `${dir}/relay-${disk}.bin`,
  ]);
  const primary = await spawnChild(SELF, [
    "--serve",
    "relay-primary",
    "--secondary",
    secondary.firstLine,
  ]);
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: Number(primary.firstLine) });
  conn.setNoDelay(true);
  // A second connection straight to the relay secondary: a raw echo (a disk-less secondary's).
  const echo = await Deno.connect({ hostname: "127.0.0.1", port: Number(secondary.firstLine) });
  echo.setNoDelay(true);
  return {
    conn,
    echo,
    async [Symbol.asyncDispose]() {
      conn.close();
      echo.close();
      await primary[Symbol.asyncDispose]();
      await secondary[Symbol.asyncDispose]();
    },
  };
}

/** The replicated round trip in parts; see the module doc. */
async function runParts(samples: number, message: (e: unknown) => string): Promise<HaParts> {
  const dir = await Deno.makeTempDir({ prefix: "tandem-ha-parts-" });
  try {
    await using relay = await startRelay("none", dir);
    await using relayWrite = await startRelay("write", dir);
    await using relayWriteSync = await startRelay("write+sync", dir);
    const relayMs: number[] = [];
    const writeMs: number[] = [];
    const syncMs: number[] = [];
    const echoMs: number[] = [];
    const none = { primary: "none", secondary: "none" } as const;
    const pairs: { ack: AckStrategy; sync: PairSync; ms: number[]; result: Latency | string }[] = [
      { ack: "forever", sync: none, ms: [], result: "not run" },
      { ack: "forever", sync: { primary: "none", secondary: "always" }, ms: [], result: "not run" },
      { ack: "never", sync: none, ms: [], result: "not run" },
    ];
    const started: ({ pair: Pair; b: BenchInitiator } | undefined)[] = [];
    try {
      for (const p of pairs) {
        try {
          const pair = await Pair.start(p.ack, p.sync);
          try {
            const b = await BenchInitiator.start({ addresses: pair.addresses });
            started.push({ pair, b });
          } catch (e) {
            await pair[Symbol.asyncDispose]();
            throw e;
          }
        } catch (e) {
          p.result = message(e);
          started.push(undefined);
        }
      }
      const pass = async (n: number, record: boolean) => {
        await relayRoundTrips(relay.conn, n, record ? relayMs : []);
        await relayRoundTrips(relay.echo, n, record ? echoMs : []);
        await relayRoundTrips(relayWrite.conn, n, record ? writeMs : []);
        await relayRoundTrips(relayWriteSync.conn, n, record ? syncMs : []);
        for (const [k, p] of pairs.entries()) {
          const s = started[k];
          if (s === undefined || typeof p.result === "string" && p.result !== "not run") continue;
          try {
            await fixRoundTrips(s.b, n, record ? p.ms : []);
          } catch (e) {
            p.result = message(e);
          }
        }
      };
      await pass(WARMUP_ROUND_TRIPS, false); // every subject up to the steady state
      const block = 250;
      for (let done = 0; done < samples; done += block) await pass(block, true);
      for (const p of pairs) if (p.result === "not run") p.result = latencyUs(p.ms);
    } finally {
      for (const s of started) {
        if (s === undefined) continue;
        await s.b[Symbol.asyncDispose]();
        await s.pair[Symbol.asyncDispose]();
      }
    }
    return {
      relayUs: latencyUs(relayMs),
      relayWriteUs: latencyUs(writeMs),
      relayWriteSyncUs: latencyUs(syncMs),
      followerNoneUs: pairs[0]!.result,
      followerAlwaysUs: pairs[1]!.result,
      echoUs: latencyUs(echoMs),
      neverUs: pairs[2]!.result,
    };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Runs the HA figures; pairs and relays are started and killed here. */
export async function runHaBench(options: HaBenchOptions = {}): Promise<HaFigures> {
  const samples = options.samples ?? 2000;
  const partSamples = options.partSamples ?? Math.ceil(samples / 2);
  await using relaySecondary = await spawnChild(SELF, ["--serve", "relay-secondary"]);
  await using relayPrimary = await spawnChild(SELF, [
    "--serve",
    "relay-primary",
    "--secondary",
    relaySecondary.firstLine,
  ]);
  using relay = await Deno.connect({ hostname: "127.0.0.1", port: Number(relayPrimary.firstLine) });
  relay.setNoDelay(true);
  // The relay secondary echoes: straight to it, the two-process floor of a round trip with no wait.
  using echo = await Deno.connect({
    hostname: "127.0.0.1",
    port: Number(relaySecondary.firstLine),
  });
  echo.setNoDelay(true);
  const syncDir = await Deno.makeTempDir({ prefix: "tandem-ha-relay-" });
  const relayMs: number[] = [];
  const relaySyncMs: number[] = [];
  const fixMs: number[] = [];
  const neverMs: number[] = [];
  const neverEchoMs: number[] = [];
  let replicated: Latency | string;
  const message = (e: unknown) => (e instanceof Error ? e.message : String(e));
  try {
    await using relaySync = await startRelay("write+sync", syncDir);
    await using pair = await Pair.start("forever");
    await using b = await BenchInitiator.start({
      addresses: pair.addresses,
      reconnectDelayMs: RECONNECT_DELAY_MS,
    });
    await relayRoundTrips(relay, WARMUP_ROUND_TRIPS, []);
    await relayRoundTrips(relaySync.conn, WARMUP_ROUND_TRIPS, []);
    await fixRoundTrips(b, WARMUP_ROUND_TRIPS, []);
    const block = 250;
    for (let done = 0; done < samples; done += block) {
      await relayRoundTrips(relay, block, relayMs);
      await relayRoundTrips(relaySync.conn, block, relaySyncMs);
      await fixRoundTrips(b, block, fixMs);
    }
    replicated = latencyUs(fixMs);
  } catch (e) {
    replicated = message(e);
    if (relayMs.length === 0) await relayRoundTrips(relay, samples, relayMs);
  }
  let parts: HaParts | undefined;
  if (partSamples > 0) parts = await runParts(partSamples, message);
  try {
    await using pair = await Pair.start("never");
    await using b = await BenchInitiator.start({
      addresses: pair.addresses,
      reconnectDelayMs: RECONNECT_DELAY_MS,
    });
    await relayRoundTrips(echo, WARMUP_ROUND_TRIPS, []);
    await fixRoundTrips(b, WARMUP_ROUND_TRIPS, []);
    for (let block = 0; block < 4; block++) {
      await relayRoundTrips(echo, 250, neverEchoMs);
      await fixRoundTrips(b, 250, neverMs);
    }
  } catch (e) {
    console.error(`bench: ha: the round trip under ack never failed: ${message(e)}`);
  }
  await Deno.remove(syncDir, { recursive: true }).catch(() => {});
  return {
    relayUs: latencyUs(relayMs),
    ...(relaySyncMs.length > 0 ? { relayWriteSyncUs: latencyUs(relaySyncMs) } : {}),
    replicatedUs: replicated,
    ...(neverMs.length > 0
      ? { unreplicated: { fixUs: latencyUs(neverMs), echoUs: latencyUs(neverEchoMs) } }
      : {}),
    ...(parts !== undefined ? { parts } : {}),
  };
}

if (import.meta.main) {
  const arg = (name: string) => {
    const i = Deno.args.indexOf(name);
    return i >= 0 ? Deno.args[i + 1] : undefined;
  };
  const serve = arg("--serve");
  if (serve !== undefined) {
    const disk = (arg("--disk") ?? "none") as Disk;
    await serveRelay(serve, Number(arg("--secondary") ?? 0), disk, arg("--path"));
  } else {
    const samples = arg("--samples");
    const f = await runHaBench(samples ? { samples: Number(samples) } : {});
    const l = (x: Latency | string) =>
      typeof x === "string"
        ? `not measured: ${x}`
        : `p50 ${x.p50.toFixed(0)} us, p99 ${x.p99.toFixed(0)} us`;
    console.log(`relay floor (3 processes)   ${l(f.relayUs)}`);
    if (f.relayWriteSyncUs) console.log(`  + follower write + fsync  ${l(f.relayWriteSyncUs)}`);
    console.log(`replicated round trip       ${l(f.replicatedUs)}`);
    if (f.parts !== undefined) {
      const p = f.parts;
      console.log(`parts, interleaved:`);
      console.log(`  relay floor               ${l(p.relayUs)}`);
      console.log(`  + follower write          ${l(p.relayWriteUs)}`);
      console.log(`  + follower fsync          ${l(p.relayWriteSyncUs)}`);
      console.log(`  forever, follower none    ${l(p.followerNoneUs)}`);
      console.log(`  forever, follower always  ${l(p.followerAlwaysUs)}`);
      console.log(`  raw echo (2 processes)    ${l(p.echoUs)}`);
      console.log(`  never, both none          ${l(p.neverUs)}`);
    }
  }
}
