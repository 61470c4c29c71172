/**
 * How a session refuses a received message: a session Reject (35=3) with only the tags the
 * version defines, a Reject with a text of our own (FIX.4.0/4.1 have no Business Message
 * Reject), or a Business Message Reject (35=j). Each logs why and sends through the session.
 *
 * Pure: no I/O, no clock.
 *
 * @module
 */

import type { FixMessage } from "../fix/message.ts";
import {
  businessRejectBody,
  reverseRoute,
  sessionRejectBody,
  textRejectBody,
} from "./_outbound.ts";
import type { Field } from "./session_config.ts";
import { BUSINESS_REJECT_TEXTS, SESSION_REJECT_TEXTS } from "./session_fields.ts";

/** What the rejects see of the session (one object per session, made once). */
export interface RejectingSession {
  /** The version's rank (44 for FIX.4.4). */
  readonly rank: number;
  /** The next inbound MsgSeqNum expected. */
  nextTargetSeqNum(): number;
  /** Whether the counterparty's Logon was received. */
  receivedLogon(): boolean;
  /** Whether Logons were exchanged. */
  isLoggedOn(): boolean;
  log(level: "info" | "warn", text: string): void;
  /** Consumes the message's sequence number. */
  accept(message: FixMessage): void;
  /** Sends a message with a fresh sequence number (transmitted when `transmit`). */
  sendNew(
    msgType: string,
    header: readonly Field[],
    body: readonly Field[],
    transmit: boolean,
  ): void;
}

/**
 * Session Reject (35=3) of `message` for SessionRejectReason `reason`; the message's sequence
 * number is consumed when it is the expected one (not for Logon and SequenceReset).
 */
export function sessionReject(
  s: RejectingSession,
  message: FixMessage,
  reason: number,
  refTagId: number | undefined,
  text?: string,
): void {
  const msgType = message.msgType;
  const seqIdx = message.indexOf(34);
  const seqText = seqIdx < 0 ? "" : message.stringAt(seqIdx);
  const seqNum = seqIdx < 0 ? NaN : message.intAt(seqIdx);
  if (msgType !== "A" && msgType !== "4" && seqNum === s.nextTargetSeqNum()) s.accept(message);
  const reasonText = text ?? SESSION_REJECT_TEXTS[reason] ?? "Rejected";
  s.log("warn", `Message ${seqText} rejected: ${reasonText}${refTagId ? ` (${refTagId})` : ""}`);
  if (!s.receivedLogon()) {
    s.log("warn", "Cannot send Reject while not logged on");
    return;
  }
  const body = sessionRejectBody(s.rank, seqText, msgType, reason, refTagId, reasonText);
  s.sendNew("3", reverseRoute(message, s.rank), body, true);
}

/**
 * Refuses an application message as unsupported: Business Message Reject (35=j, 380=3) on
 * FIX.4.2+, session Reject (35=3) with a text on FIX.4.0/4.1.
 */
export function rejectUnsupported(s: RejectingSession, message: FixMessage): void {
  if (s.rank >= 42) {
    businessReject(s, message, 3, undefined);
    return;
  }
  const seqText = message.get(34) ?? "";
  const text = "Unsupported message type";
  const body = textRejectBody(s.rank, seqText, message.msgType, text);
  s.log("warn", `Message ${seqText} rejected: ${text}`);
  s.sendNew("3", reverseRoute(message, s.rank), body, s.isLoggedOn());
}

/** Business Message Reject (35=j) of `message` for BusinessRejectReason `reason`. */
export function businessReject(
  s: RejectingSession,
  message: FixMessage,
  reason: number,
  refTagId: number | undefined,
): void {
  const text = BUSINESS_REJECT_TEXTS[reason] ?? "Rejected";
  const body = businessRejectBody(message, reason, refTagId, text);
  s.log("warn", `Message ${message.get(34)} business-rejected: ${text}`);
  s.sendNew("j", [], body, s.isLoggedOn());
}
