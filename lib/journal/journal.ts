/**
 * The journal: a persisted, segmented, crash-safe log of records (see
 * `record.ts` for the format), with materialised session state.
 *
 * Writing: {@linkcode Journal.append} encodes the record into a staging
 * buffer and returns its index at once. The staged records are written with a
 * single `writeSync` from a microtask queued by the first append, so all the
 * appends a piece of synchronous code makes before it yields go to the file in
 * one write (a microtask rather than a timer: no added latency). A reader that
 * needs staged records, a roll, or the staging limit write earlier.
 * Durability follows the sync policy; {@linkcode Journal.durable} resolves
 * when an index is durable.
 *
 * Rolling: a new segment starts before a record would push the active one
 * past `segmentSizeBytes`, and with the first append at or after the daily
 * roll time (the roll is lazy: an idle journal does not create empty
 * segments). Under `interval` and `always` the old segment and the directory
 * are synced at the roll, so only the newest segment can ever hold a torn
 * write — which is what lets recovery call damage elsewhere corruption.
 *
 * Reading: {@linkcode Journal.read} reads one record synchronously by
 * position; {@linkcode Journal.tail} follows the journal from any index and
 * wakes on append (no polling in-process; a read-only journal opened by
 * another process polls with {@linkcode JournalOptions.pollIntervalMs}).
 *
 * This file holds the {@linkcode Journal} class, the one place that owns the
 * journal's state and composes the parts:
 * - `journal_options.ts`: options, their defaults and checks, report types;
 * - `_segment.ts`: a segment in memory, creating it, reading a span of it;
 * - `_open.ts`: verifying the segments at open, torn-tail recovery, picking
 *   up another process's appends (with `_scan.ts`, `_checkpoint.ts`,
 *   `_snapshot.ts` and `_state.ts`);
 * - `_record_input.ts`: the checks before a record is staged;
 *   `_control_records.ts`: the records of the convenience appends;
 * - `_staging.ts`: the staging buffer; `_sync.ts`: the sync policy and the
 *   durable index; `_durable_waiters.ts`: callers of `durable`;
 * - `_tail.ts`: following; `_retention.ts`; `_truncate.ts`.
 *
 * @module
 */

import { JournalState } from "./_state.ts";
import { readSnapshot, removeStaleSnapshot, SNAPSHOT_FILE, writeSnapshot } from "./_snapshot.ts";
import type { RecoveryReport } from "./_scan.ts";
import { CHECKPOINT_FILE, describeRewind, readCheckpoint, writeCheckpoint } from "./_checkpoint.ts";
import { createSegment, readSpan, Segment, segmentOf } from "./_segment.ts";
import { type LoadContext, loadSegments, scanAppended } from "./_open.ts";
import { checkRecordInput } from "./_record_input.ts";
import { DurableWaiters } from "./_durable_waiters.ts";
import { Syncer } from "./_sync.ts";
import { StagingBuffer } from "./_staging.ts";
import {
  AppCursorRecords,
  auditRecord,
  epochChangeRecord,
  sequenceChangeRecord,
  sessionDefinitionRecord,
  sessionResetRecord,
} from "./_control_records.ts";
import { AppendWake, followJournal, tailBatchEnd } from "./_tail.ts";
import { advanceBaseState, removableSegments } from "./_retention.ts";
import { checkQuarantinePath, copySuffixToQuarantine, cutSegmentsAfter } from "./_truncate.ts";
import {
  JournalClosedError,
  JournalCorruptionError,
  JournalFailedError,
  JournalRewindError,
  JournalTruncatedError,
} from "./errors.ts";
import { FileStorage } from "./file_storage.ts";
import {
  type JournalBaseline,
  type JournalOptions,
  type JournalStats,
  resolveJournalOptions,
  type RetentionOptions,
  type SessionInfo,
  type SessionSeqState,
  type SyncPolicy,
  type TruncateReport,
} from "./journal_options.ts";
import { decodeEpochChange } from "./payloads.ts";
import {
  type JournalRecord,
  type RecordInput,
  RecordKind,
  recordSizeBytes,
  segmentFileName,
} from "./record.ts";
import { type DailyRoll, nextDailyRollAtMs } from "./roll_schedule.ts";
import {
  type JournalStorage,
  readFully,
  type StorageReader,
  type StorageWriter,
} from "./storage.ts";

export type { RecoveryReport } from "./_scan.ts";
export {
  DEFAULT_MAX_PAYLOAD_BYTES,
  DEFAULT_MAX_STAGED_BYTES,
  DEFAULT_POLL_INTERVAL_MS,
  DEFAULT_SEGMENT_SIZE_BYTES,
  DEFAULT_SYNC_INTERVAL_MS,
  type JournalBaseline,
  type JournalOptions,
  type JournalStats,
  MAX_SEGMENT_SIZE_BYTES,
  type RetentionOptions,
  type SessionInfo,
  type SessionSeqState,
  type SyncPolicy,
  type TruncateReport,
} from "./journal_options.ts";

