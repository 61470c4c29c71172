/**
 * Helpers that run Tandem end to end from tests: the real command line (`deno run -A main.ts
 * --role … --config FILE --data-dir DIR`) in a child process, configured by a YAML file written to
 * a temporary directory, observed through its JSON log lines on stderr and its admin endpoint, and
 * driven through its application API (HTTP send, WebSocket stream).
 *
 * ```ts ignore
 * await using tandem = await startTandem({ dir, role: "acceptor", config: { sessions: [...] } });
 * // … point a counterparty at 127.0.0.1:tandem.fixPort …
 * const status = await tandem.session("FIX.4.4:TANDEM->CLIENT");
 * ```
 *
 * The config object is written as YAML after {@linkcode baseConfig}'s defaults for tests: every
 * listener on 127.0.0.1 port 0 (the bound ports are read from the `node started` log line), JSON
 * logs at level info, the journal synced before anything is acknowledged (`syncPolicy: always`,
 * Tandem's default) unless the test says otherwise.
 *
 * @module
 */

import { stringify } from "yaml";
import { Journal, RecordKind } from "../../lib/journal/mod.ts";
import { decodeMessage } from "../../lib/fix/message.ts";
import { readLines } from "../../lib/io/read_lines.ts";

/** The repository root (the child runs there, so `deno.json` and its import map apply). */
export const REPO_ROOT: string = decodeURIComponent(new URL("../../", import.meta.url).pathname);

/** How long {@linkcode startTandem} waits for the `node started` log line. */
export const DEFAULT_TANDEM_START_TIMEOUT_MS = 30_000;

/** How long {@linkcode TandemProcess.stop} waits after SIGTERM before SIGKILL. */
export const DEFAULT_TANDEM_STOP_TIMEOUT_MS = 10_000;

/** How long waits on log lines, sessions and streams last by default before failing the test. */
export const DEFAULT_WAIT_TIMEOUT_MS = 60_000;

/** How much of a child's stderr text is kept for error messages. */
export const TANDEM_STDERR_KEEP_BYTES = 16 * 1024;

/** Most log lines kept per process; older ones are dropped (and can no longer be waited for). */
export const MAX_KEPT_LOG_LINES = 20_000;

/** Thrown when a Tandem child process cannot be started or a wait on it fails. */
export class TandemProcessError extends Error {
  /** The tail of the child's stderr. */
  readonly stderr: string;
  constructor(message: string, stderr: string) {
    super(stderr ? `${message}\n--- tandem stderr (tail) ---\n${stderr}` : message);
    this.name = "TandemProcessError";
    this.stderr = stderr;
  }
}

/** One JSON log line of the child. */
export interface TandemLogLine {
  ts: string;
  level: "debug" | "info" | "warn" | "error";
  msg: string;
  [key: string]: unknown;
}

/** One session as `/status` reports it. */
export interface TandemSessionStatus {
  key: string;
  id: number | null;
  served: boolean;
  loggedOn: boolean;
  connected: boolean;
  nextSenderSeqNum: number;
  nextTargetSeqNum: number;
}

/** What the tests read of `/status`. */
export interface TandemStatus {
  nodeId: string;
  role: string;
  sessions: TandemSessionStatus[];
  journal: { lastIndex: number; [key: string]: unknown };
  [key: string]: unknown;
}

/** Options of {@linkcode startTandem}. */
export interface StartTandemOptions {
  /** Directory for `tandem.yaml` (and, by default, the data directory `data`). */
  dir: string;
  /** `--role`. */
  role: "acceptor" | "initiator";
  /** The configuration, merged over {@linkcode baseConfig} (top-level sections shallowly). */
  config: Record<string, unknown>;
  /** `--data-dir`; default `<dir>/data`. Reuse it to restart a node on its journal. */
  dataDir?: string;
  /** Wait this long for `node started`; default {@linkcode DEFAULT_TANDEM_START_TIMEOUT_MS}. */
  startTimeoutMs?: number;
}

/** The test defaults every config starts from. */
export function baseConfig(
  role: "acceptor" | "initiator",
): Record<string, Record<string, unknown>> {
  return {
    node: { id: `interop-${role}` },
    fix: { listen: "127.0.0.1:0" },
    journal: { syncPolicy: "always" },
    admin: { listen: "127.0.0.1:0" },
    log: { level: "info", format: "json" },
  };
}

