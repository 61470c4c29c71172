/**
 * An application of a highly available gateway, as the chaos tests and
 * `tandem demo --gateway-ha` run it: it knows the API address of every
 * gateway member, sends orders with retries and reads the execution stream
 * with resumption, and books everything it got so that a test can say whether
 * each order went out once and each execution came back once.
 *
 * Sending (`POST /sessions/{id}/messages`, JSON with `"clientId"`): an order
 * keeps its client id (its ClOrdID) across every retry, so a member that
 * already journalled it answers `"duplicate": true` with the original index
 * instead of sending it again. A connection error or a timeout moves on to the
 * next member; `503` from a follower names the leader (`{"leader": {"api"}}`),
 * which is tried next; `409` (the leader is not logged on to the venue yet)
 * waits and asks the same member again. Pauses between failed attempts follow
 * {@linkcode DEFAULT_RETRY_BACKOFF_MS}; any other 4xx is the caller's error and
 * is thrown at once.
 *
 * Receiving (`GET /stream?from=N`, WebSocket): the stream is read from the
 * member that leads (`GET /leader`; in a cluster a follower may show a record
 * the next election discards). When the socket ends (the member died, or
 * stopped leading), it is opened again on the leader from the last index seen
 * + 1. A leader streams only durable records, so the indices must strictly
 * increase across members: an index at or below the last one is booked as a
 * problem, as is an ExecID received twice.
 *
 * @module
 */

/** Longest wait for one HTTP attempt before it counts as failed (the order is then retried). */
export const DEFAULT_REQUEST_TIMEOUT_MS = 5_000;
/** Pauses after the 1st, 2nd, … failed attempt in a row (the last repeats). */
export const DEFAULT_RETRY_BACKOFF_MS: readonly number[] = [5, 20, 50, 100, 200, 400];
/** Longest time one order may take, retries included, before the send is given up. */
export const DEFAULT_SEND_DEADLINE_MS = 120_000;
/** Most stream problems kept (their count goes on). */
export const MAX_PROBLEMS_KEPT = 100;

/** Options of {@linkcode GatewayHaClient}. */
export interface GatewayHaClientOptions {
  /** API base URL of every member (`http://127.0.0.1:8080`), in the order they are tried. */
  readonly apiUrls: readonly string[];
  /** Session key, e.g. `FIX.4.4:GW->VENUE`. */
  readonly session: string;
  /** Bearer token of the API, if it requires one. */
  readonly token?: string;
  readonly requestTimeoutMs?: number;
  readonly retryBackoffMs?: readonly number[];
  readonly sendDeadlineMs?: number;
  /** Every retry, redirect and stream resumption, as a line (for debugging). */
  readonly onEvent?: (line: string) => void;
  /** Ends sends and the stream. */
  readonly signal?: AbortSignal;
}

/** What a send got back, in the end. */
export interface SendOutcome {
  readonly clientId: string;
  readonly index: number;
  readonly msgSeqNum: number;
  /** HTTP attempts it took (1 when the first member answered). */
  readonly attempts: number;
  /** Whether the final answer said the id had been seen before (a retry of a journalled send). */
  readonly duplicate: boolean;
  /** The member that answered. */
  readonly apiUrl: string;
}

/** One ExecutionReport as the stream delivered it. */
export interface StreamedExecution {
  readonly index: number;
  readonly epoch: number;
  readonly msgSeqNum: number;
  readonly clOrdId: string;
  readonly execId: string;
  readonly ordStatus: string;
  readonly possDup: boolean;
}

/** Executions of one order. */
export interface OrderExecutions {
  /** ExecutionReports with OrdStatus New. */
  fresh: number;
  /** ExecutionReports with OrdStatus Filled. */
  filled: number;
}

/** A stream message as `/stream` sends it (the fields the client uses). */
interface StreamFrame {
  index: number;
  epoch: number;
  session: string;
  msgType: string;
  msgSeqNum: number;
  fix: string;
}

/** The value of `tag` in a `|`-delimited FIX string, or undefined. */
export function fixField(fix: string, tag: number): string | undefined {
  const s = `|${fix}`;
  const key = `|${tag}=`;
  const at = s.indexOf(key);
  if (at < 0) return undefined;
  const start = at + key.length;
  const end = s.indexOf("|", start);
  return s.slice(start, end < 0 ? undefined : end);
}

