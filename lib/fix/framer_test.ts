import { assert, assertEquals, assertThrows } from "../testing/assert.ts";
import { b, cb, complete, concat, t } from "./_testing.ts";
import {
  type Frame,
  Framer,
  FramerOptionError,
  type FramerOptions,
  GARBAGE_REPORT_BYTES,
} from "./framer.ts";

const TIME = "20261124-05:30:00";
const HEARTBEAT = `8=FIX.4.4|35=0|34=2|49=TW44|52=${TIME}|56=ISLD|`;
const ORDER =
  `8=FIX.4.4|35=D|34=3|49=TW44|52=${TIME}|56=ISLD|11=ID|21=3|40=1|54=1|55=INTC|60=${TIME}|`;

/** Pushes `input` and drains every frame. */
function frames(input: Uint8Array | string, options?: FramerOptions): Frame[] {
  const framer = new Framer(options);
  framer.push(typeof input === "string" ? b(input) : input);
  return drain(framer);
}

function drain(framer: Framer): Frame[] {
  const out: Frame[] = [];
  for (let f = framer.next(); f; f = framer.next()) out.push(f);
  return out;
}

/** A compact description of frames: message text or `garbled:<reason>:<bytes>`. */
function describe(fs: Frame[]): string[] {
  return fs.map((f) =>
    f.kind === "message" ? t(f.message.bytes) : `garbled:${f.reason}:${f.discardedBytes}`
  );
}

Deno.test("Framer.next() returns a complete message pushed in one chunk", () => {
  const msg = complete(HEARTBEAT);
  const fs = frames(msg);
  assertEquals(describe(fs), [msg]);
  const f = fs[0]!;
  assert(f.kind === "message");
  assertEquals(f.message.msgType, "0");
  assertEquals(f.message.msgSeqNum, 2);
  assertEquals(f.message.get(49), "TW44");
});

Deno.test("Framer.next() returns undefined until the last byte of a message arrives", () => {
  const bytes = cb(ORDER);
  const framer = new Framer();
  for (let i = 0; i < bytes.length - 1; i++) {
    framer.push(bytes.subarray(i, i + 1));
    assertEquals(framer.next(), undefined, `after byte ${i}`);
  }
  assertEquals(framer.bufferedBytes, bytes.length - 1);
  framer.push(bytes.subarray(bytes.length - 1));
  assertEquals(describe(drain(framer)), [t(bytes)]);
  assertEquals(framer.bufferedBytes, 0);
});

Deno.test("Framer.next() splits several messages pushed in one chunk", () => {
  const a = complete(HEARTBEAT);
  const c = complete(ORDER);
  assertEquals(describe(frames(a + c + a)), [a, c, a]);
});

Deno.test("Framer.next() reports bytes before 8=FIX as bad-begin-string and resynchronises", () => {
  const msg = complete(HEARTBEAT);
  const fs = frames("garbage|35=0|" + msg);
  assertEquals(describe(fs), ["garbled:bad-begin-string:13", msg]);
  const g = fs[0]!;
  assert(g.kind === "garbled");
  assertEquals(t(g.bytes), "garbage|35=0|");
  assertEquals(g.msgType, undefined);
});

Deno.test("Framer.next() holds garbage without a start until a start or enough bytes arrive", () => {
  const msg = complete(HEARTBEAT);
  const framer = new Framer();
  framer.push(b("xxxxxx8=FI"));
  assertEquals(drain(framer), []);
  assertEquals(framer.bufferedBytes, 10);
  framer.push(b(msg.slice(4)));
  assertEquals(describe(drain(framer)), ["garbled:bad-begin-string:6", msg]);
  // a long run without a start is reported in one piece, minus a possible "8=FI"
  framer.push(b("y".repeat(GARBAGE_REPORT_BYTES + 10)));
  assertEquals(describe(drain(framer)), [`garbled:bad-begin-string:${GARBAGE_REPORT_BYTES + 6}`]);
  assertEquals(framer.bufferedBytes, 4);
});

