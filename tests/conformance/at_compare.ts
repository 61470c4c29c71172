/**
 * What the acceptance runner does with the engine's bytes: cut them into messages (checking
 * BodyLength and CheckSum), and compare a received message with a script's expectation. Pure.
 *
 * ## Comparison
 *
 * Some values cannot be known when a script is written: CheckSum, SendingTime and other
 * timestamps. `fields.fmt` lists those tags with a pattern (`TAG=REGEX`, one per line) that the
 * received value must match instead of the script's value. The pattern must match at the start
 * of the value (QuickFIX's runner accepts a match anywhere in it; a value with garbage before the
 * timestamp is wrong, while the suite's own expectations — a pattern without milliseconds for a
 * field the engine sends with them — need the match to stop before the end).
 *
 * - `semantic` (default): the received message starts with 8, 9, 35 and ends with 10; BeginString
 *   and MsgType equal the expected ones; every other field is compared as a multiset of
 *   `tag=value` (order does not matter, repeated tags count), pattern tags by pattern, lenient tags
 *   (Text, 58, by default: reject texts are the engine's own words) only by presence. BodyLength and
 *   CheckSum are not compared with the script: the framer has already checked that they are right
 *   for the bytes received, and a script's BodyLength assumes another engine's texts.
 * - `strict` (the original QuickFIX runner's rule): the same fields in the same order, values
 *   equal except pattern tags, which match their pattern.
 *
 * @module
 */

import { checksumOf } from "./at_script.ts";

/** Tag → pattern the received value must match instead of the expected value. */
export type FieldPatterns = ReadonlyMap<number, RegExp>;

/** Reads `fields.fmt`: one `TAG=REGEX` per line; blank lines and `#` comments are ignored. */
export function parseFieldPatterns(text: string, source = "fields.fmt"): FieldPatterns {
  const patterns = new Map<number, RegExp>();
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === "" || line.startsWith("#")) continue;
    const eq = line.indexOf("=");
    const tag = Number(line.slice(0, eq));
    if (eq <= 0 || !Number.isInteger(tag) || tag <= 0) {
      throw new SyntaxError(`Cannot parse ${source} line ${i + 1}: expected TAG=REGEX`);
    }
    patterns.set(tag, new RegExp(`^(?:${line.slice(eq + 1)})`));
  }
  return patterns;
}

/** The patterns of the QuickFIX suite's `fields.fmt`, for when no file is given. */
export const DEFAULT_FIELD_PATTERNS: FieldPatterns = parseFieldPatterns(
  [
    "10=\\d{3}",
    "42=\\d{8}-\\d{2}:\\d{2}:\\d{2}",
    "52=\\d{8}-\\d{2}:\\d{2}:\\d{2}|\\d{8}-\\d{2}:\\d{2}:\\d{2}[.]\\d{3}",
    "60=\\d{8}-\\d{2}:\\d{2}:\\d{2}",
    "122=\\d{8}-\\d{2}:\\d{2}:\\d{2}",
  ].join("\n"),
);

/** Tags compared only by presence in `semantic` mode, by default: Text (58). */
export const DEFAULT_LENIENT_TAGS: readonly number[] = [58];

/** The longest message the framer accepts before it calls the stream garbled. */
export const DEFAULT_MAX_MESSAGE_BYTES = 1024 * 1024;

/** The result of looking for one message at the start of a buffer. */
export type FrameResult =
  /** A whole message: its text and how many bytes it took. */
  | { readonly kind: "message"; readonly text: string; readonly bytes: number }
  /** Not enough bytes yet. */
  | { readonly kind: "partial" }
  /** Bytes that cannot be a correct FIX message. */
  | { readonly kind: "invalid"; readonly reason: string };

const decoder = new TextDecoder();
const SOH = 0x01;

function indexOfByte(buffer: Uint8Array, byte: number, from: number): number {
  const i = buffer.subarray(from).indexOf(byte);
  return i < 0 ? -1 : from + i;
}

