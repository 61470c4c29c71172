import { readLines } from "../lib/io/read_lines.ts";
import { freePorts } from "../lib/testing/ports.ts";
/**
 * Test helpers for gateway end-to-end tests: `main.ts` child processes
 * (acceptor venue and initiator gateway) configured by YAML written to a temp
 * directory, their log lines, and a WebSocket client of the stream API.
 *
 * @module
 */

const MAIN = new URL("../main.ts", import.meta.url).pathname;

/** `n` free loopback ports below the ephemeral range (see `lib/testing/ports.ts`). */
export { freePorts };

/** One `main.ts --config FILE` child process, its stdout/stderr lines collected. */
export class TandemProcess implements AsyncDisposable {
  readonly name: string;
  readonly lines: string[] = [];
  readonly status: Promise<Deno.CommandStatus>;
  readonly #child: Deno.ChildProcess;
  readonly #pumps: Promise<void>;
  #waiters: { test: (l: string) => boolean; resolve: (l: string) => void }[] = [];
  #exited = false;

  constructor(name: string, configFile: string, extraArgs: string[] = []) {
    this.name = name;
    this.#child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", MAIN, "--config", configFile, ...extraArgs],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.status = this.#child.status.then((s) => {
      this.#exited = true;
      return s;
    });
    const pump = async (stream: ReadableStream<Uint8Array>) => {
      for await (const line of readLines(stream)) {
        this.lines.push(line);
        if (Deno.env.get("TANDEM_TEST_ECHO")) console.error(`[${name}] ${line}`);
        this.#waiters = this.#waiters.filter((w) => !(w.test(line) && (w.resolve(line), true)));
      }
    };
    this.#pumps = Promise.all([pump(this.#child.stdout), pump(this.#child.stderr)]).then(() => {});
  }

  /** The process id (to read its memory from /proc). */
  get pid(): number {
    return this.#child.pid;
  }

  /** The first line (from line `from` on) containing every one of `texts`. */
  async waitFor(texts: string | string[], from = 0, timeoutMs = 30_000): Promise<string> {
    const all = typeof texts === "string" ? [texts] : texts;
    const test = (l: string) => all.every((t) => l.includes(t));
    const hit = this.lines.slice(from).find(test);
    if (hit !== undefined) return hit;
    const { promise, resolve } = Promise.withResolvers<string>();
    const waiter = { test, resolve };
    this.#waiters.push(waiter);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() =>
        reject(
          new Error(
            `${this.name}: no line with ${
              JSON.stringify(all)
            } within ${timeoutMs} ms; last lines:\n` +
              this.lines.slice(-20).join("\n"),
          ),
        ), timeoutMs);
    });
    // After the output is drained too, so a line printed just before exiting still counts.
    const exited = Promise.all([this.status, this.#pumps]).then(([s]) => {
      throw new Error(
        `${this.name} exited (code ${s.code}) before a line with ${JSON.stringify(all)}:\n` +
          this.lines.slice(-20).join("\n"),
      );
    });
    try {
      return await Promise.race([promise, timeout, exited]);
    } finally {
      clearTimeout(timer);
      this.#waiters = this.#waiters.filter((w) => w !== waiter);
      exited.catch(() => {});
    }
  }

  /** Sends a signal unless the process has exited. */
  kill(signal: Deno.Signal): void {
    if (this.#exited) return;
    try {
      this.#child.kill(signal);
    } catch (e) {
      if (!(e instanceof TypeError)) throw e;
    }
  }

  /** SIGKILL (a crash) and wait for the process and its pipes. */
  async crash(): Promise<void> {
    this.kill("SIGKILL");
    await this.status;
    await this.#pumps;
  }

  /** SIGTERM (graceful) and wait; returns the exit code. */
  async stop(): Promise<number> {
    this.kill("SIGTERM");
    const s = await this.status;
    await this.#pumps;
    return s.code;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.crash();
  }
}

