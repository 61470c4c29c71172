import { assertEquals, assertThrows } from "../testing/assert.ts";
import { b, cb, complete, t } from "./_testing.ts";
import {
  checksum,
  encodeMessage,
  FixEncodeError,
  MessageEncoder,
  rewriteForResend,
  timestampPrecisionFor,
} from "./encoder.ts";
import { Framer } from "./framer.ts";
import { decodeMessage } from "./message.ts";
import { Decimal, FixValueError, formatUtcTimestamp } from "./values.ts";

/** Frames `bytes` with full validation and returns the one message. */
function frameOne(bytes: Uint8Array) {
  const framer = new Framer();
  framer.push(bytes);
  const f = framer.next();
  if (f?.kind !== "message") throw new Error(`not a valid message: ${JSON.stringify(f)}`);
  return f.message;
}

Deno.test("encodeMessage() writes 8, 9, 35 first and a correct BodyLength and CheckSum", () => {
  const bytes = encodeMessage("FIX.4.4", "0", [[34, 2], [49, "TW44"], [56, "ISLD"]]);
  assertEquals(t(bytes), complete("8=FIX.4.4|35=0|34=2|49=TW44|56=ISLD|"));
  frameOne(bytes);
});

Deno.test("MessageEncoder.field() writes every kind of value", () => {
  const e = new MessageEncoder("FIX.4.2");
  e.begin("D")
    .field(38, 100)
    .field(44, 187.25)
    .field(99, -3)
    .field(43, true)
    .field(97, false)
    .field(9000, 12345678901234567890n)
    .field(44, Decimal.parse("187.250")!)
    .field(58, "héllo")
    .field(9001, new Uint8Array([0x41, 0x42]));
  const msg = frameOne(e.finish());
  assertEquals(msg.getAll(44), ["187.25", "187.250"]);
  assertEquals(msg.get(38), "100");
  assertEquals(msg.get(99), "-3");
  assertEquals(msg.get(43), "Y");
  assertEquals(msg.get(97), "N");
  assertEquals(msg.get(9000), "12345678901234567890");
  assertEquals(msg.get(58), "héllo");
  assertEquals(msg.get(9001), "AB");
});

Deno.test("MessageEncoder.field() refuses bad tags and non-finite numbers", () => {
  const e = new MessageEncoder("FIX.4.4");
  e.begin("0");
  for (const tag of [0, -1, 1.5, NaN]) assertThrows(() => e.field(tag, "x"), FixEncodeError);
  const err = assertThrows(() => e.field(44, NaN), FixEncodeError);
  assertEquals(err.tag, 44);
  assertThrows(() => e.field(44, Infinity), FixEncodeError);
});

Deno.test("MessageEncoder writes repeating groups as NumInGroup then entries in order", () => {
  const e = new MessageEncoder("FIX.4.4");
  e.begin("V").field(262, "req").field(146, 2).field(55, "IBM").field(48, "1").field(55, "MSFT");
  const msg = frameOne(e.finish());
  const order = [];
  for (let i = 0; i < msg.size; i++) order.push(msg.tagAt(i));
  assertEquals(order, [8, 9, 35, 262, 146, 55, 48, 55, 10]);
  assertEquals(msg.getAll(55), ["IBM", "MSFT"]);
});

Deno.test("MessageEncoder.dataField() writes a length and bytes that may contain SOH", () => {
  const e = new MessageEncoder("FIX.4.4");
  const data = b("a|10=000|b");
  e.begin("B").field(148, "x").dataField(95, 96, data).field(58, "after");
  const msg = frameOne(e.finish());
  assertEquals(msg.get(95), String(data.length));
  assertEquals(t(msg.getData(96)!), "a|10=000|b");
  assertEquals(msg.get(58), "after");
});

Deno.test("MessageEncoder.raw() appends encoded fields verbatim", () => {
  const e = new MessageEncoder("FIX.4.4");
  e.begin("0").raw(b("34=5|49=A|"));
  assertEquals(t(e.finish()), complete("8=FIX.4.4|35=0|34=5|49=A|"));
});

