/**
 * A decoded FIX message as a view over its bytes.
 *
 * Decoding records, for every field, its tag and where its value starts and
 * ends inside the message bytes; nothing is copied and no string is made until
 * a value is read. Repeated tags are kept in wire order. Length-prefixed data
 * fields (95/96, 212/213, 354/355, …) are read by the length given in their
 * length field, so their values may contain SOH.
 *
 * @module
 */

import {
  Decimal,
  type FixDate,
  type MonthYear,
  parseFixBoolean,
  parseFixChar,
  parseLocalMktDate,
  parseMonthYear,
  parseUtcDateOnly,
  parseUtcTimeOnly,
  parseUtcTimestamp,
  type UtcTimeOnly,
  type UtcTimestamp,
} from "./values.ts";

/** The FIX field delimiter, SOH (0x01). */
export const SOH = 0x01;
const EQUALS = 0x3d;
const ZERO = 0x30;

/**
 * The standard data fields: each DATA tag mapped to the LENGTH tag that precedes it.
 * Dictionaries may supply their own map (see {@linkcode DecodeOptions.dataFields}).
 */
export const STANDARD_DATA_FIELDS: ReadonlyMap<number, number> = new Map([
  [89, 93], // Signature ← SignatureLength
  [91, 90], // SecureData ← SecureDataLen
  [96, 95], // RawData ← RawDataLength
  [213, 212], // XmlData ← XmlDataLen
  [349, 348], // EncodedIssuer ← EncodedIssuerLen
  [351, 350], // EncodedSecurityDesc ← EncodedSecurityDescLen
  [353, 352], // EncodedListExecInst ← EncodedListExecInstLen
  [355, 354], // EncodedText ← EncodedTextLen
  [357, 356], // EncodedSubject ← EncodedSubjectLen
  [359, 358], // EncodedHeadline ← EncodedHeadlineLen
  [361, 360], // EncodedAllocText ← EncodedAllocTextLen
  [363, 362], // EncodedUnderlyingIssuer ← EncodedUnderlyingIssuerLen
  [365, 364], // EncodedUnderlyingSecurityDesc ← EncodedUnderlyingSecurityDescLen
  [446, 445], // EncodedListStatusText ← EncodedListStatusTextLen
  [619, 618], // EncodedLegIssuer ← EncodedLegIssuerLen
  [622, 621], // EncodedLegSecurityDesc ← EncodedLegSecurityDescLen
]);

/** The LENGTH tags of {@linkcode STANDARD_DATA_FIELDS}, mapped to their DATA tag. */
export function lengthTagsOf(dataFields: ReadonlyMap<number, number>): Map<number, number> {
  const out = new Map<number, number>();
  for (const [data, length] of dataFields) out.set(length, data);
  return out;
}

const STANDARD_LENGTH_TAGS = lengthTagsOf(STANDARD_DATA_FIELDS);

/** Options for {@linkcode decodeMessage}. */
export interface DecodeOptions {
  /**
   * LENGTH tag → DATA tag pairs: when a LENGTH field is followed by its DATA
   * field, the DATA value is read by that length and may contain SOH.
   * Defaults to the standard FIX data fields.
   */
  readonly lengthTags?: ReadonlyMap<number, number>;
}

/** Thrown when bytes are not a syntactically valid tag=value message. */
export class FixParseError extends SyntaxError {
  /** Byte offset in the message where parsing failed. */
  readonly offset: number;
  /** Tag of the field being read, when known. */
  readonly tag: number | undefined;
  constructor(message: string, offset: number, tag?: number) {
    super(message);
    this.name = "FixParseError";
    this.offset = offset;
    this.tag = tag;
  }
}

/** Thrown by typed readers when a present value has the wrong format. */
export class FixFieldFormatError extends SyntaxError {
  /** The tag whose value could not be read. */
  readonly tag: number;
  constructor(tag: number, expected: string, value: string) {
    super(`Cannot read tag ${tag} as ${expected}: value is "${value}"`);
    this.name = "FixFieldFormatError";
    this.tag = tag;
  }
}

const latin1 = new TextDecoder("latin1");
const utf8 = new TextDecoder("utf-8");

