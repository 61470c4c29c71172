/**
 * Message bytes by sequence number, for the memory store.
 *
 * The numbers come in order, so they are kept in chunks of 1,024 consecutive numbers, and the
 * bytes of a chunk's messages are copied one after another into one buffer of the chunk, with
 * their offsets in typed arrays. A million stored messages are then about a thousand buffers,
 * not a million views: a view is a heap object that every young-generation collection copies
 * and that then grows the old generation until a full collection, which is where a round
 * trip's long tail came from. A `set` stays an array write plus a copy of the bytes.
 *
 * Bytes are copied in, so the caller may reuse what it passed. A view {@linkcode SeqNumBytes.get}
 * returns is never written over: a chunk whose buffer is full moves its messages to a new
 * buffer (dropping replaced and deleted ones) and leaves the old one to the views still held.
 *
 * @module
 */

const CHUNK_SHIFT = 10;
const CHUNK_SIZE = 1 << CHUNK_SHIFT;
const CHUNK_MASK = CHUNK_SIZE - 1;
/** Smallest buffer of a chunk; it doubles as messages arrive. */
const INITIAL_CHUNK_BYTES = 16 * 1024;
/**
 * Largest size a new chunk's buffer starts at: new chunks start at what the last full chunk
 * used and a quarter more (one allocation per 1,024 messages instead of a move at every
 * doubling, and not twice the bytes needed, each a fresh zeroed buffer), up to this.
 */
const MAX_START_CHUNK_BYTES = 4 * 1024 * 1024;

class Chunk {
  bytes: Uint8Array;
  /** Bytes of `bytes` written so far (live or not). */
  used = 0;
  /** Bytes of the messages held (what a move to a new buffer keeps). */
  live = 0;
  count = 0;
  readonly starts = new Int32Array(CHUNK_SIZE);
  /** Length of each slot's message; -1: none. */
  readonly lengths = new Int32Array(CHUNK_SIZE).fill(-1);

  constructor(sizeBytes: number) {
    this.bytes = new Uint8Array(sizeBytes);
  }

  /** Makes room for `extra` more bytes, moving the held messages to a new buffer if needed. */
  reserve(extra: number): void {
    if (this.used + extra <= this.bytes.length) return;
    let size = INITIAL_CHUNK_BYTES;
    while (size < (this.live + extra) * 2) size *= 2;
    const old = this.bytes;
    const bytes = new Uint8Array(size);
    // messages stored one after another (the usual case) are copied as one run
    let o = 0;
    let runFrom = 0;
    let runTo = 0;
    for (let i = 0; i < CHUNK_SIZE; i++) {
      const length = this.lengths[i]!;
      if (length < 0) continue;
      const start = this.starts[i]!;
      if (start !== runTo) {
        if (runTo > runFrom) bytes.set(old.subarray(runFrom, runTo), o - (runTo - runFrom));
        runFrom = start;
        runTo = start;
      }
      runTo += length;
      this.starts[i] = o;
      o += length;
    }
    if (runTo > runFrom) bytes.set(old.subarray(runFrom, runTo), o - (runTo - runFrom));
    this.bytes = bytes;
    this.used = o;
  }
}

/** Message bytes by sequence number (non-negative integers); see the module doc. */
export class SeqNumBytes {
  readonly #chunks = new Map<number, Chunk>();
  #size = 0;
  /** The size new chunks' buffers start at (what earlier chunks grew to). */
  #startBytes = INITIAL_CHUNK_BYTES;

  /** Number of messages held. */
  get size(): number {
    return this.#size;
  }

  /** The bytes held for `seqNum` (a view that is never written over), if any. */
  get(seqNum: number): Uint8Array | undefined {
    const chunk = this.#chunks.get(seqNum >>> CHUNK_SHIFT);
    if (chunk === undefined) return undefined;
    const i = seqNum & CHUNK_MASK;
    const length = chunk.lengths[i]!;
    if (length < 0) return undefined;
    const start = chunk.starts[i]!;
    return chunk.bytes.subarray(start, start + length);
  }

  /** Holds a copy of `bytes` for `seqNum` (replacing any). */
  set(seqNum: number, bytes: Uint8Array): void {
    const key = seqNum >>> CHUNK_SHIFT;
    let chunk = this.#chunks.get(key);
    if (chunk === undefined) {
      chunk = new Chunk(this.#startBytes);
      this.#chunks.set(key, chunk);
    }
    const i = seqNum & CHUNK_MASK;
    const previous = chunk.lengths[i]!;
    if (previous < 0) {
      chunk.count++;
      this.#size++;
    } else {
      chunk.live -= previous;
    }
    chunk.lengths[i] = -1; // not kept by a move to a new buffer
    const length = bytes.length;
    chunk.reserve(length);
    const at = chunk.used;
    chunk.bytes.set(bytes, at);
    chunk.used = at + length;
    chunk.live += length;
    chunk.starts[i] = at;
    chunk.lengths[i] = length;
    // The chunk's last number: the next chunk starts at what this one used, and a quarter more
    // (a chunk's buffer grows by moving its messages: doubling would leave half of it unused).
    if (i === CHUNK_MASK) {
      const wanted = Math.ceil(chunk.used * 1.25 / INITIAL_CHUNK_BYTES) * INITIAL_CHUNK_BYTES;
      this.#startBytes = Math.min(Math.max(wanted, this.#startBytes), MAX_START_CHUNK_BYTES);
    }
  }

  /** Forgets the bytes of `seqNum`, if held. */
  delete(seqNum: number): void {
    const key = seqNum >>> CHUNK_SHIFT;
    const chunk = this.#chunks.get(key);
    const i = seqNum & CHUNK_MASK;
    if (chunk === undefined || chunk.lengths[i]! < 0) return;
    chunk.live -= chunk.lengths[i]!;
    chunk.lengths[i] = -1;
    this.#size--;
    if (--chunk.count === 0) this.#chunks.delete(key);
  }

  /** Forgets everything. */
  clear(): void {
    this.#chunks.clear();
    this.#size = 0;
  }
}
