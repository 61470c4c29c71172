/**
 * Payload encodings of the journal's non-message records. Message records
 * (Outbound, Inbound) carry the FIX message bytes as they went over the wire.
 *
 * All integers are little-endian; 64-bit fields hold integers up to 2^53 − 1.
 * Text is UTF-8 and runs to the end of the payload.
 *
 * | kind | payload |
 * | --- | --- |
 * | SessionDefinition | session key, e.g. `FIX.4.4:SENDER->TARGET` |
 * | SequenceChange | u64 next sender seq, u64 next target seq, reason text |
 * | SessionReset | reason text |
 * | EpochChange | u32 new epoch (equal to the record's epoch), reason text |
 * | AppCursor | u64 last processed index, application name |
 * | Audit | text (free form; JSON by convention) |
 *
 * A LostOutbound note (outbound sequence numbers the counterparty saw and this
 * node never stored, found after a lossy failover) is an Audit record whose
 * JSON has `"event": "lost-outbound"` (see {@linkcode encodeLostOutbound}): no
 * new record kind, so journals stay readable by every release. A VoidedOutbound
 * note (outbound sequence numbers a new leader voided: resends skip them) is
 * one too, with `"event": "voided-outbound"` (see {@linkcode encodeVoidedOutbound}).
 *
 * @module
 */

import { setU64 } from "./record.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

/** A payload that does not follow its documented layout. */
export class JournalPayloadError extends SyntaxError {
  /** The record kind whose payload failed. */
  readonly kindName: string;
  constructor(kindName: string, message: string) {
    super(`Cannot decode ${kindName} payload: ${message}`);
    this.name = "JournalPayloadError";
    this.kindName = kindName;
  }
}

/**
 * Texts up to this many bytes are tried as ASCII in JavaScript first: the
 * names and reasons of every AppCursor record (two per message an
 * application answers) are short, and the TextEncoder/TextDecoder call costs
 * more than the loop.
 */
const ASCII_FAST_PATH_MAX_BYTES = 128;

function text(kindName: string, bytes: Uint8Array): string {
  if (bytes.length <= ASCII_FAST_PATH_MAX_BYTES) {
    let ascii = "";
    let i = 0;
    for (; i < bytes.length; i++) {
      const b = bytes[i]!;
      if (b >= 0x80) break;
      ascii += String.fromCharCode(b);
    }
    if (i === bytes.length) return ascii;
  }
  try {
    return decoder.decode(bytes);
  } catch {
    throw new JournalPayloadError(kindName, "text is not valid UTF-8");
  }
}

/**
 * `count`-byte little-endian integers (4 or 8 bytes each), then `tail` as
 * UTF-8, in one buffer; short ASCII tails are copied without the TextEncoder
 * call (see {@linkcode ASCII_FAST_PATH_MAX_BYTES}).
 */
function withNumbers(count: number, values: number[], tail: string): Uint8Array {
  const head = count * values.length;
  let buf: Uint8Array | undefined;
  if (tail.length <= ASCII_FAST_PATH_MAX_BYTES) {
    buf = new Uint8Array(head + tail.length);
    for (let i = 0; i < tail.length; i++) {
      const c = tail.charCodeAt(i);
      if (c >= 0x80) {
        buf = undefined;
        break;
      }
      buf[head + i] = c;
    }
  }
  if (buf === undefined) {
    const t = encoder.encode(tail);
    buf = new Uint8Array(head + t.length);
    buf.set(t, head);
  }
  let at = 0;
  for (const v of values) {
    putNumber(buf, at, count, v);
    at += count;
  }
  return buf;
}

/**
 * Reads the 8-byte little-endian integer at `at` (the inverse of {@linkcode putNumber}), or -1
 * when it is beyond the safe integers. Read from the bytes: payloads are decoded on every
 * append, and a DataView per call is an allocation.
 */
