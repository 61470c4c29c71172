/**
 * FIX field value types: parsing and formatting.
 *
 * Every `parse…` function takes the field's text and returns the value, or
 * `undefined` when the text is not in the type's format; none of them throws.
 * The typed getters on {@linkcode FixMessage} (`getDecimal`, `getUtcTimestamp`,
 * …) build on these and throw `FixFieldFormatError` for a present but bad
 * value, so "absent" and "malformed" stay distinct.
 *
 * Formats (FIX 4.0–5.0SP2 "Data types"):
 *
 * | Type | Format | Notes |
 * | --- | --- | --- |
 * | int | `-?[0-9]+` | safe integers only |
 * | float, Qty, Price, … | `-?[0-9]*.?[0-9]*` | as {@linkcode Decimal}, exact |
 * | char | one byte | |
 * | Boolean | `Y` or `N` | |
 * | UTCTimestamp | `YYYYMMDD-HH:MM:SS[.s…]` | 0–9 fraction digits; second 60 only at 23:59 (leap second) |
 * | UTCTimeOnly | `HH:MM:SS[.s…]` | as above |
 * | UTCDateOnly, LocalMktDate | `YYYYMMDD` | checked against the calendar (leap years) |
 * | MonthYear | `YYYYMM`, `YYYYMMDD` or `YYYYMMwN` | week 1–5 |
 *
 * Times are milliseconds since the Unix epoch (UTC) plus nanoseconds within
 * the millisecond, so nanosecond timestamps survive without bigint. A leap
 * second (`23:59:60`) is read as the first millisecond of the next day
 * (what `Date.UTC` does); formatting never writes second 60.
 *
 * @module
 */

const ZERO = 0x30;

/** Fraction digits a timestamp is written with: seconds, ms, µs or ns. */
export type TimestampPrecision = 0 | 3 | 6 | 9;

/** A UTCTimestamp value. */
export interface UtcTimestamp {
  /** Milliseconds since 1970-01-01T00:00:00Z. */
  readonly epochMs: number;
  /** Nanoseconds within that millisecond, 0–999999 (non-zero only with more than 3 fraction digits). */
  readonly nanosWithinMs: number;
  /** Fraction digits the text had (0–9; FIX sends 0, 3, 6 or 9). */
  readonly precision: number;
}

/** A UTCTimeOnly value. */
export interface UtcTimeOnly {
  /** Milliseconds since midnight UTC (86400000–86400999 for a leap second). */
  readonly millisOfDay: number;
  /** Nanoseconds within that millisecond, 0–999999. */
  readonly nanosWithinMs: number;
  /** Fraction digits the text had (0–9; FIX sends 0, 3, 6 or 9). */
  readonly precision: number;
}

/** A calendar date (UTCDateOnly or LocalMktDate). */
export interface FixDate {
  readonly year: number;
  /** 1–12. */
  readonly month: number;
  /** 1–31. */
  readonly day: number;
}

/** A MonthYear value: `YYYYMM`, `YYYYMMDD` or `YYYYMMwN`. */
export interface MonthYear {
  readonly year: number;
  /** 1–12. */
  readonly month: number;
  /** Day of month when the value is `YYYYMMDD`. */
  readonly day: number | undefined;
  /** Week 1–5 when the value is `YYYYMMwN`. */
  readonly week: number | undefined;
}

/** Thrown by formatters given values that cannot be written (a broken invariant). */
export class FixValueError extends RangeError {
  constructor(message: string) {
    super(message);
    this.name = "FixValueError";
  }
}

// ---------------------------------------------------------------- numbers

/** Reads `-?[0-9]+` as a safe integer, else undefined. */
export function parseFixInt(text: string): number | undefined {
  const length = text.length;
  let i = 0;
  let negative = false;
  if (length > 0 && text.charCodeAt(0) === 0x2d) {
    negative = true;
    i = 1;
  }
  if (i >= length) return undefined;
  let n = 0;
  for (; i < length; i++) {
    const d = text.charCodeAt(i) - ZERO;
    if (d < 0 || d > 9) return undefined;
    n = n * 10 + d;
  }
  if (n > Number.MAX_SAFE_INTEGER) return undefined;
  return negative ? -n : n;
}

/** Reads `Y` or `N`, else undefined. */
export function parseFixBoolean(text: string): boolean | undefined {
  return text === "Y" ? true : text === "N" ? false : undefined;
}

/** Reads a single character, else undefined. */
export function parseFixChar(text: string): string | undefined {
  return text.length === 1 ? text : undefined;
}

const DECIMAL_PATTERN = /^(-?)([0-9]*)(?:\.([0-9]*))?$/;

/**
 * An exact decimal number, as FIX writes prices and quantities.
 *
 * The value is `unscaled × 10^-scale`; the scale is the number of digits after
 * the point as received, so `187.250` reads back as `187.250` (not `187.25`).
 * Leading zeros are not kept (`007.5` → `7.5`) and zero has no sign.
 */