function startsWithAscii(buffer: Uint8Array, at: number, text: string): boolean | undefined {
  for (let i = 0; i < text.length; i++) {
    if (at + i >= buffer.length) return undefined;
    if (buffer[at + i] !== text.charCodeAt(i)) return false;
  }
  return true;
}

/**
 * Cuts the first message off `buffer`: `8=…<SOH>9=N<SOH>`, N bytes of body, `10=DDD<SOH>`, with
 * the CheckSum right for the bytes before it.
 */
export function takeMessage(
  buffer: Uint8Array,
  maxMessageBytes = DEFAULT_MAX_MESSAGE_BYTES,
): FrameResult {
  if (buffer.length === 0) return { kind: "partial" };
  const begins = startsWithAscii(buffer, 0, "8=");
  if (begins === undefined) return { kind: "partial" };
  if (!begins) return { kind: "invalid", reason: "data does not start with BeginString (8=)" };
  const beginEnd = indexOfByte(buffer, SOH, 0);
  if (beginEnd < 0) {
    return buffer.length > 64
      ? { kind: "invalid", reason: "BeginString is not terminated" }
      : { kind: "partial" };
  }
  const lengthTag = startsWithAscii(buffer, beginEnd + 1, "9=");
  if (lengthTag === undefined) return { kind: "partial" };
  if (!lengthTag) return { kind: "invalid", reason: "the second field is not BodyLength (9)" };
  const lengthEnd = indexOfByte(buffer, SOH, beginEnd + 3);
  if (lengthEnd < 0) {
    return buffer.length - beginEnd > 16
      ? { kind: "invalid", reason: "BodyLength is not terminated" }
      : { kind: "partial" };
  }
  const lengthText = decoder.decode(buffer.subarray(beginEnd + 3, lengthEnd));
  if (!/^\d+$/.test(lengthText)) {
    return { kind: "invalid", reason: `BodyLength ${JSON.stringify(lengthText)} is not a number` };
  }
  const bodyEnd = lengthEnd + 1 + Number(lengthText);
  const total = bodyEnd + 7;
  if (total > maxMessageBytes) {
    return { kind: "invalid", reason: `message of ${total} bytes exceeds ${maxMessageBytes}` };
  }
  if (buffer.length < total) return { kind: "partial" };
  const trailer = decoder.decode(buffer.subarray(bodyEnd, total));
  if (
    buffer[bodyEnd - 1] !== SOH || !/^10=\d{3}$/.test(trailer.slice(0, -1)) ||
    !trailer.endsWith("\x01")
  ) {
    return {
      kind: "invalid",
      reason: `BodyLength ${lengthText} does not end on the CheckSum field ` +
        `(found ${JSON.stringify(decoder.decode(buffer.subarray(bodyEnd, total)))})`,
    };
  }
  const expected = checksumOf(buffer.subarray(0, bodyEnd));
  const actual = Number(trailer.slice(3, 6));
  if (expected !== actual) {
    return {
      kind: "invalid",
      reason: `CheckSum ${trailer.slice(3, 6)} is wrong: the bytes sum to ${
        String(expected).padStart(3, "0")
      }`,
    };
  }
  return { kind: "message", text: decoder.decode(buffer.subarray(0, total)), bytes: total };
}

/** How messages are compared (see the module documentation). */
export type CompareMode = "semantic" | "strict";

/** Options of {@linkcode compareMessages}. */
export interface CompareOptions {
  /** The comparison rule; default `semantic`. */
  readonly mode?: CompareMode;
  /** Tags whose received value must match a pattern; default {@linkcode DEFAULT_FIELD_PATTERNS}. */
  readonly patterns?: FieldPatterns;
  /** Tags compared only by presence (semantic mode); default {@linkcode DEFAULT_LENIENT_TAGS}. */
  readonly lenientTags?: readonly number[];
}