function getNumber(buf: Uint8Array, at: number): number {
  const lo = (buf[at]! | buf[at + 1]! << 8 | buf[at + 2]! << 16 | buf[at + 3]! << 24) >>> 0;
  const hi = (buf[at + 4]! | buf[at + 5]! << 8 | buf[at + 6]! << 16 | buf[at + 7]! << 24) >>> 0;
  return hi > 0x1f_ffff ? -1 : hi * 0x1_0000_0000 + lo;
}

/** Writes `v` at `at` as a `count`-byte (4 or 8) little-endian integer. */
function putNumber(buf: Uint8Array, at: number, count: number, v: number): void {
  if (!Number.isSafeInteger(v) || v < 0) {
    throw new RangeError(`Cannot encode payload: ${v} is not a non-negative safe integer`);
  }
  const lo = v >>> 0;
  buf[at] = lo;
  buf[at + 1] = lo >>> 8;
  buf[at + 2] = lo >>> 16;
  buf[at + 3] = lo >>> 24;
  if (count === 8) {
    const hi = Math.floor(v / 0x1_0000_0000);
    buf[at + 4] = hi;
    buf[at + 5] = hi >>> 8;
    buf[at + 6] = hi >>> 16;
    buf[at + 7] = hi >>> 24;
  }
}

/** Encodes a SessionDefinition payload (the session key). */
export function encodeSessionDefinition(sessionKey: string): Uint8Array {
  return encoder.encode(sessionKey);
}

/** Decodes a SessionDefinition payload. */
export function decodeSessionDefinition(payload: Uint8Array): string {
  const key = text("SessionDefinition", payload);
  if (key.length === 0) throw new JournalPayloadError("SessionDefinition", "session key is empty");
  return key;
}

/** The content of a SequenceChange record. */
export interface SequenceChange {
  nextSenderSeqNum: number;
  nextTargetSeqNum: number;
  reason: string;
}

/** Encodes a SequenceChange payload. */
export function encodeSequenceChange(change: SequenceChange): Uint8Array {
  const buf = new Uint8Array(16 + encoder.encode(change.reason).length);
  const view = new DataView(buf.buffer);
  for (const v of [change.nextSenderSeqNum, change.nextTargetSeqNum]) {
    if (!Number.isSafeInteger(v) || v < 1) {
      throw new RangeError(`Cannot encode SequenceChange: ${v} is not a sequence number`);
    }
  }
  setU64(view, 0, change.nextSenderSeqNum);
  setU64(view, 8, change.nextTargetSeqNum);
  buf.set(encoder.encode(change.reason), 16);
  return buf;
}

/** Decodes a SequenceChange payload. */
export function decodeSequenceChange(payload: Uint8Array): SequenceChange {
  if (payload.length < 16) {
    throw new JournalPayloadError("SequenceChange", `payload is ${payload.length} bytes, need 16`);
  }
  const nextSenderSeqNum = getNumber(payload, 0);
  const nextTargetSeqNum = getNumber(payload, 8);
  if (nextSenderSeqNum < 1 || nextTargetSeqNum < 1) {
    throw new JournalPayloadError("SequenceChange", "sequence number out of range");
  }
  return {
    nextSenderSeqNum,
    nextTargetSeqNum,
    reason: text("SequenceChange", payload.subarray(16)),
  };
}

/** Encodes a SessionReset payload (the reason). */
export function encodeSessionReset(reason: string): Uint8Array {
  return encoder.encode(reason);
}

/** Decodes a SessionReset payload (the reason). */
export function decodeSessionReset(payload: Uint8Array): string {
  return text("SessionReset", payload);
}

/** The content of an EpochChange record. */
export interface EpochChange {
  epoch: number;
  reason: string;
}

/** Encodes an EpochChange payload. */
export function encodeEpochChange(change: EpochChange): Uint8Array {
  if (!Number.isInteger(change.epoch) || change.epoch < 0 || change.epoch > 0xffff_ffff) {
    throw new RangeError(`Cannot encode EpochChange: ${change.epoch} is not a u32 epoch`);
  }
  return withNumbers(4, [change.epoch], change.reason);
}