/** The session key Tandem uses in its API, admin endpoint and logs. */
export function sessionKey(
  beginString: string,
  senderCompId: string,
  targetCompId: string,
): string {
  return `${beginString}:${senderCompId}->${targetCompId}`;
}

/** Starts Tandem through its command line and resolves once the node has started. */
export async function startTandem(options: StartTandemOptions): Promise<TandemProcess> {
  const base = baseConfig(options.role);
  const config: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(options.config)) {
    const b = base[k];
    config[k] = b && typeof v === "object" && v !== null && !Array.isArray(v) ? { ...b, ...v } : v;
  }
  const configPath = `${options.dir}/tandem-${options.role}.yaml`;
  await Deno.writeTextFile(configPath, stringify(config));
  const dataDir = options.dataDir ?? `${options.dir}/data`;
  const proc = new TandemProcess([
    "run",
    "-A",
    `${REPO_ROOT}main.ts`,
    "--role",
    options.role,
    "--config",
    configPath,
    "--data-dir",
    dataDir,
  ]);
  try {
    const started = await proc.waitForLog(
      (l) => l.msg === "node started",
      "the node started log line",
      { timeoutMs: options.startTimeoutMs ?? DEFAULT_TANDEM_START_TIMEOUT_MS },
    );
    proc.fixPort = numberOrUndefined(started["fixPort"]);
    proc.adminPort = numberOrUndefined(started["adminPort"]);
    proc.apiPort = numberOrUndefined(started["apiPort"]);
  } catch (e) {
    await proc.kill();
    throw e;
  }
  return proc;
}

function numberOrUndefined(v: unknown): number | undefined {
  return typeof v === "number" ? v : undefined;
}

/**
 * Settles like `promise`, or rejects with a {@linkcode TandemProcessError} naming `what` once
 * `timeoutMs` have passed (the timer is cleared either way).
 */
export async function withTimeout<T>(
  promise: Promise<T>,
  timeoutMs: number,
  what: string,
  stderr = "",
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new TandemProcessError(`Timed out after ${timeoutMs} ms waiting for ${what}`, stderr),
        ),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** A Tandem node running as a child process. Disposing it stops it (SIGTERM, then SIGKILL). */
export class TandemProcess implements AsyncDisposable {
  readonly #child: Deno.ChildProcess;
  /** Settles when the process has exited and its output has been read. */
  readonly exit: Promise<Deno.CommandStatus>;
  /** The FIX port (acceptor), from the `node started` line. */
  fixPort: number | undefined;
  /** The admin port. */
  adminPort: number | undefined;
  /** The application API port (when `api.listen` is set). */
  apiPort: number | undefined;
  /** The last {@linkcode MAX_KEPT_LOG_LINES} JSON log lines. */
  readonly logs: TandemLogLine[] = [];
  #stderr = "";
  #waiters: Array<() => void> = [];
  #exited = false;
  #seen = 0;

  constructor(args: string[]) {
    this.#child = new Deno.Command(Deno.execPath(), {
      args,
      cwd: REPO_ROOT,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const stdoutDone = this.#child.stdout.pipeTo(new WritableStream());
    const stderrDone = this.#readStderr(this.#child.stderr);
    this.exit = Promise.all([this.#child.status, stdoutDone, stderrDone]).then(([s]) => {
      this.#exited = true;
      this.#notify();
      return s;
    });
  }

  /** Process id. */
  get pid(): number {
    return this.#child.pid;
  }

  /** The tail of stderr (log lines and anything else). */
  get stderrText(): string {
    return this.#stderr;
  }

  /** Whether the process has exited. */
  get exited(): boolean {
    return this.#exited;
  }

