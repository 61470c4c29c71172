/**
 * Session schedules: when a FIX session may be logged on, in an IANA time zone.
 *
 * A schedule is a start and an end wall-clock time in a time zone, either
 * every day (optionally only on some weekdays; an end at or before the start
 * means the period runs overnight), or once a week from a start day to an end
 * day, or non-stop. Each period is one "trading session": sequence numbers
 * start again at 1 when a new period begins.
 *
 * Wall-clock times are converted with `Intl.DateTimeFormat`, so daylight saving
 * changes are honoured: a wall time that does not exist on a given day (inside
 * the hour the clocks skip) is moved forward by the length of the gap, so 02:30
 * on a day the clocks jump from 02:00 to 03:00 becomes 03:30; on a day when
 * 01:30 happens twice, the first occurrence counts. Pure: the time is passed in.
 *
 * @module
 */

/** Schedule configuration. */
export interface ScheduleConfig {
  /** IANA time zone, e.g. `Europe/London`. Default `UTC`. */
  readonly timeZone?: string;
  /** Start of each period, `HH:MM:SS` (or `HH:MM`) local time. */
  readonly startTime?: string;
  /** End of each period, `HH:MM:SS` local time; at or before the start = overnight. */
  readonly endTime?: string;
  /** Weekly sessions: the day the period starts (0 = Sunday … 6 = Saturday). */
  readonly startDay?: number;
  /** Weekly sessions: the day the period ends. */
  readonly endDay?: number;
  /** Daily sessions: only periods starting on these weekdays (0 = Sunday). Default: every day. */
  readonly weekdays?: readonly number[];
  /** Always in session; sequence numbers never reset by the schedule. */
  readonly nonStop?: boolean;
}

/** One session period, `[startAtMs, endAtMs)`. */
export interface SchedulePeriod {
  readonly startAtMs: number;
  readonly endAtMs: number;
}

/** Thrown for a schedule that cannot be used. */
export class ScheduleConfigError extends RangeError {
  /** The offending option. */
  readonly option: string;
  constructor(option: string, message: string) {
    super(message);
    this.name = "ScheduleConfigError";
    this.option = option;
  }
}

import { checkTimeZone, offsetAtMs } from "../time/time_zone.ts";

const DAY_MS = 86_400_000;

function parseTime(option: string, text: string | undefined): number {
  if (text === undefined) {
    throw new ScheduleConfigError(option, `Cannot parse schedule: ${option} is missing`);
  }
  const m = /^(\d{1,2}):(\d{2})(?::(\d{2}))?$/.exec(text);
  const h = Number(m?.[1]);
  const mi = Number(m?.[2]);
  const s = Number(m?.[3] ?? 0);
  if (m === null || h > 23 || mi > 59 || s > 59) {
    throw new ScheduleConfigError(
      option,
      `Cannot parse schedule ${option} "${text}": expected HH:MM:SS`,
    );
  }
  return ((h * 60 + mi) * 60 + s) * 1000;
}

function checkDay(option: string, day: number | undefined): void {
  if (day !== undefined && !(Number.isInteger(day) && day >= 0 && day <= 6)) {
    throw new ScheduleConfigError(option, `Cannot use schedule ${option} ${day}: expected 0..6`);
  }
}

/** A session schedule; see the module doc. */
export class SessionSchedule {
  /** The configuration. */
  readonly config: ScheduleConfig;
  readonly #timeZone: string;
  readonly #startMs: number;
  readonly #endMs: number;
  readonly #weekly: boolean;
  readonly #weekdays: ReadonlySet<number> | undefined;

  constructor(config: ScheduleConfig) {
    this.config = config;
    const timeZone = config.timeZone ?? "UTC";
    try {
      checkTimeZone(timeZone);
    } catch {
      throw new ScheduleConfigError("timeZone", `Cannot use time zone "${timeZone}": unknown`);
    }
    this.#timeZone = timeZone;
    if (config.nonStop) {
      this.#startMs = 0;
      this.#endMs = 0;
      this.#weekly = false;
      this.#weekdays = undefined;
      return;
    }
    this.#startMs = parseTime("startTime", config.startTime);
    this.#endMs = parseTime("endTime", config.endTime);
    checkDay("startDay", config.startDay);
    checkDay("endDay", config.endDay);
    if ((config.startDay === undefined) !== (config.endDay === undefined)) {
      throw new ScheduleConfigError(
        "startDay",
        "Cannot use schedule: startDay and endDay must be given together",
      );
    }
    this.#weekly = config.startDay !== undefined;
    if (config.weekdays !== undefined) {
      for (const d of config.weekdays) checkDay("weekdays", d);
      this.#weekdays = new Set(config.weekdays);
    }
  }

