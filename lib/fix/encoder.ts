/**
 * Encoding of FIX tag=value messages.
 *
 * A {@linkcode MessageEncoder} writes fields in the order they are given into
 * a reusable buffer, leaving room in front for BeginString (8) and
 * BodyLength (9); {@linkcode MessageEncoder.finish} writes those two, appends
 * CheckSum (10) and returns the message (a view that is never written again). The caller writes
 * MsgType (35) first (via {@linkcode MessageEncoder.begin}), then the rest of
 * the header, the body and any trailer fields other than CheckSum.
 *
 * @module
 */

import { type FixMessage, SOH } from "./message.ts";
import { formatUtcTimestamp, type TimestampPrecision } from "./values.ts";

const RESERVED = 32; // room for "8=FIXT.1.1|9=9999999|"
const utf8 = new TextEncoder();

/** A value the encoder can write. Numbers must be finite; strings are written as UTF-8. */
export type FieldValue = string | number | bigint | boolean | Uint8Array | { toString(): string };

/** Thrown when a value cannot be encoded (NaN, a tag that is not positive, …). */
export class FixEncodeError extends TypeError {
  /** The tag being written. */
  readonly tag: number;
  constructor(tag: number, message: string) {
    super(message);
    this.name = "FixEncodeError";
    this.tag = tag;
  }
}

/** Default size of an encoder's output slab, in bytes. */
export const DEFAULT_ENCODER_SLAB_BYTES = 64 * 1024;

/**
 * Writes FIX messages; reuse one encoder per connection to avoid allocation.
 *
 * Messages are written one after another into an output slab and
 * {@linkcode MessageEncoder.finish} returns a view of the finished message;
 * the encoder never writes over bytes it has returned (when the slab is full
 * it starts a new one), so a returned message stays valid as long as it is
 * kept. The CheckSum is summed while the fields are written.
 */
export class MessageEncoder {
  #buf: Uint8Array;
  /** Where the current message's reserved header room starts. */
  #msgStart = 0;
  #pos = RESERVED;
  /** Byte sum of the body written so far. */
  #sum = 0;
  readonly #slabBytes: number;
  #beginString: Uint8Array;
  readonly #beginStringText: string;
  readonly #beginStringSum: number;
  /** The last timestamp second written and its `YYYYMMDD-HH:MM:SS` text. */
  #tsSecond = -1;
  readonly #tsText = new Uint8Array(17);
  #tsTextSum = 0;

