/**
 * In-process fake FIX acceptors for the gateway tests, each misbehaving in
 * one way an initiator must survive:
 *
 * - `close-before-logon`: accepts the TCP connection and closes it at once.
 * - `never-answer`: accepts and reads, but never answers the Logon.
 * - `silent-after-logon`: answers the Logon (MsgSeqNum counting up per
 *   connection, HeartBtInt echoed), then reads and ignores everything — no
 *   Heartbeat, no answer to TestRequest — so the initiator's heartbeat
 *   timeout has to end the session.
 *
 * With `once`, the fake stops listening after its first connection, so later
 * attempts there are refused.
 *
 * @module
 */

import { Framer } from "../lib/fix/framer.ts";
import { encodeMessage } from "../lib/fix/encoder.ts";
import { formatUtcTimestamp } from "../lib/fix/values.ts";
import { freePort } from "../lib/testing/ports.ts";

/** How a {@linkcode FakeAcceptor} misbehaves. */
export type FakeMode = "close-before-logon" | "never-answer" | "silent-after-logon";

/** A free loopback port below the ephemeral range (see `lib/testing/ports.ts`). */
export { freePort };

/** A misbehaving acceptor on 127.0.0.1; see the module doc. */
export class FakeAcceptor implements AsyncDisposable {
  readonly port: number;
  readonly mode: FakeMode;
  /** Connections accepted so far. */
  connections = 0;
  readonly #listener: Deno.TcpListener;
  readonly #once: boolean;
  readonly #conns = new Set<Deno.Conn>();
  readonly #tasks = new Set<Promise<void>>();
  #listening = true;
  #seq = 1;

  constructor(mode: FakeMode, options: { once?: boolean } = {}) {
    this.mode = mode;
    this.#once = options.once ?? false;
    this.#listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    this.port = this.#listener.addr.port;
    this.#track(this.#accept());
  }

  #track(p: Promise<void>): void {
    const t: Promise<void> = p.catch(() => {}).finally(() => this.#tasks.delete(t));
    this.#tasks.add(t);
  }

  #stopListening(): void {
    if (!this.#listening) return;
    this.#listening = false;
    this.#listener.close();
  }

  async #accept(): Promise<void> {
    for await (const conn of this.#listener) {
      this.connections++;
      if (this.#once) this.#stopListening();
      if (this.mode === "close-before-logon") {
        conn.close();
        continue;
      }
      this.#conns.add(conn);
      this.#track(this.#serve(conn));
    }
  }

  async #serve(conn: Deno.Conn): Promise<void> {
    const framer = new Framer();
    const buf = new Uint8Array(16 * 1024);
    let answered = false;
    try {
      while (true) {
        const n = await conn.read(buf);
        if (n === null) break;
        if (this.mode !== "silent-after-logon" || answered) continue;
        framer.push(buf.subarray(0, n));
        const f = framer.next();
        if (f?.kind !== "message" || f.message.msgType !== "A") continue;
        const m = f.message;
        answered = true;
        await conn.write(encodeMessage(m.beginString, "A", [
          [49, m.get(56) ?? ""],
          [56, m.get(49) ?? ""],
          [34, this.#seq++],
          [52, formatUtcTimestamp(Date.now(), 3)],
          [98, 0],
          [108, m.get(108) ?? "30"],
        ]));
      }
    } finally {
      this.#conns.delete(conn);
      try {
        conn.close();
      } catch {
        // closed by dispose
      }
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.#stopListening();
    for (const c of this.#conns) {
      try {
        c.close();
      } catch {
        // already closed
      }
    }
    while (this.#tasks.size > 0) await Promise.allSettled([...this.#tasks]);
  }
}
