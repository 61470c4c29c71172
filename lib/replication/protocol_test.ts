import { assert, assertEquals, assertThrows } from "../testing/assert.ts";
import {
  CloseCode,
  type DecodeResult,
  encodeFrame,
  FrameDecoder,
  FrameEncodeError,
  PROTOCOL_VERSION,
  recordFrameBytes,
  type ReplicationMessage,
} from "./protocol.ts";
import { crc32c } from "../journal/crc32c.ts";

const nonce = (fill: number) => new Uint8Array(32).fill(fill);

const SAMPLES: ReplicationMessage[] = [
  {
    type: "hello",
    protocolVersion: PROTOCOL_VERSION,
    role: "follower",
    clusterId: "prod-é",
    nodeId: "node-b",
    lastIndex: 2 ** 53 - 1,
    lastEpoch: 7,
    nodeEpoch: 0xffffffff,
    nonce: nonce(1),
  },
  {
    type: "hello",
    protocolVersion: 1,
    role: "leader",
    clusterId: "",
    nodeId: "x",
    lastIndex: 0,
    lastEpoch: 0,
    nodeEpoch: 0,
    nonce: nonce(9),
  },
  { type: "challenge", nodeId: "node-a", nonce: nonce(2), proof: nonce(3) },
  { type: "response", proof: nonce(4) },
  { type: "welcome", leaderEpoch: 3, leaderLastIndex: 100, startIndex: 42 },
  { type: "truncate", leaderEpoch: 3, afterIndex: 41 },
  {
    type: "records",
    records: [
      {
        index: 42,
        epoch: 3,
        kind: 1,
        sessionId: 5,
        seqNum: 17,
        timestampMs: 1_700_000_000_123,
        payload: new TextEncoder().encode("8=FIX.4.4\x019=5\x0135=0\x0110=000\x01"),
      },
      {
        index: 43,
        epoch: 3,
        kind: 255,
        sessionId: 0,
        seqNum: 0,
        timestampMs: 0,
        payload: nonce(0).subarray(0, 0),
      },
    ],
  },
  { type: "records", records: [] },
  { type: "ack", durableIndex: 12345678901 },
  { type: "heartbeat", lastIndex: 99, timestampMs: 1_700_000_000_000 },
  { type: "close", code: CloseCode.AuthenticationFailed, reason: "bad proof ✗" },
];

function decodeAll(decoder: FrameDecoder): DecodeResult[] {
  const out: DecodeResult[] = [];
  for (let r = decoder.next(); r !== undefined; r = decoder.next()) {
    out.push(r);
    if (r.kind === "error") break;
  }
  return out;
}

function messages(results: DecodeResult[]): ReplicationMessage[] {
  return results.map((r) => {
    if (r.kind !== "message") throw new Error(`unexpected ${r.reason}: ${r.detail}`);
    return r.message;
  });
}

Deno.test("encodeFrame() and FrameDecoder round-trip every message type", () => {
  const decoder = new FrameDecoder();
  for (const m of SAMPLES) decoder.push(encodeFrame(m));
  assertEquals(messages(decodeAll(decoder)), SAMPLES);
  assertEquals(decoder.bufferedBytes, 0);
});

Deno.test("FrameDecoder decodes the same messages when the stream is split at every byte boundary", () => {
  const stream = concat(SAMPLES.map((m) => encodeFrame(m)));
  for (let cut = 0; cut <= stream.length; cut++) {
    const decoder = new FrameDecoder();
    decoder.push(stream.subarray(0, cut));
    const first = decodeAll(decoder);
    decoder.push(stream.subarray(cut));
    assertEquals(messages([...first, ...decodeAll(decoder)]), SAMPLES, `cut at ${cut}`);
  }
});

Deno.test("FrameDecoder decodes a stream fed one byte at a time", () => {
  const stream = concat(SAMPLES.map((m) => encodeFrame(m)));
  const decoder = new FrameDecoder();
  const out: DecodeResult[] = [];
  for (let i = 0; i < stream.length; i++) {
    decoder.push(stream.subarray(i, i + 1));
    out.push(...decodeAll(decoder));
  }
  assertEquals(messages(out), SAMPLES);
});

