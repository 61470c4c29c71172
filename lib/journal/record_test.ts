import { assert, assertEquals, assertThrows } from "../testing/assert.ts";
import {
  checkRecordAt,
  decodeRecord,
  decodeRecordAt,
  decodeSegmentHeader,
  encodeRecord,
  encodeSegmentHeader,
  parseRecordKind,
  parseSegmentFileName,
  RECORD_INCOMPLETE,
  RECORD_NOT_VALID,
  RecordKind,
  recordKindName,
  recordSizeBytes,
  segmentFileName,
  validRecordSizeAt,
} from "./record.ts";

Deno.test("encodeRecord() pads to 8 bytes and round-trips every field, 64-bit values included", () => {
  const record = {
    index: 2 ** 53 - 1,
    epoch: 0xffff_ffff,
    kind: RecordKind.Audit,
    sessionId: 0xffff_fffe,
    seqNum: 2 ** 40 + 3,
    timestampMs: Date.UTC(2100, 0, 1),
    payload: Uint8Array.of(1, 2, 3),
  };
  const bytes = encodeRecord(record);
  assertEquals(bytes.length, recordSizeBytes(3));
  assertEquals(bytes.length % 8, 0);
  const view = new DataView(bytes.buffer);
  const check = checkRecordAt(bytes, view, 0, bytes.length);
  assert(check.ok);
  assertEquals(decodeRecordAt(bytes, view, 0, true), record);
  assertEquals(decodeRecord(bytes), record);
  assertThrows(() => decodeRecord(bytes.subarray(0, bytes.length - 8)), SyntaxError, "truncated");
  const extra = new Uint8Array(bytes.length + 8);
  extra.set(bytes);
  assertThrows(() => decodeRecord(extra), SyntaxError, "bytes after the record");
});

Deno.test("checkRecordAt() reports a flipped bit, a short buffer and non-zero reserved bytes", () => {
  const bytes = encodeRecord({
    index: 1,
    epoch: 0,
    kind: RecordKind.Outbound,
    sessionId: 1,
    seqNum: 1,
    timestampMs: 0,
    payload: new Uint8Array(10),
  });
  const view = new DataView(bytes.buffer);
  assertEquals(checkRecordAt(bytes, view, 0, 40), { ok: false, fault: "truncated-header" });
  assertEquals(checkRecordAt(bytes, view, 0, bytes.length - 1), {
    ok: false,
    fault: "truncated-payload",
  });
  const flipped = bytes.slice();
  flipped[50] = flipped[50]! ^ 1;
  const bad = checkRecordAt(flipped, new DataView(flipped.buffer), 0, flipped.length);
  assert(!bad.ok && bad.fault === "bad-crc" && bad.expectedCrc !== bad.actualCrc);
});

Deno.test("decodeSegmentHeader() accepts what encodeSegmentHeader() writes and names what is wrong otherwise", () => {
  const header = encodeSegmentHeader(42, 1_000);
  assertEquals(decodeSegmentHeader(header), { version: 1, firstIndex: 42, createdAtMs: 1_000 });
  assertEquals(decodeSegmentHeader(header.subarray(0, 20)), "segment header is incomplete");
  const magic = header.slice();
  magic[0] = 0;
  assertEquals(decodeSegmentHeader(magic), "segment magic is wrong");
  const crc = header.slice();
  crc[20] = 1;
  assert(String(decodeSegmentHeader(crc)).startsWith("segment header CRC mismatch"));
});

Deno.test("segmentFileName() and parseSegmentFileName() use 20-digit zero-padded first indices", () => {
  assertEquals(segmentFileName(1), "00000000000000000001.seg");
  assertEquals(parseSegmentFileName("00000000000000000123.seg"), 123);
  assertEquals(parseSegmentFileName("123.seg"), undefined);
  assertEquals(parseSegmentFileName("state.snap"), undefined);
});

Deno.test("parseRecordKind() accepts names in any case and numbers", () => {
  assertEquals(parseRecordKind("outbound"), RecordKind.Outbound);
  assertEquals(parseRecordKind("SequenceChange"), RecordKind.SequenceChange);
  assertEquals(parseRecordKind("8"), RecordKind.Audit);
  assertEquals(parseRecordKind("nope"), undefined);
  assertEquals(recordKindName(RecordKind.EpochChange), "EpochChange");
});

Deno.test("validRecordSizeAt() accepts exactly the records checkRecordAt() accepts with the expected index", () => {
  for (const index of [1, 77, 2 ** 32 + 5, 2 ** 53 - 1]) {
    const bytes = encodeRecord({
      index,
      epoch: 3,
      kind: RecordKind.Inbound,
      sessionId: 9,
      seqNum: 41,
      timestampMs: 1_700_000_000_000,
      payload: new TextEncoder().encode("8=FIX.4.4\x019=5\x0135=0\x0110=000\x01"),
    });
    const view = new DataView(bytes.buffer);
    assertEquals(validRecordSizeAt(bytes, view, 0, bytes.length, index), bytes.length);
    assertEquals(validRecordSizeAt(bytes, view, 0, bytes.length, index + 1), RECORD_NOT_VALID);
    for (let end = 0; end < bytes.length; end++) {
      assertEquals(validRecordSizeAt(bytes, view, 0, end, index), RECORD_INCOMPLETE, `end ${end}`);
    }
    // Every single-bit flip in the checked bytes (all but the padding) is refused, as by checkRecordAt.
    const checked = 48 + view.getUint32(4, true);
    for (let at = 0; at < checked; at++) {
      for (let bit = 0; bit < 8; bit++) {
        const flipped = bytes.slice();
        flipped[at]! ^= 1 << bit;
        const v = new DataView(flipped.buffer);
        const fast = validRecordSizeAt(flipped, v, 0, flipped.length, index);
        const check = checkRecordAt(flipped, v, 0, flipped.length);
        assertEquals(fast > 0, check.ok && check.index === index, `byte ${at} bit ${bit}`);
        assert(fast <= 0, `byte ${at} bit ${bit} accepted`);
      }
    }
  }
});
