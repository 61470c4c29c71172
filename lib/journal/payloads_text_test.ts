import { assertEquals, assertThrows } from "../testing/assert.ts";
import {
  decodeAppCursor,
  decodeEpochChange,
  encodeAppCursor,
  encodeEpochChange,
  JournalPayloadError,
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
