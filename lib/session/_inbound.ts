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

/** The first tag number that is not positive, or undefined when all are. */
export function firstInvalidTag(message: FixMessage): number | undefined {
  for (let i = 0; i < message.size; i++) {
    const tag = message.tagAt(i);
    if (tag <= 0) return tag;
  }
  return undefined;
}

/** SendingTime (52) in ms since the epoch: undefined when missing, NaN when not a UTCTimestamp. */
export function sendingTimeMsOf(message: FixMessage): number | undefined {
  const at = message.indexOf(52);
  if (at < 0) return undefined;
  // read from the bytes: no string per message
  return parseTimestampBytes(message.bytes, message.valueStartAt(at), message.valueEndAt(at));
}

/**
 * Whether `message` comes from `targetCompId` to `senderCompId` and carries the sub and location
 * IDs `expected` (pairs of tag and value).
 */
export function identityMatches(
  message: FixMessage,
  targetCompId: string,
  senderCompId: string,
  expected: readonly (readonly [number, string])[],
): boolean {
  if (message.get(49) !== targetCompId || message.get(56) !== senderCompId) return false;
  for (let i = 0; i < expected.length; i++) {
    if (message.get(expected[i]![0]) !== expected[i]![1]) return false;
  }
  return true;
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
