import { assert, assertEquals } from "../testing/assert.ts";
import { encodeMessage } from "../fix/encoder.ts";
import { ConnectionRunner } from "./runner.ts";
import { SessionHost } from "./session_host.ts";
import { MemorySessionStore } from "./store.ts";

/** An in-memory Deno.Conn: reads come from `feed()`, writes are recorded. */
class FakeConn {
  readonly writes: Uint8Array[] = [];
  readonly remoteAddr: Deno.NetAddr = { transport: "tcp", hostname: "127.0.0.1", port: 1 };
  readonly localAddr: Deno.NetAddr = { transport: "tcp", hostname: "127.0.0.1", port: 2 };
  #chunks: Uint8Array[] = [];
  #waiter: (() => void) | undefined;
  #closed = false;
  blockWrites = false;
  /** Called as each write starts, before the bytes are taken. */
  onWrite: () => void = () => {};
  #blocked: (() => void)[] = [];

  feed(bytes: Uint8Array): void {
    this.#chunks.push(bytes);
    this.#waiter?.();
  }
  async read(buf: Uint8Array): Promise<number | null> {
    while (this.#chunks.length === 0) {
      if (this.#closed) return null;
      await new Promise<void>((r) => this.#waiter = r);
      this.#waiter = undefined;
    }
    if (this.#closed) return null;
    const c = this.#chunks.shift()!;
    buf.set(c);
    return c.length;
  }
  async write(b: Uint8Array): Promise<number> {
    this.onWrite();
    if (this.blockWrites) await new Promise<void>((r) => this.#blocked.push(r));
    if (this.#closed) throw new Deno.errors.BadResource("closed");
    this.writes.push(b.slice());
    return b.length;
  }
  close(): void {
    this.#closed = true;
    this.#waiter?.();
    for (const r of this.#blocked) r();
  }
  get closed(): boolean {
    return this.#closed;
  }
}

const now = () => {
  const d = new Date();
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}-${
    p(d.getUTCHours())
  }:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
};
const fix = (msgType: string, seq: number, rest: [number, string][] = []) =>
  encodeMessage("FIX.4.4", msgType, [[34, seq], [49, "TW"], [52, now()], [56, "ISLD"], ...rest]);
const concat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
};
const types = (bytes: Uint8Array) =>
  new TextDecoder().decode(bytes).split("\x01").filter((f) => f.startsWith("35=")).map((f) =>
    f.slice(3)
  );

function setup(
  options: {
    awaitRelease?: (index: number) => Promise<void> | undefined;
    maxOut?: number;
    store?: MemorySessionStore;
    conn?: FakeConn;
  } = {},
) {
  const store = options.store ?? new MemorySessionStore();
  const logs: string[] = [];
  const host = new SessionHost({
    config: { beginString: "FIX.4.4", senderCompId: "ISLD", targetCompId: "TW", role: "acceptor" },
    store,
    logger: (_l, m) => logs.push(m),
    awaitRelease: options.awaitRelease,
  });
  const conn = options.conn ?? new FakeConn();
  const runner = new ConnectionRunner({
    conn: conn as unknown as Deno.Conn,
    logger: (_l, m) => logs.push(m),
    bind: () => ({ host }),
    ...(options.maxOut === undefined ? {} : { maxOutboundBufferedBytes: options.maxOut }),
  });
  const done = runner.run();
  return { store, host, conn, runner, done, logs };
}

const turn = () => new Promise((r) => setTimeout(r, 0));

Deno.test("ConnectionRunner coalesces the answers to one read into one socket write", async () => {
  const t = setup();
  t.conn.feed(concat(
    fix("A", 1, [[98, "0"], [108, "30"]]),
    fix("1", 2, [[112, "a"]]),
    fix("1", 3, [[112, "b"]]),
  ));
  await turn();
  assertEquals(t.conn.writes.length, 1);
  assertEquals(types(t.conn.writes[0]!), ["A", "0", "0"]);
  t.conn.close();
  await t.done;
});

Deno.test("ConnectionRunner keeps wire order when awaitRelease holds a message", async () => {
  const releases: (() => void)[] = [];
  const t = setup({
    awaitRelease: (index) => index === 3 ? undefined : new Promise<void>((r) => releases.push(r)),
  });
  // index 1 = session definition, 2 = Logon (held), 3 = inbound Logon, 4 = Heartbeat (held)
  t.conn.feed(fix("A", 1, [[98, "0"], [108, "30"]]));
  await turn();
  assertEquals(t.conn.writes.length, 0, "the Logon waits for its release");
  t.conn.feed(fix("1", 2, [[112, "x"]]));
  await turn();
  assertEquals(t.conn.writes.length, 0);
  assertEquals(releases.length, 2);
  releases[1]!();
  await turn();
  assertEquals(t.conn.writes.length, 0, "a later release does not overtake an earlier one");
  releases[0]!();
  await turn();
  assertEquals(t.conn.writes.flatMap(types), ["A", "0"]);
  t.conn.close();
  await t.done;
});

Deno.test("ConnectionRunner writes the messages one ack releases in one socket write", async () => {
  const releases: (() => void)[] = [];
  const t = setup({
    awaitRelease: (index) => index === 3 ? undefined : new Promise<void>((r) => releases.push(r)),
  });
  t.conn.feed(fix("A", 1, [[98, "0"], [108, "30"]]));
  await turn();
  t.conn.feed(fix("1", 2, [[112, "x"]]));
  await turn();
  t.host.send("D", [[11, "order-1"]]);
  assertEquals([releases.length, t.conn.writes.length], [3, 0]);
  // A replica's ack releases every message up to an index at once, in journal order.
  for (const release of releases) release();
  await turn();
  assertEquals(t.conn.writes.length, 1, "one write for the three released messages");
  assertEquals(types(t.conn.writes[0]!), ["A", "0", "D"]);
  t.conn.close();
  await t.done;
});

Deno.test("ConnectionRunner writes nothing held back once a release fails, and closes", async () => {
  const releases: PromiseWithResolvers<void>[] = [];
  const t = setup({
    awaitRelease: (index) => {
      if (index === 3) return undefined;
      const p = Promise.withResolvers<void>();
      releases.push(p);
      return p.promise;
    },
  });
  t.conn.feed(fix("A", 1, [[98, "0"], [108, "30"]]));
  await turn();
  t.host.send("D", [[11, "order-1"]]);
  t.host.send("D", [[11, "order-2"]]);
  assertEquals(releases.length, 3);
  // The node stops leading: the gate cancels every waiting message, the first one first.
  releases[0]!.reject(new Error("this node no longer leads"));
  releases[2]!.resolve();
  releases[1]!.reject(new Error("this node no longer leads"));
  await t.done;
  assertEquals(t.conn.writes.length, 0);
  assert(t.conn.closed);
  assertEquals(t.logs.filter((l) => l.includes(": release failed: ")).length, 1, t.logs.join("\n"));
});

Deno.test("ConnectionRunner drops a slow consumer past maxOutboundBufferedBytes", async () => {
  const t = setup({ maxOut: 300 });
  t.conn.feed(fix("A", 1, [[98, "0"], [108, "30"]]));
  await turn();
  t.conn.blockWrites = true;
  for (let i = 0; i < 10; i++) t.host.send("D", [[11, `order-${i}`]]);
  t.conn.feed(fix("1", 2));
  await t.done;
  assert(t.conn.closed);
  assert(t.logs.some((l) => l.includes("more than 300 bytes queued")), t.logs.join("\n"));
});

Deno.test("ConnectionRunner journals accepted inbound messages and outbound ones", async () => {
  const t = setup();
  t.conn.feed(fix("A", 1, [[98, "0"], [108, "30"]]));
  await turn();
  assertEquals(t.store.sequenceNumbers(1), { nextSenderSeqNum: 2, nextTargetSeqNum: 2 });
  t.conn.feed(fix("0", 5));
  await turn();
  assertEquals(
    t.store.sequenceNumbers(1),
    { nextSenderSeqNum: 3, nextTargetSeqNum: 2 },
    "gap: not accepted",
  );
  t.conn.close();
  await t.done;
});

/** A store that, like the journal, writes its appends out in a microtask queued by the first. */
/** A store that, like the journal, writes its appends at the end of the turn or on flush(). */
class StagingStore extends MemorySessionStore {
  staged = 0;
  written = 0;
  failFlush = false;
  override appendOutbound(id: number, seqNum: number, bytes: Uint8Array, atMs: number): number {
    if (this.staged++ === this.written) queueMicrotask(() => this.written = this.staged);
    return super.appendOutbound(id, seqNum, bytes, atMs);
  }
  flush(): void {
    if (this.failFlush) throw new Error("disk full");
    this.written = this.staged;
  }
}

/** A FakeConn whose writes complete when the test says so (`complete()`), not on their own. */
class HeldWriteConn extends FakeConn {
  readonly #pending: { bytes: Uint8Array; done: PromiseWithResolvers<number> }[] = [];
  override write(b: Uint8Array): Promise<number> {
    this.onWrite();
    const done = Promise.withResolvers<number>();
    this.#pending.push({ bytes: b.slice(), done });
    return done.promise;
  }
  /** Completes the oldest write in flight. */
  complete(): void {
    const w = this.#pending.shift()!;
    this.writes.push(w.bytes);
    w.done.resolve(w.bytes.length);
  }
  get inFlight(): number {
    return this.#pending.length;
  }
}

Deno.test("ConnectionRunner flushes the store before a write even when a write's completion runs before the store's own end-of-turn write", async () => {
  const store = new StagingStore();
  const t = setup({ store, conn: new HeldWriteConn() });
  const conn = t.conn as HeldWriteConn;
  const unwritten: number[] = [];
  conn.onWrite = () => void unwritten.push(store.staged - store.written);
  conn.feed(fix("A", 1, [[98, "0"], [108, "30"]]));
  await turn();
  assertEquals(conn.inFlight, 1, "the Logon answer is being written");
  // the write completes (its continuation is queued first), then in the same turn a message is
  // appended: the store's end-of-turn write is queued after the completion
  conn.complete();
  t.host.send("D", [[11, "x"]]);
  await turn();
  conn.complete();
  assertEquals(conn.writes.flatMap(types), ["A", "D"]);
  assertEquals(unwritten, [0, 0], "a message was still only staged when its write started");
  conn.close();
  await t.done;
});

Deno.test("ConnectionRunner sends nothing and closes when the store cannot write before a send", async () => {
  const store = new StagingStore();
  const t = setup({ store });
  t.conn.feed(fix("A", 1, [[98, "0"], [108, "30"]]));
  await turn();
  store.failFlush = true;
  t.host.send("D", [[11, "x"]]);
  await t.done;
  assertEquals(t.conn.writes.flatMap(types), ["A"]);
  assert(t.logs.some((l) => l.includes("the store could not write before sending: disk full")));
});

Deno.test("ConnectionRunner writes to the socket only after the store wrote out what was appended (write-ahead)", async () => {
  const store = new StagingStore();
  const t = setup({ store });
  const unwritten: number[] = [];
  t.conn.onWrite = () => void unwritten.push(store.staged - store.written);
  t.conn.feed(fix("A", 1, [[98, "0"], [108, "30"]]));
  await turn();
  t.conn.feed(concat(fix("1", 2, [[112, "a"]]), fix("1", 3, [[112, "b"]])));
  await turn();
  t.host.send("D", [[11, "x"]]);
  await turn();
  assertEquals(t.conn.writes.flatMap(types), ["A", "0", "0", "D"]);
  assertEquals(unwritten, [0, 0, 0], "appended messages still staged when a write started");
  t.conn.close();
  await t.done;
});
