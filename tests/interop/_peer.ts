import { readLines } from "../../lib/io/read_lines.ts";
import { freePort } from "../../lib/testing/ports.ts";
/**
 * Helpers that run the QuickFIX C++ interop peer (`tests/interop/qfpeer.cpp`, built into
 * `tests/interop/build/qfpeer` by `.ci/install_interop.sh`) from Deno tests.
 *
 * The peer speaks JSON lines on stdout: `{"listening":P}` once an acceptor has bound its port,
 * event lines (`{"event":"logon"|"logout"|"disconnect","nextSenderSeq":…,"nextTargetSeq":…}`),
 * and exactly one summary line (the only line with an `"ok"` key) just before it exits. Its
 * diagnostics go to stderr, which these helpers keep (the last {@linkcode STDERR_KEEP_BYTES})
 * for error messages. QuickFIX's own message and event logs are in `<dataDir>/log`, its message
 * store in `<dataDir>/store` and the generated settings in `<dataDir>/qfpeer.cfg`.
 *
 * ```ts ignore
 * const peer = await ensureQfPeer();
 * if (!peer.ok) throw new Error(peer.reason);
 * await using venue = await startQfAcceptor({ dataDir, senderCompId: "VENUE", targetCompId: "TANDEM" });
 * // … point a Tandem initiator at 127.0.0.1:venue.port …
 * const summary = await venue.stop();
 * ```
 *
 * @module
 */

/** Absolute path of the peer binary. */
export const QFPEER_PATH: string = fileUrlToPath(new URL("./build/qfpeer", import.meta.url));

/** The build script; installs QuickFIX and g++ when allowed, then compiles when stale. */
export const INSTALL_SCRIPT_PATH: string = fileUrlToPath(
  new URL("../../.ci/install_interop.sh", import.meta.url),
);

/** The QuickFIX dictionaries shared by all tests (the repository's `spec/`). */
export const DEFAULT_SPEC_DIR: string = fileUrlToPath(
  new URL("../../spec", import.meta.url),
);

/** How much of a peer's stderr is kept for error messages. */
export const STDERR_KEEP_BYTES = 16 * 1024;

/** How long {@linkcode startQfAcceptor} waits for the listening line (FIX 5.0 dictionaries take seconds to parse). */
export const DEFAULT_START_TIMEOUT_MS = 30_000;

/** How many fresh ports {@linkcode startQfAcceptor} tries when the one it picked was taken meanwhile. */
export const DEFAULT_LISTEN_ATTEMPTS = 3;

/** How long {@linkcode QfAcceptor.stop} waits after SIGTERM before it sends SIGKILL. */
export const DEFAULT_STOP_TIMEOUT_MS = 10_000;

/** Thrown when the peer cannot be run or ends without a summary line. */
export class QfPeerError extends Error {
  /** The peer's exit code, when it exited. */
  readonly exitCode: number | undefined;
  /** The tail of the peer's stderr. */
  readonly stderr: string;
  constructor(message: string, exitCode: number | undefined, stderr: string) {
    super(stderr ? `${message}\n--- qfpeer stderr ---\n${stderr}` : message);
    this.name = "QfPeerError";
    this.exitCode = exitCode;
    this.stderr = stderr;
  }
}

/** Result of {@linkcode ensureQfPeer}. */
export type QfPeerBuild = { ok: true; path: string } | { ok: false; reason: string };

/** Options shared by both roles. */
export interface QfPeerOptions {
  /** Directory for the QuickFIX store, logs and settings; reuse it to keep sequence numbers. */
  dataDir: string;
  /** BeginString, default `FIX.4.4`. `FIXT.1.1` uses {@linkcode QfPeerOptions.applVerId}. */
  beginString?: string;
  /** Our SenderCompID (49). */
  senderCompId?: string;
  /** Our TargetCompID (56), i.e. Tandem's CompID. Default `TANDEM`. */
  targetCompId?: string;
  /** Directory with QuickFIX dictionaries; default {@linkcode DEFAULT_SPEC_DIR}. */
  specDir?: string;
  /** An explicit application dictionary file (overrides the one picked from `specDir`). */
  dictionaryPath?: string;
  /** Application version for FIXT.1.1 sessions, default `FIX.5.0SP2`. */
  applVerId?: string;
  /** HeartBtInt (108) the peer uses, default 30. */
  heartbeatIntervalS?: number;
  /** Drop the TCP connection once, without Logout, after this many orders (sent or received). */
  disconnectAfterOrders?: number;
  /** Duplicates (same ExecID / ClOrdID) tolerated before the peer reports `ok: false`; default 0. */
  maxDuplicates?: number;
  /** Keep QuickFIX's file logs in `<dataDir>/log`; default true. */
  fileLog?: boolean;
  /** Further raw arguments for `qfpeer`. */
  extraArgs?: string[];
}

