/**
 * Framing of a FIX byte stream into messages.
 *
 * A FIX message on the wire is
 *
 * ```
 * 8=<BeginString> SOH 9=<BodyLength> SOH 35=<MsgType> SOH … 10=<ddd> SOH
 * ```
 *
 * BodyLength counts the bytes from the one after the SOH that ends field 9 up
 * to and including the SOH before `10=`; CheckSum is the sum of every byte
 * before `10=`, modulo 256, written as exactly three digits.
 *
 * The {@linkcode Framer} takes bytes in chunks of any size and yields frames:
 * either a complete, decoded message or a report of bytes it discarded and
 * why. It never throws on input and never waits for more bytes than one
 * message of the maximum size can hold.
 *
 * How the end of a message is found (the same rules as QuickFIX's parser, so
 * the QuickFIX acceptance scripts see the same behaviour):
 *
 * - A message starts at `8=FIX` (FIX.4.x and FIXT.1.1). Bytes before it are
 *   discarded (`bad-begin-string`).
 * - When BodyLength is validated (the default) and field 9 follows field 8,
 *   the message ends at the SOH after the `10=` field that starts exactly
 *   BodyLength bytes after field 9. If no `10=` field starts there, the
 *   BodyLength is wrong: the framer looks for the first `<SOH>10=…<SOH>` at or
 *   after that point (so a too-short BodyLength discards just the message, and
 *   a too-long one also swallows what it overlaps, as QuickFIX does) and
 *   discards everything up to it (`bad-body-length`).
 * - When BodyLength is not validated, or field 9 is not second, the end is
 *   found by scanning for `<SOH>10=…<SOH>`, stopping early at the next `8=FIX`
 *   (then the unfinished message is discarded as `syntax`). If the declared
 *   BodyLength does point at a `10=` field, that end is used, so data fields
 *   holding `<SOH>10=` are still framed right when BodyLength is correct.
 * - Then, in this order: BodyLength must match (`bad-body-length`; a
 *   missing or misplaced field 9 is `bad-field-order`), CheckSum must be three
 *   digits and equal the byte sum (`bad-checksum`), MsgType (35) must be the
 *   third field (`bad-field-order`), and the message must be `tag=value`
 *   syntax (`decodeMessageAt`; `syntax`). The BodyLength and the
 *   CheckSum value checks can each be switched off, like QuickFIX's
 *   `ValidateLengthAndChecksum=N`; the CheckSum's three-digit form and the
 *   field order are always required.
 * - What a session does with a garbled frame is its business; QuickFIX
 *   ignores it (the sequence number is not consumed) unless it is a Logon,
 *   which disconnects. {@linkcode GarbledFrame.msgType} tells which.
 *
 * With BodyLength checks off, the trailer is found by scanning, so a data
 * field that contains `<SOH>10=ddd<SOH>` is framed right only when its
 * message has arrived in full before `next()` is called.
 * - A message longer than the maximum size is discarded up to the next
 *   `8=FIX` (`too-large`).
 *
 * Messages are views into the framer's buffer. The framer never writes over
 * bytes it has returned: when its buffer is full it moves the unread bytes to
 * a new buffer, so a message stays valid for as long as the caller keeps it.
 *
 * @module
 */

import { decodeFramedAt, type FixMessage, FixParseError, SOH } from "./message.ts";

/** Default largest message the framer accepts, in bytes (1 MiB). */
export const DEFAULT_MAX_MESSAGE_BYTES = 1024 * 1024;
/** Default initial size of the framer's buffer, in bytes. */
export const DEFAULT_FRAMER_BUFFER_BYTES = 64 * 1024;
/**
 * Garbage with no `8=FIX` after it is held until this many bytes have
 * gathered and then reported as one frame, rather than one frame per chunk.
 */
export const GARBAGE_REPORT_BYTES = 4096;
/** Longest BeginString value accepted (`FIXT.1.1` is 8 bytes). */
export const MAX_BEGIN_STRING_BYTES = 16;
/** Most digits accepted in a BodyLength value. */
export const MAX_BODY_LENGTH_DIGITS = 9;
/** Longest CheckSum value the framer looks for an SOH after (it must be 3 digits to be valid). */
export const MAX_CHECKSUM_VALUE_BYTES = 16;

/** Why the framer discarded bytes. */
export type GarbleReason =
  | "bad-begin-string"
  | "bad-body-length"
  | "bad-checksum"
  | "bad-field-order"
  | "too-large"
  | "syntax";

