import { assertEquals, assertStringIncludes, assertThrows } from "../testing/assert.ts";
import { parsePrometheusText } from "../metrics/prometheus_text.ts";
import { AdminError, type AdminNode, isLoopback, serveAdmin } from "./server.ts";
import { rawRequest } from "./_raw_http.ts";

function fakeNode() {
  const calls: unknown[] = [];
  let epoch = 1;
  const node: AdminNode = {
    status: () => ({ role: "secondary", epoch }),
    ready: () => ({ ready: false, reason: "lag 10 records > 0" }),
    metrics: () => "# TYPE x counter\nx 1\n",
    promote: (reason) => {
      calls.push(["promote", reason]);
      return Promise.resolve({ epoch: ++epoch });
    },
    setSequence: (session, next) => {
      calls.push(["sequence", session, next]);
      if (session === "nope") throw new AdminError(404, "Unknown session nope");
      return Promise.resolve({ ok: true });
    },
    logout: (session, text) => {
      calls.push(["logout", session, text]);
      return Promise.resolve({ ok: true });
    },
    logon: (session) => {
      calls.push(["logon", session]);
      return Promise.resolve({ ok: true });
    },
  };
  return { node, calls };
}

async function withServer(
  token: string | undefined,
  fn: (base: string, calls: unknown[]) => Promise<void>,
) {
  const { node, calls } = fakeNode();
  const ac = new AbortController();
  let port = 0;
  const ready = Promise.withResolvers<void>();
  const server = serveAdmin(node, {
    hostname: "127.0.0.1",
    port: 0,
    token,
    signal: ac.signal,
    onListen: (a) => {
      port = a.port;
      ready.resolve();
    },
  });
  await ready.promise;
  try {
    await fn(`http://127.0.0.1:${port}`, calls);
  } finally {
    ac.abort();
    await server.finished;
  }
}

const JSON_TYPE = { "content-type": "application/json" };

Deno.test("serveAdmin() answers health, ready, status and metrics", async () => {
  await withServer(undefined, async (base) => {
    const health = await fetch(`${base}/health`);
    assertEquals([health.status, await health.json()], [200, { ok: true }]);
    const ready = await fetch(`${base}/ready`);
    assertEquals(ready.status, 503);
    assertEquals((await ready.json()).reason, "lag 10 records > 0");
    const status = await fetch(`${base}/status`);
    assertEquals(await status.json(), { role: "secondary", epoch: 1 });
    const metrics = await fetch(`${base}/metrics`);
    assertStringIncludes(metrics.headers.get("content-type") ?? "", "text/plain");
    assertEquals(parsePrometheusText(await metrics.text())[0]?.value, 1);
  });
});

Deno.test("serveAdmin() promotes, sets sequence numbers and logs out sessions", async () => {
  await withServer(undefined, async (base, calls) => {
    const p = await fetch(`${base}/promote`, {
      method: "POST",
      headers: JSON_TYPE,
      body: '{"reason":"ops"}',
    });
    assertEquals(await p.json(), { epoch: 2 });
    const key = encodeURIComponent("FIX.4.4:ISLD->TW");
    const s = await fetch(`${base}/sessions/${key}/sequence`, {
      method: "POST",
      headers: JSON_TYPE,
      body: JSON.stringify({ nextSenderSeqNum: 10 }),
    });
    assertEquals(s.status, 200);
    await s.body?.cancel();
    const l = await fetch(`${base}/sessions/${key}/logout`, {
      method: "POST",
      headers: JSON_TYPE,
      body: "",
    });
    await l.body?.cancel();
    const on = await fetch(`${base}/sessions/${key}/logon`, { method: "POST", headers: JSON_TYPE });
    await on.body?.cancel();
    assertEquals(calls, [
      ["promote", "ops"],
      ["sequence", "FIX.4.4:ISLD->TW", { nextSenderSeqNum: 10 }],
      ["logout", "FIX.4.4:ISLD->TW", undefined],
      ["logon", "FIX.4.4:ISLD->TW"],
    ]);
  });
});

