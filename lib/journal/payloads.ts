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
 * @module
 */

import { getU64, setU64 } from "./record.ts";

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

function text(kindName: string, bytes: Uint8Array): string {
  try {
    return decoder.decode(bytes);
  } catch {
    throw new JournalPayloadError(kindName, "text is not valid UTF-8");
  }
}

function withNumbers(count: number, values: number[], tail: string): Uint8Array {
  const t = encoder.encode(tail);
  const buf = new Uint8Array(count + t.length);
  const view = new DataView(buf.buffer);
  let at = 0;
  for (const v of values) {
    if (!Number.isSafeInteger(v) || v < 0) {
      throw new RangeError(`Cannot encode payload: ${v} is not a non-negative safe integer`);
    }
    if (count === 4) view.setUint32(at, v, true);
    else setU64(view, at, v);
    at += count === 4 ? 4 : 8;
  }
  buf.set(t, at);
  return buf;
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
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const nextSenderSeqNum = getU64(view, 0);
  const nextTargetSeqNum = getU64(view, 8);
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

/** Decodes an AppCursor payload. */
export function decodeAppCursor(payload: Uint8Array): AppCursor {
  if (payload.length < 9) {
    throw new JournalPayloadError("AppCursor", `payload is ${payload.length} bytes, need 9`);
  }
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const index = getU64(view, 0);
  if (index < 0) throw new JournalPayloadError("AppCursor", "index out of range");
  return { index, name: text("AppCursor", payload.subarray(8)) };
}

/** Encodes an Audit payload. */
export function encodeAudit(textValue: string): Uint8Array {
  return encoder.encode(textValue);
}

/** Decodes an Audit payload. */
export function decodeAudit(payload: Uint8Array): string {
  return text("Audit", payload);
}
