/**
 * The on-disk format of the journal: segment files and the records in them.
 *
 * ## Files
 *
 * A journal is a directory of segment files. Each is named after the index of
 * its first record, zero-padded to 20 digits, with the extension `.seg`
 * (`00000000000000000001.seg`). Segments hold consecutive indices: the first
 * index of a segment is one more than the last index of the one before it.
 * Only the newest segment (the active one) is ever appended to.
 *
 * ## Segment header (40 bytes, little-endian)
 *
 * | offset | size | field |
 * | --- | --- | --- |
 * | 0 | 8 | magic, ASCII `TNDMJRNL` |
 * | 8 | 2 | format version, currently 1 |
 * | 10 | 2 | segment header size in bytes (40) |
 * | 12 | 2 | record header size in bytes (48) |
 * | 14 | 2 | reserved, zero |
 * | 16 | 8 | index of the first record (the same as the file name) |
 * | 24 | 8 | creation time, milliseconds since the Unix epoch |
 * | 32 | 4 | reserved, zero |
 * | 36 | 4 | CRC-32C of bytes 0–35 |
 *
 * ## Records
 *
 * Records follow the header back to back. Every record starts at an offset
 * that is a multiple of 8 and is padded with zero bytes to the next multiple
 * of 8 (the padding is not checksummed). All integers are little-endian;
 * 64-bit fields hold integers up to 2^53 − 1 (JavaScript's safe range).
 *
 * | offset | size | field |
 * | --- | --- | --- |
 * | 0 | 4 | CRC-32C of bytes 4 .. 48 + payload length (header after the CRC, then payload) |
 * | 4 | 4 | payload length in bytes |
 * | 8 | 8 | index (1, 2, 3, … across the whole journal) |
 * | 16 | 8 | timestamp, milliseconds since the Unix epoch |
 * | 24 | 8 | sequence number (MsgSeqNum for messages; 0 when not applicable) |
 * | 32 | 4 | epoch (incremented by every promotion) |
 * | 36 | 4 | session id (0 for records about no session) |
 * | 40 | 1 | kind ({@linkcode RecordKind}) |
 * | 41 | 7 | reserved, zero |
 * | 48 | n | payload |
 *
 * A record whose CRC does not match, whose length runs past the end of the
 * file, or whose index is not the expected next one is bad. Recovery decides
 * whether a bad record is a torn tail or corruption (see `_scan.ts`).
 *
 * @module
 */

import { crc32c } from "./crc32c.ts";

/** The kinds of journal records. Payload encodings are in `payloads.ts`. */
export const RecordKind = {
  /** A FIX message sent to the counterparty (payload: the message bytes). */
  Outbound: 1,
  /** A FIX message received from the counterparty (payload: the message bytes). */
  Inbound: 2,
  /** Binds a session key to the record's session id (payload: the key, UTF-8). */
  SessionDefinition: 3,
  /** Sets a session's next sender and target sequence numbers (payload: `encodeSequenceChange`). */
  SequenceChange: 4,
  /** Resets a session's sequence numbers to 1 and forgets its resend history (payload: `encodeSessionReset`). */
  SessionReset: 5,
  /** Starts a new epoch after a promotion; the record's epoch is the new one (payload: `encodeEpochChange`). */
  EpochChange: 6,
  /** Records how far an application has processed the journal (payload: `encodeAppCursor`). */
  AppCursor: 7,
  /** An operator action or other note kept for audit (payload: `encodeAudit`). */
  Audit: 8,
} as const;

/** One of the {@linkcode RecordKind} values. */
export type RecordKind = typeof RecordKind[keyof typeof RecordKind];

const KIND_NAMES: ReadonlyMap<number, string> = new Map(
  Object.entries(RecordKind).map(([name, value]) => [value, name]),
);

/** The name of a record kind (`"Outbound"`), or undefined for an unknown number. */
export function recordKindName(kind: number): string | undefined {
  return KIND_NAMES.get(kind);
}

/** Parses a kind name (case-insensitive) or number. */
export function parseRecordKind(text: string): RecordKind | undefined {
  const n = Number(text);
  if (Number.isInteger(n) && KIND_NAMES.has(n)) return n as RecordKind;
  for (const [value, name] of KIND_NAMES) {
    if (name.toLowerCase() === text.toLowerCase()) return value as RecordKind;
  }
  return undefined;
}