/** Decodes bytes [start, end) to a string: ASCII by char codes, the rest as UTF-8. */
export function bytesToString(bytes: Uint8Array, start: number, end: number): string {
  let high = 0;
  for (let i = start; i < end; i++) high |= bytes[i]!;
  if (high >= 0x80) return utf8.decode(bytes.subarray(start, end));
  const length = end - start;
  if (length <= 16) return asciiUpTo16(bytes, start, length);
  if (length > 512) return latin1.decode(bytes.subarray(start, end));
  let out = "";
  for (let i = start; i < end; i += 16) out += asciiUpTo16(bytes, i, Math.min(16, end - i));
  return out;
}

/**
 * `length` (0–16) ASCII bytes at `s` as a string. One String.fromCharCode
 * call with the bytes as arguments is several times faster than building
 * the string char by char or through TextDecoder, for the short values that
 * make up most FIX fields.
 */
function asciiUpTo16(b: Uint8Array, s: number, length: number): string {
  const f = String.fromCharCode;
  switch (length) {
    case 0:
      return "";
    case 1:
      return f(b[s]!);
    case 2:
      return f(b[s]!, b[s + 1]!);
    case 3:
      return f(b[s]!, b[s + 1]!, b[s + 2]!);
    case 4:
      return f(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!);
    case 5:
      return f(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!);
    case 6:
      return f(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!);
    case 7:
      return f(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!);
    case 8:
      return f(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!, b[s + 7]!);
    case 9:
      return f(
        b[s]!,
        b[s + 1]!,
        b[s + 2]!,
        b[s + 3]!,
        b[s + 4]!,
        b[s + 5]!,
        b[s + 6]!,
        b[s + 7]!,
        b[s + 8]!,
      );
    case 10:
      return f(
        b[s]!,
        b[s + 1]!,
        b[s + 2]!,
        b[s + 3]!,
        b[s + 4]!,
        b[s + 5]!,
        b[s + 6]!,
        b[s + 7]!,
        b[s + 8]!,
        b[s + 9]!,
      );
    case 11:
      return f(
        b[s]!,
        b[s + 1]!,
        b[s + 2]!,
        b[s + 3]!,
        b[s + 4]!,
        b[s + 5]!,
        b[s + 6]!,
        b[s + 7]!,
        b[s + 8]!,
        b[s + 9]!,
        b[s + 10]!,
      );
    case 12:
      return f(
        b[s]!,
        b[s + 1]!,
        b[s + 2]!,
        b[s + 3]!,
        b[s + 4]!,
        b[s + 5]!,
        b[s + 6]!,
        b[s + 7]!,
        b[s + 8]!,
        b[s + 9]!,
        b[s + 10]!,
        b[s + 11]!,
      );
    case 13:
      return f(
        b[s]!,
        b[s + 1]!,
        b[s + 2]!,
        b[s + 3]!,
        b[s + 4]!,
        b[s + 5]!,
        b[s + 6]!,
        b[s + 7]!,
        b[s + 8]!,
        b[s + 9]!,
        b[s + 10]!,
        b[s + 11]!,
        b[s + 12]!,
      );
    case 14:
      return f(
        b[s]!,
        b[s + 1]!,
        b[s + 2]!,
        b[s + 3]!,
        b[s + 4]!,
        b[s + 5]!,
        b[s + 6]!,
        b[s + 7]!,
        b[s + 8]!,
        b[s + 9]!,
        b[s + 10]!,
        b[s + 11]!,
        b[s + 12]!,
        b[s + 13]!,
      );
    case 15:
      return f(
        b[s]!,
        b[s + 1]!,
        b[s + 2]!,
        b[s + 3]!,
        b[s + 4]!,
        b[s + 5]!,
        b[s + 6]!,
        b[s + 7]!,
        b[s + 8]!,
        b[s + 9]!,
        b[s + 10]!,
        b[s + 11]!,
        b[s + 12]!,
        b[s + 13]!,
        b[s + 14]!,
      );
    case 16:
      return f(
        b[s]!,
        b[s + 1]!,
        b[s + 2]!,
        b[s + 3]!,
        b[s + 4]!,
        b[s + 5]!,
        b[s + 6]!,
        b[s + 7]!,
        b[s + 8]!,
        b[s + 9]!,
        b[s + 10]!,
        b[s + 11]!,
        b[s + 12]!,
        b[s + 13]!,
        b[s + 14]!,
        b[s + 15]!,
      );
    default:
      throw new RangeError(`Cannot decode ${length} bytes at once: at most 16`);
  }
}

