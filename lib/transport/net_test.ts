import { assert, assertEquals, assertInstanceOf, assertRejects } from "../testing/assert.ts";
import {
  connect,
  ConnectError,
  listen,
  MAX_NET_TIMEOUT_MS,
  probe,
  ServerClosedError,
} from "./net.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

async function readAll(conn: Deno.Conn): Promise<string> {
  const chunks: string[] = [];
  const buffer = new Uint8Array(1024);
  while (true) {
    const n = await conn.read(buffer);
    if (n === null) return chunks.join("");
    chunks.push(decoder.decode(buffer.subarray(0, n)));
  }
}

/** A port with a full accept queue: further connects hang (SYNs are dropped). */
async function saturatedListener(): Promise<
  { port: number; [Symbol.asyncDispose](): Promise<void> }
> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0, tcpBacklog: 0 });
  const port = listener.addr.port;
  const filler = await Deno.connect({ hostname: "127.0.0.1", port });
  return {
    port,
    [Symbol.asyncDispose]: () => {
      filler.close();
      listener.close();
      return Promise.resolve();
    },
  };
}

Deno.test("listen() and connect() carry bytes both ways over TCP on 127.0.0.1", async () => {
  await using server = await listen({ host: "127.0.0.1", port: 0 });
  assert(server.addr.port > 0);
  assertEquals([server.addr.host, server.secure], ["127.0.0.1", false]);
  const accepted = server.accept();
  using client = await connect({ host: "127.0.0.1", port: server.addr.port, timeoutMs: 5000 });
  using conn = await accepted;
  await client.write(encoder.encode("8=FIX.4.4|ping"));
  await client.closeWrite();
  assertEquals(await readAll(conn), "8=FIX.4.4|ping");
  await conn.write(encoder.encode("pong"));
  await conn.closeWrite();
  assertEquals(await readAll(client), "pong");
});

Deno.test("connect() reports a refused port as connect-refused", async () => {
  const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = probe.addr.port;
  probe.close();
  const error = await assertRejects(() => connect({ host: "127.0.0.1", port }), ConnectError);
  assertEquals(error.kind, "connect-refused");
  assertEquals(error.message, `Cannot connect to 127.0.0.1:${port}: connection refused`);
  assertEquals(error.address, { host: "127.0.0.1", port });
});

Deno.test("connect() aborts a hanging TCP connect at timeoutMs as connect-timeout", async () => {
  await using saturated = await saturatedListener();
  const error = await assertRejects(
    () => connect({ host: "127.0.0.1", port: saturated.port, timeoutMs: 200 }),
    ConnectError,
    "no connection within 200 ms",
  );
  assertEquals(error.kind, "connect-timeout");
});

Deno.test("connect() rejects with the signal's reason when the caller aborts", async () => {
  await using saturated = await saturatedListener();
  const controller = new AbortController();
  const reason = new Error("shutting down");
  const pending = connect({
    host: "127.0.0.1",
    port: saturated.port,
    timeoutMs: 60_000,
    signal: controller.signal,
  });
  controller.abort(reason);
  const error = await assertRejects(() => pending);
  assertEquals(error, reason);
  // An already-aborted signal rejects at once.
  await assertRejects(
    () => connect({ host: "127.0.0.1", port: saturated.port, signal: AbortSignal.abort(reason) }),
  );
});

Deno.test("connect() and listen() refuse out-of-range ports and timeouts", async () => {
  await assertRejects(() => connect({ host: "127.0.0.1", port: 0 }), RangeError, "port 0");
  await assertRejects(() => connect({ host: "127.0.0.1", port: 70000 }), RangeError, "port 70000");
  await assertRejects(() => connect({ host: "", port: 1 }), TypeError, "host is empty");
  await assertRejects(
    () => connect({ host: "127.0.0.1", port: 1, timeoutMs: MAX_NET_TIMEOUT_MS + 1 }),
    RangeError,
    `timeoutMs ${MAX_NET_TIMEOUT_MS + 1}`,
  );
  await assertRejects(
    () => connect({ host: "127.0.0.1", port: 1, timeoutMs: 0 }),
    RangeError,
    "timeoutMs 0",
  );
  await assertRejects(() => listen({ host: "127.0.0.1", port: -1 }), RangeError, "port -1");
});

Deno.test("Server.accept() rejects with ServerClosedError after close, and iteration ends", async () => {
  const server = await listen({ host: "127.0.0.1", port: 0 });
  const pending = server.accept();
  const iterated: Deno.Conn[] = [];
  const loop = (async () => {
    for await (const conn of server) iterated.push(conn);
  })();
  await server.close();
  await assertRejects(() => pending, ServerClosedError);
  await loop;
  assertEquals(iterated, []);
  const error = await assertRejects(() => server.accept());
  assertInstanceOf(error, ServerClosedError);
  await server.close();
});

Deno.test("listen() and connect() work over IPv6 loopback with bracketed hosts", async () => {
  let server;
  try {
    server = await listen({ host: "[::1]", port: 0 });
  } catch (error) {
    // IPv6 disabled on this machine: nothing to prove here.
    if (error instanceof Deno.errors.AddrNotAvailable) return;
    throw error;
  }
  await using _ = server;
  assertEquals(server.addr.host, "::1");
  const accepted = server.accept();
  using client = await connect({ host: "[::1]", port: server.addr.port });
  using conn = await accepted;
  await client.write(encoder.encode("v6"));
  await client.closeWrite();
  assertEquals(await readAll(conn), "v6");
});

Deno.test("probe() answers true for a listening port, false for refused or hanging ones", async () => {
  await using server = await listen({ host: "127.0.0.1", port: 0 });
  const accepted = server.accept();
  assertEquals(await probe({ host: "127.0.0.1", port: server.addr.port }), true);
  using conn = await accepted;
  assertEquals(await conn.read(new Uint8Array(8)), null, "the probe sends nothing and closes");
  const closed = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = closed.addr.port;
  closed.close();
  assertEquals(await probe({ host: "127.0.0.1", port }), false);
  await using saturated = await saturatedListener();
  assertEquals(await probe({ host: "127.0.0.1", port: saturated.port, timeoutMs: 100 }), false);
});