/** True for a known record kind number. */
export function isRecordKind(kind: number): kind is RecordKind {
  return kind >= RecordKind.Outbound && kind <= RecordKind.Audit && (kind | 0) === kind;
}

/** What the caller supplies to append a record. */
export interface RecordInput {
  kind: RecordKind;
  /** 0 for records about no session. */
  sessionId: number;
  /** MsgSeqNum for messages, else 0. */
  seqNum: number;
  timestampMs: number;
  payload: Uint8Array;
}

/** A record as stored: the input plus the index and epoch the journal gave it. */
export interface JournalRecord extends RecordInput {
  index: number;
  epoch: number;
}

/** Segment file magic, `TNDMJRNL`. */
export const SEGMENT_MAGIC: Uint8Array = new TextEncoder().encode("TNDMJRNL");
/** Format version written by this code. */
export const FORMAT_VERSION = 1;
/** Size of the segment header in bytes. */
export const SEGMENT_HEADER_BYTES = 40;
/** Size of the record header in bytes. */
export const RECORD_HEADER_BYTES = 48;
/** Records start on multiples of this many bytes. */
export const RECORD_ALIGNMENT_BYTES = 8;
/** Largest payload the format can hold (1 GiB); the journal's own limit is lower. */
export const FORMAT_MAX_PAYLOAD_BYTES = 1 << 30;

/** Size a record with a `payloadBytes`-long payload takes on disk, padding included. */
export function recordSizeBytes(payloadBytes: number): number {
  return (RECORD_HEADER_BYTES + payloadBytes + 7) & ~7;
}

const TWO_32 = 0x1_0000_0000;

/** Writes a non-negative safe integer as u64 little-endian. */
export function setU64(view: DataView, at: number, value: number): void {
  view.setUint32(at, value >>> 0, true);
  view.setUint32(at + 4, Math.floor(value / TWO_32), true);
}

/** Reads a u64 little-endian; returns -1 when it exceeds 2^53 − 1. */
export function getU64(view: DataView, at: number): number {
  const hi = view.getUint32(at + 4, true);
  if (hi > 0x1f_ffff) return -1;
  return hi * TWO_32 + view.getUint32(at, true);
}

/**
 * Encodes a record at `offset` of `buf` (which must have room for
 * {@linkcode recordSizeBytes}); `view` is a DataView over all of `buf`.
 * Returns the offset after its padding. Positional arguments keep the append
 * path free of allocations.
 */
export function encodeRecordFields(
  buf: Uint8Array,
  view: DataView,
  offset: number,
  index: number,
  epoch: number,
  kind: number,
  sessionId: number,
  seqNum: number,
  timestampMs: number,
  payload: Uint8Array,
): number {
  const n = payload.length;
  view.setUint32(offset + 4, n, true);
  view.setUint32(offset + 8, index >>> 0, true);
  view.setUint32(offset + 12, (index / TWO_32) >>> 0, true);
  view.setUint32(offset + 16, timestampMs >>> 0, true);
  view.setUint32(offset + 20, (timestampMs / TWO_32) >>> 0, true);
  view.setUint32(offset + 24, seqNum >>> 0, true);
  view.setUint32(offset + 28, (seqNum / TWO_32) >>> 0, true);
  view.setUint32(offset + 32, epoch, true);
  view.setUint32(offset + 36, sessionId, true);
  view.setUint32(offset + 40, kind, true); // kind + 3 zero bytes
  view.setUint32(offset + 44, 0, true);
  buf.set(payload, offset + RECORD_HEADER_BYTES);
  const end = offset + RECORD_HEADER_BYTES + n;
  const padded = offset + ((RECORD_HEADER_BYTES + n + 7) & ~7);
  for (let i = end; i < padded; i++) buf[i] = 0;
  view.setUint32(offset, crc32c(buf, 0, offset + 4, end), true);
  return padded;
}

/**
 * Encodes `record` at `offset` of `buf` (which must have room for
 * {@linkcode recordSizeBytes}); returns the offset after its padding.
 */
export function encodeRecordInto(buf: Uint8Array, offset: number, record: JournalRecord): number {
  return encodeRecordFields(
    buf,
    new DataView(buf.buffer, buf.byteOffset, buf.byteLength),
    offset,
    record.index,
    record.epoch,
    record.kind,
    record.sessionId,
    record.seqNum,
    record.timestampMs,
    record.payload,
  );
}