/** A complete message. */
export interface MessageFrame {
  readonly kind: "message";
  /** The decoded message; its bytes are a view into the framer's buffer. */
  readonly message: FixMessage;
}

/** Bytes the framer discarded, and why. */
export interface GarbledFrame {
  readonly kind: "garbled";
  /** Why the bytes were discarded. */
  readonly reason: GarbleReason;
  /** A sentence for logs, e.g. `BodyLength 9=40 does not end at the CheckSum field`. */
  readonly detail: string;
  /** How many bytes were discarded. */
  readonly discardedBytes: number;
  /** The discarded bytes (a view; for logs). */
  readonly bytes: Uint8Array;
  /**
   * MsgType (35) of the discarded message when it had one as its third field,
   * else undefined. A session disconnects when a garbled Logon arrives.
   */
  readonly msgType: string | undefined;
  /**
   * True when these bytes are the rest of a message already reported as
   * `too-large`: callers log an oversized message once, not once per frame.
   */
  readonly continuation: boolean;
}

/** What {@linkcode Framer.next} yields. */
export type Frame = MessageFrame | GarbledFrame;

/** Options for {@linkcode Framer}. */
export interface FramerOptions {
  /** Check BodyLength (9) and use it to find the end of a message. Default true. */
  readonly validateBodyLength?: boolean;
  /** Check CheckSum (10). Default true. */
  readonly validateChecksum?: boolean;
  /** Largest message accepted. Default {@linkcode DEFAULT_MAX_MESSAGE_BYTES}. */
  readonly maxMessageBytes?: number;
  /** LENGTH tag → DATA tag pairs for decoding data fields (see `decodeMessageAt`). */
  readonly lengthTags?: ReadonlyMap<number, number>;
  /** Initial buffer size. Default {@linkcode DEFAULT_FRAMER_BUFFER_BYTES}. */
  readonly initialBufferBytes?: number;
}

/** Thrown for options that cannot work (a broken invariant, not bad input). */
export class FramerOptionError extends RangeError {
  /** The option's name. */
  readonly option: string;
  constructor(option: string, message: string) {
    super(message);
    this.name = "FramerOptionError";
    this.option = option;
  }
}

// "8=FIX"
/** Length of the shortest trailer, `<SOH>10=ddd<SOH>`. */
const TRAILER_BYTES = 8;
const C8 = 0x38;
const EQ = 0x3d;
const F = 0x46;
const I = 0x49;
const X = 0x58;
const ZERO = 0x30;

/** Bytes {@linkcode looksLikeHeader} may need to see past a candidate `8`. */
const HEADER_LOOKAHEAD_BYTES = 2 + MAX_BEGIN_STRING_BYTES + 3;

/** Up to this many bytes of a partial chunk are copied by a loop rather than through a view. */
const SMALL_COPY_BYTES = 1024;

/** Where the search for the end of a message stopped. */
const NEED_MORE = -1;
const TOO_LARGE = -2;

/**
 * Splits a byte stream into FIX messages; see the module doc for the rules.
 *
 * ```ts
 * import { Framer } from "./framer.ts";
 *
 * const framer = new Framer();
 * // bytes as they come off a socket: garbage, then a Heartbeat
 * framer.push(new TextEncoder().encode("junk8=FIX.4.4\x019=5\x0135=0\x0110=163\x01"));
 * for (let f = framer.next(); f; f = framer.next()) {
 *   if (f.kind === "message") console.log("message", f.message.msgType); // message 0
 *   else console.log("garbled", f.reason, f.discardedBytes); // garbled bad-begin-string 4
 * }
 * ```
 */
export class Framer {
  readonly #validateBodyLength: boolean;
  readonly #validateChecksum: boolean;
  readonly #maxMessageBytes: number;
  readonly #decodeOptions: { lengthTags?: ReadonlyMap<number, number> };
  readonly #initialBufferBytes: number;
  #buf: Uint8Array;
  /** The same memory as #buf, as 32-bit words, for the CheckSum. */
  #words: Uint32Array;
  #start = 0;
  #end = 0;
  /** Where to resume the search for the end of the message at #resumeStart. */
  #resumeStart = -1;
  #resumeStopAtStart = false;
  #resumeAt = 0;
  /** Reason given to bytes skipped before the next start (after a too-large message). */
  #skipReason: GarbleReason | undefined;