/** Counters both roles report. Sequence numbers are the session's next expected ones at exit. */
export interface QfCommonSummary {
  ok: boolean;
  /** The first anomaly, when `ok` is false. */
  reason?: string;
  possDupReceived: number;
  appMessagesResent: number;
  resendRequestsSeen: number;
  resendRequestsSent: number;
  sequenceResetsSeen: number;
  sequenceResetsSent: number;
  rejectsSeen: number;
  rejectsSent: number;
  /** SequenceReset received with GapFillFlag=Y (skipping administrative messages). */
  gapFillsSeen: number;
  /** SequenceReset received without GapFillFlag: the numbers moved by hand (a manual reset). */
  hardSequenceResetsSeen: number;
  /** Logons received with ResetSeqNumFlag=Y: the counterparty restarted at 1. */
  resetLogonsSeen: number;
  /**
   * Messages QuickFIX refused with "MsgSeqNum too low" (a Logon or message numbered below what it
   * expected, without PossDup): what a gateway that lost its sequence numbers causes.
   */
  seqTooLow: number;
  /** QuickFIX's first "MsgSeqNum too low" event text ("" when none). */
  seqTooLowText: string;
  logons: number;
  logouts: number;
  nextSenderSeq: number;
  nextTargetSeq: number;
  elapsedMs: number;
}

/** What `qfpeer initiator` prints when it ends. */
export interface QfInitiatorSummary extends QfCommonSummary {
  role: "initiator";
  ordersSent: number;
  ordersCompleted: number;
  execsReceived: number;
  duplicates: number;
}

/** What `qfpeer acceptor` prints when it ends. */
export interface QfAcceptorSummary extends QfCommonSummary {
  role: "acceptor";
  ordersReceived: number;
  execsSent: number;
  duplicates: number;
}

/** A session event line. */
export interface QfPeerEvent {
  event: "logon" | "logout" | "disconnect";
  nextSenderSeq: number;
  nextTargetSeq: number;
  /** Text (58) of the counterparty's Logout, if any. */
  text?: string;
}

/** Options of {@linkcode startQfAcceptor}. */
export interface QfAcceptorOptions extends QfPeerOptions {
  /** Port to listen on; default a free port found by binding port 0 (retried if taken meanwhile). */
  port?: number;
  /** Exit after the first Logout the counterparty initiates (default false: run until stopped). */
  exitOnLogout?: boolean;
  /**
   * Reload the QuickFIX store at each Logon (RefreshOnLogon=Y): a standby acceptor started on the
   * same `dataDir` as a failed one then continues that session's sequence numbers.
   */
  refreshOnLogon?: boolean;
  /** Wait this long for the listening line; default {@linkcode DEFAULT_START_TIMEOUT_MS}. */
  startTimeoutMs?: number;
}

/** A running QuickFIX acceptor. Disposing it stops it (SIGTERM, then SIGKILL). */
export interface QfAcceptor extends AsyncDisposable {
  /** The port it listens on (127.0.0.1 and every other local address). */
  readonly port: number;
  /** Process id. */
  readonly pid: number;
  /** Session events so far, in order. */
  readonly events: readonly QfPeerEvent[];
  /** Settles when the process exits: its summary, or a {@linkcode QfPeerError} without one. */
  readonly summary: Promise<QfAcceptorSummary>;
  /** Resolves when the `count`-th event named `name` (1-based, counted since start) has been seen. */
  waitForEvent(name: QfPeerEvent["event"], count?: number): Promise<QfPeerEvent>;
  /** Sends SIGTERM (the peer logs a logged-on session out first) and returns the summary. */
  stop(): Promise<QfAcceptorSummary>;
  /** Sends SIGKILL, like a crash, and waits for the process to end. */
  kill(): Promise<void>;
}

