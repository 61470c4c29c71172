import { assertEquals, assertThrows } from "../testing/assert.ts";
import { ConfigError, type ConfigIssue, loadConfig, type TandemConfig } from "./mod.ts";

const CLUSTER = `node:
  id: n1
  role: acceptor
  ha: secondary
fix:
  listen: 127.0.0.1:9876
replication:
  listen: 127.0.0.1:9880
  peers: [127.0.0.1:9880, 127.0.0.1:9881, 127.0.0.1:9882]
  secret: \${ENV:SECRET}
  peerIds: [n2, n3]
  ackStrategy: forever
  minInSync: 2
  maxLagMs: 1500
coordination:
  kind: etcd
  etcd:
    endpoints: [http://127.0.0.1:2379]
    username: \${ENV:ETCD_USER}
    password: \${ENV:ETCD_PASSWORD}
sessions:
  - beginString: FIX.4.4
    senderCompId: ISLD
    targetCompId: TW44
`;

const env = { SECRET: "a secret of sixteen+ chars", ETCD_USER: "u", ETCD_PASSWORD: "p" };

function load(text: string): TandemConfig {
  return loadConfig(text, { source: "t.yaml", env });
}

function problems(text: string): string[] {
  const e = assertThrows(() => load(text), ConfigError);
  return e.issues.map((i: ConfigIssue) => `${i.path}: ${i.message}`).sort();
}

Deno.test("loadConfig() keeps coordination static by default", () => {
  const c = load(
    CLUSTER.replace(/coordination:[\s\S]*?(?=sessions:)/, "").replace(
      "ha: secondary",
      "ha: primary",
    ),
  );
  assertEquals(c.coordination.kind, "static");
  assertEquals(c.coordination.etcd.leaseTtlMs, 3_000);
  assertEquals(c.coordination.etcd.safetyMarginMs, 500);
  assertEquals(c.coordination.etcd.prefix, undefined);
});

Deno.test("loadConfig() reads an etcd cluster member with credentials from the environment", () => {
  const c = load(CLUSTER);
  assertEquals(c.coordination.kind, "etcd");
  assertEquals(c.coordination.etcd.endpoints, ["http://127.0.0.1:2379"]);
  assertEquals(c.coordination.etcd.username, "u");
  assertEquals(c.coordination.etcd.password, "p");
  assertEquals(c.replication.minInSync, 2);
  assertEquals(c.replication.maxLagMs, 1_500);
  assertEquals(c.replication.peers.length, 3);
});

Deno.test("loadConfig() refuses an etcd cluster without endpoints, with fewer than 2 members or minInSync above N", () => {
  const p = problems(
    CLUSTER.replace("[http://127.0.0.1:2379]", "[]")
      .replace("[127.0.0.1:9880, 127.0.0.1:9881, 127.0.0.1:9882]", "[127.0.0.1:9880]"),
  );
  assertEquals(p, [
    "coordination.etcd.endpoints: coordination.kind etcd needs at least one endpoint",
    "replication.minInSync: minInSync 2 is more than the 1 members",
    "replication.peers: A cluster needs at least 2 members: list every member's replication address",
  ]);
});

Deno.test("loadConfig() refuses a lease that is not whole seconds, a margin above half the TTL and half credentials", () => {
  const p = problems(
    CLUSTER.replace(
      "    username: ${ENV:ETCD_USER}\n",
      "    leaseTtlMs: 2500\n    safetyMarginMs: 2000\n",
    )
      .replace("http://127.0.0.1:2379", "127.0.0.1:2379"),
  );
  assertEquals(p, [
    "coordination.etcd.endpoints[0]: Not an http(s)://host:port URL: 127.0.0.1:2379",
    "coordination.etcd.leaseTtlMs: etcd leases last whole seconds: use a multiple of 1000",
    "coordination.etcd.safetyMarginMs: Must be at most half of leaseTtlMs",
    "coordination.etcd.username: username and password go together",
  ]);
});

Deno.test("loadConfig() refuses an etcd member that is standalone or has no replication address", () => {
  const p = problems(
    CLUSTER.replace("ha: secondary", "ha: standalone").replace("  listen: 127.0.0.1:9880\n", ""),
  );
  assertEquals(
    p[0],
    "node.ha: coordination.kind etcd needs node.ha primary or secondary (a member)",
  );
  assertEquals(
    p[1],
    "replication.listen: A cluster member needs replication.listen (it serves while leading)",
  );
});