/** Decodes an EpochChange payload. */
export function decodeEpochChange(payload: Uint8Array): EpochChange {
  if (payload.length < 4) {
    throw new JournalPayloadError("EpochChange", `payload is ${payload.length} bytes, need 4`);
  }
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  return { epoch: view.getUint32(0, true), reason: text("EpochChange", payload.subarray(4)) };
}

/** The content of an AppCursor record. */
export interface AppCursor {
  /** The application (consumer) name. */
  name: string;
  /** The last journal index it has processed. */
  index: number;
}

/** Encodes an AppCursor payload. */
export function encodeAppCursor(cursor: AppCursor): Uint8Array {
  if (cursor.name.length === 0) throw new RangeError("Cannot encode AppCursor: name is empty");
  return withNumbers(8, [cursor.index], cursor.name);
}

/**
 * Sets the index of an AppCursor payload made by {@linkcode encodeAppCursor},
 * in place: a journal reuses one payload per cursor name (two cursor records
 * per message an application answers).
 *
 * @throws {RangeError} when `index` is not a non-negative safe integer
 */
export function setAppCursorIndex(payload: Uint8Array, index: number): void {
  putNumber(payload, 0, 8, index);
}

/**
 * Decodes an AppCursor payload. Every cursor record is decoded when it is checked and again when
 * it is applied (on a follower too), two per message an application answers: the name comes from
 * {@linkcode cursorName}, with no subarray.
 */
export function decodeAppCursor(payload: Uint8Array): AppCursor {
  if (payload.length < 9) {
    throw new JournalPayloadError("AppCursor", `payload is ${payload.length} bytes, need 9`);
  }
  const index = getNumber(payload, 0);
  if (index < 0) throw new JournalPayloadError("AppCursor", "index out of range");
  return { index, name: cursorName(payload, 8) };
}

/**
 * AppCursor names decoded lately, with their bytes. An application's cursor
 * records repeat two names per session, and each record is decoded when it is
 * checked and again when it is applied (on a follower too): comparing a few
 * dozen bytes costs less than making the string again.
 */
const recentCursorNames: { readonly bytes: Uint8Array; readonly name: string }[] = [];
const RECENT_CURSOR_NAMES = 16;
let nextRecentCursorName = 0;

/** The name in `payload` from `start` on. */
function cursorName(payload: Uint8Array, start: number): string {
  const length = payload.length - start;
  outer: for (let r = 0; r < recentCursorNames.length; r++) {
    const known = recentCursorNames[r]!.bytes;
    if (known.length !== length) continue;
    for (let i = 0; i < length; i++) if (known[i] !== payload[start + i]) continue outer;
    return recentCursorNames[r]!.name;
  }
  const bytes = payload.slice(start);
  const name = text("AppCursor", bytes);
  const entry = { bytes, name };
  if (recentCursorNames.length < RECENT_CURSOR_NAMES) recentCursorNames.push(entry);
  else {
    recentCursorNames[nextRecentCursorName] = entry;
    nextRecentCursorName = (nextRecentCursorName + 1) % RECENT_CURSOR_NAMES;
  }
  return name;
}

/** Encodes an Audit payload. */
export function encodeAudit(textValue: string): Uint8Array {
  return encoder.encode(textValue);
}

/** Decodes an Audit payload. */
export function decodeAudit(payload: Uint8Array): string {
  return text("Audit", payload);
}

/** A LostOutbound note: outbound MsgSeqNums the counterparty has seen that this node lacks. */
export interface LostOutbound {
  /** The session key, e.g. `FIX.4.4:EXEC->CLIENT`. */
  session: string;
  /** First lost MsgSeqNum. */
  fromSeqNum: number;
  /** Last lost MsgSeqNum. */
  toSeqNum: number;
  /** How it was found: `logon-next-expected` (789 on a Logon) or `logout-text`. */
  source: string;
  /** The policy followed: `hold` or `continue`. */
  policy: string;
}

const LOST_OUTBOUND_EVENT = "lost-outbound";