/** A session entry in the YAML. */
export interface YamlSession {
  readonly sender: string;
  readonly target: string;
  readonly application: "executor" | "api" | "echo";
  readonly heartbeatIntervalS?: number;
  /** Initiator only: extra lines under `connect:` (indented by the caller's text). */
  readonly connect?: { addresses: string[]; extra?: string };
}

/** YAML for a node. */
export function nodeYaml(o: {
  id: string;
  role: "acceptor" | "initiator";
  dataDir: string;
  fixPort?: number;
  apiPort?: number;
  fixTls?: string;
  sessions: YamlSession[];
}): string {
  const lines = [
    "node:",
    `  id: ${o.id}`,
    `  role: ${o.role}`,
    `  dataDir: ${JSON.stringify(o.dataDir)}`,
    "journal:",
    "  syncPolicy: none",
    "fix:",
    ...(o.fixPort === undefined ? [] : [`  listen: 127.0.0.1:${o.fixPort}`]),
    "  logonTimeoutS: 5",
    ...(o.fixTls === undefined ? [] : ["  tls:", ...o.fixTls.split("\n").map((l) => `    ${l}`)]),
    "admin:",
    "  listen: 127.0.0.1:0",
    ...(o.apiPort === undefined ? [] : ["api:", `  listen: 127.0.0.1:${o.apiPort}`]),
    "sessions:",
  ];
  for (const s of o.sessions) {
    lines.push(
      "  - beginString: FIX.4.4",
      `    senderCompId: ${s.sender}`,
      `    targetCompId: ${s.target}`,
      `    heartbeatIntervalS: ${s.heartbeatIntervalS ?? 30}`,
      `    application: ${s.application}`,
    );
    if (s.connect !== undefined) {
      lines.push(
        "    connect:",
        `      addresses: [${s.connect.addresses.join(", ")}]`,
        ...(s.connect.extra?.includes("backoffMs") ? [] : ["      backoffMs: [50, 200]"]),
        "      reconnectDelayMs: 100",
        ...(s.connect.extra ?? "").split("\n").filter((l) => l !== "").map((l) => `      ${l}`),
      );
    }
  }
  return lines.join("\n") + "\n";
}

/**
 * Writes `${dir}/venue.yaml`: acceptor `venue` on `fixPort` with sessions
 * EXEC->`targets` (default GW) running `executor`; returns its path.
 */
export async function writeVenueYaml(
  dir: string,
  fixPort: number,
  o: { fixTls?: string; targets?: string[] } = {},
): Promise<string> {
  const path = `${dir}/venue.yaml`;
  await Deno.writeTextFile(
    path,
    nodeYaml({
      id: "venue",
      role: "acceptor",
      dataDir: `${dir}/venue`,
      fixPort,
      ...(o.fixTls === undefined ? {} : { fixTls: o.fixTls }),
      sessions: (o.targets ?? ["GW"]).map((target) => ({
        sender: "EXEC",
        target,
        application: "executor" as const,
      })),
    }),
  );
  return path;
}

/** Writes `${dir}/gateway.yaml`: initiator `gateway` with its API on `apiPort`; returns its path. */
export async function writeGatewayYaml(
  dir: string,
  apiPort: number,
  sessions: YamlSession[],
): Promise<string> {
  const path = `${dir}/gateway.yaml`;
  await Deno.writeTextFile(
    path,
    nodeYaml({ id: "gateway", role: "initiator", dataDir: `${dir}/gateway`, apiPort, sessions }),
  );
  return path;
}

/** A JSON NewOrderSingle for the gateway API: 100 IBM at market, with `extra` fields on top. */
export function orderJson(clOrdId: string, extra: Record<string, string> = {}): string {
  return JSON.stringify({
    msgType: "D",
    fields: {
      ClOrdID: clOrdId,
      HandlInst: "1",
      Symbol: "IBM",
      Side: "1",
      TransactTime: "20261124-12:00:00",
      OrderQty: "100",
      OrdType: "1",
      ...extra,
    },
  });
}

/** A message from the `/stream` WebSocket. */
export interface Streamed {
  index: number;
  epoch: number;
  session: string;
  msgType: string;
  msgSeqNum: number;
  fix: string;
}

