/**
 * A `node:tls` socket seen as a `Deno.Conn`.
 *
 * `Deno.listenTls` (Deno 2.9) cannot request or verify client certificates; the
 * runtime's `node:tls` server can (`requestCert`, `ca`, `rejectUnauthorized`).
 * Acceptors that require client certificates therefore listen with `node:tls`
 * and hand out these adapters, so callers see one connection type.
 *
 * Reading: incoming chunks are buffered until `read()` takes them; the socket
 * is paused while more than {@linkcode READ_BUFFER_HIGH_WATER_BYTES} wait, so a
 * slow reader pushes back on the peer through TCP flow control.
 *
 * @module
 */

import type { TLSSocket } from "node:tls";

/** Buffered bytes above which the socket is paused until `read()` catches up. */
export const READ_BUFFER_HIGH_WATER_BYTES = 256 * 1024;

function netAddr(host: string | undefined, port: number | undefined): Deno.NetAddr {
  return { transport: "tcp", hostname: host ?? "", port: port ?? 0 };
}

/** Adapts a connected, verified `TLSSocket` to `Deno.Conn`. */
export class NodeTlsConn implements Deno.Conn<Deno.NetAddr> {
  readonly localAddr: Deno.NetAddr;
  readonly remoteAddr: Deno.NetAddr;
  readonly #socket: TLSSocket;
  #chunks: Uint8Array[] = [];
  #bufferedBytes = 0;
  #ended = false;
  #error: Error | undefined;
  #closed = false;
  #waiter: (() => void) | undefined;
  #readable: ReadableStream<Uint8Array<ArrayBuffer>> | undefined;
  #writable: WritableStream<Uint8Array<ArrayBufferLike>> | undefined;

  constructor(socket: TLSSocket) {
    this.#socket = socket;
    this.localAddr = netAddr(socket.localAddress, socket.localPort);
    this.remoteAddr = netAddr(socket.remoteAddress, socket.remotePort);
    socket.setNoDelay(true);
    socket.on("data", (chunk: Uint8Array) => {
      this.#chunks.push(chunk);
      this.#bufferedBytes += chunk.byteLength;
      if (this.#bufferedBytes > READ_BUFFER_HIGH_WATER_BYTES) socket.pause();
      this.#wake();
    });
    socket.on("end", () => {
      this.#ended = true;
      this.#wake();
    });
    socket.on("error", (error: Error) => {
      this.#error ??= error;
      this.#wake();
    });
    socket.on("close", () => {
      this.#ended = true;
      this.#wake();
    });
  }

  #wake(): void {
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.();
  }

  async read(p: Uint8Array): Promise<number | null> {
    while (this.#chunks.length === 0) {
      if (this.#closed) throw new Deno.errors.BadResource("Cannot read: the connection is closed");
      if (this.#error !== undefined) throw this.#error;
      if (this.#ended) return null;
      if (this.#waiter !== undefined) {
        throw new Deno.errors.Busy("Cannot read: another read is pending");
      }
      await new Promise<void>((resolve) => this.#waiter = resolve);
    }
    const head = this.#chunks[0]!;
    const n = Math.min(p.byteLength, head.byteLength);
    p.set(head.subarray(0, n));
    if (n === head.byteLength) this.#chunks.shift();
    else this.#chunks[0] = head.subarray(n);
    this.#bufferedBytes -= n;
    if (this.#bufferedBytes <= READ_BUFFER_HIGH_WATER_BYTES && this.#socket.isPaused()) {
      this.#socket.resume();
    }
    return n;
  }

  write(p: Uint8Array): Promise<number> {
    if (this.#closed) {
      return Promise.reject(new Deno.errors.BadResource("Cannot write: the connection is closed"));
    }
    if (this.#socket.destroyed || this.#socket.writableEnded) {
      return Promise.reject(
        this.#error ?? new Deno.errors.BrokenPipe("Cannot write: the connection was shut down"),
      );
    }
    // node:tls may keep the buffer until it is flushed: hand it a copy.
    const copy = p.slice();
    return new Promise((resolve, reject) => {
      this.#socket.write(copy, (error) => error ? reject(error) : resolve(copy.byteLength));
    });
  }

  close(): void {
    if (this.#closed) throw new Deno.errors.BadResource("Cannot close: the connection is closed");
    this.#closed = true;
    this.#socket.destroy();
    this.#wake();
  }

  closeWrite(): Promise<void> {
    return new Promise((resolve) => this.#socket.end(() => resolve()));
  }

  ref(): void {
    this.#socket.ref();
  }

  unref(): void {
    this.#socket.unref();
  }

  get readable(): ReadableStream<Uint8Array<ArrayBuffer>> {
    this.#readable ??= new ReadableStream<Uint8Array<ArrayBuffer>>({
      pull: async (controller) => {
        const buffer = new Uint8Array(64 * 1024);
        const n = await this.read(buffer);
        if (n === null) controller.close();
        else controller.enqueue(buffer.slice(0, n));
      },
      cancel: () => {
        if (!this.#closed) this.close();
      },
    });
    return this.#readable;
  }

  get writable(): WritableStream<Uint8Array<ArrayBufferLike>> {
    this.#writable ??= new WritableStream<Uint8Array<ArrayBufferLike>>({
      write: async (chunk) => {
        await this.write(chunk);
      },
      // Like Deno's own connections: closing the writable closes the connection
      // (after flushing what was written).
      close: async () => {
        await this.closeWrite();
        if (!this.#closed) this.close();
      },
      abort: () => {
        if (!this.#closed) this.close();
      },
    });
    return this.#writable;
  }

  [Symbol.dispose](): void {
    if (!this.#closed) this.close();
  }
}
