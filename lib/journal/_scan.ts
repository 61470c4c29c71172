/**
 * Scanning a segment's bytes at open: verify every record and tell a torn
 * tail from corruption.
 *
 * A crash can only damage the journal's last write, and the last write only
 * ever lands at the end of the newest segment. So a bad record is a torn tail
 * when it is in the newest segment and nothing valid follows it: no record
 * with a valid CRC and a plausible index starts at any 8-byte boundary after
 * it (a zero-filled or half-written tail has none). A bad record in an older
 * segment, or one followed by a valid record, is corruption: the data after
 * it was written, so something destroyed bytes that were once good.
 *
 * @module
 */

import { JournalCorruptionError } from "./errors.ts";
import { checkRecordAt, getU64, RECORD_ALIGNMENT_BYTES, RECORD_HEADER_BYTES } from "./record.ts";

/** A torn tail found (and, when writable, cut off) at open. */
export interface RecoveryReport {
  /** Path of the file. */
  file: string;
  /** Where the torn data started. */
  offsetBytes: number;
  /** How many bytes were dropped. */
  droppedBytes: number;
  /**
   * How many records were dropped: the damaged one plus any record with a
   * valid CRC found after it (at an index the journal could not continue
   * with); 0 when the bytes held no record at all.
   */
  droppedRecords: number;
  /** What was wrong with the first dropped bytes. */
  reason: string;
}

/** Result of {@linkcode scanRecords}. */
export interface ScanResult {
  /** Offset after the last good record. */
  endOffset: number;
  /** Index the next record must have. */
  nextIndex: number;
  /** Set when the scan stopped at a torn tail. */
  torn?: RecoveryReport;
}

const FAULT_TEXT: Record<string, string> = {
  "truncated-header": "record header is incomplete",
  "truncated-payload": "record runs past the end of the file",
  "bad-length": "record length is out of range",
  "bad-crc": "record CRC mismatch",
  "bad-field": "record header fields are invalid",
};

/** True if a valid record with an index at or after `minIndex` starts at an aligned offset in `[from, end)`. */
export function validRecordFollows(
  buf: Uint8Array,
  view: DataView,
  from: number,
  end: number,
  minIndex: number,
): boolean {
  const maxIndex = minIndex + Math.ceil((end - from) / RECORD_HEADER_BYTES) + 1;
  let o = Math.ceil(from / RECORD_ALIGNMENT_BYTES) * RECORD_ALIGNMENT_BYTES;
  for (; o + RECORD_HEADER_BYTES <= end; o += RECORD_ALIGNMENT_BYTES) {
    const index = getU64(view, o + 8);
    if (index < minIndex || index > maxIndex) continue;
    if (checkRecordAt(buf, view, o, end).ok) return true;
  }
  return false;
}

/**
 * Scans the records of `buf[start..end)` expecting indices from `nextIndex`,
 * calling `onRecord` for each good one. Throws
 * {@linkcode JournalCorruptionError} for corruption; returns a torn report
 * when `isLast` and the bad data is a torn tail.
 */
export function scanRecords(
  buf: Uint8Array,
  start: number,
  end: number,
  nextIndex: number,
  file: string,
  isLast: boolean,
  onRecord: (offset: number, sizeBytes: number, index: number) => void,
): ScanResult {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let o = start;
  let expected = nextIndex;
  while (o < end) {
    const check = checkRecordAt(buf, view, o, end);
    if (check.ok && check.index === expected) {
      onRecord(o, check.sizeBytes, expected);
      o += check.sizeBytes;
      expected++;
      continue;
    }
    if (check.ok) {
      throw new JournalCorruptionError({
        file,
        offsetBytes: o,
        reason: `record has index ${check.index}, expected ${expected}`,
      });
    }
    const reason = FAULT_TEXT[check.fault] ?? check.fault;
    const crc = check.expectedCrc !== undefined && check.actualCrc !== undefined
      ? { expectedCrc: check.expectedCrc, actualCrc: check.actualCrc }
      : {};
    if (!isLast) {
      throw new JournalCorruptionError({
        file,
        offsetBytes: o,
        reason: `${reason} in a segment that is not the newest`,
        ...crc,
      });
    }
    if (validRecordFollows(buf, view, o + RECORD_ALIGNMENT_BYTES, end, expected)) {
      throw new JournalCorruptionError({
        file,
        offsetBytes: o,
        reason: `${reason}, and valid records follow it`,
        ...crc,
      });
    }
    let droppedRecords = 1;
    for (let k = o + RECORD_ALIGNMENT_BYTES; k + RECORD_HEADER_BYTES <= end;) {
      const c = checkRecordAt(buf, view, k, end);
      if (c.ok) {
        droppedRecords++;
        k += c.sizeBytes;
      } else k += RECORD_ALIGNMENT_BYTES;
    }
    return {
      endOffset: o,
      nextIndex: expected,
      torn: { file, offsetBytes: o, droppedBytes: end - o, droppedRecords, reason },
    };
  }
  return { endOffset: o, nextIndex: expected };
}
