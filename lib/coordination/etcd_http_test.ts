import { assert, assertEquals } from "../testing/assert.ts";
import { etcdInstalled, EtcdServer, EtcdServers } from "../testing/etcd_server.ts";
import { generateTestCertificates } from "../../tests/_certs.ts";
import { ETCD_CODE_NOT_FOUND, EtcdError, EtcdHttpClient, prefixEnd } from "./etcd_http.ts";

const ignore = !etcdInstalled();
if (ignore) console.warn("etcd is not installed (bash .ci/install_etcd.sh): etcd tests skipped");

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error("expected a rejection");
}

/** A loopback port nobody listens on. */
function deadEndpoint(): string {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return `http://127.0.0.1:${port}`;
}

Deno.test("prefixEnd() increments the last byte below 0xff and drops trailing 0xff", () => {
  assertEquals([...prefixEnd(new Uint8Array([0x2f, 0x61]))], [0x2f, 0x62]);
  assertEquals([...prefixEnd(new Uint8Array([0x61, 0xff]))], [0x62]);
  assertEquals([...prefixEnd(new Uint8Array([0xff]))], [0]);
});

Deno.test("EtcdHttpClient refuses no endpoints and endpoints that are not http(s)://host:port", () => {
  let err = "";
  try {
    new EtcdHttpClient({ endpoints: [] });
  } catch (e) {
    err = (e as Error).message;
  }
  assertEquals(err, "Cannot connect to etcd: no endpoints");
  try {
    new EtcdHttpClient({ endpoints: ["127.0.0.1:2379"] });
  } catch (e) {
    err = (e as Error).message;
  }
  assertEquals(err, "Cannot use etcd endpoint 127.0.0.1:2379: expected http(s)://host:port");
});

Deno.test({
  name:
    "EtcdHttpClient: put, range by key and by prefix, delete; UTF-8 keys and values and revisions survive the base64 JSON",
  ignore,
  async fn() {
    await using etcd = await EtcdServer.start();
    await using c = new EtcdHttpClient({ endpoints: [etcd.endpoint] });
    const { revision } = await c.put("/p/a", "ä €");
    await c.put("/p/b", "2");
    await c.put("/pz", "outside the prefix");
    const one = await c.range("/p/a");
    assertEquals(one.kvs.map((kv) => [kv.key, kv.value]), [["/p/a", "ä €"]]);
    assertEquals(one.kvs[0]!.createRevision, revision);
    assertEquals(one.kvs[0]!.lease, "0");
    const all = await c.range("/p/", { prefix: true });
    assertEquals(all.kvs.map((kv) => kv.key), ["/p/a", "/p/b"]);
    assert(Number(all.revision) > Number(revision));
    assertEquals((await c.range("/nothing")).kvs, []);
    assertEquals(await c.delete("/p/", { prefix: true }), 2);
    assertEquals((await c.range("/p/", { prefix: true })).kvs, []);
    assertEquals((await c.range("/pz")).kvs.length, 1);
  },
});

Deno.test({
  name:
    "EtcdHttpClient.txn() applies success only when every compare holds (create, mod, value revisions), else failure",
  ignore,
  async fn() {
    await using etcd = await EtcdServer.start();
    await using c = new EtcdHttpClient({ endpoints: [etcd.endpoint] });
    const absent = { key: "/t/k", target: "create", result: "equal", value: "0" } as const;
    const first = await c.txn([absent], [{ put: { key: "/t/k", value: "1" } }]);
    assert(first.succeeded, "the key did not exist");
    const again = await c.txn([absent], [{ put: { key: "/t/k", value: "2" } }], [
      { put: { key: "/t/lost", value: "yes" } },
    ]);
    assertEquals(again.succeeded, false, "the second create must fail");
    assertEquals((await c.range("/t/k")).kvs[0]!.value, "1");
    assertEquals((await c.range("/t/lost")).kvs[0]!.value, "yes", "failure branch applied");
    const kv = (await c.range("/t/k")).kvs[0]!;
    const mod = { key: "/t/k", target: "mod", result: "equal", value: kv.modRevision } as const;
    assert((await c.txn([mod], [{ put: { key: "/t/k", value: "3" } }])).succeeded);
    assertEquals((await c.txn([mod], [{ delete: { key: "/t/k" } }])).succeeded, false);
    const value = { key: "/t/k", target: "value", result: "equal", value: "3" } as const;
    assert((await c.txn([value], [{ delete: { key: "/t/k" } }])).succeeded);
    assertEquals((await c.range("/t/k")).kvs, []);
  },
});

Deno.test({
  name:
    "EtcdHttpClient leases: keepalive renews, revoke deletes the attached keys, a gone lease keeps alive to TTL 0 and revokes with code 5",
  ignore,
  async fn() {
    await using etcd = await EtcdServer.start();
    await using c = new EtcdHttpClient({ endpoints: [etcd.endpoint] });
    const id = await c.leaseGrant(5);
    assert(/^\d+$/.test(id), id);
    await c.put("/l/k", "v", id);
    assertEquals((await c.range("/l/k")).kvs[0]!.lease, id);
    assertEquals(await c.leaseKeepAliveOnce(id), 5);
    await c.leaseRevoke(id);
    assertEquals((await c.range("/l/k")).kvs, []);
    assertEquals(await c.leaseKeepAliveOnce(id), 0);
    const e = await rejection(c.leaseRevoke(id));
    assert(e instanceof EtcdError);
    assertEquals(e.code, ETCD_CODE_NOT_FOUND);
    assert(e.message.includes("requested lease not found"), e.message);
  },
});

