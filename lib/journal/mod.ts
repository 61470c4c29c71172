/**
 * The journal: Tandem's persisted, segmented, crash-safe log of FIX messages
 * and session events, with the materialised session state (sequence numbers,
 * resend index, epoch, application cursors) rebuilt on open.
 *
 * - {@linkcode Journal}: open, append (staged, one write per turn), durable
 *   (per sync policy), read, tail, outbound (resends), appendReplicated,
 *   truncateAfter, retention.
 * - `record.ts`: the on-disk format, described in prose.
 * - `payloads.ts`: payload encodings of the non-message records.
 * - {@linkcode FileStorage} / {@linkcode MemoryStorage}: the storage seam.
 * - {@linkcode runJournalCommand}: `journal dump|tail|verify|repair`.
 *
 * @example
 * ```ts
 * import { Journal, RecordKind } from "./mod.ts";
 *
 * const dir = await Deno.makeTempDir();
 * {
 *   await using journal = await Journal.open(dir, { syncPolicy: "always" });
 *   const session = journal.defineSession("FIX.4.4:ME->THEM");
 *   const index = journal.append({
 *     kind: RecordKind.Outbound,
 *     sessionId: session,
 *     seqNum: 1,
 *     timestampMs: Date.now(),
 *     payload: new TextEncoder().encode("8=FIX.4.4\x019=5\x0135=0\x0110=000\x01"),
 *   });
 *   await journal.durable(index);
 * }
 * await using again = await Journal.open(dir);
 * console.log(again.sessionState(1)); // { nextSenderSeqNum: 2, nextTargetSeqNum: 1 }
 * await Deno.remove(dir, { recursive: true });
 * ```
 *
 * @module
 */

export {
  DEFAULT_MAX_PAYLOAD_BYTES,
  DEFAULT_MAX_STAGED_BYTES,
  DEFAULT_POLL_INTERVAL_MS,
  DEFAULT_SEGMENT_SIZE_BYTES,
  DEFAULT_SYNC_INTERVAL_MS,
  Journal,
  type JournalBaseline,
  type JournalOptions,
  type JournalStats,
  MAX_SEGMENT_SIZE_BYTES,
  type RecoveryReport,
  type RetentionOptions,
  type SessionInfo,
  type SessionSeqState,
  type SyncPolicy,
  type TruncateReport,
} from "./journal.ts";
export {
  type CorruptionDetail,
  DataDirLockedError,
  JournalClosedError,
  JournalCorruptionError,
  JournalFailedError,
  JournalRewindError,
  JournalTruncatedError,
} from "./errors.ts";
export { CHECKPOINT_FILE } from "./_checkpoint.ts";
export {
  decodeRecord,
  encodeRecord,
  type JournalRecord,
  parseRecordKind,
  type RecordInput,
  RecordKind,
  recordKindName,
  segmentFileName,
} from "./record.ts";
export * from "./payloads.ts";
export { crc32c } from "./crc32c.ts";
export { type DailyRoll, nextDailyRollAtMs } from "./roll_schedule.ts";
export type { JournalStorage, StorageReader, StorageWriter } from "./storage.ts";
export { FileStorage } from "./file_storage.ts";
export { MemoryStorage } from "./memory_storage.ts";
export { runJournalCommand } from "./cli.ts";
