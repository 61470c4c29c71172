/**
 * The checkpoint file, `journal.checkpoint`: how far the journal is known to
 * have reached, so that a missing or rewound newest segment is detected at
 * open instead of silently rewinding sequence numbers.
 *
 * It is rewritten when the journal opens (after recovery), at every segment
 * roll, at a clean close and after an intended cut (a follower's
 * `truncateAfter`, `installBaseline`, `journal repair`). It holds the index
 * of the last record then known durable, the CRC stored in that record, and
 * the newest segment's name. At open, the journal must still reach that index
 * with the same record there, and the newest segment must still exist;
 * otherwise it refuses to open ({@linkcode JournalRewindError}) unless the
 * operator accepts the loss.
 *
 * Layout (little-endian, the framing of `_framed_file.ts`, as for
 * `state.snap`): 8 bytes magic `TNDMCKPT`, u32 version (1), u32 length of the
 * JSON body, u32 CRC-32C of the body, u32 reserved (0), then the UTF-8 JSON
 * body ({@linkcode Checkpoint}). Replaced atomically: written to
 * `journal.checkpoint.tmp`, synced, renamed, directory synced.
 *
 * @module
 */

import { JournalCorruptionError } from "./errors.ts";
import { decodeFramedJson, encodeFramedJson, replaceFileAtomically } from "./_framed_file.ts";
import { type JournalStorage, readWholeFile } from "./storage.ts";

/** File name of the checkpoint. */
export const CHECKPOINT_FILE = "journal.checkpoint";
const TMP = "journal.checkpoint.tmp";
const MAGIC = new TextEncoder().encode("TNDMCKPT");

/** What the checkpoint records. */
export interface Checkpoint {
  /** Index of the last record known durable when written (0: none). */
  lastIndex: number;
  /** The CRC stored in record `lastIndex` (0 when `lastIndex` is 0). */
  lastRecordCrc: number;
  /** File name of the newest segment when written. */
  newestSegment: string;
  /** When it was written, ms since the Unix epoch (for people). */
  writtenAtMs: number;
}

/** Reads the checkpoint if there is one; throws {@linkcode JournalCorruptionError} if it is damaged. */
export function readCheckpoint(storage: JournalStorage): Checkpoint | undefined {
  if (!storage.exists(CHECKPOINT_FILE)) return undefined;
  const buf = readWholeFile(storage, CHECKPOINT_FILE);
  // A damaged checkpoint's error carries no CRCs (unlike the snapshot's).
  const bad = (reason: string) =>
    new JournalCorruptionError({
      file: `${storage.location}/${CHECKPOINT_FILE}`,
      offsetBytes: 0,
      reason,
    });
  const c = decodeFramedJson(buf, MAGIC, "checkpoint", bad) as Checkpoint;
  if (
    !Number.isSafeInteger(c.lastIndex) || c.lastIndex < 0 ||
    !Number.isInteger(c.lastRecordCrc) || typeof c.newestSegment !== "string"
  ) throw bad("checkpoint body is not a checkpoint");
  return c;
}

/** Replaces the checkpoint atomically and durably. */
export function writeCheckpoint(storage: JournalStorage, checkpoint: Checkpoint): void {
  replaceFileAtomically(storage, CHECKPOINT_FILE, TMP, encodeFramedJson(MAGIC, checkpoint));
}

/** What is missing compared with the checkpoint, in words; undefined when nothing is. */
export function describeRewind(
  checkpoint: Checkpoint,
  found: {
    lastIndex: number;
    segmentNames: readonly string[];
    crcAt: (index: number) => number | undefined;
  },
): string | undefined {
  const newest = found.segmentNames.at(-1);
  if (
    checkpoint.newestSegment !== "" && !found.segmentNames.includes(checkpoint.newestSegment) &&
    (newest === undefined || newest < checkpoint.newestSegment)
  ) {
    return `segment ${checkpoint.newestSegment} is missing: the checkpoint of ${
      new Date(checkpoint.writtenAtMs).toISOString()
    } names it as the newest, and the journal now ends at index ${found.lastIndex}` +
      (checkpoint.lastIndex > found.lastIndex
        ? ` (records ${found.lastIndex + 1} to ${checkpoint.lastIndex} at least are gone)`
        : "");
  }
  if (found.lastIndex < checkpoint.lastIndex) {
    return `the journal ends at index ${found.lastIndex} but had reached ${checkpoint.lastIndex} (checkpoint of ${
      new Date(checkpoint.writtenAtMs).toISOString()
    }): records ${found.lastIndex + 1} to ${checkpoint.lastIndex} are missing`;
  }
  if (checkpoint.lastIndex > 0) {
    const crc = found.crcAt(checkpoint.lastIndex);
    if (crc !== undefined && crc !== checkpoint.lastRecordCrc) {
      return `record ${checkpoint.lastIndex} is not the one the checkpoint recorded (CRC ${
        crc.toString(16)
      }, expected ${
        checkpoint.lastRecordCrc.toString(16)
      }): the journal was replaced or rewound and rewritten`;
    }
  }
  return undefined;
}