  constructor(options: FramerOptions = {}) {
    this.#validateBodyLength = options.validateBodyLength ?? true;
    this.#validateChecksum = options.validateChecksum ?? true;
    const max = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    if (!Number.isSafeInteger(max) || max < 32) {
      throw new FramerOptionError(
        "maxMessageBytes",
        `Cannot create framer: maxMessageBytes must be an integer of at least 32, got ${max}`,
      );
    }
    this.#maxMessageBytes = max;
    this.#decodeOptions = options.lengthTags ? { lengthTags: options.lengthTags } : {};
    const initial = options.initialBufferBytes ?? DEFAULT_FRAMER_BUFFER_BYTES;
    // a power of two (at least 64) so the buffer is whole 32-bit words
    let size = 64;
    while (size < Math.min(initial, max * 2)) size *= 2;
    this.#initialBufferBytes = size;
    this.#buf = new Uint8Array(this.#initialBufferBytes);
    this.#words = new Uint32Array(this.#buf.buffer);
  }

  /** Bytes received and not yet returned in a frame. */
  get bufferedBytes(): number {
    return this.#end - this.#start;
  }

  /** The largest message this framer accepts, in bytes. */
  get maxMessageBytes(): number {
    return this.#maxMessageBytes;
  }

  /**
   * Appends received bytes: the first `length` bytes of `chunk` (all of it by default), so a
   * reader needs no view per read. The bytes are copied; the caller may reuse `chunk`.
   */
  push(chunk: Uint8Array, length: number = chunk.length): void {
    if (!(length >= 0 && length <= chunk.length)) {
      throw new RangeError(
        `Cannot push ${length} bytes: the chunk holds ${chunk.length}`,
      );
    }
    if (length === 0) return;
    if (this.#end + length > this.#buf.length) {
      // Never copyWithin: returned messages are views of the old buffer.
      const unread = this.#end - this.#start;
      let size = this.#initialBufferBytes;
      while (size < (unread + length) * 2) size *= 2;
      const bigger = new Uint8Array(size);
      bigger.set(this.#buf.subarray(this.#start, this.#end));
      this.#buf = bigger;
      this.#words = new Uint32Array(bigger.buffer);
      this.#resumeStart = -1; // offsets changed
      this.#start = 0;
      this.#end = unread;
    }
    const buf = this.#buf;
    const end = this.#end;
    if (length === chunk.length) {
      buf.set(chunk, end);
    } else if (length <= SMALL_COPY_BYTES) {
      for (let i = 0; i < length; i++) buf[end + i] = chunk[i]!;
    } else {
      buf.set(chunk.subarray(0, length), end);
    }
    this.#end = end + length;
  }

  /** The next frame, or undefined when more bytes are needed. */
  next(): Frame | undefined {
    const buf = this.#buf;
    const end = this.#end;
    const s0 = this.#start;
    if (s0 >= end) return undefined;
    // 1. The start: "8=FIX".
    const s = findStart(buf, s0, end);
    if (s !== s0) {
      // Without a start in sight, report garbage in runs of GARBAGE_REPORT_BYTES
      // (not once per chunk), keeping a tail that may begin "8=FIX".
      // (never holding more than maxMessageBytes of it)
      if (s < 0 && end - s0 < Math.min(GARBAGE_REPORT_BYTES, this.#maxMessageBytes)) {
        return undefined;
      }
      const upTo = s >= 0 ? s : end - 4;
      const reason = this.#skipReason ?? "bad-begin-string";
      return this.#garbled(
        upTo,
        reason,
        reason === "too-large"
          ? `Discarded the rest of a message larger than ${this.#maxMessageBytes} bytes`
          : "Discarded bytes that are not a message starting with 8=FIX",
        reason === "too-large",
      );
    }
    this.#skipReason = undefined;
    // 2. BeginString value ends at an SOH.
    const beginLimit = Math.min(end, s + 2 + MAX_BEGIN_STRING_BYTES + 1);
    let p = s + 2;
    while (p < beginLimit && buf[p] !== SOH) p++;
    if (p >= beginLimit) {
      if (beginLimit === end && end - s < 2 + MAX_BEGIN_STRING_BYTES + 1) return undefined;
      return this.#garbledToNextStart(
        s,
        "bad-begin-string",
        `BeginString is not terminated by SOH within ${MAX_BEGIN_STRING_BYTES} bytes`,
      );
    }
    const afterBegin = p + 1;
    // 3. BodyLength: "9=" digits SOH, second.
    if (end - afterBegin < 2) return undefined;
    let bodyLength = -1;
    let bodyStart = afterBegin;
    let lengthProblem = "";
    let lengthReason: GarbleReason = "bad-field-order";
    if (buf[afterBegin] === 0x39 && buf[afterBegin + 1] === EQ) {
      let q = afterBegin + 2;
      const limit = Math.min(end, q + MAX_BODY_LENGTH_DIGITS + 1);
      let n = 0;
      let digits = 0;
      while (q < limit) {
        const d = buf[q]! - ZERO;
        if (d < 0 || d > 9) break;
        n = n * 10 + d;
        digits++;
        q++;
      }
      if (q >= end) return undefined;
      if (buf[q] === SOH && digits > 0 && digits <= MAX_BODY_LENGTH_DIGITS) {
        bodyLength = n;
        bodyStart = q + 1;
      } else {
        // skip the malformed field 9 when scanning
        const soh = indexOfSoh(buf, q, end);
        if (soh < 0 && end - s < this.#maxMessageBytes) return undefined;
        bodyStart = soh < 0 ? q : soh + 1;
        lengthProblem = "BodyLength (9) is not a number of at most " +
          `${MAX_BODY_LENGTH_DIGITS} digits`;
        lengthReason = "bad-body-length";
      }
    } else {
      lengthProblem = "BodyLength (9) is not the second field";
    }
    // 4. The end of the message.
    let trailer = NEED_MORE; // index of the SOH before "10="
    let next = NEED_MORE; // index just past the SOH that ends the message
    if (bodyLength >= 0) {
      const declared = bodyStart + bodyLength; // where "10=" should start
      const validate = this.#validateBodyLength;
      if (validate && declared + 7 - s > this.#maxMessageBytes) {
        this.#skipReason = "too-large";
        return this.#garbled(
          bodyStart,
          "too-large",
          `BodyLength 9=${bodyLength} makes the message larger than ${this.#maxMessageBytes} bytes`,
        );
      }
      const at = trailerAt(buf, declared - 1, end);
      if (at === NEED_MORE && validate) return undefined;
      if (at >= 0) {
        trailer = declared - 1;
        next = at;
      } else if (validate) {
        const found = this.#findTrailer(buf, declared - 1, end, s, false);
        if (found === NEED_MORE) return undefined;
        if (found === TOO_LARGE) return this.#tooLarge(s);
        return this.#garbled(
          found,
          "bad-body-length",
          `BodyLength 9=${bodyLength} does not end at the CheckSum field`,
        );
      }
    }
    if (trailer < 0) {
      // scan for the trailer from the start of the body
      const found = this.#findTrailer(buf, bodyStart - 1, end, s, true);
      if (found === NEED_MORE) return undefined;
      if (found === TOO_LARGE) return this.#tooLarge(s);
      if (found < 0) {
        // -(index of the next start) - 3
        const nextStart = -found - 3;
        return this.#garbled(
          nextStart,
          "syntax",
          "Message has no CheckSum (10) before the next message begins",
        );
      }
      next = found;
      trailer = lastTrailerStart(buf, s, next);
    }
    // 5. Checks.
    if (this.#validateBodyLength) {
      if (lengthProblem !== "") return this.#garbled(next, lengthReason, lengthProblem);
      if (trailer + 1 - bodyStart !== bodyLength) {
        return this.#garbled(
          next,
          "bad-body-length",
          `BodyLength 9=${bodyLength} does not match the body's ${trailer + 1 - bodyStart} bytes`,
        );
      }
    }
    const orderOk = lengthProblem === "" && buf[bodyStart] === 0x33 &&
      buf[bodyStart + 1] === 0x35 && buf[bodyStart + 2] === EQ;
    let message: FixMessage | undefined;
    let parseError = "";
    if (orderOk) {
      try {
        // orderOk: fields 8 and 9 are well formed, so the decoder may skip them
        message = decodeFramedAt(buf, s, next, this.#decodeOptions, afterBegin - 1, bodyStart);
      } catch (e) {
        if (!(e instanceof FixParseError)) throw e;
        parseError = e.message;
      }
    }
    // CheckSum must be three digits; its value is checked when validateChecksum is on
    const digitsStart = trailer + 4;
    let declaredSum = -1;
    if (next - 1 - digitsStart === 3) {
      const a = buf[digitsStart]! - ZERO;
      const b = buf[digitsStart + 1]! - ZERO;
      const c = buf[digitsStart + 2]! - ZERO;
      if (a >= 0 && a <= 9 && b >= 0 && b <= 9 && c >= 0 && c <= 9) {
        declaredSum = a * 100 + b * 10 + c;
      }
    }
    if (declaredSum < 0) {
      return this.#garbled(next, "bad-checksum", "CheckSum (10) is not three digits");
    }
    if (this.#validateChecksum) {
      const sum = checksumOf(buf, this.#words, s, trailer + 1);
      if (sum !== declaredSum) {
        return this.#garbled(
          next,
          "bad-checksum",
          `CheckSum 10=${String(declaredSum).padStart(3, "0")} does not match the computed ${
            String(sum).padStart(3, "0")
          }`,
        );
      }
    }
    if (!orderOk) {
      return lengthProblem !== ""
        ? this.#garbled(next, lengthReason, lengthProblem)
        : this.#garbled(next, "bad-field-order", "MsgType (35) is not the third field");
    }
    if (message === undefined) return this.#garbled(next, "syntax", parseError);
    this.#start = next;
    return { kind: "message", message };
  }

  /**
   * Finds the first `<SOH>10=…<SOH>` whose SOH is at or after `from`.
   * Returns the index just past it, NEED_MORE, TOO_LARGE, or (when
   * `stopAtStart`) `-(next start) - 3` if a new `8=FIX` comes first.
   */
  #findTrailer(
    buf: Uint8Array,
    from: number,
    end: number,
    s: number,
    stopAtStart: boolean,
  ): number {
    const limit = Math.min(end, s + this.#maxMessageBytes);
    let i = Math.max(from, s);
    // resume where the last search for this message stopped, so a large
    // message arriving in small chunks is scanned once, not once per chunk
    if (this.#resumeStart === s && this.#resumeStopAtStart === stopAtStart) {
      i = Math.max(i, this.#resumeAt);
    }
    for (; i < limit; i++) {
      const c = buf[i];
      if (c === SOH) {
        const at = trailerAt(buf, i, end);
        if (at >= 0) {
          return at - s > this.#maxMessageBytes ? TOO_LARGE : at;
        }
        if (at === NEED_MORE) {
          // the shortest trailer, <SOH>10=ddd<SOH>, would already end past the maximum
          if (i + TRAILER_BYTES - s > this.#maxMessageBytes) return TOO_LARGE;
          return this.#needMore(s, stopAtStart, i);
        }
      } else if (stopAtStart && c === C8 && i > s && looksLikeHeader(buf, i, end)) {
        return -i - 3;
      }
    }
    if (end - s >= this.#maxMessageBytes) return TOO_LARGE;
    // a header near the end may not have been recognisable yet
    return this.#needMore(s, stopAtStart, Math.max(from, limit - HEADER_LOOKAHEAD_BYTES));
  }

  #needMore(s: number, stopAtStart: boolean, resumeAt: number): number {
    this.#resumeStart = s;
    this.#resumeStopAtStart = stopAtStart;
    this.#resumeAt = resumeAt;
    return NEED_MORE;
  }

  #tooLarge(s: number): GarbledFrame {
    const nextStart = findStart(this.#buf, s + 1, this.#end);
    if (nextStart < 0) this.#skipReason = "too-large";
    return this.#garbled(
      nextStart < 0 ? Math.max(s + 1, this.#end - 4) : nextStart,
      "too-large",
      `Message is larger than ${this.#maxMessageBytes} bytes`,
    );
  }

  #garbledToNextStart(s: number, reason: GarbleReason, detail: string): GarbledFrame {
    const nextStart = findStart(this.#buf, s + 1, this.#end);
    return this.#garbled(
      nextStart < 0 ? Math.max(s + 1, this.#end - 4) : nextStart,
      reason,
      detail,
    );
  }

  #garbled(
    upTo: number,
    reason: GarbleReason,
    detail: string,
    continuation = false,
  ): GarbledFrame {
    const from = this.#start;
    const bytes = this.#buf.subarray(from, upTo);
    this.#start = upTo;
    return {
      kind: "garbled",
      reason,
      detail,
      discardedBytes: upTo - from,
      bytes,
      msgType: reason === "bad-begin-string" || reason === "too-large"
        ? undefined
        : thirdFieldMsgType(bytes),
      continuation,
    };
  }
}

/**
 * CheckSum of `buf[start, end)`: the byte sum modulo 256. Whole 32-bit words
 * are summed two bytes lanes at a time (`words` views the same memory), about
 * three times faster than byte by byte.
 */
function checksumOf(buf: Uint8Array, words: Uint32Array, start: number, end: number): number {
  let sum = 0;
  let i = start;
  const firstWord = (start + 3) & ~3;
  for (; i < firstWord && i < end; i++) sum += buf[i]!;
  const wordEnd = end >> 2;
  let k = i >> 2;
  while (k < wordEnd) {
    // 64 words at most per fold, so the 16-bit lanes cannot overflow
    const stop = Math.min(wordEnd, k + 64);
    let lanes = 0;
    for (; k < stop; k++) {
      const w = words[k]!;
      lanes += (w & 0x00ff00ff) + ((w >>> 8) & 0x00ff00ff);
    }
    sum += (lanes & 0xffff) + (lanes >>> 16);
  }
  for (i = Math.max(i, wordEnd << 2); i < end; i++) sum += buf[i]!;
  return sum & 0xff;
}

/** Index of the first "8=FIX" at or after `from` and before `end`, or -1. */
function findStart(buf: Uint8Array, from: number, end: number): number {
  const last = end - 5;
  for (let i = from; i <= last; i++) {
    if (
      buf[i] === C8 && buf[i + 1] === EQ && buf[i + 2] === F && buf[i + 3] === I &&
      buf[i + 4] === X
    ) {
      return i;
    }
  }
  return -1;
}

/**
 * Whether a message header `8=FIX…<SOH>9=` starts at `i` (used to notice that
 * a message without CheckSum was cut short by the next one; a Text value such
 * as `58=FIX is great` is not a header).
 */
function looksLikeHeader(buf: Uint8Array, i: number, end: number): boolean {
  if (
    i + 4 >= end || buf[i + 1] !== EQ || buf[i + 2] !== F || buf[i + 3] !== I || buf[i + 4] !== X
  ) {
    return false;
  }
  const limit = Math.min(end - 2, i + 2 + MAX_BEGIN_STRING_BYTES);
  for (let p = i + 5; p < limit; p++) {
    const c = buf[p];
    if (c === SOH) return buf[p + 1] === 0x39 && buf[p + 2] === EQ;
    if (c === EQ) return false;
  }
  return false;
}

/** Index of the first SOH in [from, end), or -1. */
function indexOfSoh(buf: Uint8Array, from: number, end: number): number {
  for (let i = from; i < end; i++) if (buf[i] === SOH) return i;
  return -1;
}

/**
 * If `buf[soh]` is SOH followed by `10=<value>` SOH, the index just past that
 * SOH; NEED_MORE when the bytes so far could still be such a trailer; else -3.
 */
function trailerAt(buf: Uint8Array, soh: number, end: number): number {
  if (soh + 4 > end) return NEED_MORE;
  if (buf[soh] !== SOH || buf[soh + 1] !== 0x31) return -3;
  if (soh + 2 >= end) return NEED_MORE;
  if (buf[soh + 2] !== ZERO) return -3;
  if (soh + 3 >= end) return NEED_MORE;
  if (buf[soh + 3] !== EQ) return -3;
  const limit = soh + 4 + MAX_CHECKSUM_VALUE_BYTES;
  for (let i = soh + 4; i < limit; i++) {
    if (i >= end) return NEED_MORE;
    if (buf[i] === SOH) return i + 1;
  }
  return -3;
}

/** Index of the SOH before the last "10=" in [s, next). */
function lastTrailerStart(buf: Uint8Array, s: number, next: number): number {
  for (let i = next - 2; i > s; i--) {
    if (buf[i] === SOH && buf[i + 1] === 0x31 && buf[i + 2] === ZERO && buf[i + 3] === EQ) {
      return i;
    }
  }
  return s;
}

const MSGTYPE_SCAN_BYTES = 64;

/** MsgType when "35=" is the third field of `bytes` (which start with 8=), else undefined. */
function thirdFieldMsgType(bytes: Uint8Array): string | undefined {
  const limit = Math.min(bytes.length, MSGTYPE_SCAN_BYTES);
  let fieldStart = 0;
  let field = 0;
  for (let i = 0; i < limit; i++) {
    if (bytes[i] !== SOH) continue;
    field++;
    fieldStart = i + 1;
    if (field === 2) break;
  }
  if (field !== 2) return undefined;
  if (
    bytes[fieldStart] !== 0x33 || bytes[fieldStart + 1] !== 0x35 || bytes[fieldStart + 2] !== EQ
  ) {
    return undefined;
  }
  const valueStart = fieldStart + 3;
  let s = "";
  for (let i = valueStart; i < limit; i++) {
    const c = bytes[i]!;
    if (c === SOH) return s === "" ? undefined : s;
    s += String.fromCharCode(c);
  }
  return undefined;
}