Deno.test("FrameDecoder copies frames so reusing the pushed buffer does not alter decoded messages", () => {
  const frame = encodeFrame(SAMPLES[6]!);
  const decoder = new FrameDecoder();
  decoder.push(frame);
  const r = decoder.next();
  frame.fill(0);
  assert(r?.kind === "message");
  assertEquals(r.message, SAMPLES[6]);
});

Deno.test("FrameDecoder reports bad-crc when any byte of type or body is flipped", () => {
  const frame = encodeFrame(SAMPLES[4]!);
  for (let i = 4; i < frame.length - 4; i++) {
    const damaged = frame.slice();
    damaged[i]! ^= 0x40;
    const decoder = new FrameDecoder();
    decoder.push(damaged);
    const r = decoder.next();
    assertEquals(r?.kind === "error" && r.reason, "bad-crc", `byte ${i}`);
  }
});

Deno.test("FrameDecoder reports frame-too-large from the length prefix alone and stays poisoned", () => {
  const decoder = new FrameDecoder({ maxFrameBytes: 64 });
  decoder.push(new Uint8Array([0, 0, 1, 0]));
  const r = decoder.next();
  assertEquals(r?.kind === "error" && r.reason, "frame-too-large");
  decoder.push(encodeFrame(SAMPLES[8]!));
  assertEquals(decoder.next(), r);
});

Deno.test("FrameDecoder reports frame-too-small for a length under 5", () => {
  const decoder = new FrameDecoder();
  decoder.push(new Uint8Array([0, 0, 0, 4, 0, 0, 0, 0]));
  assertEquals(
    decoder.next()?.kind === "error" && (decoder.next() as { reason: string }).reason,
    "frame-too-small",
  );
});

Deno.test("FrameDecoder reports unknown-type for a sealed frame of type 200", () => {
  const decoder = new FrameDecoder();
  decoder.push(sealed(200, new Uint8Array(0)));
  const r = decoder.next();
  assertEquals(r?.kind === "error" && r.reason, "unknown-type");
});

Deno.test("FrameDecoder reports malformed-body for short, long, non-UTF-8 and over-2^53 bodies", () => {
  const cases: [number, number[]][] = [
    [7, [0, 0, 0]], // ack needs 8 bytes
    [7, [0, 0, 0, 0, 0, 0, 0, 1, 9]], // trailing byte
    [7, [0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]], // above 2^53 - 1
    [9, [0, 0, 0, 2, 0xff, 0xfe]], // close reason not UTF-8
    [1, [0, 1, 2]], // hello role 2
  ];
  for (const [type, body] of cases) {
    const decoder = new FrameDecoder();
    decoder.push(sealed(type, new Uint8Array(body)));
    const r = decoder.next();
    assertEquals(r?.kind === "error" && r.reason, "malformed-body", `${type} ${body}`);
  }
});

Deno.test("FrameDecoder reports batch-too-large past maxBatchRecords and maxBatchBytes", () => {
  const rec = (index: number, size: number) => ({
    index,
    epoch: 1,
    kind: 1,
    sessionId: 1,
    seqNum: index,
    timestampMs: 0,
    payload: new Uint8Array(size),
  });
  const three = encodeFrame({ type: "records", records: [rec(1, 10), rec(2, 10), rec(3, 10)] });
  const byCount = new FrameDecoder({ maxBatchRecords: 2 });
  byCount.push(three);
  assertEquals(
    byCount.next()?.kind === "error" && (byCount.next() as { reason: string }).reason,
    "batch-too-large",
  );
  const byBytes = new FrameDecoder({ maxBatchBytes: 25 });
  byBytes.push(three);
  const r = byBytes.next();
  assertEquals(r?.kind === "error" && r.reason, "batch-too-large");
  // A single record larger than maxBatchBytes is allowed alone.
  const alone = new FrameDecoder({ maxBatchBytes: 5 });
  alone.push(encodeFrame({ type: "records", records: [rec(1, 10)] }));
  assertEquals(alone.next()?.kind, "message");
});