Deno.test("MessageEncoder grows past its initial capacity and is reusable", () => {
  const e = new MessageEncoder("FIXT.1.1", 16);
  const long = "x".repeat(5000);
  e.begin("B").field(58, long);
  assertEquals(frameOne(e.finish()).get(58), long);
  e.begin("0").field(34, 1);
  e.begin("1").field(34, 2).field(112, "T");
  assertEquals(t(e.finish()), complete("8=FIXT.1.1|35=1|34=2|112=T|"));
});

Deno.test("MessageEncoder.finish() refuses a BeginString too long for its header room", () => {
  const e = new MessageEncoder("FIX.4.4-WITH-A-VERY-LONG-NAME-HERE");
  e.begin("0");
  assertThrows(() => e.finish(), FixEncodeError);
});

Deno.test("checksum() sums bytes modulo 256", () => {
  assertEquals(checksum(new Uint8Array([200, 100])), 44);
  assertEquals(checksum(new Uint8Array([1, 2, 3, 4]), 1, 3), 5);
});

Deno.test("MessageEncoder.utcTimestamp() writes what formatUtcTimestamp() writes", () => {
  let seed = 7;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const e = new MessageEncoder("FIX.4.4");
  for (let i = 0; i < 500; i++) {
    const ms = Math.floor(rand() * 253402300799999);
    const nanos = Math.floor(rand() * 1_000_000);
    for (const p of [0, 3, 6, 9] as const) {
      e.begin("0").utcTimestamp(52, ms, p, nanos);
      assertEquals(decodeMessage(e.finish()).get(52), formatUtcTimestamp(ms, p, nanos));
    }
  }
  e.begin("0");
  assertThrows(() => e.utcTimestamp(52, 1.5), FixValueError);
  assertThrows(() => e.utcTimestamp(52, 0, 4 as 3), FixValueError);
  assertEquals(
    decodeMessage(e.begin("0").utcTimestamp(52, -1000, 0).finish()).get(52),
    "19691231-23:59:59",
  );
});

Deno.test("timestampPrecisionFor() caps precision by FIX version", () => {
  assertEquals(timestampPrecisionFor("FIX.4.0"), 0);
  assertEquals(timestampPrecisionFor("FIX.4.1", 9), 0);
  assertEquals(timestampPrecisionFor("FIX.4.2"), 3);
  assertEquals(timestampPrecisionFor("FIX.4.3", 9), 3);
  assertEquals(timestampPrecisionFor("FIX.4.4"), 3);
  assertEquals(timestampPrecisionFor("FIX.4.4", 6), 6);
  assertEquals(timestampPrecisionFor("FIXT.1.1", 9), 9);
  assertEquals(timestampPrecisionFor("FIXT.1.1", 0), 0);
});

const ORIGINAL = cb(
  "8=FIX.4.4|35=D|34=3|49=ISLD|52=20261124-05:30:00.000|56=TW44|11=ID|95=3|96=a|b|55=INTC|",
);

Deno.test("rewriteForResend() sets PossDupFlag, OrigSendingTime and the new SendingTime", () => {
  const out = rewriteForResend(decodeMessage(ORIGINAL), "20261124-06:00:00.000");
  assertEquals(
    t(out),
    complete(
      "8=FIX.4.4|35=D|34=3|49=ISLD|43=Y|52=20261124-06:00:00.000|" +
        "122=20261124-05:30:00.000|56=TW44|11=ID|95=3|96=a|b|55=INTC|",
    ),
  );
  frameOne(out);
});

