/**
 * The framing shared by the journal's small side files (`state.snap`,
 * `journal.checkpoint`) and their atomic replacement.
 *
 * Layout (little-endian): 8 bytes magic, u32 version (1), u32 length of the
 * body, u32 CRC-32C of the body, u32 reserved (0), then the body (UTF-8 JSON).
 * A file is replaced by writing `<name>.tmp`, syncing it, renaming it over
 * `<name>` and syncing the directory.
 *
 * @module
 */

import { crc32c } from "./crc32c.ts";
import type { JournalStorage } from "./storage.ts";

/** Bytes before the body: magic, version, length, CRC, reserved. */
export const FRAMED_HEADER_BYTES = 24;
const VERSION = 1;

/** Frames `value` as JSON behind an 8-byte `magic`. */
export function encodeFramedJson(magic: Uint8Array, value: unknown): Uint8Array {
  const body = new TextEncoder().encode(JSON.stringify(value));
  const buf = new Uint8Array(FRAMED_HEADER_BYTES + body.length);
  const view = new DataView(buf.buffer);
  buf.set(magic, 0);
  view.setUint32(8, VERSION, true);
  view.setUint32(12, body.length, true);
  view.setUint32(16, crc32c(body), true);
  buf.set(body, FRAMED_HEADER_BYTES);
  return buf;
}

/**
 * Checks the frame of `buf` and parses its JSON body; the caller checks the
 * body's shape. Any damage becomes the error `bad` builds, with the reason
 * `<what> header is damaged`, `<what> length or version is wrong` or
 * `<what> CRC mismatch` (the last with the stored and computed CRCs).
 */
export function decodeFramedJson(
  buf: Uint8Array,
  magic: Uint8Array,
  what: string,
  bad: (reason: string, expectedCrc?: number, actualCrc?: number) => Error,
): unknown {
  if (buf.length < FRAMED_HEADER_BYTES || magic.some((b, i) => buf[i] !== b)) {
    throw bad(`${what} header is damaged`);
  }
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (
    view.getUint32(8, true) !== VERSION ||
    FRAMED_HEADER_BYTES + view.getUint32(12, true) !== buf.length
  ) {
    throw bad(`${what} length or version is wrong`);
  }
  const body = buf.subarray(FRAMED_HEADER_BYTES);
  const stored = view.getUint32(16, true);
  const actual = crc32c(body);
  if (stored !== actual) throw bad(`${what} CRC mismatch`, stored, actual);
  return JSON.parse(new TextDecoder().decode(body));
}

/** Replaces `name` with `bytes` atomically and durably, through `tmpName`. */
export function replaceFileAtomically(
  storage: JournalStorage,
  name: string,
  tmpName: string,
  bytes: Uint8Array,
): void {
  if (storage.exists(tmpName)) storage.remove(tmpName);
  const writer = storage.openWriter(tmpName, { create: true });
  try {
    writer.append(bytes);
    writer.syncSync();
  } finally {
    writer.close();
  }
  storage.rename(tmpName, name);
  storage.syncDirectory();
}
