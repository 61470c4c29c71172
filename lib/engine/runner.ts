/**
 * One TCP connection carrying one FIX session: socket reads → {@linkcode Framer}
 * → the session host; outbound bytes coalesced into one socket write per
 * event-loop turn; one timer driven by the session's next deadline. A message
 * held back until its release (a replicating primary's ack strategy) waits in
 * order behind those before it, and the messages one release frees are
 * written together.
 *
 * An acceptor's connection starts unbound: its first message picks the session
 * (`bind`), and it is closed when no complete message arrives within the logon
 * timeout or when the first frame is garbled or names no known session.
 *
 * @module
 */

import { Framer } from "../fix/framer.ts";
import { decodeMessage, type FixMessage } from "../fix/message.ts";
import type { Logger } from "./application.ts";
import { decodeLenient } from "./_lenient_decode.ts";
import type { HostConnection, SessionHost } from "./session_host.ts";
import type { RefusalReason } from "./admission.ts";

/** Default for {@linkcode ConnectionRunnerOptions.maxOutboundBufferedBytes} (16 MiB). */
export const DEFAULT_MAX_OUTBOUND_BUFFERED_BYTES = 16 * 1024 * 1024;
/** Default for {@linkcode ConnectionRunnerOptions.maxMessageBytes} (1 MiB). */
export const DEFAULT_MAX_INBOUND_MESSAGE_BYTES = 1024 * 1024;
/** Default time an unbound connection has to send a complete Logon. */
export const DEFAULT_UNBOUND_LOGON_TIMEOUT_MS = 10_000;

/**
 * What `bind` answers for a first message: a host, or a refusal (with its
 * reason for the acceptor's refusal counts, and optional bytes to send).
 */
export type BindResult =
  | { readonly host: SessionHost }
  | {
    readonly refuse: string;
    readonly reason?: RefusalReason;
    readonly reply?: Uint8Array;
  };

/** Options for {@linkcode ConnectionRunner}. */
export interface ConnectionRunnerOptions {
  readonly conn: Deno.Conn;
  readonly logger: Logger;
  /** Initiator: the host is known up front. */
  readonly host?: SessionHost;
  /** Acceptor: picks the host from the first message. */
  readonly bind?: (first: FixMessage) => BindResult;
  /**
   * Acceptor: told about each refusal before Logon (garbled first message,
   * refused bind, logon timeout) instead of logging it, so that the acceptor
   * can summarise floods in one line.
   */
  readonly onRefused?: (reason: RefusalReason, detail: string) => void;
  /** Largest inbound message; bigger ones are discarded. */
  readonly maxMessageBytes?: number;
  /** Most bytes queued for writing before the connection is dropped as a slow consumer. */
  readonly maxOutboundBufferedBytes?: number;
  /** Time an unbound connection has to send a complete message. */
  readonly unboundLogonTimeoutMs?: number;
  readonly validateBodyLength?: boolean;
  readonly validateChecksum?: boolean;
  /** LENGTH tag → DATA tag pairs of the dictionaries in use (default: the standard ones). */
  readonly lengthTags?: ReadonlyMap<number, number>;
}

/** A message with a bad CheckSum or BodyLength decoded anyway (a copy), when its syntax allows. */
function decodeGarbled(bytes: Uint8Array): FixMessage | undefined {
  try {
    return decodeMessage(bytes.slice());
  } catch {
    return undefined;
  }
}

/** Most characters of a refused first message quoted in the log. */
export const MAX_LOGGED_FIRST_MESSAGE_CHARS = 512;

function shorten(text: string): string {
  return text.length <= MAX_LOGGED_FIRST_MESSAGE_CHARS
    ? text
    : `${text.slice(0, MAX_LOGGED_FIRST_MESSAGE_CHARS)}… (${text.length} characters)`;
}

function describe(addr: Deno.Addr): string {
  return addr.transport === "tcp" || addr.transport === "udp"
    ? `${addr.hostname}:${addr.port}`
    : addr.transport;
}

/** A message enqueued behind a release (or behind messages that are). */
interface HeldMessage {
  readonly bytes: Uint8Array;
  released: boolean;
}