Deno.test("Framer.next() discards a message with a wrong CheckSum and keeps the next (3b)", () => {
  // as the acceptance runner sends it: CheckSum 256 and a BodyLength one short
  const body = `35=0|34=2|49=TW44|52=${TIME}|56=ISLD|`;
  const bad = `8=FIX.4.4|9=${body.length - 1}|${body}10=256|`;
  const good = complete(HEARTBEAT);
  const fs = frames(bad + good);
  assertEquals(describe(fs), [`garbled:bad-body-length:${bad.length}`, good]);
  const exact = `8=FIX.4.4|9=${body.length}|${body}10=256|`;
  const fs2 = frames(exact + good);
  assertEquals(describe(fs2), [`garbled:bad-checksum:${exact.length}`, good]);
  const g = fs2[0]!;
  assert(g.kind === "garbled");
  assertEquals(g.msgType, "0");
  assertEquals(
    g.detail,
    "CheckSum 10=256 does not match the computed " + complete(HEARTBEAT).slice(-4, -1),
  );
});

Deno.test("Framer.next() discards a CheckSum that is not three digits (2d garbled message)", () => {
  const garbled = `8=FIX.4.4|9=52|35=0|34=2|4garbled9=TW|52=${TIME}|56=ISLD|10=0|`;
  const good = complete(HEARTBEAT);
  const fs = frames(garbled + good);
  assertEquals(describe(fs), [`garbled:bad-checksum:${garbled.length}`, good]);
});

Deno.test("Framer.next() discards a message whose BodyLength is too short (2m)", () => {
  const body = complete(ORDER).replace(/\|9=\d+\|/, "|9=30|");
  const good = complete(ORDER);
  assertEquals(describe(frames(body + good)), [`garbled:bad-body-length:${body.length}`, good]);
});

Deno.test("Framer.next() lets a too-long BodyLength swallow the message it overlaps (2m)", () => {
  const long = complete(ORDER).replace(/\|9=\d+\|/, "|9=111|");
  const swallowed = complete(ORDER.replace("34=3", "34=5"));
  const after = complete(ORDER.replace("34=3", "34=4"));
  const framer = new Framer();
  framer.push(b(long));
  assertEquals(drain(framer), [], "waits for the bytes BodyLength announces");
  framer.push(b(swallowed));
  framer.push(b(after));
  assertEquals(describe(drain(framer)), [
    `garbled:bad-body-length:${long.length + swallowed.length}`,
    after,
  ]);
});

Deno.test("Framer.next() reports a Logon with a bad BodyLength with its MsgType (1d)", () => {
  const logon = complete(`8=FIX.4.4|35=A|34=1|49=TW44|52=${TIME}|56=ISLD|98=0|108=30|`)
    .replace(/\|9=\d+\|/, "|9=40|");
  const fs = frames(logon);
  assertEquals(describe(fs), [`garbled:bad-body-length:${logon.length}`]);
  assert(fs[0]!.kind === "garbled");
  assertEquals(fs[0]!.msgType, "A");
});

Deno.test("Framer.next() discards messages whose first three fields are out of order (2t)", () => {
  const good = complete(`8=FIX.4.4|35=1|34=2|49=TW44|52=${TIME}|56=ISLD|112=HELLO|`);
  // 35 first: "35=0|" is garbage, the rest has a wrong BodyLength
  const first = `35=0|8=FIX.4.4|9=29|34=2|49=TW44|52=${TIME}|56=ISLD|10=121|`;
  assertEquals(describe(frames(first + good)), [
    "garbled:bad-begin-string:5",
    `garbled:bad-body-length:${first.length - 5}`,
    good,
  ]);
  // 34 before 35, BodyLength and CheckSum right
  const swapped = complete(`8=FIX.4.4|34=3|35=0|49=TW44|52=${TIME}|56=ISLD|`);
  const fs = frames(swapped + good);
  assertEquals(describe(fs), [`garbled:bad-field-order:${swapped.length}`, good]);
  assert(fs[0]!.kind === "garbled");
  assertEquals(fs[0]!.detail, "MsgType (35) is not the third field");
});

