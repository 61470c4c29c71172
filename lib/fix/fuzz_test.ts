/**
 * Mutation fuzzing of the framer and the decoder.
 *
 * Streams of valid messages, random garbage and damaged messages (bit flips,
 * truncation, duplicated or missing SOH, absurd BodyLength, inserted,
 * deleted or repeated bytes, swapped fields) are pushed in chunks cut at
 * random points. The test proves that the framer:
 *
 * - never throws and never loops: every frame consumes bytes, and every byte
 *   pushed is accounted for as a message, a discard or still buffered;
 * - returns, as messages, exactly the bytes found at that place in the stream
 *   and only messages that pass an independent BodyLength/CheckSum check;
 * - resynchronises: every valid message that follows a clean boundary (a
 *   recovered message or garbage without `8=FIX`) is recovered;
 *
 * and that the decoder throws nothing but FixParseError on damaged input and
 * never reports offsets outside the message.
 *
 * The seed is random per run (or `FUZZ_SEED`) and printed on failure.
 *
 * @module
 */

import { assert } from "../testing/assert.ts";
import { MessageEncoder } from "./encoder.ts";
import { type Frame, Framer, type FramerOptions } from "./framer.ts";
import { decodeMessage, type FixMessage, FixParseError } from "./message.ts";

/** mulberry32: a small, good, seedable PRNG. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function seedFromEnv(): number {
  let text: string | undefined;
  try {
    text = Deno.env.get("FUZZ_SEED");
  } catch {
    text = undefined;
  }
  if (text !== undefined && text !== "") return Number(text) >>> 0;
  return crypto.getRandomValues(new Uint32Array(1))[0]!;
}

/** Runs `body` with a seed; prints the seed when it fails. */
function withSeed(name: string, body: (rand: () => number) => void): void {
  const seed = seedFromEnv();
  try {
    body(prng(seed));
  } catch (e) {
    console.error(`${name} failed with seed ${seed} (rerun with FUZZ_SEED=${seed})`);
    throw e;
  }
}

const BEGIN_STRINGS = ["FIX.4.0", "FIX.4.2", "FIX.4.4", "FIXT.1.1"];
const MSG_TYPES = ["0", "1", "A", "D", "8", "3", "j", "B", "AE"];
const DATA_TAGS = new Set([
  89,
  90,
  91,
  93,
  95,
  96,
  212,
  213,
  348,
  349,
  350,
  351,
  352,
  353,
  354,
  355,
]);

function int(rand: () => number, n: number): number {
  return Math.floor(rand() * n);
}

/** Printable ASCII without `=` … or anything: values only need to avoid SOH. */
function randomValue(rand: () => number): string {
  const length = 1 + int(rand, 30);
  let s = "";
  for (let i = 0; i < length; i++) {
    const c = 0x20 + int(rand, 0x5f);
    s += String.fromCharCode(c);
  }
  return s;
}

function randomMessage(rand: () => number, encoders: Map<string, MessageEncoder>): Uint8Array {
  const begin = BEGIN_STRINGS[int(rand, BEGIN_STRINGS.length)]!;
  let e = encoders.get(begin);
  if (e === undefined) {
    e = new MessageEncoder(begin, 4096);
    encoders.set(begin, e);
  }
  e.begin(MSG_TYPES[int(rand, MSG_TYPES.length)]!)
    .field(34, 1 + int(rand, 1e6))
    .field(49, "SENDER")
    .field(56, "TARGET")
    .utcTimestamp(52, int(rand, 4e12), 3);
  const fields = int(rand, 12);
  for (let i = 0; i < fields; i++) {
    let tag = 1 + int(rand, 2000);
    if (tag === 8 || tag === 9 || tag === 10 || tag === 35 || DATA_TAGS.has(tag)) tag = 58;
    e.field(tag, randomValue(rand));
  }
  if (rand() < 0.2) {
    // a data field full of framing bytes
    const pieces = ["\x01", "10=123\x01", "8=FIX.4.4\x019=5\x01", "=", "x"];
    let data = "";
    const n = 1 + int(rand, 8);
    for (let i = 0; i < n; i++) data += pieces[int(rand, pieces.length)];
    e.dataField(95, 96, latin1(data));
  }
  return e.finish().slice();
}

function latin1(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

function text(bytes: Uint8Array): string {
  let s = "";
  for (const c of bytes) s += String.fromCharCode(c);
  return s;
}

/** Random bytes that never contain "8=FIX". */
function randomGarbage(rand: () => number): Uint8Array {
  const length = 1 + int(rand, 60);
  const alphabet = [0x01, 0x38, 0x3d, 0x31, 0x30, 0x39, 0x46, 0x49, 0x58, 0x7c, 0x00, 0xff];
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) {
    out[i] = rand() < 0.6 ? alphabet[int(rand, alphabet.length)]! : int(rand, 256);
  }
  // break every "8=FIX"
  for (let i = 0; i + 4 < length; i++) {
    if (out[i] === 0x38 && out[i + 1] === 0x3d && out[i + 2] === 0x46) out[i + 2] = 0x47;
  }
  return out;
}

