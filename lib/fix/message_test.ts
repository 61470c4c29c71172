import { assertEquals, assertThrows } from "../testing/assert.ts";
import { b, cb, t } from "./_testing.ts";
import {
  bytesToString,
  decodeMessage,
  FixFieldFormatError,
  FixParseError,
  lengthTagsOf,
  STANDARD_DATA_FIELDS,
} from "./message.ts";

Deno.test("decodeMessage() indexes every field in wire order without copying", () => {
  const bytes = cb("8=FIX.4.4|35=D|34=12|49=A|56=B|55=IBM|55=MSFT|");
  const msg = decodeMessage(bytes);
  assertEquals(msg.bytes, bytes);
  assertEquals(msg.size, 9);
  assertEquals(msg.tagAt(0), 8);
  assertEquals(msg.beginString, "FIX.4.4");
  assertEquals(msg.msgType, "D");
  assertEquals(msg.msgSeqNum, 12);
  assertEquals(msg.get(55), "IBM");
  assertEquals(msg.getAll(55), ["IBM", "MSFT"]);
  assertEquals(msg.indexOf(55, msg.indexOf(55) + 1), 7);
  assertEquals(msg.has(56), true);
  assertEquals(msg.has(57), false);
  assertEquals(msg.get(57), undefined);
  assertEquals(msg.getBytes(49)!.buffer, bytes.buffer);
  const i = msg.indexOf(49);
  assertEquals(t(bytes.subarray(msg.fieldStartAt(i), msg.valueEndAt(i))), "49=A");
  assertEquals(msg.fieldStartAt(0), 0);
  assertEquals(msg.toString(), t(bytes));
});

Deno.test("decodeMessage() reads data fields by their length even when they contain SOH", () => {
  const msg = decodeMessage(b("8=FIX.4.4|35=B|95=5|96=a|b=c|58=x|"));
  assertEquals(t(msg.getBytes(96)!), "a|b=c");
  assertEquals(msg.get(58), "x");
  const custom = decodeMessage(b("8=FIX.4.4|7000=2|7001=|||"), {
    lengthTags: new Map([[7000, 7001]]),
  });
  assertEquals(t(custom.getBytes(7001)!), "||");
  const large = decodeMessage(b("8=FIX.4.4|70000=3|70001=a|b|58=c|"), {
    lengthTags: new Map([[70000, 70001], [96, 95]]),
  });
  assertEquals(t(large.getBytes(70001)!), "a|b");
  assertEquals(large.get(58), "c");
  assertEquals(lengthTagsOf(STANDARD_DATA_FIELDS).get(95), 96);
});

Deno.test("decodeMessage() throws FixParseError with the offset for bad syntax", () => {
  const cases: [string, number][] = [
    ["8=FIX.4.4|x=1|", 10],
    ["8=FIX.4.4|35|", 10],
    ["8=FIX.4.4|=1|", 10],
    ["8=FIX.4.4|0=1|", 10],
    ["8=FIX.4.4|35=0", 10],
    ["8=FIX.4.4|95=5|96=ab|", 15],
    ["8=FIX.4.4|12345678901=1|", 10],
  ];
  for (const [text, offset] of cases) {
    const e = assertThrows(() => decodeMessage(b(text)), FixParseError);
    assertEquals(e.offset, offset, text);
  }
});

Deno.test("decodeMessage() handles messages with more fields than its scratch space", () => {
  let text = "8=FIX.4.4|35=V|146=300|";
  for (let i = 0; i < 300; i++) text += `55=S${i}|`;
  const first = decodeMessage(cb(text));
  const second = decodeMessage(cb("8=FIX.4.4|35=0|"));
  assertEquals(first.getAll(55).length, 300);
  assertEquals(first.getAll(55)[299], "S299");
  assertEquals(second.size, 4);
});

Deno.test("FixMessage.intAt() reads integers from bytes and gives NaN otherwise", () => {
  const msg = decodeMessage(b("8=FIX.4.4|34=-17|38=12a|39=|40=-|41=99999999999999999|"));
  assertEquals(msg.intAt(1), -17);
  assertEquals(msg.intAt(2), NaN);
  assertEquals(msg.intAt(3), NaN);
  assertEquals(msg.intAt(4), NaN);
  assertEquals(msg.intAt(5), NaN);
  assertEquals(msg.getInt(34), -17);
  assertEquals(msg.getInt(99), undefined);
  const e = assertThrows(() => msg.getInt(38), FixFieldFormatError);
  assertEquals(e.tag, 38);
  assertEquals(decodeMessage(b("8=FIX.4.4|35=0|")).msgSeqNum, NaN);
});

Deno.test("FixMessage.msgType finds 35 even when it is not the third field", () => {
  assertEquals(decodeMessage(b("8=FIX.4.4|34=1|35=A|")).msgType, "A");
  assertEquals(decodeMessage(b("8=FIX.4.4|34=1|")).msgType, "");
});

Deno.test("bytesToString() decodes ASCII and UTF-8 of any length", () => {
  const enc = new TextEncoder();
  for (const s of ["", "abc", "é", "x".repeat(100), "ü" + "y".repeat(40), "日本語テキスト"]) {
    const bytes = enc.encode(`#${s}#`);
    assertEquals(bytesToString(bytes, 1, bytes.length - 1), s);
  }
});

Deno.test("decodeMessage() handles a message with more fields than one field table holds", () => {
  let text = "8=FIX.4.4|35=V|146=7000|";
  for (let i = 0; i < 7000; i++) text += `55=${i}|`;
  const before = decodeMessage(cb("8=FIX.4.4|35=0|34=1|"));
  const big = decodeMessage(cb(text));
  const after = decodeMessage(cb("8=FIX.4.4|35=0|34=2|"));
  assertEquals(big.size, 7005);
  assertEquals(big.getAll(55)[6999], "6999");
  assertEquals([before.msgSeqNum, after.msgSeqNum], [1, 2]);
});
