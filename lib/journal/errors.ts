/**
 * Errors thrown by the journal. Protocol-level problems never appear here:
 * these are broken invariants (a damaged file, a misuse of the API, a failed
 * disk) and carry the data needed to act on them.
 *
 * @module
 */

import { hex } from "./record.ts";

/** Where and how a journal file is damaged. */
export interface CorruptionDetail {
  /** Path of the damaged file (storage location + name). */
  file: string;
  /** Byte offset of the bad record or header in that file. */
  offsetBytes: number;
  /** What is wrong, e.g. `record CRC mismatch`. */
  reason: string;
  /** The CRC stored in the file, when a CRC was compared. */
  expectedCrc?: number;
  /** The CRC computed over the bytes, when a CRC was compared. */
  actualCrc?: number;
}

/**
 * A journal file is damaged somewhere other than a torn final write. The
 * journal refuses to open; `journal repair` can cut it at this point (keeping
 * the rest in a quarantine file).
 */
export class JournalCorruptionError extends Error {
  readonly file: string;
  readonly offsetBytes: number;
  readonly reason: string;
  readonly expectedCrc: number | undefined;
  readonly actualCrc: number | undefined;

  constructor(detail: CorruptionDetail) {
    const crc = detail.expectedCrc !== undefined && detail.actualCrc !== undefined
      ? ` (expected CRC ${hex(detail.expectedCrc)}, actual CRC ${hex(detail.actualCrc)})`
      : "";
    super(
      `Cannot read journal file ${detail.file} at offset ${detail.offsetBytes}: ${detail.reason}${crc}`,
    );
    this.name = "JournalCorruptionError";
    this.file = detail.file;
    this.offsetBytes = detail.offsetBytes;
    this.reason = detail.reason;
    this.expectedCrc = detail.expectedCrc;
    this.actualCrc = detail.actualCrc;
  }
}

/**
 * A write, sync or open of a journal file failed (a full disk, a read-only
 * file system, an I/O error); the journal accepts nothing more (reopen it to
 * recover). `file` names the file and `cause` is the operating system's error.
 */
export class JournalFailedError extends Error {
  /** Path of the file whose write, sync or open failed, when known. */
  readonly file: string | undefined;
  constructor(message: string, options?: ErrorOptions & { file?: string | undefined }) {
    super(message, options);
    this.name = "JournalFailedError";
    this.file = options?.file;
  }
}

/**
 * The journal ends before a point it is known to have reached: the newest
 * segment is missing or was cut back (a rewind), as recorded in the
 * checkpoint file. The journal refuses to open unless the operator accepts the
 * loss (`acceptRewind`).
 */
export class JournalRewindError extends JournalCorruptionError {
  constructor(detail: CorruptionDetail) {
    super(detail);
    this.name = "JournalRewindError";
  }
}

/** The data directory is in use by another process (see `data_dir_lock.ts`). */
export class DataDirLockedError extends Error {
  /** The directory. */
  readonly dir: string;
  /** Pid written in the lock file by the holder, when readable. */
  readonly holderPid: number | undefined;
  constructor(dir: string, holderPid: number | undefined, message: string) {
    super(message);
    this.name = "DataDirLockedError";
    this.dir = dir;
    this.holderPid = holderPid;
  }
}

/** The journal was closed. */
export class JournalClosedError extends Error {
  constructor(message = "Cannot use journal: it is closed") {
    super(message);
    this.name = "JournalClosedError";
  }
}

/** An index was removed by `truncateAfter` (or never existed) while someone waited on it. */
export class JournalTruncatedError extends RangeError {
  /** The first index that no longer exists. */
  readonly index: number;
  constructor(index: number, message: string) {
    super(message);
    this.name = "JournalTruncatedError";
    this.index = index;
  }
}
