/**
 * Test helpers for failover: free loopback ports, YAML configurations for a
 * primary/secondary pair, `main.ts` child processes whose logs are watched
 * line by line, admin HTTP calls, and a TCP relay the test can cut.
 *
 * @module
 */

import { encodeMessage } from "../lib/fix/encoder.ts";
import { formatUtcTimestamp } from "../lib/fix/values.ts";
import { readLines } from "../lib/io/read_lines.ts";
import { freePorts } from "../lib/testing/ports.ts";

const MAIN = new URL("../main.ts", import.meta.url).pathname;
const dec = new TextDecoder();

/** `n` free loopback ports below the ephemeral range (see `lib/testing/ports.ts`). */
export { freePorts };

/** Ports of one acceptor node. */
export interface NodePorts {
  readonly fix: number;
  readonly admin: number;
  readonly replication: number;
}

/** What differs between the two nodes of a pair. */
export interface PairOptions {
  readonly ackStrategy: "never" | "forever" | "timeout" | "quorum";
  readonly ackTimeoutMs?: number;
  readonly heartbeatIntervalMs?: number;
  readonly syncPolicy?: "none" | "interval" | "always";
  /** Largest replication batch; small batches split application runs across frames. */
  readonly maxBatchBytes?: number;
  readonly sessionHeartbeatS?: number;
  /** Replication over mutual TLS with these files (one certificate for both ways). */
  readonly replicationTls?: {
    readonly certFile: string;
    readonly keyFile: string;
    readonly caFile: string;
  };
  /** Admin bearer token of both nodes (the helpers below send none: poll with your own fetch). */
  readonly adminToken?: string;
  /** List the other node's admin address under `admin.peers` (the operator's page shows both). */
  readonly adminPeers?: boolean;
  /** `admin.pageRefreshMs`. */
  readonly pageRefreshMs?: number;
}

/** The FIX session both acceptors serve. */
export const ACCEPTOR_COMP_ID = "EXEC";
/** The counterparty. */
export const INITIATOR_COMP_ID = "CLIENT";
/** Replication secret used by the tests. */
export const TEST_SECRET = "failover test secret, long enough";

/** YAML of one acceptor node of an HA pair. */
export function acceptorYaml(
  id: string,
  ha: "primary" | "secondary",
  dataDir: string,
  ports: NodePorts,
  peer: number,
  o: PairOptions,
  autoPromoteAfterMs: number,
  // The pairs of these tests are nodes "a" and "b": each names the other.
  peerIds: readonly string[] = [id === "a" ? "b" : "a"],
  adminPeerPort?: number,
): string {
  return `node:
  id: ${id}
  role: acceptor
  ha: ${ha}
  dataDir: ${JSON.stringify(dataDir)}
fix:
  listen: 127.0.0.1:${ports.fix}
  logoutTimeoutS: 1
journal:
  syncPolicy: ${o.syncPolicy ?? "none"}
replication:
  listen: 127.0.0.1:${ports.replication}
${
    ha === "secondary"
      ? `  primary: 127.0.0.1:${peer}\n`
      : `  peers: [127.0.0.1:${peer}]\n`
  }  secret: ${JSON.stringify(TEST_SECRET)}
  ackStrategy: ${o.ackStrategy}
  ackTimeoutMs: ${o.ackTimeoutMs ?? 200}
  heartbeatIntervalMs: ${o.heartbeatIntervalMs ?? 100}
  autoPromoteAfterMs: ${autoPromoteAfterMs}
  reconnectDelayMs: 50
  maxBatchBytes: ${o.maxBatchBytes ?? 1_048_576}
${peerIds.length > 0 ? `  peerIds: ${JSON.stringify(peerIds)}\n` : ""}${
    o.replicationTls
      ? `  tls:\n    certFile: ${JSON.stringify(o.replicationTls.certFile)}\n    keyFile: ${
        JSON.stringify(o.replicationTls.keyFile)
      }\n    caFile: ${JSON.stringify(o.replicationTls.caFile)}\n`
      : ""
  }admin:
  listen: 127.0.0.1:${ports.admin}
${o.adminToken === undefined ? "" : `  token: ${JSON.stringify(o.adminToken)}\n`}${
    adminPeerPort === undefined ? "" : `  peers: [127.0.0.1:${adminPeerPort}]\n`
  }${o.pageRefreshMs === undefined ? "" : `  pageRefreshMs: ${o.pageRefreshMs}\n`}log:
  level: info
  format: json
sessions:
  - beginString: FIX.4.4
    senderCompId: ${ACCEPTOR_COMP_ID}
    targetCompId: ${INITIATOR_COMP_ID}
    heartbeatIntervalS: ${o.sessionHeartbeatS ?? 30}
    application: executor
`;
}

