/**
 * Helpers for this folder's tests: messages written as text with `|` for SOH.
 *
 * @module
 */

import { checksum } from "../encoder.ts";
import { decodeMessage, type FixMessage } from "../message.ts";

/**
 * Completes `8=…|35=…|…|` (no 9, no 10) with BodyLength and CheckSum and decodes it.
 * `lengthTags` is passed to `decodeMessage`.
 */
export function fix(text: string, lengthTags?: ReadonlyMap<number, number>): FixMessage {
  const soh = text.replaceAll("|", "\x01");
  const first = soh.indexOf("\x01") + 1;
  const body = soh.slice(first);
  const head = `${soh.slice(0, first)}9=${new TextEncoder().encode(body).length}\x01`;
  const bytes = new TextEncoder().encode(head + body);
  const sum = String(checksum(bytes)).padStart(3, "0");
  const all = new TextEncoder().encode(`${head}${body}10=${sum}\x01`);
  return lengthTags === undefined ? decodeMessage(all) : decodeMessage(all, { lengthTags });
}

/** A standard FIX.4.4 header (after 35) from CLIENT to ISLD with MsgSeqNum 2. */
export const H44 = "34=2|49=CLIENT|52=20261124-10:00:00.000|56=ISLD|";

/** Bytes as text with `|` for SOH. */
export function text(bytes: Uint8Array): string {
  return new TextDecoder().decode(bytes).replaceAll("\x01", "|");
}
