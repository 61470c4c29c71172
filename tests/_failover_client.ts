/**
 * The counterparty of the failover tests and the demo: an in-process
 * {@linkcode Initiator} over a real journal that streams NewOrderSingle and
 * books every ExecutionReport by ClOrdID, so a test can say exactly which
 * order got what, how often, and whether it came as a PossDup resend.
 *
 * @module
 */

import { Initiator, JournalSessionStore, type SessionHandle } from "../lib/engine/mod.ts";
import { Journal } from "../lib/journal/mod.ts";
import type { FixMessage } from "../lib/fix/message.ts";
import { formatUtcTimestamp } from "../lib/fix/values.ts";
import { ACCEPTOR_COMP_ID, INITIATOR_COMP_ID } from "./_failover_cluster.ts";

/** Options of {@linkcode OrderClient.start}. */
export interface OrderClientOptions {
  /** FIX ports in order of preference: primary first. */
  readonly ports: readonly number[];
  readonly reconnectDelayMs?: number;
  readonly heartbeatIntervalS?: number;
  /** TestRequest after HeartBtInt × this of silence (engine semantics). */
  readonly testRequestDelayMultiplier?: number;
  /** Log texts that end every wait with an error (a protocol failure the test forbids). */
  readonly failOn?: readonly string[];
  /** Called on every logon (with the connected address index). */
  readonly onLogon?: (logons: number) => void;
}

/** Executions seen for one order. */
export interface OrderBook {
  /** ExecutionReports with OrdStatus New. */
  fresh: number;
  /** ExecutionReports with OrdStatus Filled. */
  filled: number;
  /** Of those, how many came with PossDupFlag=Y. */
  possDup: number;
}

/** See the module doc. */
export class OrderClient implements AsyncDisposable {
  readonly dir: string;
  readonly journal: Journal;
  readonly initiator: Initiator;
  readonly orders = new Map<string, OrderBook>();
  /** Execution reports received (including duplicates). */
  reports = 0;
  /** Orders completely filled (first Filled report per order). */
  filledOrders = 0;
  /** Reports beyond one New and one Filled per order. */
  duplicates = 0;
  /** Reports for orders this client never sent. */
  unknown = 0;
  /** Reports that came with PossDupFlag=Y. */
  possDupReports = 0;
  /** ExecID (17) → the order and OrdStatus it reported first (to find ids used twice). */
  readonly execIds = new Map<string, string>();
  /** OrderID (37) → the ClOrdID it was first given to. */
  readonly orderIds = new Map<string, string>();
  /** ExecIDs or OrderIDs seen for two different executions or orders. */
  readonly reusedIds: string[] = [];
  /** Session-level rejects and business rejects received. */
  rejects: string[] = [];
  sent = 0;
  logons = 0;
  /** Logout texts received. */
  logouts: string[] = [];
  /** The initiator's log lines. */
  readonly log: string[] = [];
  #stopped = false;
  #failure: string | undefined;
  #waiters: { pred: () => boolean; resolve: () => void }[] = [];

  private constructor(dir: string, journal: Journal, options: OrderClientOptions) {
    this.dir = dir;
    this.journal = journal;
    const onMessage = (m: FixMessage) => this.#onMessage(m);
    this.initiator = new Initiator({
      session: {
        beginString: "FIX.4.4",
        senderCompId: INITIATOR_COMP_ID,
        targetCompId: ACCEPTOR_COMP_ID,
        heartbeatIntervalS: options.heartbeatIntervalS ?? 30,
        ...(options.testRequestDelayMultiplier === undefined
          ? {}
          : { testRequestDelayMultiplier: options.testRequestDelayMultiplier }),
      },
      addresses: options.ports.map((port) => ({ hostname: "127.0.0.1", port })),
      store: new JournalSessionStore(journal),
      reconnectDelayMs: options.reconnectDelayMs ?? 100,
      logger: (level, text) => {
        this.log.push(`${level} ${text}`);
        if (options.failOn?.some((f) => text.includes(f))) this.#failure ??= text;
        if (Deno.env.get("FAILOVER_DEBUG")) console.error(`[client] ${level} ${text}`);
        this.#wake();
      },
      application: {
        onLogon: () => {
          this.logons++;
          options.onLogon?.(this.logons);
          this.#wake();
        },
        onLogout: (_s: SessionHandle, reason: string) => {
          this.logouts.push(reason);
          this.#wake();
        },
        onMessage,
        onAdmin: (m) => {
          if (m.msgType === "3") this.rejects.push(m.toString());
        },
      },
    });
  }

  /** Opens the client's journal (sync policy `none`: its durability is not under test). */
  static async start(options: OrderClientOptions): Promise<OrderClient> {
    const dir = await Deno.makeTempDir({ prefix: "tandem-client-" });
    const journal = await Journal.open(dir, { syncPolicy: "none" });
    const client = new OrderClient(dir, journal, options);
    client.initiator.start();
    return client;
  }

