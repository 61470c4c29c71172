/**
 * What `journal repair` would move into quarantine, worked out without
 * changing a file: the bytes from the first bad record to the end of the
 * journal, the records still intact in them and their index range.
 *
 * @module
 */

import { checkRecordAt, parseSegmentFileName, SEGMENT_HEADER_BYTES } from "./record.ts";
import { type JournalStorage, readWholeFile } from "./storage.ts";

/** The bytes a repair pass would quarantine, and what they hold. */
export interface QuarantinePlan {
  /** The damaged segment (file name) and the offset the cut is made at. */
  segment: string;
  offsetBytes: number;
  /** Later segments that go whole into quarantine. */
  laterSegments: string[];
  /** Bytes moved in all. */
  bytes: number;
  /** Index of the first record lost (the one at the cut). */
  firstIndex: number;
  /** Highest index of an intact record found in the moved bytes (firstIndex - 1 if none). */
  lastIndex: number;
  /** Records with a valid CRC found in the moved bytes (they are lost to the journal). */
  intactRecords: number;
}

/** Counts the CRC-valid records in `data[from..]` at 8-byte boundaries; their highest index. */
function intactIn(data: Uint8Array, from: number): { count: number; maxIndex: number } {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let count = 0;
  let maxIndex = 0;
  for (let o = Math.ceil(from / 8) * 8; o + 48 <= data.length;) {
    const check = checkRecordAt(data, view, o, data.length);
    if (check.ok) {
      count++;
      maxIndex = Math.max(maxIndex, check.index);
      o += check.sizeBytes;
    } else o += 8;
  }
  return { count, maxIndex };
}

/** Plans the quarantine of segment `name` from `offsetBytes` on, and of every later segment. */
export function planQuarantine(
  storage: JournalStorage,
  name: string,
  offsetBytes: number,
): QuarantinePlan {
  const first = parseSegmentFileName(name)!;
  const laterSegments = storage.list()
    .map((n) => ({ n, first: parseSegmentFileName(n) }))
    .filter((s): s is { n: string; first: number } => s.first !== undefined && s.first > first)
    .sort((a, b) => a.first - b.first).map((s) => s.n);
  const cutAt = offsetBytes < SEGMENT_HEADER_BYTES ? 0 : offsetBytes;
  const data = readWholeFile(storage, name);
  // Records before the cut are kept: the first lost index follows them.
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let firstIndex = first;
  for (let o = SEGMENT_HEADER_BYTES; o < cutAt;) {
    const check = checkRecordAt(data, view, o, data.length);
    if (!check.ok) break;
    firstIndex = check.index + 1;
    o += check.sizeBytes;
  }
  let bytes = data.length - Math.min(cutAt, data.length);
  let { count, maxIndex } = intactIn(data, Math.max(cutAt, SEGMENT_HEADER_BYTES));
  for (const n of laterSegments) {
    const d = readWholeFile(storage, n);
    bytes += d.length;
    const found = intactIn(d, SEGMENT_HEADER_BYTES);
    count += found.count;
    maxIndex = Math.max(maxIndex, found.maxIndex);
  }
  return {
    segment: name,
    offsetBytes,
    laterSegments,
    bytes,
    firstIndex,
    lastIndex: Math.max(maxIndex, firstIndex - 1),
    intactRecords: count,
  };
}

/** One line for people: what a plan moves. */
export function describePlan(plan: QuarantinePlan, location: string): string {
  const range = plan.lastIndex >= plan.firstIndex
    ? `records ${plan.firstIndex} to ${plan.lastIndex}`
    : `from record ${plan.firstIndex} on`;
  const later = plan.laterSegments.length === 0
    ? ""
    : ` and ${plan.laterSegments.length} later segment(s) (${plan.laterSegments.join(", ")})`;
  return `${plan.bytes} bytes, ${range} (${plan.intactRecords} intact records), from ${location}/${plan.segment} offset ${plan.offsetBytes}${later}`;
}
