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
 * @module
 */

import { JournalState, type SessionEntry, type StateSnapshot } from "./_state.ts";
import { readSnapshot, removeStaleSnapshot, SNAPSHOT_FILE, writeSnapshot } from "./_snapshot.ts";
import { type RecoveryReport, scanRecords } from "./_scan.ts";
import { CHECKPOINT_FILE, describeRewind, readCheckpoint, writeCheckpoint } from "./_checkpoint.ts";
import {
  JournalClosedError,
  JournalCorruptionError,
  JournalFailedError,
  JournalRewindError,
  JournalTruncatedError,
} from "./errors.ts";
import { FileStorage } from "./file_storage.ts";
import {
  decodeAppCursor,
  decodeEpochChange,
  decodeSequenceChange,
  decodeSessionDefinition,
  encodeAppCursor,
  encodeAudit,
  encodeEpochChange,
  encodeSequenceChange,
  encodeSessionDefinition,
  encodeSessionReset,
} from "./payloads.ts";
import {
  checkRecordAt,
  decodeRecordAt,
  decodeSegmentHeader,
  encodeRecordFields,
  encodeSegmentHeader,
  isRecordKind,
  type JournalRecord,
  parseSegmentFileName,
  type RecordInput,
  RecordKind,
  recordSizeBytes,
  SEGMENT_HEADER_BYTES,
  segmentFileName,
} from "./record.ts";
import { type DailyRoll, nextDailyRollAtMs, parseRollTime } from "./roll_schedule.ts";
import {
  type JournalStorage,
  readFully,
  readWholeFile,
  type StorageReader,
  type StorageWriter,
} from "./storage.ts";

export type { RecoveryReport } from "./_scan.ts";

/**
 * When appended records become durable.
 * - `none`: left to the page cache; durable once written to the OS.
 * - `interval`: an `fdatasync` at most every `syncIntervalMs` while data is unsynced.
 * - `always`: group commit; one `fdatasync` covers every record written while
 *   the previous one was in flight.
 */
export type SyncPolicy = "none" | "interval" | "always";

/** Retention of old segments. Only whole segments before the active one are removed. */
export interface RetentionOptions {
  /** Remove a segment once its last record is older than this. */
  maxAgeMs?: number;
  /** Remove the oldest segments while all segments together exceed this. */
  maxTotalBytes?: number;
}

/** Default segment size: 64 MiB. */
export const DEFAULT_SEGMENT_SIZE_BYTES = 64 * 1024 * 1024;
/** Largest allowed segment size: 1 GiB (offsets are kept as u32). */
export const MAX_SEGMENT_SIZE_BYTES = 1024 * 1024 * 1024;
/** Default largest payload: 4 MiB. */
export const DEFAULT_MAX_PAYLOAD_BYTES = 4 * 1024 * 1024;
/** Default staging limit: 8 MiB. */
export const DEFAULT_MAX_STAGED_BYTES = 8 * 1024 * 1024;
/** Default sync interval for the `interval` policy. */
export const DEFAULT_SYNC_INTERVAL_MS = 100;
/** Default poll interval of a read-only journal's tail. */
export const DEFAULT_POLL_INTERVAL_MS = 200;
/** Most bytes a tail reads in one go. */
const TAIL_BATCH_BYTES = 256 * 1024;

/** Options of {@linkcode Journal.open}. */
export interface JournalOptions {
  /** Where the files live; default: {@linkcode FileStorage} on `dir`. */
  storage?: JournalStorage;
  /** Default `always`. */
  syncPolicy?: SyncPolicy;
  /** For the `interval` policy; default {@linkcode DEFAULT_SYNC_INTERVAL_MS}. */
  syncIntervalMs?: number;
  /** Roll to a new segment before one would exceed this; default {@linkcode DEFAULT_SEGMENT_SIZE_BYTES}. */
  segmentSizeBytes?: number;
  /** Roll daily at a wall-clock time in a time zone. */
  roll?: DailyRoll;
  /** Largest payload accepted by `append`; default {@linkcode DEFAULT_MAX_PAYLOAD_BYTES}. */
  maxPayloadBytes?: number;
  /**
   * Most bytes staged before `append` writes them itself, synchronously, in
   * the caller's turn (the backpressure: a producer faster than the disk pays
   * for the write at once instead of growing memory); default
   * {@linkcode DEFAULT_MAX_STAGED_BYTES}.
   */
  maxStagedBytes?: number;
  /** Segment retention, applied after every roll and by {@linkcode Journal.applyRetention}. */
  retention?: RetentionOptions;
  /** The clock (milliseconds since the epoch); default `Date.now`. */
  clock?: () => number;
  /** Told the duration of every completed sync in ms (metrics); measured with `performance.now()`. */
  onSync?: (durationMs: number, records: number) => void;
  /** Open for reading only: no recovery writes, no appends; tails poll for other processes' appends. */
  readOnly?: boolean;
  /** Poll interval for tails of a read-only journal; default {@linkcode DEFAULT_POLL_INTERVAL_MS}. */
  pollIntervalMs?: number;
  /**
   * Called once, synchronously, when a write, sync, roll or other file
   * operation first fails: from then on the journal accepts nothing (a node
   * stops serving on it). Never called for a read-only journal.
   */
  onFailure?: (error: JournalFailedError) => void;
  /**
   * Open even when the journal ends before its checkpoint (a missing or
   * rewound newest segment): the loss is reported in
   * {@linkcode Journal.rewind} and the checkpoint moves back. Without it, open
   * throws {@linkcode JournalRewindError}. A read-only journal never throws
   * for this; it reports it in {@linkcode Journal.rewind}.
   */
  acceptRewind?: boolean;
}