/** Runs one connection until it closes; see the module doc. */
export class ConnectionRunner implements HostConnection {
  /** `host:port` of the peer, for logs. */
  readonly peer: string;
  readonly #conn: Deno.Conn;
  readonly #log: Logger;
  readonly #framer: Framer;
  readonly #bind: ((first: FixMessage) => BindResult) | undefined;
  readonly #onRefused: (reason: RefusalReason, detail: string) => void;
  readonly #maxOut: number;
  #host: SessionHost | undefined;
  #queue: Uint8Array[] = [];
  /** The other of the two queue arrays: the write loop swaps them instead of allocating. */
  #spare: Uint8Array[] = [];
  #queuedBytes = 0;
  #flushScheduled = false;
  /** Where several queued messages are joined for one write; grows, reused while this lives. */
  #staging = new Uint8Array(0);
  /** The microtask that starts the writer (one function for the connection, not one per turn). */
  readonly #flushTask = (): void => {
    this.#flushScheduled = false;
    this.#startWriter();
  };
  /** Whether a socket write is in flight (the writer owns #writeData until it completes). */
  #writing = false;
  /** The batch being written, its length and how much of it is written. */
  #writeData: Uint8Array | undefined;
  #writeTotal = 0;
  #written = 0;
  /** Settled when the writer goes idle; made only when close() waits for it. */
  #idle: PromiseWithResolvers<void> | undefined;
  /** Completion handlers of socket writes (one pair for the connection, not one per write). */
  readonly #onWritten = (n: number): void => this.#wrote(n);
  readonly #onWriteFailed = (e: unknown): void => this.#writeFailed(e);
  /**
   * Messages waiting for their release, in the order they were enqueued: each is queued for
   * writing once it and every one before it are released, so the messages one ack releases go
   * out in one write (a promise chain per message put each in its own write: a syscall each).
   */
  #held: HeldMessage[] = [];
  /** Settled when #held empties; made only when close() waits for it. */
  #heldDrained: PromiseWithResolvers<void> | undefined;
  #closing = false;
  #closeReason = "";
  #closed: Promise<void> | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #timerAtMs = Infinity;

  constructor(options: ConnectionRunnerOptions) {
    this.#conn = options.conn;
    this.#log = options.logger;
    this.#host = options.host;
    this.#bind = options.bind;
    this.#onRefused = options.onRefused ??
      ((_reason, detail) => this.#log("warn", `${this.peer}: ${detail}`));
    this.#maxOut = options.maxOutboundBufferedBytes ?? DEFAULT_MAX_OUTBOUND_BUFFERED_BYTES;
    this.#framer = new Framer({
      maxMessageBytes: options.maxMessageBytes ?? DEFAULT_MAX_INBOUND_MESSAGE_BYTES,
      ...(options.validateBodyLength === undefined
        ? {}
        : { validateBodyLength: options.validateBodyLength }),
      ...(options.validateChecksum === undefined
        ? {}
        : { validateChecksum: options.validateChecksum }),
      ...(options.lengthTags === undefined ? {} : { lengthTags: options.lengthTags }),
    });
    this.peer = describe(this.#conn.remoteAddr);
    if (this.#host === undefined) {
      const ms = options.unboundLogonTimeoutMs ?? DEFAULT_UNBOUND_LOGON_TIMEOUT_MS;
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        if (this.#host === undefined) {
          this.#onRefused("logon-timeout", `no Logon within ${ms} ms; disconnecting`);
          this.close("logon timeout");
        }
      }, ms);
    }
  }

  /** The session bound to this connection, once known. */
  get host(): SessionHost | undefined {
    return this.#host;
  }

  /** Reads until the connection ends. Attach an initiator's host before calling. */
  async run(): Promise<void> {
    const buf = new Uint8Array(64 * 1024);
    let reason = "peer closed the connection";
    try {
      if (this.#host !== undefined && !this.#host.attach(this)) {
        this.close("session already connected");
      }
      while (!this.#closing) {
        // answers to the last read wait in microtasks (the store's, then the flush): let them
        // write before the next read is set up, in that order (write-ahead)
        if (this.#flushScheduled) await null;
        const n = await this.#conn.read(buf);
        if (n === null) break;
        this.#framer.push(buf, n);
        for (
          let f = this.#framer.next();
          f !== undefined && !this.#closing;
          f = this.#framer.next()
        ) {
          if (f.kind === "message") this.#onMessage(f.message);
          else if (f.reason === "syntax") {
            const lenient = decodeLenient(f.bytes.slice());
            if (lenient !== undefined) this.#onMessage(lenient);
            else this.#onGarbled(f.detail, f.msgType);
          } else if (f.reason === "bad-checksum" || f.reason === "bad-body-length") {
            this.#onGarbled(f.detail, f.msgType, decodeGarbled(f.bytes));
          } else if (!f.continuation) this.#onGarbled(f.detail, f.msgType);
        }
      }
    } catch (e) {
      if (!this.#closing) {
        reason = `read failed: ${e instanceof Error ? e.message : String(e)}`;
        this.#log("warn", `${this.peer}: ${reason}`);
      }
    }
    if (this.#closing) reason = this.#closeReason;
    const host = this.#host;
    if (host !== undefined) host.detach(this, reason);
    this.close(reason);
    await this.#closed;
  }

  #onMessage(message: FixMessage): void {
    if (this.#host === undefined) {
      const r = this.#bind?.(message);
      if (r === undefined || "refuse" in r) {
        const text = r === undefined ? "no session" : r.refuse;
        this.#onRefused(
          r?.reason ?? "bad-first-message",
          `connection refused: ${text}: ${shorten(message.toString())}`,
        );
        if (r !== undefined && "refuse" in r && r.reply !== undefined) {
          this.enqueue(r.reply, undefined);
        }
        this.close(text);
        return;
      }
      this.#host = r.host;
      this.#clearTimer();
      if (!r.host.attach(this)) {
        this.#onRefused(
          "already-connected",
          `${r.host.key} is already connected; refusing this connection`,
        );
        this.#host = undefined;
        this.close("session already connected");
        return;
      }
    }
    this.#host.receive(message);
  }

  #onGarbled(detail: string, msgType: string | undefined, message?: FixMessage): void {
    if (this.#host === undefined) {
      this.#onRefused(
        "bad-first-message",
        `garbled message before Logon (${detail}); disconnecting`,
      );
      this.close("garbled message before Logon");
      return;
    }
    this.#host.garbled(detail, msgType, message);
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerAtMs = Infinity;
  }

  reschedule(): void {
    const host = this.#host;
    if (host === undefined || this.#closing) return;
    const at = host.session.nextDeadlineAtMs;
    if (at === undefined) return this.#clearTimer();
    if (this.#timer !== undefined && this.#timerAtMs <= at) return;
    this.#clearTimer();
    this.#timerAtMs = at;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#timerAtMs = Infinity;
      if (this.#closing) return;
      host.tick();
      this.reschedule();
    }, Math.max(0, at - Date.now()));
  }

  enqueue(bytes: Uint8Array, release: Promise<void> | undefined): void {
    if (this.#closing && this.#closed !== undefined) return;
    if (release === undefined && this.#held.length === 0) {
      this.#push(bytes);
      return;
    }
    const held: HeldMessage = { bytes, released: release === undefined };
    this.#held.push(held);
    release?.then(
      () => {
        held.released = true;
        this.#drainHeld();
      },
      (e) => this.#releaseFailed(e),
    );
  }

  /** Queues the released messages at the head of #held (released strictly in order). */
  #drainHeld(): void {
    const held = this.#held;
    while (held.length > 0 && held[0]!.released) this.#push(held.shift()!.bytes);
    if (held.length === 0) this.#heldSettled();
  }

  #releaseFailed(e: unknown): void {
    if (this.#held.length === 0) return; // an earlier failure already dropped them
    // Every message still held back fails the same way: say it once, write none of them.
    this.#held = [];
    this.#heldSettled();
    if (!this.#closing) {
      this.#log("warn", `${this.peer}: release failed: ${e instanceof Error ? e.message : e}`);
    }
    this.close("release failed");
  }

  #heldSettled(): void {
    const drained = this.#heldDrained;
    this.#heldDrained = undefined;
    drained?.resolve();
  }

  #push(bytes: Uint8Array): void {
    // nothing to write; and the write loop relies on every queued message having bytes
    if (bytes.length === 0) return;
    this.#queue.push(bytes);
    this.#queuedBytes += bytes.length;
    if (this.#queuedBytes > this.#maxOut) {
      this.#log(
        "warn",
        `${this.peer}: more than ${this.#maxOut} bytes queued for writing; disconnecting`,
      );
      this.#queue.length = 0;
      this.#queuedBytes = 0;
      this.#hardClose("outbound buffer limit exceeded");
      return;
    }
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      // a microtask, never at once: everything this turn queues goes out in one write (the
      // write flushes the store first, so each message is in the journal before the socket)
      queueMicrotask(this.#flushTask);
    }
  }

  #startWriter(): void {
    if (this.#writing || this.#queue.length === 0) return;
    this.#writing = true;
    this.#writeBatch();
  }

  /**
   * Writes everything queued as one batch. Completion comes back through #onWritten /
   * #onWriteFailed: no async function, no closure per write.
   */
  #writeBatch(): void {
    // write-ahead: what the store staged reaches it before these bytes reach the socket, even
    // when a write's completion runs ahead of the store's own end-of-turn write
    try {
      this.#host?.flushStore();
    } catch (e) {
      this.#writeFailed(e, "the store could not write before sending");
      return;
    }
    const parts = this.#queue;
    const total = this.#queuedBytes;
    this.#queue = this.#spare;
    this.#spare = parts;
    this.#queuedBytes = 0;
    let data: Uint8Array;
    if (parts.length === 1) {
      data = parts[0]!;
    } else {
      // joined in the staging buffer, which only the writer touches, between writes
      if (this.#staging.length < total) this.#staging = new Uint8Array(Math.max(total, 4096));
      data = this.#staging;
      let o = 0;
      for (let i = 0; i < parts.length; i++) {
        data.set(parts[i]!, o);
        o += parts[i]!.length;
      }
    }
    // emptied by pop, which keeps the array's capacity (`length = 0` drops it: a new backing
    // store on the next push, every batch)
    while (parts.length > 0) parts.pop();
    this.#writeData = data;
    this.#writeTotal = total;
    this.#written = 0;
    this.#writeRest();
  }

  #writeRest(): void {
    const data = this.#writeData!;
    const from = this.#written;
    const to = this.#writeTotal;
    let pending: Promise<number>;
    try {
      pending = this.#conn.write(from === 0 && to === data.length ? data : data.subarray(from, to));
    } catch (e) {
      this.#writeFailed(e);
      return;
    }
    pending.then(this.#onWritten, this.#onWriteFailed);
  }

  #wrote(n: number): void {
    this.#written += n;
    if (this.#written < this.#writeTotal) return this.#writeRest();
    this.#writeData = undefined;
    if (this.#queue.length > 0) return this.#writeBatch();
    this.#writerIdle();
  }

  #writeFailed(e: unknown, what = "write failed"): void {
    this.#writeData = undefined;
    this.#queue.length = 0;
    this.#queuedBytes = 0;
    if (!this.#closing) {
      this.#log("warn", `${this.peer}: ${what}: ${e instanceof Error ? e.message : e}`);
    }
    this.#hardClose(what);
    this.#writerIdle();
  }

  #writerIdle(): void {
    this.#writing = false;
    const idle = this.#idle;
    this.#idle = undefined;
    idle?.resolve();
  }

  /** Resolves once no write is in flight. */
  #writerDone(): Promise<void> {
    if (!this.#writing) return Promise.resolve();
    return (this.#idle ??= Promise.withResolvers<void>()).promise;
  }

  #hardClose(reason: string): void {
    if (!this.#closing) {
      this.#closing = true;
      this.#closeReason = reason;
    }
    this.#clearTimer();
    try {
      this.#conn.close();
    } catch {
      // already closed
    }
    this.#closed ??= Promise.resolve();
  }

  /**
   * Drops the connection now: nothing queued or held back is written (used
   * when the journal failed, so nothing unjournaled may reach the socket).
   */
  abort(reason: string): void {
    this.#queue.length = 0;
    this.#queuedBytes = 0;
    this.#held = [];
    this.#heldSettled();
    this.#hardClose(reason);
  }

  /** Writes what is queued (after pending releases), then closes the socket. */
  close(reason: string): void {
    if (this.#closed !== undefined) return;
    if (!this.#closing) {
      this.#closing = true;
      this.#closeReason = reason;
    }
    this.#clearTimer();
    this.#closed = (async () => {
      if (this.#held.length > 0) await (this.#heldDrained ??= Promise.withResolvers()).promise;
      await Promise.resolve();
      this.#startWriter();
      while (this.#writing) {
        await this.#writerDone();
        this.#startWriter();
      }
      try {
        this.#conn.close();
      } catch {
        // already closed
      }
    })();
  }
}
