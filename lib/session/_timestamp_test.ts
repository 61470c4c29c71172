import { assertEquals } from "../testing/assert.ts";
import { formatTimestamp, parseTimestamp, parseTimestampBytes } from "./_timestamp.ts";

Deno.test("parseTimestamp() gives what Date.UTC gives for every fraction length", () => {
  assertEquals(parseTimestamp("20261124-12:34:56"), Date.UTC(2026, 10, 24, 12, 34, 56));
  const fractions: [string, number][] = [
    ["1", 100],
    ["12", 120],
    ["123", 123],
    ["1234", 123],
    ["123456", 123],
    ["123456789", 123],
  ];
  for (const [f, ms] of fractions) {
    assertEquals(parseTimestamp(`20261124-12:34:56.${f}`), Date.UTC(2026, 10, 24, 12, 34, 56, ms));
  }
});

Deno.test("parseTimestamp() keeps Date.UTC's rules for odd but accepted values", () => {
  // two-digit years are 19xx, days past the month's end and leap second 60 roll over
  assertEquals(parseTimestamp("00990101-00:00:00"), Date.UTC(99, 0, 1));
  assertEquals(parseTimestamp("00000101-00:00:00"), Date.UTC(1900, 0, 1));
  assertEquals(parseTimestamp("20260231-23:59:60.999"), Date.UTC(2026, 1, 31, 23, 59, 60, 999));
  assertEquals(parseTimestamp("99991231-23:59:59.999"), Date.UTC(9999, 11, 31, 23, 59, 59, 999));
  assertEquals(parseTimestamp("19000301-00:00:00"), Date.UTC(1900, 2, 1));
  assertEquals(parseTimestamp("20000229-00:00:00"), Date.UTC(2000, 1, 29));
});

Deno.test("parseTimestamp() refuses text that is not a UTCTimestamp", () => {
  for (
    const text of [
      "",
      "20261124-12:34:5",
      "20261124-12:34:56.",
      "20261124-12:34:56.1234567890",
      "20261124 12:34:56",
      "20261124-12-34:56",
      "20261124-12:34:56x",
      "20261124-12:34:56.12a",
      " 20261124-12:34:56",
      "20261124-12:34:56\n",
      "+0261124-12:34:56",
      "2026112４-12:34:56",
      "2026112\u0130-12:34:56", // low byte '0'
      "20261124-12\u013a34:56", // low byte ':'
      "20261124-12:34:56.1234567890123456789012345",
      "20261324-12:34:56",
      "20261100-12:34:56",
      "20261132-12:34:56",
      "20261124-24:00:00",
      "20261124-12:60:00",
      "20261124-12:34:61",
    ]
  ) {
    assertEquals(parseTimestamp(text), NaN, text);
  }
});

Deno.test("parseTimestamp() reads back what formatTimestamp() writes", () => {
  for (
    const ms of [0, 1, 999, 86_399_999, Date.UTC(2026, 10, 24, 5, 30, 0, 123), 253402300799999]
  ) {
    assertEquals(parseTimestamp(formatTimestamp(ms, 3)), ms);
    assertEquals(parseTimestamp(formatTimestamp(ms, 9)), ms);
    assertEquals(parseTimestamp(formatTimestamp(ms, 0)), ms - (ms % 1000));
  }
});

Deno.test("parseTimestampBytes() reads a timestamp inside a larger buffer like parseTimestamp()", () => {
  const texts = ["20261124-12:34:56.789", "20261124-12:34:56", "20261124-12:34:5x", "0099"];
  for (const text of texts) {
    const bytes = new TextEncoder().encode(`52=${text}\x01`);
    assertEquals(parseTimestampBytes(bytes, 3, 3 + text.length), parseTimestamp(text), text);
  }
  assertEquals(parseTimestampBytes(new Uint8Array(30).fill(0x31), 0, 30), NaN);
});
