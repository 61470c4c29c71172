/**
 * A lenient second chance for framed messages the strict decoder refused as
 * syntax errors: tags that are not positive integers (`0=`, `-1=`) are kept so
 * that the session can answer them with a Reject (SessionRejectReason 0,
 * Invalid tag number) as QuickFIX does, instead of dropping the message.
 *
 * @module
 */

import { FixMessage, SOH } from "../fix/message.ts";

/**
 * Splits `bytes` into fields, accepting tags of the form `-?digits` in the
 * int32 range. Returns undefined when the bytes are not `tag=value<SOH>` pairs,
 * or when every tag is positive (then the strict decoder's verdict stands).
 */
export function decodeLenient(bytes: Uint8Array): FixMessage | undefined {
  const fields: number[] = [];
  let invalidTag = false;
  let p = 0;
  while (p < bytes.length) {
    const eq = bytes.indexOf(0x3d, p);
    if (eq < 0) return undefined;
    let q = p;
    let negative = false;
    if (bytes[q] === 0x2d) {
      negative = true;
      q++;
    }
    if (q === eq || eq - q > 9) return undefined;
    let tag = 0;
    for (; q < eq; q++) {
      const d = bytes[q]! - 0x30;
      if (d < 0 || d > 9) return undefined;
      tag = tag * 10 + d;
    }
    const end = bytes.indexOf(SOH, eq + 1);
    if (end < 0) return undefined;
    if (negative || tag === 0) invalidTag = true;
    fields.push(negative ? -tag : tag, eq + 1, end);
    p = end + 1;
  }
  if (!invalidTag) return undefined;
  return new FixMessage(bytes, Int32Array.from(fields), fields.length / 3);
}
