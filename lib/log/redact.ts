/**
 * Redaction of secrets in log output.
 *
 * FIX text: the values of {@linkcode ALWAYS_REDACTED_TAGS} — Password(554), NewPassword(925),
 * EncryptedPassword(1402), EncryptedNewPassword(1404) — and of any configured tag are replaced by
 * `***`. Username(553) is not secret by default (it names who logged on, which operators need);
 * add it, or RawData(96) for venues that carry credentials there, through `log.redactTags`.
 * Length-prefixed data fields are skipped by their declared length, so a password holding SOH or
 * `|` bytes cannot leak past the mask; in `|`-separated text, anything after a masked value up to
 * the next `tag=` is masked too.
 *
 * Structured fields: any key matching {@linkcode SECRET_KEY_PATTERN} (password, secret, token,
 * credential, authorization, api key) has its value replaced by `***`, at any depth.
 *
 * @module
 */

import { bytesToString, FixMessage, SOH, STANDARD_DATA_FIELDS } from "../fix/message.ts";

/** Tags whose values are masked in every logged FIX message. */
export const ALWAYS_REDACTED_TAGS: readonly number[] = [554, 925, 1402, 1404];

/** Keys of structured log fields whose values are masked. */
export const SECRET_KEY_PATTERN =
  /passw(or)?d|passphrase|pwd|secret|token|credential|authori[sz]ation|api[-_]?key|private[-_]?key/i;

/** The mask written instead of a secret. */
export const REDACTED = "***";

const PIPE = 0x7c;
const EQUALS = 0x3d;

/** LENGTH tag → DATA tag, for the standard data fields plus the encrypted passwords. */
const LENGTH_TO_DATA: ReadonlyMap<number, number> = (() => {
  const m = new Map<number, number>();
  for (const [data, length] of STANDARD_DATA_FIELDS) m.set(length, data);
  m.set(1401, 1402); // EncryptedPasswordLen → EncryptedPassword
  m.set(1403, 1404); // EncryptedNewPasswordLen → EncryptedNewPassword
  return m;
})();

/** The set of tags to mask: the always-masked ones plus `extra`. */
export function redactionSet(extra: Iterable<number> = []): ReadonlySet<number> {
  return new Set([...ALWAYS_REDACTED_TAGS, ...extra]);
}

const textEncoder = new TextEncoder();

/**
 * Renders FIX text with `|` between fields and the values of `tags` masked. Accepts a decoded
 * message, raw bytes, or a string separated by SOH or `|`.
 */
export function redactFix(
  input: FixMessage | Uint8Array | string,
  tags: ReadonlySet<number> = redactionSet(),
): string {
  if (input instanceof FixMessage) return redactDecoded(input, tags);
  const bytes = typeof input === "string" ? textEncoder.encode(input) : input;
  return redactBytes(bytes, tags);
}

function redactDecoded(msg: FixMessage, tags: ReadonlySet<number>): string {
  const parts: string[] = [];
  for (let i = 0; i < msg.size; i++) {
    const tag = msg.tagAt(i);
    parts.push(
      `${tag}=${
        tags.has(tag) ? REDACTED : display(msg.bytes, msg.valueStartAt(i), msg.valueEndAt(i))
      }`,
    );
  }
  return parts.join("|") + (msg.size > 0 ? "|" : "");
}

function redactBytes(bytes: Uint8Array, tags: ReadonlySet<number>): string {
  const sep = bytes.includes(SOH) ? SOH : PIPE;
  const n = bytes.length;
  const tokens: string[] = [];
  let i = 0;
  let pending: { tag: number; length: number } | undefined;
  // True after a masked value until the next `tag=` field: text between them may be the rest of
  // that value (a `|` inside a password), so it stays masked.
  let masking = false;
  while (i < n) {
    let j = i;
    let tag = 0;
    while (j < n && j - i < 9 && bytes[j]! >= 0x30 && bytes[j]! <= 0x39) {
      tag = tag * 10 + bytes[j]! - 0x30;
      j++;
    }
    if (j === i || j >= n || bytes[j] !== EQUALS) {
      let k = bytes.indexOf(sep, i);
      if (k < 0) k = n;
      if (!masking) tokens.push(display(bytes, i, k));
      i = k + 1;
      pending = undefined;
      continue;
    }
    const valueStart = j + 1;
    let valueEnd = -1;
    if (pending !== undefined && pending.tag === tag) {
      const end = valueStart + pending.length;
      if (end <= n && (end === n || bytes[end] === sep)) valueEnd = end;
    }
    if (valueEnd < 0) {
      valueEnd = bytes.indexOf(sep, valueStart);
      if (valueEnd < 0) valueEnd = n;
    }
    pending = undefined;
    const dataTag = LENGTH_TO_DATA.get(tag);
    if (dataTag !== undefined) {
      const length = Number(display(bytes, valueStart, valueEnd));
      if (Number.isInteger(length) && length >= 0) pending = { tag: dataTag, length };
    }
    masking = tags.has(tag);
    tokens.push(`${tag}=${masking ? REDACTED : display(bytes, valueStart, valueEnd)}`);
    i = valueEnd + 1;
  }
  const out = tokens.join("|");
  return n > 0 && bytes[n - 1] === sep ? out + "|" : out;
}

function display(bytes: Uint8Array, start: number, end: number): string {
  const s = bytesToString(bytes, start, end);
  return s.includes("\x01") ? s.replaceAll("\x01", "|") : s;
}

// SOH is the FIX field separator, so the control character is intended.
// deno-lint-ignore no-control-regex
const FIX_LIKE = /(?:^|[\x01|])\d{1,9}=/;

/** True when `text` looks like FIX fields (`8=FIX.4.4|9=…` or with SOH). */
export function looksLikeFix(text: string): boolean {
  return FIX_LIKE.test(text);
}