/** One `main.ts` child process with its stderr log lines. */
export class NodeProcess implements AsyncDisposable {
  readonly name: string;
  readonly child: Deno.ChildProcess;
  readonly lines: string[] = [];
  #waiters: { test: (line: string) => boolean; resolve: (line: string) => void }[] = [];
  readonly #pumps: Promise<void>;
  #exited = false;
  readonly status: Promise<Deno.CommandStatus>;

  /** `main` is the program run (default the repository's `main.ts`; examples have their own). */
  constructor(name: string, args: string[], echo = false, main = MAIN) {
    this.name = name;
    this.child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", main, ...args],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.status = this.child.status.then((s) => {
      this.#exited = true;
      return s;
    });
    const pump = async (stream: ReadableStream<Uint8Array>) => {
      for await (const line of readLines(stream)) {
        this.lines.push(line);
        if (echo) console.error(`[${name}] ${line}`);
        this.#waiters = this.#waiters.filter((w) => !(w.test(line) && (w.resolve(line), true)));
      }
    };
    this.#pumps = Promise.all([pump(this.child.stdout), pump(this.child.stderr)]).then(() => {});
  }

  /** Resolves with the first line (past or future) containing `text`; rejects after `timeoutMs`. */
  async waitFor(text: string, timeoutMs = 30_000, from = 0): Promise<string> {
    const hit = this.lines.slice(from).find((l) => l.includes(text));
    if (hit !== undefined) return hit;
    const { promise, resolve } = Promise.withResolvers<string>();
    const waiter = { test: (l: string) => l.includes(text), resolve };
    this.#waiters.push(waiter);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const watchdog = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new Error(
              `${this.name}: timed out waiting for "${text}"; last lines:\n${
                this.lines.slice(-15).join("\n")
              }`,
            ),
          ),
        timeoutMs,
      );
    });
    try {
      const ended = this.#pumps.then((): never => {
        throw new Error(
          `${this.name} ended before printing "${text}"; last lines:\n${
            this.lines.slice(-15).join("\n")
          }`,
        );
      });
      ended.catch(() => {}); // settles after the race when the line came first
      return await Promise.race([promise, watchdog, ended]);
    } finally {
      clearTimeout(timer);
      this.#waiters = this.#waiters.filter((w) => w !== waiter);
    }
  }

  /** Sends `signal` unless the process already exited. */
  kill(signal: Deno.Signal = "SIGKILL"): void {
    if (this.#exited) return;
    try {
      this.child.kill(signal);
    } catch (e) {
      if (!(e instanceof TypeError)) throw e; // already exited
    }
  }

  /** SIGKILLs the process and waits for it and its pipes. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.kill("SIGCONT");
    this.kill("SIGKILL");
    await this.status;
    await this.#pumps;
  }
}

/** The exit status of `p`, or an error naming what it printed if it is still running after `ms`. */
export async function exitWithin(p: NodeProcess, ms: number): Promise<Deno.CommandStatus> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      p.status,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new Error(
                `${p.name} still runs after ${ms} ms; last lines:\n${
                  p.lines.slice(-15).join("\n")
                }`,
              ),
            ),
          ms,
        );
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Calls the admin API of a node; `undefined` when it cannot be reached. */
export async function admin(
  port: number,
  path: string,
  method = "GET",
  timeoutMs?: number,
): Promise<{ status: number; body: string } | undefined> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}${path}`, {
      method,
      ...(timeoutMs === undefined ? {} : { signal: AbortSignal.timeout(timeoutMs) }),
      ...(method === "POST" ? { headers: { "content-type": "application/json" }, body: "{}" } : {}),
    });
    return { status: res.status, body: await res.text() };
  } catch {
    return undefined;
  }
}

/** `/status` of a node, parsed; undefined when unreachable (or silent for `timeoutMs`). */
export async function status(
  port: number,
  timeoutMs?: number,
): Promise<Record<string, unknown> | undefined> {
  const r = await admin(port, "/status", "GET", timeoutMs);
  return r && r.status === 200 ? JSON.parse(r.body) : undefined;
}

/** Value of one metric line from `/metrics` text (first match of the prefix), or 0. */
export function metricValue(text: string, prefix: string): number {
  for (const line of text.split("\n")) {
    if (line.startsWith(prefix)) return Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return 0;
}

/**
 * A TCP relay between `listenPort` and `targetPort` on loopback, which the
 * test can cut (close every connection and refuse new ones) and heal.
 */
export class Relay implements AsyncDisposable {
  readonly port: number;
  readonly #listener: Deno.TcpListener;
  readonly #targetPort: number;
  readonly #conns = new Set<Deno.TcpConn>();
  readonly #tasks = new Set<Promise<void>>();
  #cut = false;
  #paused: PromiseWithResolvers<void> | undefined;
  readonly #loop: Promise<void>;

  constructor(targetPort: number, listenPort = 0) {
    this.#targetPort = targetPort;
    this.#listener = Deno.listen({ hostname: "127.0.0.1", port: listenPort });
    this.port = (this.#listener.addr as Deno.NetAddr).port;
    this.#loop = this.#accept();
  }

  /** Whether the link is cut. */
  get isCut(): boolean {
    return this.#cut;
  }

  async #accept(): Promise<void> {
    try {
      for await (const conn of this.#listener) {
        if (this.#cut) {
          conn.close();
          continue;
        }
        const task = this.#pipe(conn);
        this.#tasks.add(task);
        task.finally(() => this.#tasks.delete(task));
      }
    } catch {
      // listener closed
    }
  }

  async #pipe(a: Deno.TcpConn): Promise<void> {
    let b: Deno.TcpConn;
    try {
      b = await Deno.connect({ hostname: "127.0.0.1", port: this.#targetPort });
    } catch {
      a.close();
      return;
    }
    if (this.#cut) {
      a.close();
      b.close();
      return;
    }
    this.#conns.add(a);
    this.#conns.add(b);
    const copy = async (from: Deno.TcpConn, to: Deno.TcpConn) => {
      const buf = new Uint8Array(16 * 1024);
      try {
        while (true) {
          const n = await from.read(buf);
          if (n === null) break;
          while (this.#paused) await this.#paused.promise;
          let off = 0;
          while (off < n) off += await to.write(buf.subarray(off, n));
        }
      } catch {
        // closed
      }
      for (const c of [from, to]) {
        if (this.#conns.delete(c)) {
          try {
            c.close();
          } catch { /* closed */ }
        }
      }
    };
    await Promise.all([copy(a, b), copy(b, a)]);
  }

  /** Drops every connection and refuses new ones. */
  cut(): void {
    this.#cut = true;
    for (const c of this.#conns) {
      try {
        c.close();
      } catch { /* closed */ }
    }
    this.#conns.clear();
  }

  /** Accepts connections again. */
  heal(): void {
    this.#cut = false;
  }

  /** Holds every byte in flight (connections stay open) until {@linkcode resume}. */
  pause(): void {
    this.#paused ??= Promise.withResolvers<void>();
  }

  /** Forwards again what was held and what follows. */
  resume(): void {
    const p = this.#paused;
    this.#paused = undefined;
    p?.resolve();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.cut();
    this.resume();
    this.#listener.close();
    await this.#loop;
    await Promise.all([...this.#tasks]);
  }
}

/** Settings of one node start. */
export interface StartOptions {
  /** Auto-promotion after link silence; 0 = by command only. */
  readonly autoPromoteAfterMs?: number;
  /** Replication port followed (secondary) or probed (primary); default the other node's. */
  readonly peerPort?: number;
  /** Wait until a secondary streams from its primary (default true). */
  readonly waitStreaming?: boolean;
}

/** Two acceptor nodes, `a` and `b`, as `main.ts` processes over one temp dir. */
export class Cluster implements AsyncDisposable {
  readonly dir: string;
  readonly ports: Record<NodeName, NodePorts>;
  readonly options: PairOptions;
  readonly procs: Record<NodeName, NodeProcess | undefined> = { a: undefined, b: undefined };
  readonly #echo: boolean;

  private constructor(dir: string, options: PairOptions, echo: boolean) {
    this.dir = dir;
    this.options = options;
    const p = freePorts(6);
    this.ports = {
      a: { fix: p[0]!, admin: p[1]!, replication: p[2]! },
      b: { fix: p[3]!, admin: p[4]!, replication: p[5]! },
    };
    this.#echo = echo;
  }

  /** Creates the temp dir; starts nothing. */
  static async create(
    options: PairOptions,
    echo = Deno.env.get("FAILOVER_DEBUG") !== undefined,
  ): Promise<Cluster> {
    const dir = await Deno.makeTempDir({ prefix: "tandem-failover-" });
    return new Cluster(dir, options, echo);
  }

  /** The other node. */
  static other(name: NodeName): NodeName {
    return name === "a" ? "b" : "a";
  }

  /** Writes the configuration of `name` as `ha` and returns its path. */
  async writeConfig(name: NodeName, ha: "primary" | "secondary", o: StartOptions = {}) {
    const path = `${this.dir}/${name}-${ha}.yaml`;
    const peer = o.peerPort ?? this.ports[Cluster.other(name)].replication;
    await Deno.writeTextFile(
      path,
      acceptorYaml(
        name,
        ha,
        `${this.dir}/${name}-data`,
        this.ports[name],
        peer,
        this.options,
        o.autoPromoteAfterMs ?? 0,
        [Cluster.other(name)],
        this.options.adminPeers ? this.ports[Cluster.other(name)].admin : undefined,
      ),
    );
    return path;
  }

  /**
   * Starts `name` as `ha`; a primary once it accepts FIX connections, a
   * secondary once it streams from its primary (unless told not to wait).
   */
  async start(name: NodeName, ha: "primary" | "secondary", o: StartOptions = {}) {
    const path = await this.writeConfig(name, ha, o);
    const p = new NodeProcess(name, ["--config", path], this.#echo);
    this.procs[name] = p;
    await p.waitFor("node started");
    if (ha === "secondary" && (o.waitStreaming ?? true)) {
      await waitUntil(() => isStreaming(this.ports[name].admin), `${name} streaming`);
    }
    return p;
  }

  /** SIGKILLs `name` and waits until it is gone. */
  async kill(name: NodeName): Promise<void> {
    const p = this.procs[name];
    this.procs[name] = undefined;
    await p?.[Symbol.asyncDispose]();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.kill("a");
    await this.kill("b");
    await Deno.remove(this.dir, { recursive: true });
  }
}

/** Node names of a {@linkcode Cluster}. */
export type NodeName = "a" | "b";

/** Whether the node's follower streams from its leader. */
export async function isStreaming(adminPort: number): Promise<boolean> {
  const s = await status(adminPort);
  const repl = s?.replication as { follower?: { state?: string } } | undefined;
  return repl?.follower?.state === "streaming";
}

/** Polls `predicate` every 20 ms until true; rejects after `timeoutMs`. */
export async function waitUntil(
  predicate: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Tries one FIX Logon (ResetSeqNumFlag=Y, so any acceptor state takes it) on
 * `port`; true when a Logon came back within `timeoutMs`, false when the
 * connection was refused, closed or stayed silent.
 */
export async function tryLogon(port: number, timeoutMs = 2_000): Promise<boolean> {
  let conn: Deno.TcpConn;
  try {
    conn = await Deno.connect({ hostname: "127.0.0.1", port });
  } catch {
    return false;
  }
  const timer = setTimeout(() => {
    try {
      conn.close();
    } catch { /* closed */ }
  }, timeoutMs);
  try {
    const ts = formatUtcTimestamp(Date.now(), 3);
    await conn.write(encodeMessage("FIX.4.4", "A", [
      [49, INITIATOR_COMP_ID],
      [56, ACCEPTOR_COMP_ID],
      [34, "1"],
      [52, ts],
      [98, "0"],
      [108, "30"],
      [141, "Y"],
    ]));
    const buf = new Uint8Array(4096);
    let text = "";
    while (true) {
      const n = await conn.read(buf);
      if (n === null) return false;
      text += dec.decode(buf.subarray(0, n));
      if (text.includes("\x0135=A\x01")) return true;
    }
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
    try {
      conn.close();
    } catch { /* closed */ }
  }
}
