/**
 * Reading a segment file's records at open through one reused window.
 *
 * Reading a whole segment (64 MiB by default) into a fresh buffer costs a page
 * fault on the first touch of every 4 KiB of that buffer, which measured
 * about 20× the read itself; so the file is read a window at a time into one
 * buffer, and each record is checked in place (`validRecordSizeAt`, no
 * allocation). The checks are those of {@linkcode scanRecords}: every record's
 * CRC, fields and index. A record that fails them (or runs past the end of
 * the file) hands the rest of the file to {@linkcode scanRecords} on the whole
 * file, so torn tails and corruption are told apart, reported and named
 * exactly as before; that path only runs on a damaged journal.
 *
 * @module
 */

import { scanRecords, type ScanResult } from "./_scan.ts";
import {
  RECORD_HEADER_BYTES,
  RECORD_INCOMPLETE,
  recordSizeBytes,
  validRecordSizeAt,
} from "./record.ts";
import { type JournalStorage, readFully, readWholeFile } from "./storage.ts";

/** Size of the read window (grown for a record larger than it). */
export const SCAN_WINDOW_BYTES = 1 << 20;

/**
 * Called for each good record, in index order: the record is in `buf` at
 * `at` (`view` spans all of `buf`) and starts at `fileOffset` in the file.
 * `buf` is reused: it is valid only during the call.
 */
export type RecordVisitor = (
  buf: Uint8Array,
  view: DataView,
  at: number,
  fileOffset: number,
  sizeBytes: number,
  index: number,
) => void;

/**
 * Scans the records of file `name` from offset `start`, expecting indices from
 * `nextIndex`; like {@linkcode scanRecords} (which it defers to on a bad
 * record) it throws {@linkcode JournalCorruptionError} for corruption and
 * returns a torn report when `isLast` and the bad data is a torn tail.
 * `windowBytes` is the initial window (tests make it small).
 */
export function scanSegmentFile(
  storage: JournalStorage,
  name: string,
  start: number,
  nextIndex: number,
  file: string,
  isLast: boolean,
  visit: RecordVisitor,
  windowBytes: number = SCAN_WINDOW_BYTES,
): ScanResult {
  const reader = storage.openReader(name);
  let pos = start;
  let expected = nextIndex;
  let size: number;
  try {
    size = reader.size();
    let buf = new Uint8Array(Math.max(0, Math.min(windowBytes, size - start)));
    let view = new DataView(buf.buffer);
    while (pos < size) {
      const wanted = Math.min(buf.length, size - pos);
      const got = readFully(reader, pos, buf.subarray(0, wanted));
      const atFileEnd = pos + got >= size || got < wanted;
      let o = 0;
      let verdict = 0;
      while (o < got) {
        verdict = validRecordSizeAt(buf, view, o, got, expected);
        if (verdict <= 0) break;
        visit(buf, view, o, pos + o, verdict, expected);
        o += verdict;
        expected++;
      }
      pos += o;
      if (o >= got) {
        if (atFileEnd) return { endOffset: pos, nextIndex: expected };
        continue;
      }
      if (verdict !== RECORD_INCOMPLETE || atFileEnd) break; // damaged: the careful path
      // The record at `pos` continues past the window: read again from it.
      const needed = got - o < RECORD_HEADER_BYTES
        ? RECORD_HEADER_BYTES
        : recordSizeBytes(view.getUint32(o + 4, true));
      if (pos + needed > size || (o === 0 && needed <= got)) break;
      if (needed > buf.length) {
        buf = new Uint8Array(needed);
        view = new DataView(buf.buffer);
      }
    }
    if (pos >= size) return { endOffset: pos, nextIndex: expected };
  } finally {
    reader.close();
  }
  // A record at `pos` (or after it in the window) failed the fast checks: rescan from the
  // first record not yet visited, over the whole file, with the full checks and reports.
  const data = readWholeFile(storage, name);
  const dataView = new DataView(data.buffer, data.byteOffset, data.byteLength);
  return scanRecords(
    data,
    pos,
    data.length,
    expected,
    file,
    isLast,
    (offset, sizeBytes, index) => visit(data, dataView, offset, offset, sizeBytes, index),
  );
}
