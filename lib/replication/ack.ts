/**
 * Acknowledgement strategies: whether an outbound message may reach the
 * counterparty before a replica has made it durable.
 *
 * The session appends an outbound message to the journal, registers its
 * journal index here and writes it to the socket only once the tracker
 * releases it. Waiting is pipelined: any number of messages (up to
 * {@linkcode AckTrackerOptions.maxUnackedMessages}) are in flight at once and
 * acks are cumulative, so one ack can release thousands of messages.
 *
 * Release is strictly in registration order: a message is released only when
 * every earlier waiting message is released too, because the counterparty
 * must see outbound messages in sequence order. Consequently a `never`
 * message registered behind a waiting `forever` message waits too, and a
 * deadline only fires for the oldest waiting message (later deadlines are
 * examined as soon as it is released).
 *
 * Pure: the time comes in as `nowMs`; the caller arms one timer for
 * {@linkcode AckTracker.nextDeadlineAtMs} and calls {@linkcode AckTracker.onTick}.
 *
 * @module
 */

/** What a strategy sees when asked whether a message may be released. */
export interface AckContext {
  /** Journal index of the message. */
  readonly index: number;
  /** FIX MsgType of the message. */
  readonly msgType: string;
  /** How many known replicas have acknowledged an index at or after this one. */
  readonly ackedReplicas: number;
  /** How many replicas are known (connected now or acked before and not removed). */
  readonly knownReplicas: number;
}

/**
 * A strategy deciding when a message may be released. Implement this to plug
 * a custom policy in through the library API.
 */
export interface AckStrategy {
  /** Name used in status output and counters. */
  readonly name: string;
  /** Absolute time after which the message is released anyway, or `undefined` for never. */
  deadlineAtMs(registeredAtMs: number, msgType: string): number | undefined;
  /** Whether enough replicas have acknowledged the message. */
  isSatisfied(context: AckContext): boolean;
}

/** A strategy as written in configuration. */
export type AckPolicy =
  | { readonly kind: "never" }
  | { readonly kind: "forever" }
  | { readonly kind: "timeout"; readonly timeoutMs: number }
  | { readonly kind: "quorum"; readonly replicas: number; readonly timeoutMs?: number }
  | { readonly kind: "custom"; readonly strategy: AckStrategy };

/** `never`: release at once. */
export const NEVER_STRATEGY: AckStrategy = {
  name: "never",
  deadlineAtMs: () => undefined,
  isSatisfied: () => true,
};

/** `forever`: release only once at least one replica has acknowledged. */
export const FOREVER_STRATEGY: AckStrategy = {
  name: "forever",
  deadlineAtMs: () => undefined,
  isSatisfied: (c) => c.ackedReplicas >= 1,
};

/** `timeout`: like `forever` but released anyway `timeoutMs` after registration. */
export function timeoutStrategy(timeoutMs: number): AckStrategy {
  checkPositive("timeoutMs", timeoutMs);
  return {
    name: `timeout(${timeoutMs}ms)`,
    deadlineAtMs: (at) => at + timeoutMs,
    isSatisfied: (c) => c.ackedReplicas >= 1,
  };
}

/** `quorum`: release once `replicas` distinct replicas acknowledged; optionally bounded. */
export function quorumStrategy(replicas: number, timeoutMs?: number): AckStrategy {
  if (!Number.isInteger(replicas) || replicas < 1) {
    throw new RangeError(
      `Cannot use quorum strategy: replicas ${replicas} is not a positive integer`,
    );
  }
  if (timeoutMs !== undefined) checkPositive("timeoutMs", timeoutMs);
  return {
    name: timeoutMs === undefined ? `quorum(${replicas})` : `quorum(${replicas},${timeoutMs}ms)`,
    deadlineAtMs: (at) => timeoutMs === undefined ? undefined : at + timeoutMs,
    isSatisfied: (c) => c.ackedReplicas >= replicas,
  };
}

/** Turns a configured {@linkcode AckPolicy} into a strategy. */
export function strategyOf(policy: AckPolicy): AckStrategy {
  switch (policy.kind) {
    case "never":
      return NEVER_STRATEGY;
    case "forever":
      return FOREVER_STRATEGY;
    case "timeout":
      return timeoutStrategy(policy.timeoutMs);
    case "quorum":
      return quorumStrategy(policy.replicas, policy.timeoutMs);
    case "custom":
      return policy.strategy;
    default: {
      const never: never = policy;
      throw new TypeError(`Cannot use ack policy: unknown kind ${JSON.stringify(never)}`);
    }
  }
}

function checkPositive(name: string, v: number): void {
  if (!Number.isFinite(v) || v <= 0) {
    throw new RangeError(`Cannot use ack strategy: ${name} ${v} is not a positive number`);
  }
}

