import { assert, assertEquals } from "../testing/assert.ts";
import { etcdInstalled, EtcdServer } from "../testing/etcd_server.ts";
import { type Coordinator, StaticCoordinator } from "./coordinator.ts";
import { EtcdCoordinator } from "./etcd.ts";

const ignore = !etcdInstalled();
if (ignore) console.warn("etcd is not installed (bash .ci/install_etcd.sh): etcd tests skipped");

/** One contract, every implementation (Hono-style). */
async function contract(make: () => Coordinator[]) {
  const [a, b] = make();
  await using _a = a!;
  await using _b = b!;
  const req = (nodeId: string, seen = 0) => ({
    nodeId,
    replication: `127.0.0.1:${nodeId === "a" ? 1 : 2}`,
    highestEpochSeen: seen,
    minInSync: 1,
  });
  const won = await a!.campaign(req("a", 4));
  assert(won !== undefined, "a wins an empty cluster");
  assertEquals(won.epoch, 5, "above every epoch the candidate has seen");
  assertEquals(won.inSync, ["a"]);
  const view = await b!.observe();
  assertEquals(view.leader?.nodeId, "a");
  assertEquals(view.epoch, 5);
  assertEquals(view.inSync?.members, ["a"]);
  assertEquals(await b!.campaign(req("b")), undefined, "nobody campaigns while a leads");
  await a!.renew();
  assert(await a!.writeInSync(["a", "b"]));
  assertEquals((await b!.observe()).inSync?.members, ["a", "b"]);
  await a!.resign();
  assertEquals(await a!.writeInSync(["a"]), false, "a deposed leader cannot write");
  const next = await b!.campaign(req("b"));
  assert(next !== undefined);
  assert(next.epoch > won.epoch, "epochs strictly increase");
  assertEquals(next.inSync, ["b"], "the old leader leaves the in-sync set");
}

Deno.test("StaticCoordinator meets the Coordinator contract (shared state)", async () => {
  const shared = new StaticCoordinator();
  await contract(() => [shared, shared]);
});

Deno.test({
  name: "EtcdCoordinator meets the Coordinator contract against a real etcd",
  ignore,
  async fn() {
    await using etcd = await EtcdServer.start();
    const make = () =>
      new EtcdCoordinator({ endpoints: [etcd.endpoint], prefix: "/t/c", leaseTtlMs: 2_000 });
    await contract(() => [make(), make()]);
  },
});

Deno.test({
  name: "EtcdCoordinator: only a member of the in-sync set may win; two candidates never both win",
  ignore,
  async fn() {
    await using etcd = await EtcdServer.start();
    const make = () =>
      new EtcdCoordinator({ endpoints: [etcd.endpoint], prefix: "/t/x", leaseTtlMs: 2_000 });
    await using a = make();
    await using b = make();
    await using c = make();
    const req = (nodeId: string) => ({
      nodeId,
      replication: "127.0.0.1:1",
      highestEpochSeen: 0,
      minInSync: 1,
    });
    const results = await Promise.all([a.campaign(req("a")), b.campaign(req("b"))]);
    assertEquals(results.filter((r) => r !== undefined).length, 1, "exactly one winner");
    const [winner, loser] = results[0] ? [a, b] : [b, a];
    const winnerId = results[0] ? "a" : "b";
    assert(await winner.writeInSync([winnerId]));
    await winner.resign();
    assertEquals(await c.campaign(req("c")), undefined, "c is not in the in-sync set");
    const loserId = winnerId === "a" ? "b" : "a";
    assertEquals(await loser.campaign(req(loserId)), undefined, "excluded from the in-sync set");
  },
});

Deno.test({
  name: "EtcdCoordinator: an unrenewed lease expires and its leader key is gone; renew then fails",
  ignore,
  async fn() {
    await using etcd = await EtcdServer.start();
    await using a = new EtcdCoordinator({
      endpoints: [etcd.endpoint],
      prefix: "/t/l",
      leaseTtlMs: 2_000,
    });
    await using b = new EtcdCoordinator({
      endpoints: [etcd.endpoint],
      prefix: "/t/l",
      leaseTtlMs: 2_000,
    });
    const won = await a.campaign({
      nodeId: "a",
      replication: "127.0.0.1:1",
      highestEpochSeen: 0,
      minInSync: 1,
    });
    assert(won);
    const t0 = Date.now();
    while ((await b.observe()).leader !== undefined) {
      assert(Date.now() - t0 < 20_000, "the lease expires");
      await new Promise((r) => setTimeout(r, 100));
    }
    let failed = false;
    await a.renew().catch(() => (failed = true));
    assert(failed, "renewing an expired lease fails");
    assertEquals(await a.writeInSync(["a"]), false);
  },
});

Deno.test({
  name:
    "EtcdCoordinator: revokeLeader() ends the leadership at once; calls to a dead etcd fail within the call timeout",
  ignore,
  async fn() {
    const etcd = await EtcdServer.start();
    await using a = new EtcdCoordinator({
      endpoints: [etcd.endpoint],
      prefix: "/t/r",
      leaseTtlMs: 10_000,
      callTimeoutMs: 500,
    });
    await using b = new EtcdCoordinator({
      endpoints: [etcd.endpoint],
      prefix: "/t/r",
      leaseTtlMs: 10_000,
      callTimeoutMs: 500,
    });
    await a.campaign({
      nodeId: "a",
      replication: "127.0.0.1:1",
      highestEpochSeen: 0,
      minInSync: 1,
    });
    const v = await b.observe();
    await b.revokeLeader(v.leader!);
    assertEquals((await b.observe()).leader, undefined);
    assert(b.health().healthy);
    await etcd[Symbol.asyncDispose]();
    const t0 = Date.now();
    let err = "";
    await b.observe().catch((e) => (err = (e as Error).message));
    assert(err.startsWith("Cannot read the cluster keys in etcd"), err);
    assert(Date.now() - t0 < 10_000);
    assertEquals(b.health().healthy, false);
  },
});