export class Decimal {
  /** The digits as an integer, with the sign. */
  readonly unscaled: bigint;
  /** Digits after the decimal point (0 or more). */
  readonly scale: number;

  /** @param scale digits after the point; a non-negative integer */
  constructor(unscaled: bigint, scale: number) {
    if (!Number.isSafeInteger(scale) || scale < 0) {
      throw new FixValueError(
        `Cannot create Decimal: scale must be a non-negative integer, got ${scale}`,
      );
    }
    this.unscaled = unscaled;
    this.scale = scale;
  }

  /** Reads FIX float text (`-?digits[.digits]`, at least one digit), else undefined. */
  static parse(text: string): Decimal | undefined {
    const m = DECIMAL_PATTERN.exec(text);
    if (m === null) return undefined;
    const whole = m[2]!;
    const fraction = m[3] ?? "";
    if (whole.length + fraction.length === 0) return undefined;
    const digits = whole + fraction;
    const unscaled = digits.length <= 15 ? BigInt(Number(digits)) : BigInt(digits);
    return new Decimal(m[1] === "-" ? -unscaled : unscaled, fraction.length);
  }

  /**
   * A Decimal from text (as {@linkcode Decimal.parse}), an integer bigint, or a
   * finite number (its shortest round-trip form: `0.1` → `0.1`).
   * @throws {FixValueError} for text that is not a decimal or a number that is not finite
   */
  static from(value: string | number | bigint | Decimal): Decimal {
    if (value instanceof Decimal) return value;
    if (typeof value === "bigint") return new Decimal(value, 0);
    if (typeof value === "number") {
      if (!Number.isFinite(value)) {
        throw new FixValueError(`Cannot convert ${value} to Decimal: it is not finite`);
      }
      return Decimal.#fromNumberText(String(value));
    }
    const d = Decimal.parse(value);
    if (d === undefined) {
      throw new FixValueError(`Cannot parse "${value}" as Decimal: not -?digits[.digits]`);
    }
    return d;
  }

  static #fromNumberText(text: string): Decimal {
    const e = text.indexOf("e");
    if (e < 0) return Decimal.parse(text)!;
    const mantissa = Decimal.parse(text.slice(0, e))!;
    const exponent = Number(text.slice(e + 1));
    const scale = mantissa.scale - exponent;
    return scale >= 0
      ? new Decimal(mantissa.unscaled, scale)
      : new Decimal(mantissa.unscaled * 10n ** BigInt(-scale), 0);
  }

  /** The nearest double. */
  toNumber(): number {
    return Number(this.toString());
  }

  /** FIX text with exactly {@linkcode Decimal.scale} fraction digits. */
  toString(): string {
    const negative = this.unscaled < 0n;
    const digits = (negative ? -this.unscaled : this.unscaled).toString();
    const sign = negative ? "-" : "";
    if (this.scale === 0) return sign + digits;
    const padded = digits.padStart(this.scale + 1, "0");
    const point = padded.length - this.scale;
    return `${sign}${padded.slice(0, point)}.${padded.slice(point)}`;
  }

  /** -1, 0 or 1 as this is less than, equal to or greater than `other` (by value). */
  compare(other: Decimal): -1 | 0 | 1 {
    let a = this.unscaled;
    let b = other.unscaled;
    if (this.scale < other.scale) a *= 10n ** BigInt(other.scale - this.scale);
    else if (other.scale < this.scale) b *= 10n ** BigInt(this.scale - other.scale);
    return a < b ? -1 : a > b ? 1 : 0;
  }

  /** Equal by value: `1.50` equals `1.5`. */
  equals(other: Decimal): boolean {
    return this.compare(other) === 0;
  }
}

// ---------------------------------------------------------------- calendar