/** Default {@linkcode AckTrackerOptions.maxUnackedMessages}. */
export const DEFAULT_MAX_UNACKED_MESSAGES = 100_000;

/** Options of {@linkcode AckTracker}. */
export interface AckTrackerOptions {
  /** Strategy for every MsgType not listed in `byMsgType`. */
  readonly policy: AckPolicy;
  /** Per-MsgType overrides, e.g. `{ "0": { kind: "never" } }` for heartbeats. */
  readonly byMsgType?: Readonly<Record<string, AckPolicy>>;
  /** Most messages waiting at once; {@linkcode AckTracker.isFull} signals backpressure. */
  readonly maxUnackedMessages?: number;
}

/** Why a message was released. */
export type ReleaseReason = "immediate" | "ack" | "timeout";

/** A message the caller may now write to the socket. */
export interface ReleasedMessage {
  /** Journal index of the message. */
  readonly index: number;
  /** Its FIX MsgType. */
  readonly msgType: string;
  /** Why it was released. */
  readonly reason: ReleaseReason;
  /** Time between registration and release. */
  readonly waitMs: number;
  /** Name of the strategy that released it ({@linkcode AckStrategy.name}). */
  readonly strategy: string;
}

/** Counters of {@linkcode AckTracker}. */
export interface AckCounters {
  /** Released at registration (or behind an earlier message) without needing an ack. */
  releasedImmediately: number;
  /** Released because enough replicas acknowledged it. */
  releasedByAck: number;
  /** Released because its deadline passed first. */
  releasedByTimeout: number;
}

/** Thrown by {@linkcode AckTracker.register} when the caller ignored {@linkcode AckTracker.isFull}. */
export class AckTrackerFullError extends RangeError {
  /** The cap that was reached. */
  readonly maxUnackedMessages: number;
  /** Creates the error for the cap `maxUnackedMessages` hit while registering `index`. */
  constructor(maxUnackedMessages: number, index: number) {
    super(
      `Cannot register index ${index}: ${maxUnackedMessages} messages already wait for acknowledgement`,
    );
    this.name = "AckTrackerFullError";
    this.maxUnackedMessages = maxUnackedMessages;
  }
}

/** Upper bounds (ms, inclusive) of the ack-wait histogram buckets; the last bucket is +Inf. */
export const ACK_WAIT_BUCKETS_MS: readonly number[] = [
  0,
  1,
  2,
  5,
  10,
  25,
  50,
  100,
  250,
  500,
  1000,
  2500,
  5000,
  10000,
];

interface Waiting {
  readonly index: number;
  readonly msgType: string;
  readonly registeredAtMs: number;
  readonly deadlineAtMs: number | undefined;
  readonly strategy: AckStrategy;
}

/**
 * Holds outbound messages until their strategy lets them go, releasing them in
 * order. See the module documentation.
 */
