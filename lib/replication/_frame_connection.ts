/**
 * A TCP connection carrying replication frames: a receive side that decodes
 * arbitrary chunks into messages, and a send side that queues frames and
 * coalesces everything queued within one event-loop turn into one write.
 * Latency-critical frames (live records, acks) are sent with `now`: when no
 * write is in flight the socket write starts before `send` returns (Deno
 * performs it at once), instead of after the rest of the turn.
 *
 * @module
 */

import {
  type DecodeError,
  encodeFrame,
  FrameDecoder,
  type ProtocolLimits,
  type ReplicationMessage,
} from "./protocol.ts";

/** Thrown by {@linkcode FrameConnection.receive} when the peer sent undecodable bytes. */
export class FrameDecodeError extends SyntaxError {
  readonly fault: DecodeError;
  constructor(fault: DecodeError) {
    super(`Cannot decode replication frame: ${fault.reason}: ${fault.detail}`);
    this.name = "FrameDecodeError";
    this.fault = fault;
  }
}

const READ_BUFFER_BYTES = 64 * 1024;

export class FrameConnection {
  readonly #conn: Deno.Conn;
  readonly #limits: ProtocolLimits;
  readonly #decoder: FrameDecoder;
  readonly #readBuffer = new Uint8Array(READ_BUFFER_BYTES);
  #queue: Uint8Array[] = [];
  #queuedBytes = 0;
  #pump: Promise<void> | undefined;
  #drainWaiters: (() => void)[] = [];
  #closed = false;
  /** Bytes written to the socket so far. */
  bytesSent = 0;
  /** Bytes read from the socket so far. */
  bytesReceived = 0;

  constructor(conn: Deno.Conn, limits: ProtocolLimits) {
    this.#conn = conn;
    this.#limits = limits;
    this.#decoder = new FrameDecoder(limits);
  }

  get closed(): boolean {
    return this.#closed;
  }

  get queuedBytes(): number {
    return this.#queuedBytes;
  }

  get remoteAddr(): string {
    const a = this.#conn.remoteAddr as Deno.NetAddr;
    return `${a.hostname}:${a.port}`;
  }

  /**
   * Queues a message; writes happen in order, coalesced. With `now`, the write
   * starts at once when none is in flight. Ignored once closed.
   */
  send(message: ReplicationMessage, now = false): void {
    this.sendFrame(encodeFrame(message, this.#limits), now);
  }

  /** Queues an encoded frame; see {@linkcode send}. */
  sendFrame(frame: Uint8Array, now = false): void {
    if (this.#closed) return;
    this.#queue.push(frame);
    this.#queuedBytes += frame.length;
    this.#pump ??= this.#runPump(!now);
  }

  /** Resolves once fewer than `maxQueuedBytes` wait to be written (or the connection closed). */
  whenBelow(maxQueuedBytes: number): Promise<void> {
    if (this.#queuedBytes < maxQueuedBytes || this.#closed) return Promise.resolve();
    return new Promise<void>((resolve) => this.#drainWaiters.push(resolve)).then(() =>
      this.whenBelow(maxQueuedBytes)
    );
  }

  async #runPump(coalesce: boolean): Promise<void> {
    // Let the current turn queue more frames first, so they share one write.
    if (coalesce) await Promise.resolve();
    try {
      while (this.#queue.length > 0 && !this.#closed) {
        const frames = this.#queue;
        this.#queue = [];
        let chunk: Uint8Array;
        if (frames.length === 1) {
          chunk = frames[0]!;
        } else {
          chunk = new Uint8Array(frames.reduce((n, f) => n + f.length, 0));
          let o = 0;
          for (const f of frames) {
            chunk.set(f, o);
            o += f.length;
          }
        }
        let written = 0;
        while (written < chunk.length) {
          written += await this.#conn.write(chunk.subarray(written));
        }
        this.bytesSent += chunk.length;
        this.#queuedBytes -= chunk.length;
        this.#wakeDrainWaiters();
      }
    } catch {
      this.close();
    } finally {
      this.#pump = undefined;
      this.#wakeDrainWaiters();
      if (this.#queue.length > 0 && !this.#closed) this.#pump = this.#runPump(true);
    }
  }

  #wakeDrainWaiters(): void {
    const waiters = this.#drainWaiters;
    this.#drainWaiters = [];
    for (const w of waiters) w();
  }

  /** Resolves once everything queued has been written (or the connection closed). */
  async flush(): Promise<void> {
    while (this.#pump) await this.#pump;
  }

  /**
   * The next message, or `undefined` at end of stream or after {@linkcode close}.
   *
   * @throws {FrameDecodeError} when the peer sent bytes that do not decode.
   */
  async receive(): Promise<ReplicationMessage | undefined> {
    for (;;) {
      const r = this.#decoder.next();
      if (r?.kind === "message") return r.message;
      if (r?.kind === "error") throw new FrameDecodeError(r);
      if (this.#closed) return undefined;
      let n: number | null;
      try {
        n = await this.#conn.read(this.#readBuffer);
      } catch (e) {
        if (this.#closed) return undefined;
        if (
          e instanceof Deno.errors.ConnectionReset || e instanceof Deno.errors.BrokenPipe ||
          e instanceof Deno.errors.BadResource || e instanceof Deno.errors.Interrupted
        ) {
          this.close();
          return undefined;
        }
        throw e;
      }
      if (n === null) {
        this.close();
        return undefined;
      }
      this.bytesReceived += n;
      this.#decoder.push(this.#readBuffer.subarray(0, n));
    }
  }

  /** Writes what is queued, then a last message, then closes. */
  async closeWith(message: ReplicationMessage): Promise<void> {
    this.send(message);
    await this.flush();
    this.close();
  }

  /** Closes the socket at once; pending receives return `undefined`. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#queue = [];
    this.#queuedBytes = 0;
    try {
      this.#conn.close();
    } catch {
      // already closed
    }
    this.#wakeDrainWaiters();
  }
}