/** A session as listed by {@linkcode Journal.sessions}. */
export interface SessionInfo {
  id: number;
  key: string;
  nextSenderSeqNum: number;
  nextTargetSeqNum: number;
  /** Index of the session's last SessionReset record, 0 if none. */
  lastResetIndex: number;
}

/** Sequence state of one session. */
export interface SessionSeqState {
  nextSenderSeqNum: number;
  nextTargetSeqNum: number;
}

/**
 * The state a journal starts from when its first records were removed by
 * retention (or never held): sessions, sequence numbers, epoch and cursors as
 * of `throughIndex`. JSON-serialisable, so a primary can send it to a new
 * follower, which installs it with {@linkcode Journal.installBaseline} and
 * then appends replicated records from `throughIndex + 1`.
 */
export type JournalBaseline = StateSnapshot;

/** What {@linkcode Journal.truncateAfter} did. */
export interface TruncateReport {
  /** Records moved to the quarantine file. */
  movedRecords: number;
  /** The quarantine file (a segment-format file), or undefined when nothing was moved. */
  quarantineFile: string | undefined;
}

/** Counters for metrics. */
export interface JournalStats {
  segments: number;
  firstIndex: number;
  lastIndex: number;
  writtenIndex: number;
  durableIndex: number;
  stagedBytes: number;
  totalBytes: number;
  writes: number;
  syncs: number;
}

interface Waiter {
  index: number;
  resolve: () => void;
  reject: (err: Error) => void;
}

class Segment {
  readonly name: string;
  readonly firstIndex: number;
  readonly createdAtMs: number;
  offsets = new Uint32Array(1024);
  count = 0;
  /** End offset of the last record (staged included). */
  sizeBytes = SEGMENT_HEADER_BYTES;
  /** Per session, the index of the last Outbound record in this segment. */
  readonly outboundMax = new Map<number, number>();
  lastTimestampMs = 0;
  reader: StorageReader | undefined;

  constructor(name: string, firstIndex: number, createdAtMs: number) {
    this.name = name;
    this.firstIndex = firstIndex;
    this.createdAtMs = createdAtMs;
  }

  get lastIndex(): number {
    return this.firstIndex + this.count - 1;
  }

  push(offset: number, sizeBytes: number): void {
    if (this.count === this.offsets.length) {
      const grown = new Uint32Array(this.offsets.length * 2);
      grown.set(this.offsets);
      this.offsets = grown;
    }
    this.offsets[this.count++] = offset;
    this.sizeBytes = offset + sizeBytes;
  }

  /** Byte range of the record at position `i`. */
  range(i: number): [number, number] {
    return [this.offsets[i]!, i + 1 < this.count ? this.offsets[i + 1]! : this.sizeBytes];
  }
}

