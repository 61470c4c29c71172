/**
 * A TCP relay in front of one member's replication port that knows which
 * follower each connection belongs to (it reads the node id from the Hello
 * frame the follower sends first), so a test can cut the link between the
 * leader and ONE follower while the others keep streaming.
 *
 * @module
 */

import { FrameDecoder } from "../lib/replication/protocol.ts";

/** Most bytes read while waiting for a Hello before the connection is dropped. */
const MAX_HELLO_BYTES = 64 * 1024;

/** See the module doc. */
export class ReplicationRelay implements AsyncDisposable {
  readonly port: number;
  readonly #listener: Deno.TcpListener;
  readonly #targetPort: number;
  /** Open connection pairs by the follower id that opened them. */
  readonly #links = new Map<Deno.TcpConn, { id: string; peer: Deno.TcpConn }>();
  readonly #tasks = new Set<Promise<void>>();
  #cutAll = false;
  readonly #cutIds = new Set<string>();
  /** Followers' bytes (acks, heartbeats) are read and dropped; the leader's still flow. */
  #muteFollowers = false;
  /** Each read of a follower's bytes waits this long before it is forwarded. */
  #followerDelayMs = 0;
  readonly #loop: Promise<void>;

  constructor(targetPort: number) {
    this.#targetPort = targetPort;
    this.#listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    this.port = (this.#listener.addr as Deno.NetAddr).port;
    this.#loop = this.#accept();
  }

  #isCut(id: string): boolean {
    return this.#cutAll || this.#cutIds.has(id);
  }

  async #accept(): Promise<void> {
    try {
      for await (const conn of this.#listener) {
        const task = this.#pipe(conn);
        this.#tasks.add(task);
        task.finally(() => this.#tasks.delete(task));
      }
    } catch {
      // listener closed
    }
  }

  /** Reads until the Hello names the follower; undefined if the connection ends first. */
  async #hello(a: Deno.TcpConn): Promise<{ id: string; head: Uint8Array } | undefined> {
    const decoder = new FrameDecoder();
    const chunks: Uint8Array[] = [];
    let total = 0;
    const buf = new Uint8Array(16 * 1024);
    try {
      while (total < MAX_HELLO_BYTES) {
        const n = await a.read(buf);
        if (n === null) return undefined;
        const chunk = buf.slice(0, n);
        chunks.push(chunk);
        total += n;
        decoder.push(chunk);
        const r = decoder.next();
        if (r === undefined) continue;
        if (r.kind !== "message" || r.message.type !== "hello") return undefined;
        const head = new Uint8Array(total);
        let off = 0;
        for (const c of chunks) {
          head.set(c, off);
          off += c.length;
        }
        return { id: r.message.nodeId, head };
      }
    } catch {
      // closed
    }
    return undefined;
  }

  async #pipe(a: Deno.TcpConn): Promise<void> {
    const hello = this.#cutAll ? undefined : await this.#hello(a);
    if (hello === undefined || this.#isCut(hello.id)) {
      close(a);
      return;
    }
    let b: Deno.TcpConn;
    try {
      b = await Deno.connect({ hostname: "127.0.0.1", port: this.#targetPort });
      await b.write(hello.head);
    } catch {
      close(a);
      return;
    }
    if (this.#isCut(hello.id)) {
      close(a);
      close(b);
      return;
    }
    this.#links.set(a, { id: hello.id, peer: b });
    const copy = async (from: Deno.TcpConn, to: Deno.TcpConn) => {
      const buf = new Uint8Array(16 * 1024);
      try {
        while (true) {
          const n = await from.read(buf);
          if (n === null) break;
          if (from === a && this.#muteFollowers) continue;
          if (from === a && this.#followerDelayMs > 0) {
            await new Promise((r) => setTimeout(r, this.#followerDelayMs));
          }
          let off = 0;
          while (off < n) off += await to.write(buf.subarray(off, n));
        }
      } catch {
        // closed
      }
      if (this.#links.delete(a)) {
        close(a);
        close(b);
      }
    };
    await Promise.all([copy(a, b), copy(b, a)]);
  }

  #drop(which: (id: string) => boolean): void {
    for (const [a, l] of [...this.#links]) {
      if (!which(l.id)) continue;
      this.#links.delete(a);
      close(a);
      close(l.peer);
    }
  }

  /** Drops every connection and accepts-then-closes new ones (the port stays open). */
  cut(): void {
    this.#cutAll = true;
    this.#drop(() => true);
  }

  /** Drops follower `id`'s connections and closes its new ones; other followers stream on. */
  cutFollower(id: string): void {
    this.#cutIds.add(id);
    this.#drop((x) => x === id);
  }

  /**
   * From now on drops what followers send (their acknowledgements) while the leader's records
   * still reach them: a follower then holds messages its leader never learns it has.
   */
  muteFollowers(): void {
    this.#muteFollowers = true;
  }

  /**
   * From now on holds what followers send (their acknowledgements) `ms` before forwarding it,
   * as a distant follower's link would: its acks then always lag the leader's latest records.
   */
  delayFollowers(ms: number): void {
    this.#followerDelayMs = ms;
  }

  /** Forwards every follower again. */
  heal(): void {
    this.#cutAll = false;
    this.#cutIds.clear();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.cut();
    this.#listener.close();
    await this.#loop;
    await Promise.all([...this.#tasks]);
  }
}

function close(c: Deno.TcpConn): void {
  try {
    c.close();
  } catch { /* closed */ }
}
