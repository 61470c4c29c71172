/**
 * The storage a session runner needs, and an in-memory implementation.
 *
 * A {@linkcode SessionStore} keeps, per session, every outbound message by
 * sequence number (to answer ResendRequests), the inbound messages accepted in
 * sequence, and sequence-number changes, so that the next sender and target
 * sequence numbers survive a restart. Every method is synchronous: the runner
 * appends an outbound message before any byte of it reaches the socket, and
 * durability (a sync policy, replication) is the store's business, surfaced to
 * the runner through the index it returns and the engine's `awaitRelease` hook.
 *
 * The journal (lib/journal) implements the same interface for persistence and
 * replication; {@linkcode MemorySessionStore} is for tests and for sessions
 * that need no persistence.
 *
 * @module
 */

import { SeqNumBytes } from "./_seq_num_bytes.ts";

/** Sequence numbers of a session. */
export interface SequenceNumbers {
  /** The next MsgSeqNum this side sends. */
  readonly nextSenderSeqNum: number;
  /** The next MsgSeqNum this side expects. */
  readonly nextTargetSeqNum: number;
}

/** What the session runner stores. Indices order every record across sessions. */
export interface SessionStore {
  /** Returns the id of the session `key`, defining it on first use. */
  defineSession(key: string): number;
  /** The persisted sequence numbers of a session (1 and 1 for a new one). */
  sequenceNumbers(sessionId: number): SequenceNumbers;
  /** Stores an outbound message; the next sender number becomes `seqNum + 1`. Returns its index. */
  appendOutbound(sessionId: number, seqNum: number, bytes: Uint8Array, timestampMs: number): number;
  /** Stores an inbound message accepted in sequence; the next target number becomes `seqNum + 1`. */
  appendInbound(sessionId: number, seqNum: number, bytes: Uint8Array, timestampMs: number): number;
  /** Records new sequence numbers (gap fill, SequenceReset, reset when `reset`). */
  appendSequenceChange(
    sessionId: number,
    numbers: SequenceNumbers,
    reset: boolean,
    timestampMs: number,
  ): number;
  /** The outbound message a session sent with `seqNum`, if stored (since the last reset). */
  outbound(sessionId: number, seqNum: number): Uint8Array | undefined;
  /**
   * Records outbound sequence numbers the counterparty has seen that this store never held
   * (found after a lossy failover). Optional: a store without it keeps no such note.
   */
  appendLostOutbound?(
    sessionId: number,
    lost: {
      readonly fromSeqNum: number;
      readonly toSeqNum: number;
      readonly source: string;
      readonly policy: string;
    },
    timestampMs: number,
  ): number;
  /**
   * When the session's sequence numbers last started at 1 (its definition or last
   * reset), if known. A scheduled session resets at start-up when this instant lies
   * in an earlier schedule period.
   */
  resetAtMs?(sessionId: number): number | undefined;
  /**
   * Writes out what the appends so far staged (a journal writes at the end of the turn).
   * The connection calls it before bytes reach the socket, so a message is in the store
   * before the counterparty can see it whatever order the event loop runs callbacks in.
   * Optional: a store whose appends take effect at once has nothing to write. Throws when
   * the write fails; then nothing is sent.
   */
  flush?(): void;
  /**
   * The epoch records are appended in now (a journal's; absent: 0). With the index an append
   * returns it names an inbound message uniquely across failovers (see `MessageContext`).
   */
  readonly epoch?: number;
}

/** Default for {@linkcode MemorySessionStoreOptions.maxMessagesPerSession}. */
export const DEFAULT_MEMORY_STORE_MAX_MESSAGES = 1_000_000;

/** Options for {@linkcode MemorySessionStore}. */
export interface MemorySessionStoreOptions {
  /** Outbound messages kept per session for resends; older ones are dropped (gap-filled). */
  readonly maxMessagesPerSession?: number;
  /** Clock for the definition time of sessions. Default `Date.now`. */
  readonly clock?: () => number;
}

interface MemorySession {
  resetAtMs: number;
  nextSenderSeqNum: number;
  nextTargetSeqNum: number;
  outbound: SeqNumBytes;
  oldestSeqNum: number;
}

/**
 * A {@linkcode SessionStore} held in memory; lost on exit. Outbound messages are copied into
 * a few large buffers (see `_seq_num_bytes.ts`), so the caller may reuse the bytes it stored.
 */
export class MemorySessionStore implements SessionStore {
  readonly #sessions: MemorySession[] = [];
  readonly #ids = new Map<string, number>();
  readonly #max: number;
  readonly #clock: () => number;
  #index = 0;

  constructor(options: MemorySessionStoreOptions = {}) {
    this.#max = options.maxMessagesPerSession ?? DEFAULT_MEMORY_STORE_MAX_MESSAGES;
    this.#clock = options.clock ?? Date.now;
    if (!(this.#max >= 1)) {
      throw new RangeError(`Cannot create store: maxMessagesPerSession ${this.#max} is < 1`);
    }
  }

  /** Index of the last record appended (0 when empty). */
  get lastIndex(): number {
    return this.#index;
  }

  defineSession(key: string): number {
    const known = this.#ids.get(key);
    if (known !== undefined) return known;
    const id = this.#sessions.length + 1;
    this.#sessions.push({
      resetAtMs: this.#clock(),
      nextSenderSeqNum: 1,
      nextTargetSeqNum: 1,
      outbound: new SeqNumBytes(),
      oldestSeqNum: 1,
    });
    this.#ids.set(key, id);
    this.#index++;
    return id;
  }

  #get(sessionId: number): MemorySession {
    const s = this.#sessions[sessionId - 1];
    if (s === undefined) {
      throw new RangeError(`Cannot find session ${sessionId}: it is not defined`);
    }
    return s;
  }

  sequenceNumbers(sessionId: number): SequenceNumbers {
    const s = this.#get(sessionId);
    return { nextSenderSeqNum: s.nextSenderSeqNum, nextTargetSeqNum: s.nextTargetSeqNum };
  }

  appendOutbound(sessionId: number, seqNum: number, bytes: Uint8Array, _timestampMs: number) {
    const s = this.#get(sessionId);
    s.outbound.set(seqNum, bytes);
    s.nextSenderSeqNum = seqNum + 1;
    while (s.outbound.size > this.#max) {
      s.outbound.delete(s.oldestSeqNum);
      s.oldestSeqNum++;
    }
    return ++this.#index;
  }

  appendInbound(sessionId: number, seqNum: number, _bytes: Uint8Array, _timestampMs: number) {
    this.#get(sessionId).nextTargetSeqNum = seqNum + 1;
    return ++this.#index;
  }

  appendSequenceChange(
    sessionId: number,
    numbers: SequenceNumbers,
    reset: boolean,
    timestampMs: number,
  ): number {
    const s = this.#get(sessionId);
    s.nextSenderSeqNum = numbers.nextSenderSeqNum;
    s.nextTargetSeqNum = numbers.nextTargetSeqNum;
    if (reset) {
      s.outbound.clear();
      s.oldestSeqNum = 1;
      s.resetAtMs = timestampMs;
    }
    return ++this.#index;
  }

  resetAtMs(sessionId: number): number | undefined {
    return this.#get(sessionId).resetAtMs;
  }

  outbound(sessionId: number, seqNum: number): Uint8Array | undefined {
    return this.#get(sessionId).outbound.get(seqNum);
  }
}
