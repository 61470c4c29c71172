/**
 * The gate between the journal and the socket on a replicating primary: the
 * {@linkcode AckTracker} decides when each outbound message may be written,
 * this class turns its decisions into promises the session host waits on and
 * owns the one timer that fires the strategy deadlines.
 *
 * Messages are released strictly in journal order. When the tracker is full
 * (`maxUnackedMessages` waiting) later messages are registered only as
 * earlier ones are released, so the session's output queues behind them —
 * backpressure instead of an error.
 *
 * Disposing the gate (the node stops leading, or shuts down) releases
 * nothing: every waiting message, and any message offered afterwards, is
 * cancelled with {@linkcode ReleaseCancelledError}, and the connection drops
 * it and closes. Releasing them instead would show the counterparty messages
 * the replica may never have had — after a failover, the new primary would
 * reuse their sequence numbers. They stay in the journal; a ResendRequest gets
 * them from whichever node leads next, if it has them.
 *
 * The application API waits on the gate too: {@linkcode ReleaseGate.whenReleased}
 * answers a send only once its message is released (durable on the replicas
 * the strategy requires), and {@linkcode ReleaseGate.whenCommitted} lets the
 * stream emit a record (inbound ones included, which are never registered)
 * only once the default strategy is satisfied for its index (under
 * `timeout`, or once its bound has passed since the stream asked). Both reject
 * with {@linkcode ReleaseCancelledError} when the gate is disposed.
 *
 * @module
 */

import { type AckPolicy, AckTracker, type ReleasedMessage } from "../replication/mod.ts";

/** A message the gate will never release: the gate was disposed. */
export class ReleaseCancelledError extends Error {
  /** Journal index of the message. */
  readonly index: number;
  /** Creates the error for the message at `index`. */
  constructor(index: number) {
    super(`Cannot release journal index ${index}: this node no longer leads`);
    this.name = "ReleaseCancelledError";
    this.index = index;
  }
}

/** Options for {@linkcode ReleaseGate}. */
export interface ReleaseGateOptions {
  readonly policy: AckPolicy;
  readonly byMsgType?: Readonly<Record<string, AckPolicy>>;
  readonly maxUnackedMessages?: number;
  /** Clock in ms. Default `Date.now`. */
  readonly clock?: () => number;
  /** Called for every release (metrics). */
  readonly onRelease?: (released: ReleasedMessage) => void;
}

/** Promises for the {@linkcode AckTracker}'s releases; see the module doc. */
export class ReleaseGate implements Disposable {
  readonly tracker: AckTracker;
  readonly #clock: () => number;
  readonly #onRelease: ((r: ReleasedMessage) => void) | undefined;
  readonly #waiting = new Map<number, PromiseWithResolvers<void>>();
  readonly #overflow: { index: number; msgType: string; p: PromiseWithResolvers<void> }[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  #timerAtMs = Infinity;
  #closed = false;
  /** Highest index released so far (releases come in journal order). */
  #releasedThrough = 0;
  /** whenReleased/whenCommitted waiters, settled after every release, ack, recheck and tick. */
  #watchers: Watcher[] = [];

  constructor(options: ReleaseGateOptions) {
    this.tracker = new AckTracker({
      policy: options.policy,
      ...(options.byMsgType ? { byMsgType: options.byMsgType } : {}),
      ...(options.maxUnackedMessages ? { maxUnackedMessages: options.maxUnackedMessages } : {}),
    });
    this.#clock = options.clock ?? Date.now;
    this.#onRelease = options.onRelease;
  }