Deno.test("Framer.next() discards a message without BodyLength as bad-field-order", () => {
  const noLength = complete(HEARTBEAT).replace(/\|9=\d+\|/, "|");
  const good = complete(HEARTBEAT);
  assertEquals(describe(frames(noLength + good)), [
    `garbled:bad-field-order:${noLength.length}`,
    good,
  ]);
});

Deno.test("Framer.next() discards a BodyLength that is not a number", () => {
  const bad = complete(HEARTBEAT).replace(/\|9=\d+\|/, "|9=4x|");
  const good = complete(HEARTBEAT);
  assertEquals(describe(frames(bad + good)), [`garbled:bad-body-length:${bad.length}`, good]);
});

Deno.test("Framer.next() reports tag=value syntax errors as syntax", () => {
  const bad = complete(`8=FIX.4.4|35=0|34=2|oops|56=ISLD|`);
  const good = complete(HEARTBEAT);
  const fs = frames(bad + good);
  assertEquals(describe(fs), [`garbled:syntax:${bad.length}`, good]);
  assert(fs[0]!.kind === "garbled");
  assertEquals(fs[0]!.msgType, "0");
});

Deno.test("Framer.next() discards a message larger than maxMessageBytes without waiting for it", () => {
  const good = complete(HEARTBEAT);
  const framer = new Framer({ maxMessageBytes: 200 });
  const big = complete(ORDER.replace("55=INTC|", `55=INTC|58=${"x".repeat(300)}|`));
  framer.push(b(big.slice(0, 40)));
  const first = drain(framer);
  assert(first.length > 0);
  assert(first.every((f) => f.kind === "garbled" && f.reason === "too-large"));
  framer.push(b(big.slice(40) + good));
  const rest = drain(framer);
  assertEquals(describe(rest).slice(-1), [good]);
  assert(rest.slice(0, -1).every((f) => f.kind === "garbled" && f.reason === "too-large"));
  const discarded = [...first, ...rest].reduce(
    (n, f) => n + (f.kind === "garbled" ? f.discardedBytes : 0),
    0,
  );
  assertEquals(discarded, big.length);
});

Deno.test("Framer.next() discards an absurd BodyLength as too-large at once", () => {
  const framer = new Framer();
  framer.push(b(`8=FIX.4.4|9=999999999|35=0|`));
  const fs = drain(framer);
  assertEquals(describe(fs), ["garbled:too-large:22"]);
  assertEquals(framer.bufferedBytes, 5, "the rest waits to be skipped up to the next 8=FIX");
  framer.push(cb(HEARTBEAT));
  assertEquals(describe(drain(framer)), ["garbled:too-large:5", complete(HEARTBEAT)]);
});

Deno.test("Framer.next() gives up scanning for a CheckSum after maxMessageBytes", () => {
  const framer = new Framer({ maxMessageBytes: 100, validateBodyLength: false });
  framer.push(b(`8=FIX.4.4|9=5|35=0|58=${"y".repeat(200)}`));
  const fs = drain(framer);
  assertEquals(fs[0]!.kind === "garbled" && fs[0]!.reason, "too-large");
  assert(framer.bufferedBytes <= 4);
});

Deno.test("Framer with validateBodyLength false accepts a wrong BodyLength", () => {
  const text = HEARTBEAT.replace("|", "|9=7|");
  let sum = 0;
  for (const c of b(text)) sum += c;
  const msg = `${text}10=${String(sum & 0xff).padStart(3, "0")}|`;
  assertEquals(describe(frames(msg, { validateBodyLength: false })), [msg]);
  assertEquals(describe(frames(msg)), [`garbled:bad-body-length:${msg.length}`]);
});

Deno.test("Framer with validateBodyLength false drops a message cut short by the next one", () => {
  const cut = complete(ORDER).slice(0, 40);
  const good = complete(HEARTBEAT);
  assertEquals(describe(frames(cut + good, { validateBodyLength: false })), [
    "garbled:syntax:40",
    good,
  ]);
});

