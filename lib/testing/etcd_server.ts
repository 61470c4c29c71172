/**
 * Test helper: a real single-member etcd (`/usr/bin/etcd`, or `ETCD_BIN`) on
 * free loopback ports with a temp data dir, killed with SIGKILL and removed on
 * dispose. Tests that need it skip with a clear message when etcd is not
 * installed (`.ci/install_etcd.sh` installs it).
 *
 * @module
 */

import { readLines } from "../io/read_lines.ts";
import { freePorts } from "./ports.ts";

/** Path of the etcd binary the tests use. */
export const ETCD_BIN = Deno.env.get("ETCD_BIN") ?? "/usr/bin/etcd";

/** Whether the etcd binary exists. */
export function etcdInstalled(): boolean {
  try {
    return Deno.statSync(ETCD_BIN).isFile;
  } catch {
    return false;
  }
}

/** Options of {@linkcode EtcdServer.start}. */
export interface EtcdServerOptions {
  /** More etcd flags (`--auth-token-ttl`, ...). */
  readonly args?: readonly string[];
  /**
   * Serve clients over TLS with this certificate and key, and require client certificates
   * signed by `caFile`. etcd 3.4's gateway dials its own gRPC port with `certFile`, so it needs
   * both server and client usage. `client` is used to poll `/health`.
   */
  readonly tls?: {
    readonly certFile: string;
    readonly keyFile: string;
    readonly caFile: string;
    readonly client: Deno.HttpClient;
  };
}

/** One etcd process; see the module doc. */
export class EtcdServer implements AsyncDisposable {
  /** Client URL, `http://127.0.0.1:P`. */
  readonly endpoint: string;
  /** Its log lines. */
  readonly lines: string[] = [];
  readonly #child: Deno.ChildProcess;
  readonly #dir: string;
  readonly #pump: Promise<void>;
  #stopped = false;

  private constructor(dir: string, client: number, peer: number, options: EtcdServerOptions) {
    this.#dir = dir;
    const tls = options.tls;
    this.endpoint = `${tls ? "https" : "http"}://127.0.0.1:${client}`;
    const child = new Deno.Command(ETCD_BIN, {
      args: [
        "--name",
        "default",
        "--listen-client-urls",
        this.endpoint,
        "--advertise-client-urls",
        this.endpoint,
        "--listen-peer-urls",
        `http://127.0.0.1:${peer}`,
        "--initial-advertise-peer-urls",
        `http://127.0.0.1:${peer}`,
        "--initial-cluster",
        `default=http://127.0.0.1:${peer}`,
        "--data-dir",
        `${dir}/data`,
        ...(tls
          ? [
            "--cert-file",
            tls.certFile,
            "--key-file",
            tls.keyFile,
            "--trusted-ca-file",
            tls.caFile,
            "--client-cert-auth",
          ]
          : []),
        ...(options.args ?? []),
      ],
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    this.#child = child;
    this.#pump = (async () => {
      for await (const line of readLines(child.stderr)) {
        this.lines.push(line);
        if (this.lines.length > 200) this.lines.shift();
      }
    })();
  }

