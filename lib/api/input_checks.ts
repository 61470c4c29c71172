/**
 * Checks of application API input before anything is encoded, so that a
 * value can never smuggle a field (or a message) onto the FIX wire.
 *
 * - A JSON value holding a C0 control character (U+0000–U+001F: SOH, the FIX
 *   field delimiter, NUL, CR, LF, …) or DEL is refused, naming the field path
 *   (`fields.Symbol`, `fields.NoPartyIDs[0].PartyID`). The exception is a FIX
 *   data field (type DATA), whose length field carries its exact size: any
 *   byte may appear there.
 * - A raw FIX message ({@linkcode parseRawFix}) must be exactly one message:
 *   `tag=value` fields separated by SOH (or `|` when no SOH is present), at
 *   most one BeginString (first), BodyLength (second) and CheckSum (last),
 *   exactly one MsgType, nothing after the CheckSum, data fields read by their
 *   length field, and no control character in any other value.
 *
 * Pure: no I/O.
 *
 * @module
 */

/** Most fields read from one raw FIX message. */
export const MAX_RAW_FIX_FIELDS = 10_000;

/** A value that is refused, and where. */
export interface InputProblem {
  /** The field path (`fields.Symbol`) or raw field (`tag 55`). */
  readonly path: string;
  /** A sentence saying what is wrong. */
  readonly why: string;
}

function controlIn(text: string): number {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return c;
  }
  return -1;
}

function describeControl(code: number): string {
  const names: Record<number, string> = {
    0: "NUL",
    1: "SOH",
    9: "TAB",
    10: "LF",
    13: "CR",
    127: "DEL",
  };
  return `U+${code.toString(16).toUpperCase().padStart(4, "0")}${
    names[code] === undefined ? "" : ` (${names[code]})`
  }`;
}

/**
 * The first control character in a JSON value tree (strings in objects and
 * arrays, keys included), or undefined. `isDataKey(key)` says whether an
 * object key names a FIX data field, whose value may hold any character.
 */
export function findControlCharacter(
  value: unknown,
  path: string,
  isDataKey: (key: string) => boolean,
): InputProblem | undefined {
  if (typeof value === "string") {
    const c = controlIn(value);
    return c < 0 ? undefined : {
      path,
      why: `value holds the control character ${describeControl(c)}, which FIX does not allow here`,
    };
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const p = findControlCharacter(value[i], `${path}[${i}]`, isDataKey);
      if (p !== undefined) return p;
    }
    return undefined;
  }
  if (typeof value === "object" && value !== null) {
    for (const [key, v] of Object.entries(value)) {
      const here = `${path}.${key}`;
      const k = controlIn(key);
      if (k >= 0) {
        return { path: here, why: `key holds the control character ${describeControl(k)}` };
      }
      if (isDataKey(key) && (typeof v === "string" || v instanceof Uint8Array)) continue;
      const p = findControlCharacter(v, here, isDataKey);
      if (p !== undefined) return p;
    }
  }
  return undefined;
}

/** One field of a raw FIX message. */
export type RawField = readonly [tag: number, value: Uint8Array];

/** A raw FIX message split into fields, checked as the module doc says. */
export interface RawFix {
  /** MsgType (35). */
  readonly msgType: string;
  /** Every field in order, 8, 9, 35 and 10 included. */
  readonly fields: readonly RawField[];
}

/** A raw FIX message that is refused. */
export class RawFixError extends SyntaxError {
  /** Builds the error. */
  constructor(why: string) {
    super(`Cannot parse raw FIX message: ${why}`);
    this.name = "RawFixError";
  }
}

const SOH = 0x01;
const PIPE = 0x7c;
const EQ = 0x3d;

/**
 * Splits and checks one raw FIX message (see the module doc). `lengthTags`
 * maps a LENGTH tag to its DATA tag.
 *
 * @throws {RawFixError} saying which field is wrong and why
 */
export function parseRawFix(text: string, lengthTags: ReadonlyMap<number, number>): RawFix {
  const bytes = new TextEncoder().encode(text.replace(/\r?\n$/, ""));
  const delimiter = bytes.includes(SOH) ? SOH : PIPE;
  const fields: RawField[] = [];
  let dataLength: { tag: number; length: number } | undefined;
  let p = 0;
  while (p < bytes.length) {
    if (fields.length >= MAX_RAW_FIX_FIELDS) {
      throw new RawFixError(`more than ${MAX_RAW_FIX_FIELDS} fields`);
    }
    let tag = 0;
    const tagStart = p;
    while (p < bytes.length && bytes[p]! >= 0x30 && bytes[p]! <= 0x39 && p - tagStart < 9) {
      tag = tag * 10 + bytes[p]! - 0x30;
      p++;
    }
    if (p === tagStart || bytes[p] !== EQ || tag === 0 || bytes[tagStart] === 0x30) {
      const end = bytes.indexOf(delimiter, tagStart);
      const shown = new TextDecoder().decode(
        bytes.subarray(tagStart, end < 0 ? bytes.length : end),
      );
      throw new RawFixError(`field ${fields.length + 1} "${shown}" is not tag=value`);
    }
    p++; // "="
    let end: number;
    if (dataLength !== undefined && lengthTags.get(dataLength.tag) === tag) {
      end = p + dataLength.length;
      if (end > bytes.length || (end < bytes.length && bytes[end] !== delimiter)) {
        throw new RawFixError(
          `data field ${tag} is not ${dataLength.length} bytes long as its length field ${dataLength.tag} says`,
        );
      }
    } else {
      end = bytes.indexOf(delimiter, p);
      if (end < 0) end = bytes.length;
      const value = bytes.subarray(p, end);
      const c = value.findIndex((b) => b < 0x20 || b === 0x7f);
      if (c >= 0) {
        throw new RawFixError(
          `tag ${tag} holds the control character ${describeControl(value[c]!)}`,
        );
      }
    }
    const value = bytes.slice(p, end);
    if (value.length === 0) throw new RawFixError(`tag ${tag} has no value`);
    dataLength = undefined;
    if (lengthTags.has(tag)) {
      const n = Number(new TextDecoder().decode(value));
      if (!Number.isSafeInteger(n) || n < 1 || !/^\d+$/.test(new TextDecoder().decode(value))) {
        throw new RawFixError(`length field ${tag} must be a positive integer`);
      }
      dataLength = { tag, length: n };
    }
    fields.push([tag, value]);
    p = end + 1;
  }
  return { msgType: checkStructure(fields), fields };
}

function checkStructure(fields: readonly RawField[]): string {
  let msgType: string | undefined;
  for (let i = 0; i < fields.length; i++) {
    const tag = fields[i]![0];
    if (tag === 8 && i !== 0) {
      throw new RawFixError(
        `BeginString (8) at field ${
          i + 1
        }: a request carries exactly one message, and 8 only first`,
      );
    }
    if (tag === 9 && !(i === 1 && fields[0]![0] === 8)) {
      throw new RawFixError(`BodyLength (9) at field ${i + 1}: it may only follow BeginString`);
    }
    if (tag === 10 && i !== fields.length - 1) {
      throw new RawFixError(
        `fields after CheckSum (10) at field ${i + 1}: a request carries exactly one message`,
      );
    }
    if (tag === 35) {
      if (msgType !== undefined) {
        throw new RawFixError(
          `MsgType (35) given twice (field ${i + 1}): a request carries exactly one message`,
        );
      }
      msgType = new TextDecoder().decode(fields[i]![1]);
    }
  }
  if (msgType === undefined) throw new RawFixError("no MsgType (35)");
  return msgType;
}