/** Encodes one record into a new buffer (padding included). */
export function encodeRecord(record: JournalRecord): Uint8Array {
  const buf = new Uint8Array(recordSizeBytes(record.payload.length));
  encodeRecordInto(buf, 0, record);
  return buf;
}

/**
 * Decodes one record in the on-disk layout (e.g. from {@linkcode encodeRecord},
 * sent over a replication link), verifying its CRC. The payload is copied.
 *
 * @throws {SyntaxError} when the bytes are not exactly one valid record
 */
export function decodeRecord(bytes: Uint8Array): JournalRecord {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const check = checkRecordAt(bytes, view, 0, bytes.length);
  if (!check.ok) throw new SyntaxError(`Cannot decode journal record: ${check.fault}`);
  if (check.sizeBytes !== bytes.length) {
    throw new SyntaxError(
      `Cannot decode journal record: ${bytes.length - check.sizeBytes} bytes after the record`,
    );
  }
  return decodeRecordAt(bytes, view, 0, true);
}

/** Why a record could not be decoded. */
export type RecordFault =
  | "truncated-header"
  | "truncated-payload"
  | "bad-length"
  | "bad-crc"
  | "bad-field";

/** Result of {@linkcode checkRecordAt}. */
export type RecordCheck =
  | { ok: true; sizeBytes: number; index: number; expectedCrc: number; actualCrc: number }
  | { ok: false; fault: RecordFault; expectedCrc?: number; actualCrc?: number };

/**
 * Checks the record at `offset` of `buf` (which ends at `end`): length within
 * bounds, CRC, index representable, known kind, reserved bytes zero.
 */
export function checkRecordAt(
  buf: Uint8Array,
  view: DataView,
  offset: number,
  end: number,
): RecordCheck {
  if (end - offset < RECORD_HEADER_BYTES) return { ok: false, fault: "truncated-header" };
  const n = view.getUint32(offset + 4, true);
  if (n > FORMAT_MAX_PAYLOAD_BYTES) return { ok: false, fault: "bad-length" };
  const payloadEnd = offset + RECORD_HEADER_BYTES + n;
  // The padding is part of the write; a record without it is torn.
  if (offset + recordSizeBytes(n) > end) return { ok: false, fault: "truncated-payload" };
  const stored = view.getUint32(offset, true);
  const actual = crc32c(buf, 0, offset + 4, payloadEnd);
  if (stored !== actual) {
    return { ok: false, fault: "bad-crc", expectedCrc: stored, actualCrc: actual };
  }
  const index = getU64(view, offset + 8);
  if (
    index < 1 || getU64(view, offset + 16) < 0 || getU64(view, offset + 24) < 0 ||
    !isRecordKind(buf[offset + 40]!) || view.getUint32(offset + 40, true) >>> 8 !== 0 ||
    view.getUint32(offset + 44, true) !== 0
  ) {
    return { ok: false, fault: "bad-field", expectedCrc: stored, actualCrc: actual };
  }
  return {
    ok: true,
    sizeBytes: recordSizeBytes(n),
    index,
    expectedCrc: stored,
    actualCrc: actual,
  };
}

/** {@linkcode validRecordSizeAt}: the record runs past `end` (a longer buffer may hold it). */
export const RECORD_INCOMPLETE = -1;
/** {@linkcode validRecordSizeAt}: the record is bad or not the expected one ({@linkcode checkRecordAt} says why). */
export const RECORD_NOT_VALID = -2;

/**
 * The fast path of the scan at open: the size of the record at `offset` when
 * it passes every check of {@linkcode checkRecordAt} and has index
 * `expectedIndex`, else {@linkcode RECORD_INCOMPLETE} or
 * {@linkcode RECORD_NOT_VALID}. Allocates nothing; a caller that gets a
 * negative answer asks {@linkcode checkRecordAt} for the details.
 */
