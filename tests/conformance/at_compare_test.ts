import { assertEquals, assertThrows } from "../../lib/testing/assert.ts";
import {
  compareMessages,
  DEFAULT_FIELD_PATTERNS,
  parseFieldPatterns,
  printable,
  takeMessage,
} from "./at_compare.ts";
import { completeMessage } from "./at_script.ts";

const soh = (s: string) => s.replaceAll("|", "\x01");
const bytes = (s: string) => new TextEncoder().encode(s);
const EXPECTED = soh(
  "8=FIX.4.4|9=62|35=A|34=1|49=ISLD|52=00000000-00:00:00.000|56=TW44|98=0|108=6|10=0|",
);
const received = (body: string) => completeMessage(soh(`8=FIX.4.4|${body}`));

Deno.test("parseFieldPatterns() reads TAG=REGEX lines and refuses anything else", () => {
  const p = parseFieldPatterns("10=\\d{3}\r\n# comment\n\n52=\\d{8}-\\d{2}:\\d{2}:\\d{2}\n");
  assertEquals([...p.keys()], [10, 52]);
  assertEquals(p.get(10)!.test("123"), true);
  assertEquals(p.get(10)!.test("x123"), false, "anchored at the start of the value");
  assertEquals(p.get(52)!.test("20261124-10:00:00.123"), true, "may stop before the end");
  assertThrows(() => parseFieldPatterns("abc\n", "f.fmt"), SyntaxError, "f.fmt line 1");
});

Deno.test("takeMessage() cuts one message off the stream and leaves the rest", () => {
  const one = received("35=0|34=2|");
  const two = received("35=0|34=3|");
  const r = takeMessage(bytes(one + two));
  assertEquals(r, { kind: "message", text: one, bytes: one.length });
});

Deno.test("takeMessage() waits for more bytes on a partial message", () => {
  const one = received("35=0|34=2|");
  for (const cut of [0, 1, 5, 12, one.length - 1]) {
    assertEquals(takeMessage(bytes(one.slice(0, cut))).kind, "partial", `cut at ${cut}`);
  }
});

Deno.test("takeMessage() refuses a wrong CheckSum, a BodyLength off the trailer, and garbage", () => {
  const good = received("35=0|34=2|");
  const wrongSum = good.replace(/10=\d{3}/, "10=000");
  assertEquals(takeMessage(bytes(wrongSum)).kind, "invalid");
  const short = good.replace("9=10", "9=9");
  const r = takeMessage(bytes(short));
  assertEquals(r.kind === "invalid" && r.reason.includes("does not end on the CheckSum"), true);
  assertEquals(takeMessage(bytes("35=0\x018=FIX")).kind, "invalid");
  assertEquals(takeMessage(bytes(soh("8=FIX.4.4|35=0|"))).kind, "invalid");
  assertEquals(takeMessage(bytes(soh("8=FIX.4.4|9=x|"))).kind, "invalid");
});

Deno.test("takeMessage() refuses a message longer than the limit", () => {
  const r = takeMessage(bytes(soh("8=FIX.4.4|9=5000|")), 1000);
  assertEquals(r.kind === "invalid" && r.reason.includes("exceeds 1000"), true);
});

Deno.test("compareMessages() accepts a message with other field order, times and checksum", () => {
  const got = received("35=A|49=ISLD|34=1|56=TW44|52=20261124-10:00:00.123|108=6|98=0|");
  assertEquals(compareMessages(EXPECTED, got), []);
});

Deno.test("compareMessages() names missing, unexpected and differing fields", () => {
  const got = received("35=A|34=2|49=ISLD|52=20261124-10:00:00.123|56=TW44|108=6|141=Y|");
  assertEquals(compareMessages(EXPECTED, got), [
    "34 should be 1 but is 2",
    "missing 98=0",
    "unexpected 141=Y",
  ]);
});

Deno.test("compareMessages() checks BeginString, MsgType, the header order and pattern fields", () => {
  const wrongType = received("35=0|34=1|49=ISLD|52=20261124-10:00:00|56=TW44|98=0|108=6|");
  assertEquals(compareMessages(EXPECTED, wrongType), ["35 should be A but is 0"]);
  const badTime = received("35=A|34=1|49=ISLD|52=yesterday|56=TW44|98=0|108=6|");
  assertEquals(compareMessages(EXPECTED, badTime).length, 1);
  const misordered = soh("8=FIX.4.4|35=A|9=3|10=000|");
  assertEquals(
    compareMessages(soh("8=FIX.4.4|9=3|35=A|10=0|"), misordered),
    ["received message does not start with 8, 9, 35 and end with 10"],
  );
});

Deno.test("compareMessages() counts repeated tags (a repeating group's entries)", () => {
  const want = soh("8=FIX.4.4|9=1|35=V|146=2|55=A|55=B|10=0|");
  assertEquals(compareMessages(want, received("35=V|146=2|55=B|55=A|")), []);
  assertEquals(compareMessages(want, received("35=V|146=2|55=A|")), ["missing 55=B"]);
});

Deno.test("compareMessages() compares Text (58) only by presence unless told otherwise", () => {
  const want = soh("8=FIX.4.4|9=1|35=3|58=Value is incorrect|10=0|");
  const got = received("35=3|58=Cannot accept 54: not an allowed value|");
  assertEquals(compareMessages(want, got), []);
  assertEquals(compareMessages(want, got, { lenientTags: [] }).length, 1);
  assertEquals(compareMessages(want, received("35=3|")), ["missing 58=Value is incorrect"]);
});

Deno.test("compareMessages() in strict mode wants the same fields in the same order", () => {
  const want = soh("8=FIX.4.4|9=16|35=0|34=2|56=TW|10=0|");
  const same = received("35=0|34=2|56=TW|");
  assertEquals(compareMessages(want, same, { mode: "strict" }), []);
  const swapped = received("35=0|56=TW|34=2|");
  assertEquals(compareMessages(want, swapped), []);
  assertEquals(compareMessages(want, swapped, { mode: "strict" }), [
    "field 4 should be tag 34 but is tag 56",
  ]);
  assertEquals(
    compareMessages(want, received("35=0|34=2|"), { mode: "strict" }),
    ["expected 6 fields but received 5"],
  );
});

Deno.test("DEFAULT_FIELD_PATTERNS matches the suite's fields.fmt", () => {
  const file = parseFieldPatterns(
    Deno.readTextFileSync(new URL("./fields.fmt", import.meta.url)),
  );
  assertEquals(
    [...file].map(([t, r]) => [t, r.source]),
    [...DEFAULT_FIELD_PATTERNS].map(([t, r]) => [t, r.source]),
  );
  assertEquals(printable("8=FIX.4.4\x01"), "8=FIX.4.4|");
});
