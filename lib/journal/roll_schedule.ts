/**
 * When the journal starts a new segment by time: daily at a wall-clock time in
 * an IANA time zone, computed with `Intl` so that daylight-saving changes are
 * honoured. Pure: the current time comes in as `nowMs`.
 *
 * A wall time that does not exist on a day (skipped by a spring-forward
 * change) rolls at the first instant after the gap; a wall time that happens
 * twice (fall-back) rolls at its first occurrence.
 *
 * @module
 */

/** A daily roll time. */
export interface DailyRoll {
  /** Wall-clock time `HH:MM` (24-hour), e.g. `"17:00"`. */
  rollDailyAt: string;
  /** IANA time zone, e.g. `"America/New_York"`; default `"UTC"`. */
  timeZone?: string;
}

import { TimeZoneError, wallClockAsUtcMs } from "../time/time_zone.ts";

const DAY_MS = 86_400_000;
/** The wall-clock fields at `epochMs` in `timeZone`, as if they were UTC (milliseconds, whole seconds). */
function wallAsUtc(epochMs: number, timeZone: string): number {
  try {
    return wallClockAsUtcMs(epochMs, timeZone);
  } catch (e) {
    if (e instanceof TimeZoneError) {
      throw new RangeError(`Cannot parse time zone "${timeZone}": not an IANA time zone`);
    }
    throw e;
  }
}

/** Parses `HH:MM` into minutes after midnight. */
export function parseRollTime(text: string): number {
  const m = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(text);
  if (m === null) {
    throw new SyntaxError(`Cannot parse roll time "${text}": expected HH:MM (00:00-23:59)`);
  }
  return Number(m[1]) * 60 + Number(m[2]);
}

/** The instant a wall time (given as if UTC) happens in `timeZone`: earliest occurrence, or the end of a gap. */
function wallToInstant(wallMs: number, timeZone: string): number {
  const offsetBefore = wallAsUtc(wallMs - DAY_MS, timeZone) - (wallMs - DAY_MS);
  const offsetAfter = wallAsUtc(wallMs + DAY_MS, timeZone) - (wallMs + DAY_MS);
  const candidates = [wallMs - offsetBefore, wallMs - offsetAfter].sort((a, b) => a - b);
  for (const c of candidates) if (wallAsUtc(c, timeZone) === wallMs) return c;
  // In a gap: the first instant whose wall time is at or after `wallMs`.
  let lo = candidates[0]!;
  let hi = candidates[1]!;
  if (lo === hi) return lo;
  while (hi - lo > 1000) {
    const mid = lo + Math.floor((hi - lo) / 2000) * 1000;
    if (wallAsUtc(mid, timeZone) >= wallMs) hi = mid;
    else lo = mid;
  }
  return hi;
}

/**
 * The first instant strictly after `nowMs` at which the wall clock in the
 * roll's time zone shows `rollDailyAt`.
 *
 * @example
 * ```ts
 * import { nextDailyRollAtMs } from "./roll_schedule.ts";
 * const at = nextDailyRollAtMs(Date.UTC(2026, 2, 8, 12), {
 *   rollDailyAt: "17:00",
 *   timeZone: "America/New_York",
 * }); // 2026-03-08T21:00:00Z (EDT began that morning)
 * ```
 */
export function nextDailyRollAtMs(nowMs: number, roll: DailyRoll): number {
  const minutes = parseRollTime(roll.rollDailyAt);
  const timeZone = roll.timeZone ?? "UTC";
  const wallNow = wallAsUtc(nowMs, timeZone);
  const dayStart = Math.floor(wallNow / DAY_MS) * DAY_MS;
  for (let day = -1; day <= 2; day++) {
    const at = wallToInstant(dayStart + day * DAY_MS + minutes * 60_000, timeZone);
    if (at > nowMs) return at;
  }
  throw new RangeError(`Cannot compute the next roll after ${nowMs}`);
}