  /**
   * @param beginString the BeginString (8) every message gets, e.g. `FIX.4.4`
   * @param initialCapacityBytes size of the output slab (default
   *   {@linkcode DEFAULT_ENCODER_SLAB_BYTES}); a message larger than it gets a slab of its own
   */
  constructor(beginString: string, initialCapacityBytes = DEFAULT_ENCODER_SLAB_BYTES) {
    this.#beginStringText = beginString;
    this.#beginString = utf8.encode(beginString);
    let sum = 0;
    for (const c of this.#beginString) sum += c;
    this.#beginStringSum = sum;
    this.#slabBytes = Math.max(initialCapacityBytes, 2 * RESERVED);
    this.#buf = new Uint8Array(this.#slabBytes);
  }

  /** The BeginString this encoder writes. */
  get beginString(): string {
    return this.#beginStringText;
  }

  /** Starts a new message: discards anything unfinished and writes MsgType (35). */
  begin(msgType: string): this {
    this.#pos = this.#msgStart + RESERVED;
    this.#sum = 0;
    return this.field(35, msgType);
  }

  #ensure(extra: number): void {
    if (this.#pos + extra <= this.#buf.length) return;
    // Never write over returned messages: move the unfinished one to a new slab.
    const used = this.#pos - this.#msgStart;
    let size = this.#slabBytes;
    while (size < used + extra) size *= 2;
    const bigger = new Uint8Array(size);
    bigger.set(this.#buf.subarray(this.#msgStart, this.#pos));
    this.#buf = bigger;
    this.#msgStart = 0;
    this.#pos = used;
  }

  #writeTag(tag: number): void {
    if (!(tag > 0 && tag <= 0x7fffffff) || (tag | 0) !== tag) {
      throw new FixEncodeError(tag, `Cannot encode tag ${tag}: tag must be a positive integer`);
    }
    this.#ensure(12);
    this.#writeUint(tag);
    this.#buf[this.#pos++] = 0x3d;
    this.#sum += 0x3d;
  }

  /** Writes a non-negative safe integer (room must be ensured). */
  #writeUint(n: number): void {
    const buf = this.#buf;
    if (n < 10) {
      buf[this.#pos++] = 0x30 + n;
      this.#sum += 0x30 + n;
      return;
    }
    let digits = 2;
    for (let m = 100; m <= n && digits < 16; m *= 10) digits++;
    let p = this.#pos + digits;
    this.#pos = p;
    let sum = 0;
    while (n > 0) {
      const q = Math.floor(n / 10);
      const c = 0x30 + (n - q * 10);
      buf[--p] = c;
      sum += c;
      n = q;
    }
    this.#sum += sum;
  }

  /** Writes an ASCII string; false (nothing written) if it is not ASCII. */
  #writeAscii(s: string): boolean {
    const length = s.length;
    this.#ensure(length + 1);
    const buf = this.#buf;
    let p = this.#pos;
    let sum = 0;
    for (let i = 0; i < length; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) return false;
      buf[p++] = c;
      sum += c;
    }
    this.#pos = p;
    this.#sum += sum;
    return true;
  }

  #writeBytes(bytes: Uint8Array): void {
    const length = bytes.length;
    this.#ensure(length + 1);
    const buf = this.#buf;
    let p = this.#pos;
    let sum = 0;
    if (length > 64) {
      buf.set(bytes, p);
      for (let i = 0; i < length; i++) sum += bytes[i]!;
      p += length;
    } else {
      for (let i = 0; i < length; i++) {
        const c = bytes[i]!;
        buf[p++] = c;
        sum += c;
      }
    }
    this.#pos = p;
    this.#sum += sum;
  }

  /** Appends `tag=value` followed by SOH. */
  field(tag: number, value: FieldValue): this {
    if (typeof value === "number" && (value | 0) === value && value >= 0) {
      if ((tag | 0) === tag && tag > 0 && tag < 100_000) {
        if (this.#pos + 20 > this.#buf.length) this.#ensure(20);
        const buf = this.#buf;
        const start = this.#pos;
        const tagEnd = putTag(buf, start, tag);
        let p = putUint31(buf, tagEnd, value);
        buf[p++] = SOH;
        let sum = tagSum(tag);
        for (let i = tagEnd; i < p; i++) sum += buf[i]!;
        this.#pos = p;
        this.#sum += sum;
        return this;
      }
    } else if (typeof value === "string" && (tag | 0) === tag && tag > 0 && tag < 100_000) {
      // fast path: ASCII text after a tag of up to 5 digits, summed as written
      const length = value.length;
      if (this.#pos + length + 8 > this.#buf.length) this.#ensure(length + 8);
      const buf = this.#buf;
      let p = this.#pos;
      const start = p;
      p = putTag(buf, p, tag);
      let sum = tagSum(tag);
      for (let i = 0; i < length; i++) {
        const c = value.charCodeAt(i);
        if (c >= 0x80) {
          // not ASCII: undo and take the general path
          this.#pos = start;
          return this.#field(tag, value);
        }
        buf[p++] = c;
        sum += c;
      }
      buf[p++] = SOH;
      this.#pos = p;
      this.#sum += sum + SOH;
      return this;
    }
    return this.#field(tag, value);
  }

  #field(tag: number, value: FieldValue): this {
    this.#writeTag(tag);
    if (typeof value === "string") {
      if (!this.#writeAscii(value)) this.#writeBytes(utf8.encode(value));
    } else if (typeof value === "number") {
      if (!Number.isFinite(value)) {
        throw new FixEncodeError(tag, `Cannot encode tag ${tag}: value ${value} is not finite`);
      }
      if (Number.isSafeInteger(value) && value >= 0) {
        this.#ensure(17);
        this.#writeUint(value);
      } else {
        this.#writeAscii(String(value));
      }
    } else if (typeof value === "boolean") {
      this.#ensure(2);
      const c = value ? 0x59 : 0x4e;
      this.#buf[this.#pos++] = c;
      this.#sum += c;
    } else if (value instanceof Uint8Array) {
      this.#writeBytes(value);
    } else {
      const s = String(value);
      if (!this.#writeAscii(s)) {
        throw new FixEncodeError(tag, `Cannot encode tag ${tag}: value is not ASCII`);
      }
    }
    this.#ensure(1);
    this.#buf[this.#pos++] = SOH;
    this.#sum += SOH;
    return this;
  }

  /**
   * Appends a UTCTimestamp field `YYYYMMDD-HH:MM:SS[.f…]` for `epochMs`
   * (+ `nanosWithinMs` for µs/ns) at `precision` fraction digits, truncated.
   * Pick the precision with {@linkcode timestampPrecisionFor}.
   * @throws {FixValueError} for values {@linkcode formatUtcTimestamp} refuses
   */
  utcTimestamp(
    tag: number,
    epochMs: number,
    precision: TimestampPrecision = 3,
    nanosWithinMs = 0,
  ): this {
    if (
      !Number.isSafeInteger(epochMs) || epochMs < 0 || epochMs >= MAX_EPOCH_MS ||
      !(nanosWithinMs >= 0 && nanosWithinMs <= 999_999 && Number.isInteger(nanosWithinMs)) ||
      (precision !== 0 && precision !== 3 && precision !== 6 && precision !== 9)
    ) {
      // the slow path has the precise error
      return this.field(tag, formatUtcTimestamp(epochMs, precision, nanosWithinMs));
    }
    if (this.#pos + 40 > this.#buf.length) this.#ensure(40);
    const second = Math.floor(epochMs / 1000);
    if (second !== this.#tsSecond) this.#cacheSecond(second);
    let start = this.#pos;
    let p: number;
    if ((tag | 0) === tag && tag > 0 && tag < 100_000) {
      p = putTag(this.#buf, start, tag);
    } else {
      this.#writeTag(tag); // validates, writes and sums the tag
      start = p = this.#pos;
    }
    const buf = this.#buf;
    const tagEnd = p;
    const text = this.#tsText;
    for (let i = 0; i < 17; i++) buf[p + i] = text[i]!;
    p += 17;
    const fractionStart = p;
    if (precision > 0) {
      buf[p++] = 0x2e;
      p = put3(buf, p, epochMs - second * 1000);
      if (precision > 3) {
        const micros = (nanosWithinMs / 1000) | 0;
        p = put3(buf, p, micros);
        if (precision > 6) p = put3(buf, p, nanosWithinMs - micros * 1000);
      }
    }
    buf[p++] = SOH;
    // the tag was written here (start < tagEnd) or validated, written and summed by #writeTag
    let sum = this.#tsTextSum + (start < tagEnd ? tagSum(tag) : 0);
    for (let i = fractionStart; i < p; i++) sum += buf[i]!;
    this.#sum += sum;
    this.#pos = p;
    return this;
  }

  /** Computes `YYYYMMDD-HH:MM:SS` of an epoch second (0 <= second < year 10000). */
  #cacheSecond(second: number): void {
    const buf = this.#tsText;
    const days = Math.floor(second / 86_400);
    let secondOfDay = second - days * 86_400;
    // civil_from_days (Howard Hinnant), days >= 0 here
    const z = days + 719468;
    const era = Math.floor(z / 146097);
    const doe = z - era * 146097;
    const yoe = Math.floor(
      (doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365,
    );
    const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
    const mp = Math.floor((5 * doy + 2) / 153);
    const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
    const month = mp < 10 ? mp + 3 : mp - 9;
    const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
    let p = put4(buf, 0, year);
    p = put2(buf, p, month);
    p = put2(buf, p, day);
    buf[p++] = 0x2d;
    const hour = (secondOfDay / 3600) | 0;
    secondOfDay -= hour * 3600;
    const minute = (secondOfDay / 60) | 0;
    p = put2(buf, p, hour);
    buf[p++] = 0x3a;
    p = put2(buf, p, minute);
    buf[p++] = 0x3a;
    put2(buf, p, secondOfDay - minute * 60);
    let sum = 0;
    for (let i = 0; i < 17; i++) sum += buf[i]!;
    this.#tsTextSum = sum;
    this.#tsSecond = second;
  }

  /** Appends a data field preceded by its LENGTH field (e.g. 95/96), so it may contain SOH. */
  dataField(lengthTag: number, dataTag: number, value: Uint8Array | string): this {
    const bytes = typeof value === "string" ? utf8.encode(value) : value;
    this.field(lengthTag, bytes.length);
    return this.field(dataTag, bytes);
  }

  /** Appends already-encoded `tag=value|…` bytes (each field ending in SOH) verbatim. */
  raw(fieldBytes: Uint8Array): this {
    this.#writeBytes(fieldBytes);
    return this;
  }

  /**
   * Completes the message: writes 8 and 9 in front, 10 at the end, and returns
   * the message: a view of exactly its bytes that the encoder never writes again.
   */
  finish(): Uint8Array {
    const bodyStart = this.#msgStart + RESERVED;
    const bodyLength = this.#pos - bodyStart;
    // header "8=<begin>|9=<len>|" written right before the body
    let lenDigits = 1;
    for (let m = bodyLength; m >= 10; m = Math.floor(m / 10)) lenDigits++;
    const headerLength = 2 + this.#beginString.length + 1 + 2 + lenDigits + 1;
    if (headerLength > RESERVED) {
      throw new FixEncodeError(8, "Cannot encode BeginString: it is too long");
    }
    this.#ensure(7);
    const buf = this.#buf;
    const start = this.#msgStart + RESERVED - headerLength;
    let p = start;
    buf[p++] = 0x38;
    buf[p++] = 0x3d;
    // a loop, not buf.set(): cheaper than a builtin call for a few bytes
    const begin = this.#beginString;
    for (let i = 0; i < begin.length; i++) buf[p++] = begin[i]!;
    buf[p++] = SOH;
    buf[p++] = 0x39;
    buf[p++] = 0x3d;
    let sum = this.#sum + 0x38 + 0x3d + this.#beginStringSum + SOH + 0x39 + 0x3d + SOH;
    for (let i = lenDigits - 1, m = bodyLength; i >= 0; i--, m = Math.floor(m / 10)) {
      const c = 0x30 + (m % 10);
      buf[p + i] = c;
      sum += c;
    }
    p += lenDigits;
    buf[p++] = SOH;
    sum &= 0xff;
    let q = this.#pos;
    buf[q++] = 0x31;
    buf[q++] = 0x30;
    buf[q++] = 0x3d;
    q = put3(buf, q, sum);
    buf[q++] = SOH;
    // the constructor, not subarray(), which looks up a species constructor first
    const out = new Uint8Array(buf.buffer, buf.byteOffset + start, q - start);
    this.#msgStart = q;
    this.#pos = q + RESERVED;
    this.#sum = 0;
    return out;
  }
}

/** Most BeginStrings {@linkcode sharedEncoder} keeps an encoder for. */
const MAX_SHARED_ENCODERS = 16;
const sharedEncoders = new Map<string, MessageEncoder>();

/**
 * An encoder per BeginString shared by {@linkcode encodeMessage} and
 * {@linkcode rewriteForResend}: sharing is safe because an encoder never
 * writes over a message it returned, and it saves allocating a slab per call.
 */
function sharedEncoder(beginString: string): MessageEncoder {
  let e = sharedEncoders.get(beginString);
  if (e === undefined) {
    e = new MessageEncoder(beginString);
    if (sharedEncoders.size < MAX_SHARED_ENCODERS) sharedEncoders.set(beginString, e);
  }
  return e;
}

/**
 * Encodes one message from a list of `[tag, value]` pairs that follow MsgType.
 * Returns a view of a shared encoder's slab (never written again).
 */
export function encodeMessage(
  beginString: string,
  msgType: string,
  fields: Iterable<readonly [number, FieldValue]>,
): Uint8Array {
  const e = sharedEncoder(beginString);
  e.begin(msgType);
  for (const [tag, value] of fields) e.field(tag, value);
  return e.finish();
}

const MAX_EPOCH_MS = 253402300800000; // 10000-01-01T00:00:00Z

/** Writes 0 <= n < 2^31 at `p`; returns the position after it. */
function putUint31(buf: Uint8Array, p: number, n: number): number {
  if (n < 10) {
    buf[p] = 0x30 + n;
    return p + 1;
  }
  if (n < 100) return put2(buf, p, n);
  if (n < 1000) return put3(buf, p, n);
  if (n < 10000) return put4(buf, p, n);
  let digits = 5;
  for (let m = 100000; m <= n && digits < 10; m *= 10) digits++;
  let q = p + digits;
  while (n > 0) {
    const t = (n / 10) | 0;
    buf[--q] = 0x30 + n - t * 10;
    n = t;
  }
  return p + digits;
}

/** Tags below this have their `tag=` byte sum in {@linkcode TAG_SUMS}. */
const TAG_SUMS_SIZE = 1024;

/** Byte sum of `tag=` for each tag below {@linkcode TAG_SUMS_SIZE}. */
const TAG_SUMS = new Uint16Array(TAG_SUMS_SIZE);
for (let tag = 1; tag < TAG_SUMS_SIZE; tag++) TAG_SUMS[tag] = digitSum(tag) + 0x3d;

/** Byte sum of the decimal digits of a positive integer, as ASCII. */
function digitSum(n: number): number {
  let sum = 0;
  for (; n > 0; n = (n / 10) | 0) sum += 0x30 + n % 10;
  return sum;
}

/** Byte sum of `tag=` for 0 < tag < 100000: one table read for most tags. */
function tagSum(tag: number): number {
  return tag < TAG_SUMS_SIZE ? TAG_SUMS[tag]! : digitSum(tag) + 0x3d;
}

/** Writes `tag=` for 0 < tag < 100000 at `p`; returns the position after it. */
function putTag(buf: Uint8Array, p: number, tag: number): number {
  if (tag < 10) {
    buf[p] = 0x30 + tag;
    buf[p + 1] = 0x3d;
    return p + 2;
  }
  if (tag < 100) {
    p = put2(buf, p, tag);
  } else if (tag < 1000) {
    p = put3(buf, p, tag);
  } else if (tag < 10000) {
    p = put4(buf, p, tag);
  } else {
    const h = (tag / 10000) | 0;
    buf[p] = 0x30 + h;
    p = put4(buf, p + 1, tag - h * 10000);
  }
  buf[p] = 0x3d;
  return p + 1;
}

function put2(buf: Uint8Array, p: number, n: number): number {
  const t = (n / 10) | 0;
  buf[p] = 0x30 + t;
  buf[p + 1] = 0x30 + n - t * 10;
  return p + 2;
}

function put3(buf: Uint8Array, p: number, n: number): number {
  const h = (n / 100) | 0;
  buf[p] = 0x30 + h;
  return put2(buf, p + 1, n - h * 100);
}

function put4(buf: Uint8Array, p: number, n: number): number {
  const h = (n / 100) | 0;
  put2(buf, p, h);
  return put2(buf, p + 2, n - h * 100);
}

/** The largest timestamp precision each BeginString allows. */
const MAX_PRECISION: Readonly<Record<string, TimestampPrecision>> = {
  "FIX.4.0": 0,
  "FIX.4.1": 0,
  "FIX.4.2": 3,
  "FIX.4.3": 3,
};

/**
 * The timestamp precision to send with a BeginString: FIX.4.0 and 4.1 allow
 * whole seconds only; FIX.4.2 and 4.3 allow milliseconds; FIX.4.4 and FIXT.1.1
 * (FIX 5.0 and later) allow up to nanoseconds. Returns `requested` (default
 * milliseconds, what QuickFIX sends) lowered to what the version allows.
 */
export function timestampPrecisionFor(
  beginString: string,
  requested: TimestampPrecision = 3,
): TimestampPrecision {
  const max = MAX_PRECISION[beginString] ?? 9;
  return requested <= max ? requested : max;
}

/**
 * The message again for a resend (answering a ResendRequest): PossDupFlag
 * (43) = Y, OrigSendingTime (122) = the old SendingTime (52), SendingTime =
 * `sendingTime`; BodyLength and CheckSum recomputed. Every other field keeps
 * its place and bytes. 43 is put just before SendingTime and 122 just after
 * it, where the standard header has them; an existing 43 is set to Y in place
 * and an existing 122 (the message was already a resend) is kept, as it holds
 * the first sending time.
 *
 * @param encoder reused for the encoding; its BeginString must be the message's
 * @throws {FixEncodeError} when the message does not start with 8, (9,) 35 or
 *   the encoder's BeginString differs
 */
export function rewriteForResend(
  msg: FixMessage,
  sendingTime: string,
  encoder?: MessageEncoder,
): Uint8Array {
  const beginString = msg.size > 0 && msg.tagAt(0) === 8 ? msg.beginString : undefined;
  if (beginString === undefined) {
    throw new FixEncodeError(8, "Cannot rewrite message for resend: it does not start with 8");
  }
  const e = encoder ?? sharedEncoder(beginString);
  if (e.beginString !== beginString) {
    throw new FixEncodeError(
      8,
      `Cannot rewrite ${beginString} message for resend with a ${e.beginString} encoder`,
    );
  }
  let i = msg.size > 1 && msg.tagAt(1) === 9 ? 2 : 1;
  if (msg.size <= i || msg.tagAt(i) !== 35) {
    throw new FixEncodeError(35, "Cannot rewrite message for resend: MsgType (35) is not third");
  }
  e.begin(msg.stringAt(i));
  i++;
  const end = msg.size > 0 && msg.tagAt(msg.size - 1) === 10 ? msg.size - 1 : msg.size;
  const bytes = msg.bytes;
  const hasPossDup = msg.indexOf(43) >= 0;
  const hasOrig = msg.indexOf(122) >= 0;
  const i52 = msg.indexOf(52);
  let runStart = i;
  const flush = (upTo: number) => {
    if (upTo > runStart) e.raw(bytes.subarray(msg.fieldStartAt(runStart), msg.fieldStartAt(upTo)));
  };
  // without SendingTime, 43 and 52 go after MsgSeqNum (or first)
  const i34 = msg.indexOf(34);
  const insertAt = i52 >= 0 ? -1 : i34 >= 0 && i34 < end ? i34 + 1 : i;
  for (let j = i; j < end || j === insertAt; j++) {
    if (j === insertAt) {
      flush(j);
      runStart = j;
      if (!hasPossDup) e.field(43, "Y");
      e.field(52, sendingTime);
    }
    if (j >= end) break;
    const tag = msg.tagAt(j);
    if (tag === 43) {
      flush(j);
      e.field(43, "Y");
      runStart = j + 1;
    } else if (j === i52) {
      flush(j);
      if (!hasPossDup) e.field(43, "Y");
      e.field(52, sendingTime);
      if (!hasOrig) e.field(122, msg.bytesAt(j));
      runStart = j + 1;
    }
  }
  flush(end);
  return e.finish();
}

/** CheckSum of bytes [start, end): the byte sum modulo 256. */
export function checksum(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let sum = 0;
  for (let i = start; i < end; i++) sum += bytes[i]!;
  return sum & 0xff;
}