Deno.test("serveAdmin() answers bad requests with 4xx and a reason", async () => {
  await withServer(undefined, async (base, calls) => {
    const bad = await fetch(`${base}/sessions/x/sequence`, {
      method: "POST",
      headers: JSON_TYPE,
      body: "{nope",
    });
    assertEquals(bad.status, 400);
    assertStringIncludes((await bad.json()).error, "Cannot parse request body");
    const zero = await fetch(`${base}/sessions/x/sequence`, {
      method: "POST",
      headers: JSON_TYPE,
      body: '{"nextTargetSeqNum":0}',
    });
    assertEquals(zero.status, 400);
    assertStringIncludes((await zero.json()).error, "nextTargetSeqNum must be an integer");
    const unknown = await fetch(`${base}/sessions/nope/sequence`, {
      method: "POST",
      headers: JSON_TYPE,
      body: '{"nextTargetSeqNum":3}',
    });
    assertEquals(unknown.status, 404);
    await unknown.body?.cancel();
    const missing = await fetch(`${base}/nothing`);
    assertEquals(missing.status, 404);
    await missing.body?.cancel();
    assertEquals(calls.length, 1);
  });
});

Deno.test("serveAdmin() requires the bearer token when one is set", async () => {
  await withServer("s3cret", async (base) => {
    const no = await fetch(`${base}/status`);
    assertEquals(no.status, 401);
    await no.body?.cancel();
    const wrong = await fetch(`${base}/status`, { headers: { authorization: "Bearer nope" } });
    assertEquals(wrong.status, 401);
    await wrong.body?.cancel();
    const ok = await fetch(`${base}/status`, { headers: { authorization: "Bearer s3cret" } });
    assertEquals(ok.status, 200);
    await ok.body?.cancel();
  });
});

Deno.test("serveAdmin() refuses a non-loopback address without a token", () => {
  const { node } = fakeNode();
  assertThrows(
    () => serveAdmin(node, { hostname: "0.0.0.0", port: 0 }),
    AdminError,
    "token is required",
  );
  assertEquals([isLoopback("127.0.0.2"), isLoopback("[::1]"), isLoopback("10.0.0.1")], [
    true,
    true,
    false,
  ]);
});

Deno.test("serveAdmin() accepts the bearer scheme in any case, never a token in the URL", async () => {
  await withServer("s3cret", async (base) => {
    const lower = await fetch(`${base}/status`, { headers: { authorization: "bearer s3cret" } });
    assertEquals(lower.status, 200);
    await lower.body?.cancel();
    const query = await fetch(`${base}/status?token=s3cret`);
    assertEquals(query.status, 400);
    assertStringIncludes((await query.json()).error, "Authorization: Bearer");
  });
});

Deno.test("serveAdmin() refuses cross-origin requests, foreign hosts and non-JSON POSTs", async () => {
  await withServer(undefined, async (base, calls) => {
    const port = Number(new URL(base).port);
    const promote = (headers: Record<string, string>) =>
      fetch(`${base}/promote`, { method: "POST", headers, body: "{}" });
    const cross = await promote({ ...JSON_TYPE, origin: "http://evil.example" });
    assertEquals(cross.status, 403);
    assertStringIncludes((await cross.json()).error, "evil.example");
    const plain = await promote({ "content-type": "text/plain" });
    assertEquals(plain.status, 415);
    await plain.body?.cancel();
    const none = await fetch(`${base}/promote`, { method: "POST" });
    assertEquals(none.status, 415);
    await none.body?.cancel();
    const rebound = await rawRequest(
      port,
      "POST /promote HTTP/1.1\r\nhost: evil.example:" + port + "\r\ncontent-type: application/json",
      "{}",
    );
    assertEquals(rebound.status, 421);
    const local = await rawRequest(port, "GET /health HTTP/1.1\r\nhost: localhost:" + port);
    assertEquals(local.status, 200);
    assertEquals(calls, []);
  });
});

Deno.test("serveAdmin() answers 413 to a body beyond maxBodyBytes without reading it", async () => {
  await withServer(undefined, async (base, calls) => {
    const big = await fetch(`${base}/promote`, {
      method: "POST",
      headers: JSON_TYPE,
      body: JSON.stringify({ reason: "x".repeat(100_000) }),
    });
    assertEquals(big.status, 413);
    await big.body?.cancel();
    assertEquals(calls, []);
  });
});
