/**
 * UTC timestamp helpers for the session layer (`YYYYMMDD-HH:MM:SS[.fff…]`).
 * Pure: the time is always passed in.
 *
 * @module
 */

function pad(n: number, width: number): string {
  return String(n).padStart(width, "0");
}

/** Formats epoch milliseconds as a FIX UTCTimestamp with 0, 3, 6 or 9 fraction digits. */
export function formatTimestamp(epochMs: number, precision: 0 | 3 | 6 | 9): string {
  const d = new Date(epochMs);
  let s = pad(d.getUTCFullYear(), 4) + pad(d.getUTCMonth() + 1, 2) + pad(d.getUTCDate(), 2) +
    "-" + pad(d.getUTCHours(), 2) + ":" + pad(d.getUTCMinutes(), 2) + ":" +
    pad(d.getUTCSeconds(), 2);
  if (precision > 0) {
    s += "." + pad(d.getUTCMilliseconds(), 3) + "0".repeat(precision - 3);
  }
  return s;
}

/** The number of `count` ASCII digits of `b` from `i`, or -1 when one is not a digit. */
function digitsAt(b: Uint8Array, i: number, count: number): number {
  let n = 0;
  for (let k = 0; k < count; k++) {
    const d = b[i + k]! - 0x30;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

/** Longest UTCTimestamp text: `YYYYMMDD-HH:MM:SS.fffffffff`. */
const MAX_TIMESTAMP_LENGTH = 27;
const scratch = new Uint8Array(MAX_TIMESTAMP_LENGTH);

/**
 * Parses a FIX UTCTimestamp `YYYYMMDD-HH:MM:SS[.f{1,9}]` to epoch milliseconds
 * (fraction truncated to ms), or NaN when it is not one. Hand-written rather
 * than a regular expression: it runs for every received message.
 */
export function parseTimestamp(text: string): number {
  const length = text.length;
  if (length > MAX_TIMESTAMP_LENGTH) return NaN;
  for (let i = 0; i < length; i++) {
    const c = text.charCodeAt(i);
    scratch[i] = c > 0x7f ? 0xff : c; // never a digit or separator
  }
  return parseTimestampBytes(scratch, 0, length);
}

/**
 * {@linkcode parseTimestamp} of the bytes `[start, end)` of `b` (a received
 * message's SendingTime, read without making a string).
 */
export function parseTimestampBytes(b: Uint8Array, start: number, end: number): number {
  const length = end - start;
  if (length < 17 || (length > 17 && (length < 19 || length > MAX_TIMESTAMP_LENGTH))) return NaN;
  if (b[start + 8] !== 0x2d || b[start + 11] !== 0x3a || b[start + 14] !== 0x3a) return NaN;
  const year = digitsAt(b, start, 4);
  const month = digitsAt(b, start + 4, 2);
  const day = digitsAt(b, start + 6, 2);
  const hour = digitsAt(b, start + 9, 2);
  const minute = digitsAt(b, start + 12, 2);
  const second = digitsAt(b, start + 15, 2);
  if ((year | month | day | hour | minute | second) < 0) return NaN;
  let ms = 0;
  if (length > 17) {
    if (b[start + 17] !== 0x2e) return NaN;
    for (let i = 18; i < length; i++) {
      const d = b[start + i]! - 0x30;
      if (d < 0 || d > 9) return NaN;
      if (i < 21) ms = ms * 10 + d;
    }
    for (let i = length; i < 21; i++) ms *= 10;
  }
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) {
    return NaN;
  }
  return (((daysFromCivil(year < 100 ? 1900 + year : year, month) + day - 1) * 24 + hour) * 60 +
        minute) * 60000 + second * 1000 + ms;
}

/**
 * Days from 1970-01-01 to the first of `month` (1–12) of `year` (proleptic
 * Gregorian; Howard Hinnant's days_from_civil). With the two-digit-year rule
 * of `Date.UTC` applied by the caller, the parser gives exactly what
 * `Date.UTC` gives, days past the month's end included, without its cost.
 */
function daysFromCivil(year: number, month: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5);
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}
