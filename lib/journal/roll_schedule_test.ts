import { assertEquals, assertThrows } from "../testing/assert.ts";
import { nextDailyRollAtMs, parseRollTime } from "./roll_schedule.ts";

const NY = { rollDailyAt: "17:00", timeZone: "America/New_York" };
const iso = (ms: number) => new Date(ms).toISOString();

Deno.test("nextDailyRollAtMs() rolls at 17:00 New York time in winter (UTC-5) and summer (UTC-4)", () => {
  assertEquals(iso(nextDailyRollAtMs(Date.UTC(2026, 0, 15, 12), NY)), "2026-01-15T22:00:00.000Z");
  assertEquals(iso(nextDailyRollAtMs(Date.UTC(2026, 6, 15, 12), NY)), "2026-07-15T21:00:00.000Z");
});

Deno.test("nextDailyRollAtMs() returns the next day's roll at and after the roll instant", () => {
  const at = Date.UTC(2026, 0, 15, 22);
  assertEquals(iso(nextDailyRollAtMs(at - 1, NY)), "2026-01-15T22:00:00.000Z");
  assertEquals(iso(nextDailyRollAtMs(at, NY)), "2026-01-16T22:00:00.000Z");
});

Deno.test("nextDailyRollAtMs() follows the spring-forward and fall-back days", () => {
  // 2026-03-08: EST -> EDT at 02:00 local. 17:00 EDT is 21:00Z that day.
  assertEquals(iso(nextDailyRollAtMs(Date.UTC(2026, 2, 7, 23), NY)), "2026-03-08T21:00:00.000Z");
  // 2026-11-01: EDT -> EST at 02:00 local. 17:00 EST is 22:00Z that day.
  assertEquals(iso(nextDailyRollAtMs(Date.UTC(2026, 9, 31, 22), NY)), "2026-11-01T22:00:00.000Z");
});

Deno.test("nextDailyRollAtMs() rolls at the end of the gap for a skipped wall time and at the first of a repeated one", () => {
  const skipped = { rollDailyAt: "02:30", timeZone: "America/New_York" };
  // 02:30 does not exist on 2026-03-08; 03:00 EDT (07:00Z) is the first instant after it.
  assertEquals(
    iso(nextDailyRollAtMs(Date.UTC(2026, 2, 8, 5), skipped)),
    "2026-03-08T07:00:00.000Z",
  );
  const repeated = { rollDailyAt: "01:30", timeZone: "America/New_York" };
  // 01:30 happens twice on 2026-11-01: first at 05:30Z (EDT).
  assertEquals(
    iso(nextDailyRollAtMs(Date.UTC(2026, 10, 1, 4), repeated)),
    "2026-11-01T05:30:00.000Z",
  );
  assertEquals(
    iso(nextDailyRollAtMs(Date.UTC(2026, 10, 1, 5, 30), repeated)),
    "2026-11-02T06:30:00.000Z",
  );
});

Deno.test("nextDailyRollAtMs() defaults to UTC and handles zones east of UTC", () => {
  assertEquals(
    iso(nextDailyRollAtMs(Date.UTC(2026, 0, 1, 0), { rollDailyAt: "00:00" })),
    "2026-01-02T00:00:00.000Z",
  );
  const tokyo = { rollDailyAt: "06:00", timeZone: "Asia/Tokyo" };
  assertEquals(iso(nextDailyRollAtMs(Date.UTC(2026, 0, 1, 22), tokyo)), "2026-01-02T21:00:00.000Z");
});

Deno.test("nextDailyRollAtMs() rejects a bad time or time zone", () => {
  assertThrows(() => parseRollTime("24:00"), SyntaxError, "expected HH:MM");
  assertThrows(() => parseRollTime("5pm"), SyntaxError);
  assertThrows(
    () => nextDailyRollAtMs(0, { rollDailyAt: "17:00", timeZone: "Mars/Olympus" }),
    RangeError,
    "IANA",
  );
});
