/**
 * The checks a record passes before `Journal` stages it: field ranges, the
 * payload limit, payloads that carry state decoding, and the session being
 * defined. A record that fails never reaches the file (a record that cannot
 * be applied would make the journal unreadable).
 *
 * @module
 */

import type { JournalState } from "./_state.ts";
import {
  decodeAppCursor,
  decodeEpochChange,
  decodeSequenceChange,
  decodeSessionDefinition,
} from "./payloads.ts";
import { isRecordKind, type RecordInput, RecordKind } from "./record.ts";

/**
 * Checks `record` against the limits and the current `state`.
 *
 * @throws {RangeError} for invalid fields, an undefined session or a payload over `maxPayloadBytes`
 */
export function checkRecordInput(
  record: RecordInput,
  maxPayloadBytes: number,
  state: JournalState,
): void {
  if (!isRecordKind(record.kind)) {
    throw new RangeError(`Cannot append record: kind ${record.kind} is unknown`);
  }
  if (
    !Number.isInteger(record.sessionId) || record.sessionId < 0 || record.sessionId > 0xffff_ffff
  ) {
    throw new RangeError(`Cannot append record: session id ${record.sessionId} is out of range`);
  }
  if (!Number.isSafeInteger(record.seqNum) || record.seqNum < 0) {
    throw new RangeError(`Cannot append record: seqNum ${record.seqNum} is out of range`);
  }
  if (!Number.isSafeInteger(record.timestampMs) || record.timestampMs < 0) {
    throw new RangeError(
      `Cannot append record: timestampMs ${record.timestampMs} is out of range`,
    );
  }
  if (record.payload.length > maxPayloadBytes) {
    throw new RangeError(
      `Cannot append record: payload is ${record.payload.length} bytes, the limit is ${maxPayloadBytes}`,
    );
  }
  // Payloads that carry state must decode now: a record that cannot be
  // applied must never reach the file (it would make the journal unreadable).
  switch (record.kind) {
    case RecordKind.SessionDefinition:
      decodeSessionDefinition(record.payload);
      break;
    case RecordKind.SequenceChange:
      decodeSequenceChange(record.payload);
      break;
    case RecordKind.EpochChange:
      decodeEpochChange(record.payload);
      break;
    case RecordKind.AppCursor:
      decodeAppCursor(record.payload);
      break;
  }
  const sessionKind = record.kind === RecordKind.Outbound || record.kind === RecordKind.Inbound ||
    record.kind === RecordKind.SequenceChange || record.kind === RecordKind.SessionReset;
  if (sessionKind && state.byId[record.sessionId] === undefined) {
    throw new RangeError(`Cannot append record: session id ${record.sessionId} is not defined`);
  }
}