/** `http://host:port` for an API address given as `host:port` or as a URL. */
export function apiBaseUrl(address: string): string {
  const url = /^https?:\/\//.test(address) ? address : `http://${address}`;
  return url.replace(/\/+$/, "");
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}

/** See the module doc. */
export class GatewayHaClient implements AsyncDisposable {
  readonly #o: GatewayHaClientOptions;
  readonly #urls: string[];
  readonly #timeoutMs: number;
  readonly #backoffMs: readonly number[];
  readonly #deadlineMs: number;
  readonly #stop = new AbortController();
  readonly #signal: AbortSignal;
  /** The member that last accepted a send (tried first). */
  #preferred: string;

  /** Sends that were answered 200, by client id. */
  readonly sent = new Map<string, SendOutcome>();
  /** HTTP attempts beyond the first, over all sends. */
  retries = 0;
  /** Attempts sent to the leader a follower named. */
  redirects = 0;
  /** Final answers with `"duplicate": true`. */
  duplicateAnswers = 0;

  /** Every streamed application message, by journal index (its `fix`), for comparisons. */
  readonly streamed = new Map<number, string>();
  /** Streamed ExecutionReports of this session, by journal index. */
  readonly executions = new Map<number, StreamedExecution>();
  /** Executions per ClOrdID. */
  readonly orders = new Map<string, OrderExecutions>();
  /** ExecID → the index it first came with. */
  readonly execIds = new Map<string, number>();
  /** Indices at or below the last one seen, ExecIDs seen twice, unreadable frames. */
  readonly problems: string[] = [];
  problemCount = 0;
  /** Highest journal index received from the stream. */
  lastIndex = 0;
  /** Times the stream was opened again after it ended. */
  streamResumes = 0;
  /** Orders with both a New and a Filled report. */
  filledOrders = 0;
  #stream: Promise<void> | undefined;
  #socket: WebSocket | undefined;
  #waiters: { pred: () => boolean; resolve: () => void }[] = [];

  constructor(options: GatewayHaClientOptions) {
    if (options.apiUrls.length === 0) {
      throw new RangeError("Cannot create a gateway client: apiUrls is empty");
    }
    this.#o = options;
    this.#urls = options.apiUrls.map(apiBaseUrl);
    this.#preferred = this.#urls[0]!;
    this.#timeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    this.#backoffMs = options.retryBackoffMs ?? DEFAULT_RETRY_BACKOFF_MS;
    this.#deadlineMs = options.sendDeadlineMs ?? DEFAULT_SEND_DEADLINE_MS;
    this.#signal = options.signal
      ? AbortSignal.any([options.signal, this.#stop.signal])
      : this.#stop.signal;
  }

  #event(line: string): void {
    this.#o.onEvent?.(line);
  }

  #next(url: string): string {
    const i = this.#urls.indexOf(url);
    return this.#urls[(i + 1) % this.#urls.length]!;
  }