  /** Starts etcd and resolves once it answers on its client URL. */
  static async start(timeoutMs = 30_000, options: EtcdServerOptions = {}): Promise<EtcdServer> {
    const dir = await Deno.makeTempDir({ prefix: "tandem-etcd-" });
    const [client, peer] = freePorts(2);
    const server = new EtcdServer(dir, client!, peer!, options);
    const deadline = Date.now() + timeoutMs;
    while (true) {
      try {
        const res = await fetch(
          `${server.endpoint}/health`,
          options.tls ? { client: options.tls.client } : {},
        );
        const body = await res.text();
        if (res.ok && body.includes("true")) return server;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) {
        await server[Symbol.asyncDispose]();
        throw new Error(
          `Cannot start etcd: not healthy within ${timeoutMs} ms:\n${
            server.lines.slice(-10).join("\n")
          }`,
        );
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Sends a signal (SIGSTOP to freeze it, SIGCONT to resume). */
  signal(signal: Deno.Signal): void {
    if (!this.#stopped) this.#child.kill(signal);
  }

  /** SIGKILLs etcd and removes its data. */
  async [Symbol.asyncDispose](): Promise<void> {
    if (!this.#stopped) {
      this.#stopped = true;
      try {
        this.#child.kill("SIGCONT");
        this.#child.kill("SIGKILL");
      } catch { /* exited */ }
    }
    await this.#child.status;
    await this.#pump;
    await Deno.remove(this.#dir, { recursive: true }).catch(() => {});
  }
}

/** A three-member (or n-member) etcd cluster on loopback; see {@linkcode EtcdServers.start}. */
export class EtcdServers implements AsyncDisposable {
  /** Client URLs, one per member. */
  readonly endpoints: string[];
  readonly #children: (Deno.ChildProcess | undefined)[];
  readonly #args: string[][];
  readonly #dir: string;

  private constructor(dir: string, endpoints: string[], args: string[][]) {
    this.#dir = dir;
    this.endpoints = endpoints;
    this.#args = args;
    this.#children = args.map(() => undefined);
  }

  /** Starts `n` members and resolves once every one reports healthy. */
  static async start(n = 3, timeoutMs = 60_000): Promise<EtcdServers> {
    const dir = await Deno.makeTempDir({ prefix: "tandem-etcd-cluster-" });
    const ports = freePorts(2 * n);
    const names = Array.from({ length: n }, (_, i) => `e${i}`);
    const peer = (i: number) => `http://127.0.0.1:${ports[2 * i + 1]}`;
    const client = (i: number) => `http://127.0.0.1:${ports[2 * i]}`;
    const initial = names.map((name, i) => `${name}=${peer(i)}`).join(",");
    const args = names.map((name, i) => [
      "--name",
      name,
      "--listen-client-urls",
      client(i),
      "--advertise-client-urls",
      client(i),
      "--listen-peer-urls",
      peer(i),
      "--initial-advertise-peer-urls",
      peer(i),
      "--initial-cluster",
      initial,
      "--initial-cluster-state",
      "new",
      "--initial-cluster-token",
      "tandem-test",
      "--data-dir",
      `${dir}/${name}`,
    ]);
    const servers = new EtcdServers(dir, names.map((_, i) => client(i)), args);
    for (let i = 0; i < n; i++) servers.#spawn(i);
    try {
      await servers.healthy(timeoutMs);
    } catch (e) {
      await servers[Symbol.asyncDispose]();
      throw e;
    }
    return servers;
  }

  #spawn(i: number): void {
    this.#children[i] = new Deno.Command(ETCD_BIN, {
      args: this.#args[i]!,
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
  }

  /** Resolves once every running member reports healthy (a quorum is needed for that). */
  async healthy(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (let i = 0; i < this.endpoints.length; i++) {
      if (this.#children[i] === undefined) continue;
      const url = this.endpoints[i]!;
      while (true) {
        try {
          const res = await fetch(`${url}/health`);
          if (res.ok && (await res.text()).includes("true")) break;
        } catch {
          // not up yet
        }
        if (Date.now() > deadline) {
          throw new Error(
            `Cannot start an etcd cluster: ${url} not healthy within ${timeoutMs} ms`,
          );
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  /** Index of the member that is etcd's Raft leader now (from its `/metrics`), or -1. */
  async leader(): Promise<number> {
    for (let i = 0; i < this.endpoints.length; i++) {
      if (this.#children[i] === undefined) continue;
      try {
        const text = await (await fetch(`${this.endpoints[i]}/metrics`)).text();
        if (/^etcd_server_is_leader 1$/m.test(text)) return i;
      } catch {
        // down
      }
    }
    return -1;
  }

  /** Whether member `i` runs. */
  running(i: number): boolean {
    return this.#children[i] !== undefined;
  }

  /** SIGKILLs member `i`. */
  kill(i: number): Promise<void> {
    return this.stop(i, "SIGKILL");
  }

  /**
   * Stops member `i` with `signal` and waits for its exit. SIGTERM is etcd's graceful stop: it
   * closes its client connections (gRPC clients get an HTTP/2 GOAWAY) before it exits.
   */
  async stop(i: number, signal: Deno.Signal = "SIGTERM"): Promise<void> {
    const c = this.#children[i];
    this.#children[i] = undefined;
    if (!c) return;
    try {
      c.kill(signal);
    } catch { /* exited */ }
    await c.status;
  }

  /** Sends `signal` to member `i` if it runs (SIGSTOP to freeze it, SIGCONT to resume). */
  signal(i: number, signal: Deno.Signal): void {
    try {
      this.#children[i]?.kill(signal);
    } catch { /* exited */ }
  }

  /** Starts member `i` again on its ports and data directory (after `stop` or `kill`). */
  restart(i: number): void {
    if (this.#children[i] === undefined) this.#spawn(i);
  }

  /** SIGKILLs every member and removes the data. */
  async [Symbol.asyncDispose](): Promise<void> {
    for (let i = 0; i < this.#children.length; i++) await this.kill(i);
    await Deno.remove(this.#dir, { recursive: true }).catch(() => {});
  }
}
