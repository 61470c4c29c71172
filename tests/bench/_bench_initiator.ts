/**
 * The measuring side of the round-trip benchmarks: a real Tandem
 * {@linkcode Initiator} (FIX.4.4, BENCH → EXEC, dictionary validation on,
 * memory or journal store) with an application that counts what arrives, so
 * a benchmark can await "the next ExecutionReport" or "the Heartbeat
 * answering TestRequest X" without polling.
 *
 * @module
 */

import { Initiator } from "../../lib/engine/initiator.ts";
import { JournalSessionStore } from "../../lib/engine/journal_store.ts";
import type { SessionStore } from "../../lib/engine/store.ts";
import { dictionaryValidator } from "../../lib/engine/validation.ts";
import type { FixMessage } from "../../lib/fix/message.ts";
import { formatUtcTimestamp } from "../../lib/fix/values.ts";
import { Journal, type SyncPolicy } from "../../lib/journal/mod.ts";
import type { Field } from "../../lib/session/session.ts";
import { within } from "./_stats.ts";

const DEBUG = Deno.env.get("TANDEM_BENCH_DEBUG") !== undefined;

/** SenderCompID of the benchmark initiator. */
export const INITIATOR_ID = "BENCH";
/** SenderCompID of the benchmark acceptor. */
export const ACCEPTOR_ID = "EXEC";

/** Options for {@linkcode BenchInitiator.start}. */
export interface BenchInitiatorOptions {
  readonly addresses: readonly { hostname: string; port: number }[];
  /** Directory of a journal for the initiator's store; absent: memory. */
  readonly journalDir?: string;
  /** Sync policy of that journal. Default `none` (issue 14's "journal on"). */
  readonly journalSyncPolicy?: SyncPolicy;
  readonly reconnectDelayMs?: number;
}

/** A logged-on benchmark initiator; see the module doc. */
export class BenchInitiator implements AsyncDisposable {
  readonly initiator: Initiator;
  /** The initiator's last log lines (for explaining a failure). */
  readonly log: string[] = [];
  readonly #journal: Journal | undefined;
  #executionReports = 0;
  /** `performance.now()` when ExecutionReport k arrived, at k % length (no allocation). */
  readonly #executionReportAtMs = new Float64Array(64);
  #logons = 0;
  #waiters: { until: () => boolean; resolve: () => void }[] = [];
  #heartbeats = new Set<string>();
  #orderId = 0;
  readonly #clOrdId: [number, string] = [11, ""];
  readonly #transactTime: [number, string] = [60, ""];
  readonly #order: Field[] = [
    this.#clOrdId,
    [1, "ACCT-7788"],
    [21, "1"],
    [55, "MSFT"],
    [54, "1"],
    this.#transactTime,
    [38, 100],
    [40, "2"],
    [44, "187.25"],
    [59, "0"],
  ];

  private constructor(options: BenchInitiatorOptions, journal: Journal | undefined) {
    this.#journal = journal;
    const store: SessionStore | undefined = journal ? new JournalSessionStore(journal) : undefined;
    this.initiator = new Initiator({
      session: {
        beginString: "FIX.4.4",
        senderCompId: INITIATOR_ID,
        targetCompId: ACCEPTOR_ID,
        heartbeatIntervalS: 30,
        validate: dictionaryValidator("FIX.4.4"),
      },
      addresses: options.addresses,
      ...(store ? { store } : {}),
      reconnectDelayMs: options.reconnectDelayMs ?? 100,
      maxOutboundBufferedBytes: 256 * 1024 * 1024,
      closeTimeoutMs: 500,
      logger: (level, message) => {
        this.log.push(`${level} ${message}`);
        if (this.log.length > 12) this.log.shift();
        if (DEBUG) console.error(`initiator ${level} ${message}`);
      },
      application: {
        onLogon: () => {
          this.#logons++;
          this.#wake();
        },
        onMessage: (m: FixMessage) => {
          if (m.msgType === "8") {
            this.#executionReportAtMs[++this.#executionReports % this.#executionReportAtMs.length] =
              performance.now();
            this.#wake();
          }
        },
        onAdmin: (m: FixMessage) => {
          if (m.msgType === "0") {
            const id = m.get(112);
            if (id !== undefined) {
              this.#heartbeats.add(id);
              this.#wake();
            }
          }
        },
      },
    });
  }

  /** Creates the initiator, starts it and waits for the first Logon. */
  static async start(options: BenchInitiatorOptions): Promise<BenchInitiator> {
    const journal = options.journalDir === undefined
      ? undefined
      : await Journal.open(options.journalDir, { syncPolicy: options.journalSyncPolicy ?? "none" });
    const b = new BenchInitiator(options, journal);
    b.initiator.start();
    await within(b.waitFor(() => b.logons >= 1), 20_000, "the benchmark initiator's Logon");
    return b;
  }

  /** Logons so far (a reconnect after failover adds one). */
  get logons(): number {
    return this.#logons;
  }

  /** ExecutionReports received so far. */
  get executionReports(): number {
    return this.#executionReports;
  }

  /**
   * When the application was handed ExecutionReport number `k` (1-based), in `performance.now()`
   * time: where a round trip ends. Awaiting {@linkcode waitFor} ends later: its promise settles
   * only after everything else in the same read (the fill beside the first report) was
   * processed. Only the last 64 are kept.
   */
  executionReportAtMs(k: number): number {
    if (
      k > this.#executionReports || k <= this.#executionReports - this.#executionReportAtMs.length
    ) {
      throw new RangeError(`ExecutionReport ${k} is not among the last ones received`);
    }
    return this.#executionReportAtMs[k % this.#executionReportAtMs.length]!;
  }

  /** Whether the session is logged on now. */
  get isLoggedOn(): boolean {
    return this.initiator.host.isLoggedOn;
  }

  /** Resolves once `until()` holds (checked whenever something arrives). */
  waitFor(until: () => boolean): Promise<void> {
    if (until()) return Promise.resolve();
    const { promise, resolve } = Promise.withResolvers<void>();
    this.#waiters.push({ until, resolve });
    return promise;
  }

  #wake(): void {
    // compacted in place: no new array per message (this process's allocation is measured)
    const waiters = this.#waiters;
    let kept = 0;
    for (let i = 0; i < waiters.length; i++) {
      const w = waiters[i]!;
      if (w.until()) w.resolve();
      else waiters[kept++] = w;
    }
    while (waiters.length > kept) waiters.pop();
  }

  /** Sends one NewOrderSingle (~200 bytes). */
  sendOrder(nowMs = Date.now(), clOrdId?: string): void {
    // one array refilled per order: send() reads the fields during the call
    this.#clOrdId[1] = clOrdId ?? `ORD-${++this.#orderId}`;
    this.#transactTime[1] = formatUtcTimestamp(nowMs, 3);
    this.initiator.send("D", this.#order);
  }

  /** Sends a TestRequest; its Heartbeat arrives after everything sent before it was processed. */
  sendTestRequest(id: string): void {
    this.initiator.send("1", [[112, id]]);
  }

  /** Resolves when the Heartbeat answering TestRequest `id` arrived. */
  heartbeat(id: string): Promise<void> {
    return this.waitFor(() => this.#heartbeats.has(id));
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.initiator.close();
    await this.#journal?.[Symbol.asyncDispose]();
  }
}