  /**
   * Resolves with the `count`-th log line (1-based, counted since start) matching `predicate`.
   * Rejects when the process exits first or after `timeoutMs`.
   */
  waitForLog(
    predicate: (line: TandemLogLine) => boolean,
    what: string,
    options: { count?: number; timeoutMs?: number } = {},
  ): Promise<TandemLogLine> {
    const count = options.count ?? 1;
    let matched = 0;
    let checked = this.#seen - this.logs.length;
    const probe = (): TandemLogLine | undefined => {
      // Lines dropped from `logs` before the wait began cannot be matched; start at the oldest kept.
      const first = Math.max(checked, this.#seen - this.logs.length);
      for (let n = first; n < this.#seen; n++) {
        const line = this.logs[n - (this.#seen - this.logs.length)]!;
        checked = n + 1;
        if (predicate(line) && ++matched === count) return line;
      }
      return undefined;
    };
    return withTimeout(
      this.#waitFor(probe, what),
      options.timeoutMs ?? DEFAULT_WAIT_TIMEOUT_MS,
      what,
    ).catch((e: unknown) => {
      if (e instanceof TandemProcessError && !e.stderr) {
        throw new TandemProcessError(e.message, this.#stderr);
      }
      throw e;
    });
  }

  async #waitFor<T>(probe: () => T | undefined, what: string): Promise<T> {
    for (;;) {
      const found = probe();
      if (found !== undefined) return found;
      if (this.#exited) {
        const s = await this.exit;
        throw new TandemProcessError(
          `Tandem exited (code ${s.code}${s.signal ? `, ${s.signal}` : ""}) before ${what}`,
          this.#stderr,
        );
      }
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }

  #notify(): void {
    const w = this.#waiters;
    this.#waiters = [];
    for (const f of w) f();
  }

  async #readStderr(stream: ReadableStream<Uint8Array>): Promise<void> {
    for await (const line of readLines(stream)) {
      this.#onLine(line);
      this.#notify();
    }
  }

  #onLine(line: string): void {
    this.#stderr += line + "\n";
    if (this.#stderr.length > TANDEM_STDERR_KEEP_BYTES) {
      this.#stderr = this.#stderr.slice(this.#stderr.length - TANDEM_STDERR_KEEP_BYTES);
    }
    if (!line.startsWith("{")) return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      return;
    }
    if (typeof value !== "object" || value === null || !("msg" in value)) return;
    const l = value as TandemLogLine;
    this.logs.push(l);
    this.#seen++;
    if (this.logs.length > MAX_KEPT_LOG_LINES) this.logs.shift();
  }

  /** Log lines at level warn or error (kept ones). */
  problems(): TandemLogLine[] {
    return this.logs.filter((l) => l.level === "warn" || l.level === "error");
  }

  /** `GET /status` on the admin endpoint. */
  async status(): Promise<TandemStatus> {
    return await this.#admin("GET", "/status") as TandemStatus;
  }

  /** One session of `/status`. */
  async session(key: string): Promise<TandemSessionStatus> {
    const s = (await this.status()).sessions.find((x) => x.key === key);
    if (!s) throw new TandemProcessError(`Session ${key} is not in /status`, this.#stderr);
    return s;
  }

  /** `POST /sessions/{key}/logout` on the admin endpoint (Tandem sends Logout). */
  async logout(key: string, text?: string): Promise<unknown> {
    return await this.#admin(
      "POST",
      `/sessions/${encodeURIComponent(key)}/logout`,
      text === undefined ? {} : { text },
    );
  }

  async #admin(method: string, path: string, body?: unknown): Promise<unknown> {
    if (this.adminPort === undefined) {
      throw new TandemProcessError("Tandem has no admin port", this.#stderr);
    }
    const res = await fetch(`http://127.0.0.1:${this.adminPort}${path}`, {
      method,
      ...(body === undefined
        ? {}
        : { body: JSON.stringify(body), headers: { "content-type": "application/json" } }),
    });
    const text = await res.text();
    if (!res.ok) {
      throw new TandemProcessError(`${method} ${path} answered ${res.status}: ${text}`, "");
    }
    return JSON.parse(text);
  }

