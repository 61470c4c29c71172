/**
 * The state snapshot file, `state.snap`, written before retention removes
 * segments so that sessions, sequence numbers, epoch and cursors defined in
 * removed segments survive.
 *
 * Layout (little-endian): 8 bytes magic `TNDMSNAP`, u32 version (1), u32
 * length of the JSON body, u32 CRC-32C of the body, u32 reserved (0), then the
 * UTF-8 JSON body ({@linkcode StateSnapshot}). It is replaced atomically:
 * written to `state.snap.tmp`, synced, renamed, directory synced.
 *
 * @module
 */

import { crc32c } from "./crc32c.ts";
import { JournalCorruptionError } from "./errors.ts";
import type { StateSnapshot } from "./_state.ts";
import { type JournalStorage, readWholeFile } from "./storage.ts";

/** File name of the snapshot. */
export const SNAPSHOT_FILE = "state.snap";
const TMP = "state.snap.tmp";
const MAGIC = new TextEncoder().encode("TNDMSNAP");
const HEADER_BYTES = 24;

/** Encodes a snapshot file. */
export function encodeSnapshot(snapshot: StateSnapshot): Uint8Array {
  const body = new TextEncoder().encode(JSON.stringify(snapshot));
  const buf = new Uint8Array(HEADER_BYTES + body.length);
  const view = new DataView(buf.buffer);
  buf.set(MAGIC, 0);
  view.setUint32(8, 1, true);
  view.setUint32(12, body.length, true);
  view.setUint32(16, crc32c(body), true);
  buf.set(body, HEADER_BYTES);
  return buf;
}

/** Reads the snapshot if there is one; throws {@linkcode JournalCorruptionError} if it is damaged. */
export function readSnapshot(storage: JournalStorage): StateSnapshot | undefined {
  if (!storage.exists(SNAPSHOT_FILE)) return undefined;
  const buf = readWholeFile(storage, SNAPSHOT_FILE);
  const file = `${storage.location}/${SNAPSHOT_FILE}`;
  const bad = (reason: string, expectedCrc?: number, actualCrc?: number) =>
    new JournalCorruptionError({
      file,
      offsetBytes: 0,
      reason,
      ...(expectedCrc !== undefined ? { expectedCrc } : {}),
      ...(actualCrc !== undefined ? { actualCrc } : {}),
    });
  if (buf.length < HEADER_BYTES || MAGIC.some((b, i) => buf[i] !== b)) {
    throw bad("snapshot header is damaged");
  }
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const length = view.getUint32(12, true);
  if (view.getUint32(8, true) !== 1 || HEADER_BYTES + length !== buf.length) {
    throw bad("snapshot length or version is wrong");
  }
  const body = buf.subarray(HEADER_BYTES);
  const stored = view.getUint32(16, true);
  const actual = crc32c(body);
  if (stored !== actual) throw bad("snapshot CRC mismatch", stored, actual);
  const parsed = JSON.parse(new TextDecoder().decode(body)) as StateSnapshot;
  if (!Number.isSafeInteger(parsed.throughIndex) || !Array.isArray(parsed.sessions)) {
    throw bad("snapshot body is not a state snapshot");
  }
  return parsed;
}

/** Replaces the snapshot atomically and durably. */
export function writeSnapshot(storage: JournalStorage, snapshot: StateSnapshot): void {
  if (storage.exists(TMP)) storage.remove(TMP);
  const writer = storage.openWriter(TMP, { create: true });
  try {
    writer.append(encodeSnapshot(snapshot));
    writer.syncSync();
  } finally {
    writer.close();
  }
  storage.rename(TMP, SNAPSHOT_FILE);
  storage.syncDirectory();
}

/** Removes a half-written snapshot left by a crash. */
export function removeStaleSnapshot(storage: JournalStorage): void {
  if (storage.exists(TMP)) storage.remove(TMP);
}
