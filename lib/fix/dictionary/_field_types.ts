/**
 * Format checks for FIX field types, done directly on message bytes.
 *
 * Every XML type maps to a {@linkcode TypeCode}; {@linkcode checkFormat} answers whether bytes
 * `[start, end)` are a valid value of that type, following QuickFIX's convertors (a float is
 * `-?digits[.digits]` with no sign `+`, no exponent; a CHAR is one byte; a BOOLEAN is `Y` or `N`;
 * timestamps are `YYYYMMDD-HH:MM:SS[.f…]` with up to 9 fraction digits) plus checks QuickFIX leaves
 * out (LocalMktDate as `YYYYMMDD`, MonthYear as `YYYYMM`, `YYYYMMDD` or `YYYYMMwN`).
 *
 * @module
 */

/** Type codes (small integers so that the hot path can switch on them). */
export const TypeCode = {
  /** No format check: STRING, CURRENCY, EXCHANGE, COUNTRY, DATA, unknown types, … */
  Any: 0,
  Char: 1,
  Int: 2,
  Float: 3,
  Boolean: 4,
  UtcTimestamp: 5,
  UtcTimeOnly: 6,
  UtcDateOnly: 7,
  LocalMktDate: 8,
  MonthYear: 9,
  /** Space-separated list; each token is checked against the enums. */
  Multiple: 10,
} as const;
/** One of {@linkcode TypeCode}'s values. */
export type TypeCode = typeof TypeCode[keyof typeof TypeCode];

/**
 * The type code of an XML type name. `legacyChar` is true for FIX.4.0 and FIX.4.1, whose CHAR
 * fields QuickFIX treats as strings (many of them hold more than one character).
 */
export function typeCodeOf(xmlType: string, legacyChar: boolean): TypeCode {
  switch (xmlType.toUpperCase()) {
    case "CHAR":
      return legacyChar ? TypeCode.Any : TypeCode.Char;
    case "INT":
    case "LENGTH":
    case "NUMINGROUP":
    case "SEQNUM":
    case "DAYOFMONTH":
      return TypeCode.Int;
    case "FLOAT":
    case "PRICE":
    case "QTY":
    case "AMT":
    case "PRICEOFFSET":
    case "PERCENTAGE":
      return TypeCode.Float;
    case "BOOLEAN":
      return TypeCode.Boolean;
    case "UTCTIMESTAMP":
    case "TIME":
      return TypeCode.UtcTimestamp;
    case "UTCTIMEONLY":
      return TypeCode.UtcTimeOnly;
    case "UTCDATEONLY":
    case "UTCDATE":
      return TypeCode.UtcDateOnly;
    case "LOCALMKTDATE":
      return TypeCode.LocalMktDate;
    case "MONTHYEAR":
      return TypeCode.MonthYear;
    case "MULTIPLEVALUESTRING":
    case "MULTIPLESTRINGVALUE":
    case "MULTIPLECHARVALUE":
      return TypeCode.Multiple;
    default:
      return TypeCode.Any;
  }
}

// two digits at p as a number, or -1
function d2(b: Uint8Array, p: number): number {
  const x = b[p]! - 0x30;
  const y = b[p + 1]! - 0x30;
  return (x >>> 0) > 9 || (y >>> 0) > 9 ? -1 : x * 10 + y;
}

// YYYYMMDD at p (the caller checked that 8 bytes are there)
function isDate(b: Uint8Array, p: number): boolean {
  if (d2(b, p) < 0 || d2(b, p + 2) < 0) return false;
  const month = d2(b, p + 4);
  const day = d2(b, p + 6);
  return month >= 1 && month <= 12 && day >= 1 && day <= 31;
}

// HH:MM:SS[.f{1,9}] filling exactly [p, end)
function isTime(b: Uint8Array, p: number, end: number): boolean {
  const length = end - p;
  if (length < 8 || length === 9 || length > 18) return false;
  if (b[p + 2] !== 0x3a || b[p + 5] !== 0x3a) return false;
  const h = d2(b, p);
  const m = d2(b, p + 3);
  const s = d2(b, p + 6);
  if (h < 0 || h > 23 || m < 0 || m > 59 || s < 0 || s > 60) return false;
  if (length > 8) {
    if (b[p + 8] !== 0x2e) return false;
    for (let q = p + 9; q < end; q++) if (((b[q]! - 0x30) >>> 0) > 9) return false;
  }
  return true;
}

/** Whether bytes `[start, end)` are a valid value of type `code`. */
export function checkFormat(code: TypeCode, b: Uint8Array, start: number, end: number): boolean {
  switch (code) {
    case TypeCode.Any:
    case TypeCode.Multiple:
      return true;
    case TypeCode.Char:
      return end - start === 1;
    case TypeCode.Int: {
      let p = start;
      if (p < end && b[p] === 0x2d) p++;
      if (p >= end) return false;
      for (; p < end; p++) {
        const d = b[p]! - 0x30;
        if (d < 0 || d > 9) return false;
      }
      return true;
    }
    case TypeCode.Float: {
      let p = start;
      if (p < end && b[p] === 0x2d) p++;
      let haveDigit = false;
      while (p < end && b[p]! >= 0x30 && b[p]! <= 0x39) {
        p++;
        haveDigit = true;
      }
      if (p < end && b[p] === 0x2e) {
        p++;
        while (p < end && b[p]! >= 0x30 && b[p]! <= 0x39) {
          p++;
          haveDigit = true;
        }
      }
      return haveDigit && p === end;
    }
    case TypeCode.Boolean:
      return end - start === 1 && (b[start] === 0x59 || b[start] === 0x4e);
    case TypeCode.UtcTimestamp:
      return end - start >= 17 && isDate(b, start) && b[start + 8] === 0x2d &&
        isTime(b, start + 9, end);
    case TypeCode.UtcTimeOnly:
      return isTime(b, start, end);
    case TypeCode.UtcDateOnly:
    case TypeCode.LocalMktDate:
      return end - start === 8 && isDate(b, start);
    case TypeCode.MonthYear: {
      const length = end - start;
      if (length !== 6 && length !== 8) return false;
      if (d2(b, start) < 0 || d2(b, start + 2) < 0) return false;
      const month = d2(b, start + 4);
      if (month < 1 || month > 12) return false;
      if (length === 6) return true;
      if (b[start + 6] === 0x77) return b[start + 7]! >= 0x31 && b[start + 7]! <= 0x35;
      const day = d2(b, start + 6);
      return day >= 1 && day <= 31;
    }
    default: {
      const never: never = code;
      throw new TypeError(`Cannot check format: unknown type code ${never}`);
    }
  }
}
