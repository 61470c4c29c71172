import { assertEquals, assertStringIncludes } from "../testing/assert.ts";
import { requestPromotion, runCli } from "./mod.ts";
import { memoryIo, withAdmin } from "./_fake_admin_test_util.ts";

Deno.test("requestPromotion() POSTs /promote with the bearer token and reads the epoch", async () => {
  const seen: { method: string; path: string; auth: string | null; body: unknown }[] = [];
  await withAdmin(async (req) => {
    seen.push({
      method: req.method,
      path: new URL(req.url).pathname,
      auth: req.headers.get("authorization"),
      body: await req.json(),
    });
    return Response.json({ epoch: 4 });
  }, async (port) => {
    const r = await requestPromotion({
      admin: { hostname: "127.0.0.1", port },
      token: "t0k",
      reason: "drill",
    });
    assertEquals(r, { ok: true, epoch: 4, body: { epoch: 4 } });
  });
  assertEquals(seen, [{
    method: "POST",
    path: "/promote",
    auth: "Bearer t0k",
    body: { reason: "drill" },
  }]);
});

Deno.test("runCli(promote) exits 0 on success and 1 when the node refuses", async () => {
  await withAdmin((req) => {
    if (req.headers.get("authorization") !== "Bearer good") {
      return Response.json({ error: "Unauthorized: a valid bearer token is required" }, {
        status: 401,
      });
    }
    return Response.json({ error: "Cannot promote: already primary" }, { status: 409 });
  }, async (port) => {
    const bad = memoryIo();
    assertEquals(await runCli(["promote", "--admin", `127.0.0.1:${port}`], bad.io), 1);
    assertStringIncludes(bad.err.join(""), "HTTP 401");
    const refused = memoryIo({ TANDEM_ADMIN_TOKEN: "good" });
    assertEquals(await runCli(["promote", "--admin", `127.0.0.1:${port}`], refused.io), 1);
    assertStringIncludes(
      refused.err.join(""),
      "Promotion refused (HTTP 409): Cannot promote: already primary",
    );
  });
  await withAdmin(() => Response.json({ epoch: 2 }), async (port) => {
    const ok = memoryIo();
    assertEquals(await runCli(["promote", "--admin", `127.0.0.1:${port}`], ok.io), 0);
    assertEquals(ok.out.join(""), "Promoted: epoch 2\n");
  });
});

Deno.test("runCli(promote) exits 1 with a clear message when the admin API is unreachable", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  const m = memoryIo();
  assertEquals(await runCli(["promote", "--admin", `127.0.0.1:${port}`], m.io), 1);
  assertStringIncludes(m.err.join(""), `Cannot reach http://127.0.0.1:${port}/promote`);
});

Deno.test("runCli(promote) gives up after --timeout-ms when the node does not answer", async () => {
  const { promise: release, resolve } = Promise.withResolvers<void>();
  await withAdmin(async () => {
    await release;
    return Response.json({ epoch: 1 });
  }, async (port) => {
    const m = memoryIo();
    const code = await runCli(
      ["promote", "--admin", `127.0.0.1:${port}`, "--timeout-ms", "50"],
      m.io,
    );
    resolve();
    assertEquals(code, 1);
    assertStringIncludes(m.err.join(""), "timed out");
  });
});
