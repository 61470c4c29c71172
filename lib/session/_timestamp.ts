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

const TIMESTAMP = /^(\d{4})(\d{2})(\d{2})-(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?$/;

/** Parses a FIX UTCTimestamp to epoch milliseconds, or NaN when it is not one. */
export function parseTimestamp(text: string): number {
  const m = TIMESTAMP.exec(text);
  if (m === null) return NaN;
  const [, y, mo, d, h, mi, s, frac] = m;
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) {
    return NaN;
  }
  const ms = frac === undefined ? 0 : Number(frac.padEnd(3, "0").slice(0, 3));
  return Date.UTC(Number(y), month - 1, day, hour, minute, second, ms);
}