Deno.test("Framer with validateChecksum false accepts a wrong CheckSum", () => {
  const msg = complete(HEARTBEAT).replace(/10=\d+\|$/, "10=000|");
  assertEquals(describe(frames(msg, { validateChecksum: false })), [msg]);
  assertEquals(describe(frames(msg)), [`garbled:bad-checksum:${msg.length}`]);
});

Deno.test("Framer.next() frames data fields that contain SOH and 10=", () => {
  const msg = complete(`8=FIX.4.4|35=B|34=2|49=A|56=B|148=x|95=12|96=a|10=123|8=F|58=z|`);
  const fs = frames(msg);
  assertEquals(describe(fs), [msg]);
  assert(fs[0]!.kind === "message");
  assertEquals(t(fs[0]!.message.getBytes(96)!), "a|10=123|8=F");
  assertEquals(fs[0]!.message.get(58), "z");
});

Deno.test("Framer.next() never overwrites the bytes of messages it returned", () => {
  const framer = new Framer({ initialBufferBytes: 64 });
  const kept: { text: string; bytes: Uint8Array }[] = [];
  for (let i = 0; i < 200; i++) {
    const text = complete(HEARTBEAT.replace("34=2", `34=${i + 1}`));
    const bytes = b(text);
    // odd split points so the buffer is reallocated mid-message
    framer.push(bytes.subarray(0, 7 + (i % 13)));
    framer.push(bytes.subarray(7 + (i % 13)));
    for (let f = framer.next(); f; f = framer.next()) {
      assert(f.kind === "message");
      kept.push({ text, bytes: f.message.bytes });
    }
  }
  assertEquals(kept.length, 200);
  for (const k of kept) assertEquals(t(k.bytes), k.text);
});

Deno.test("Framer.push() copies the chunk so the caller may reuse it", () => {
  const msg = cb(HEARTBEAT);
  const chunk = new Uint8Array(msg);
  const framer = new Framer();
  framer.push(chunk);
  chunk.fill(0x41);
  assertEquals(describe(drain(framer)), [t(msg)]);
});

Deno.test("Framer accounts for every byte as a message, a discard or still buffered", () => {
  const good = complete(ORDER);
  const input = b(`zz${good}8=FIX.4.4|9=3|junk${good}8=FIX.4.4|9=12|35=0|1`);
  const framer = new Framer();
  framer.push(input);
  let total = 0;
  for (const f of drain(framer)) {
    total += f.kind === "message" ? f.message.bytes.length : f.discardedBytes;
  }
  assertEquals(total + framer.bufferedBytes, input.length);
});

Deno.test("Framer() rejects a maxMessageBytes that cannot hold a message", () => {
  assertThrows(() => new Framer({ maxMessageBytes: 0 }), FramerOptionError);
  assertThrows(() => new Framer({ maxMessageBytes: 1.5 }), FramerOptionError);
});

Deno.test("Framer.next() passes lengthTags to the decoder", () => {
  const msg = complete(`8=FIX.4.4|35=B|34=2|5001=3|5002=a|b|`);
  const fs = frames(msg, { lengthTags: new Map([[5001, 5002]]) });
  assert(fs[0]!.kind === "message");
  assertEquals(t(fs[0]!.message.getBytes(5002)!), "a|b");
  assertEquals(frames(concat(b(msg)))[0]!.kind, "garbled");
});

Deno.test("Framer requires a three-digit CheckSum even when its value is not checked", () => {
  const msg = complete(HEARTBEAT).replace(/10=\d+\|$/, "10=1|");
  assertEquals(describe(frames(msg, { validateChecksum: false })), [
    `garbled:bad-checksum:${msg.length}`,
  ]);
});

Deno.test("Framer reports a bad BodyLength before a bad CheckSum or field order", () => {
  const msg = complete(`8=FIX.4.4|34=3|35=0|49=TW44|`).replace(/\|9=\d+\|/, "|9=5|")
    .replace(/10=\d+\|$/, "10=000|");
  const fs = frames(msg);
  assertEquals(describe(fs), [`garbled:bad-body-length:${msg.length}`]);
  assert(fs[0]!.kind === "garbled");
  assertEquals(fs[0]!.msgType, undefined);
});