/**
 * A decoded message: field tags and value offsets into {@linkcode FixMessage.bytes}.
 *
 * Field `i` (0-based, wire order) has tag {@linkcode FixMessage.tagAt}(i) and value
 * bytes `[valueStartAt(i), valueEndAt(i))`. Look-ups by tag return the first occurrence.
 *
 * Internally the message refers to a byte range of a larger buffer (the
 * framer's) and to a range of a shared field table, so decoding allocates no
 * typed array; {@linkcode FixMessage.bytes} makes its view on first use.
 * Holding a message therefore holds that buffer and table (64 KiB each by
 * default): to keep many messages for a long time, keep copies
 * (`decodeMessage(msg.bytes.slice())`).
 */
export class FixMessage {
  /** Number of fields. */
  readonly size: number;
  readonly #buf: Uint8Array;
  readonly #offset: number;
  readonly #length: number;
  #bytes: Uint8Array | undefined;
  // [tag, valueStart, valueEnd] per field, from #base; offsets relative to #offset
  readonly #fields: Int32Array;
  readonly #base: number;
  #msgType: string | undefined;
  #msgSeqNum: number | undefined;

  /**
   * Use {@linkcode decodeMessage}; this constructor trusts its input.
   *
   * @param bytes the message bytes, or the buffer holding them at `byteOffset`
   * @param fields `[tag, valueStart, valueEnd]` per field, offsets relative to the message start
   * @param size number of fields
   * @param fieldBase index in `fields` of the first field's tag
   * @param byteOffset where the message starts in `bytes`
   * @param byteLength the message's length in bytes
   */
  constructor(
    bytes: Uint8Array,
    fields: Int32Array,
    size: number,
    fieldBase = 0,
    byteOffset = 0,
    byteLength: number = bytes.length - byteOffset,
  ) {
    this.#buf = bytes;
    this.#offset = byteOffset;
    this.#length = byteLength;
    this.#fields = fields;
    this.#base = fieldBase;
    this.size = size;
  }

