/**
 * The file steps of {@linkcode Journal.truncateAfter}: first the suffix is
 * copied, durably, to a quarantine file in segment format; then the segments
 * are cut newest first, so a crash in between leaves a consistent prefix.
 * `Journal` then rebuilds its state from the files.
 *
 * @module
 */

import type { Segment } from "./_segment.ts";
import { encodeSegmentHeader, parseSegmentFileName, SEGMENT_HEADER_BYTES } from "./record.ts";
import { type JournalStorage, readFully, type StorageReader } from "./storage.ts";

/**
 * Checks that `quarantinePath` can receive a truncated suffix: not named like
 * a segment, and not an existing file (one is never overwritten).
 *
 * @throws {RangeError} otherwise
 */
export function checkQuarantinePath(storage: JournalStorage, quarantinePath: string): void {
  if (
    parseSegmentFileName(quarantinePath.slice(quarantinePath.lastIndexOf("/") + 1)) !== undefined
  ) {
    throw new RangeError(
      `Cannot quarantine to ${quarantinePath}: the name is a segment file name`,
    );
  }
  if (storage.exists(quarantinePath)) {
    throw new RangeError(`Cannot quarantine to ${quarantinePath}: the file exists`);
  }
}

/** Copies every record after `index` to the new file `quarantinePath`, synced with its directory. */
export function copySuffixToQuarantine(
  storage: JournalStorage,
  segments: readonly Segment[],
  index: number,
  quarantinePath: string,
  clock: () => number,
  readerOf: (segment: Segment) => StorageReader,
): void {
  const q = storage.openWriter(quarantinePath, { create: true });
  try {
    q.append(encodeSegmentHeader(index + 1, clock()));
    for (const segment of segments) {
      if (segment.lastIndex <= index) continue;
      const from = Math.max(index + 1, segment.firstIndex);
      const start = segment.offsets[from - segment.firstIndex]!;
      const buf = new Uint8Array(segment.sizeBytes - start);
      readFully(readerOf(segment), start, buf);
      q.append(buf);
    }
    q.syncSync();
  } finally {
    q.close();
  }
  storage.syncDirectory();
}

/**
 * Removes every record after `index` from the files, newest segment first
 * (whole segments are removed, except the first, which keeps its header);
 * closes the segments' readers. Synced with the directory.
 */
export function cutSegmentsAfter(
  storage: JournalStorage,
  segments: readonly Segment[],
  index: number,
): void {
  for (let k = segments.length - 1; k >= 0; k--) {
    const segment = segments[k]!;
    segment.reader?.close();
    segment.reader = undefined;
    if (segment.firstIndex > index && k > 0) {
      storage.remove(segment.name);
    } else if (segment.lastIndex > index) {
      const w = storage.openWriter(segment.name, { create: false });
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
  storage.syncDirectory();
}
