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

import { JournalCorruptionError } from "./errors.ts";
import { decodeFramedJson, encodeFramedJson, replaceFileAtomically } from "./_framed_file.ts";
import type { StateSnapshot } from "./_state.ts";
import { type JournalStorage, readWholeFile } from "./storage.ts";

/** File name of the snapshot. */
export const SNAPSHOT_FILE = "state.snap";
const TMP = "state.snap.tmp";
const MAGIC = new TextEncoder().encode("TNDMSNAP");

/** Encodes a snapshot file. */
export function encodeSnapshot(snapshot: StateSnapshot): Uint8Array {
  return encodeFramedJson(MAGIC, snapshot);
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
  const parsed = decodeFramedJson(buf, MAGIC, "snapshot", bad) as StateSnapshot;
  if (!Number.isSafeInteger(parsed.throughIndex) || !Array.isArray(parsed.sessions)) {
    throw bad("snapshot body is not a state snapshot");
  }
  return parsed;
}

/** Replaces the snapshot atomically and durably. */
export function writeSnapshot(storage: JournalStorage, snapshot: StateSnapshot): void {
  replaceFileAtomically(storage, SNAPSHOT_FILE, TMP, encodeSnapshot(snapshot));
}

/** Removes a half-written snapshot left by a crash. */
export function removeStaleSnapshot(storage: JournalStorage): void {
  if (storage.exists(TMP)) storage.remove(TMP);
}
