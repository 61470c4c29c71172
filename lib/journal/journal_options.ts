/**
 * The options, limits and report types of {@linkcode Journal}: the sync
 * policy, retention, the named defaults of every limit and the checks of the
 * options ({@linkcode resolveJournalOptions}), and the shapes `Journal`
 * returns (session listings, baseline, truncation report, stats).
 * The types and defaults are re-exported by `journal.ts` and `mod.ts`.
 *
 * @module
 */

import type { StateSnapshot } from "./_state.ts";
import type { JournalFailedError } from "./errors.ts";
import { type DailyRoll, nextDailyRollAtMs, parseRollTime } from "./roll_schedule.ts";
import type { JournalStorage } from "./storage.ts";

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

/** {@linkcode JournalOptions} with every default filled in and every limit checked. */
export interface ResolvedJournalOptions {
  clock: () => number;
  syncPolicy: SyncPolicy;
  readOnly: boolean;
  segmentSizeBytes: number;
  maxPayloadBytes: number;
  maxStagedBytes: number;
  syncIntervalMs: number;
  onSync: ((durationMs: number, records: number) => void) | undefined;
  onFailure: ((error: JournalFailedError) => void) | undefined;
  acceptRewind: boolean;
  pollIntervalMs: number;
  roll: DailyRoll | undefined;
  retention: RetentionOptions | undefined;
}

/**
 * Fills in the defaults of `options` and checks every limit, the sync policy
 * and the daily roll.
 *
 * @throws {RangeError} naming the option that is out of range
 */
export function resolveJournalOptions(options: JournalOptions): ResolvedJournalOptions {
  const syncPolicy = options.syncPolicy ?? "always";
  const segmentSizeBytes = positiveInt(
    "segmentSizeBytes",
    options.segmentSizeBytes ?? DEFAULT_SEGMENT_SIZE_BYTES,
    MAX_SEGMENT_SIZE_BYTES,
  );
  const maxPayloadBytes = positiveInt(
    "maxPayloadBytes",
    options.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES,
  );
  const maxStagedBytes = positiveInt(
    "maxStagedBytes",
    options.maxStagedBytes ?? DEFAULT_MAX_STAGED_BYTES,
  );
  const syncIntervalMs = positiveInt(
    "syncIntervalMs",
    options.syncIntervalMs ?? DEFAULT_SYNC_INTERVAL_MS,
  );
  const pollIntervalMs = positiveInt(
    "pollIntervalMs",
    options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS,
  );
  if (!["none", "interval", "always"].includes(syncPolicy)) {
    throw new RangeError(
      `Cannot use sync policy "${syncPolicy}": expected none, interval or always`,
    );
  }
  if (options.roll !== undefined) {
    parseRollTime(options.roll.rollDailyAt);
    nextDailyRollAtMs(0, options.roll); // validates the time zone
  }
  return {
    clock: options.clock ?? Date.now,
    syncPolicy,
    readOnly: options.readOnly ?? false,
    segmentSizeBytes,
    maxPayloadBytes,
    maxStagedBytes,
    syncIntervalMs,
    onSync: options.onSync,
    onFailure: options.onFailure,
    acceptRewind: options.acceptRewind ?? false,
    pollIntervalMs,
    roll: options.roll,
    retention: options.retention,
  };
}

/**
 * `value` when it is a safe integer from 1 to `max`.
 *
 * @throws {RangeError} naming the option `name` otherwise
 */
function positiveInt(name: string, value: number, max = Number.MAX_SAFE_INTEGER): number {
  if (!Number.isSafeInteger(value) || value < 1 || value > max) {
    throw new RangeError(`Cannot use ${name} ${value}: expected an integer from 1 to ${max}`);
  }
  return value;
}
