import { assert, assertEquals, assertThrows } from "../testing/assert.ts";
import { cb } from "./_testing.ts";
import { decodeMessage, FixFieldFormatError } from "./message.ts";
import {
  daysInMonth,
  Decimal,
  epochMsOfDate,
  FixValueError,
  formatFixDate,
  formatMonthYear,
  formatUtcTimeOnly,
  formatUtcTimestamp,
  isLeapYear,
  parseFixBoolean,
  parseFixChar,
  parseFixInt,
  parseLocalMktDate,
  parseMonthYear,
  parseUtcDateOnly,
  parseUtcTimeOnly,
  parseUtcTimestamp,
  utcDateOf,
} from "./values.ts";

Deno.test("parseFixInt() reads signed integers and rejects everything else", () => {
  assertEquals(parseFixInt("0"), 0);
  assertEquals(parseFixInt("007"), 7);
  assertEquals(parseFixInt("-42"), -42);
  assertEquals(parseFixInt("9007199254740991"), Number.MAX_SAFE_INTEGER);
  for (const bad of ["", "-", "+1", "1.0", "1e3", " 1", "12a", "9007199254740993"]) {
    assertEquals(parseFixInt(bad), undefined, JSON.stringify(bad));
  }
});

Deno.test("parseFixBoolean() and parseFixChar() accept only their exact forms", () => {
  assertEquals(parseFixBoolean("Y"), true);
  assertEquals(parseFixBoolean("N"), false);
  for (const bad of ["", "y", "n", "YES", "1", "T"]) assertEquals(parseFixBoolean(bad), undefined);
  assertEquals(parseFixChar("1"), "1");
  assertEquals(parseFixChar(""), undefined);
  assertEquals(parseFixChar("12"), undefined);
});

Deno.test("Decimal.parse() keeps the scale so text round-trips exactly", () => {
  for (const text of ["187.250", "0.0001", "-3.10", "100", "0", "1.000000000", "-0.5"]) {
    assertEquals(Decimal.parse(text)!.toString(), text);
  }
  const d = Decimal.parse("187.250")!;
  assertEquals(d.unscaled, 187250n);
  assertEquals(d.scale, 3);
  assertEquals(d.toNumber(), 187.25);
  assertEquals(
    Decimal.parse("12345678901234567890.123456789")!.toString(),
    "12345678901234567890.123456789",
  );
});

Deno.test("Decimal.parse() normalises leading zeros, a bare point and negative zero", () => {
  assertEquals(Decimal.parse("007.50")!.toString(), "7.50");
  assertEquals(Decimal.parse(".5")!.toString(), "0.5");
  assertEquals(Decimal.parse("5.")!.toString(), "5");
  assertEquals(Decimal.parse("-0.0")!.toString(), "0.0");
});

Deno.test("Decimal.parse() rejects text that is not a FIX float", () => {
  for (
    const bad of ["", ".", "-", "-.", "1.2.3", "1e5", "+1", " 1", "1,5", "NaN", "Infinity", "0x10"]
  ) {
    assertEquals(Decimal.parse(bad), undefined, JSON.stringify(bad));
  }
});

Deno.test("Decimal.from() converts numbers by their shortest form, bigints and text", () => {
  assertEquals(Decimal.from(0.1).toString(), "0.1");
  assertEquals(Decimal.from(187.25).toString(), "187.25");
  assertEquals(Decimal.from(-2).toString(), "-2");
  assertEquals(Decimal.from(1e-7).toString(), "0.0000001");
  assertEquals(Decimal.from(1.5e21).toString(), "1500000000000000000000");
  assertEquals(Decimal.from(10n).toString(), "10");
  assertEquals(Decimal.from("1.10").toString(), "1.10");
  assertThrows(() => Decimal.from(NaN), FixValueError);
  assertThrows(() => Decimal.from(Infinity), FixValueError);
  assertThrows(() => Decimal.from("abc"), FixValueError);
  assertThrows(() => new Decimal(1n, -1), FixValueError);
});

