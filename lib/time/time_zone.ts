/**
 * Wall-clock time in an IANA time zone, DST-correct, through `Intl` (no
 * time-zone data of our own). Shared by session schedules and journal rolls.
 * Pure: the instant is always passed in.
 *
 * @module
 */

const formatters = new Map<string, Intl.DateTimeFormat>();

/** Thrown for a name that is not an IANA time zone. */
export class TimeZoneError extends RangeError {
  /** The name given. */
  readonly timeZone: string;
  constructor(timeZone: string) {
    super(`Cannot use time zone "${timeZone}": not an IANA time zone`);
    this.name = "TimeZoneError";
    this.timeZone = timeZone;
  }
}

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (f === undefined) {
    try {
      f = new Intl.DateTimeFormat("en-US", {
        timeZone,
        hourCycle: "h23",
        year: "numeric",
        month: "numeric",
        day: "numeric",
        hour: "numeric",
        minute: "numeric",
        second: "numeric",
      });
    } catch {
      throw new TimeZoneError(timeZone);
    }
    formatters.set(timeZone, f);
  }
  return f;
}

/** Checks that `timeZone` is usable. @throws {TimeZoneError} */
export function checkTimeZone(timeZone: string): void {
  formatter(timeZone);
}

/**
 * The wall-clock reading at `epochMs` in `timeZone`, expressed as if it were
 * UTC, in milliseconds (whole seconds: the sub-second part is dropped).
 */
export function wallClockAsUtcMs(epochMs: number, timeZone: string): number {
  let y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  for (const p of formatter(timeZone).formatToParts(new Date(epochMs))) {
    switch (p.type) {
      case "year":
        y = Number(p.value);
        break;
      case "month":
        mo = Number(p.value);
        break;
      case "day":
        d = Number(p.value);
        break;
      case "hour":
        h = Number(p.value);
        break;
      case "minute":
        mi = Number(p.value);
        break;
      case "second":
        s = Number(p.value);
        break;
    }
  }
  return Date.UTC(y, mo - 1, d, h, mi, s);
}

/** Offset of local time from UTC at `epochMs`, in ms (+01:00 → 3,600,000). */
export function offsetAtMs(epochMs: number, timeZone: string): number {
  return wallClockAsUtcMs(epochMs, timeZone) - (epochMs - (((epochMs % 1000) + 1000) % 1000));
}
