/**
 * The records behind the journal's convenience appends
 * ({@linkcode Journal.defineSession}, `setSequenceNumbers`, `resetSession`,
 * `beginEpoch`, `recordAppCursor`, `audit`): session and epoch bookkeeping,
 * application cursors and audit notes, with their payloads encoded.
 *
 * @module
 */

import {
  encodeAppCursor,
  encodeAudit,
  encodeEpochChange,
  encodeSequenceChange,
  encodeSessionDefinition,
  encodeSessionReset,
} from "./payloads.ts";
import { type RecordInput, RecordKind } from "./record.ts";

/** A SessionDefinition record giving session `id` the key `key`. */
export function sessionDefinitionRecord(id: number, key: string, timestampMs: number): RecordInput {
  return {
    kind: RecordKind.SessionDefinition,
    sessionId: id,
    seqNum: 0,
    timestampMs,
    payload: encodeSessionDefinition(key),
  };
}

/** A SequenceChange record setting both next sequence numbers of a session. */
export function sequenceChangeRecord(
  sessionId: number,
  change: { nextSenderSeqNum: number; nextTargetSeqNum: number; reason: string },
  timestampMs: number,
): RecordInput {
  return {
    kind: RecordKind.SequenceChange,
    sessionId,
    seqNum: 0,
    timestampMs,
    payload: encodeSequenceChange(change),
  };
}

/** A SessionReset record. */
export function sessionResetRecord(
  sessionId: number,
  reason: string,
  timestampMs: number,
): RecordInput {
  return {
    kind: RecordKind.SessionReset,
    sessionId,
    seqNum: 0,
    timestampMs,
    payload: encodeSessionReset(reason),
  };
}

/** An EpochChange record starting `epoch`. */
export function epochChangeRecord(epoch: number, reason: string, timestampMs: number): RecordInput {
  return {
    kind: RecordKind.EpochChange,
    sessionId: 0,
    seqNum: 0,
    timestampMs,
    payload: encodeEpochChange({ epoch, reason }),
  };
}

/** An AppCursor record: application `name` has processed up to `index`. */
export function appCursorRecord(name: string, index: number, timestampMs: number): RecordInput {
  return {
    kind: RecordKind.AppCursor,
    sessionId: 0,
    seqNum: 0,
    timestampMs,
    payload: encodeAppCursor({ name, index }),
  };
}

/** An Audit record. */
export function auditRecord(text: string, sessionId: number, timestampMs: number): RecordInput {
  return {
    kind: RecordKind.Audit,
    sessionId,
    seqNum: 0,
    timestampMs,
    payload: encodeAudit(text),
  };
}