/** Options of {@linkcode runQfInitiator}. */
export interface QfInitiatorOptions extends QfPeerOptions {
  /** Port of the acceptor (Tandem). */
  port: number;
  /** Host of the acceptor, default `127.0.0.1`. */
  host?: string;
  /** Number of NewOrderSingle to send (ClOrdID `<idPrefix><i>`, i = 1..orders). */
  orders: number;
  /** ClOrdID prefix, default `ORD-`; change it when reusing a data dir against the same venue. */
  idPrefix?: string;
  /** Orders in flight without their fill, default 100. */
  window?: number;
  /** Orders submitted while disconnected after the forced drop, default 10. */
  sendWhileDown?: number;
  /** Seconds after which the peer gives up (exits 1 with a reason); default 120. */
  timeoutS?: number;
  /** Seconds between reconnect attempts, default 1. */
  reconnectIntervalS?: number;
  /** Kills the peer (SIGKILL) when aborted; the call then rejects. */
  signal?: AbortSignal;
}

let buildResult: Promise<QfPeerBuild> | undefined;

/**
 * Builds the peer if needed (once per process) by running `.ci/install_interop.sh` with
 * `QFPEER_NO_INSTALL=1`: it compiles when the binary is missing or stale, but never calls apt.
 * Resolves `{ok: false, reason}` when g++ or QuickFIX is missing or the build fails.
 */
export function ensureQfPeer(): Promise<QfPeerBuild> {
  buildResult ??= (async (): Promise<QfPeerBuild> => {
    let out: Deno.CommandOutput;
    try {
      out = await new Deno.Command("sh", {
        args: [INSTALL_SCRIPT_PATH],
        env: { QFPEER_NO_INSTALL: "1" },
        stdout: "piped",
        stderr: "piped",
      }).output();
    } catch (e) {
      return { ok: false, reason: `Cannot run ${INSTALL_SCRIPT_PATH}: ${String(e)}` };
    }
    if (!out.success) {
      const err = new TextDecoder().decode(out.stderr).trim();
      return { ok: false, reason: `Cannot build qfpeer: ${err || `exit code ${out.code}`}` };
    }
    return { ok: true, path: QFPEER_PATH };
  })();
  return buildResult;
}

/** A free loopback port below the ephemeral range (see `lib/testing/ports.ts`). */
export function freeTcpPort(): number {
  return freePort();
}

/**
 * Starts `qfpeer acceptor` and resolves once it listens. It answers every NewOrderSingle with an
 * ExecutionReport New then Filled, ignores (and counts) a ClOrdID seen before, and reports its
 * summary when it exits.
 */
export async function startQfAcceptor(options: QfAcceptorOptions): Promise<QfAcceptor> {
  const attempts = options.port === undefined ? DEFAULT_LISTEN_ATTEMPTS : 1;
  let lastError: QfPeerError | undefined;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const port = options.port ?? freeTcpPort();
    const args = ["acceptor", "--port", String(port), ...commonArgs(options, "VENUE")];
    if (options.exitOnLogout) args.push("--exit-on-logout");
    if (options.refreshOnLogon) args.push("--refresh-on-logon");
    args.push(...(options.extraArgs ?? []));
    const proc = new PeerProcess(args);
    const startTimeoutMs = options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS;
    const result = await proc.waitForListening(startTimeoutMs);
    if (result === "listening") return new RunningAcceptor(proc, port);
    await proc.kill();
    const exit = await proc.exit;
    lastError = new QfPeerError(
      result === "timeout"
        ? `Cannot start qfpeer acceptor on port ${port}: no listening line within ${startTimeoutMs} ms`
        : `Cannot start qfpeer acceptor on port ${port}: ${result.reason}`,
      exit.code,
      proc.stderrText,
    );
    if (result === "timeout" || !result.retry) break;
  }
  throw lastError ?? new QfPeerError("Cannot start qfpeer acceptor", undefined, "");
}

