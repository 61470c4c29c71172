import { assert, assertEquals, assertThrows } from "../testing/assert.ts";
import { ScheduleConfigError, SessionSchedule } from "./schedule.ts";

const utc = (y: number, mo: number, d: number, h = 0, mi = 0, s = 0) =>
  Date.UTC(y, mo - 1, d, h, mi, s);

Deno.test("SessionSchedule.periodAt() finds a daily period in UTC and nothing outside it", () => {
  const s = new SessionSchedule({ startTime: "08:00:00", endTime: "17:00:00" });
  assertEquals(s.periodAt(utc(2026, 11, 24, 12)), {
    startAtMs: utc(2026, 11, 24, 8),
    endAtMs: utc(2026, 11, 24, 17),
  });
  assertEquals(s.periodAt(utc(2026, 11, 24, 7, 59, 59)), undefined);
  assert(s.isInSession(utc(2026, 11, 24, 8)));
  assert(!s.isInSession(utc(2026, 11, 24, 17)), "the end is exclusive");
});

Deno.test("SessionSchedule.periodAt() runs an overnight period across midnight", () => {
  const s = new SessionSchedule({ startTime: "22:00", endTime: "06:00" });
  const p = { startAtMs: utc(2026, 11, 24, 22), endAtMs: utc(2026, 11, 25, 6) };
  assertEquals(s.periodAt(utc(2026, 11, 24, 23)), p);
  assertEquals(s.periodAt(utc(2026, 11, 25, 5)), p);
  assertEquals(s.periodAt(utc(2026, 11, 25, 12)), undefined);
});

Deno.test("SessionSchedule.periodAt() honours a time zone (New York, winter and summer)", () => {
  const s = new SessionSchedule({
    timeZone: "America/New_York",
    startTime: "09:30:00",
    endTime: "16:00:00",
  });
  // winter: UTC-5
  assertEquals(s.periodAt(utc(2026, 1, 15, 15))?.startAtMs, utc(2026, 1, 15, 14, 30));
  // summer: UTC-4
  assertEquals(s.periodAt(utc(2026, 7, 15, 15))?.startAtMs, utc(2026, 7, 15, 13, 30));
  assertEquals(s.periodAt(utc(2026, 7, 15, 20, 30)), undefined);
});

Deno.test("SessionSchedule.periodAt() spans a spring-forward night with the right length", () => {
  // London: 2026-03-29 01:00 UTC clocks go 01:00 GMT -> 02:00 BST
  const s = new SessionSchedule({
    timeZone: "Europe/London",
    startTime: "00:00",
    endTime: "06:00",
  });
  const p = s.periodAt(utc(2026, 3, 29, 3))!;
  assertEquals(p.startAtMs, utc(2026, 3, 29, 0));
  assertEquals(p.endAtMs, utc(2026, 3, 29, 5), "06:00 BST is 05:00 UTC");
  assertEquals(p.endAtMs - p.startAtMs, 5 * 3600_000);
});

Deno.test("SessionSchedule moves a start time inside the skipped hour forward by the gap", () => {
  const s = new SessionSchedule({
    timeZone: "Europe/London",
    startTime: "01:30",
    endTime: "12:00",
  });
  // 01:30 local does not exist on 2026-03-29; 02:30 BST = 01:30 UTC
  assertEquals(s.periodAt(utc(2026, 3, 29, 6))?.startAtMs, utc(2026, 3, 29, 1, 30));
});

Deno.test("SessionSchedule takes the first occurrence of a repeated wall time (fall back)", () => {
  // London: 2026-10-25 01:00 UTC clocks go 02:00 BST -> 01:00 GMT; 01:30 happens twice
  const s = new SessionSchedule({
    timeZone: "Europe/London",
    startTime: "01:30",
    endTime: "12:00",
  });
  assertEquals(s.periodAt(utc(2026, 10, 25, 6))?.startAtMs, utc(2026, 10, 25, 0, 30));
  const p = s.periodAt(utc(2026, 10, 25, 6))!;
  assertEquals(p.endAtMs, utc(2026, 10, 25, 12), "12:00 GMT");
});

Deno.test("SessionSchedule restricts daily periods to the given weekdays", () => {
  const s = new SessionSchedule({
    startTime: "08:00",
    endTime: "17:00",
    weekdays: [1, 2, 3, 4, 5],
  });
  assert(s.isInSession(utc(2026, 11, 27, 9)), "Friday");
  assert(!s.isInSession(utc(2026, 11, 28, 9)), "Saturday");
  assertEquals(s.nextStartAtMs(utc(2026, 11, 28, 9)), utc(2026, 11, 30, 8), "Monday");
});

Deno.test("SessionSchedule supports weekly periods from a start day to an end day", () => {
  // Sunday 17:00 to Friday 17:00, New York
  const s = new SessionSchedule({
    timeZone: "America/New_York",
    startDay: 0,
    startTime: "17:00",
    endDay: 5,
    endTime: "17:00",
  });
  const p = s.periodAt(utc(2026, 11, 25, 12))!; // Wednesday
  assertEquals(p.startAtMs, utc(2026, 11, 22, 22));
  assertEquals(p.endAtMs, utc(2026, 11, 27, 22));
  assert(!s.isInSession(utc(2026, 11, 28, 12)), "Saturday");
  assert(s.isSamePeriod(utc(2026, 11, 23, 1), utc(2026, 11, 27, 21)));
});

Deno.test("SessionSchedule weekly period crossing the autumn DST change keeps local times", () => {
  const s = new SessionSchedule({
    timeZone: "America/New_York",
    startDay: 0,
    startTime: "17:00",
    endDay: 5,
    endTime: "17:00",
  });
  // 2026-11-01 (Sunday) 02:00 EDT -> 01:00 EST
  const p = s.periodAt(utc(2026, 11, 3, 12))!;
  assertEquals(p.startAtMs, utc(2026, 11, 1, 22), "17:00 EST");
  assertEquals(p.endAtMs, utc(2026, 11, 6, 22));
});

Deno.test("SessionSchedule non-stop is always in one period", () => {
  const s = new SessionSchedule({ nonStop: true });
  assert(s.isInSession(0));
  assert(s.isSamePeriod(0, utc(2030, 1, 1)));
  assertEquals(s.nextStartAtMs(0), undefined);
});

Deno.test("SessionSchedule refuses bad times, days and time zones", () => {
  assertThrows(
    () => new SessionSchedule({ startTime: "25:00", endTime: "01:00" }),
    ScheduleConfigError,
  );
  assertThrows(() => new SessionSchedule({ startTime: "08:00" }), ScheduleConfigError);
  assertThrows(
    () => new SessionSchedule({ startTime: "08:00", endTime: "09:00", startDay: 7, endDay: 1 }),
    ScheduleConfigError,
  );
  assertThrows(
    () => new SessionSchedule({ startTime: "08:00", endTime: "09:00", startDay: 1 }),
    ScheduleConfigError,
  );
  assertThrows(
    () => new SessionSchedule({ timeZone: "Mars/Olympus", startTime: "08:00", endTime: "09:00" }),
    ScheduleConfigError,
  );
});