  /**
   * The session host's hook: undefined when `index` may be written at once,
   * else a promise resolved when it is released.
   */
  awaitRelease(index: number, msgType: string): Promise<void> | undefined {
    if (this.#closed) {
      const p = pending();
      p.reject(new ReleaseCancelledError(index));
      return p.promise;
    }
    if (this.#overflow.length > 0 || this.tracker.isFull) {
      const p = pending();
      this.#overflow.push({ index, msgType, p });
      return p.promise;
    }
    const released = this.tracker.register(index, msgType, this.#clock());
    let now = false;
    for (const r of released) {
      if (r.index === index) now = true;
      this.#release(r);
    }
    if (released.length > 0) this.#settleWatchers();
    if (now) return undefined;
    const p = pending();
    this.#waiting.set(index, p);
    this.#arm();
    return p.promise;
  }

  /** A replica acknowledged everything up to `index`. */
  onAck(replicaId: string, index: number): void {
    if (this.#closed) return;
    for (const r of this.tracker.onAck(replicaId, index, this.#clock())) this.#release(r);
    this.#drainOverflow();
    this.#arm();
    this.#settleWatchers();
  }

  /**
   * Asks every waiting message's strategy again (a custom strategy whose answer
   * changed without an ack, e.g. the cluster's in-sync set shrank).
   */
  recheck(): void {
    if (this.#closed) return;
    for (const r of this.tracker.onTick(this.#clock())) this.#release(r);
    this.#drainOverflow();
    this.#arm();
  }

  /**
   * Resolves once the message registered at `index` (or a later one) is
   * released; rejects with {@linkcode ReleaseCancelledError} if the gate is
   * disposed first.
   */
  whenReleased(index: number): Promise<void> {
    return this.#watch(index, false);
  }

  /**
   * Resolves once record `index` is durable as the default strategy requires
   * (the strategy is satisfied for it with the acks received so far), or a
   * message at or after it was released; rejects with
   * {@linkcode ReleaseCancelledError} if the gate is disposed first.
   */
  whenCommitted(index: number): Promise<void> {
    return this.#watch(index, true);
  }

  #watch(index: number, committed: boolean): Promise<void> {
    const p = pending();
    if (this.#closed) p.reject(new ReleaseCancelledError(index));
    else if (this.#isSettled(index, committed)) p.resolve();
    else {
      const w: Watcher = { index, committed, p, timer: undefined };
      // A record never registered has no deadline in the tracker: the default strategy's bound
      // (timeout) counts from now, when the stream asks, which is when the record appeared.
      const now = this.#clock();
      const at = committed ? this.tracker.strategyFor("").deadlineAtMs(now, "") : undefined;
      if (at !== undefined) {
        w.timer = setTimeout(() => {
          this.#watchers = this.#watchers.filter((x) => x !== w);
          p.resolve();
        }, Math.max(0, at - now));
      }
      this.#watchers.push(w);
    }
    return p.promise;
  }

  #isSettled(index: number, committed: boolean): boolean {
    if (index <= this.#releasedThrough) return true;
    if (!committed) return false;
    let acked = 0;
    const acks = this.tracker.replicaAcks;
    for (const a of acks.values()) if (a >= index) acked++;
    return this.tracker.strategyFor("").isSatisfied({
      index,
      msgType: "",
      ackedReplicas: acked,
      knownReplicas: acks.size,
    });
  }

  #settleWatchers(): void {
    if (this.#watchers.length === 0) return;
    this.#watchers = this.#watchers.filter((w) => {
      if (!this.#isSettled(w.index, w.committed)) return true;
      clearTimeout(w.timer);
      w.p.resolve();
      return false;
    });
  }

  /** Messages waiting for a release. */
  get waitingCount(): number {
    return this.#waiting.size + this.#overflow.length;
  }

  #release(r: ReleasedMessage): void {
    if (r.index > this.#releasedThrough) this.#releasedThrough = r.index;
    this.#onRelease?.(r);
    const p = this.#waiting.get(r.index);
    if (p) {
      this.#waiting.delete(r.index);
      p.resolve();
    }
  }

  #drainOverflow(): void {
    while (this.#overflow.length > 0 && !this.tracker.isFull) {
      const next = this.#overflow.shift()!;
      const released = this.tracker.register(next.index, next.msgType, this.#clock());
      this.#waiting.set(next.index, next.p);
      for (const r of released) this.#release(r);
    }
  }

  #arm(): void {
    const at = this.tracker.nextDeadlineAtMs ?? Infinity;
    if (at === this.#timerAtMs) return;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerAtMs = at;
    if (at === Infinity) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#timerAtMs = Infinity;
      for (const r of this.tracker.onTick(this.#clock())) this.#release(r);
      this.#drainOverflow();
      this.#arm();
      this.#settleWatchers();
    }, Math.max(0, at - this.#clock()));
  }

  /** Cancels everything still waiting and all later offers (see the module doc); stops the timer. */
  [Symbol.dispose](): void {
    this.#closed = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    for (const [index, p] of this.#waiting) p.reject(new ReleaseCancelledError(index));
    for (const o of this.#overflow) o.p.reject(new ReleaseCancelledError(o.index));
    for (const w of this.#watchers) {
      clearTimeout(w.timer);
      w.p.reject(new ReleaseCancelledError(w.index));
    }
    this.#watchers = [];
    this.#waiting.clear();
    this.#overflow.length = 0;
  }
}

/** A whenReleased/whenCommitted call waiting to be settled. */
interface Watcher {
  readonly index: number;
  readonly committed: boolean;
  readonly p: PromiseWithResolvers<void>;
  timer: ReturnType<typeof setTimeout> | undefined;
}

/**
 * A promise whose rejection is handled even when nobody waits on it (a
 * session without a connection stores messages and never enqueues them).
 */
function pending(): PromiseWithResolvers<void> {
  const p = Promise.withResolvers<void>();
  p.promise.catch(() => {});
  return p;
}