Deno.test("Decimal.compare() and equals() compare by value across scales", () => {
  const a = Decimal.parse("1.50")!;
  const b = Decimal.parse("1.5")!;
  assert(a.equals(b));
  assertEquals(a.toString() === b.toString(), false);
  assertEquals(Decimal.parse("-1")!.compare(Decimal.parse("0.001")!), -1);
  assertEquals(Decimal.parse("2")!.compare(Decimal.parse("1.999")!), 1);
});

Deno.test("isLeapYear() and daysInMonth() follow the Gregorian calendar", () => {
  assert(isLeapYear(2024));
  assert(isLeapYear(2000));
  assert(!isLeapYear(1900));
  assert(!isLeapYear(2023));
  assertEquals(daysInMonth(2024, 2), 29);
  assertEquals(daysInMonth(2023, 2), 28);
  assertEquals(daysInMonth(2100, 2), 28);
  assertEquals(daysInMonth(2026, 4), 30);
  assertEquals(daysInMonth(2026, 12), 31);
});

Deno.test("parseUtcDateOnly() checks months, days and leap years", () => {
  assertEquals(parseUtcDateOnly("20240229"), { year: 2024, month: 2, day: 29 });
  assertEquals(parseUtcDateOnly("20000229"), { year: 2000, month: 2, day: 29 });
  assertEquals(parseUtcDateOnly("20261231"), { year: 2026, month: 12, day: 31 });
  for (
    const bad of [
      "20230229",
      "19000229",
      "20241301",
      "20240001",
      "20240100",
      "20240431",
      "2024011",
      "202401011",
      "2024-01-01",
      "2024O101",
      "",
    ]
  ) {
    assertEquals(parseUtcDateOnly(bad), undefined, bad);
  }
  assertEquals(parseLocalMktDate("20260315"), { year: 2026, month: 3, day: 15 });
  assertEquals(parseLocalMktDate("20260230"), undefined);
});

Deno.test("formatFixDate() writes YYYYMMDD and refuses dates not in the calendar", () => {
  assertEquals(formatFixDate({ year: 2026, month: 1, day: 5 }), "20260105");
  assertEquals(formatFixDate({ year: 33, month: 1, day: 5 }), "00330105");
  assertThrows(() => formatFixDate({ year: 2023, month: 2, day: 29 }), FixValueError);
  assertThrows(() => formatFixDate({ year: 2023, month: 13, day: 1 }), FixValueError);
  assertThrows(() => formatFixDate({ year: 10000, month: 1, day: 1 }), FixValueError);
});

Deno.test("utcDateOf() and epochMsOfDate() agree with Date.UTC", () => {
  for (
    const [y, m, d] of [[1970, 1, 1], [2024, 2, 29], [1969, 12, 31], [2000, 3, 1], [1600, 2, 29]]
  ) {
    const ms = Date.UTC(y!, m! - 1, d!);
    assertEquals(epochMsOfDate({ year: y!, month: m!, day: d! }), ms);
    assertEquals(utcDateOf(ms + 86_399_999), { year: y!, month: m!, day: d! });
  }
});

Deno.test("parseMonthYear() reads YYYYMM, YYYYMMDD and YYYYMMwN", () => {
  assertEquals(parseMonthYear("202603"), { year: 2026, month: 3, day: undefined, week: undefined });
  assertEquals(parseMonthYear("20260315"), { year: 2026, month: 3, day: 15, week: undefined });
  assertEquals(parseMonthYear("202603w2"), { year: 2026, month: 3, day: undefined, week: 2 });
  for (
    const bad of [
      "202613",
      "202600",
      "20260231",
      "202603w0",
      "202603w6",
      "202603W2",
      "2026031",
      "26031",
    ]
  ) {
    assertEquals(parseMonthYear(bad), undefined, bad);
  }
  for (const text of ["202603", "20240229", "202612w5"]) {
    assertEquals(formatMonthYear(parseMonthYear(text)!), text);
  }
  assertThrows(
    () => formatMonthYear({ year: 2026, month: 1, day: undefined, week: 6 }),
    FixValueError,
  );
  assertThrows(
    () => formatMonthYear({ year: 2026, month: 0, day: undefined, week: undefined }),
    FixValueError,
  );
});