function splice(bytes: Uint8Array, at: number, remove: number, insert: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.length - remove + insert.length);
  out.set(bytes.subarray(0, at));
  out.set(insert, at);
  out.set(bytes.subarray(at + remove), at + insert.length);
  return out;
}

function positionsOf(bytes: Uint8Array, value: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < bytes.length; i++) if (bytes[i] === value) out.push(i);
  return out;
}

/** A damaged copy of `msg`. */
function mutate(rand: () => number, msg: Uint8Array): Uint8Array {
  const kind = int(rand, 9);
  const at = int(rand, msg.length);
  switch (kind) {
    case 0: { // bit flips
      const out = msg.slice();
      const flips = 1 + int(rand, 3);
      for (let i = 0; i < flips; i++) out[int(rand, out.length)]! ^= 1 << int(rand, 8);
      return out;
    }
    case 1: // truncation
      return msg.slice(0, at);
    case 2: { // duplicated SOH
      const sohs = positionsOf(msg, 1);
      return splice(msg, sohs[int(rand, sohs.length)]!, 0, new Uint8Array([1]));
    }
    case 3: { // missing SOH
      const sohs = positionsOf(msg, 1);
      return splice(msg, sohs[int(rand, sohs.length)]!, 1, new Uint8Array());
    }
    case 4: { // absurd BodyLength
      const s = text(msg);
      const choices = ["0", "1", "99999999", "999999999999", "abc", "", "-5", "00"];
      // deno-lint-ignore no-control-regex -- SOH is the FIX delimiter
      const m = /\x019=(\d+)\x01/.exec(s)!;
      const n = Number(m[1]);
      const value = rand() < 0.5
        ? choices[int(rand, choices.length)]!
        : String(Math.max(0, n + int(rand, 400) - 200));
      // deno-lint-ignore no-control-regex -- SOH is the FIX delimiter
      return latin1(s.replace(/\x019=\d+\x01/, `\x019=${value}\x01`));
    }
    case 5: // random bytes inserted
      return splice(msg, at, 0, randomGarbage(rand));
    case 6: // bytes deleted
      return splice(msg, at, Math.min(msg.length - at, 1 + int(rand, 20)), new Uint8Array());
    case 7: { // bytes repeated
      const length = Math.min(msg.length - at, 1 + int(rand, 40));
      return splice(msg, at, 0, msg.slice(at, at + length));
    }
    default: { // two fields swapped
      const s = text(msg);
      const fields = s.split("\x01");
      fields.pop();
      const i = int(rand, fields.length);
      const j = int(rand, fields.length);
      [fields[i], fields[j]] = [fields[j]!, fields[i]!];
      return latin1(fields.join("\x01") + "\x01");
    }
  }
}

/** Independent framing check of a returned message. */
function checkFramed(bytes: Uint8Array, options: FramerOptions): void {
  const s = text(bytes);
  // deno-lint-ignore no-control-regex -- SOH is the FIX delimiter
  const head = /^8=FIX[^\x01]*\x019=(\d+)\x0135=[^\x01]*\x01/.exec(s);
  if (options.validateBodyLength !== false) {
    assert(head !== null, `message does not start 8=FIX…|9=…|35=: ${JSON.stringify(s)}`);
    const bodyStart = s.indexOf("\x01", s.indexOf("\x019=") + 1) + 1;
    assert(bodyStart + Number(head[1]) === s.length - 7, `BodyLength wrong: ${JSON.stringify(s)}`);
  }
  if (options.validateChecksum !== false) {
    // deno-lint-ignore no-control-regex -- SOH is the FIX delimiter
    const tail = /\x0110=(\d{3})\x01$/.exec(s);
    assert(tail !== null, `no CheckSum at the end: ${JSON.stringify(s)}`);
    let sum = 0;
    for (let i = 0; i < bytes.length - 7; i++) sum += bytes[i]!;
    assert((sum & 0xff) === Number(tail[1]), `CheckSum wrong: ${JSON.stringify(s)}`);
  }
}

/** Checks a decoded message's offsets stay inside it and read back. */
function checkDecoded(msg: FixMessage): void {
  const length = msg.bytes.length;
  let previousEnd = -1;
  for (let i = 0; i < msg.size; i++) {
    const start = msg.valueStartAt(i);
    const end = msg.valueEndAt(i);
    assert(msg.tagAt(i) > 0, "tag not positive");
    assert(start > previousEnd && start <= end && end < length, "offsets out of bounds");
    assert(msg.bytes[end] === 1, "value not followed by SOH");
    previousEnd = end;
    msg.stringAt(i);
  }
  assert(previousEnd === length - 1 || msg.size === 0, "fields do not cover the message");
}