  /** Whether the session is logged on. */
  get loggedOn(): boolean {
    return this.initiator.host.isLoggedOn;
  }

  /** Orders sent but not yet filled. */
  get outstanding(): number {
    return this.sent - this.filledOrders;
  }

  /** Sends one NewOrderSingle with ClOrdID `C<n>`. */
  sendOrder(): string {
    this.sent++;
    const id = `C${this.sent}`;
    this.orders.set(id, { fresh: 0, filled: 0, possDup: 0 });
    this.initiator.send("D", [
      [11, id],
      [21, "1"],
      [55, "TNDM"],
      [54, "1"],
      [60, formatUtcTimestamp(Date.now(), 3)],
      [38, "100"],
      [40, "2"],
      [44, "10.5"],
    ]);
    return id;
  }

  #onMessage(m: FixMessage): void {
    if (m.msgType === "j") this.rejects.push(m.toString());
    if (m.msgType !== "8") return;
    this.reports++;
    const id = m.get(11) ?? "";
    const book = this.orders.get(id);
    if (!book) {
      this.unknown++;
      return;
    }
    if (m.get(43) === "Y") {
      book.possDup++;
      this.possDupReports++;
    }
    const st = m.get(39);
    this.#bookIds(m, id, st ?? "");
    if (st === "0") {
      book.fresh++;
      if (book.fresh > 1) this.duplicates++;
    } else if (st === "2") {
      book.filled++;
      if (book.filled > 1) this.duplicates++;
      else this.filledOrders++;
    }
    this.#wake();
  }

  /** Books ExecID and OrderID; a PossDup resend repeats its own ids, which is no reuse. */
  #bookIds(m: FixMessage, clOrdId: string, ordStatus: string): void {
    const execId = m.get(17);
    const what = `${clOrdId}/${ordStatus}`;
    if (execId !== undefined) {
      const first = this.execIds.get(execId);
      if (first === undefined) this.execIds.set(execId, what);
      else if (first !== what) this.reusedIds.push(`ExecID ${execId}: ${first} and ${what}`);
    }
    const orderId = m.get(37);
    if (orderId !== undefined) {
      const first = this.orderIds.get(orderId);
      if (first === undefined) this.orderIds.set(orderId, clOrdId);
      else if (first !== clOrdId) {
        this.reusedIds.push(`OrderID ${orderId}: ${first} and ${clOrdId}`);
      }
    }
  }

  /** Ends every wait (and any {@linkcode stream}) at once. */
  stop(): void {
    this.#stopped = true;
    this.#wake();
  }

  #wake(): void {
    this.#waiters = this.#waiters.filter((w) =>
      !((this.#stopped || this.#failure !== undefined || w.pred()) && (w.resolve(), true))
    );
  }

  /** Resolves once `pred` holds (checked on every logon, logout and report); rejects after `timeoutMs`. */
  async until(pred: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
    this.#throwIfFailed(what);
    if (this.#stopped || pred()) return;
    const { promise, resolve } = Promise.withResolvers<void>();
    const w = { pred, resolve };
    this.#waiters.push(w);
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      await Promise.race([
        promise,
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () =>
              reject(
                new Error(
                  `timed out waiting for ${what} (sent ${this.sent}, filled ${this.filledOrders}, logons ${this.logons}, loggedOn ${this.loggedOn})`,
                ),
              ),
            timeoutMs,
          );
        }),
      ]);
    } finally {
      clearTimeout(timer);
      this.#waiters = this.#waiters.filter((x) => x !== w);
    }
    this.#throwIfFailed(what);
  }

  #throwIfFailed(what: string): void {
    if (this.#failure !== undefined) {
      throw new Error(`Cannot wait for ${what}: the session failed: ${this.#failure}`);
    }
  }

  /**
   * Streams orders, keeping at most `window` unfilled, until `total` were
   * sent; calls `onSent(n)` after each send (the test kills the primary from it).
   * While the session is down, waits for the next logon.
   */
  async stream(total: number, window: number, onSent?: (n: number) => void): Promise<void> {
    while (this.sent < total && !this.#stopped) {
      await this.until(
        () => this.loggedOn && this.outstanding < window,
        "room to send",
        60_000,
      );
      while (this.sent < total && this.loggedOn && this.outstanding < window) {
        this.sendOrder();
        onSent?.(this.sent);
        this.#wake();
      }
    }
  }

  /** Orders without exactly one New and one Filled report. */
  wrongOrders(): string[] {
    const out: string[] = [];
    for (const [id, b] of this.orders) {
      if (b.fresh !== 1 || b.filled !== 1) out.push(`${id}: new ${b.fresh}, filled ${b.filled}`);
    }
    return out;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.initiator.close();
    await this.journal.close();
    await Deno.remove(this.dir, { recursive: true });
  }
}
