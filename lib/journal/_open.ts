/**
 * Opening the journal's segment files: every segment is read, its header and
 * records verified (see `_scan.ts`), the state rebuilt from the records after
 * the snapshot, and a torn tail of the newest segment cut off and reported
 * (see {@linkcode RecoveryReport}). The checkpoint check and the snapshot are
 * `_checkpoint.ts` and `_snapshot.ts`; `Journal` composes them.
 *
 * @module
 */

import type { JournalState } from "./_state.ts";
import type { RecoveryReport } from "./_scan.ts";
import { scanSegmentFile } from "./_segment_scan.ts";
import { SNAPSHOT_FILE } from "./_snapshot.ts";
import { scanHasValid, Segment } from "./_segment.ts";
import { JournalCorruptionError } from "./errors.ts";
import {
  decodeSegmentHeader,
  encodeSegmentHeader,
  parseSegmentFileName,
  RecordKind,
  SEGMENT_HEADER_BYTES,
  segmentFileName,
} from "./record.ts";
import { type JournalStorage, readFully, readWholeFile } from "./storage.ts";

/** What {@linkcode loadSegments} reads from and reports into. */
export interface LoadContext {
  storage: JournalStorage;
  readOnly: boolean;
  clock: () => number;
  /** The path of a file of the journal, for errors and reports. */
  path: (name: string) => string;
  /** Torn tails found are pushed here. */
  recovered: RecoveryReport[];
  /** The state the records after `baseIndex` are applied to. */
  state: JournalState;
  /** Index the snapshot covers (0 without one). */
  baseIndex: number;
}

/**
 * Reads and verifies every segment file in index order, pushing them onto
 * `segments`; cuts (unless read-only) and reports a torn tail. Returns the
 * index after the last record.
 *
 * @throws {JournalCorruptionError} for a missing segment, damage other than a torn final write, or segments that end before the snapshot
 */
