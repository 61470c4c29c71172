/**
 * The part of the journal that replication uses, as a structural interface:
 * `Journal` from `lib/journal/` satisfies it, and tests may supply an
 * in-memory stand-in.
 *
 * @module
 */

/** A stored journal record (same fields as the journal's `JournalRecord`). */
export interface ReplicationRecord {
  /** Position in the journal, from 1. */
  readonly index: number;
  /** Epoch of the leader that wrote it. */
  readonly epoch: number;
  /** Record kind (the journal's `RecordKind`). */
  readonly kind: number;
  /** Session id, 0 for none. */
  readonly sessionId: number;
  /** FIX sequence number, 0 for none. */
  readonly seqNum: number;
  /** Time of the original append, epoch milliseconds. */
  readonly timestampMs: number;
  /** Record body. */
  readonly payload: Uint8Array;
}

/** The journal operations the leader and follower need. */
export interface ReplicationJournal {
  /** Index of the last record, 0 when empty. */
  readonly lastIndex: number;
  /** Highest epoch recorded (0 before any EpochChange). */
  readonly epoch: number;
  /** Oldest index still held (after retention); 1 when nothing was removed. Optional. */
  readonly firstIndex?: number;
  /** The record at `index`, or undefined when there is none. */
  read(index: number): ReplicationRecord | undefined;
  /** Records from `fromIndex` on, then new ones as they are appended, until `signal` aborts. */
  tail(fromIndex: number, options: { signal: AbortSignal }): AsyncIterable<ReplicationRecord>;
  /** Follower side: appends a leader's record at the same index (must be lastIndex + 1). */
  appendReplicated(record: ReplicationRecord): unknown;
  /** Resolves once every record up to `index` is durable under the journal's sync policy. */
  durable(index: number): Promise<void>;
  /**
   * Optional: the highest index durable under the sync policy right now. With
   * {@linkcode flush}, a follower acknowledges a batch in the turn it arrived
   * when the write alone made it durable (sync policy `none`), instead of
   * waiting for `durable()` to resolve.
   */
  readonly durableIndex?: number | undefined;
  /** Optional: writes the records appended so far now instead of at the end of the turn. */
  readonly flush?: (() => void) | undefined;
  /** Removes records after `index`, writing them to `quarantinePath` first. */
  truncateAfter(index: number, quarantinePath: string): unknown;
  /**
   * Optional: calls `watcher` synchronously with every run of records as the
   * journal writes it (before the write reaches storage), in index order, each
   * record once; payloads are valid only during the call. Returns the function
   * that stops the calls. A leader streams live records from here instead of
   * reading them back through `tail`.
   */
  readonly watchWrites?:
    | ((watcher: (records: readonly ReplicationRecord[]) => void) => () => void)
    | undefined;
}

/** A journal that can also start a new epoch (the promoting node's journal). */
export interface PromotableJournal extends ReplicationJournal {
  /** Appends an EpochChange record starting `epoch` (above the current one); returns its index. */
  beginEpoch(epoch: number, reason: string): number;
}