/** A WebSocket client of `/stream?from=N` collecting what arrives. */
export class StreamClient implements AsyncDisposable {
  readonly received: Streamed[] = [];
  readonly #ws: WebSocket;
  readonly #closed: Promise<void>;
  readonly #opened: Promise<void>;
  #waiters: { count: number; resolve: () => void }[] = [];

  /** `onMessage` sees every message as it arrives (a program answering what it streams). */
  constructor(apiPort: number, from: number, onMessage?: (m: Streamed) => void) {
    this.#ws = new WebSocket(`ws://127.0.0.1:${apiPort}/stream?from=${from}`);
    const opened = Promise.withResolvers<void>();
    const closed = Promise.withResolvers<void>();
    this.#opened = opened.promise;
    this.#closed = closed.promise;
    this.#ws.onopen = () => opened.resolve();
    this.#ws.onerror = () => opened.reject(new Error("WebSocket failed"));
    this.#ws.onclose = () => {
      opened.resolve();
      closed.resolve();
    };
    this.#ws.onmessage = (e) => {
      const m = JSON.parse(String(e.data)) as Streamed;
      this.received.push(m);
      onMessage?.(m);
      this.#waiters = this.#waiters.filter((w) =>
        !(this.received.length >= w.count && (w.resolve(), true))
      );
    };
    this.#opened.catch(() => {});
  }

  /** Resolves once open. */
  opened(): Promise<void> {
    return this.#opened;
  }

  /** Resolves once `count` messages have arrived. */
  async waitFor(count: number, timeoutMs = 30_000): Promise<void> {
    if (this.received.length >= count) return;
    const { promise, resolve } = Promise.withResolvers<void>();
    this.#waiters.push({ count, resolve });
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      await Promise.race([
        promise,
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () =>
              reject(
                new Error(
                  `stream: ${this.received.length} of ${count} messages in ${timeoutMs} ms`,
                ),
              ),
            timeoutMs,
          );
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Resolves when the server closes the socket (for example because it died). */
  closed(): Promise<void> {
    return this.#closed;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if (this.#ws.readyState === WebSocket.CONNECTING || this.#ws.readyState === WebSocket.OPEN) {
      this.#ws.close();
    }
    await this.#closed;
  }
}

/** Calls the API; returns status and parsed JSON body. */
export async function api(
  port: number,
  method: string,
  path: string,
  body?: string,
  contentType = "application/json",
): Promise<{ status: number; json: Record<string, unknown> & unknown[] }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, {
    method,
    ...(body === undefined ? {} : { body, headers: { "content-type": contentType } }),
  });
  const text = await res.text();
  return { status: res.status, json: text === "" ? {} : JSON.parse(text) };
}

/** Polls until `check` returns true (every 20 ms, up to `timeoutMs`). */
export async function until(
  what: string,
  check: () => Promise<boolean> | boolean,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The `/sessions` entry of `key`. */
export async function sessionState(
  apiPort: number,
  key: string,
): Promise<{ loggedOn: boolean; nextSenderSeqNum: number; nextTargetSeqNum: number }> {
  const { json } = await api(apiPort, "GET", "/sessions");
  const s = (json as unknown as { key: string }[]).find((x) => x.key === key);
  if (s === undefined) throw new Error(`No session ${key} in /sessions`);
  return s as unknown as { loggedOn: boolean; nextSenderSeqNum: number; nextTargetSeqNum: number };
}

/** The admin port a node logged in its "node started" line. */
export async function adminPortOf(p: TandemProcess, from = 0): Promise<number> {
  const line = await p.waitFor('"node started"', from);
  return (JSON.parse(line) as { adminPort: number }).adminPort;
}

/** GET on the admin endpoint: the body as text. */
export async function adminGet(port: number, path: string): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  return await res.text();
}

/** The journal's last index from the admin `/status`. */
export async function journalLastIndex(adminPort: number): Promise<number> {
  const status = JSON.parse(await adminGet(adminPort, "/status")) as {
    journal: { lastIndex: number };
  };
  return status.journal.lastIndex;
}