Deno.test("parseUtcTimestamp() reads seconds, ms, µs and ns precision", () => {
  const base = Date.UTC(2026, 10, 24, 5, 30, 1);
  assertEquals(parseUtcTimestamp("20261124-05:30:01"), {
    epochMs: base,
    nanosWithinMs: 0,
    precision: 0,
  });
  assertEquals(parseUtcTimestamp("20261124-05:30:01.123"), {
    epochMs: base + 123,
    nanosWithinMs: 0,
    precision: 3,
  });
  assertEquals(parseUtcTimestamp("20261124-05:30:01.123456"), {
    epochMs: base + 123,
    nanosWithinMs: 456_000,
    precision: 6,
  });
  assertEquals(parseUtcTimestamp("20261124-05:30:01.123456789"), {
    epochMs: base + 123,
    nanosWithinMs: 456_789,
    precision: 9,
  });
  assertEquals(parseUtcTimestamp("20261124-05:30:01.5"), {
    epochMs: base + 500,
    nanosWithinMs: 0,
    precision: 1,
  });
});

Deno.test("parseUtcTimestamp() accepts a leap second at 23:59:60 as the next day's first second", () => {
  const t = parseUtcTimestamp("20161231-23:59:60.250")!;
  assertEquals(t.epochMs, Date.UTC(2017, 0, 1, 0, 0, 0, 250));
  assertEquals(parseUtcTimestamp("20161231-12:00:60"), undefined);
  assertEquals(parseUtcTimestamp("20161231-23:59:61"), undefined);
});

Deno.test("parseUtcTimestamp() rejects bad dates, times and shapes", () => {
  for (
    const bad of [
      "",
      "20261124",
      "20261124-05:30",
      "20261124 05:30:01",
      "20261124-24:00:00",
      "20261124-05:60:00",
      "20261124-5:30:01",
      "20261124-05:30:01.",
      "20261124-05:30:01.1234567890",
      "20261124-05:30:01,123",
      "20261124-05:30:01.12a",
      "20230229-00:00:00",
      "20261324-00:00:00",
      "20261124-05-30-01",
      "2026112-05:30:01.1",
    ]
  ) {
    assertEquals(parseUtcTimestamp(bad), undefined, bad);
  }
});

Deno.test("formatUtcTimestamp() writes each precision and truncates, never rounds", () => {
  const ms = Date.UTC(2026, 10, 24, 5, 30, 1, 999);
  assertEquals(formatUtcTimestamp(ms, 0), "20261124-05:30:01");
  assertEquals(formatUtcTimestamp(ms), "20261124-05:30:01.999");
  assertEquals(formatUtcTimestamp(ms, 6, 456_789), "20261124-05:30:01.999456");
  assertEquals(formatUtcTimestamp(ms, 9, 456_789), "20261124-05:30:01.999456789");
  assertEquals(formatUtcTimestamp(ms, 9), "20261124-05:30:01.999000000");
  assertEquals(formatUtcTimestamp(0, 3), "19700101-00:00:00.000");
  assertEquals(formatUtcTimestamp(-1, 3), "19691231-23:59:59.999");
  assertEquals(formatUtcTimestamp(Date.UTC(2024, 1, 29, 23, 59, 59), 0), "20240229-23:59:59");
});

Deno.test("formatUtcTimestamp() refuses precisions, nanos and epochs it cannot write", () => {
  assertThrows(() => formatUtcTimestamp(0, 2 as 3), FixValueError);
  assertThrows(() => formatUtcTimestamp(0, 9, 1_000_000), FixValueError);
  assertThrows(() => formatUtcTimestamp(0, 9, -1), FixValueError);
  assertThrows(() => formatUtcTimestamp(0.5), FixValueError);
  assertThrows(() => formatUtcTimestamp(Date.UTC(10000, 0, 1)), FixValueError);
});