Deno.test("rewriteForResend() sets an existing PossDupFlag to Y in place and keeps OrigSendingTime", () => {
  const msg = decodeMessage(cb(
    "8=FIX.4.4|35=D|34=3|43=N|49=ISLD|52=20261124-05:40:00|122=20261124-05:30:00|56=TW44|",
  ));
  assertEquals(
    t(rewriteForResend(msg, "20261124-06:00:00")),
    complete(
      "8=FIX.4.4|35=D|34=3|43=Y|49=ISLD|52=20261124-06:00:00|122=20261124-05:30:00|56=TW44|",
    ),
  );
});

Deno.test("rewriteForResend() inserts SendingTime after MsgSeqNum when it is missing", () => {
  const msg = decodeMessage(cb("8=FIX.4.2|35=0|34=9|49=A|56=B|"));
  assertEquals(
    t(rewriteForResend(msg, "20261124-06:00:00.000")),
    complete("8=FIX.4.2|35=0|34=9|43=Y|52=20261124-06:00:00.000|49=A|56=B|"),
  );
  const noSeq = decodeMessage(cb("8=FIX.4.2|35=0|49=A|"));
  assertEquals(
    t(rewriteForResend(noSeq, "X")),
    complete("8=FIX.4.2|35=0|43=Y|52=X|49=A|"),
  );
});

Deno.test("rewriteForResend() reuses a given encoder and refuses one of another version", () => {
  const e = new MessageEncoder("FIX.4.4");
  const a = rewriteForResend(decodeMessage(ORIGINAL), "20261124-06:00:00.000", e);
  const c = rewriteForResend(decodeMessage(ORIGINAL), "20261124-06:00:00.000", e);
  assertEquals(t(a), t(c));
  assertThrows(
    () => rewriteForResend(decodeMessage(ORIGINAL), "x", new MessageEncoder("FIX.4.2")),
    FixEncodeError,
  );
  assertThrows(() => rewriteForResend(decodeMessage(b("35=0|8=FIX.4.4|")), "x"), FixEncodeError);
  assertThrows(
    () => rewriteForResend(decodeMessage(b("8=FIX.4.4|9=5|34=1|35=0|")), "x"),
    FixEncodeError,
  );
});

Deno.test("MessageEncoder.finish() never writes over messages it returned", () => {
  const e = new MessageEncoder("FIX.4.4", 256);
  const kept: [Uint8Array, string][] = [];
  for (let i = 0; i < 300; i++) {
    const bytes = e.begin("0").field(34, i).field(58, "x".repeat(i % 50)).finish();
    kept.push([bytes, t(bytes)]);
    if (i % 7 === 0) e.begin("1").field(34, -1); // abandoned message
  }
  for (const [bytes, text] of kept) assertEquals(t(bytes), text);
  assertEquals(kept[299]![1], complete(`8=FIX.4.4|35=0|34=299|58=${"x".repeat(49)}|`));
});

Deno.test("encodeMessage() results stay intact across many calls", () => {
  const kept: [Uint8Array, string][] = [];
  for (let i = 0; i < 2000; i++) {
    const bytes = encodeMessage(i % 2 ? "FIX.4.2" : "FIXT.1.1", "0", [[34, i], [
      58,
      "y".repeat(i % 90),
    ]]);
    kept.push([bytes, t(bytes)]);
  }
  for (const [bytes, text] of kept) assertEquals(t(bytes), text);
});

Deno.test("MessageEncoder writes the right CheckSum for tags of every width on each fast path", () => {
  const tags = [1, 9, 10, 99, 100, 999, 1000, 1023, 1024, 1025, 9999, 10000, 54321, 99999];
  const e = new MessageEncoder("FIX.4.4");
  for (const tag of tags) {
    for (const precision of [0, 3, 6, 9] as const) {
      const bytes = e.begin("D")
        .field(tag, "text")
        .field(tag, 1234567)
        .field(tag, 0)
        .utcTimestamp(tag, Date.UTC(2026, 10, 24, 5, 30, 0, 123), precision, 456_789)
        .finish();
      const m = frameOne(bytes);
      assertEquals(m.intAt(m.size - 1), checksum(bytes, 0, bytes.length - 7), `tag ${tag}`);
    }
  }
});