/**
 * Runs `qfpeer initiator` to completion: it logs on, sends `orders` NewOrderSingle, checks that
 * each gets exactly one New and one Filled ExecutionReport, optionally drops the connection once
 * mid-run, logs out and resolves with its summary. A summary with `ok: false` (anomaly, timeout)
 * still resolves; check `ok` and `reason`. Rejects with {@linkcode QfPeerError} when the peer
 * ends without a summary, or when `signal` aborts.
 */
export async function runQfInitiator(options: QfInitiatorOptions): Promise<QfInitiatorSummary> {
  const args = [
    "initiator",
    "--host",
    options.host ?? "127.0.0.1",
    "--port",
    String(options.port),
    "--orders",
    String(options.orders),
    ...commonArgs(options, "CLIENT"),
  ];
  if (options.idPrefix !== undefined) args.push("--id-prefix", options.idPrefix);
  if (options.window !== undefined) args.push("--window", String(options.window));
  if (options.sendWhileDown !== undefined) {
    args.push("--send-while-down", String(options.sendWhileDown));
  }
  if (options.timeoutS !== undefined) args.push("--timeout-s", String(options.timeoutS));
  if (options.reconnectIntervalS !== undefined) {
    args.push("--reconnect-interval-s", String(options.reconnectIntervalS));
  }
  args.push(...(options.extraArgs ?? []));
  options.signal?.throwIfAborted();
  const proc = new PeerProcess(args);
  const onAbort = () => void proc.kill();
  options.signal?.addEventListener("abort", onAbort, { once: true });
  try {
    const exit = await proc.exit;
    options.signal?.throwIfAborted();
    return summaryOf<QfInitiatorSummary>(proc, exit.code, "initiator");
  } finally {
    options.signal?.removeEventListener("abort", onAbort);
  }
}

function commonArgs(o: QfPeerOptions, defaultSender: string): string[] {
  const args = [
    "--begin",
    o.beginString ?? "FIX.4.4",
    "--sender",
    o.senderCompId ?? defaultSender,
    "--target",
    o.targetCompId ?? "TANDEM",
    "--data-dir",
    o.dataDir,
    "--spec-dir",
    o.specDir ?? DEFAULT_SPEC_DIR,
  ];
  if (o.dictionaryPath !== undefined) args.push("--dictionary", o.dictionaryPath);
  if (o.applVerId !== undefined) args.push("--appl-ver", o.applVerId);
  if (o.heartbeatIntervalS !== undefined) args.push("--heartbeat-s", String(o.heartbeatIntervalS));
  if (o.disconnectAfterOrders !== undefined) {
    args.push("--disconnect-after", String(o.disconnectAfterOrders));
  }
  if (o.maxDuplicates !== undefined) args.push("--max-duplicates", String(o.maxDuplicates));
  if (o.fileLog === false) args.push("--log", "none");
  return args;
}

function summaryOf<T extends QfCommonSummary>(
  proc: PeerProcess,
  code: number,
  role: string,
): T {
  const summary = proc.summaryLine;
  if (summary === undefined || summary["role"] !== role) {
    throw new QfPeerError(
      `qfpeer ${role} exited with code ${code} without a summary line`,
      code,
      proc.stderrText,
    );
  }
  return summary as unknown as T;
}

type JsonObject = Record<string, unknown>;
type ListenResult = "listening" | "timeout" | { reason: string; retry: boolean };

/** One qfpeer child process with its stdout parsed into JSON lines and its stderr kept. */
class PeerProcess {
  readonly #child: Deno.ChildProcess;
  readonly events: QfPeerEvent[] = [];
  readonly exit: Promise<Deno.CommandStatus>;
  summaryLine: JsonObject | undefined;
  #listening: JsonObject | undefined;
  #error: JsonObject | undefined;
  #stderr = "";
  #changed: Array<() => void> = [];
  #exited = false;

  constructor(args: string[]) {
    this.#child = new Deno.Command(QFPEER_PATH, {
      args,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const stdoutDone = this.#readLines(this.#child.stdout);
    const stderrDone = this.#readStderr(this.#child.stderr);
    this.exit = Promise.all([this.#child.status, stdoutDone, stderrDone]).then(([status]) => {
      this.#exited = true;
      this.#notify();
      return status;
    });
  }

  get pid(): number {
    return this.#child.pid;
  }

  get stderrText(): string {
    return this.#stderr;
  }

