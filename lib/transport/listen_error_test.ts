import { assert, assertEquals, assertThrows } from "../testing/assert.ts";
import { nameListenAddress, openListener, openListenerAsync } from "./listen_error.ts";
import { serveAdmin } from "../admin/server.ts";
import type { AdminNode } from "../admin/server.ts";
import { Acceptor } from "../engine/acceptor.ts";

function occupied(): { port: number } & Disposable {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  return { port: l.addr.port, [Symbol.dispose]: () => l.close() };
}

const inUse = (port: number, purpose: string) =>
  `Cannot listen on 127.0.0.1:${port} for ${purpose}: address already in use ` +
  "(another process, or another node configured with the same address)";

Deno.test("openListener() names the address and purpose when the port is taken, keeping the class", () => {
  using taken = occupied();
  const e = assertThrows(
    () =>
      openListener(
        "FIX sessions",
        "127.0.0.1",
        taken.port,
        () => Deno.listen({ hostname: "127.0.0.1", port: taken.port }),
      ),
    Deno.errors.AddrInUse,
  );
  assertEquals(e.message, inUse(taken.port, "FIX sessions"));
});

Deno.test("nameListenAddress() leaves other errors alone and brackets IPv6 hosts", () => {
  const other = new TypeError("Cannot read tls.cert: file not found");
  assertEquals((nameListenAddress(other, "x", "127.0.0.1", 1) as Error).message, other.message);
  const node = Object.assign(new Error("listen EADDRINUSE"), { code: "EADDRINUSE" });
  assert(
    (nameListenAddress(node, "x", "::1", 9) as Error).message.startsWith(
      "Cannot listen on [::1]:9 for x: address already in use",
    ),
  );
});

Deno.test("openListenerAsync() names the address of an asynchronous listen", async () => {
  using taken = occupied();
  const e = await openListenerAsync(
    "replication",
    "127.0.0.1",
    taken.port,
    () => Promise.reject(new Deno.errors.AddrInUse("Address already in use (os error 98)")),
  ).catch((e) => e);
  assertEquals((e as Error).message, inUse(taken.port, "replication"));
});

Deno.test("serveAdmin() and Acceptor name the address they could not listen on", async () => {
  using taken = occupied();
  const e = assertThrows(
    () => serveAdmin({} as AdminNode, { hostname: "127.0.0.1", port: taken.port }),
    Deno.errors.AddrInUse,
  );
  assertEquals(e.message, inUse(taken.port, "the admin endpoint"));
  const acceptor = new Acceptor({ hostname: "127.0.0.1", port: taken.port, sessions: [] });
  const sync = assertThrows(() => acceptor.listen(), Deno.errors.AddrInUse);
  assertEquals(sync.message, inUse(taken.port, "FIX sessions"));
  const started = await acceptor.start().catch((e) => e);
  assertEquals((started as Error).message, inUse(taken.port, "FIX sessions"));
  await acceptor[Symbol.asyncDispose]();
});