Deno.test("Framer reports a bad BeginString that never ends and resynchronises", () => {
  const good = complete(HEARTBEAT);
  const fs = frames(`8=FIX${"x".repeat(40)}|9=5|` + good);
  assertEquals(describe(fs).slice(-1), [good]);
  assert(fs.slice(0, -1).every((f) => f.kind === "garbled" && f.reason === "bad-begin-string"));
});

Deno.test("Framer gives the same frames wherever a stream is split in two", () => {
  const stream = "zz" + complete(HEARTBEAT) +
    complete(ORDER).replace(/\|9=\d+\|/, "|9=30|") + // too short
    complete(`8=FIXT.1.1|35=B|34=4|95=7|96=a|10=1|b|`) + // data with a fake trailer
    `8=FIX.4.4|9=52|35=0|34=2|4garbled9=TW|52=${TIME}|56=ISLD|10=0|` +
    complete(ORDER);
  const bytes = b(stream);
  const whole = describe(frames(bytes));
  assertEquals(whole.length, 6);
  for (let cut = 1; cut < bytes.length; cut++) {
    const framer = new Framer({ initialBufferBytes: 64 });
    framer.push(bytes.subarray(0, cut));
    const got = drain(framer);
    framer.push(bytes.subarray(cut));
    got.push(...drain(framer));
    assertEquals(describe(got), whole, `split at ${cut}`);
  }
});

Deno.test("Framer.push() ignores an empty chunk", () => {
  const framer = new Framer();
  framer.push(new Uint8Array());
  assertEquals(framer.next(), undefined);
  assertEquals(framer.bufferedBytes, 0);
});

Deno.test("Framer discards a BodyLength of more than MAX_BODY_LENGTH_DIGITS digits", () => {
  const bad = complete(HEARTBEAT).replace(/\|9=\d+\|/, "|9=0000000047|");
  const good = complete(HEARTBEAT);
  assertEquals(describe(frames(bad + good)), [`garbled:bad-body-length:${bad.length}`, good]);
});

Deno.test("Framer does not take a CheckSum field longer than MAX_CHECKSUM_VALUE_BYTES as the end", () => {
  const good = complete(HEARTBEAT);
  const long = complete(HEARTBEAT).replace(/10=\d+\|$/, `10=${"1".repeat(20)}|`);
  // the declared end holds no usable trailer, so the search runs on to the next one
  assertEquals(describe(frames(long + good)), [
    `garbled:bad-body-length:${long.length + good.length}`,
  ]);
});

Deno.test("Framer.next() never holds more garbage than maxMessageBytes", () => {
  const framer = new Framer({ maxMessageBytes: 300 });
  framer.push(new TextEncoder().encode("49=SENDER\u000156=TARGET\u0001".repeat(20))); // 400 bytes, no 8=FIX
  const frame = framer.next();
  assertEquals(frame?.kind, "garbled");
  assertEquals(framer.bufferedBytes <= framer.maxMessageBytes, true);
});

Deno.test("Framer.push() takes only the first `length` bytes of a reused read buffer", () => {
  const framer = new Framer();
  const readBuffer = new Uint8Array(4096);
  const small = b(complete(HEARTBEAT));
  const large = b(complete(ORDER.replace("11=ID", `11=${"X".repeat(1500)}`)));
  const got: string[] = [];
  for (const msg of [small, large, small]) {
    readBuffer.fill(0x41); // stale bytes after `length` must never be read
    readBuffer.set(msg);
    framer.push(readBuffer, msg.length);
    got.push(...describe(drain(framer)));
  }
  assertEquals(got, [t(small), t(large), t(small)]);
  framer.push(readBuffer, 0);
  assertEquals(framer.bufferedBytes, 0);
  assertThrows(() => framer.push(readBuffer, readBuffer.length + 1), RangeError);
});