interface Segment {
  kind: "valid" | "garbage" | "mutated";
  offset: number;
  bytes: Uint8Array;
}

function runStream(rand: () => number, options: FramerOptions, segments: number): number {
  const encoders = new Map<string, MessageEncoder>();
  const parts: Segment[] = [];
  let offset = 0;
  let mutated = 0;
  for (let i = 0; i < segments; i++) {
    const r = rand();
    let seg: Segment;
    if (r < 0.45) {
      seg = { kind: "valid", offset, bytes: randomMessage(rand, encoders) };
    } else if (r < 0.6) {
      seg = { kind: "garbage", offset, bytes: randomGarbage(rand) };
    } else {
      seg = { kind: "mutated", offset, bytes: mutate(rand, randomMessage(rand, encoders)) };
      mutated++;
    }
    parts.push(seg);
    offset += seg.bytes.length;
  }
  const stream = new Uint8Array(offset);
  for (const p of parts) stream.set(p.bytes, p.offset);

  const framer = new Framer({ ...options, initialBufferBytes: 256 + int(rand, 4096) });
  const messagesAt = new Map<number, number>(); // offset → length
  let consumed = 0;
  const take = (f: Frame) => {
    const length = f.kind === "message" ? f.message.bytes.length : f.discardedBytes;
    assert(length > 0, "a frame consumed no bytes");
    if (f.kind === "message") {
      const expected = stream.subarray(consumed, consumed + length);
      assert(
        f.message.bytes.every((c, i) => c === expected[i]),
        `message bytes differ from the stream at ${consumed}`,
      );
      checkFramed(f.message.bytes, options);
      checkDecoded(f.message);
      messagesAt.set(consumed, length);
    } else {
      assert(
        f.bytes.length === f.discardedBytes &&
          f.bytes.every((c, i) => c === stream[consumed + i]),
        "garbled bytes differ from the stream",
      );
    }
    consumed += length;
  };
  for (let p = 0; p < stream.length;) {
    const size = rand() < 0.3 ? 1 + int(rand, 8) : 1 + int(rand, 700);
    const chunk = stream.subarray(p, Math.min(stream.length, p + size));
    framer.push(chunk.slice());
    p += chunk.length;
    let guard = chunk.length + framer.bufferedBytes + 2;
    for (let f = framer.next(); f; f = framer.next()) {
      take(f);
      assert(--guard > 0, "framer does not make progress");
    }
    assert(consumed + framer.bufferedBytes === p, "bytes lost or invented");
  }
  // it may wait for what a BodyLength announces, never for more than the maximum
  assert(framer.bufferedBytes <= framer.maxMessageBytes, "framer holds more than a message");

  // Resynchronisation: a valid message after a clean boundary is recovered.
  if (options.validateBodyLength !== false) {
    let clean = true;
    for (const seg of parts) {
      const recovered = messagesAt.get(seg.offset) === seg.bytes.length;
      if (seg.kind === "valid") {
        if (clean) {
          assert(recovered, `valid message at ${seg.offset} after a clean boundary was lost`);
        }
        clean = recovered;
      } else if (seg.kind === "mutated") {
        clean = false;
      }
    }
  }
  return mutated;
}

Deno.test("Framer survives and resynchronises over 50,000 damaged messages in random chunks", () => {
  withSeed("framer fuzz", (rand) => {
    let mutated = 0;
    let rounds = 0;
    while (mutated < 50_000) {
      mutated += runStream(rand, {}, 1000);
      assert(++rounds < 200, "too few damaged messages generated");
    }
  });
});

Deno.test("Framer without BodyLength or CheckSum checks survives damaged streams", () => {
  withSeed("framer fuzz (checks off)", (rand) => {
    for (let round = 0; round < 20; round++) {
      runStream(rand, { validateBodyLength: false }, 500);
      runStream(rand, { validateChecksum: false }, 500);
      runStream(
        rand,
        { validateBodyLength: false, validateChecksum: false, maxMessageBytes: 300 },
        500,
      );
    }
  });
});

Deno.test("decodeMessage() throws only FixParseError on 50,000 damaged messages", () => {
  withSeed("decoder fuzz", (rand) => {
    const encoders = new Map<string, MessageEncoder>();
    let decoded = 0;
    for (let i = 0; i < 50_000; i++) {
      const bytes = mutate(rand, randomMessage(rand, encoders));
      try {
        checkDecoded(decodeMessage(bytes));
        decoded++;
      } catch (e) {
        if (!(e instanceof FixParseError)) throw e;
        assert(e.offset >= 0 && e.offset <= bytes.length, "error offset out of bounds");
      }
    }
    assert(decoded > 0, "nothing decoded: the mutations are too coarse");
  });
});
