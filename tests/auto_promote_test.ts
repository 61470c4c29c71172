/**
 * Auto-promotion settings: the configuration refuses an `autoPromoteAfterMs`
 * a healthy link can reach between two heartbeats (the README's old 1000 ms
 * with the default 1000 ms heartbeat promoted an idle secondary every time),
 * and a real idle pair with safe values stays as it is.
 */
import { assert, assertEquals, assertStringIncludes } from "../lib/testing/assert.ts";
import { ExitCode } from "../lib/cli/exit_codes.ts";
import { Cluster, isStreaming, status, TEST_SECRET } from "./_failover_cluster.ts";

const MAIN = new URL("../main.ts", import.meta.url).pathname;

Deno.test("tandem check-config refuses the README's old auto-promotion numbers (1000 ms with a 1000 ms heartbeat), naming both keys", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tandem-promote-" });
  try {
    const path = `${dir}/secondary.yaml`;
    await Deno.writeTextFile(
      path,
      `node: { id: b, role: acceptor, ha: secondary, dataDir: ${dir}/data }
fix: { listen: 127.0.0.1:9877 }
replication:
  listen: 127.0.0.1:9881
  primary: 127.0.0.1:9880
  peerIds: [a]
  secret: ${JSON.stringify(TEST_SECRET)}
  autoPromoteAfterMs: 1000
sessions:
  - { beginString: FIX.4.4, senderCompId: EXEC, targetCompId: CLIENT }
`,
    );
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--quiet", MAIN, "check-config", path],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    assertEquals(out.code, ExitCode.Failure, stderr);
    assertStringIncludes(stderr, "replication.autoPromoteAfterMs 1000 ms");
    assertStringIncludes(stderr, "replication.heartbeatIntervalMs (1000 ms)");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("an idle pair with safe auto-promotion values (5 heartbeat intervals) does not promote by itself over a dozen heartbeats", async () => {
  const heartbeatMs = 250;
  await using cluster = await Cluster.create({
    ackStrategy: "forever",
    heartbeatIntervalMs: heartbeatMs,
  });
  await cluster.start("a", "primary");
  const b = await cluster.start("b", "secondary", { autoPromoteAfterMs: 5 * heartbeatMs });
  const startedAt = Date.now();
  while (Date.now() - startedAt < 12 * heartbeatMs) {
    assert(await isStreaming(cluster.ports.b.admin), "b still streams from a");
    await new Promise((r) => setTimeout(r, heartbeatMs / 2));
  }
  assertEquals((await status(cluster.ports.a.admin))?.role, "primary");
  assertEquals((await status(cluster.ports.b.admin))?.role, "secondary");
  assert(
    !b.lines.some((l) => l.includes('"to":"candidate"') || l.includes('"to":"leader"')),
    b.lines.join("\n"),
  );
});