  #headers(extra: Record<string, string> = {}): Record<string, string> {
    return this.#o.token === undefined
      ? extra
      : { ...extra, authorization: `Bearer ${this.#o.token}` };
  }

  /**
   * Sends one application message with `clientId` as its idempotency key, retrying on other
   * members until one answers 200; see the module doc. Throws on a 4xx other than 409, after
   * the send deadline, or when aborted.
   */
  async send(
    clientId: string,
    msgType: string,
    fields: Record<string, unknown>,
  ): Promise<SendOutcome> {
    const body = JSON.stringify({ msgType, fields, clientId });
    const path = `/sessions/${encodeURIComponent(this.#o.session)}/messages`;
    const deadline = Date.now() + this.#deadlineMs;
    let target = this.#preferred;
    let failuresInRow = 0;
    let last = "";
    for (let attempt = 1;; attempt++) {
      this.#signal.throwIfAborted();
      if (attempt > 1) this.retries++;
      let status = 0;
      let text = "";
      try {
        const res = await fetch(`${target}${path}`, {
          method: "POST",
          headers: this.#headers({ "content-type": "application/json" }),
          body,
          signal: AbortSignal.any([this.#signal, AbortSignal.timeout(this.#timeoutMs)]),
        });
        status = res.status;
        text = await res.text();
      } catch (e) {
        this.#signal.throwIfAborted();
        text = e instanceof Error ? e.message : String(e);
      }
      let json: Record<string, unknown> = {};
      try {
        json = text.startsWith("{") ? JSON.parse(text) : {};
      } catch {
        // not JSON: kept as text in `last`
      }
      if (status === 200) {
        const outcome: SendOutcome = {
          clientId,
          index: Number(json.index),
          msgSeqNum: Number(json.msgSeqNum),
          attempts: attempt,
          duplicate: json.duplicate === true,
          apiUrl: target,
        };
        if (outcome.duplicate) this.duplicateAnswers++;
        this.#preferred = target;
        this.sent.set(clientId, outcome);
        return outcome;
      }
      last = `${target}: ${status === 0 ? "unreachable" : status} ${text.slice(0, 200)}`;
      if (status >= 400 && status < 500 && status !== 409) {
        throw new Error(`Cannot send ${clientId}: ${last}`);
      }
      if (Date.now() > deadline) {
        throw new Error(
          `Cannot send ${clientId}: no member accepted it within ${this.#deadlineMs} ms; last answer ${last}`,
        );
      }
      const leader = (json.leader as { api?: unknown } | null | undefined)?.api;
      if (status === 503 && typeof leader === "string" && apiBaseUrl(leader) !== target) {
        // A follower named the leader: ask it at once (pausing only when redirects go round).
        this.redirects++;
        this.#event(`send ${clientId}: ${target} redirects to ${leader}`);
        target = apiBaseUrl(leader);
        if (++failuresInRow > this.#urls.length) await this.#pause(failuresInRow);
        continue;
      }
      this.#event(`send ${clientId}: attempt ${attempt} failed (${last})`);
      // 409: the leader has no venue session yet; ask it again. Anything else: the next member.
      if (status !== 409) target = this.#next(target);
      await this.#pause(++failuresInRow);
    }
  }

  #pause(failuresInRow: number): Promise<void> {
    const b = this.#backoffMs;
    return sleep(b[Math.min(failuresInRow, b.length) - 1] ?? 0, this.#signal);
  }

  /**
   * Sends every order `clOrdIds` yields as a NewOrderSingle (client id = ClOrdID) with at most
   * `concurrency` requests in flight; resolves when the iterable is exhausted and every order
   * was answered 200. A generator may decide on the fly when to stop.
   */
  async sendOrders(
    clOrdIds: Iterable<string>,
    concurrency: number,
    order: (clOrdId: string) => Record<string, unknown> = newOrderFields,
    onSent?: (outcome: SendOutcome) => void,
  ): Promise<void> {
    const ids = clOrdIds[Symbol.iterator]();
    const worker = async () => {
      for (let n = ids.next(); !n.done; n = ids.next()) {
        this.expect(n.value);
        const outcome = await this.send(n.value, "D", order(n.value));
        onSent?.(outcome);
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
  }

  /** Starts a book for order `clOrdId` (reports of unknown orders are still counted per ExecID). */
  expect(clOrdId: string): void {
    if (!this.orders.has(clOrdId)) this.orders.set(clOrdId, { fresh: 0, filled: 0 });
  }

  /** Opens the stream (from index 1, or `from`) on the first member and keeps it open. */
  startStream(from = 1): void {
    if (this.#stream) return;
    this.lastIndex = from - 1;
    this.#stream = this.#streamLoop();
  }

  async #streamLoop(): Promise<void> {
    let url = this.#urls[0]!;
    let failuresInRow = 0;
    let opened = false;
    while (!this.#signal.aborted) {
      const leader = await this.#findLeader(url);
      if (leader === undefined) {
        await this.#pause(++failuresInRow);
        continue;
      }
      url = leader;
      if (opened) {
        this.streamResumes++;
        this.#event(`stream resumed on ${url} from index ${this.lastIndex + 1}`);
      }
      opened = true;
      const received = await this.#streamOnce(url);
      if (this.#signal.aborted) break;
      this.#event(`stream from ${url} ended after ${received} messages`);
      failuresInRow = received > 0 ? 1 : failuresInRow + 1;
      url = this.#next(url);
      await this.#pause(failuresInRow);
    }
  }

  /**
   * The member to stream from: the one that says it leads (`GET /leader`), asked from `start`
   * on, or the leader a member names; undefined when none does yet. In a cluster a follower may
   * show a record beyond the leader's commit point that a later election discards, so the stream
   * is read from the leader only. With one member, that member.
   */
  async #findLeader(start: string): Promise<string | undefined> {
    if (this.#urls.length === 1) return start;
    const ask = async (url: string) => {
      try {
        const res = await fetch(`${url}/leader`, {
          headers: this.#headers(),
          signal: AbortSignal.any([this.#signal, AbortSignal.timeout(this.#timeoutMs)]),
        });
        const text = await res.text();
        return res.ok
          ? JSON.parse(text) as { leading?: boolean; leader?: { api?: string | null } | null }
          : undefined;
      } catch {
        return undefined;
      }
    };
    let url = start;
    let hint: string | undefined;
    for (let k = 0; k < this.#urls.length; k++, url = this.#next(url)) {
      const info = await ask(url);
      if (info?.leading === true) return url;
      if (typeof info?.leader?.api === "string") hint ??= apiBaseUrl(info.leader.api);
    }
    if (hint !== undefined && (await ask(hint))?.leading === true) return hint;
    return undefined;
  }

  /** One WebSocket on `base` from the last index + 1; resolves with the count received. */
  #streamOnce(base: string): Promise<number> {
    const { promise, resolve } = Promise.withResolvers<number>();
    let received = 0;
    const wsUrl = `${base.replace(/^http/, "ws")}/stream?from=${this.lastIndex + 1}`;
    let ws: WebSocket;
    try {
      ws = this.#o.token === undefined
        ? new WebSocket(wsUrl)
        : new WebSocket(wsUrl, { headers: this.#headers() });
    } catch {
      return Promise.resolve(0);
    }
    this.#socket = ws;
    const onAbort = () => ws.close();
    this.#signal.addEventListener("abort", onAbort, { once: true });
    ws.onmessage = (e) => {
      received++;
      this.#onFrame(String(e.data), base);
    };
    ws.onerror = () => {};
    ws.onclose = () => {
      this.#signal.removeEventListener("abort", onAbort);
      resolve(received);
    };
    return promise;
  }

  #problem(text: string): void {
    this.problemCount++;
    if (this.problems.length < MAX_PROBLEMS_KEPT) this.problems.push(text);
  }

  #onFrame(data: string, from: string): void {
    let m: StreamFrame;
    try {
      m = JSON.parse(data) as StreamFrame;
    } catch {
      this.#problem(`unreadable stream frame from ${from}: ${data.slice(0, 80)}`);
      return;
    }
    if (!(m.index > this.lastIndex)) {
      this.#problem(`index ${m.index} from ${from} after index ${this.lastIndex} (repeated)`);
      return;
    }
    this.lastIndex = m.index;
    this.streamed.set(m.index, m.fix);
    if (m.session === this.#o.session && m.msgType === "8") {
      const ex: StreamedExecution = {
        index: m.index,
        epoch: m.epoch,
        msgSeqNum: m.msgSeqNum,
        clOrdId: fixField(m.fix, 11) ?? "",
        execId: fixField(m.fix, 17) ?? "",
        ordStatus: fixField(m.fix, 39) ?? "",
        possDup: fixField(m.fix, 43) === "Y",
      };
      this.executions.set(m.index, ex);
      const first = this.execIds.get(ex.execId);
      if (first !== undefined) {
        this.#problem(`ExecID ${ex.execId} at index ${m.index} and at index ${first}`);
      } else {
        this.execIds.set(ex.execId, m.index);
      }
      const book = this.orders.get(ex.clOrdId);
      if (book === undefined) {
        this.#problem(`execution ${ex.execId} at index ${m.index} for unknown order ${ex.clOrdId}`);
      } else if (ex.ordStatus === "0") {
        if (++book.fresh > 1) this.#problem(`second New for ${ex.clOrdId} at index ${m.index}`);
      } else if (ex.ordStatus === "2") {
        if (++book.filled > 1) {
          this.#problem(`second Filled for ${ex.clOrdId} at index ${m.index}`);
        } else this.filledOrders++;
      }
    }
    this.#waiters = this.#waiters.filter((w) => !(w.pred() && (w.resolve(), true)));
  }

  /** Resolves once `pred` holds after a stream message (or now); rejects after `timeoutMs`. */
  async waitFor(pred: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
    if (pred()) return;
    const { promise, resolve } = Promise.withResolvers<void>();
    const waiter = { pred, resolve };
    this.#waiters.push(waiter);
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      await Promise.race([
        promise,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() =>
            reject(
              new Error(
                `Timed out after ${timeoutMs} ms waiting for ${what}: ${this.filledOrders} orders filled, last index ${this.lastIndex}`,
              ),
            ), timeoutMs);
        }),
      ]);
    } finally {
      clearTimeout(timer);
      this.#waiters = this.#waiters.filter((w) => w !== waiter);
    }
  }

  /** Orders expected but lacking their New or their Filled report. */
  incompleteOrders(): string[] {
    return [...this.orders].filter(([, b]) => b.fresh === 0 || b.filled === 0).map(([id]) => id);
  }

  /**
   * Differences between what this client streamed and `reference` (index → fix, e.g. a fresh
   * full read with {@linkcode readStream}): indices missing on either side or with other
   * content. Empty when the resumed stream saw exactly the journal's messages.
   */
  compareStreamed(reference: ReadonlyMap<number, string>): string[] {
    const out: string[] = [];
    for (const [index, fix] of reference) {
      const mine = this.streamed.get(index);
      if (mine === undefined) out.push(`index ${index} never reached the client`);
      else if (mine !== fix) out.push(`index ${index} differs: ${mine} vs ${fix}`);
    }
    for (const index of this.streamed.keys()) {
      if (!reference.has(index)) out.push(`index ${index} streamed but not in the journal`);
    }
    return out;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.#stop.abort();
    this.#socket?.close();
    await this.#stream;
  }
}

/**
 * Reads `/stream` from index `from` on one member until `lastIndex` has arrived; resolves with
 * index → fix. Rejects after `timeoutMs` or if the socket closes first.
 */
export function readStream(
  apiUrl: string,
  lastIndex: number,
  timeoutMs = 30_000,
  from = 1,
): Promise<Map<number, string>> {
  const out = new Map<number, string>();
  const { promise, resolve, reject } = Promise.withResolvers<Map<number, string>>();
  const ws = new WebSocket(`${apiBaseUrl(apiUrl).replace(/^http/, "ws")}/stream?from=${from}`);
  let done = false;
  const finish = (err?: Error) => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    ws.close();
    if (err) reject(err);
    else resolve(out);
  };
  const timer = setTimeout(
    () => finish(new Error(`Cannot read ${apiUrl}/stream up to ${lastIndex} in ${timeoutMs} ms`)),
    timeoutMs,
  );
  if (lastIndex < from) ws.onopen = () => finish();
  ws.onmessage = (e) => {
    const m = JSON.parse(String(e.data)) as StreamFrame;
    out.set(m.index, m.fix);
    if (m.index >= lastIndex) finish();
  };
  ws.onerror = () => {};
  ws.onclose = () =>
    finish(new Error(`Cannot read ${apiUrl}/stream up to ${lastIndex}: the socket closed`));
  return promise;
}

/** The NewOrderSingle the client sends for `clOrdId`: buy 100 TNDM at 10.5, stamped now. */
export function newOrderFields(clOrdId: string): Record<string, unknown> {
  const d = new Date().toISOString(); // 2026-11-24T06:03:48.123Z
  return {
    ClOrdID: clOrdId,
    HandlInst: "1",
    Symbol: "TNDM",
    Side: "1",
    TransactTime: `${d.slice(0, 4)}${d.slice(5, 7)}${d.slice(8, 10)}-${d.slice(11, 23)}`,
    OrderQty: "100",
    OrdType: "2",
    Price: "10.5",
  };
}