/** Encodes a LostOutbound note as an Audit payload (JSON with `"event": "lost-outbound"`). */
export function encodeLostOutbound(lost: LostOutbound): Uint8Array {
  for (const v of [lost.fromSeqNum, lost.toSeqNum]) {
    if (!Number.isSafeInteger(v) || v < 1) {
      throw new RangeError(`Cannot encode LostOutbound: ${v} is not a sequence number`);
    }
  }
  if (lost.toSeqNum < lost.fromSeqNum) {
    throw new RangeError(
      `Cannot encode LostOutbound: range ${lost.fromSeqNum}-${lost.toSeqNum} is empty`,
    );
  }
  return encodeAudit(JSON.stringify({
    event: LOST_OUTBOUND_EVENT,
    session: lost.session,
    fromSeqNum: lost.fromSeqNum,
    toSeqNum: lost.toSeqNum,
    source: lost.source,
    policy: lost.policy,
  }));
}

/**
 * The fields of an Audit payload that is a JSON note of `event`; undefined for
 * any other note (plain text, another event, not JSON).
 */
function decodeAuditEvent(
  payload: Uint8Array,
  event: string,
): Record<string, unknown> | undefined {
  const t = decodeAudit(payload);
  if (!t.startsWith("{") || !t.includes(event)) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(t);
  } catch {
    return undefined;
  }
  if (typeof v !== "object" || v === null) return undefined;
  const o = v as Record<string, unknown>;
  return o.event === event ? o : undefined;
}

/** Decodes an Audit payload as a LostOutbound note; undefined when it is another kind of note. */
export function decodeLostOutbound(payload: Uint8Array): LostOutbound | undefined {
  const o = decodeAuditEvent(payload, LOST_OUTBOUND_EVENT);
  if (o === undefined) return undefined;
  const { session, fromSeqNum, toSeqNum, source, policy } = o;
  if (
    typeof session !== "string" || !Number.isSafeInteger(fromSeqNum) ||
    !Number.isSafeInteger(toSeqNum) || typeof source !== "string" || typeof policy !== "string"
  ) {
    throw new JournalPayloadError("Audit", "lost-outbound note has missing or wrong fields");
  }
  return {
    session,
    fromSeqNum: fromSeqNum as number,
    toSeqNum: toSeqNum as number,
    source,
    policy,
  };
}

/**
 * A VoidedOutbound note: outbound MsgSeqNums of a session that a new leader
 * voided (answers of an application run the old leader cut short, never
 * released): a ResendRequest for them gets a SequenceReset-GapFill. A note
 * holds every number voided on the session since its last reset, so the
 * latest note is all a later leader needs.
 */
export interface VoidedOutbound {
  /** The session key, e.g. `FIX.4.4:EXEC->CLIENT`. */
  session: string;
  /** The voided MsgSeqNums, ascending, no duplicates. */
  seqNums: number[];
}

const VOIDED_OUTBOUND_EVENT = "voided-outbound";

/** Encodes a VoidedOutbound note as an Audit payload (JSON with `"event": "voided-outbound"`). */
export function encodeVoidedOutbound(note: VoidedOutbound): Uint8Array {
  for (const v of note.seqNums) {
    if (!Number.isSafeInteger(v) || v < 1) {
      throw new RangeError(`Cannot encode VoidedOutbound: ${v} is not a sequence number`);
    }
  }
  const seqNums = [...new Set(note.seqNums)].sort((a, b) => a - b);
  return encodeAudit(JSON.stringify({
    event: VOIDED_OUTBOUND_EVENT,
    session: note.session,
    seqNums,
  }));
}

/** Decodes an Audit payload as a VoidedOutbound note; undefined when it is another kind of note. */
export function decodeVoidedOutbound(payload: Uint8Array): VoidedOutbound | undefined {
  const o = decodeAuditEvent(payload, VOIDED_OUTBOUND_EVENT);
  if (o === undefined) return undefined;
  const { session, seqNums } = o;
  if (
    typeof session !== "string" || !Array.isArray(seqNums) ||
    !seqNums.every((n) => Number.isSafeInteger(n) && n >= 1)
  ) {
    throw new JournalPayloadError("Audit", "voided-outbound note has missing or wrong fields");
  }
  return { session, seqNums: seqNums as number[] };
}
