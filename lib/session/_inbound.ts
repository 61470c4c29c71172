/**
 * Checks of a received message that need no session state, each answering with a value the
 * session turns into its reaction (disconnect, Reject, Logout): tag numbers, SendingTime, the
 * CompIDs and sub/location IDs, and the PossDup rules of a message numbered too low.
 *
 * Pure: no I/O, no clock.
 *
 * @module
 */

import type { FixMessage } from "../fix/message.ts";
import { parseTimestamp, parseTimestampBytes } from "./_timestamp.ts";
import { isAdminMsgType } from "./session_fields.ts";

/** The first tag number that is not positive, or undefined when all are. */
export function firstInvalidTag(message: FixMessage): number | undefined {
  for (let i = 0; i < message.size; i++) {
    const tag = message.tagAt(i);
    if (tag <= 0) return tag;
  }
  return undefined;
}

/** What a received message must say about who sent it to whom, encoded once per session. */
export class InboundIdentity {
  readonly #target: Uint8Array;
  readonly #sender: Uint8Array;
  readonly #expected: readonly (readonly [number, Uint8Array])[];

  /**
   * SenderCompID (49) must be `targetCompId`, TargetCompID (56) `senderCompId`, and each of
   * `expected` (tag and value: sub and location IDs) must be there with its value.
   */
  constructor(
    targetCompId: string,
    senderCompId: string,
    expected: readonly (readonly [number, string])[],
  ) {
    const utf8 = new TextEncoder();
    this.#target = utf8.encode(targetCompId);
    this.#sender = utf8.encode(senderCompId);
    this.#expected = expected.map(([tag, value]) => [tag, utf8.encode(value)] as const);
  }

  /** Whether `message` matches, compared in its bytes (no strings made). */
  matches(message: FixMessage): boolean {
    if (!valueIs(message, 49, this.#target) || !valueIs(message, 56, this.#sender)) return false;
    const expected = this.#expected;
    for (let i = 0; i < expected.length; i++) {
      if (!valueIs(message, expected[i]![0], expected[i]![1])) return false;
    }
    return true;
  }
}

/** Whether the first `tag` of `message` has exactly the bytes `value`. */
function valueIs(message: FixMessage, tag: number, value: Uint8Array): boolean {
  const i = message.indexOf(tag);
  if (i < 0) return false;
  const start = message.valueStartAt(i);
  if (message.valueEndAt(i) - start !== value.length) return false;
  const bytes = message.bytes;
  for (let j = 0; j < value.length; j++) if (bytes[start + j] !== value[j]) return false;
  return true;
}

/**
 * A fault in the header of a received message (QuickFIX's verify()): before Logon it ends the
 * connection; once logged on it is rejected, and some faults then log out. One value per kind.
 */
export interface HeaderFault {
  /** Disconnect reason (before Logon; always, when there is no `reject`). */
  readonly disconnect: string;
  /** Whether a warning names the message type before disconnecting. */
  readonly warn: boolean;
  /** Once logged on: SessionRejectReason (373), RefTagID (371) and whether Logout follows. */
  readonly reject?: { readonly reason: number; readonly tag?: number; readonly logout: boolean };
}

const SENDING_TIME_MISSING: HeaderFault = { disconnect: "SendingTime (52) missing", warn: false };
const SENDING_TIME_MALFORMED: HeaderFault = {
  disconnect: "SendingTime (52) is not a UTCTimestamp",
  warn: false,
  reject: { reason: 6, tag: 52, logout: false },
};
const SENDING_TIME_INACCURATE: HeaderFault = {
  disconnect: "SendingTime accuracy problem",
  warn: true,
  reject: { reason: 10, logout: true },
};
const COMP_ID_PROBLEM: HeaderFault = {
  disconnect: "CompID problem",
  warn: false,
  reject: { reason: 9, logout: true },
};

/**
 * The first fault of `message`'s SendingTime (52) at `nowMs` (accuracy checked when
 * `toleranceMs` is given) and identity (checked when `identity` is given), or undefined.
 */
export function headerFault(
  message: FixMessage,
  nowMs: number,
  toleranceMs: number | undefined,
  identity: InboundIdentity | undefined,
): HeaderFault | undefined {
  const at = message.indexOf(52);
  if (at < 0) return SENDING_TIME_MISSING;
  // read from the bytes: no string per message
  const sendingTimeMs = parseTimestampBytes(
    message.bytes,
    message.valueStartAt(at),
    message.valueEndAt(at),
  );
  if (Number.isNaN(sendingTimeMs)) return SENDING_TIME_MALFORMED;
  if (toleranceMs !== undefined && Math.abs(nowMs - sendingTimeMs) > toleranceMs) {
    return SENDING_TIME_INACCURATE;
  }
  if (identity !== undefined && !identity.matches(message)) return COMP_ID_PROBLEM;
  return undefined;
}

/** How to refuse a PossDupFlag=Y message numbered below the expected MsgSeqNum. */
export interface PossDupFault {
  /** SessionRejectReason (373). */
  readonly reason: number;
  /** RefTagID (371), when a tag is at fault. */
  readonly tag: number | undefined;
  /** Whether a Logout follows the Reject. */
  readonly logout: boolean;
}

/**
 * The fault of a resent (PossDupFlag=Y) message numbered too low, or undefined when it may be
 * ignored: OrigSendingTime (122) missing or malformed, or later than SendingTime (52).
 * SequenceResets need no OrigSendingTime.
 */
export function possDupFault(message: FixMessage): PossDupFault | undefined {
  if (message.msgType === "4") return undefined;
  const orig = message.get(122);
  if (orig === undefined) return { reason: 1, tag: 122, logout: false };
  const origMs = parseTimestamp(orig);
  const sendingMs = parseTimestamp(message.get(52) ?? "");
  if (Number.isNaN(origMs)) return { reason: 6, tag: 122, logout: false };
  if (origMs > sendingMs) return { reason: 10, tag: undefined, logout: true };
  return undefined;
}

/**
 * Whether a message of `msgType` may arrive in the logon state the flags describe (QuickFIX's
 * validLogonState): a Logon first, nothing but Logout, Reject and SequenceReset around it.
 */
export function validLogonState(
  msgType: string,
  receivedLogon: boolean,
  sentLogon: boolean,
  sentLogout: boolean,
  receivedReset: boolean,
  sentReset: boolean,
): boolean {
  if ((msgType === "A" && sentReset) || receivedReset) return true;
  if ((msgType === "A" && !receivedLogon) || (msgType !== "A" && receivedLogon)) return true;
  if (msgType === "5" && sentLogon) return true;
  if (msgType !== "5" && sentLogout) return true;
  return msgType === "4" || msgType === "3";
}

/** The validation context of messages without an application version (one object for all). */
const NO_APPL_VER_ID: { readonly applVerId: string | undefined } = Object.freeze({
  applVerId: undefined,
});

/**
 * The context `message` is validated in: on FIXT sessions an application message's version is
 * its ApplVerID (1128) or the counterparty's default; otherwise none.
 */
export function validationContext(
  message: FixMessage,
  isFixt: boolean,
  targetApplVerId: string | undefined,
): { readonly applVerId: string | undefined } {
  const applVerId = isFixt && !isAdminMsgType(message.msgType)
    ? message.get(1128) ?? targetApplVerId
    : undefined;
  return applVerId === undefined ? NO_APPL_VER_ID : { applVerId };
}