/**
 * The journal. Open with {@linkcode Journal.open}; dispose with `await using`
 * or {@linkcode Journal.close}.
 *
 * @example
 * ```ts
 * import { Journal, RecordKind } from "./mod.ts";
 * await using journal = await Journal.open(await Deno.makeTempDir(), { syncPolicy: "always" });
 * const session = journal.defineSession("FIX.4.4:ME->THEM");
 * const index = journal.append({
 *   kind: RecordKind.Outbound,
 *   sessionId: session,
 *   seqNum: 1,
 *   timestampMs: Date.now(),
 *   payload: new TextEncoder().encode("8=FIX.4.4|..."),
 * });
 * await journal.durable(index);
 * ```
 */
export class Journal implements AsyncDisposable {
  /** The storage location (directory). */
  readonly location: string;
  /** Torn tails found and cut off at open (empty when the journal was clean). */
  readonly recovered: RecoveryReport[] = [];
  /**
   * What the journal lacks compared with its checkpoint (a missing or rewound
   * newest segment), when it was opened read-only or with `acceptRewind`;
   * undefined when nothing is missing.
   */
  rewind: string | undefined;
  /** The sync policy. */
  readonly syncPolicy: SyncPolicy;
  /** True when opened read-only. */
  readonly readOnly: boolean;

  readonly #storage: JournalStorage;
  readonly #clock: () => number;
  readonly #segmentSizeBytes: number;
  readonly #roll: DailyRoll | undefined;
  readonly #maxPayloadBytes: number;
  readonly #maxStagedBytes: number;
  readonly #retention: RetentionOptions | undefined;
  readonly #pollIntervalMs: number;

  #segments: Segment[] = [];
  #writer: StorageWriter | undefined;
  #nextRollAtMs = Infinity;

  readonly #staging = new StagingBuffer();
  readonly #appCursorRecords = new AppCursorRecords();
  /**
   * The end-of-turn write: 0 not scheduled, 1 queued, 2 queued again. It runs one
   * microtask later than the turn's first append so that promise callbacks the
   * turn resolved (an application awaiting the message just journaled) run before
   * the write instead of after it, and what they append joins the same write. A
   * socket write never waits for it: the runner flushes the store first.
   */
  #flushHops = 0;
  /** One function for every turn (no closure per append). */
  readonly #flushTask = (): void => {
    if (this.#flushHops === 1) {
      this.#flushHops = 2;
      queueMicrotask(this.#flushTask);
      return;
    }
    this.#flushHops = 0;
    try {
      this.#flush();
    } catch {
      // #flush recorded the failure; waiters were rejected.
    }
  };

  #lastIndex = 0;
  #writtenIndex = 0;
  /** The state before the first retained record (from the snapshot). */
  #baseState = new JournalState(false);
  #baseIndex = 0;
  #state = new JournalState(true);

  readonly #waiters = new DurableWaiters();
  #failure: JournalFailedError | undefined;
  readonly #onFailure: ((error: JournalFailedError) => void) | undefined;
  readonly #acceptRewind: boolean;
  #closed = false;
  readonly #appendWake = new AppendWake();
  #writes = 0;
  readonly #sync: Syncer;
  readonly #writeWatchers = new Set<(records: readonly JournalRecord[]) => void>();