Deno.test({
  name:
    "EtcdHttpClient moves on from an unreachable endpoint within one call; an etcd that answers nothing fails the call within callTimeoutMs",
  ignore,
  async fn() {
    await using etcd = await EtcdServer.start();
    await using c = new EtcdHttpClient({
      endpoints: [deadEndpoint(), etcd.endpoint],
      callTimeoutMs: 2_000,
    });
    for (let i = 0; i < 5; i++) await c.put("/m/k", String(i));
    assertEquals((await c.range("/m/k")).kvs[0]!.value, "4");
    etcd.signal("SIGSTOP");
    try {
      await using hung = new EtcdHttpClient({ endpoints: [etcd.endpoint], callTimeoutMs: 500 });
      const t0 = Date.now();
      const e = await rejection(hung.range("/m/k"));
      assert(e instanceof EtcdError && e.unavailable, String(e));
      assert(e.message.startsWith("Cannot call etcd kv/range: no answer within 500 ms"), e.message);
      assert(Date.now() - t0 < 5_000);
    } finally {
      etcd.signal("SIGCONT");
    }
  },
});

Deno.test({
  name:
    "EtcdHttpClient survives graceful stops (SIGTERM) of the etcd member it talks to: calls go on through the others",
  ignore,
  async fn() {
    await using etcd = await EtcdServers.start(3);
    await using c = new EtcdHttpClient({ endpoints: etcd.endpoints, callTimeoutMs: 3_000 });
    let n = 0;
    for (let member = 0; member < 3; member++) {
      await c.put("/g/k", String(++n));
      const busy = (async () => {
        // Calls in flight while the member stops.
        for (let i = 0; i < 20; i++) await c.put("/g/k", String(++n));
      })().then(() => undefined, (e) => e);
      await etcd.stop(member, "SIGTERM");
      assertEquals(await busy, undefined, `stop of etcd member ${member}`);
      assertEquals((await c.range("/g/k")).kvs[0]!.value, String(n));
      etcd.restart(member);
      await etcd.healthy();
    }
  },
});

Deno.test({
  name:
    "EtcdHttpClient with username and password: a token in Authorization, a new one once it expired; a wrong password is refused",
  ignore,
  async fn() {
    await using etcd = await EtcdServer.start(30_000, { args: ["--auth-token-ttl", "1"] });
    const admin = async (path: string, body: unknown) => {
      const res = await fetch(`${etcd.endpoint}/v3/${path}`, {
        method: "POST",
        body: JSON.stringify(body),
      });
      const text = await res.text();
      assert(res.ok, `${path}: ${text}`);
    };
    await admin("auth/role/add", { name: "root" });
    await admin("auth/user/add", { name: "root", password: "secret" });
    await admin("auth/user/grant", { user: "root", role: "root" });
    await admin("auth/enable", {});
    await using anonymous = new EtcdHttpClient({ endpoints: [etcd.endpoint] });
    assert(await rejection(anonymous.range("/a")) instanceof EtcdError, "auth is on");
    await using c = new EtcdHttpClient({
      endpoints: [etcd.endpoint],
      auth: { username: "root", password: "secret" },
    });
    await c.put("/a", "1");
    // A token of the same age, to show that the client's has expired by then.
    const res = await fetch(`${etcd.endpoint}/v3/auth/authenticate`, {
      method: "POST",
      body: JSON.stringify({ name: "root", password: "secret" }),
    });
    const { token } = await res.json() as { token: string };
    // Tokens expire after 1 s unused (etcd checks every second).
    await new Promise((r) => setTimeout(r, 3_000));
    const stale = await fetch(`${etcd.endpoint}/v3/kv/range`, {
      method: "POST",
      headers: { authorization: token },
      body: JSON.stringify({ key: btoa("/a") }),
    });
    assertEquals([stale.status, (await stale.json()).code], [401, 16], "the old token expired");
    assertEquals((await c.range("/a")).kvs[0]!.value, "1");
    await using wrong = new EtcdHttpClient({
      endpoints: [etcd.endpoint],
      auth: { username: "root", password: "guess" },
    });
    const e = await rejection(wrong.range("/a"));
    assert(e instanceof EtcdError && e.message.includes("authentication failed"), String(e));
  },
});

Deno.test({
  name:
    "EtcdHttpClient over TLS with a client certificate (Deno.createHttpClient): served with the CA and certificate, refused without the certificate",
  ignore,
  async fn() {
    await using certs = await generateTestCertificates();
    using health = Deno.createHttpClient({
      caCerts: [certs.ca.cert],
      cert: certs.client.cert,
      key: certs.client.key,
    });
    await using etcd = await EtcdServer.start(30_000, {
      tls: {
        certFile: certs.peer.certFile,
        keyFile: certs.peer.keyFile,
        caFile: certs.ca.certFile,
        client: health,
      },
    });
    assert(etcd.endpoint.startsWith("https://"));
    const pem = (s: string) => new TextEncoder().encode(s);
    await using c = new EtcdHttpClient({
      endpoints: [etcd.endpoint],
      tls: { ca: pem(certs.ca.cert), cert: pem(certs.client.cert), key: pem(certs.client.key) },
    });
    await c.put("/tls", "yes");
    assertEquals((await c.range("/tls")).kvs[0]!.value, "yes");
    await using noCert = new EtcdHttpClient({
      endpoints: [etcd.endpoint],
      callTimeoutMs: 500,
      tls: { ca: pem(certs.ca.cert) },
    });
    assert(await rejection(noCert.range("/tls")) instanceof EtcdError);
    await using rogue = new EtcdHttpClient({
      endpoints: [etcd.endpoint],
      callTimeoutMs: 500,
      tls: {
        ca: pem(certs.ca.cert),
        cert: pem(certs.rogueClient.cert),
        key: pem(certs.rogueClient.key),
      },
    });
    assert(await rejection(rogue.range("/tls")) instanceof EtcdError);
  },
});
