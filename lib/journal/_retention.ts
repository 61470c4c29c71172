/**
 * Retention of old segments: which whole segments the retention options let
 * go (never the active one, never one holding Outbound records a session may
 * still resend), and the base state advanced through the records removed, so
 * the snapshot can stand in for them.
 *
 * @module
 */

import type { JournalState } from "./_state.ts";
import type { Segment } from "./_segment.ts";
import type { RetentionOptions } from "./journal_options.ts";
import { decodeRecordAt } from "./record.ts";
import { type JournalStorage, readWholeFile } from "./storage.ts";

/**
 * How many of the oldest `segments` retention removes at `nowMs`: by age or
 * total size, stopping at the active segment and at the first segment holding
 * an Outbound record newer than its session's last reset in `state`.
 */
export function removableSegments(
  segments: readonly Segment[],
  retention: RetentionOptions,
  nowMs: number,
  state: JournalState,
): number {
  let total = 0;
  for (const s of segments) total += s.sizeBytes;
  let count = 0;
  for (let k = 0; k < segments.length - 1; k++) {
    const segment = segments[k]!;
    const byAge = retention.maxAgeMs !== undefined && segment.count > 0 &&
      segment.lastTimestampMs <= nowMs - retention.maxAgeMs;
    const bySize = retention.maxTotalBytes !== undefined && total > retention.maxTotalBytes;
    if (!byAge && !bySize) break;
    let needed = false;
    for (const [sessionId, maxIndex] of segment.outboundMax) {
      if (maxIndex > (state.byId[sessionId]?.lastResetIndex ?? 0)) needed = true;
    }
    if (needed) break;
    total -= segment.sizeBytes;
    count++;
  }
  return count;
}

/** Applies the records of `removed` after `baseIndex` to `baseState`, reading them from the files. */
export function advanceBaseState(
  storage: JournalStorage,
  removed: readonly Segment[],
  baseState: JournalState,
  baseIndex: number,
): void {
  for (const segment of removed) {
    const data = readWholeFile(storage, segment.name);
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    for (let i = 0; i < segment.count; i++) {
      const o = segment.offsets[i]!;
      const record = decodeRecordAt(data, view, o, false);
      if (record.index <= baseIndex) continue;
      baseState.apply(
        record.kind,
        record.sessionId,
        record.seqNum,
        record.index,
        record.epoch,
        record.payload,
      );
    }
  }
}