  /** Offset of local time from UTC at instant `t`, in ms. */
  #offsetAt(t: number): number {
    return offsetAtMs(t, this.#timeZone);
  }

  /** Local day number (days since 1970-01-01 in the zone) and ms into that day, at `t`. */
  #local(t: number): { day: number; msOfDay: number } {
    const local = t + this.#offsetAt(t);
    const day = Math.floor(local / DAY_MS);
    return { day, msOfDay: local - day * DAY_MS };
  }

  /** The instant of local wall time `msOfDay` on local `day` (gaps: after the jump). */
  #instant(day: number, msOfDay: number): number {
    const wall = day * DAY_MS + msOfDay;
    const before = this.#offsetAt(wall - DAY_MS / 2);
    const after = this.#offsetAt(wall + DAY_MS / 2);
    const a = wall - before;
    const b = wall - after;
    // The earlier candidate that maps back to the wall time wins (first of a repeated hour).
    const fits = (t: number) => t + this.#offsetAt(t) === wall;
    const candidates = [a, b].sort((x, y) => x - y);
    for (const t of candidates) if (fits(t)) return t;
    // A wall time inside a gap: shifted forward by the length of the gap.
    return wall - before;
  }

  #dailyPeriod(day: number): SchedulePeriod | undefined {
    if (this.#weekdays !== undefined && !this.#weekdays.has(((day % 7) + 11) % 7)) {
      return undefined;
    }
    const startAtMs = this.#instant(day, this.#startMs);
    const endDay = this.#endMs > this.#startMs ? day : day + 1;
    return { startAtMs, endAtMs: this.#instant(endDay, this.#endMs) };
  }

  #weeklyPeriod(startDayNumber: number): SchedulePeriod {
    const startDow = this.config.startDay!;
    const endDow = this.config.endDay!;
    let span = (endDow - startDow + 7) % 7;
    if (span === 0 && this.#endMs <= this.#startMs) span = 7;
    return {
      startAtMs: this.#instant(startDayNumber, this.#startMs),
      endAtMs: this.#instant(startDayNumber + span, this.#endMs),
    };
  }

  /** The period containing `nowMs`, or undefined when outside session time. */
  periodAt(nowMs: number): SchedulePeriod | undefined {
    if (this.config.nonStop) return { startAtMs: -Infinity, endAtMs: Infinity };
    const { day } = this.#local(nowMs);
    if (this.#weekly) {
      for (let back = 0; back <= 7; back++) {
        const d = day - back;
        if (((d % 7) + 11) % 7 !== this.config.startDay) continue;
        const p = this.#weeklyPeriod(d);
        if (p.startAtMs <= nowMs && nowMs < p.endAtMs) return p;
      }
      return undefined;
    }
    for (const d of [day - 1, day]) {
      const p = this.#dailyPeriod(d);
      if (p !== undefined && p.startAtMs <= nowMs && nowMs < p.endAtMs) return p;
    }
    return undefined;
  }

  /** Whether `nowMs` is inside a session period. */
  isInSession(nowMs: number): boolean {
    return this.periodAt(nowMs) !== undefined;
  }

  /** Whether two instants fall in the same session period. */
  isSamePeriod(aMs: number, bMs: number): boolean {
    const a = this.periodAt(aMs);
    const b = this.periodAt(bMs);
    return a !== undefined && b !== undefined && a.startAtMs === b.startAtMs;
  }

  /** Start of the next period after `nowMs` (searching up to 8 days ahead), if any. */
  nextStartAtMs(nowMs: number): number | undefined {
    if (this.config.nonStop) return undefined;
    const { day } = this.#local(nowMs);
    for (let d = day - 1; d <= day + 8; d++) {
      let p: SchedulePeriod | undefined;
      if (this.#weekly) {
        if (((d % 7) + 11) % 7 !== this.config.startDay) continue;
        p = this.#weeklyPeriod(d);
      } else {
        p = this.#dailyPeriod(d);
      }
      if (p !== undefined && p.startAtMs > nowMs) return p.startAtMs;
    }
    return undefined;
  }
}