/** Whether `year` is a Gregorian leap year. */
export function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Days in `month` (1–12) of `year`. */
export function daysInMonth(year: number, month: number): number {
  return month === 2 && isLeapYear(year) ? 29 : DAYS_IN_MONTH[month - 1]!;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const mp = (month + 9) % 12;
  const doy = Math.floor((153 * mp + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** The date of a day number since 1970-01-01 (civil_from_days). */
function civilFromDays(days: number): FixDate {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) -
      Math.floor(doe / 146096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: yoe + era * 400 + (month <= 2 ? 1 : 0), month, day };
}

/** Reads `n` digits of `text` at `at`, or -1 if any is not a digit. */
function digits(text: string, at: number, n: number): number {
  let v = 0;
  for (let i = at; i < at + n; i++) {
    const d = text.charCodeAt(i) - ZERO;
    if (!(d >= 0 && d <= 9)) return -1;
    v = v * 10 + d;
  }
  return v;
}

/** Reads YYYYMMDD at the start of `text` (which must be at least 8 long). */
function readDate(text: string): FixDate | undefined {
  const year = digits(text, 0, 4);
  const month = digits(text, 4, 2);
  const day = digits(text, 6, 2);
  if (year < 0 || month < 1 || month > 12 || day < 1) return undefined;
  if (day > daysInMonth(year, month)) return undefined;
  return { year, month, day };
}

/** Reads `YYYYMMDD` (UTCDateOnly), else undefined. */
export function parseUtcDateOnly(text: string): FixDate | undefined {
  return text.length === 8 ? readDate(text) : undefined;
}

/** Reads `YYYYMMDD` (LocalMktDate: a date in the market's time zone), else undefined. */
export function parseLocalMktDate(text: string): FixDate | undefined {
  return parseUtcDateOnly(text);
}

/** Writes a date as `YYYYMMDD`. @throws {FixValueError} for a date not in the calendar */
export function formatFixDate(date: FixDate): string {
  const { year, month, day } = date;
  if (
    !Number.isInteger(year) || year < 0 || year > 9999 || !Number.isInteger(month) ||
    month < 1 || month > 12 || !Number.isInteger(day) || day < 1 ||
    day > daysInMonth(year, month)
  ) {
    throw new FixValueError(`Cannot format date ${year}-${month}-${day}: not a calendar date`);
  }
  return pad(year, 4) + pad(month, 2) + pad(day, 2);
}

/** The date of an epoch time, in UTC. */
export function utcDateOf(epochMs: number): FixDate {
  return civilFromDays(Math.floor(epochMs / 86_400_000));
}

/** Milliseconds since the epoch of midnight UTC at the start of `date`. */
export function epochMsOfDate(date: FixDate): number {
  return daysFromCivil(date.year, date.month, date.day) * 86_400_000;
}

/** Reads `YYYYMM`, `YYYYMMDD` or `YYYYMMwN` (N = 1–5), else undefined. */
export function parseMonthYear(text: string): MonthYear | undefined {
  const length = text.length;
  if (length !== 6 && length !== 8) return undefined;
  const year = digits(text, 0, 4);
  const month = digits(text, 4, 2);
  if (year < 0 || month < 1 || month > 12) return undefined;
  if (length === 6) return { year, month, day: undefined, week: undefined };
  if (text.charCodeAt(6) === 0x77 /* w */) {
    const week = digits(text, 7, 1);
    if (week < 1 || week > 5) return undefined;
    return { year, month, day: undefined, week };
  }
  const date = readDate(text);
  return date === undefined ? undefined : { year, month, day: date.day, week: undefined };
}

/** Writes a MonthYear. @throws {FixValueError} for values out of range */
export function formatMonthYear(value: MonthYear): string {
  const { year, month, day, week } = value;
  if (day !== undefined) return formatFixDate({ year, month, day });
  if (!Number.isInteger(year) || year < 0 || year > 9999 || !(month >= 1 && month <= 12)) {
    throw new FixValueError(`Cannot format MonthYear ${year}-${month}: out of range`);
  }
  const ym = pad(year, 4) + pad(month, 2);
  if (week === undefined) return ym;
  if (!(Number.isInteger(week) && week >= 1 && week <= 5)) {
    throw new FixValueError(`Cannot format MonthYear week ${week}: must be 1–5`);
  }
  return `${ym}w${week}`;
}

// ---------------------------------------------------------------- times

const POW10 = [1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000];

/**
 * Reads `HH:MM:SS[.f…]` at `at` to the end of `text`:
 * sets `timeMs`/`timeNanos`/`timeDigits` and returns true, or false.
 */
function readTime(text: string, at: number, allowLeap: boolean): boolean {
  const length = text.length - at;
  if (length < 8 || length === 9 || length > 18) return false;
  if (text.charCodeAt(at + 2) !== 0x3a || text.charCodeAt(at + 5) !== 0x3a) return false;
  const hour = digits(text, at, 2);
  const minute = digits(text, at + 3, 2);
  const second = digits(text, at + 6, 2);
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0) return false;
  if (second > 59 && !(second === 60 && allowLeap && hour === 23 && minute === 59)) return false;
  let ms = 0;
  let nanos = 0;
  let precision = 0;
  if (length > 8) {
    if (text.charCodeAt(at + 8) !== 0x2e) return false;
    precision = length - 9;
    const f = digits(text, at + 9, precision);
    if (f < 0) return false;
    const ns = f * POW10[9 - precision]!; // nanoseconds within the second
    ms = Math.floor(ns / 1_000_000);
    nanos = ns - ms * 1_000_000;
  }
  timeMs = ((hour * 60 + minute) * 60 + second) * 1000 + ms;
  timeNanos = nanos;
  timeDigits = precision;
  return true;
}
let timeMs = 0;
let timeNanos = 0;
let timeDigits = 0;

/**
 * Reads `YYYYMMDD-HH:MM:SS[.f…]` with 0–9 fraction digits (FIX uses 0, 3, 6
 * or 9), else undefined. Second 60 is accepted at 23:59 (a leap second).
 */
export function parseUtcTimestamp(text: string): UtcTimestamp | undefined {
  if (text.length < 17 || text.charCodeAt(8) !== 0x2d) return undefined;
  const date = readDate(text);
  if (date === undefined || !readTime(text, 9, true)) return undefined;
  return {
    epochMs: daysFromCivil(date.year, date.month, date.day) * 86_400_000 + timeMs,
    nanosWithinMs: timeNanos,
    precision: timeDigits,
  };
}

/** Reads `HH:MM:SS[.f…]` (UTCTimeOnly) with 0–9 fraction digits, else undefined. */
export function parseUtcTimeOnly(text: string): UtcTimeOnly | undefined {
  if (!readTime(text, 0, true)) return undefined;
  return { millisOfDay: timeMs, nanosWithinMs: timeNanos, precision: timeDigits };
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, "0");
}

