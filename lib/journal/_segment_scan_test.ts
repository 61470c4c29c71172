import { assertEquals } from "../testing/assert.ts";
import { scanRecords } from "./_scan.ts";
import { scanSegmentFile } from "./_segment_scan.ts";
import { fixPayload } from "./_test_util.ts";
import { MemoryStorage } from "./memory_storage.ts";
import {
  decodeRecordAt,
  encodeRecord,
  encodeSegmentHeader,
  type JournalRecord,
  RecordKind,
  SEGMENT_HEADER_BYTES,
} from "./record.ts";

/** A segment file of records 1..count with payloads of varied sizes, one larger than 3 KB. */
function segmentBytes(count: number): Uint8Array {
  const parts = [encodeSegmentHeader(1, 1_700_000_000_000)];
  for (let i = 1; i <= count; i++) {
    parts.push(encodeRecord({
      index: i,
      epoch: 0,
      kind: RecordKind.Outbound,
      sessionId: 1,
      seqNum: i,
      timestampMs: 1_700_000_000_000 + i,
      payload: fixPayload(i, i === 7 ? 3000 : (i * 37) % 400),
    }));
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

type Outcome = { visited: [number, number, JournalRecord][]; result: unknown };

function outcome(
  run: (visit: (offset: number, size: number, r: JournalRecord) => void) => unknown,
) {
  const visited: Outcome["visited"] = [];
  let result: unknown;
  try {
    result = run((offset, size, r) => visited.push([offset, size, r]));
  } catch (e) {
    result = `${(e as Error).name}: ${(e as Error).message}`;
  }
  return { visited, result };
}

/** Whole-file scan (the reference) and windowed scans of several window sizes agree. */
function assertSameAsWholeFile(bytes: Uint8Array, isLast: boolean): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const expected = outcome((visit) =>
    scanRecords(bytes, SEGMENT_HEADER_BYTES, bytes.length, 1, "f", isLast, (o, size) => {
      visit(o, size, decodeRecordAt(bytes, view, o, true));
    })
  );
  const storage = new MemoryStorage();
  storage.setFileBytes("s.seg", bytes);
  for (const window of [48, 100, 256, 1000, 1 << 20]) {
    const actual = outcome((visit) =>
      scanSegmentFile(
        storage,
        "s.seg",
        SEGMENT_HEADER_BYTES,
        1,
        "f",
        isLast,
        (buf, v, at, offset, size) => visit(offset, size, decodeRecordAt(buf, v, at, true)),
        window,
      )
    );
    assertEquals(actual, expected, `window of ${window} bytes`);
  }
}

Deno.test("scanSegmentFile() visits the same records as a whole-file scan, whatever the window", () => {
  const bytes = segmentBytes(40);
  assertSameAsWholeFile(bytes, true);
  assertSameAsWholeFile(bytes, false);
});

Deno.test("scanSegmentFile() reports a torn tail exactly as a whole-file scan does", () => {
  const bytes = segmentBytes(40);
  assertSameAsWholeFile(bytes.subarray(0, bytes.length - 13), true); // cut mid-record
  assertSameAsWholeFile(bytes.subarray(0, bytes.length - 250), true);
  const zeros = new Uint8Array(bytes.length + 4096);
  zeros.set(bytes);
  assertSameAsWholeFile(zeros, true); // a zero-filled tail
});

Deno.test("scanSegmentFile() refuses damage with the error a whole-file scan gives", () => {
  const bytes = segmentBytes(40);
  for (const at of [SEGMENT_HEADER_BYTES + 60, Math.floor(bytes.length / 2), bytes.length - 9]) {
    const damaged = bytes.slice();
    damaged[at]! ^= 0x10;
    assertSameAsWholeFile(damaged, true);
    assertSameAsWholeFile(damaged, false);
  }
  // A huge length in a record header that the file cannot hold.
  const long = bytes.slice();
  new DataView(long.buffer).setUint32(SEGMENT_HEADER_BYTES + 4, 1 << 29, true);
  assertSameAsWholeFile(long, true);
});
