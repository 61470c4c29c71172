import { assertEquals, assertStringIncludes, assertThrows } from "../testing/assert.ts";
import { ConfigError, loadConfig, type TandemConfig } from "./mod.ts";

function load(admin: string): TandemConfig {
  return loadConfig(
    `node:
  role: acceptor
fix:
  listen: 127.0.0.1:9876
admin:
${admin}
sessions:
  - beginString: FIX.4.4
    senderCompId: ISLD
    targetCompId: TW44
`,
    { source: "t.yaml", env: {} },
  );
}

Deno.test("loadConfig() reads admin.peers and admin.pageRefreshMs for the operator's page", () => {
  const c = load("  peers: [127.0.0.1:9902, '[::1]:9903']\n  pageRefreshMs: 250");
  assertEquals(c.admin.peers, [{ hostname: "127.0.0.1", port: 9902 }, {
    hostname: "::1",
    port: 9903,
  }]);
  assertEquals(c.admin.pageRefreshMs, 250);
});

Deno.test("loadConfig() refuses admin.pageRefreshMs below 100 ms and more than 16 admin.peers", () => {
  const fast = assertThrows(() => load("  pageRefreshMs: 10"), ConfigError);
  assertStringIncludes(fast.message, "admin.pageRefreshMs");
  const peers = Array.from({ length: 17 }, (_, i) => `127.0.0.1:${9000 + i}`).join(", ");
  const many = assertThrows(() => load(`  peers: [${peers}]`), ConfigError);
  assertStringIncludes(many.message, "admin.peers");
});