Deno.test("encodeFrame() throws FrameEncodeError past each limit and for out-of-range fields", () => {
  const rec = {
    index: 1,
    epoch: 1,
    kind: 1,
    sessionId: 1,
    seqNum: 1,
    timestampMs: 0,
    payload: new Uint8Array(100),
  };
  assertThrows(
    () =>
      encodeFrame({ type: "records", records: [rec, { ...rec, index: 2 }] }, {
        maxFrameBytes: 1000,
        maxBatchRecords: 10,
        maxBatchBytes: 150,
        maxStringBytes: 10,
      }),
    FrameEncodeError,
    "exceeds 150",
  );
  assertThrows(
    () =>
      encodeFrame({ type: "records", records: [rec, rec, rec] }, {
        maxFrameBytes: 1000,
        maxBatchRecords: 2,
        maxBatchBytes: 1e6,
        maxStringBytes: 10,
      }),
    FrameEncodeError,
    "3 records exceeds 2",
  );
  assertThrows(
    () =>
      encodeFrame({ type: "records", records: [rec] }, {
        maxFrameBytes: 100,
        maxBatchRecords: 2,
        maxBatchBytes: 1e6,
        maxStringBytes: 10,
      }),
    FrameEncodeError,
    "exceeds 100",
  );
  assertThrows(
    () =>
      encodeFrame({ type: "close", code: 0, reason: "x".repeat(11) }, {
        maxFrameBytes: 100,
        maxBatchRecords: 2,
        maxBatchBytes: 1e6,
        maxStringBytes: 10,
      }),
    FrameEncodeError,
    "11 bytes exceeds 10",
  );
  assertThrows(
    () => encodeFrame({ type: "ack", durableIndex: -1 }),
    FrameEncodeError,
    "durableIndex",
  );
  assertThrows(() => encodeFrame({ type: "ack", durableIndex: 1.5 }), FrameEncodeError);
  assertThrows(() => encodeFrame({ type: "ack", durableIndex: 2 ** 53 }), FrameEncodeError);
  assertThrows(
    () => encodeFrame({ type: "response", proof: new Uint8Array(31) }),
    FrameEncodeError,
    "32 bytes",
  );
});

Deno.test("recordFrameBytes() equals the encoded size of a batch", () => {
  const m = SAMPLES[6]!;
  assert(m.type === "records");
  const payload = m.records.reduce((n, r) => n + r.payload.length, 0);
  assertEquals(recordFrameBytes(m.records.length, payload), encodeFrame(m).length);
});

function sealed(type: number, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + 1 + body.length + 4);
  const view = new DataView(out.buffer);
  view.setUint32(0, 1 + body.length + 4);
  out[4] = type;
  out.set(body, 5);
  view.setUint32(5 + body.length, crc32c(out, 0, 4, 5 + body.length));
  return out;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

Deno.test("encodeFrame and FrameDecoder never hand out the same bytes twice, across slabs", () => {
  const record = (i: number, size: number) => ({
    index: i,
    epoch: 1,
    kind: 1,
    sessionId: 1,
    seqNum: i,
    timestampMs: i,
    payload: new Uint8Array(size).fill(i & 0xff),
  });
  const first = encodeFrame({ type: "records", records: [record(1, 300)] });
  const firstCopy = first.slice();
  const decoder = new FrameDecoder();
  decoder.push(first);
  const decoded = decoder.next();
  assert(decoded?.kind === "message" && decoded.message.type === "records");
  const payload = decoded.message.records[0]!.payload;
  // Several slabs' worth of frames, small and large, encoded and decoded after it.
  for (let i = 2; i < 600; i++) {
    const f = encodeFrame({ type: "records", records: [record(i, i % 7 === 0 ? 9000 : 300)] });
    decoder.push(f);
    const m = decoder.next();
    assert(m?.kind === "message" && m.message.type === "records");
    assertEquals(m.message.records[0]!.payload, record(i, i % 7 === 0 ? 9000 : 300).payload);
  }
  assertEquals(first, firstCopy, "the first frame was overwritten");
  assertEquals(payload, new Uint8Array(300).fill(1), "a decoded payload was overwritten");
});
