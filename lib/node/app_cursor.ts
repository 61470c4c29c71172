/**
 * Exactly-once processing for applications behind an acceptor, across a
 * failover.
 *
 * An application that answers inbound messages (the built-in `executor` and
 * `echo`) must answer each one once, even when the primary dies between
 * receiving an order and the replica learning about the answer. The journal
 * gives us the tools: the processing of one inbound message is bracketed by
 * two AppCursor records written in the same synchronous stretch as the
 * answers, so they reach the journal (and the replica) as one contiguous run:
 *
 * ```
 * Inbound(i)  AppCursor("begin:<app>@<session>", i)  Outbound…  AppCursor("<app>@<session>", i)
 * ```
 *
 * - The **follower** never acknowledges an index inside an open run
 *   ({@linkcode openRunAckLimit}): under the `forever` strategy the primary
 *   therefore releases the answers only once the closing cursor is durable on
 *   the replica, so the replica always knows whether an answer may have been
 *   seen.
 * - On **promotion** ({@linkcode recoverApplications}) the new primary voids
 *   the outbound messages of a run that was cut short (they were never
 *   released; a ResendRequest for them gets a SequenceReset-GapFill instead,
 *   also from every later primary: `voided_notes.ts` journals them),
 *   and hands every inbound application message after the last closing cursor
 *   to the application again.
 *
 * Under `never` or `timeout` an answer can be released before the replica has
 * it; those strategies trade this guarantee for latency, as documented.
 *
 * @module
 */

import { decodeAppCursor, type Journal, RecordKind } from "../journal/mod.ts";
import { decodeMessage, type FixMessage } from "../fix/message.ts";
import { type Application, MessageContext, type SessionHandle } from "../engine/application.ts";

const ADMIN_MSG_TYPES = new Set(["0", "1", "2", "3", "4", "5", "A"]);
const BEGIN = "begin:";

/** Name of the closing cursor of `app` on `sessionKey`. */
export function cursorName(app: string, sessionKey: string): string {
  return `${app}@${sessionKey}`;
}

/**
 * Wraps `inner` so that each application message it handles is bracketed by
 * AppCursor records (see the module doc), both naming the message's Inbound
 * record (`context.index`): on a first delivery the record the engine has just
 * written, on a replay after a failover the old one, so a replay of several
 * messages that stops half-way leaves the later ones unfinished.
 */
export function cursoredApplication(
  inner: Application,
  journal: Journal,
  appName: string,
): Application {
  if (!inner.onMessage) return inner;
  // the cursor names of the last session seen (an application serves one): no strings per message
  let key: string | undefined;
  let name = "";
  let beginName = "";
  return {
    ...inner,
    onMessage(message: FixMessage, session: SessionHandle, context: MessageContext) {
      if (session.key !== key) {
        key = session.key;
        name = cursorName(appName, key);
        beginName = BEGIN + name;
      }
      const index = context.index;
      journal.recordAppCursor(beginName, index);
      try {
        inner.onMessage!(message, session, context);
      } finally {
        journal.recordAppCursor(name, index);
      }
    },
  };
}

/**
 * The highest index a follower may acknowledge: its durable index, but never
 * past the Inbound record of a run whose closing cursor it does not have yet.
 */
export function openRunAckLimit(
  journal: Pick<Journal, "appCursorsView">,
  durableIndex: number,
): number {
  let limit = durableIndex;
  const cursors = journal.appCursorsView(); // read at once, never kept: no copy per batch
  // keys(), not entries(): V8 then allocates neither the iterator nor a pair per cursor
  for (const name of cursors.keys()) {
    if (!name.startsWith(BEGIN)) continue;
    const begun = cursors.get(name)!;
    const done = cursors.get(closingName(name)) ?? 0;
    if (begun > done && begun < limit) limit = begun;
  }
  return limit;
}

/**
 * Closing cursor name of each begin cursor name seen, so that the ack limit
 * slices no string per batch. Holds one entry per application and session
 * ever cursored, as the journal's own cursor map does.
 */
const closingNames = new Map<string, string>();

function closingName(beginName: string): string {
  let name = closingNames.get(beginName);
  if (name === undefined) {
    name = beginName.slice(BEGIN.length);
    closingNames.set(beginName, name);
  }
  return name;
}

/** What {@linkcode recoverApplications} found and did for one session. */
export interface RecoveryReport {
  session: string;
  /** Outbound sequence numbers of a cut-short run: gap-filled, never resent. */
  voidedSeqNums: number[];
  /** Inbound application messages handed to the application again. */
  replayed: number;
}

/**
 * Finds the work a previous primary left unfinished for `appName` on
 * `session` (a session host with `sessionId`). Returns the outbound sequence
 * numbers to void and the inbound messages to replay, in journal order, each
 * with the {@linkcode MessageContext} of its Inbound record (so the ids an
 * application derives from it are those of the first delivery).
 */
export function unfinishedWork(
  journal: Journal,
  appName: string,
  session: { key: string; sessionId: number },
): { voided: Set<number>; replay: FixMessage[]; contexts: MessageContext[] } {
  const name = cursorName(appName, session.key);
  const done = journal.appCursors().get(name) ?? 0;
  const voided = new Set<number>();
  const replay: FixMessage[] = [];
  const contexts: MessageContext[] = [];
  const info = journal.sessions().find((s) => s.id === session.sessionId);
  const from = Math.max(done + 1, info?.lastResetIndex ?? 0, journal.firstIndex);
  let openRun = false;
  const rejected = new Set<number>(); // inbound MsgSeqNums the session answered with a Reject
  for (let i = from; i <= journal.lastIndex; i++) {
    const r = journal.read(i);
    if (r === undefined) continue;
    if (r.kind === RecordKind.AppCursor) {
      const c = decodeAppCursor(r.payload);
      if (c.name === BEGIN + name && c.index > done) openRun = true;
      else if (c.name === name) openRun = false;
    } else if (r.sessionId !== session.sessionId) {
      continue;
    } else if (r.kind === RecordKind.Outbound && openRun) {
      voided.add(r.seqNum);
    } else if (r.kind === RecordKind.Outbound) {
      const m = decodeMessage(r.payload);
      if (m.msgType === "3") rejected.add(m.getInt(45) ?? 0);
    } else if (r.kind === RecordKind.Inbound) {
      const m = decodeMessage(r.payload);
      if (!ADMIN_MSG_TYPES.has(m.msgType)) {
        replay.push(m);
        contexts.push(new MessageContext(r.index, r.epoch));
      }
    }
  }
  // A message the session rejected was never the application's to answer.
  const keep = replay.map((m) => !rejected.has(m.msgSeqNum));
  return {
    voided,
    replay: replay.filter((_, i) => keep[i]),
    contexts: contexts.filter((_, i) => keep[i]),
  };
}