  /** The message bytes, from `8=` to the SOH that ends CheckSum. A view, never copied. */
  get bytes(): Uint8Array {
    if (this.#bytes === undefined) {
      const buf = this.#buf;
      this.#bytes = this.#offset === 0 && this.#length === buf.length
        ? buf
        : buf.subarray(this.#offset, this.#offset + this.#length);
    }
    return this.#bytes;
  }

  /** Length of the message in bytes. */
  get byteLength(): number {
    return this.#length;
  }

  /** Tag of field `i`. */
  tagAt(i: number): number {
    return this.#fields[this.#base + i * 3]!;
  }
  /** Offset of the first byte of field `i`'s value. */
  valueStartAt(i: number): number {
    return this.#fields[this.#base + i * 3 + 1]!;
  }
  /** Offset just past field `i`'s value. */
  valueEndAt(i: number): number {
    return this.#fields[this.#base + i * 3 + 2]!;
  }
  /** Offset of the first byte of field `i` (its tag). */
  fieldStartAt(i: number): number {
    if (i === 0) return 0;
    return this.#fields[this.#base + (i - 1) * 3 + 2]! + 1;
  }
  /** Value of field `i` as a string. */
  stringAt(i: number): string {
    const f = this.#fields;
    const o = this.#base + i * 3;
    const off = this.#offset;
    return bytesToString(this.#buf, off + f[o + 1]!, off + f[o + 2]!);
  }
  /** Value of field `i` as bytes (a view, not a copy). */
  bytesAt(i: number): Uint8Array {
    const f = this.#fields;
    const o = this.#base + i * 3;
    const off = this.#offset;
    return this.#buf.subarray(off + f[o + 1]!, off + f[o + 2]!);
  }

  /** Position of the first field with `tag` at or after `from`, or -1. */
  indexOf(tag: number, from = 0): number {
    const f = this.#fields;
    const base = this.#base;
    const n = base + this.size * 3;
    for (let i = base + from * 3; i < n; i += 3) {
      if (f[i] === tag) return (i - base) / 3;
    }
    return -1;
  }

  /** Whether the message has a field with `tag`. */
  has(tag: number): boolean {
    return this.indexOf(tag) >= 0;
  }

  /** First value of `tag` as a string, or undefined when absent. */
  get(tag: number): string | undefined {
    const i = this.indexOf(tag);
    return i < 0 ? undefined : this.stringAt(i);
  }

  /** Every value of `tag`, in wire order. */
  getAll(tag: number): string[] {
    const out: string[] = [];
    for (let i = this.indexOf(tag); i >= 0; i = this.indexOf(tag, i + 1)) {
      out.push(this.stringAt(i));
    }
    return out;
  }

  /** First value of `tag` as bytes (a view), or undefined when absent. */
  getBytes(tag: number): Uint8Array | undefined {
    const i = this.indexOf(tag);
    return i < 0 ? undefined : this.bytesAt(i);
  }

  /**
   * Value of field `i` as a non-negative or negative integer, or NaN when it is not one.
   * Reads the bytes directly; no string is made.
   */
  intAt(i: number): number {
    const f = this.#fields;
    const o = this.#base + i * 3;
    const off = this.#offset;
    let p = off + f[o + 1]!;
    const end = off + f[o + 2]!;
    const b = this.#buf;
    if (p >= end) return NaN;
    let negative = false;
    if (b[p] === 0x2d) {
      negative = true;
      p++;
      if (p >= end) return NaN;
    }
    let n = 0;
    for (; p < end; p++) {
      const d = b[p]! - ZERO;
      if (d < 0 || d > 9) return NaN;
      n = n * 10 + d;
    }
    if (n > Number.MAX_SAFE_INTEGER) return NaN;
    return negative ? -n : n;
  }

  /**
   * First value of `tag` as an integer, or undefined when absent.
   * @throws {FixFieldFormatError} when the value is not an integer
   */
  getInt(tag: number): number | undefined {
    const i = this.indexOf(tag);
    if (i < 0) return undefined;
    const n = this.intAt(i);
    if (Number.isNaN(n)) throw new FixFieldFormatError(tag, "int", this.stringAt(i));
    return n;
  }

  /** First value of `tag` as a string (same as {@linkcode FixMessage.get}). */
  getString(tag: number): string | undefined {
    return this.get(tag);
  }

  /** First value of data field `tag` as bytes (a view; may contain SOH), or undefined. */
  getData(tag: number): Uint8Array | undefined {
    return this.getBytes(tag);
  }

  #typed<T>(tag: number, expected: string, parse: (text: string) => T | undefined): T | undefined {
    const i = this.indexOf(tag);
    if (i < 0) return undefined;
    const text = this.stringAt(i);
    const value = parse(text);
    if (value === undefined) throw new FixFieldFormatError(tag, expected, text);
    return value;
  }

  /**
   * First value of `tag` as a {@linkcode Decimal} (exact: `187.250` keeps its scale),
   * or undefined when absent.
   * @throws {FixFieldFormatError} when the value is not a FIX float
   */
  getDecimal(tag: number): Decimal | undefined {
    return this.#typed(tag, "float", Decimal.parse);
  }

  /**
   * First value of `tag` as a number (nearest double), or undefined when absent.
   * @throws {FixFieldFormatError} when the value is not a FIX float
   */
  getFloat(tag: number): number | undefined {
    return this.getDecimal(tag)?.toNumber();
  }

  /**
   * First value of `tag` as a single character, or undefined when absent.
   * @throws {FixFieldFormatError} when the value is not exactly one character
   */
  getChar(tag: number): string | undefined {
    return this.#typed(tag, "char", parseFixChar);
  }

  /**
   * First value of `tag` as a Boolean (`Y`/`N`), or undefined when absent.
   * @throws {FixFieldFormatError} when the value is neither `Y` nor `N`
   */
  getBoolean(tag: number): boolean | undefined {
    return this.#typed(tag, "Boolean", parseFixBoolean);
  }

  /**
   * First value of `tag` as a UTCTimestamp, or undefined when absent.
   * @throws {FixFieldFormatError} when the value is not `YYYYMMDD-HH:MM:SS[.f…]`
   */
  getUtcTimestamp(tag: number): UtcTimestamp | undefined {
    return this.#typed(tag, "UTCTimestamp", parseUtcTimestamp);
  }

  /**
   * First value of `tag` as a UTCTimeOnly, or undefined when absent.
   * @throws {FixFieldFormatError} when the value is not `HH:MM:SS[.f…]`
   */
  getUtcTimeOnly(tag: number): UtcTimeOnly | undefined {
    return this.#typed(tag, "UTCTimeOnly", parseUtcTimeOnly);
  }

  /**
   * First value of `tag` as a UTCDateOnly, or undefined when absent.
   * @throws {FixFieldFormatError} when the value is not a calendar date `YYYYMMDD`
   */
  getUtcDateOnly(tag: number): FixDate | undefined {
    return this.#typed(tag, "UTCDateOnly", parseUtcDateOnly);
  }

  /**
   * First value of `tag` as a LocalMktDate, or undefined when absent.
   * @throws {FixFieldFormatError} when the value is not a calendar date `YYYYMMDD`
   */
  getLocalMktDate(tag: number): FixDate | undefined {
    return this.#typed(tag, "LocalMktDate", parseLocalMktDate);
  }

  /**
   * First value of `tag` as a MonthYear, or undefined when absent.
   * @throws {FixFieldFormatError} when the value is not `YYYYMM`, `YYYYMMDD` or `YYYYMMwN`
   */
  getMonthYear(tag: number): MonthYear | undefined {
    return this.#typed(tag, "MonthYear", parseMonthYear);
  }

  /** BeginString (8). */
  get beginString(): string {
    return this.stringAt(0);
  }

  /** MsgType (35), the third field of a framed message. */
  get msgType(): string {
    if (this.#msgType === undefined) {
      const i = this.size > 2 && this.tagAt(2) === 35 ? 2 : this.indexOf(35);
      this.#msgType = i < 0 ? "" : this.stringAt(i);
    }
    return this.#msgType;
  }

  /** MsgSeqNum (34), or NaN when absent or not an integer. */
  get msgSeqNum(): number {
    // read by the session and again by the store for every message: looked up once
    if (this.#msgSeqNum === undefined) {
      const i = this.indexOf(34);
      this.#msgSeqNum = i < 0 ? NaN : this.intAt(i);
    }
    return this.#msgSeqNum;
  }

  /** The message as text with `|` for SOH, for logs and tools. */
  toString(): string {
    const b = this.#buf;
    let s = "";
    for (let i = this.#offset; i < this.#offset + this.#length; i++) {
      const c = b[i]!;
      s += c === SOH ? "|" : String.fromCharCode(c);
    }
    return s;
  }
}

/**
 * Size of one shared field table, in Int32 entries (3 per field). Decoded
 * messages take consecutive ranges of the current table; a new one is made
 * when it is full (allocating a typed array per message costs far more than a
 * decode). A table lives as long as any message that uses it.
 */
export const FIELD_TABLE_ENTRIES = 16 * 1024;

/** Tags are Int32: a tag this large cannot take another digit. */
const MAX_TAG_PREFIX = 214748364;

let table = new Int32Array(FIELD_TABLE_ENTRIES);
let tableUsed = 0;

/** Tags up to this are tested with a bitmap; larger LENGTH tags with the map itself. */
const BITMAP_MAX_TAG = 65535;

/** Sets of LENGTH tags as bitmaps, so decoding tests a tag with one array read. */
const lengthTagBitmaps = new WeakMap<ReadonlyMap<number, number>, Uint8Array>();

/** The bitmap of `lengthTags`; its last entry is 1 when some LENGTH tag is above it. */
function bitmapOf(lengthTags: ReadonlyMap<number, number>): Uint8Array {
  let bits = lengthTagBitmaps.get(lengthTags);
  if (bits === undefined) {
    let max = 0;
    for (const tag of lengthTags.keys()) if (tag > max) max = tag;
    bits = new Uint8Array(Math.min(max, BITMAP_MAX_TAG) + 2);
    for (const tag of lengthTags.keys()) {
      if (tag > 0 && tag <= BITMAP_MAX_TAG) bits[tag] = 1;
      else if (tag > BITMAP_MAX_TAG) bits[bits.length - 1] = 1;
    }
    lengthTagBitmaps.set(lengthTags, bits);
  }
  return bits;
}

/** Whether `tag` is a LENGTH tag, given `bits` from {@linkcode bitmapOf}. */
function isLengthTag(
  tag: number,
  bits: Uint8Array,
  lengthTags: ReadonlyMap<number, number>,
): boolean {
  const last = bits.length - 1;
  return tag < last ? bits[tag] === 1 : bits[last] === 1 && lengthTags.has(tag);
}

let lastLengthTags: ReadonlyMap<number, number> = STANDARD_LENGTH_TAGS;
let lastBitmap = bitmapOf(STANDARD_LENGTH_TAGS);

/**
 * Splits `bytes` (one complete message) into fields without copying.
 *
 * Checks syntax only: every field is `tag=value` followed by SOH, tags are
 * positive integers, data fields have the length their LENGTH field says.
 * Framing checks (field order of 8/9/35/10, BodyLength, CheckSum) belong to
 * the framer; validation against a dictionary to the dictionary.
 *
 * @throws {FixParseError} when the bytes are not tag=value syntax
 */
export function decodeMessage(bytes: Uint8Array, options?: DecodeOptions): FixMessage {
  return decodeMessageAt(bytes, 0, bytes.length, options);
}

/**
 * {@linkcode decodeMessage} for the message at `[start, end)` of a larger
 * buffer, without making a view of it (the framer's path). Offsets in the
 * result are relative to `start`.
 *
 * @throws {FixParseError} when the bytes are not tag=value syntax; offsets in
 *   the error are relative to `start`
 */
export function decodeMessageAt(
  buf: Uint8Array,
  start: number,
  end: number,
  options?: DecodeOptions,
): FixMessage {
  const lengthTags = options?.lengthTags ?? STANDARD_LENGTH_TAGS;
  if (lengthTags !== lastLengthTags) {
    lastLengthTags = lengthTags;
    lastBitmap = bitmapOf(lengthTags);
  }
  if (end > start && buf[end - 1] === SOH) {
    const message = decodeFast(buf, start, end, lengthTags, lastBitmap, 0, 0);
    if (message !== undefined) return message;
  }
  return decodeChecked(buf, start, end, lengthTags, lastBitmap);
}

/**
 * {@linkcode decodeMessageAt} for the framer, which has already read fields 8
 * and 9: `beginValueEnd` is the SOH after BeginString's value and
 * `bodyStart` the first byte after BodyLength's SOH.
 * @internal
 */
export function decodeFramedAt(
  buf: Uint8Array,
  start: number,
  end: number,
  options: DecodeOptions | undefined,
  beginValueEnd: number,
  bodyStart: number,
): FixMessage {
  const lengthTags = options?.lengthTags ?? STANDARD_LENGTH_TAGS;
  if (lengthTags !== lastLengthTags) {
    lastLengthTags = lengthTags;
    lastBitmap = bitmapOf(lengthTags);
  }
  if (end > start && buf[end - 1] === SOH) {
    const message = decodeFast(
      buf,
      start,
      end,
      lengthTags,
      lastBitmap,
      beginValueEnd,
      bodyStart,
    );
    if (message !== undefined) return message;
  }
  return decodeChecked(buf, start, end, lengthTags, lastBitmap);
}

/**
 * The decoder's hot path, for bytes that end in SOH: that SOH stops every
 * scan, so the loops need no bounds checks. Returns undefined on any syntax
 * error; {@linkcode decodeChecked} then finds and reports it.
 */
function decodeFast(
  buf: Uint8Array,
  start: number,
  end: number,
  lengthTags: ReadonlyMap<number, number>,
  bits: Uint8Array,
  beginValueEnd: number,
  bodyStart: number,
): FixMessage | undefined {
  // every field takes at least 3 bytes ("1=" SOH)
  const maxEntries = (Math.floor((end - start) / 3) + 1) * 3;
  let fields = table;
  let base = tableUsed;
  if (base + maxEntries > fields.length) {
    fields = new Int32Array(Math.max(FIELD_TABLE_ENTRIES, maxEntries));
    table = fields;
    tableUsed = 0;
    base = 0;
  }
  let o = base;
  let p = start;
  if (bodyStart > 0) {
    // fields 8 and 9, already read by the framer
    fields[o] = 8;
    fields[o + 1] = 2;
    fields[o + 2] = beginValueEnd - start;
    fields[o + 3] = 9;
    fields[o + 4] = beginValueEnd + 3 - start;
    fields[o + 5] = bodyStart - 1 - start;
    o += 6;
    p = bodyStart;
  }
  let pendingDataTag = 0;
  let pendingDataLength = -1;
  while (p < end) {
    let c = buf[p]!;
    let tag = c - ZERO;
    if (tag < 0 || tag > 9) return undefined;
    c = buf[++p]!;
    while (c !== EQUALS) {
      const d = c - ZERO;
      if (d < 0 || d > 9 || tag >= MAX_TAG_PREFIX) return undefined;
      tag = tag * 10 + d;
      c = buf[++p]!;
    }
    if (tag === 0) return undefined;
    const valueStart = ++p;
    let valueEnd: number;
    if (pendingDataLength >= 0 && tag === pendingDataTag) {
      valueEnd = valueStart + pendingDataLength;
      if (valueEnd >= end || buf[valueEnd] !== SOH) return undefined;
    } else {
      let q = valueStart;
      let v = buf[q]!;
      while (v !== SOH) v = buf[++q]!;
      valueEnd = q;
    }
    pendingDataLength = -1;
    if (isLengthTag(tag, bits, lengthTags)) {
      let len = 0;
      let ok = valueEnd > valueStart;
      for (let q = valueStart; q < valueEnd; q++) {
        const d = buf[q]! - ZERO;
        if (d < 0 || d > 9) {
          ok = false;
          break;
        }
        len = len * 10 + d;
      }
      if (ok && len <= end - start) {
        pendingDataTag = lengthTags.get(tag)!;
        pendingDataLength = len;
      }
    }
    fields[o] = tag;
    fields[o + 1] = valueStart - start;
    fields[o + 2] = valueEnd - start;
    o += 3;
    p = valueEnd + 1;
  }
  tableUsed = o;
  return new FixMessage(buf, fields, (o - base) / 3, base, start, end - start);
}

/** The decoder with every check, which throws {@linkcode FixParseError} at the first error. */
function decodeChecked(
  buf: Uint8Array,
  start: number,
  end: number,
  lengthTags: ReadonlyMap<number, number>,
  bits: Uint8Array,
): FixMessage {
  let fields = table;
  let base = tableUsed;
  let o = base;
  let p = start;
  let pendingDataTag = 0;
  let pendingDataLength = -1;
  while (p < end) {
    const tagStart = p;
    let tag = 0;
    let c = buf[p]!;
    while (c !== EQUALS) {
      const d = c - ZERO;
      if (d < 0 || d > 9 || tag >= MAX_TAG_PREFIX) {
        throw new FixParseError(
          `Cannot parse FIX field at offset ${tagStart - start}: tag is not a number`,
          tagStart - start,
        );
      }
      tag = tag * 10 + d;
      if (++p >= end) {
        throw new FixParseError(
          `Cannot parse FIX field at offset ${tagStart - start}: no '=' after tag`,
          tagStart - start,
        );
      }
      c = buf[p]!;
    }
    if (tag === 0) {
      throw new FixParseError(
        `Cannot parse FIX field at offset ${tagStart - start}: tag is empty or zero`,
        tagStart - start,
      );
    }
    const valueStart = ++p;
    let valueEnd: number;
    if (pendingDataLength >= 0 && tag === pendingDataTag) {
      valueEnd = valueStart + pendingDataLength;
      if (valueEnd >= end || buf[valueEnd] !== SOH) {
        throw new FixParseError(
          `Cannot parse data field ${tag} at offset ${tagStart - start}: ` +
            `value is not ${pendingDataLength} bytes followed by SOH`,
          tagStart - start,
          tag,
        );
      }
    } else {
      let q = valueStart;
      while (q < end && buf[q] !== SOH) q++;
      if (q >= end) {
        throw new FixParseError(
          `Cannot parse field ${tag} at offset ${tagStart - start}: value is not terminated by SOH`,
          tagStart - start,
          tag,
        );
      }
      valueEnd = q;
    }
    pendingDataLength = -1;
    if (isLengthTag(tag, bits, lengthTags)) {
      let len = 0;
      let ok = valueEnd > valueStart;
      for (let q = valueStart; q < valueEnd; q++) {
        const d = buf[q]! - ZERO;
        if (d < 0 || d > 9) {
          ok = false;
          break;
        }
        len = len * 10 + d;
      }
      if (ok && len <= end - start) {
        pendingDataTag = lengthTags.get(tag)!;
        pendingDataLength = len;
      }
    }
    if (o + 3 > fields.length) {
      const bigger = new Int32Array(Math.max(FIELD_TABLE_ENTRIES, (o - base + 3) * 2));
      bigger.set(fields.subarray(base, o));
      o -= base;
      base = 0;
      fields = bigger;
      table = bigger;
      tableUsed = 0;
    }
    fields[o] = tag;
    fields[o + 1] = valueStart - start;
    fields[o + 2] = valueEnd - start;
    o += 3;
    p = valueEnd + 1;
  }
  tableUsed = o;
  return new FixMessage(buf, fields, (o - base) / 3, base, start, end - start);
}
