import { assertEquals, assertThrows } from "../testing/assert.ts";
import {
  decodeAppCursor,
  decodeEpochChange,
  encodeAppCursor,
  encodeEpochChange,
  JournalPayloadError,
  setAppCursorIndex,
} from "./payloads.ts";

const utf8 = new TextEncoder();

Deno.test("AppCursor and EpochChange payloads keep the exact UTF-8 bytes, ASCII or not, short or long", () => {
  const names = [
    "executor@FIX.4.4:EXEC->BENCH",
    "exécuteur@FIX.4.4:EXEC->BÄNK",
    "x".repeat(127),
    "x".repeat(128),
    "x".repeat(129),
    "é".repeat(100),
    "a\u0000b\u007f",
  ];
  for (const name of names) {
    const p = encodeAppCursor({ name, index: 2 ** 53 - 1 });
    const bytes = utf8.encode(name);
    assertEquals(p.subarray(8), bytes, name);
    assertEquals([...p.subarray(0, 8)], [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x1f, 0], name);
    assertEquals(decodeAppCursor(p), { name, index: 2 ** 53 - 1 });
    const e = encodeEpochChange({ epoch: 0x01020304, reason: name });
    assertEquals([...e.subarray(0, 4)], [4, 3, 2, 1]);
    assertEquals(decodeEpochChange(e), { epoch: 0x01020304, reason: name });
  }
});

Deno.test("AppCursor payloads whose text is not UTF-8 are refused", () => {
  const p = new Uint8Array(8 + 3);
  p.set([0x61, 0xff, 0x62], 8);
  assertThrows(() => decodeAppCursor(p), JournalPayloadError, "not valid UTF-8");
});

Deno.test("AppCursor names decoded again and again, among more names than are remembered, and near misses", () => {
  // Names differing in one byte, or only in length, and more of them than the decoder keeps.
  const names = ["executor@S1", "executor@S2", "executor@S", "executor@S10", "begin:executor@S1"];
  for (let i = 0; i < 40; i++) names.push(`app${i}@FIX.4.4:A->B`);
  for (let round = 0; round < 3; round++) {
    for (const [i, name] of names.entries()) {
      const p = encodeAppCursor({ name, index: i + round });
      assertEquals(decodeAppCursor(p), { name, index: i + round });
      // The decoder keeps its own copy of the bytes: reusing the payload does not fool it.
      p[p.length - 1] = 0x5a;
      assertEquals(decodeAppCursor(p).name, name.slice(0, -1) + "Z");
    }
  }
  const bad = encodeAppCursor({ name: "executor@S1", index: 1 });
  bad[bad.length - 1] = 0xff;
  assertThrows(() => decodeAppCursor(bad), JournalPayloadError, "not valid UTF-8");
});

Deno.test("setAppCursorIndex rewrites the index of a payload in place and refuses what encode refuses", () => {
  const p = encodeAppCursor({ name: "executor@S", index: 1 });
  for (const index of [0, 7, 0xffff_ffff, 0x1_0000_0000, 2 ** 53 - 1]) {
    setAppCursorIndex(p, index);
    assertEquals(decodeAppCursor(p), { name: "executor@S", index });
  }
  for (const index of [-1, 1.5, 2 ** 53, Number.NaN]) {
    assertThrows(() => setAppCursorIndex(p, index), RangeError);
  }
});
