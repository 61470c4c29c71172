import { assertEquals, assertThrows } from "../testing/assert.ts";
import { findControlCharacter, parseRawFix, RawFixError } from "./input_checks.ts";

const LENGTH_TAGS = new Map([[95, 96]]);
const none = () => false;

Deno.test("findControlCharacter() names the field holding SOH, NUL or another C0 character", () => {
  assertEquals(
    findControlCharacter({ Symbol: "IBM\u00011=VICTIM" }, "fields", none)?.path,
    "fields.Symbol",
  );
  assertEquals(
    findControlCharacter({ G: [{ A: "ok" }, { B: "x\u0000" }] }, "fields", none)?.path,
    "fields.G[1].B",
  );
  assertEquals(findControlCharacter({ T: "a\nb" }, "fields", none)?.why.includes("LF"), true);
  assertEquals(findControlCharacter({ Symbol: "IBM", Qty: 5 }, "fields", none), undefined);
});

Deno.test("findControlCharacter() lets a data field carry any character", () => {
  const isData = (k: string) => k === "RawData" || k === "96";
  assertEquals(
    findControlCharacter({ RawData: "a\u0001b", "96": "\u0000" }, "f", isData),
    undefined,
  );
});

Deno.test("parseRawFix() reads one message delimited by | or SOH", () => {
  const pipe = parseRawFix("8=FIX.4.4|35=D|11=A|55=IBM|", LENGTH_TAGS);
  assertEquals(pipe.msgType, "D");
  assertEquals(pipe.fields.map(([t]) => t), [8, 35, 11, 55]);
  const soh = parseRawFix("35=D\u000155=A|B\u0001", LENGTH_TAGS);
  assertEquals(new TextDecoder().decode(soh.fields[1]![1]), "A|B");
});

Deno.test("parseRawFix() reads a data field by its length, control characters included", () => {
  const m = parseRawFix("35=D\u000195=3\u000196=a\u0001b\u000111=X\u0001", LENGTH_TAGS);
  assertEquals(m.fields.map(([t]) => t), [35, 95, 96, 11]);
  assertEquals([...m.fields[2]![1]], [0x61, 0x01, 0x62]);
});

Deno.test("parseRawFix() refuses two messages, injected control characters and broken fields", () => {
  const cases: [string, string][] = [
    ["8=FIX.4.4|35=D|11=A|10=000|8=FIX.4.4|35=D|11=B|10=000|", "fields after CheckSum"],
    ["8=FIX.4.4|35=D|11=A|8=FIX.4.4|35=D|", "BeginString (8) at field 4"],
    ["35=D|11=A|35=D|11=B|", "MsgType (35) given twice"],
    ["35=D|55=IBM\u00001=X|", "tag 55 holds the control character U+0000 (NUL)"],
    ["35=D|55=I\tBM|", "tag 55 holds the control character U+0009 (TAB)"],
    ["11=A|55=IBM|", "no MsgType"],
    ["35=D|x=1|", 'field 2 "x=1" is not tag=value'],
    ["35=D|55=|", "tag 55 has no value"],
    ["35=D|95=5|96=ab|", "data field 96 is not 5 bytes long"],
  ];
  for (const [text, why] of cases) {
    assertThrows(() => parseRawFix(text, LENGTH_TAGS), RawFixError, why);
  }
});
