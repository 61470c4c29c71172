import { assertEquals, assertThrows } from "../testing/assert.ts";
import { checkTimeZone, offsetAtMs, TimeZoneError, wallClockAsUtcMs } from "./time_zone.ts";

Deno.test("offsetAtMs() follows daylight saving time in New York and London", () => {
  const hour = 3_600_000;
  assertEquals(offsetAtMs(Date.UTC(2026, 0, 15, 12), "America/New_York"), -5 * hour);
  assertEquals(offsetAtMs(Date.UTC(2026, 6, 15, 12), "America/New_York"), -4 * hour);
  assertEquals(offsetAtMs(Date.UTC(2026, 0, 15, 12), "Europe/London"), 0);
  assertEquals(offsetAtMs(Date.UTC(2026, 6, 15, 12), "Europe/London"), hour);
  // the instant of the spring-forward change: 2026-03-08 07:00 UTC in New York
  assertEquals(offsetAtMs(Date.UTC(2026, 2, 8, 6, 59, 59), "America/New_York"), -5 * hour);
  assertEquals(offsetAtMs(Date.UTC(2026, 2, 8, 7), "America/New_York"), -4 * hour);
});

Deno.test("wallClockAsUtcMs() reads the local wall clock and drops sub-seconds", () => {
  const t = Date.UTC(2026, 10, 24, 21, 30, 15, 999);
  assertEquals(wallClockAsUtcMs(t, "UTC"), Date.UTC(2026, 10, 24, 21, 30, 15));
  assertEquals(wallClockAsUtcMs(t, "Asia/Tokyo"), Date.UTC(2026, 10, 25, 6, 30, 15));
});

Deno.test("checkTimeZone() refuses a name that is not an IANA time zone", () => {
  checkTimeZone("Europe/Paris");
  assertThrows(() => checkTimeZone("Mars/Olympus"), TimeZoneError, "not an IANA time zone");
});
