/**
 * CRC-32C (Castagnoli), the checksum of iSCSI (RFC 3720), ext4 and most
 * write-ahead logs: reflected polynomial 0x82F63B78, initial value and final
 * XOR 0xFFFFFFFF.
 *
 * The implementation is table-driven with slicing-by-16 (the slicing-by-8
 * idea, twice as wide): sixteen 256-entry tables let the inner loop consume
 * sixteen bytes (four 32-bit word loads) per iteration with sixteen look-ups
 * instead of one look-up per byte. On 244-byte journal records here it
 * measured about 1.4× slicing-by-8 and 6–10× the byte-at-a-time loop, which is
 * why it is used (see `tests/bench/journal_bench.ts`).
 *
 * @module
 */

const POLY = 0x82f63b78;

function makeTables(): Int32Array {
  const t = new Int32Array(16 * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
    t[n] = c;
  }
  for (let n = 0; n < 256; n++) {
    let c = t[n]! >>> 0;
    for (let s = 1; s < 16; s++) {
      c = (t[c & 0xff]! ^ (c >>> 8)) >>> 0;
      t[s * 256 + n] = c;
    }
  }
  return t;
}

const T = makeTables();
// Sixteen tables as separate Int32Arrays: int32 values stay small integers in
// V8, and each look-up needs no offset arithmetic. Table k advances a byte
// through k further zero bytes.
const table = (k: number) => new Int32Array(T.buffer, k * 1024, 256);
const T0 = table(0), T1 = table(1), T2 = table(2), T3 = table(3);
const T4 = table(4), T5 = table(5), T6 = table(6), T7 = table(7);
const T8 = table(8), T9 = table(9), T10 = table(10), T11 = table(11);
const T12 = table(12), T13 = table(13), T14 = table(14), T15 = table(15);

const LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;

// A 32-bit view of the last buffer checksummed, so the hot loop loads words,
// not bytes. Journal staging and scanning checksum many records of one buffer
// in a row, so the view is almost always reused.
let cachedBuffer: ArrayBufferLike | undefined;
let cachedWords: Int32Array<ArrayBufferLike> = new Int32Array(0);

function wordsOf(buffer: ArrayBufferLike): Int32Array {
  if (buffer !== cachedBuffer || cachedWords.length !== buffer.byteLength >>> 2) {
    cachedBuffer = buffer;
    cachedWords = new Int32Array(buffer, 0, buffer.byteLength >>> 2);
  }
  return cachedWords;
}

/**
 * Continues a CRC-32C over `bytes[start..end)`.
 *
 * Pass the value returned by a previous call as `crc` to checksum data in
 * pieces; start with 0.
 *
 * @example
 * ```ts
 * import { crc32c } from "./crc32c.ts";
 * const whole = crc32c(new TextEncoder().encode("123456789")); // 0xE3069283
 * ```
 */
export function crc32c(
  bytes: Uint8Array,
  crc = 0,
  start = 0,
  end: number = bytes.length,
): number {
  let c = ~crc;
  let i = start;
  // Bytes until the absolute position is 4-aligned.
  const base = bytes.byteOffset;
  while (i < end && ((base + i) & 3) !== 0) {
    c = T0[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
    i++;
  }
  if (LITTLE_ENDIAN && end - i >= 16) {
    const words = wordsOf(bytes.buffer);
    let w = (base + i) >>> 2;
    const wEnd = w + (((end - i) >>> 4) << 2);
    while (w < wEnd) {
      const a = words[w]! ^ c;
      const b = words[w + 1]!;
      const d = words[w + 2]!;
      const e = words[w + 3]!;
      c = T15[a & 0xff]! ^ T14[(a >>> 8) & 0xff]! ^ T13[(a >>> 16) & 0xff]! ^ T12[a >>> 24]! ^
        T11[b & 0xff]! ^ T10[(b >>> 8) & 0xff]! ^ T9[(b >>> 16) & 0xff]! ^ T8[b >>> 24]! ^
        T7[d & 0xff]! ^ T6[(d >>> 8) & 0xff]! ^ T5[(d >>> 16) & 0xff]! ^ T4[d >>> 24]! ^
        T3[e & 0xff]! ^ T2[(e >>> 8) & 0xff]! ^ T1[(e >>> 16) & 0xff]! ^ T0[e >>> 24]!;
      w += 4;
    }
    i = (w << 2) - base;
  }
  while (i < end) {
    c = T0[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
    i++;
  }
  return (~c) >>> 0;
}

/** The byte-at-a-time reference implementation, kept for tests and the benchmark. */
export function crc32cBytewise(bytes: Uint8Array, crc = 0): number {
  let c = ~crc;
  for (let i = 0; i < bytes.length; i++) c = T0[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (~c) >>> 0;
}