  /** Resolves when something was printed or the process ended. */
  #nextChange(): Promise<void> {
    return new Promise((resolve) => this.#changed.push(resolve));
  }

  #notify(): void {
    const waiters = this.#changed;
    this.#changed = [];
    for (const w of waiters) w();
  }

  async waitFor<T>(probe: () => T | undefined, what: string): Promise<T> {
    for (;;) {
      const found = probe();
      if (found !== undefined) return found;
      if (this.#exited) {
        const status = await this.exit;
        throw new QfPeerError(
          `qfpeer exited with code ${status.code} before ${what}`,
          status.code,
          this.#stderr,
        );
      }
      await this.#nextChange();
    }
  }

  async waitForListening(timeoutMs: number): Promise<ListenResult> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), timeoutMs);
    });
    const listening = this.waitFor((): ListenResult | undefined => {
      if (this.#listening) return "listening";
      if (this.#error) {
        return { reason: String(this.#error["reason"]), retry: this.#error["error"] === "listen" };
      }
      return undefined;
    }, "listening").catch((e: unknown): ListenResult => ({
      reason: e instanceof Error ? e.message : String(e),
      retry: false,
    }));
    try {
      return await Promise.race([listening, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  signal(sig: Deno.Signal): void {
    if (this.#exited) return;
    try {
      this.#child.kill(sig);
    } catch {
      // already gone
    }
  }

  async kill(): Promise<void> {
    this.signal("SIGKILL");
    await this.exit;
  }

  async #readLines(stream: ReadableStream<Uint8Array>): Promise<void> {
    for await (const line of readLines(stream)) {
      this.#onLine(line);
      this.#notify();
    }
  }

  #onLine(line: string): void {
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      this.#appendStderr(`[stdout] ${line}\n`);
      return;
    }
    if (typeof value !== "object" || value === null) return;
    const o = value as JsonObject;
    if ("ok" in o && "role" in o) this.summaryLine = o;
    else if ("listening" in o) this.#listening = o;
    else if ("error" in o) this.#error = o;
    else if ("event" in o) this.events.push(o as unknown as QfPeerEvent);
  }

  async #readStderr(stream: ReadableStream<Uint8Array>): Promise<void> {
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      this.#appendStderr(chunk);
    }
  }

  #appendStderr(text: string): void {
    this.#stderr += text;
    if (this.#stderr.length > STDERR_KEEP_BYTES) {
      this.#stderr = this.#stderr.slice(this.#stderr.length - STDERR_KEEP_BYTES);
    }
  }
}

class RunningAcceptor implements QfAcceptor {
  readonly #proc: PeerProcess;
  readonly port: number;
  readonly summary: Promise<QfAcceptorSummary>;

  constructor(proc: PeerProcess, port: number) {
    this.#proc = proc;
    this.port = port;
    this.summary = proc.exit.then((s) => summaryOf<QfAcceptorSummary>(proc, s.code, "acceptor"));
    // Callers that only dispose must not see an unhandled rejection.
    this.summary.catch(() => {});
  }

  get pid(): number {
    return this.#proc.pid;
  }

  get events(): readonly QfPeerEvent[] {
    return this.#proc.events;
  }

  waitForEvent(name: QfPeerEvent["event"], count = 1): Promise<QfPeerEvent> {
    return this.#proc.waitFor(
      () => this.#proc.events.filter((e) => e.event === name)[count - 1],
      `event ${name} #${count}`,
    );
  }

  async stop(): Promise<QfAcceptorSummary> {
    this.#proc.signal("SIGTERM");
    let timer: ReturnType<typeof setTimeout> | undefined;
    const killed = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        this.#proc.signal("SIGKILL");
        resolve();
      }, DEFAULT_STOP_TIMEOUT_MS);
    });
    try {
      await Promise.race([this.#proc.exit, killed]);
      await this.#proc.exit;
    } finally {
      clearTimeout(timer);
    }
    return await this.summary;
  }

  kill(): Promise<void> {
    return this.#proc.kill();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    try {
      await this.stop();
    } catch {
      // the summary is the caller's business; disposal only guarantees the process is gone
    }
  }
}

function fileUrlToPath(url: URL): string {
  return decodeURIComponent(url.pathname);
}