export function loadSegments(ctx: LoadContext, segments: Segment[]): number {
  let next = ctx.baseIndex + 1;
  const names = ctx.storage.list()
    .map((name) => ({ name, first: parseSegmentFileName(name) }))
    .filter((s): s is { name: string; first: number } => s.first !== undefined)
    .sort((a, b) => a.first - b.first);
  if (names.length > 0 && names[0]!.first > next) {
    throw new JournalCorruptionError({
      file: ctx.path(names[0]!.name),
      offsetBytes: 0,
      reason: `segment starts at index ${names[0]!.first} but the journal continues from ${next}`,
    });
  }
  if (names.length > 0) next = names[0]!.first;
  for (let k = 0; k < names.length; k++) {
    const { name, first } = names[k]!;
    const isLast = k === names.length - 1;
    const file = ctx.path(name);
    if (first !== next) {
      throw new JournalCorruptionError({
        file,
        offsetBytes: 0,
        reason: `segment starts at index ${first}, expected ${next} (a segment is missing)`,
      });
    }
    const header = decodeSegmentHeader(readHeader(ctx.storage, name));
    if (typeof header === "string") {
      const data = readWholeFile(ctx.storage, name);
      const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
      const tornHeader = isLast && data.length <= SEGMENT_HEADER_BYTES ||
        isLast && !scanHasValid(data, view, first);
      if (!tornHeader) {
        throw new JournalCorruptionError({ file, offsetBytes: 0, reason: header });
      }
      ctx.recovered.push({
        file,
        offsetBytes: 0,
        droppedBytes: data.length,
        droppedRecords: 0,
        reason: header,
      });
      const createdAtMs = ctx.clock();
      if (!ctx.readOnly) {
        const w = ctx.storage.openWriter(name, { create: false });
        try {
          w.truncate(0);
          w.append(encodeSegmentHeader(first, createdAtMs));
          w.syncSync();
        } finally {
          w.close();
        }
      }
      segments.push(new Segment(name, first, createdAtMs));
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
    const result = scanInto(
      ctx.state,
      ctx.baseIndex,
      segment,
      ctx.storage,
      SEGMENT_HEADER_BYTES,
      isLast,
      file,
    );
    next = result.nextIndex;
    if (result.torn !== undefined) {
      ctx.recovered.push(result.torn);
      if (!ctx.readOnly) {
        const w = ctx.storage.openWriter(name, { create: false });
        try {
          w.truncate(result.endOffset);
          w.syncSync();
        } finally {
          w.close();
        }
      }
    }
    segments.push(segment);
  }
  if (names.length > 0 && next - 1 < ctx.baseIndex) {
    throw new JournalCorruptionError({
      file: ctx.path(names.at(-1)!.name),
      offsetBytes: 0,
      reason: `segments end at index ${
        next - 1
      } but ${SNAPSHOT_FILE} covers up to ${ctx.baseIndex}`,
    });
  }
  return next;
}

/** The first {@linkcode SEGMENT_HEADER_BYTES} of file `name` (fewer when it is shorter). */
function readHeader(storage: JournalStorage, name: string): Uint8Array {
  const reader = storage.openReader(name);
  try {
    const buf = new Uint8Array(SEGMENT_HEADER_BYTES);
    return buf.subarray(0, readFully(reader, 0, buf));
  } finally {
    reader.close();
  }
}

/** Stands in for the payload of records whose payload the state does not read. */
const NO_PAYLOAD = new Uint8Array(0);

/** True for the kinds whose payload {@linkcode JournalState.apply} decodes. */
function carriesState(kind: number): boolean {
  return kind === RecordKind.SessionDefinition || kind === RecordKind.SequenceChange ||
    kind === RecordKind.EpochChange || kind === RecordKind.AppCursor;
}

/**
 * Scans the records of segment file `segment.name` from offset `start` into
 * `segment` (offsets, timestamps, newest Outbound per session) and applies
 * those after `baseIndex` to `state`.
 *
 * @throws {JournalCorruptionError} for damage other than a torn tail, or a record that cannot be applied
 */
export function scanInto(
  state: JournalState,
  baseIndex: number,
  segment: Segment,
  storage: JournalStorage,
  start: number,
  isLast: boolean,
  file: string,
): { nextIndex: number; endOffset: number; torn?: RecoveryReport } {
  const base = baseIndex;
  return scanSegmentFile(
    storage,
    segment.name,
    start,
    segment.firstIndex + segment.count,
    file,
    isLast,
    (buf, view, at, offset, sizeBytes, index) => {
      segment.push(offset, sizeBytes);
      segment.lastTimestampMs = view.getUint32(at + 16, true) +
        view.getUint32(at + 20, true) * 0x1_0000_0000;
      const kind = buf[at + 40]!;
      const sessionId = view.getUint32(at + 36, true);
      if (kind === RecordKind.Outbound) segment.outboundMax.set(sessionId, index);
      if (index <= base) return;
      const seqNum = view.getUint32(at + 24, true) +
        view.getUint32(at + 28, true) * 0x1_0000_0000;
      try {
        state.apply(
          kind,
          sessionId,
          seqNum,
          index,
          view.getUint32(at + 32, true),
          carriesState(kind)
            ? buf.subarray(at + 48, at + 48 + view.getUint32(at + 4, true))
            : NO_PAYLOAD,
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

/**
 * For a read-only journal: scans the records another process appended after
 * `lastIndex`, at the end of the newest segment and in segments created since,
 * pushing new segments onto `segments`. `advance` is told the new last index
 * after each segment.
 */
export function scanAppended(
  ctx: LoadContext,
  segments: Segment[],
  lastIndex: number,
  advance: (lastIndex: number) => void,
): void {
  const last = segments.at(-1);
  if (last !== undefined) {
    if (fileSize(ctx.storage, last.name) > last.sizeBytes) {
      const r = scanInto(
        ctx.state,
        ctx.baseIndex,
        last,
        ctx.storage,
        last.sizeBytes,
        true,
        ctx.path(last.name),
      );
      lastIndex = r.nextIndex - 1;
      advance(lastIndex);
    }
  }
  const names = ctx.storage.list().map(parseSegmentFileName)
    .filter((n): n is number => n !== undefined && n === lastIndex + 1).sort((a, b) => a - b);
  for (const first of names) {
    const name = segmentFileName(first);
    const header = decodeSegmentHeader(readHeader(ctx.storage, name));
    if (typeof header === "string") break;
    const seg = new Segment(name, first, header.createdAtMs);
    const r = scanInto(
      ctx.state,
      ctx.baseIndex,
      seg,
      ctx.storage,
      SEGMENT_HEADER_BYTES,
      true,
      ctx.path(name),
    );
    segments.push(seg);
    lastIndex = r.nextIndex - 1;
    advance(lastIndex);
  }
}

/** The size of file `name` in bytes. */
function fileSize(storage: JournalStorage, name: string): number {
  const reader = storage.openReader(name);
  try {
    return reader.size();
  } finally {
    reader.close();
  }
}