export class AckTracker {
  readonly #default: AckStrategy;
  readonly #byMsgType: Map<string, AckStrategy>;
  readonly #max: number;
  // Ring-free queue: an array plus a head offset, compacted when half consumed.
  #queue: Waiting[] = [];
  #head = 0;
  #lastIndex = 0;
  readonly #acked = new Map<string, number>();
  readonly #counters: AckCounters = {
    releasedImmediately: 0,
    releasedByAck: 0,
    releasedByTimeout: 0,
  };
  readonly #histogram: number[] = new Array(ACK_WAIT_BUCKETS_MS.length + 1).fill(0);
  #waitSumMs = 0;

  /** Creates a tracker with the given policies and cap. */
  constructor(options: AckTrackerOptions) {
    this.#default = strategyOf(options.policy);
    this.#byMsgType = new Map(
      Object.entries(options.byMsgType ?? {}).map(([k, p]) => [k, strategyOf(p)]),
    );
    this.#max = options.maxUnackedMessages ?? DEFAULT_MAX_UNACKED_MESSAGES;
    if (!Number.isInteger(this.#max) || this.#max < 1) {
      throw new RangeError(
        `Cannot create AckTracker: maxUnackedMessages ${this.#max} is not a positive integer`,
      );
    }
  }

  /** The strategy applied to `msgType`. */
  strategyFor(msgType: string): AckStrategy {
    return this.#byMsgType.get(msgType) ?? this.#default;
  }

  /** Messages waiting for release. */
  get waitingCount(): number {
    return this.#queue.length - this.#head;
  }

  /** True when {@linkcode AckTrackerOptions.maxUnackedMessages} are waiting: stop sending. */
  get isFull(): boolean {
    return this.waitingCount >= this.#max;
  }

  /** When {@linkcode onTick} must next be called, or `undefined` when no deadline is pending. */
  get nextDeadlineAtMs(): number | undefined {
    return this.#queue[this.#head]?.deadlineAtMs;
  }

  /** Release counters (a copy). */
  get counters(): Readonly<AckCounters> {
    return { ...this.#counters };
  }

  /** Ack-wait histogram: counts per {@linkcode ACK_WAIT_BUCKETS_MS} bucket, then +Inf, and the sum. */
  get waitHistogram(): {
    readonly bucketsMs: readonly number[];
    readonly counts: readonly number[];
    readonly sumMs: number;
  } {
    return { bucketsMs: ACK_WAIT_BUCKETS_MS, counts: [...this.#histogram], sumMs: this.#waitSumMs };
  }

  /** Highest index each known replica acknowledged. */
  get replicaAcks(): ReadonlyMap<string, number> {
    return this.#acked;
  }

  /**
   * Registers an outbound message at journal `index` (strictly increasing).
   * Returns every message released now, in order (this one included if it
   * need not wait); first releases earlier messages whose deadline passed.
   *
   * @throws {AckTrackerFullError} when {@linkcode isFull}.
   * @throws {RangeError} when `index` is not above the last registered index.
   */
  register(index: number, msgType: string, nowMs: number): ReleasedMessage[] {
    if (!Number.isSafeInteger(index) || index <= this.#lastIndex) {
      throw new RangeError(
        `Cannot register index ${index}: not above the last registered index ${this.#lastIndex}`,
      );
    }
    const out: ReleasedMessage[] = [];
    this.#drain(nowMs, out);
    if (this.isFull) throw new AckTrackerFullError(this.#max, index);
    this.#lastIndex = index;
    const strategy = this.strategyFor(msgType);
    this.#queue.push({
      index,
      msgType,
      registeredAtMs: nowMs,
      deadlineAtMs: strategy.deadlineAtMs(nowMs, msgType),
      strategy,
    });
    this.#drain(nowMs, out);
    return out;
  }

  /**
   * Records that `replicaId` has made everything up to `index` durable (acks
   * are cumulative; a lower ack than before is ignored). Returns the released
   * messages, in order.
   */
  onAck(replicaId: string, index: number, nowMs: number): ReleasedMessage[] {
    const previous = this.#acked.get(replicaId) ?? 0;
    if (index > previous) this.#acked.set(replicaId, index);
    else if (!this.#acked.has(replicaId)) this.#acked.set(replicaId, previous);
    const out: ReleasedMessage[] = [];
    this.#drain(nowMs, out);
    return out;
  }

  /** Adds a replica with no acknowledgement yet (counts towards `knownReplicas`). */
  addReplica(replicaId: string): void {
    if (!this.#acked.has(replicaId)) this.#acked.set(replicaId, 0);
  }

  /** Forgets a replica (e.g. decommissioned); its acks no longer count. */
  removeReplica(replicaId: string): void {
    this.#acked.delete(replicaId);
  }

  /** Releases messages whose deadline has passed. Returns them, in order. */
  onTick(nowMs: number): ReleasedMessage[] {
    const out: ReleasedMessage[] = [];
    this.#drain(nowMs, out);
    return out;
  }

  #ackedAtOrAfter(index: number): number {
    let n = 0;
    for (const acked of this.#acked.values()) if (acked >= index) n++;
    return n;
  }

  #drain(nowMs: number, out: ReleasedMessage[]): void {
    const known = this.#acked.size;
    while (this.#head < this.#queue.length) {
      const w = this.#queue[this.#head]!;
      const acked = this.#ackedAtOrAfter(w.index);
      let reason: ReleaseReason;
      if (
        w.strategy.isSatisfied({
          index: w.index,
          msgType: w.msgType,
          ackedReplicas: acked,
          knownReplicas: known,
        })
      ) {
        reason = acked > 0 ? "ack" : "immediate";
      } else if (w.deadlineAtMs !== undefined && nowMs >= w.deadlineAtMs) {
        reason = "timeout";
      } else {
        break;
      }
      this.#head++;
      this.#release(w, reason, nowMs, out);
    }
    if (this.#head === this.#queue.length) {
      this.#queue = [];
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
  }

  #release(w: Waiting, reason: ReleaseReason, nowMs: number, out: ReleasedMessage[]): void {
    const waitMs = Math.max(0, nowMs - w.registeredAtMs);
    switch (reason) {
      case "immediate":
        this.#counters.releasedImmediately++;
        break;
      case "ack":
        this.#counters.releasedByAck++;
        break;
      case "timeout":
        this.#counters.releasedByTimeout++;
        break;
      default: {
        const never: never = reason;
        throw new TypeError(`Unknown release reason ${String(never)}`);
      }
    }
    let b = 0;
    while (b < ACK_WAIT_BUCKETS_MS.length && waitMs > ACK_WAIT_BUCKETS_MS[b]!) b++;
    this.#histogram[b]!++;
    this.#waitSumMs += waitMs;
    out.push({ index: w.index, msgType: w.msgType, reason, waitMs, strategy: w.strategy.name });
  }
}
