/**
 * What a node does, on becoming leader, about the application work the
 * previous leader left unfinished (see `app_cursor.ts`), whatever it leads:
 * the sessions of an acceptor, or the initiator sessions of a replicated
 * gateway. Both go the same way, before any session is connected:
 *
 * 1. every served session's resends skip the MsgSeqNums in a fresh "voided"
 *    set ({@linkcode withVoidedResends}): a ResendRequest for them gets a
 *    SequenceReset-GapFill;
 * 2. {@linkcode recoverApplications} fills those sets with the answers of a
 *    run the old leader cut short (journaled, never released) and hands the
 *    application, again, every inbound message after its last closing cursor,
 *    with the {@linkcode MessageContext} of the first delivery. Its answers are
 *    journaled with the next sequence numbers and reach the counterparty by
 *    its ResendRequest once the session logs on.
 *
 * The voided numbers outlive this leader: they are journaled as a
 * VoidedOutbound note before any session connects, and every recovery (after
 * a second failover, a restart) adds the session's noted numbers since its
 * last reset to the set (`voided_notes.ts`), since the closed run is no
 * longer found.
 *
 * Sessions served with `application: api` are left alone: their programs
 * resume from the API stream.
 *
 * @module
 */

import type { Application, SessionHost } from "../engine/mod.ts";
import type { FixMessage } from "../fix/message.ts";
import type { Journal } from "../journal/mod.ts";
import type { Logger } from "../log/mod.ts";
import { unfinishedWork } from "./app_cursor.ts";
import { journaledVoids, journalVoids, voidedStillHolds } from "./voided_notes.ts";

/**
 * Session settings whose resends skip the MsgSeqNums voided for `key`: a
 * fresh set, registered in `voided` for {@linkcode recoverApplications} to fill.
 */
export function withVoidedResends<T extends object>(
  voided: Map<string, Set<number>>,
  key: string,
  config: T,
): T & { shouldResend: (message: FixMessage) => boolean } {
  const seqNums = new VoidedSeqNums();
  voided.set(key, seqNums);
  return {
    ...config,
    shouldResend: (m: FixMessage) => !(seqNums.has(m.msgSeqNum) && seqNums.holds(m.msgSeqNum)),
  };
}

/**
 * The voided MsgSeqNums of one session. A number holds only while the voided
 * message is the session's latest with it: after a session reset, or once an
 * operator lowered the next outbound number and a new message took it again,
 * {@linkcode recoverApplications}' {@linkcode holds} says no and the new
 * message is resent as itself.
 */
export class VoidedSeqNums extends Set<number> {
  /** Whether voided `seq` still names the voided message (asked only on a resend). */
  holds: (seq: number) => boolean = () => true;
}

/** What {@linkcode recoverApplications} needs from the node. */
export interface RecoverDeps {
  readonly journal: Journal;
  readonly log: Logger;
  /** Application name of every served session. */
  readonly appNames: ReadonlyMap<string, string>;
  readonly apps: ReadonlyMap<string, Application>;
  /** Outbound MsgSeqNums never to resend, by session (filled here). */
  readonly voided: ReadonlyMap<string, Set<number>>;
  /** Clock for the timestamps of the notes journaled here (default `Date.now`). */
  readonly nowMs?: () => number;
}

/**
 * Finishes the application work the previous leader left (see `app_cursor.ts`): replays
 * the messages whose answers the journal lacks and voids the answers it holds half-done.
 * `hostOf` gives the session host serving a key (acceptor or initiator), not yet connected.
 */
export function recoverApplications(
  hostOf: (key: string) => SessionHost | undefined,
  deps: RecoverDeps,
): void {
  for (const [key, appName] of deps.appNames) {
    const host = hostOf(key);
    if (!host) continue;
    const session = { key, sessionId: host.sessionId };
    // Numbers an earlier leader voided: the run it replayed is closed, only its note is left.
    const noted = journaledVoids(deps.journal, session);
    const seqNums = deps.voided.get(key);
    if (seqNums instanceof VoidedSeqNums) {
      // The voided messages are all journaled by now; a later one with such a number is new.
      const through = deps.journal.lastIndex;
      seqNums.holds = (seq) => voidedStillHolds(deps.journal, session.sessionId, seq, through);
    }
    for (const seq of noted) seqNums?.add(seq);
    if (appName === "api") continue;
    const work = unfinishedWork(deps.journal, appName, session);
    if ([...work.voided].some((seq) => !noted.has(seq))) {
      // Before the replay and before any session connects: a member that has the replay has this.
      journalVoids(deps.journal, session, [...noted, ...work.voided], (deps.nowMs ?? Date.now)());
    }
    for (const seq of work.voided) seqNums?.add(seq);
    if (work.voided.size > 0 || work.replay.length > 0) {
      deps.log.warn("finishing application work left by the previous primary", {
        session: key,
        voidedSeqNums: [...work.voided],
        replayed: work.replay.length,
      });
    }
    const app = deps.apps.get(key);
    work.replay.forEach((m, i) => {
      try {
        app?.onMessage?.(m, host, work.contexts[i]!);
      } catch (err) {
        // As on a first delivery (the session host logs it): the run is closed, the rest goes on.
        deps.log.error("application threw on a replayed message", {
          session: key,
          msgSeqNum: m.msgSeqNum,
          error: err instanceof Error ? err.message : String(err),
        });
      }
    });
  }
}
