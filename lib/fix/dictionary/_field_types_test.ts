import { assertEquals } from "../../testing/assert.ts";
import { checkFormat, TypeCode, typeCodeOf } from "./_field_types.ts";

function ok(code: TypeCode, value: string): boolean {
  const b = new TextEncoder().encode(value);
  return checkFormat(code, b, 0, b.length);
}

const CASES: [TypeCode, string[], string[]][] = [
  [TypeCode.Char, ["A", "1"], ["", "AB"]],
  [TypeCode.Int, ["0", "123", "-5", "007"], ["", "-", "1.0", "+1", "1a", " 1"]],
  [TypeCode.Float, ["1", "1.5", "-0.25", ".5", "1.", "002000.00"], [
    "",
    "-",
    ".",
    "+200.00",
    "1e3",
    "1,5",
    "1.2.3",
  ]],
  [TypeCode.Boolean, ["Y", "N"], ["y", "YES", "1", ""]],
  [
    TypeCode.UtcTimestamp,
    ["20261124-10:00:00", "20261124-23:59:60.123", "20261124-10:00:00.123456789"],
    [
      "20261124",
      "20261124-24:00:00",
      "20261324-10:00:00",
      "20261124-10:00:00.",
      "20261124 10:00:00",
      "20261124-10:00:00.1234567890",
    ],
  ],
  [TypeCode.UtcTimeOnly, ["10:00:00", "10:00:00.5"], ["10:00", "25:00:00", "10-00-00"]],
  [TypeCode.UtcDateOnly, ["20261124"], ["2026112", "20261132", "2026-11-24"]],
  [TypeCode.LocalMktDate, ["20261124"], ["20260001"]],
  [TypeCode.MonthYear, ["202611", "20261124", "202611w1"], [
    "2026",
    "202613",
    "202611w9",
    "202611x1",
  ]],
  [TypeCode.Any, ["", "anything at all"], []],
  [TypeCode.Multiple, ["A B"], []],
];

Deno.test("checkFormat() accepts and refuses values per FIX type", () => {
  for (const [code, good, bad] of CASES) {
    for (const v of good) assertEquals(ok(code, v), true, `type ${code} should accept "${v}"`);
    for (const v of bad) assertEquals(ok(code, v), false, `type ${code} should refuse "${v}"`);
  }
});

Deno.test("typeCodeOf() maps QuickFIX XML type names", () => {
  assertEquals(typeCodeOf("PRICE", false), TypeCode.Float);
  assertEquals(typeCodeOf("NUMINGROUP", false), TypeCode.Int);
  assertEquals(typeCodeOf("SEQNUM", false), TypeCode.Int);
  assertEquals(typeCodeOf("TIME", false), TypeCode.UtcTimestamp);
  assertEquals(typeCodeOf("UTCDATE", false), TypeCode.UtcDateOnly);
  assertEquals(typeCodeOf("MULTIPLECHARVALUE", false), TypeCode.Multiple);
  assertEquals(typeCodeOf("CURRENCY", false), TypeCode.Any);
  assertEquals(typeCodeOf("XID", false), TypeCode.Any);
});
