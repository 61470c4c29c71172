/**
 * Voided MsgSeqNums that outlive the leader that voided them.
 *
 * A new leader voids the answers of an application run the old leader cut
 * short (`app_recovery.ts`): a ResendRequest for them gets a
 * SequenceReset-GapFill. Once it has replayed the application's work, the run
 * is closed and no later recovery finds it again, so the numbers are written
 * down: a VoidedOutbound note (an Audit record, `encodeVoidedOutbound`) on the
 * session, journaled (hence replicated) before any session connects, holding
 * every number voided on the session since its last reset.
 *
 * Finding the latest note costs no scan: an AppCursor record named
 * {@linkcode voidedCursorName} points at it (the journal keeps the last value
 * of every cursor in its state and checkpoint), so start-up reads one record
 * per session. A SessionReset clears the numbers: a note older than the
 * session's last reset is ignored. So does a new message with a voided
 * number (an operator lowered the next outbound MsgSeqNum): that number is
 * the new message's from then on.
 *
 * Ordering keeps it safe: the note and its cursor precede the replayed
 * answers and closing cursors in the journal, so a member that has the
 * closing cursors (and no longer sees the open run) has the note too.
 *
 * @module
 */

import {
  decodeVoidedOutbound,
  encodeVoidedOutbound,
  type Journal,
  RecordKind,
} from "../journal/mod.ts";

/** Name of the AppCursor that points at the latest VoidedOutbound note of `sessionKey`. */
export function voidedCursorName(sessionKey: string): string {
  return `voided:${sessionKey}`;
}

/** A served session: its key and journal session id. */
export interface VoidedSession {
  readonly key: string;
  readonly sessionId: number;
}

/**
 * The MsgSeqNums journaled as voided on `session` since its last reset
 * (empty when none, or when the note was removed with the records it voids).
 */
export function journaledVoids(
  journal: Pick<Journal, "appCursorsView" | "sessions" | "read" | "outbound">,
  session: VoidedSession,
): Set<number> {
  const at = journal.appCursorsView().get(voidedCursorName(session.key));
  if (at === undefined) return new Set();
  const lastReset = journal.sessions().find((s) => s.id === session.sessionId)?.lastResetIndex ??
    0;
  if (at <= lastReset) return new Set(); // the numbers restarted after the note
  const r = journal.read(at);
  if (r === undefined || r.kind !== RecordKind.Audit || r.sessionId !== session.sessionId) {
    return new Set();
  }
  // A number a later message took again (an operator lowered the next outbound number) is
  // that message's now: it is resent as itself.
  const seqNums = decodeVoidedOutbound(r.payload)?.seqNums ?? [];
  return new Set(seqNums.filter((seq) => voidedStillHolds(journal, session.sessionId, seq, at)));
}

/**
 * Whether voided `seq` still names the voided message: the session's latest
 * Outbound record with it since its last reset is at or before `through` (a
 * later one is a new message that took the number again). False when the
 * journal no longer holds one: there is nothing to resend either way.
 */
export function voidedStillHolds(
  journal: Pick<Journal, "outbound">,
  sessionId: number,
  seq: number,
  through: number,
): boolean {
  const latest = journal.outbound(sessionId, seq);
  return latest !== undefined && latest.index <= through;
}

/**
 * Journals `seqNums` (every number voided on the session since its last
 * reset, earlier notes' included) as the session's latest VoidedOutbound note
 * and points {@linkcode voidedCursorName} at it. Returns the note's index.
 */
export function journalVoids(
  journal: Pick<Journal, "append" | "recordAppCursor">,
  session: VoidedSession,
  seqNums: Iterable<number>,
  timestampMs: number,
): number {
  const index = journal.append({
    kind: RecordKind.Audit,
    sessionId: session.sessionId,
    seqNum: 0,
    timestampMs,
    payload: encodeVoidedOutbound({ session: session.key, seqNums: [...seqNums] }),
  });
  journal.recordAppCursor(voidedCursorName(session.key), index, timestampMs);
  return index;
}
