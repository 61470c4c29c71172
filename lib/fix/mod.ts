/**
 * The FIX codec: framing a byte stream, decoding messages as offset views,
 * typed field values and encoding with BodyLength and CheckSum computed.
 * Pure code: no I/O, no clock.
 *
 * - {@linkcode Framer} splits received bytes into messages and reports
 *   garbled input (bad BodyLength or CheckSum, fields out of order, too large)
 *   instead of throwing.
 * - {@linkcode decodeMessage} indexes a message's fields without copying;
 *   {@linkcode FixMessage} reads them as strings, integers, decimals,
 *   timestamps, dates and data bytes.
 * - {@linkcode MessageEncoder} writes messages (8, 9 and 10 computed);
 *   {@linkcode rewriteForResend} prepares a stored message for a resend.
 * - `values.ts` parses and formats the FIX data types.
 *
 * @example Frame, read and answer a message
 * ```ts
 * import { Framer, MessageEncoder, Tag } from "./mod.ts";
 *
 * const encoder = new MessageEncoder("FIX.4.4");
 * const order = encoder.begin("D")
 *   .field(Tag.MsgSeqNum, 2)
 *   .field(Tag.SenderCompID, "CLIENT")
 *   .field(Tag.TargetCompID, "BROKER")
 *   .utcTimestamp(Tag.SendingTime, Date.UTC(2026, 0, 2, 9, 30), 3)
 *   .field(11, "ORD-1")
 *   .field(44, "187.250")
 *   .finish();
 *
 * const framer = new Framer();
 * framer.push(order.subarray(0, 10)); // bytes arrive in any chunks
 * framer.push(order.subarray(10));
 * const frame = framer.next();
 * if (frame?.kind !== "message") throw new Error("expected a message");
 * const msg = frame.message;
 * console.log(msg.msgType, msg.msgSeqNum, msg.getDecimal(44)?.toString()); // D 2 187.250
 * ```
 *
 * @module
 */

export {
  checksum,
  DEFAULT_ENCODER_SLAB_BYTES,
  encodeMessage,
  type FieldValue,
  FixEncodeError,
  MessageEncoder,
  rewriteForResend,
  timestampPrecisionFor,
} from "./encoder.ts";
export {
  DEFAULT_FRAMER_BUFFER_BYTES,
  DEFAULT_MAX_MESSAGE_BYTES,
  type Frame,
  Framer,
  FramerOptionError,
  type FramerOptions,
  GARBAGE_REPORT_BYTES,
  type GarbledFrame,
  type GarbleReason,
  MAX_BEGIN_STRING_BYTES,
  MAX_BODY_LENGTH_DIGITS,
  MAX_CHECKSUM_VALUE_BYTES,
  type MessageFrame,
} from "./framer.ts";
export {
  bytesToString,
  decodeMessage,
  decodeMessageAt,
  type DecodeOptions,
  FIELD_TABLE_ENTRIES,
  FixFieldFormatError,
  FixMessage,
  FixParseError,
  lengthTagsOf,
  SOH,
  STANDARD_DATA_FIELDS,
} from "./message.ts";
export { AdminMsgType, Tag } from "./tags.ts";
export {
  daysInMonth,
  Decimal,
  epochMsOfDate,
  type FixDate,
  FixValueError,
  formatFixDate,
  formatMonthYear,
  formatUtcTimeOnly,
  formatUtcTimestamp,
  isLeapYear,
  type MonthYear,
  parseFixBoolean,
  parseFixChar,
  parseFixInt,
  parseLocalMktDate,
  parseMonthYear,
  parseUtcDateOnly,
  parseUtcTimeOnly,
  parseUtcTimestamp,
  type TimestampPrecision,
  utcDateOf,
  type UtcTimeOnly,
  type UtcTimestamp,
} from "./values.ts";
