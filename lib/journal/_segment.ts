/**
 * A segment file of the journal in memory: where each of its records starts
 * (so a record is read by position, without a scan), and the facts retention
 * needs (last timestamp, newest Outbound record per session). Also the file
 * operations on one segment: creating it with its header, finding the segment
 * of an index, and reading and verifying a span of its records.
 *
 * @module
 */

import { JournalCorruptionError } from "./errors.ts";
import type { SyncPolicy } from "./journal_options.ts";
import {
  checkRecordAt,
  decodeRecordAt,
  encodeSegmentHeader,
  type JournalRecord,
  SEGMENT_HEADER_BYTES,
  segmentFileName,
} from "./record.ts";
import { type JournalStorage, readFully, type StorageReader } from "./storage.ts";

/** One segment file: its first index and the offset of every record in it. */
export class Segment {
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

/** Creates the file of a new segment holding only its header (synced unless the policy is none). */
export function createSegment(
  storage: JournalStorage,
  syncPolicy: SyncPolicy,
  firstIndex: number,
  createdAtMs: number,
): Segment {
  const name = segmentFileName(firstIndex);
  if (storage.exists(name)) storage.remove(name);
  const w = storage.openWriter(name, { create: true });
  try {
    w.append(encodeSegmentHeader(firstIndex, createdAtMs));
    if (syncPolicy !== "none") w.syncSync();
  } finally {
    w.close();
  }
  if (syncPolicy !== "none") storage.syncDirectory();
  return new Segment(name, firstIndex, createdAtMs);
}

/** The segment holding `index` (segments sorted by first index), or undefined. */
export function segmentOf(segs: readonly Segment[], index: number): Segment | undefined {
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

/**
 * Reads the bytes of records `[from, to]` of one segment and decodes them.
 *
 * @throws {JournalCorruptionError} when the file is short or a record fails its CRC or index check
 */
export function readSpan(
  reader: StorageReader,
  file: string,
  segment: Segment,
  from: number,
  to: number,
): JournalRecord[] {
  const i0 = from - segment.firstIndex;
  const i1 = to - segment.firstIndex;
  const start = segment.offsets[i0]!;
  const end = segment.range(i1)[1];
  const buf = new Uint8Array(end - start);
  const n = readFully(reader, start, buf);
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

/** True when a valid record at or after `minIndex` starts anywhere after the segment header. */
export function scanHasValid(data: Uint8Array, view: DataView, minIndex: number): boolean {
  for (let o = SEGMENT_HEADER_BYTES; o + 48 <= data.length; o += 8) {
    if (checkRecordAt(data, view, o, data.length).ok && view.getUint32(o + 8, true) >= minIndex) {
      return true;
    }
  }
  return false;
}
