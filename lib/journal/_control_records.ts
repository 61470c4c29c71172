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
  setAppCursorIndex,
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

/** Most cursor names whose AppCursor payload an {@linkcode AppCursorRecords} keeps for reuse. */
const MAX_REUSED_CURSOR_PAYLOADS = 256;

/**
 * AppCursor records (application `name` has processed up to `index`), with
 * one payload per cursor name reused, its index set in place: an application
 * behind an acceptor writes two per message it answers. Each record is only
 * valid until the next one is made (the journal copies it when appending).
 */
export class AppCursorRecords {
  readonly #payloads = new Map<string, Uint8Array>();

  /** The record for `name` at `index`. */
  record(name: string, index: number, timestampMs: number): RecordInput {
    let payload = this.#payloads.get(name);
    if (payload === undefined) {
      payload = encodeAppCursor({ name, index });
      if (this.#payloads.size < MAX_REUSED_CURSOR_PAYLOADS) this.#payloads.set(name, payload);
    } else {
      setAppCursorIndex(payload, index);
    }
    return { kind: RecordKind.AppCursor, sessionId: 0, seqNum: 0, timestampMs, payload };
  }
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
