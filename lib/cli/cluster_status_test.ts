import { assert, assertEquals, assertStringIncludes } from "../testing/assert.ts";
import { runCli, summarizeCluster } from "./mod.ts";
import { memoryIo, withAdmin } from "./_fake_admin_test_util.ts";

/** A leader's /status as the node serves it (trimmed to what the command reads). */
const LEADER_STATUS = {
  nodeId: "n1",
  role: "primary",
  replication: {
    role: { role: "primary", epoch: 7 },
    leader: {
      nodeId: "n1",
      epoch: 7,
      lastIndex: 120,
      port: 7001,
      followers: [
        { nodeId: "n2", state: "streaming", ackedIndex: 120, lagRecords: 0, lagMs: 0 },
        { nodeId: "n3", state: "catching-up", ackedIndex: 100, lagRecords: 20, lagMs: 35 },
      ],
    },
    follower: null,
  },
  cluster: {
    coordination: "etcd",
    members: ["127.0.0.1:7001", "127.0.0.1:7002", "127.0.0.1:7003"],
    leader: { nodeId: "n1", epoch: 7, replication: "127.0.0.1:7001" },
    epoch: 7,
    inSync: ["n1", "n2"],
    leading: {
      epoch: 7,
      inSyncRecorded: ["n1", "n2"],
      inSyncLocal: ["n1", "n2"],
      commitIndex: 120,
      releasedIndex: 120,
      acks: { n2: 120, n3: 100 },
      leaseRemainingMs: 1400,
    },
    etcd: { healthy: true, detail: "http://127.0.0.1:2379 ok" },
    lastError: null,
  },
};

Deno.test("cluster status GETs /status with the token from the environment and prints one row per member", async () => {
  const seen: { method: string; path: string; auth: string | null; type: string | null }[] = [];
  await withAdmin((req) => {
    seen.push({
      method: req.method,
      path: new URL(req.url).pathname,
      auth: req.headers.get("authorization"),
      type: req.headers.get("content-type"),
    });
    return Response.json(LEADER_STATUS);
  }, async (port) => {
    const { io, out, err } = memoryIo({ TANDEM_ADMIN_TOKEN: "t0k" });
    assertEquals(await runCli(["cluster", "status", "--admin", `127.0.0.1:${port}`], io), 0);
    assertEquals(err, []);
    const text = out.join("");
    assertStringIncludes(text, "coordination: etcd (healthy: http://127.0.0.1:2379 ok)");
    assertStringIncludes(text, "leader:       n1 at 127.0.0.1:7001");
    assertStringIncludes(text, "epoch:        7");
    assertStringIncludes(text, "in-sync:      n1, n2");
    assertStringIncludes(text, "lease left:   1400 ms");
    const rows = text.split("\n").filter((l) => /^(MEMBER|n\d)\b/.test(l));
    assertEquals(rows.map((r) => r.split(/\s+/)), [
      ["MEMBER", "ROLE", "IN-SYNC", "LINK", "ACKED", "LAG-RECORDS", "LAG-MS"],
      ["n1", "leader", "yes", "-", "-", "0", "0"],
      ["n2", "follower", "yes", "streaming", "120", "0", "0"],
      ["n3", "follower", "no", "catching-up", "100", "20", "35"],
    ]);
  });
  assertEquals(seen, [{ method: "GET", path: "/status", auth: "Bearer t0k", type: null }]);
});

Deno.test("cluster status --json prints the summary for scripts", async () => {
  await withAdmin(() => Response.json(LEADER_STATUS), async (port) => {
    const { io, out } = memoryIo();
    assertEquals(
      await runCli(["cluster", "status", "--json", "--admin", `127.0.0.1:${port}`], io),
      0,
    );
    const summary = JSON.parse(out.join(""));
    assertEquals(summary, JSON.parse(JSON.stringify(summarizeCluster(LEADER_STATUS))));
    assertEquals(summary.leader, "n1");
    assertEquals(summary.etcdHealthy, true);
    assertEquals(summary.members.find((m: { member: string }) => m.member === "n3").lagRecords, 20);
  });
});

Deno.test("summarizeCluster() on a follower shows the leader, its own lag and an unhealthy etcd", () => {
  const s = summarizeCluster({
    nodeId: "n3",
    replication: {
      leader: null,
      follower: { nodeId: "n3", state: "streaming", ackedIndex: 90, lagRecords: 3, lagMs: 12 },
    },
    cluster: {
      coordination: "etcd",
      members: ["127.0.0.1:7001"],
      leader: { nodeId: "n1", epoch: 7, replication: "127.0.0.1:7001" },
      epoch: 7,
      inSync: ["n1", "n2"],
      leading: null,
      etcd: { healthy: false, detail: "http://127.0.0.1:2379: connection refused" },
      lastError: "Cannot observe the cluster: connection refused",
    },
  });
  assertEquals(s.etcdHealthy, false);
  assertEquals(s.leaseRemainingMs, undefined);
  assertEquals(s.members.map((m) => [m.member, m.role, m.inSync, m.lagRecords]), [
    ["n1", "leader", true, undefined],
    ["n2", "unknown", true, undefined],
    ["n3", "follower", false, 3],
  ]);
});

Deno.test("cluster status exits 1 when the node is not in cluster mode, refuses, or is unreachable", async () => {
  await withAdmin(() => Response.json({ nodeId: "solo", cluster: null }), async (port) => {
    const { io, err } = memoryIo();
    assertEquals(await runCli(["cluster", "status", "--admin", `127.0.0.1:${port}`], io), 1);
    assertStringIncludes(err.join(""), "node solo: it does not run in cluster mode");
  });
  await withAdmin(
    () =>
      Response.json({ error: "Unauthorized: a valid bearer token is required" }, { status: 401 }),
    async (port) => {
      const { io, err } = memoryIo();
      assertEquals(await runCli(["cluster", "status", "--admin", `127.0.0.1:${port}`], io), 1);
      assertStringIncludes(err.join(""), "HTTP 401): Unauthorized");
    },
  );
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  const { io, err } = memoryIo();
  assertEquals(await runCli(["cluster", "status", "--admin", `127.0.0.1:${port}`], io), 1);
  assertStringIncludes(err.join(""), `Cannot reach http://127.0.0.1:${port}/status`);
});

Deno.test("cluster takes only the status subcommand and needs --admin", async () => {
  for (
    const [args, message] of [
      [["cluster"], "Missing subcommand: expected status"],
      [["cluster", "stats", "--admin", "127.0.0.1:1"], "Unknown subcommand stats"],
      [["cluster", "status"], "Missing --admin HOST:PORT"],
    ] as const
  ) {
    const { io, err } = memoryIo();
    assertEquals(await runCli(args, io), 2);
    assertStringIncludes(err.join(""), message);
    assertStringIncludes(err.join(""), "Usage: tandem cluster status");
  }
  const help = memoryIo();
  assertEquals(await runCli(["--help"], help.io), 0);
  assert(help.out.join("").includes("tandem cluster status"));
});