  /** Sends SIGTERM (graceful: sessions log out, the journal is flushed) and waits for the exit. */
  async stop(timeoutMs = DEFAULT_TANDEM_STOP_TIMEOUT_MS): Promise<Deno.CommandStatus> {
    this.#signal("SIGTERM");
    let timer: ReturnType<typeof setTimeout> | undefined;
    const killed = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        this.#signal("SIGKILL");
        resolve();
      }, timeoutMs);
    });
    try {
      await Promise.race([this.exit, killed]);
      return await this.exit;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Sends SIGKILL, like a crash, and waits for the exit. */
  async kill(): Promise<Deno.CommandStatus> {
    this.#signal("SIGKILL");
    return await this.exit;
  }

  #signal(sig: Deno.Signal): void {
    if (this.#exited) return;
    try {
      this.#child.kill(sig);
    } catch {
      // already gone
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }
}

/** One ExecutionReport as the API stream delivered it. */
export interface StreamedReport {
  index: number;
  msgSeqNum: number;
  clOrdId: string;
  execId: string;
  ordStatus: string;
  possDup: boolean;
}

/**
 * Reads ExecutionReports from Tandem's API stream (`GET /stream?from=N`), resumable across
 * restarts, and checks as it goes: journal indices and MsgSeqNums strictly increase, ExecIDs are
 * unique, each ClOrdID gets New (OrdStatus 0) before Filled (2) and each at most once. Anomalies
 * are collected in {@linkcode ExecReportStream.anomalies}.
 */
export class ExecReportStream implements AsyncDisposable {
  /** Highest journal index received. */
  lastIndex = 0;
  /** Highest MsgSeqNum received. */
  lastSeqNum = 0;
  /** ExecutionReports received. */
  reports = 0;
  /** Reports marked PossDupFlag=Y (resent by the counterparty). */
  possDups = 0;
  /** ClOrdID → bit 1 New seen, bit 2 Filled seen. */
  readonly flags = new Map<string, number>();
  /** Orders with both reports. */
  completed = 0;
  /** What went wrong, in order. */
  readonly anomalies: string[] = [];
  /** Close code and reason of the last connection that closed. */
  closeReason = "";
  readonly #execIds = new Set<string>();
  readonly #session: string;
  #ws: WebSocket | undefined;
  #closed: Promise<void> = Promise.resolve();
  #waiters: Array<() => void> = [];

  constructor(session: string) {
    this.#session = session;
  }

  /** Opens the stream on `apiPort` from the last index + 1; resolves once it is open. */
  async connect(apiPort: number): Promise<void> {
    await this.close();
    const ws = new WebSocket(`ws://127.0.0.1:${apiPort}/stream?from=${this.lastIndex + 1}`);
    this.#ws = ws;
    const closed = Promise.withResolvers<void>();
    this.#closed = closed.promise;
    const opened = Promise.withResolvers<void>();
    ws.onopen = () => opened.resolve();
    ws.onerror = () => opened.reject(new Error(`Cannot open the API stream on port ${apiPort}`));
    ws.onclose = (e: CloseEvent) => {
      this.closeReason = `code ${e.code}${e.reason ? `: ${e.reason}` : ""}`;
      closed.resolve();
      opened.reject(new Error(`The API stream on port ${apiPort} closed before opening`));
      this.#notify();
    };
    ws.onmessage = (e: MessageEvent) => {
      this.#onMessage(String(e.data));
      this.#notify();
    };
    await opened.promise;
  }

  #onMessage(text: string): void {
    const m = JSON.parse(text) as {
      index: number;
      session: string;
      msgType: string;
      msgSeqNum: number;
      fix: string;
    };
    if (m.index <= this.lastIndex) {
      this.anomalies.push(`index ${m.index} after ${this.lastIndex}`);
    }
    this.lastIndex = m.index;
    if (m.session !== this.#session) {
      this.anomalies.push(`message of session ${m.session}`);
      return;
    }
    if (m.msgSeqNum <= this.lastSeqNum) {
      this.anomalies.push(`MsgSeqNum ${m.msgSeqNum} after ${this.lastSeqNum}`);
    }
    this.lastSeqNum = m.msgSeqNum;
    if (m.msgType !== "8") {
      this.anomalies.push(`unexpected MsgType ${m.msgType}`);
      return;
    }
    const f = fieldsOf(m.fix);
    const r: StreamedReport = {
      index: m.index,
      msgSeqNum: m.msgSeqNum,
      clOrdId: f.get(11) ?? "",
      execId: f.get(17) ?? "",
      ordStatus: f.get(39) ?? "",
      possDup: f.get(43) === "Y",
    };
    this.reports++;
    if (r.possDup) this.possDups++;
    if (this.#execIds.has(r.execId)) this.anomalies.push(`duplicate ExecID ${r.execId}`);
    this.#execIds.add(r.execId);
    const bit = r.ordStatus === "0" ? 1 : r.ordStatus === "2" ? 2 : 0;
    if (bit === 0) {
      this.anomalies.push(`ExecID ${r.execId} has OrdStatus ${r.ordStatus}`);
      return;
    }
    const before = this.flags.get(r.clOrdId) ?? 0;
    if (before & bit) this.anomalies.push(`second OrdStatus ${r.ordStatus} for ${r.clOrdId}`);
    if (bit === 2 && !(before & 1)) this.anomalies.push(`Filled before New for ${r.clOrdId}`);
    this.flags.set(r.clOrdId, before | bit);
    if (before !== 3 && (before | bit) === 3) this.completed++;
  }

  /** Whether the order has both its reports. */
  isComplete(clOrdId: string): boolean {
    return this.flags.get(clOrdId) === 3;
  }

  /** Resolves when `predicate` holds; rejects when the stream closes first or on timeout. */
  waitUntil(
    predicate: () => boolean,
    what: string,
    timeoutMs = DEFAULT_WAIT_TIMEOUT_MS,
  ): Promise<void> {
    const wait = async () => {
      for (;;) {
        if (predicate()) return;
        if (this.#ws === undefined || this.#ws.readyState >= WebSocket.CLOSING) {
          throw new Error(`The API stream closed (${this.closeReason}) before ${what}`);
        }
        await new Promise<void>((resolve) => this.#waiters.push(resolve));
      }
    };
    return withTimeout(wait(), timeoutMs, what);
  }

  /** Resolves once the current connection has closed (e.g. the node was killed). */
  get closed(): Promise<void> {
    return this.#closed;
  }

  #notify(): void {
    const w = this.#waiters;
    this.#waiters = [];
    for (const f of w) f();
  }

  /** Closes the connection (if open) and waits for it to end. */
  async close(): Promise<void> {
    const ws = this.#ws;
    if (ws && ws.readyState < WebSocket.CLOSING) ws.close();
    await this.#closed;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/** Tag → first value of a `|`-delimited FIX string. */
function fieldsOf(fix: string): Map<number, string> {
  const out = new Map<number, string>();
  for (const part of fix.split("|")) {
    const eq = part.indexOf("=");
    if (eq <= 0) continue;
    const tag = Number(part.slice(0, eq));
    if (!out.has(tag)) out.set(tag, part.slice(eq + 1));
  }
  return out;
}

/** What {@linkcode sendOrders} did. */
export interface SendOrdersResult {
  /** ClOrdIDs the API accepted (200): stored in the journal, sent or queued for resend. */
  accepted: string[];
  /** ClOrdIDs whose request failed without an answer (the node died): sent or not, unknown. */
  uncertain: string[];
  /** ClOrdIDs never attempted because sending stopped. */
  unsent: string[];
}

/** The JSON body of one NewOrderSingle for the API. */
export function newOrderSingle(clOrdId: string, transactTime: string): Record<string, unknown> {
  return {
    msgType: "D",
    fields: {
      ClOrdID: clOrdId,
      HandlInst: "1",
      Symbol: "TNDM",
      Side: "1",
      TransactTime: transactTime,
      OrderQty: "100",
      OrdType: "2",
      Price: "10.25",
    },
  };
}

/** `YYYYMMDD-HH:MM:SS.sss` of a time. */
export function utcTimestamp(ms: number): string {
  const iso = new Date(ms).toISOString(); // 2026-11-24T06:04:04.326Z
  return `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}-${iso.slice(11, 23)}`;
}

/** Most times {@linkcode sendOrders} retries one order refused because the session was down. */
export const MAX_NOT_LOGGED_ON_RETRIES = 20;

/** Options of {@linkcode sendOrders}. */
export interface SendOrdersOptions {
  /** Requests in flight at once. */
  concurrency: number;
  /** Called after each accepted order with the running count. */
  onAccepted?: (count: number) => void;
  /**
   * Called when the API refuses an order with 409 because the session is not logged on (nothing
   * was sent); the order is retried once the returned promise resolves. Without it a 409 throws.
   */
  onNotLoggedOn?: () => Promise<void>;
}

/**
 * POSTs a NewOrderSingle for each ClOrdID to `POST /sessions/{key}/messages`, `concurrency`
 * requests at a time. A request without an answer (connection refused or reset) marks its
 * ClOrdID uncertain and stops taking new ones; a 409 because the session is down waits for
 * `onNotLoggedOn` and retries (at most {@linkcode MAX_NOT_LOGGED_ON_RETRIES} times per order);
 * any other non-200 answer throws.
 */
export async function sendOrders(
  apiPort: number,
  key: string,
  clOrdIds: readonly string[],
  options: SendOrdersOptions,
): Promise<SendOrdersResult> {
  const url = `http://127.0.0.1:${apiPort}/sessions/${encodeURIComponent(key)}/messages`;
  const result: SendOrdersResult = { accepted: [], uncertain: [], unsent: [] };
  let next = 0;
  let stopped = false;
  let failure: Error | undefined;
  const retries = new Map<string, number>();
  const retried: string[] = [];
  const worker = async () => {
    while (!stopped && (retried.length > 0 || next < clOrdIds.length)) {
      const id = retried.pop() ?? clOrdIds[next++]!;
      let res: Response;
      try {
        res = await fetch(url, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(newOrderSingle(id, utcTimestamp(Date.now()))),
        });
      } catch {
        result.uncertain.push(id);
        stopped = true;
        return;
      }
      const text = await res.text().catch(() => undefined);
      if (text === undefined) {
        result.uncertain.push(id);
        stopped = true;
        return;
      }
      if (
        res.status === 409 && text.includes("not logged on") && options.onNotLoggedOn &&
        (retries.get(id) ?? 0) < MAX_NOT_LOGGED_ON_RETRIES
      ) {
        retries.set(id, (retries.get(id) ?? 0) + 1);
        retried.push(id);
        await options.onNotLoggedOn();
        continue;
      }
      if (res.status !== 200) {
        failure ??= new Error(`POST order ${id} answered ${res.status}: ${text}`);
        stopped = true;
        return;
      }
      result.accepted.push(id);
      options.onAccepted?.(result.accepted.length);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  if (failure) throw failure;
  result.unsent = [...retried, ...clOrdIds.slice(next)];
  return result;
}

/** Next sequence numbers of a session. */
export interface SeqNums {
  nextSenderSeqNum: number;
  nextTargetSeqNum: number;
}

/** What {@linkcode readSessionJournal} found. */
export interface SessionJournalReport {
  /** The numbers after the last record (what the node restarts with). */
  final: SeqNums;
  /**
   * The numbers right after the last Logout exchange (our Logout, then the counterparty's), or
   * undefined when there was none.
   */
  atLastLogout: SeqNums | undefined;
  /** MsgTypes we sent after that exchange (a node that stays logged out sends none). */
  sentAfterLogout: string[];
  /** Outbound and inbound messages of the session in the journal. */
  outbound: number;
  inbound: number;
}

/**
 * Reads a stopped node's journal (read-only: nothing is written, no recovery) and reports a
 * session's sequence numbers, finally and at its last Logout exchange.
 */
export async function readSessionJournal(
  dataDir: string,
  key: string,
): Promise<SessionJournalReport> {
  await using journal = await Journal.open(dataDir, { readOnly: true });
  const id = journal.sessionId(key);
  if (id === undefined) throw new TandemProcessError(`Session ${key} is not in ${dataDir}`, "");
  const { nextSenderSeqNum, nextTargetSeqNum } = journal.sessionState(id);
  const report: SessionJournalReport = {
    final: { nextSenderSeqNum, nextTargetSeqNum },
    atLastLogout: undefined,
    sentAfterLogout: [],
    outbound: 0,
    inbound: 0,
  };
  let ourLogout: number | undefined;
  let sentSince: string[] = [];
  for (let i = journal.firstIndex; i <= journal.lastIndex; i++) {
    const r = journal.read(i);
    if (r === undefined || r.sessionId !== id) continue;
    if (r.kind === RecordKind.Outbound) {
      report.outbound++;
      const msgType = decodeMessage(r.payload).msgType;
      sentSince.push(msgType);
      if (msgType === "5") ourLogout = r.seqNum;
    } else if (r.kind === RecordKind.Inbound) {
      report.inbound++;
      if (ourLogout !== undefined && decodeMessage(r.payload).msgType === "5") {
        report.atLastLogout = { nextSenderSeqNum: ourLogout + 1, nextTargetSeqNum: r.seqNum + 1 };
        ourLogout = undefined;
        sentSince = [];
      }
    }
  }
  if (report.atLastLogout) report.sentAfterLogout = sentSince;
  return report;
}
