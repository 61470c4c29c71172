/**
 * The staging buffer of the journal's writer: records appended in one turn
 * are encoded here, back to back, and reach the file in a single write. It
 * grows by doubling and shrinks back once a burst has passed.
 *
 * @module
 */

import {
  decodeRecordAt,
  encodeRecordFields,
  type JournalRecord,
  type RecordInput,
  recordSizeBytes,
} from "./record.ts";

/** Initial (and shrunk-back) size of the staging buffer. */
const INITIAL_STAGING_BYTES = 64 * 1024;

/** Encoded records waiting for their write. */
export class StagingBuffer {
  #staged = new Uint8Array(INITIAL_STAGING_BYTES);
  #stagedView = new DataView(this.#staged.buffer);
  /** Bytes staged. */
  length = 0;

  /** Encodes `input` (of `size` bytes) at the end of the buffer, growing it if needed. */
  push(input: RecordInput, size: number, index: number, epoch: number): void {
    if (this.length + size > this.#staged.length) {
      let capacity = this.#staged.length * 2;
      while (capacity < this.length + size) capacity *= 2;
      const grown = new Uint8Array(capacity);
      grown.set(this.#staged.subarray(0, this.length));
      this.#staged = grown;
      this.#stagedView = new DataView(grown.buffer);
    }
    encodeRecordFields(
      this.#staged,
      this.#stagedView,
      this.length,
      index,
      epoch,
      input.kind,
      input.sessionId,
      input.seqNum,
      input.timestampMs,
      input.payload,
    );
    this.length += size;
  }

  /** The staged bytes (a view, valid until the next push). */
  bytes(): Uint8Array {
    return this.#staged.subarray(0, this.length);
  }

  /** The staged records, decoded; payloads are views, valid until the next push. */
  records(): JournalRecord[] {
    const out: JournalRecord[] = [];
    const view = this.#stagedView;
    for (let at = 0; at < this.length;) {
      out.push(decodeRecordAt(this.#staged, view, at, false));
      at += recordSizeBytes(view.getUint32(at + 4, true));
    }
    return out;
  }

  /** Empties the buffer after its write; drops a buffer grown past twice `maxStagedBytes`. */
  clear(maxStagedBytes: number): void {
    this.length = 0;
    if (
      this.#staged.length > maxStagedBytes * 2 && this.#staged.length > INITIAL_STAGING_BYTES
    ) {
      this.#staged = new Uint8Array(INITIAL_STAGING_BYTES);
      this.#stagedView = new DataView(this.#staged.buffer);
    }
  }
}