export function validRecordSizeAt(
  buf: Uint8Array,
  view: DataView,
  offset: number,
  end: number,
  expectedIndex: number,
): number {
  if (end - offset < RECORD_HEADER_BYTES) return RECORD_INCOMPLETE;
  const n = view.getUint32(offset + 4, true);
  if (n > FORMAT_MAX_PAYLOAD_BYTES) return RECORD_NOT_VALID;
  const size = (RECORD_HEADER_BYTES + n + 7) & ~7;
  if (offset + size > end) return RECORD_INCOMPLETE;
  if (
    view.getUint32(offset + 8, true) !== expectedIndex >>> 0 ||
    view.getUint32(offset + 12, true) !== Math.floor(expectedIndex / TWO_32) ||
    view.getUint32(offset + 20, true) > 0x1f_ffff || // timestamp within 2^53 - 1
    view.getUint32(offset + 28, true) > 0x1f_ffff || // seqNum within 2^53 - 1
    !isRecordKind(buf[offset + 40]!) || view.getUint32(offset + 40, true) >>> 8 !== 0 ||
    view.getUint32(offset + 44, true) !== 0
  ) {
    return RECORD_NOT_VALID;
  }
  const stored = view.getUint32(offset, true);
  if (crc32c(buf, 0, offset + 4, offset + RECORD_HEADER_BYTES + n) !== stored) {
    return RECORD_NOT_VALID;
  }
  return size;
}

/** Decodes the (already checked) record at `offset`; the payload is copied when `copy`. */
export function decodeRecordAt(
  buf: Uint8Array,
  view: DataView,
  offset: number,
  copy: boolean,
): JournalRecord {
  const n = view.getUint32(offset + 4, true);
  const start = offset + RECORD_HEADER_BYTES;
  return {
    index: getU64(view, offset + 8),
    epoch: view.getUint32(offset + 32, true),
    kind: buf[offset + 40]! as RecordKind,
    sessionId: view.getUint32(offset + 36, true),
    seqNum: getU64(view, offset + 24),
    timestampMs: getU64(view, offset + 16),
    payload: copy ? buf.slice(start, start + n) : buf.subarray(start, start + n),
  };
}

/** A decoded segment header. */
export interface SegmentHeader {
  version: number;
  firstIndex: number;
  createdAtMs: number;
}

/** Encodes a segment header. */
export function encodeSegmentHeader(firstIndex: number, createdAtMs: number): Uint8Array {
  const buf = new Uint8Array(SEGMENT_HEADER_BYTES);
  const view = new DataView(buf.buffer);
  buf.set(SEGMENT_MAGIC, 0);
  view.setUint16(8, FORMAT_VERSION, true);
  view.setUint16(10, SEGMENT_HEADER_BYTES, true);
  view.setUint16(12, RECORD_HEADER_BYTES, true);
  setU64(view, 16, firstIndex);
  setU64(view, 24, Math.max(0, Math.floor(createdAtMs)));
  view.setUint32(36, crc32c(buf, 0, 0, 36), true);
  return buf;
}

/** Decodes a segment header; returns a reason string when it is not valid. */
export function decodeSegmentHeader(buf: Uint8Array): SegmentHeader | string {
  if (buf.length < SEGMENT_HEADER_BYTES) return "segment header is incomplete";
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  for (let i = 0; i < SEGMENT_MAGIC.length; i++) {
    if (buf[i] !== SEGMENT_MAGIC[i]) return "segment magic is wrong";
  }
  const stored = view.getUint32(36, true);
  const actual = crc32c(buf, 0, 0, 36);
  if (stored !== actual) {
    return `segment header CRC mismatch (expected ${hex(stored)}, actual ${hex(actual)})`;
  }
  const version = view.getUint16(8, true);
  if (version !== FORMAT_VERSION) return `segment format version ${version} is not supported`;
  if (
    view.getUint16(10, true) !== SEGMENT_HEADER_BYTES ||
    view.getUint16(12, true) !== RECORD_HEADER_BYTES
  ) {
    return "segment header sizes are not supported";
  }
  const firstIndex = getU64(view, 16);
  const createdAtMs = getU64(view, 24);
  if (firstIndex < 1 || createdAtMs < 0) return "segment header fields are out of range";
  return { version, firstIndex, createdAtMs };
}

/** Formats a CRC as `0x1234abcd`. */
export function hex(crc: number): string {
  return `0x${crc.toString(16).padStart(8, "0")}`;
}

const SEGMENT_NAME = /^(\d{20})\.seg$/;

/** The file name of the segment whose first record is `firstIndex`. */
export function segmentFileName(firstIndex: number): string {
  return `${String(firstIndex).padStart(20, "0")}.seg`;
}

/** The first index named by a segment file name, or undefined if `name` is not a segment. */
export function parseSegmentFileName(name: string): number | undefined {
  const m = SEGMENT_NAME.exec(name);
  if (m === null) return undefined;
  const n = Number(m[1]);
  return Number.isSafeInteger(n) && n >= 1 ? n : undefined;
}