  private constructor(storage: JournalStorage, options: JournalOptions) {
    this.#storage = storage;
    this.location = storage.location;
    const o = resolveJournalOptions(options);
    this.#clock = o.clock;
    this.syncPolicy = o.syncPolicy;
    this.readOnly = o.readOnly;
    this.#segmentSizeBytes = o.segmentSizeBytes;
    this.#maxPayloadBytes = o.maxPayloadBytes;
    this.#maxStagedBytes = o.maxStagedBytes;
    this.#onFailure = o.onFailure;
    this.#acceptRewind = o.acceptRewind;
    this.#pollIntervalMs = o.pollIntervalMs;
    this.#roll = o.roll;
    this.#retention = o.retention;
    this.#sync = new Syncer(
      {
        writtenIndex: () => this.#writtenIndex,
        lastIndex: () => this.#lastIndex,
        closed: () => this.#closed,
        failed: () => this.#failure !== undefined,
        writer: () => this.#writer!,
        fail: (err, name) => this.#fail(err, name),
        resolveWaiters: () => this.#resolveWaiters(),
      },
      this.syncPolicy,
      o.syncIntervalMs,
      o.onSync,
    );
  }

  /**
   * Opens (creating if needed) the journal in `dir`: reads the snapshot,
   * scans and verifies every segment, cuts a torn tail (see
   * {@linkcode Journal.recovered}) and rebuilds the state.
   *
   * @throws {JournalCorruptionError} when a record or header is damaged other than by a torn final write
   * @throws {JournalRewindError} when the journal ends before its checkpoint (see `acceptRewind`)
   * @throws {JournalFailedError} when a file cannot be opened, read or written (names the OS error)
   */
  static open(dir: string, options: JournalOptions = {}): Promise<Journal> {
    try {
      const storage = options.storage ?? new FileStorage(dir);
      const journal = new Journal(storage, options);
      journal.#load(false);
      return Promise.resolve(journal);
    } catch (err) {
      if (err instanceof JournalCorruptionError || err instanceof RangeError) {
        return Promise.reject(err);
      }
      return Promise.reject(
        new JournalFailedError(`Cannot open journal ${dir}: ${(err as Error).message}`, {
          cause: err,
          file: dir,
        }),
      );
    }
  }

  // ---------------------------------------------------------------- open

  #path(name: string): string {
    return name.startsWith("/") ? name : `${this.location}/${name}`;
  }

  #loadContext(): LoadContext {
    return {
      storage: this.#storage,
      readOnly: this.readOnly,
      clock: this.#clock,
      path: (name) => this.#path(name),
      recovered: this.recovered,
      state: this.#state,
      baseIndex: this.#baseIndex,
    };
  }

  /** Reads the files; `intendedCut` after truncateAfter/installBaseline (the checkpoint moves back). */
  #load(intendedCut: boolean): void {
    if (!this.readOnly) removeStaleSnapshot(this.#storage);
    const snapshot = readSnapshot(this.#storage);
    this.#baseState = new JournalState(false);
    this.#state = new JournalState(true);
    this.#baseIndex = 0;
    if (snapshot !== undefined) {
      this.#baseState.load(snapshot);
      this.#state.load(snapshot);
      this.#baseIndex = snapshot.throughIndex;
    }
    for (const s of this.#segments) s.reader?.close();
    this.#segments = [];
    const next = loadSegments(this.#loadContext(), this.#segments);
    if (this.#segments.length === 0 && !this.readOnly) {
      this.#segments.push(createSegment(this.#storage, this.syncPolicy, next, this.#clock()));
    }
    this.#lastIndex = next - 1;
    this.#writtenIndex = this.#lastIndex;
    this.#sync.durableIndex = this.#lastIndex;
    if (!intendedCut) this.#checkCheckpoint();
    if (!this.readOnly) this.#writeCheckpoint();
    const active = this.#segments.at(-1);
    if (!this.readOnly && active !== undefined) {
      this.#writer?.close();
      this.#writer = this.#storage.openWriter(active.name, { create: false });
      if (this.#writer.size() !== active.sizeBytes) this.#writer.truncate(active.sizeBytes);
      this.#nextRollAtMs = this.#roll === undefined
        ? Infinity
        : nextDailyRollAtMs(active.createdAtMs, this.#roll);
    }
  }

  /** Compares what was found with the checkpoint: refuses a rewind unless accepted. */
  #checkCheckpoint(): void {
    const checkpoint = readCheckpoint(this.#storage);
    if (checkpoint === undefined) return;
    const missing = describeRewind(checkpoint, {
      lastIndex: this.#lastIndex,
      segmentNames: this.#segments.map((s) => s.name),
      crcAt: (index) => this.#crcAt(index),
    });
    this.rewind = missing;
    if (missing === undefined || this.readOnly || this.#acceptRewind) return;
    throw new JournalRewindError({
      file: this.#path(CHECKPOINT_FILE),
      offsetBytes: 0,
      reason: `${missing}; start with the rewind accepted (tandem run --accept-journal-rewind) ` +
        `only if this loss is intended`,
    });
  }

  /** The CRC stored in record `index` (written records only), or undefined. */
  #crcAt(index: number): number | undefined {
    const segment = this.#segmentOf(index);
    if (segment === undefined || index > this.#writtenIndex) return undefined;
    const buf = new Uint8Array(4);
    if (readFully(this.#reader(segment), segment.offsets[index - segment.firstIndex]!, buf) < 4) {
      return undefined;
    }
    return new DataView(buf.buffer).getUint32(0, true);
  }

  /** Records the durable end of the journal and the newest segment in the checkpoint file. */
  #writeCheckpoint(): void {
    const last = Math.min(this.#sync.durableIndex, this.#writtenIndex);
    writeCheckpoint(this.#storage, {
      lastIndex: last,
      lastRecordCrc: last > 0 ? this.#crcAt(last) ?? 0 : 0,
      newestSegment: this.#segments.at(-1)?.name ?? "",
      writtenAtMs: this.#clock(),
    });
  }

  /**
   * For a read-only journal: picks up records another process appended since
   * open or the last refresh. Returns how many new records were found.
   */
  refresh(): number {
    if (!this.readOnly) return 0;
    const before = this.#lastIndex;
    scanAppended(this.#loadContext(), this.#segments, this.#lastIndex, (lastIndex) => {
      this.#lastIndex = lastIndex;
    });
    this.#writtenIndex = this.#sync.durableIndex = this.#lastIndex;
    if (this.#lastIndex > before) this.#wakeTails();
    return this.#lastIndex - before;
  }

  // ---------------------------------------------------------------- append

  #checkWritable(): void {
    if (this.#closed) throw new JournalClosedError();
    if (this.readOnly) {
      throw new JournalClosedError("Cannot append to journal: it is open read-only");
    }
    if (this.#failure !== undefined) {
      throw new JournalFailedError(
        `Cannot append to journal ${this.location}: an earlier write or sync failed (${this.#failure.message})`,
        { cause: this.#failure.cause, file: this.#failure.file },
      );
    }
  }

  #checkInput(record: RecordInput): void {
    checkRecordInput(record, this.#maxPayloadBytes, this.#state);
  }

  /**
   * Appends a record and returns its index. The record is staged and written
   * at the end of the current turn together with the others of the turn; use
   * {@linkcode Journal.durable} to wait until it is durable. The journal
   * keeps no reference to `record` or its payload (the payload is copied into
   * the staging buffer), so the caller may reuse both once the call returns.
   *
   * An EpochChange record (payload from `encodeEpochChange`) starts the epoch
   * in its payload, which must be higher than the current one.
   *
   * @throws {RangeError} for invalid fields, an undefined session or a payload over the limit
   * @throws {JournalFailedError} after a failed write or sync
   */
  append(record: RecordInput): number {
    this.#checkWritable();
    this.#checkInput(record);
    let epoch = this.#state.epoch;
    if (record.kind === RecordKind.EpochChange) {
      const change = decodeEpochChange(record.payload);
      if (change.epoch <= epoch) {
        throw new RangeError(
          `Cannot start epoch ${change.epoch}: the journal is already at epoch ${epoch}`,
        );
      }
      epoch = change.epoch;
    }
    return this.#stage(record, this.#lastIndex + 1, epoch);
  }

  /**
   * Appends a record received from the primary, keeping its index and epoch.
   *
   * @throws {RangeError} when `record.index` is not `lastIndex + 1` (a gap or
   * an overlap) or its epoch is lower than the journal's
   */
  appendReplicated(record: JournalRecord): number {
    this.#checkWritable();
    this.#checkInput(record);
    if (record.index !== this.#lastIndex + 1) {
      throw new RangeError(
        `Cannot append replicated record ${record.index}: the next index is ${this.#lastIndex + 1}`,
      );
    }
    if (
      !Number.isInteger(record.epoch) || record.epoch < this.#state.epoch ||
      record.epoch > 0xffff_ffff
    ) {
      throw new RangeError(
        `Cannot append replicated record ${record.index}: epoch ${record.epoch} is below the journal's epoch ${this.#state.epoch}`,
      );
    }
    return this.#stage(record, record.index, record.epoch);
  }

  #stage(input: RecordInput, index: number, epoch: number): number {
    const size = recordSizeBytes(input.payload.length);
    let segment = this.#segments.at(-1)!;
    if (segment.count > 0) {
      const overSize = segment.sizeBytes + size > this.#segmentSizeBytes;
      if (overSize || (this.#nextRollAtMs !== Infinity && this.#clock() >= this.#nextRollAtMs)) {
        segment = this.#rollTo(index);
      }
    }
    if (this.#staging.length > 0 && this.#staging.length + size > this.#maxStagedBytes) {
      this.#flush();
    }
    this.#staging.push(input, size, index, epoch);
    segment.push(segment.sizeBytes, size);
    segment.lastTimestampMs = input.timestampMs;
    if (input.kind === RecordKind.Outbound) segment.outboundMax.set(input.sessionId, index);
    this.#lastIndex = index;
    this.#state.apply(input.kind, input.sessionId, input.seqNum, index, epoch, input.payload);
    if (this.#flushHops === 0) {
      this.#flushHops = 1;
      queueMicrotask(this.#flushTask);
    }
    this.#wakeTails();
    return index;
  }

  #rollTo(firstIndex: number): Segment {
    this.#flush();
    const old = this.#writer!;
    const now = this.#clock();
    if (this.syncPolicy !== "none") this.#io(old.name, () => old.syncSync());
    const segment = this.#io(
      segmentFileName(firstIndex),
      () => createSegment(this.#storage, this.syncPolicy, firstIndex, now),
    );
    this.#sync.retire(old);
    this.#segments.push(segment);
    this.#writer = undefined;
    this.#io(segment!.name, () => {
      this.#writer = this.#storage.openWriter(segment.name, { create: false });
      // Everything before the new segment is synced (policies other than none).
      if (this.syncPolicy !== "none") this.#sync.durableIndex = this.#writtenIndex;
      this.#writeCheckpoint();
    });
    this.#resolveWaiters();
    this.#nextRollAtMs = this.#roll === undefined ? Infinity : nextDailyRollAtMs(now, this.#roll);
    if (this.#retention !== undefined) queueMicrotask(() => this.#retentionQuietly());
    return segment;
  }

  #retentionQuietly(): void {
    if (this.#closed || this.#failure !== undefined) return;
    try {
      this.applyRetention();
    } catch {
      // Retention is retried after the next roll; a failure here never loses data.
    }
  }

  /** Writes the staged records now (normally done at the end of the turn). */
  flush(): void {
    if (this.#closed) return;
    this.#flush();
  }

  #flush(): void {
    if (this.#staging.length === 0) return;
    if (this.#failure !== undefined) throw this.#failedError();
    const bytes = this.#staging.bytes();
    if (this.#writeWatchers.size > 0) this.#tellWriteWatchers();
    try {
      this.#writer!.append(bytes);
    } catch (err) {
      this.#fail(err as Error);
      throw this.#failedError();
    }
    this.#writes++;
    this.#staging.clear(this.#maxStagedBytes);
    this.#writtenIndex = this.#lastIndex;
    this.#sync.afterWrite();
  }

  /**
   * Calls `watcher` synchronously with every run of records about to be
   * written to storage, in index order, each record once, before the write
   * itself (so a replication leader can put them on the wire first). The
   * payloads are views into the journal's staging buffer, valid only during
   * the call: copy what must outlive it. A watcher that throws is ignored.
   * Returns the function that stops the calls.
   */
  watchWrites(watcher: (records: readonly JournalRecord[]) => void): () => void {
    this.#writeWatchers.add(watcher);
    return () => void this.#writeWatchers.delete(watcher);
  }

  #tellWriteWatchers(): void {
    const records = this.#staging.records();
    for (const watcher of this.#writeWatchers) {
      try {
        watcher(records);
      } catch {
        // A watcher's failure is its own; the write goes ahead.
      }
    }
  }

  #failedError(): JournalFailedError {
    return new JournalFailedError(
      `Cannot write journal ${this.location}: an earlier write or sync failed (${this.#failure?.message})`,
      { cause: this.#failure?.cause, file: this.#failure?.file },
    );
  }

  /**
   * The one door for storage failures: records the first one (naming the
   * file and the OS error), rejects waiters, wakes tails and tells
   * `onFailure`. Everything after it is refused.
   */
  #fail(err: Error, name: string | undefined = this.#writer?.name): void {
    if (this.#failure !== undefined) return;
    const file = name === undefined ? this.location : this.#path(name);
    this.#failure = err instanceof JournalFailedError ? err : new JournalFailedError(
      `Cannot write journal file ${file}: ${err.message}`,
      { cause: err, file },
    );
    const failed = this.#failedError();
    this.#waiters.rejectAll(() => failed);
    this.#wakeTails();
    try {
      this.#onFailure?.(this.#failure);
    } catch {
      // The journal has failed either way; the listener's own error changes nothing.
    }
  }

  /** Runs file operations on `name`; a failure fails the journal (see #fail) and throws. */
  #io<T>(name: string | undefined, f: () => T): T {
    try {
      return f();
    } catch (err) {
      if (err instanceof JournalCorruptionError || err instanceof RangeError) throw err;
      this.#fail(err as Error, name);
      throw this.#failedError();
    }
  }

  /** The first write, sync or file error, if the journal has failed. */
  get failure(): JournalFailedError | undefined {
    return this.#failure;
  }

  #resolveWaiters(): void {
    this.#waiters.resolveThrough(this.#sync.durableIndex);
  }
  /**
   * Resolves when record `index` is durable under the sync policy (`none`:
   * written to the OS). Rejects with {@linkcode JournalFailedError} if a write
   * or sync fails first, {@linkcode JournalTruncatedError} if the record is
   * truncated away, {@linkcode JournalClosedError} if the journal closes
   * first.
   */
  durable(index: number): Promise<void> {
    if (index <= this.#sync.durableIndex) return Promise.resolve();
    if (this.#failure !== undefined) return Promise.reject(this.#failedError());
    if (this.#closed) return Promise.reject(new JournalClosedError());
    if (index > this.#lastIndex) {
      return Promise.reject(
        new RangeError(`Cannot wait for index ${index}: the last index is ${this.#lastIndex}`),
      );
    }
    return this.#waiters.add(index);
  }

  // ---------------------------------------------------------------- convenience appends

  /** Returns the id of the session `key`, appending a SessionDefinition record the first time. */
  defineSession(key: string, timestampMs: number = this.#clock()): number {
    const existing = this.#state.byKey.get(key);
    if (existing !== undefined) return existing;
    if (key.length === 0) throw new RangeError("Cannot define session: key is empty");
    const id = Math.max(0, this.#state.byId.length - 1) + 1;
    this.append(sessionDefinitionRecord(id, key, timestampMs));
    return id;
  }

  /** Appends a SequenceChange record setting both next sequence numbers. */
  setSequenceNumbers(
    sessionId: number,
    change: { nextSenderSeqNum: number; nextTargetSeqNum: number; reason: string },
    timestampMs: number = this.#clock(),
  ): number {
    return this.append(sequenceChangeRecord(sessionId, change, timestampMs));
  }

  /** Appends a SessionReset record. */
  resetSession(sessionId: number, reason: string, timestampMs: number = this.#clock()): number {
    return this.append(sessionResetRecord(sessionId, reason, timestampMs));
  }

  /** Appends an EpochChange record starting `epoch` (must exceed the current epoch). */
  beginEpoch(epoch: number, reason: string, timestampMs: number = this.#clock()): number {
    return this.append(epochChangeRecord(epoch, reason, timestampMs));
  }

  /** Appends an AppCursor record: application `name` has processed up to `index`. */
  recordAppCursor(name: string, index: number, timestampMs: number = this.#clock()): number {
    return this.append(this.#appCursorRecords.record(name, index, timestampMs));
  }

  /** Appends an Audit record. */
  audit(text: string, sessionId = 0, timestampMs: number = this.#clock()): number {
    return this.append(auditRecord(text, sessionId, timestampMs));
  }

  // ---------------------------------------------------------------- state

  /** Index of the last record (staged included); 0 when empty. */
  get lastIndex(): number {
    return this.#lastIndex;
  }

  /** Index of the first record still kept (retention removes older ones). */
  get firstIndex(): number {
    return this.#segments[0]?.firstIndex ?? this.#baseIndex + 1;
  }

  /** Highest index written to the OS. */
  get writtenIndex(): number {
    return this.#writtenIndex;
  }

  /** Highest index durable under the sync policy. */
  get durableIndex(): number {
    return this.#sync.durableIndex;
  }

  /** The current epoch (0 until the first EpochChange). */
  get epoch(): number {
    return this.#state.epoch;
  }

  /** Counters for metrics. */
  get stats(): JournalStats {
    let totalBytes = 0;
    for (const s of this.#segments) totalBytes += s.sizeBytes;
    return {
      segments: this.#segments.length,
      firstIndex: this.firstIndex,
      lastIndex: this.#lastIndex,
      writtenIndex: this.#writtenIndex,
      durableIndex: this.#sync.durableIndex,
      stagedBytes: this.#staging.length,
      totalBytes,
      writes: this.#writes,
      syncs: this.#sync.count,
    };
  }

  /** The session id of `key`, if defined. */
  sessionId(key: string): number | undefined {
    return this.#state.byKey.get(key);
  }

  /** Next sequence numbers of a session. @throws {RangeError} for an unknown session */
  sessionState(sessionId: number): SessionSeqState {
    const s = this.#state.byId[sessionId];
    if (s === undefined) {
      throw new RangeError(`Cannot read session ${sessionId}: it is not defined`);
    }
    return { nextSenderSeqNum: s.nextSenderSeqNum, nextTargetSeqNum: s.nextTargetSeqNum };
  }

  /** Every session with its next sequence numbers. */
  sessions(): SessionInfo[] {
    return this.#state.sessionInfos();
  }

  /** Last processed index recorded by AppCursor records, per application name (a copy). */
  appCursors(): Map<string, number> {
    return new Map(this.#state.appCursors);
  }

  /**
   * The same as {@linkcode appCursors}, without the copy: a read-only view of
   * the journal's own map, which later AppCursor records change. For hot
   * queries that read it at once (a follower's ack limit, each batch); copy it
   * to keep a snapshot.
   */
  appCursorsView(): ReadonlyMap<string, number> {
    return this.#state.appCursors;
  }

  /**
   * The Outbound record of `sessionId` with `seqNum` since the session's last
   * reset (the latest one if it was written more than once), for resends.
   */
  outbound(sessionId: number, seqNum: number): JournalRecord | undefined {
    const index = this.#state.byId[sessionId]?.resend[seqNum];
    if (index === undefined || index < this.firstIndex) return undefined;
    return this.read(index);
  }

  // ---------------------------------------------------------------- reading

  #segmentOf(index: number): Segment | undefined {
    return segmentOf(this.#segments, index);
  }

  #reader(segment: Segment): StorageReader {
    segment.reader ??= this.#storage.openReader(segment.name);
    return segment.reader;
  }

  /** Reads the bytes of records `[from, to]` of one segment and decodes them. */
  #readSpan(segment: Segment, from: number, to: number): JournalRecord[] {
    return readSpan(this.#reader(segment), this.#path(segment.name), segment, from, to);
  }

  /**
   * Reads record `index` (flushing staged records if needed); undefined if
   * it is outside `[firstIndex, lastIndex]`. The CRC is verified.
   *
   * @throws {JournalCorruptionError} when the stored record no longer matches its CRC
   */
  read(index: number): JournalRecord | undefined {
    if (this.#closed) throw new JournalClosedError();
    if (!Number.isSafeInteger(index) || index < this.firstIndex || index > this.#lastIndex) {
      return undefined;
    }
    if (index > this.#writtenIndex) this.#flush();
    const segment = this.#segmentOf(index);
    if (segment === undefined) return undefined;
    return this.#readSpan(segment, index, index)[0];
  }

  /** Reads up to `maxBytes` worth of consecutive records from `from` (at least one), within one segment. */
  #readBatch(from: number): JournalRecord[] {
    if (from > this.#writtenIndex) this.#flush();
    const segment = this.#segmentOf(from);
    if (segment === undefined) return [];
    // Only what has reached the file: records still staged are read on a later batch.
    const last = Math.min(segment.lastIndex, this.#writtenIndex);
    return this.#readSpan(segment, from, tailBatchEnd(segment, from, last));
  }

  #wakeTails(): void {
    this.#appendWake.wake();
  }

  /**
   * Follows the journal from `fromIndex`: yields every record from there on,
   * then waits for appends (woken by `append`, never polling; a read-only
   * journal polls the files every `pollIntervalMs`). Ends when `signal`
   * aborts or the journal closes.
   *
   * @throws {RangeError} when `fromIndex`, or the next record of a lagging tail, was removed by retention
   * @throws {JournalTruncatedError} when records the tail already passed are truncated away
   */
  tail(
    fromIndex: number,
    options: { signal?: AbortSignal } = {},
  ): AsyncGenerator<JournalRecord, void, undefined> {
    return followJournal(
      {
        firstIndex: () => this.firstIndex,
        lastIndex: () => this.#lastIndex,
        closed: () => this.#closed,
        failed: () => this.#failure !== undefined ? this.#failedError() : undefined,
        readBatch: (from) => this.#readBatch(from),
        waitForAppend: (signal) =>
          this.#appendWake.wait(signal, this.readOnly ? this.#pollIntervalMs : undefined),
        afterWait: () => {
          if (this.readOnly && !this.#closed) this.refresh();
        },
      },
      fromIndex,
      options,
    );
  }

  // ---------------------------------------------------------------- truncation

  /**
   * Removes every record after `index`, first copying them to
   * `quarantinePath` (a new segment-format file; an existing file is never
   * overwritten), then rebuilds the state. Used when a node steps down and
   * must drop a suffix the new primary never had. Pending `durable()` calls
   * for removed indices reject with {@linkcode JournalTruncatedError}.
   *
   * @throws {RangeError} when `index` is outside `[firstIndex - 1, lastIndex]` or the quarantine file exists
   */
  truncateAfter(index: number, quarantinePath: string): TruncateReport {
    this.#checkWritable();
    const lowest = Math.max(this.firstIndex - 1, this.#baseIndex);
    if (!Number.isSafeInteger(index) || index < lowest || index > this.#lastIndex) {
      throw new RangeError(
        `Cannot truncate after index ${index}: expected ${lowest} to ${this.#lastIndex}`,
      );
    }
    if (index === this.#lastIndex) return { movedRecords: 0, quarantineFile: undefined };
    checkQuarantinePath(this.#storage, quarantinePath);
    this.#flush();
    return this.#io(quarantinePath, () => this.#truncateAfter(index, quarantinePath));
  }

  #truncateAfter(index: number, quarantinePath: string): TruncateReport {
    const moved = this.#lastIndex - index;
    // 1. Copy the suffix, durably, before touching the segments.
    copySuffixToQuarantine(
      this.#storage,
      this.#segments,
      index,
      quarantinePath,
      this.#clock,
      (segment) => this.#reader(segment),
    );
    // 2. Cut the segments, newest first, so a crash leaves a consistent prefix.
    if (this.#writer !== undefined) {
      // A sync in flight still uses the writer; it is closed when that sync ends.
      this.#sync.retire(this.#writer);
      this.#writer = undefined;
    }
    cutSegmentsAfter(this.#storage, this.#segments, index);
    // 3. Rebuild everything from the files.
    const recoveredBefore = this.recovered.length;
    this.#load(true);
    this.recovered.length = recoveredBefore;
    // Everything kept is durable: older segments were synced when they rolled
    // (policies other than none) and the cut segment was synced above.
    this.#waiters.rejectAfter(
      this.#lastIndex,
      (waiting) =>
        new JournalTruncatedError(
          index + 1,
          `Cannot make index ${waiting} durable: it was truncated`,
        ),
    );
    this.#resolveWaiters();
    this.#wakeTails();
    return { movedRecords: moved, quarantineFile: this.#path(quarantinePath) };
  }

  // ---------------------------------------------------------------- retention

  /**
   * Removes whole old segments per the retention options (never the active
   * segment, never one holding Outbound records of a session newer than its
   * last SessionReset), after saving the state they defined in the snapshot.
   * Returns the names of removed segments.
   */
  applyRetention(nowMs: number = this.#clock()): string[] {
    this.#checkWritable();
    const retention = this.#retention;
    if (retention === undefined) return [];
    const count = removableSegments(this.#segments, retention, nowMs, this.#state);
    if (count === 0) return [];
    return this.#io(SNAPSHOT_FILE, () => this.#removeOldest(count));
  }

  #removeOldest(count: number): string[] {
    const removed = this.#segments.slice(0, count);
    const through = removed.at(-1)!.lastIndex;
    // Advance the base state through the removed records, then save it.
    advanceBaseState(this.#storage, removed, this.#baseState, this.#baseIndex);
    writeSnapshot(this.#storage, this.#baseState.snapshot(through));
    this.#baseIndex = through;
    for (const segment of removed) {
      segment.reader?.close();
      this.#storage.remove(segment.name);
    }
    this.#storage.syncDirectory();
    this.#segments = this.#segments.slice(count);
    return removed.map((s) => s.name);
  }

  /**
   * The state as of `firstIndex - 1`: what a follower needs before it can
   * append replicated records from `firstIndex`.
   */
  baseline(): JournalBaseline {
    return this.#baseState.snapshot(this.#baseIndex);
  }

  /**
   * Makes this journal, which must hold no records, start after
   * `baseline.throughIndex` with the baseline's state (a new follower joining
   * a primary whose early records were removed). To rejoin with records, cut
   * them first with {@linkcode Journal.truncateAfter}.
   *
   * @throws {RangeError} when the journal holds records
   */
  installBaseline(baseline: JournalBaseline): void {
    this.#checkWritable();
    if (this.#lastIndex !== this.#baseIndex) {
      throw new RangeError(
        `Cannot install a baseline: the journal holds records ${this.firstIndex} to ${this.#lastIndex}`,
      );
    }
    if (!Number.isSafeInteger(baseline.throughIndex) || baseline.throughIndex < 0) {
      throw new RangeError(`Cannot install a baseline through index ${baseline.throughIndex}`);
    }
    this.#flush();
    if (this.#writer !== undefined) this.#sync.retire(this.#writer);
    this.#writer = undefined;
    this.#io(SNAPSHOT_FILE, () => {
      writeSnapshot(this.#storage, baseline);
      for (const segment of this.#segments) {
        segment.reader?.close();
        this.#storage.remove(segment.name);
      }
      this.#storage.syncDirectory();
      this.#segments = [];
      this.#load(true);
    });
  }

  /** Names of the segment files, oldest first. */
  segmentNames(): string[] {
    return this.#segments.map((s) => s.name);
  }

  // ---------------------------------------------------------------- closing

  /**
   * Writes what is staged, waits for the sync policy to make it durable
   * (a final sync under `interval` and `always`), and releases the files.
   * Tails end. Idempotent.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    if (!this.readOnly && this.#failure === undefined) {
      try {
        this.#flush();
        if (this.#sync.timer !== undefined) {
          clearTimeout(this.#sync.timer);
          this.#sync.timer = undefined;
        }
        while (this.#sync.inFlight) await this.#sync.idle;
        if (this.syncPolicy !== "none" && this.#writtenIndex > this.#sync.durableIndex) {
          this.#sync.start();
          await this.#sync.idle;
        }
        if (this.#failure === undefined) this.#io(CHECKPOINT_FILE, () => this.#writeCheckpoint());
      } catch {
        // The failure is recorded and waiters are rejected below.
      }
    }
    if (this.#sync.timer !== undefined) clearTimeout(this.#sync.timer);
    while (this.#sync.inFlight) await this.#sync.idle;
    this.#closed = true;
    this.#waiters.rejectAll(() =>
      this.#failure !== undefined ? this.#failedError() : new JournalClosedError()
    );
    this.#writer?.close();
    this.#writer = undefined;
    this.#sync.closeRetired();
    for (const s of this.#segments) {
      s.reader?.close();
      s.reader = undefined;
    }
    this.#wakeTails();
  }

  /** Same as {@linkcode Journal.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

export { SNAPSHOT_FILE };
