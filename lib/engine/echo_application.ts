/**
 * The `echo` application, exactly as the QuickFIX acceptance tests expect it.
 *
 * - NewOrderSingle (35=D) is sent straight back as a new message, unless it is
 *   flagged PossResend (97=Y) and its ClOrdID (11) was already received on
 *   that session since the session last logged out: then it is dropped.
 * - SecurityDefinition (35=d, FIX.4.2 and later) and Email (35=C) are sent back.
 * - Any other application message is refused as an unsupported message type
 *   (Business Message Reject 380=3 on FIX.4.2+, session Reject on 4.0/4.1).
 *
 * @module
 */

import type { FixMessage } from "../fix/message.ts";
import type { Field } from "../session/session.ts";
import type { Application, SessionHandle } from "./application.ts";

const NOT_ECHOED = new Set([8, 9, 10, 34, 35, 43, 49, 52, 56, 122]);

/** The fields of `message` to send back (everything but the session envelope). */
export function echoFields(message: FixMessage): Field[] {
  const out: Field[] = [];
  for (let i = 0; i < message.size; i++) {
    const tag = message.tagAt(i);
    if (!NOT_ECHOED.has(tag)) out.push([tag, message.bytesAt(i)]);
  }
  return out;
}

/** Creates the echo application (state: ClOrdIDs seen per session). */
export function echoApplication(): Application {
  const seen = new Map<string, Set<string>>();
  return {
    onLogout(session: SessionHandle): void {
      seen.delete(session.key);
    },
    onMessage(message: FixMessage, session: SessionHandle): void {
      const msgType = message.msgType;
      const modern = session.beginString !== "FIX.4.0" && session.beginString !== "FIX.4.1";
      if (msgType === "D") {
        const clOrdId = message.get(11) ?? "";
        let ids = seen.get(session.key);
        if (ids === undefined) seen.set(session.key, ids = new Set());
        if (message.get(97) === "Y" && ids.has(clOrdId)) return;
        ids.add(clOrdId);
        session.send("D", echoFields(message));
      } else if (msgType === "C" || (msgType === "d" && modern)) {
        session.send(msgType, echoFields(message));
      } else {
        session.rejectUnsupported(message);
      }
    },
  };
}