function checkPrecision(precision: number): void {
  if (precision !== 0 && precision !== 3 && precision !== 6 && precision !== 9) {
    throw new FixValueError(`Cannot format time: precision must be 0, 3, 6 or 9, got ${precision}`);
  }
}

function checkNanos(nanosWithinMs: number): void {
  if (!Number.isInteger(nanosWithinMs) || nanosWithinMs < 0 || nanosWithinMs > 999_999) {
    throw new FixValueError(
      `Cannot format time: nanosWithinMs must be an integer 0–999999, got ${nanosWithinMs}`,
    );
  }
}

/** `HH:MM:SS[.fff…]` of a millisecond of the day (0–86399999), truncated to `precision`. */
function timeText(msOfDay: number, precision: TimestampPrecision, nanosWithinMs: number): string {
  const seconds = Math.floor(msOfDay / 1000);
  const ms = msOfDay - seconds * 1000;
  const h = Math.floor(seconds / 3600);
  const m = Math.floor(seconds / 60) % 60;
  const s = seconds % 60;
  const base = `${pad(h, 2)}:${pad(m, 2)}:${pad(s, 2)}`;
  switch (precision) {
    case 0:
      return base;
    case 3:
      return `${base}.${pad(ms, 3)}`;
    case 6:
      return `${base}.${pad(ms, 3)}${pad(Math.floor(nanosWithinMs / 1000), 3)}`;
    case 9:
      return `${base}.${pad(ms, 3)}${pad(nanosWithinMs, 6)}`;
    default: {
      const never: never = precision;
      throw new FixValueError(`Cannot format time: precision ${never} is not supported`);
    }
  }
}

/**
 * Writes `YYYYMMDD-HH:MM:SS[.fff[fff[fff]]]` for `epochMs` (+ `nanosWithinMs`
 * for µs/ns), truncating (never rounding) to `precision` fraction digits.
 * @throws {FixValueError} for a precision other than 0/3/6/9, a non-integer
 *   epochMs, nanos outside 0–999999 or a year outside 0–9999
 */
export function formatUtcTimestamp(
  epochMs: number,
  precision: TimestampPrecision = 3,
  nanosWithinMs = 0,
): string {
  checkPrecision(precision);
  checkNanos(nanosWithinMs);
  if (!Number.isSafeInteger(epochMs)) {
    throw new FixValueError(`Cannot format timestamp ${epochMs}: not an integer millisecond`);
  }
  const days = Math.floor(epochMs / 86_400_000);
  const date = civilFromDays(days);
  if (date.year < 0 || date.year > 9999) {
    throw new FixValueError(`Cannot format timestamp ${epochMs}: year ${date.year} is not 0–9999`);
  }
  return `${pad(date.year, 4)}${pad(date.month, 2)}${pad(date.day, 2)}-${
    timeText(epochMs - days * 86_400_000, precision, nanosWithinMs)
  }`;
}

/**
 * Writes `HH:MM:SS[.fff…]` (UTCTimeOnly) for a millisecond of the day
 * (0–86399999), truncated to `precision`.
 * @throws {FixValueError} for values out of range
 */
export function formatUtcTimeOnly(
  millisOfDay: number,
  precision: TimestampPrecision = 3,
  nanosWithinMs = 0,
): string {
  checkPrecision(precision);
  checkNanos(nanosWithinMs);
  if (!Number.isInteger(millisOfDay) || millisOfDay < 0 || millisOfDay >= 86_400_000) {
    throw new FixValueError(`Cannot format time of day ${millisOfDay}: not 0–86399999 ms`);
  }
  return timeText(millisOfDay, precision, nanosWithinMs);
}