Deno.test("formatUtcTimestamp() and parseUtcTimestamp() round-trip at every precision", () => {
  let seed = 12345;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  for (let i = 0; i < 2000; i++) {
    const ms = Math.floor(rand() * 253402300799999); // up to 9999-12-31
    const nanos = Math.floor(rand() * 1_000_000);
    for (const p of [0, 3, 6, 9] as const) {
      const text = formatUtcTimestamp(ms, p, nanos);
      const back = parseUtcTimestamp(text)!;
      const expectMs = p === 0 ? ms - (ms % 1000) : ms;
      const expectNanos = p === 9 ? nanos : p === 6 ? nanos - (nanos % 1000) : 0;
      assertEquals([back.epochMs, back.nanosWithinMs, back.precision], [
        expectMs,
        expectNanos,
        p,
      ], text);
      assertEquals(
        new Date(expectMs).toISOString().slice(0, 10).replaceAll("-", ""),
        text.slice(0, 8),
      );
    }
  }
});

Deno.test("parseUtcTimeOnly() and formatUtcTimeOnly() handle HH:MM:SS with fractions", () => {
  assertEquals(parseUtcTimeOnly("05:30:01"), {
    millisOfDay: 19_801_000,
    nanosWithinMs: 0,
    precision: 0,
  });
  assertEquals(parseUtcTimeOnly("23:59:59.999999999"), {
    millisOfDay: 86_399_999,
    nanosWithinMs: 999_999,
    precision: 9,
  });
  assertEquals(parseUtcTimeOnly("23:59:60")!.millisOfDay, 86_400_000);
  for (const bad of ["24:00:00", "12:00", "12:00:00.", "1:00:00", "12:00:60", "12:00:00Z"]) {
    assertEquals(parseUtcTimeOnly(bad), undefined, bad);
  }
  assertEquals(formatUtcTimeOnly(19_801_123, 3), "05:30:01.123");
  assertEquals(formatUtcTimeOnly(19_801_123, 0), "05:30:01");
  assertEquals(formatUtcTimeOnly(19_801_123, 6, 400_000), "05:30:01.123400");
  assertThrows(() => formatUtcTimeOnly(86_400_000), FixValueError);
});

Deno.test("FixMessage typed getters return values, undefined when absent, and throw when malformed", () => {
  const msg = decodeMessage(cb(
    "8=FIX.4.4|35=D|34=7|44=187.250|54=1|43=Y|60=20261124-05:30:01.123456|" +
      "432=20240229|541=20260315|200=202603w2|1079=05:30:01|95=3|96=a|b|38=x|",
  ));
  assertEquals(msg.getDecimal(44)!.toString(), "187.250");
  assertEquals(msg.getFloat(44), 187.25);
  assertEquals(msg.getChar(54), "1");
  assertEquals(msg.getBoolean(43), true);
  assertEquals(msg.getUtcTimestamp(60)!.nanosWithinMs, 456_000);
  assertEquals(msg.getUtcDateOnly(432), { year: 2024, month: 2, day: 29 });
  assertEquals(msg.getLocalMktDate(541), { year: 2026, month: 3, day: 15 });
  assertEquals(msg.getMonthYear(200)!.week, 2);
  assertEquals(msg.getUtcTimeOnly(1079)!.millisOfDay, 19_801_000);
  assertEquals(new TextDecoder().decode(msg.getData(96)), "a\x01b");
  assertEquals(msg.getString(35), "D");
  assertEquals(msg.getInt(34), 7);
  for (const tag of [9999]) {
    assertEquals(msg.getDecimal(tag), undefined);
    assertEquals(msg.getUtcTimestamp(tag), undefined);
    assertEquals(msg.getBoolean(tag), undefined);
  }
  const e = assertThrows(() => msg.getDecimal(38), FixFieldFormatError);
  assertEquals(e.tag, 38);
  assertEquals(e.message, 'Cannot read tag 38 as float: value is "x"');
  assertThrows(() => msg.getBoolean(54), FixFieldFormatError);
  assertThrows(() => msg.getChar(44), FixFieldFormatError);
  assertThrows(() => msg.getUtcTimestamp(432), FixFieldFormatError);
  assertThrows(() => msg.getUtcDateOnly(60), FixFieldFormatError);
  assertThrows(() => msg.getMonthYear(44), FixFieldFormatError);
  assertThrows(() => msg.getUtcTimeOnly(60), FixFieldFormatError);
  assertThrows(() => msg.getInt(44), FixFieldFormatError);
});
