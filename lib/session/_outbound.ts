/**
 * How the session writes the parts of outbound messages that need no session state: the
 * SendingTime at a precision, a stored message rebuilt for a resend, the routing fields of a
 * reply and the body of a session Reject.
 *
 * @module
 */

import type { MessageEncoder } from "../fix/encoder.ts";
import type { FixMessage } from "../fix/message.ts";
import { formatTimestamp } from "./_timestamp.ts";
import type { Field } from "./session_config.ts";

/** 10000-01-01T00:00:00Z: below it {@linkcode MessageEncoder.utcTimestamp} formats times itself. */
const MAX_FAST_TIMESTAMP_MS = 253402300800000;

/** Writes `nowMs` as a UTCTimestamp field at `precision` fraction digits. */
export function writeTimestamp(
  e: MessageEncoder,
  tag: number,
  nowMs: number,
  precision: 0 | 3 | 6 | 9,
): void {
  // The encoder's cached formatter covers every whole ms of years 1970–9999.
  if (Number.isSafeInteger(nowMs) && nowMs >= 0 && nowMs < MAX_FAST_TIMESTAMP_MS) {
    e.utcTimestamp(tag, nowMs, precision);
  } else {
    e.field(tag, formatTimestamp(nowMs, precision));
  }
}

/** Rebuilds a stored message for resending: PossDupFlag=Y, OrigSendingTime, new SendingTime. */
export function resendBytes(
  e: MessageEncoder,
  stored: FixMessage,
  nowMs: number,
  precision: 0 | 3 | 6 | 9,
): Uint8Array {
  e.begin(stored.msgType);
  let wroteTime = false;
  for (let i = 0; i < stored.size; i++) {
    const tag = stored.tagAt(i);
    if (tag === 8 || tag === 9 || tag === 10 || tag === 35 || tag === 43 || tag === 122) continue;
    if (tag === 52) {
      e.field(43, "Y");
      writeTimestamp(e, 52, nowMs, precision);
      e.field(122, stored.bytesAt(i));
      wroteTime = true;
      continue;
    }
    e.field(tag, stored.bytesAt(i));
  }
  if (!wroteTime) e.field(43, "Y");
  return e.finish();
}

/** Routing fields of `message` reversed, for a reply (non-empty values only). */
export function reverseRoute(message: FixMessage, rank: number): Field[] {
  const out: Field[] = [];
  const pairs: [number, number][] = [[115, 128], [128, 115], [116, 129], [129, 116]];
  if (rank >= 41) pairs.push([144, 145], [145, 144]);
  for (const [from, to] of pairs) {
    const v = message.get(from);
    if (v !== undefined && v !== "") out.push([to, v]);
  }
  return out;
}

/**
 * The body of a session Reject (35=3) of the message numbered `seqText` with only the tags the
 * version (`rank`) defines.
 */
export function sessionRejectBody(
  rank: number,
  seqText: string,
  msgType: string,
  reason: number,
  refTagId: number | undefined,
  reasonText: string,
): Field[] {
  const body: Field[] = [];
  if (seqText !== "") body.push([45, seqText]);
  if (rank >= 42) {
    if (msgType !== "") body.push([372, msgType]);
    // only the codes the version defines: 0–11 in FIX.4.2, 0–17 in FIX.4.3, 99 from FIX.4.4
    if (reason <= (rank === 42 ? 11 : rank === 43 ? 17 : 99)) {
      body.push([373, reason]);
    }
    if (refTagId !== undefined && (refTagId !== 0 || reason === 0)) body.push([371, refTagId]);
    body.push([58, reasonText]);
  } else {
    body.push([58, refTagId ? `${reasonText} (${refTagId})` : reasonText]);
  }
  return body;
}

/**
 * The body of a Logon (ours or our answer): EncryptMethod none, HeartBtInt, and when given
 * ResetSeqNumFlag=Y, DefaultApplVerID (FIXT), NextExpectedMsgSeqNum and the configured extra
 * fields (e.g. Username, Password).
 */
export function logonBody(
  heartBtIntS: number,
  resetSeqNumFlag: boolean,
  defaultApplVerId: string | undefined,
  nextExpectedMsgSeqNum: number | undefined,
  extra: readonly Field[] | undefined,
): Field[] {
  const body: Field[] = [[98, 0], [108, heartBtIntS]];
  if (resetSeqNumFlag) body.push([141, "Y"]);
  if (defaultApplVerId !== undefined) body.push([1137, defaultApplVerId]);
  if (nextExpectedMsgSeqNum !== undefined) body.push([789, nextExpectedMsgSeqNum]);
  if (extra) body.push(...extra);
  return body;
}

/** The body of a session Reject (35=3) with a text of our own (no SessionRejectReason). */
export function textRejectBody(
  rank: number,
  seqText: string,
  msgType: string,
  text: string,
): Field[] {
  const body: Field[] = [];
  if (rank >= 42) body.push([372, msgType]);
  body.push([45, seqText], [58, text]);
  return body;
}

/**
 * The body of a Business Message Reject (35=j) of `message`; `text` is the reason's text.
 * DefaultApplVerID (1137) belongs to the FIXT Logon only: 35=j needs no version field.
 */
export function businessRejectBody(
  message: FixMessage,
  reason: number,
  refTagId: number | undefined,
  text: string,
): Field[] {
  return [
    [45, message.get(34) ?? ""],
    [372, message.msgType],
    [380, reason],
    [58, refTagId ? `${text} (${refTagId})` : text],
  ];
}