function positiveInt(name: string, value: number, max = Number.MAX_SAFE_INTEGER): number {
  if (!Number.isSafeInteger(value) || value < 1 || value > max) {
    throw new RangeError(`Cannot use ${name} ${value}: expected an integer from 1 to ${max}`);
  }
  return value;
}

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
  readonly #syncIntervalMs: number;
  readonly #retention: RetentionOptions | undefined;
  readonly #pollIntervalMs: number;

  #segments: Segment[] = [];
  #writer: StorageWriter | undefined;
  #retiredWriters: StorageWriter[] = [];
  #nextRollAtMs = Infinity;

  #staged = new Uint8Array(64 * 1024);
  #stagedView = new DataView(this.#staged.buffer);
  #stagedLength = 0;
  #flushScheduled = false;

  #lastIndex = 0;
  #writtenIndex = 0;
  #durableIndex = 0;
  /** The state before the first retained record (from the snapshot). */
  #baseState = new JournalState(false);
  #baseIndex = 0;
  #state = new JournalState(true);

  #waiters: Waiter[] = [];
  #syncInFlight = false;
  #syncTimer: ReturnType<typeof setTimeout> | undefined;
  #syncIdle: Promise<void> | undefined;
  #failure: JournalFailedError | undefined;
  readonly #onFailure: ((error: JournalFailedError) => void) | undefined;
  readonly #acceptRewind: boolean;
  #closed = false;
  #appendWake: { promise: Promise<void>; resolve: () => void } | undefined;
  #writes = 0;
  #syncs = 0;
  readonly #onSync: ((durationMs: number, records: number) => void) | undefined;

  private constructor(storage: JournalStorage, options: JournalOptions) {
    this.#storage = storage;
    this.location = storage.location;
    this.#clock = options.clock ?? Date.now;
    this.syncPolicy = options.syncPolicy ?? "always";
    this.readOnly = options.readOnly ?? false;
    this.#segmentSizeBytes = positiveInt(
      "segmentSizeBytes",
      options.segmentSizeBytes ?? DEFAULT_SEGMENT_SIZE_BYTES,
      MAX_SEGMENT_SIZE_BYTES,
    );
    this.#maxPayloadBytes = positiveInt(
      "maxPayloadBytes",
      options.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES,
    );
    this.#maxStagedBytes = positiveInt(
      "maxStagedBytes",
      options.maxStagedBytes ?? DEFAULT_MAX_STAGED_BYTES,
    );
    this.#syncIntervalMs = positiveInt(
      "syncIntervalMs",
      options.syncIntervalMs ?? DEFAULT_SYNC_INTERVAL_MS,
    );
    this.#onSync = options.onSync;
    this.#onFailure = options.onFailure;
    this.#acceptRewind = options.acceptRewind ?? false;
    this.#pollIntervalMs = positiveInt(
      "pollIntervalMs",
      options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS,
    );
    if (!["none", "interval", "always"].includes(this.syncPolicy)) {
      throw new RangeError(
        `Cannot use sync policy "${this.syncPolicy}": expected none, interval or always`,
      );
    }
    if (options.roll !== undefined) {
      parseRollTime(options.roll.rollDailyAt);
      nextDailyRollAtMs(0, options.roll); // validates the time zone
    }
    this.#roll = options.roll;
    this.#retention = options.retention;
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
    const names = this.#storage.list()
      .map((name) => ({ name, first: parseSegmentFileName(name) }))
      .filter((s): s is { name: string; first: number } => s.first !== undefined)
      .sort((a, b) => a.first - b.first);
    let next = this.#baseIndex + 1;
    if (names.length > 0 && names[0]!.first > next) {
      throw new JournalCorruptionError({
        file: this.#path(names[0]!.name),
        offsetBytes: 0,
        reason: `segment starts at index ${names[0]!.first} but the journal continues from ${next}`,
      });
    }
    if (names.length > 0) next = names[0]!.first;
    for (let k = 0; k < names.length; k++) {
      const { name, first } = names[k]!;
      const isLast = k === names.length - 1;
      const file = this.#path(name);
      if (first !== next) {
        throw new JournalCorruptionError({
          file,
          offsetBytes: 0,
          reason: `segment starts at index ${first}, expected ${next} (a segment is missing)`,
        });
      }
      const data = readWholeFile(this.#storage, name);
      const header = decodeSegmentHeader(data.subarray(0, SEGMENT_HEADER_BYTES));
      if (typeof header === "string") {
        const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
        const tornHeader = isLast && data.length <= SEGMENT_HEADER_BYTES ||
          isLast && !scanHasValid(data, view, first);
        if (!tornHeader) {
          throw new JournalCorruptionError({ file, offsetBytes: 0, reason: header });
        }
        this.recovered.push({
          file,
          offsetBytes: 0,
          droppedBytes: data.length,
          droppedRecords: 0,
          reason: header,
        });
        const createdAtMs = this.#clock();
        if (!this.readOnly) {
          const w = this.#storage.openWriter(name, { create: false });
          try {
            w.truncate(0);
            w.append(encodeSegmentHeader(first, createdAtMs));
            w.syncSync();
          } finally {
            w.close();
          }
        }
        this.#segments.push(new Segment(name, first, createdAtMs));
        continue;
      }
      if (header.firstIndex !== first) {
        throw new JournalCorruptionError({
          file,
          offsetBytes: 16,
          reason: `segment header says first index ${header.firstIndex}, file name says ${first}`,
        });
      }
      const segment = new Segment(name, first, header.createdAtMs);
      const result = this.#scanInto(segment, data, SEGMENT_HEADER_BYTES, isLast, file);
      next = result.nextIndex;
      if (result.torn !== undefined) {
        this.recovered.push(result.torn);
        if (!this.readOnly) {
          const w = this.#storage.openWriter(name, { create: false });
          try {
            w.truncate(result.endOffset);
            w.syncSync();
          } finally {
            w.close();
          }
        }
      }
      this.#segments.push(segment);
    }
    if (names.length > 0 && next - 1 < this.#baseIndex) {
      throw new JournalCorruptionError({
        file: this.#path(names.at(-1)!.name),
        offsetBytes: 0,
        reason: `segments end at index ${
          next - 1
        } but ${SNAPSHOT_FILE} covers up to ${this.#baseIndex}`,
      });
    }
    if (this.#segments.length === 0 && !this.readOnly) {
      this.#segments.push(this.#createSegment(next, this.#clock()));
    }
    this.#lastIndex = next - 1;
    this.#writtenIndex = this.#lastIndex;
    this.#durableIndex = this.#lastIndex;
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
    const last = Math.min(this.#durableIndex, this.#writtenIndex);
    writeCheckpoint(this.#storage, {
      lastIndex: last,
      lastRecordCrc: last > 0 ? this.#crcAt(last) ?? 0 : 0,
      newestSegment: this.#segments.at(-1)?.name ?? "",
      writtenAtMs: this.#clock(),
    });
  }

  #scanInto(
    segment: Segment,
    data: Uint8Array,
    start: number,
    isLast: boolean,
    file: string,
  ): { nextIndex: number; endOffset: number; torn?: RecoveryReport } {
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    const state = this.#state;
    const base = this.#baseIndex;
    return scanRecords(
      data,
      start,
      data.length,
      segment.firstIndex + segment.count,
      file,
      isLast,
      (offset, sizeBytes, index) => {
        segment.push(offset, sizeBytes);
        segment.lastTimestampMs = view.getUint32(offset + 16, true) +
          view.getUint32(offset + 20, true) * 0x1_0000_0000;
        const kind = data[offset + 40]!;
        const sessionId = view.getUint32(offset + 36, true);
        if (kind === RecordKind.Outbound) segment.outboundMax.set(sessionId, index);
        if (index <= base) return;
        const seqNum = view.getUint32(offset + 24, true) +
          view.getUint32(offset + 28, true) * 0x1_0000_0000;
        const n = view.getUint32(offset + 4, true);
        try {
          state.apply(
            kind,
            sessionId,
            seqNum,
            index,
            view.getUint32(offset + 32, true),
            data.subarray(offset + 48, offset + 48 + n),
          );
        } catch (err) {
          throw new JournalCorruptionError({
            file,
            offsetBytes: offset,
            reason: `record ${index} cannot be applied: ${(err as Error).message}`,
          });
        }
      },
    );
  }

  #createSegment(firstIndex: number, createdAtMs: number): Segment {
    const name = segmentFileName(firstIndex);
    if (this.#storage.exists(name)) this.#storage.remove(name);
    const w = this.#storage.openWriter(name, { create: true });
    try {
      w.append(encodeSegmentHeader(firstIndex, createdAtMs));
      if (this.syncPolicy !== "none") w.syncSync();
    } finally {
      w.close();
    }
    if (this.syncPolicy !== "none") this.#storage.syncDirectory();
    return new Segment(name, firstIndex, createdAtMs);
  }

  /**
   * For a read-only journal: picks up records another process appended since
   * open or the last refresh. Returns how many new records were found.
   */
  refresh(): number {
    if (!this.readOnly) return 0;
    const before = this.#lastIndex;
    const last = this.#segments.at(-1);
    if (last !== undefined) {
      const data = readWholeFile(this.#storage, last.name);
      if (data.length > last.sizeBytes) {
        const r = this.#scanInto(last, data, last.sizeBytes, true, this.#path(last.name));
        this.#lastIndex = r.nextIndex - 1;
      }
    }
    const names = this.#storage.list().map(parseSegmentFileName)
      .filter((n): n is number => n !== undefined && n === this.#lastIndex + 1).sort((a, b) =>
        a - b
      );
    for (const first of names) {
      const name = segmentFileName(first);
      const data = readWholeFile(this.#storage, name);
      const header = decodeSegmentHeader(data.subarray(0, SEGMENT_HEADER_BYTES));
      if (typeof header === "string") break;
      const seg = new Segment(name, first, header.createdAtMs);
      const r = this.#scanInto(seg, data, SEGMENT_HEADER_BYTES, true, this.#path(name));
      this.#segments.push(seg);
      this.#lastIndex = r.nextIndex - 1;
    }
    this.#writtenIndex = this.#durableIndex = this.#lastIndex;
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
    if (!isRecordKind(record.kind)) {
      throw new RangeError(`Cannot append record: kind ${record.kind} is unknown`);
    }
    if (
      !Number.isInteger(record.sessionId) || record.sessionId < 0 || record.sessionId > 0xffff_ffff
    ) {
      throw new RangeError(`Cannot append record: session id ${record.sessionId} is out of range`);
    }
    if (!Number.isSafeInteger(record.seqNum) || record.seqNum < 0) {
      throw new RangeError(`Cannot append record: seqNum ${record.seqNum} is out of range`);
    }
    if (!Number.isSafeInteger(record.timestampMs) || record.timestampMs < 0) {
      throw new RangeError(
        `Cannot append record: timestampMs ${record.timestampMs} is out of range`,
      );
    }
    if (record.payload.length > this.#maxPayloadBytes) {
      throw new RangeError(
        `Cannot append record: payload is ${record.payload.length} bytes, the limit is ${this.#maxPayloadBytes}`,
      );
    }
    // Payloads that carry state must decode now: a record that cannot be
    // applied must never reach the file (it would make the journal unreadable).
    switch (record.kind) {
      case RecordKind.SessionDefinition:
        decodeSessionDefinition(record.payload);
        break;
      case RecordKind.SequenceChange:
        decodeSequenceChange(record.payload);
        break;
      case RecordKind.EpochChange:
        decodeEpochChange(record.payload);
        break;
      case RecordKind.AppCursor:
        decodeAppCursor(record.payload);
        break;
    }
    const sessionKind = record.kind === RecordKind.Outbound || record.kind === RecordKind.Inbound ||
      record.kind === RecordKind.SequenceChange || record.kind === RecordKind.SessionReset;
    if (sessionKind && this.#state.byId[record.sessionId] === undefined) {
      throw new RangeError(`Cannot append record: session id ${record.sessionId} is not defined`);
    }
  }

  /**
   * Appends a record and returns its index. The record is staged and written
   * at the end of the current turn together with the others of the turn; use
   * {@linkcode Journal.durable} to wait until it is durable.
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
    if (this.#stagedLength > 0 && this.#stagedLength + size > this.#maxStagedBytes) {
      this.#flush();
    }
    if (this.#stagedLength + size > this.#staged.length) {
      let capacity = this.#staged.length * 2;
      while (capacity < this.#stagedLength + size) capacity *= 2;
      const grown = new Uint8Array(capacity);
      grown.set(this.#staged.subarray(0, this.#stagedLength));
      this.#staged = grown;
      this.#stagedView = new DataView(grown.buffer);
    }
    encodeRecordFields(
      this.#staged,
      this.#stagedView,
      this.#stagedLength,
      index,
      epoch,
      input.kind,
      input.sessionId,
      input.seqNum,
      input.timestampMs,
      input.payload,
    );
    this.#stagedLength += size;
    segment.push(segment.sizeBytes, size);
    segment.lastTimestampMs = input.timestampMs;
    if (input.kind === RecordKind.Outbound) segment.outboundMax.set(input.sessionId, index);
    this.#lastIndex = index;
    this.#state.apply(input.kind, input.sessionId, input.seqNum, index, epoch, input.payload);
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      queueMicrotask(() => {
        this.#flushScheduled = false;
        try {
          this.#flush();
        } catch {
          // #flush recorded the failure; waiters were rejected.
        }
      });
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
      () => this.#createSegment(firstIndex, now),
    );
    if (this.#syncInFlight) this.#retiredWriters.push(old);
    else old.close();
    this.#segments.push(segment);
    this.#writer = undefined;
    this.#io(segment!.name, () => {
      this.#writer = this.#storage.openWriter(segment.name, { create: false });
      // Everything before the new segment is synced (policies other than none).
      if (this.syncPolicy !== "none") this.#durableIndex = this.#writtenIndex;
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
    if (this.#stagedLength === 0) return;
    if (this.#failure !== undefined) throw this.#failedError();
    const bytes = this.#staged.subarray(0, this.#stagedLength);
    try {
      this.#writer!.append(bytes);
    } catch (err) {
      this.#fail(err as Error);
      throw this.#failedError();
    }
    this.#writes++;
    this.#stagedLength = 0;
    this.#writtenIndex = this.#lastIndex;
    if (this.#staged.length > this.#maxStagedBytes * 2 && this.#staged.length > 64 * 1024) {
      this.#staged = new Uint8Array(64 * 1024);
      this.#stagedView = new DataView(this.#staged.buffer);
    }
    switch (this.syncPolicy) {
      case "none":
        this.#durableIndex = this.#writtenIndex;
        this.#resolveWaiters();
        break;
      case "always":
        this.#startSync();
        break;
      case "interval":
        if (this.#syncTimer === undefined && !this.#syncInFlight) {
          this.#syncTimer = setTimeout(() => {
            this.#syncTimer = undefined;
            this.#startSync();
          }, this.#syncIntervalMs);
        }
        break;
      default: {
        const never: never = this.syncPolicy;
        throw new TypeError(`Unknown sync policy ${never}`);
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
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w.reject(failed);
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

  #startSync(): void {
    if (this.#syncInFlight || this.#failure !== undefined) return;
    if (this.#durableIndex >= this.#writtenIndex) return;
    const writer = this.#writer!;
    const target = this.#writtenIndex;
    this.#syncInFlight = true;
    this.#syncs++;
    const startedAt = this.#onSync ? performance.now() : 0;
    const from = this.#durableIndex;
    this.#syncIdle = writer.sync().then(
      () => {
        this.#syncInFlight = false;
        this.#onSync?.(performance.now() - startedAt, target - from);
        for (const w of this.#retiredWriters) w.close();
        this.#retiredWriters = [];
        if (target > this.#durableIndex) this.#durableIndex = Math.min(target, this.#lastIndex);
        this.#resolveWaiters();
        if (this.#writtenIndex > this.#durableIndex && !this.#closed) {
          if (this.syncPolicy === "always") this.#startSync();
          else if (this.#syncTimer === undefined) {
            this.#syncTimer = setTimeout(() => {
              this.#syncTimer = undefined;
              this.#startSync();
            }, this.#syncIntervalMs);
          }
        }
      },
      (err: Error) => {
        this.#syncInFlight = false;
        this.#fail(err, writer.name);
      },
    );
  }

  #resolveWaiters(): void {
    const durable = this.#durableIndex;
    let i = 0;
    const waiters = this.#waiters;
    while (i < waiters.length && waiters[i]!.index <= durable) waiters[i++]!.resolve();
    if (i > 0) this.#waiters = i === waiters.length ? [] : waiters.slice(i);
  }

  /**
   * Resolves when record `index` is durable under the sync policy (`none`:
   * written to the OS). Rejects with {@linkcode JournalFailedError} if a write
   * or sync fails first, {@linkcode JournalTruncatedError} if the record is
   * truncated away, {@linkcode JournalClosedError} if the journal closes
   * first.
   */
  durable(index: number): Promise<void> {
    if (index <= this.#durableIndex) return Promise.resolve();
    if (this.#failure !== undefined) return Promise.reject(this.#failedError());
    if (this.#closed) return Promise.reject(new JournalClosedError());
    if (index > this.#lastIndex) {
      return Promise.reject(
        new RangeError(`Cannot wait for index ${index}: the last index is ${this.#lastIndex}`),
      );
    }
    return new Promise((resolve, reject) => {
      const waiter = { index, resolve, reject };
      const waiters = this.#waiters;
      if (waiters.length === 0 || waiters[waiters.length - 1]!.index <= index) {
        waiters.push(waiter);
      } else {
        let lo = 0;
        let hi = waiters.length;
        while (lo < hi) {
          const mid = (lo + hi) >>> 1;
          if (waiters[mid]!.index <= index) lo = mid + 1;
          else hi = mid;
        }
        waiters.splice(lo, 0, waiter);
      }
    });
  }

  // ---------------------------------------------------------------- convenience appends

  /** Returns the id of the session `key`, appending a SessionDefinition record the first time. */
  defineSession(key: string, timestampMs: number = this.#clock()): number {
    const existing = this.#state.byKey.get(key);
    if (existing !== undefined) return existing;
    if (key.length === 0) throw new RangeError("Cannot define session: key is empty");
    const id = Math.max(0, this.#state.byId.length - 1) + 1;
    this.append({
      kind: RecordKind.SessionDefinition,
      sessionId: id,
      seqNum: 0,
      timestampMs,
      payload: encodeSessionDefinition(key),
    });
    return id;
  }

  /** Appends a SequenceChange record setting both next sequence numbers. */
  setSequenceNumbers(
    sessionId: number,
    change: { nextSenderSeqNum: number; nextTargetSeqNum: number; reason: string },
    timestampMs: number = this.#clock(),
  ): number {
    return this.append({
      kind: RecordKind.SequenceChange,
      sessionId,
      seqNum: 0,
      timestampMs,
      payload: encodeSequenceChange(change),
    });
  }

  /** Appends a SessionReset record. */
  resetSession(sessionId: number, reason: string, timestampMs: number = this.#clock()): number {
    return this.append({
      kind: RecordKind.SessionReset,
      sessionId,
      seqNum: 0,
      timestampMs,
      payload: encodeSessionReset(reason),
    });
  }

  /** Appends an EpochChange record starting `epoch` (must exceed the current epoch). */
  beginEpoch(epoch: number, reason: string, timestampMs: number = this.#clock()): number {
    return this.append({
      kind: RecordKind.EpochChange,
      sessionId: 0,
      seqNum: 0,
      timestampMs,
      payload: encodeEpochChange({ epoch, reason }),
    });
  }

  /** Appends an AppCursor record: application `name` has processed up to `index`. */
  recordAppCursor(name: string, index: number, timestampMs: number = this.#clock()): number {
    return this.append({
      kind: RecordKind.AppCursor,
      sessionId: 0,
      seqNum: 0,
      timestampMs,
      payload: encodeAppCursor({ name, index }),
    });
  }

  /** Appends an Audit record. */
  audit(text: string, sessionId = 0, timestampMs: number = this.#clock()): number {
    return this.append({
      kind: RecordKind.Audit,
      sessionId,
      seqNum: 0,
      timestampMs,
      payload: encodeAudit(text),
    });
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
    return this.#durableIndex;
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
      durableIndex: this.#durableIndex,
      stagedBytes: this.#stagedLength,
      totalBytes,
      writes: this.#writes,
      syncs: this.#syncs,
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
    return this.#state.byId.filter((s): s is SessionEntry => s !== undefined).map((s) => ({
      id: s.id,
      key: s.key,
      nextSenderSeqNum: s.nextSenderSeqNum,
      nextTargetSeqNum: s.nextTargetSeqNum,
      lastResetIndex: s.lastResetIndex,
    }));
  }

  /** Last processed index recorded by AppCursor records, per application name. */
  appCursors(): Map<string, number> {
    return new Map(this.#state.appCursors);
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
    const segs = this.#segments;
    let lo = 0;
    let hi = segs.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (segs[mid]!.firstIndex <= index) lo = mid;
      else hi = mid - 1;
    }
    const s = segs[lo];
    return s !== undefined && index >= s.firstIndex && index <= s.lastIndex ? s : undefined;
  }

  #reader(segment: Segment): StorageReader {
    segment.reader ??= this.#storage.openReader(segment.name);
    return segment.reader;
  }

  /** Reads the bytes of records `[from, to]` of one segment and decodes them. */
  #readSpan(segment: Segment, from: number, to: number): JournalRecord[] {
    const i0 = from - segment.firstIndex;
    const i1 = to - segment.firstIndex;
    const start = segment.offsets[i0]!;
    const end = segment.range(i1)[1];
    const buf = new Uint8Array(end - start);
    const file = this.#path(segment.name);
    const n = readFully(this.#reader(segment), start, buf);
    if (n !== buf.length) {
      throw new JournalCorruptionError({
        file,
        offsetBytes: start + n,
        reason: `file ends at ${start + n}, before the records it held`,
      });
    }
    const view = new DataView(buf.buffer);
    const out: JournalRecord[] = [];
    for (let i = i0; i <= i1; i++) {
      const at = segment.offsets[i]! - start;
      const [s, e] = segment.range(i);
      const check = checkRecordAt(buf, view, at, at + (e - s));
      const index = segment.firstIndex + i;
      if (!check.ok || check.index !== index) {
        throw new JournalCorruptionError({
          file,
          offsetBytes: s,
          reason: check.ok
            ? `record has index ${check.index}, expected ${index}`
            : `record ${index} is damaged (${check.fault})`,
          ...(check.expectedCrc !== undefined && check.actualCrc !== undefined
            ? { expectedCrc: check.expectedCrc, actualCrc: check.actualCrc }
            : {}),
        });
      }
      out.push(decodeRecordAt(buf, view, at, false));
    }
    return out;
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
    const start = segment.offsets[from - segment.firstIndex]!;
    // Only what has reached the file: records still staged are read on a later batch.
    const last = Math.min(segment.lastIndex, this.#writtenIndex);
    let to = from;
    while (
      to < last &&
      segment.range(to + 1 - segment.firstIndex)[1] - start <= TAIL_BATCH_BYTES
    ) to++;
    return this.#readSpan(segment, from, to);
  }

  #wakeTails(): void {
    const wake = this.#appendWake;
    if (wake !== undefined) {
      this.#appendWake = undefined;
      wake.resolve();
    }
  }

  #waitForAppend(signal: AbortSignal | undefined): Promise<void> {
    if (this.#appendWake === undefined) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      this.#appendWake = { promise, resolve };
    }
    const wake = this.#appendWake.promise;
    const timers: ReturnType<typeof setTimeout>[] = [];
    const racers: Promise<void>[] = [wake];
    if (this.readOnly) {
      racers.push(new Promise((r) => timers.push(setTimeout(r, this.#pollIntervalMs))));
    }
    if (signal === undefined) {
      return Promise.race(racers).finally(() => timers.forEach(clearTimeout));
    }
    let onAbort: () => void = () => {};
    racers.push(
      new Promise<void>((r) => {
        onAbort = r;
        signal.addEventListener("abort", onAbort, { once: true });
      }),
    );
    return Promise.race(racers).finally(() => {
      signal.removeEventListener("abort", onAbort);
      timers.forEach(clearTimeout);
    });
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
  async *tail(
    fromIndex: number,
    options: { signal?: AbortSignal } = {},
  ): AsyncGenerator<JournalRecord, void, undefined> {
    const { signal } = options;
    let next = Math.max(fromIndex, 1);
    if (next < this.firstIndex) {
      throw new RangeError(
        `Cannot tail from index ${fromIndex}: records before ${this.firstIndex} were removed`,
      );
    }
    while (true) {
      if (signal?.aborted || this.#closed) return;
      if (this.#failure !== undefined) throw this.#failedError();
      if (next < this.firstIndex) {
        throw new RangeError(
          `Cannot continue tail at index ${next}: retention removed records before ${this.firstIndex}`,
        );
      }
      if (next > this.#lastIndex + 1) {
        throw new JournalTruncatedError(
          this.#lastIndex + 1,
          `Cannot continue tail at index ${next}: the journal was truncated after ${this.#lastIndex}`,
        );
      }
      if (next <= this.#lastIndex) {
        for (const record of this.#readBatch(next)) {
          yield record;
          next = record.index + 1;
          if (signal?.aborted || this.#closed) return;
        }
        continue;
      }
      await this.#waitForAppend(signal);
      if (this.readOnly && !this.#closed) this.refresh();
    }
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
    if (
      parseSegmentFileName(quarantinePath.slice(quarantinePath.lastIndexOf("/") + 1)) !== undefined
    ) {
      throw new RangeError(
        `Cannot quarantine to ${quarantinePath}: the name is a segment file name`,
      );
    }
    if (this.#storage.exists(quarantinePath)) {
      throw new RangeError(`Cannot quarantine to ${quarantinePath}: the file exists`);
    }
    this.#flush();
    return this.#io(quarantinePath, () => this.#truncateAfter(index, quarantinePath));
  }

  #truncateAfter(index: number, quarantinePath: string): TruncateReport {
    const moved = this.#lastIndex - index;
    // 1. Copy the suffix, durably, before touching the segments.
    const q = this.#storage.openWriter(quarantinePath, { create: true });
    try {
      q.append(encodeSegmentHeader(index + 1, this.#clock()));
      for (const segment of this.#segments) {
        if (segment.lastIndex <= index) continue;
        const from = Math.max(index + 1, segment.firstIndex);
        const start = segment.offsets[from - segment.firstIndex]!;
        const buf = new Uint8Array(segment.sizeBytes - start);
        readFully(this.#reader(segment), start, buf);
        q.append(buf);
      }
      q.syncSync();
    } finally {
      q.close();
    }
    this.#storage.syncDirectory();
    // 2. Cut the segments, newest first, so a crash leaves a consistent prefix.
    if (this.#writer !== undefined) {
      // A sync in flight still uses the writer; it is closed when that sync ends.
      if (this.#syncInFlight) this.#retiredWriters.push(this.#writer);
      else this.#writer.close();
      this.#writer = undefined;
    }
    for (let k = this.#segments.length - 1; k >= 0; k--) {
      const segment = this.#segments[k]!;
      segment.reader?.close();
      segment.reader = undefined;
      if (segment.firstIndex > index && k > 0) {
        this.#storage.remove(segment.name);
      } else if (segment.lastIndex > index) {
        const w = this.#storage.openWriter(segment.name, { create: false });
        try {
          w.truncate(
            index >= segment.firstIndex
              ? segment.range(index - segment.firstIndex)[1]
              : SEGMENT_HEADER_BYTES,
          );
          w.syncSync();
        } finally {
          w.close();
        }
      }
    }
    this.#storage.syncDirectory();
    // 3. Rebuild everything from the files.
    const recoveredBefore = this.recovered.length;
    this.#load(true);
    this.recovered.length = recoveredBefore;
    // Everything kept is durable: older segments were synced when they rolled
    // (policies other than none) and the cut segment was synced above.
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) {
      if (w.index <= this.#lastIndex) this.#waiters.push(w);
      else {
        w.reject(
          new JournalTruncatedError(
            index + 1,
            `Cannot make index ${w.index} durable: it was truncated`,
          ),
        );
      }
    }
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
    let total = 0;
    for (const s of this.#segments) total += s.sizeBytes;
    let count = 0;
    for (let k = 0; k < this.#segments.length - 1; k++) {
      const segment = this.#segments[k]!;
      const byAge = retention.maxAgeMs !== undefined && segment.count > 0 &&
        segment.lastTimestampMs <= nowMs - retention.maxAgeMs;
      const bySize = retention.maxTotalBytes !== undefined && total > retention.maxTotalBytes;
      if (!byAge && !bySize) break;
      let needed = false;
      for (const [sessionId, maxIndex] of segment.outboundMax) {
        if (maxIndex > (this.#state.byId[sessionId]?.lastResetIndex ?? 0)) needed = true;
      }
      if (needed) break;
      total -= segment.sizeBytes;
      count++;
    }
    if (count === 0) return [];
    return this.#io(SNAPSHOT_FILE, () => this.#removeOldest(count));
  }

  #removeOldest(count: number): string[] {
    const removed = this.#segments.slice(0, count);
    const through = removed.at(-1)!.lastIndex;
    // Advance the base state through the removed records, then save it.
    for (const segment of removed) {
      const data = readWholeFile(this.#storage, segment.name);
      const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
      for (let i = 0; i < segment.count; i++) {
        const o = segment.offsets[i]!;
        const record = decodeRecordAt(data, view, o, false);
        if (record.index <= this.#baseIndex) continue;
        this.#baseState.apply(
          record.kind,
          record.sessionId,
          record.seqNum,
          record.index,
          record.epoch,
          record.payload,
        );
      }
    }
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
    if (this.#syncInFlight && this.#writer !== undefined) this.#retiredWriters.push(this.#writer);
    else this.#writer?.close();
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
        if (this.#syncTimer !== undefined) {
          clearTimeout(this.#syncTimer);
          this.#syncTimer = undefined;
        }
        while (this.#syncInFlight) await this.#syncIdle;
        if (this.syncPolicy !== "none" && this.#writtenIndex > this.#durableIndex) {
          this.#startSync();
          await this.#syncIdle;
        }
        if (this.#failure === undefined) this.#io(CHECKPOINT_FILE, () => this.#writeCheckpoint());
      } catch {
        // The failure is recorded and waiters are rejected below.
      }
    }
    if (this.#syncTimer !== undefined) clearTimeout(this.#syncTimer);
    while (this.#syncInFlight) await this.#syncIdle;
    this.#closed = true;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) {
      w.reject(this.#failure !== undefined ? this.#failedError() : new JournalClosedError());
    }
    this.#writer?.close();
    this.#writer = undefined;
    for (const w of this.#retiredWriters) w.close();
    this.#retiredWriters = [];
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

function scanHasValid(data: Uint8Array, view: DataView, minIndex: number): boolean {
  for (let o = SEGMENT_HEADER_BYTES; o + 48 <= data.length; o += 8) {
    if (checkRecordAt(data, view, o, data.length).ok && view.getUint32(o + 8, true) >= minIndex) {
      return true;
    }
  }
  return false;
}

export { SNAPSHOT_FILE };