/** One `tag=value` pair of a message, in order. */
export interface Field {
  /** The tag number (NaN when the field has no numeric tag). */
  readonly tag: number;
  /** The value (everything after the first `=`). */
  readonly value: string;
}

/** Splits a message into fields; the trailing SOH yields no field. */
export function splitFields(message: string): Field[] {
  const parts = message.split("\x01");
  if (parts.at(-1) === "") parts.pop();
  return parts.map((p) => {
    const eq = p.indexOf("=");
    return eq < 0
      ? { tag: NaN, value: p }
      : { tag: Number(p.slice(0, eq)), value: p.slice(eq + 1) };
  });
}

const show = (f: Field) => `${f.tag}=${f.value}`;

/**
 * Compares a received message with the expected one. Returns the differences, one sentence each;
 * an empty list means they match.
 */
export function compareMessages(
  expected: string,
  received: string,
  options: CompareOptions = {},
): string[] {
  const patterns = options.patterns ?? DEFAULT_FIELD_PATTERNS;
  const want = splitFields(expected);
  const got = splitFields(received);
  if ((options.mode ?? "semantic") === "strict") return compareStrict(want, got, patterns);
  const lenient = new Set(options.lenientTags ?? DEFAULT_LENIENT_TAGS);
  const problems: string[] = [];
  const shape = got.map((f) => f.tag);
  if (shape[0] !== 8 || shape[1] !== 9 || shape[2] !== 35 || shape.at(-1) !== 10) {
    problems.push("received message does not start with 8, 9, 35 and end with 10");
  }
  for (const tag of [8, 35]) {
    const w = want.find((f) => f.tag === tag)?.value;
    const g = got.find((f) => f.tag === tag)?.value;
    if (w !== g) problems.push(`${tag} should be ${w} but is ${g}`);
  }
  const checksum = got.find((f) => f.tag === 10);
  const checksumPattern = patterns.get(10);
  if (checksum && checksumPattern && !checksumPattern.test(checksum.value)) {
    problems.push(`10=${checksum.value} does not match ${checksumPattern.source}`);
  }
  const skip = new Set([8, 9, 10, 35]);
  const rest = got.filter((f) => !skip.has(f.tag));
  for (const w of want.filter((f) => !skip.has(f.tag))) {
    const pattern = patterns.get(w.tag);
    const i = rest.findIndex((g) =>
      g.tag === w.tag &&
      (lenient.has(w.tag) || (pattern ? pattern.test(g.value) : g.value === w.value))
    );
    if (i >= 0) {
      rest.splice(i, 1);
      continue;
    }
    const other = rest.find((g) => g.tag === w.tag);
    if (other === undefined) problems.push(`missing ${show(w)}`);
    else if (pattern) problems.push(`${show(other)} does not match ${pattern.source}`);
    else problems.push(`${w.tag} should be ${w.value} but is ${other.value}`);
    if (other) rest.splice(rest.indexOf(other), 1);
  }
  for (const g of rest) problems.push(`unexpected ${show(g)}`);
  return problems;
}

function compareStrict(want: Field[], got: Field[], patterns: FieldPatterns): string[] {
  if (want.length !== got.length) {
    return [`expected ${want.length} fields but received ${got.length}`];
  }
  for (let i = 0; i < want.length; i++) {
    const w = want[i]!;
    const g = got[i]!;
    if (w.tag !== g.tag) return [`field ${i + 1} should be tag ${w.tag} but is tag ${g.tag}`];
    const pattern = patterns.get(w.tag);
    if (pattern ? !pattern.test(g.value) : g.value !== w.value) {
      return [
        pattern
          ? `${show(g)} does not match ${pattern.source}`
          : `${w.tag} should be ${w.value} but is ${g.value}`,
      ];
    }
  }
  return [];
}

/** A message as people read it: SOH shown as `|`. */
export function printable(message: string): string {
  return message.replaceAll("\x01", "|");
}
