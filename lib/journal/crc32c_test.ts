import { assertEquals } from "../testing/assert.ts";
import { crc32c, crc32cBytewise } from "./crc32c.ts";

Deno.test("crc32c() matches the RFC 3720 B.4 test vectors", () => {
  const zeros = new Uint8Array(32);
  const ones = new Uint8Array(32).fill(0xff);
  const up = Uint8Array.from({ length: 32 }, (_, i) => i);
  const down = Uint8Array.from({ length: 32 }, (_, i) => 31 - i);
  assertEquals(crc32c(zeros), 0x8a9136aa);
  assertEquals(crc32c(ones), 0x62a8ab43);
  assertEquals(crc32c(up), 0x46dd794e);
  assertEquals(crc32c(down), 0x113fdb5c);
  // iSCSI SCSI Read (10) command PDU from RFC 3720 B.4.
  const pdu = new Uint8Array(48);
  pdu.set([0x01, 0xc0], 0);
  pdu[16] = 0x14;
  pdu[22] = 0x04;
  pdu[27] = 0x14;
  pdu[31] = 0x18;
  pdu[32] = 0x28;
  pdu[40] = 0x02;
  assertEquals(crc32c(pdu), 0xd9963a56);
});

Deno.test("crc32c() of '123456789' is the catalogue check value 0xE3069283", () => {
  assertEquals(crc32c(new TextEncoder().encode("123456789")), 0xe3069283);
});

Deno.test("crc32c() slicing-by-8 agrees with the bytewise loop at every length and offset", () => {
  const data = Uint8Array.from({ length: 300 }, (_, i) => (i * 131 + 7) & 0xff);
  for (let start = 0; start < 9; start++) {
    for (let end = start; end <= data.length; end += 7) {
      assertEquals(crc32c(data, 0, start, end), crc32cBytewise(data.subarray(start, end)));
    }
  }
});

Deno.test("crc32c() continues across pieces", () => {
  const data = new TextEncoder().encode("The quick brown fox jumps over the lazy dog");
  const whole = crc32c(data);
  for (let cut = 0; cut <= data.length; cut++) {
    assertEquals(crc32c(data.subarray(cut), crc32c(data.subarray(0, cut))), whole);
    assertEquals(crc32c(data, crc32c(data, 0, 0, cut), cut), whole);
  }
});
