/**
 * Cluster mode under partitions and coordination failures: a frozen follower,
 * a leader cut off from etcd and from its followers (TCP relays the test
 * cuts), and an etcd that stops answering. Real etcd, real member processes.
 *
 * @module
 */

import { assert, assertEquals } from "../lib/testing/assert.ts";
import { etcdInstalled } from "../lib/testing/etcd_server.ts";
import { EtcdCluster, exactlyOnce, sequencesAgree, startStrictClient } from "./_cluster.ts";
import { status, waitUntil } from "./_failover_cluster.ts";

const ignore = !etcdInstalled();
const WINDOW = 100;

async function quarantineFiles(dir: string): Promise<number> {
  let n = 0;
  for await (const e of Deno.readDir(dir)) {
    if (e.isDirectory) n += await quarantineFiles(`${dir}/${e.name}`);
    else if (e.name.includes("quarantine")) n++;
  }
  return n;
}

Deno.test({
  name:
    "cluster: a frozen follower leaves the in-sync set after maxLagMs, trading continues, and it rejoins once caught up",
  ignore,
  async fn() {
    await using c = await EtcdCluster.create({ nodes: 3, minInSync: 2, maxLagMs: 800 });
    await Promise.all([c.start(0), c.start(1), c.start(2)]);
    await using client = await startStrictClient(c.fixPorts);
    await client.until(() => client.loggedOn, "first logon");
    const leader = await c.leader();
    await waitUntil(async () => (await c.inSync(leader)).length === 3, "all three in sync");
    const frozen = (leader + 1) % 3;
    c.procs[frozen]!.kill("SIGSTOP");
    await client.stream(500, WINDOW);
    await client.until(() => client.filledOrders === 500, "500 filled while a follower is frozen");
    assertEquals((await c.inSync(leader)).includes(c.names[frozen]!), false);
    assertEquals((await c.inSync(leader)).length, 2);
    c.procs[frozen]!.kill("SIGCONT");
    await client.stream(1000, WINDOW);
    await waitUntil(async () => (await c.inSync(leader)).length === 3, "the follower back in sync");
    await client.until(() => client.filledOrders === 1000, "1000 filled");
    assertEquals(await c.leader(), leader, "no election: the leader never lost its lease");
    await sequencesAgree(c, leader, client);
    exactlyOnce(client);
  },
});

Deno.test({
  name:
    "cluster: a leader cut off from etcd and from its followers fences; the majority elects; on heal it rejoins and nothing diverges",
  ignore,
  async fn() {
    await using c = await EtcdCluster.create({
      nodes: 3,
      minInSync: 2,
      leaseTtlMs: 2_000,
      relays: true,
    });
    await Promise.all([c.start(0), c.start(1), c.start(2)]);
    await using client = await startStrictClient(c.fixPorts);
    await client.until(() => client.loggedOn, "first logon");
    const old = await c.leader();
    await waitUntil(async () => (await c.inSync(old)).length === 3, "all three in sync");
    const epochBefore = (await status(c.ports[old]!.admin))!.epoch as number;
    await client.stream(300, WINDOW);
    await client.until(() => client.filledOrders === 300, "300 filled");
    // The partition: the old leader reaches neither etcd nor its followers (the client still
    // reaches it, as a counterparty on another network would).
    c.etcdRelays[old]!.cut();
    c.replicationRelays[old]!.cut();
    const streaming = client.stream(800, WINDOW);
    streaming.catch(() => {});
    await c.procs[old]!.waitFor("fencing: this node stops leading", 30_000);
    const next = await c.leader(30_000, old, "the majority side elects");
    assert(((await status(c.ports[next]!.admin))!.epoch as number) > epochBefore);
    await streaming;
    await client.until(() => client.filledOrders === 800, "800 filled on the new leader", 60_000);
    // Heal: the old leader follows the new one and catches up.
    c.etcdRelays[old]!.heal();
    c.replicationRelays[old]!.heal();
    await waitUntil(async () => (await c.inSync(next)).length === 3, "the old leader back in sync");
    const s = await status(c.ports[old]!.admin);
    assertEquals(s?.role, "secondary");
    await sequencesAgree(c, next, client);
    exactlyOnce(client);
    console.log(`quarantine files after the heal: ${await quarantineFiles(c.dir)}`);
  },
});

Deno.test({
  name:
    "cluster: etcd unavailable makes the leader fence after its lease (nobody accepts); once etcd is back a leader is elected and trading resumes",
  ignore,
  async fn() {
    await using c = await EtcdCluster.create({ nodes: 3, minInSync: 2, leaseTtlMs: 2_000 });
    await Promise.all([c.start(0), c.start(1), c.start(2)]);
    await using client = await startStrictClient(c.fixPorts);
    await client.until(() => client.loggedOn, "first logon");
    const old = await c.leader();
    await client.stream(200, WINDOW);
    await client.until(() => client.filledOrders === 200, "200 filled");
    const frozenAt = Date.now();
    c.etcd!.signal("SIGSTOP");
    try {
      await c.procs[old]!.waitFor("fencing: this node stops leading", 30_000);
      const fencedMs = Date.now() - frozenAt;
      await waitUntil(async () => {
        for (let i = 0; i < 3; i++) {
          if ((await status(c.ports[i]!.admin))?.acceptingLogons === true) return false;
        }
        return true;
      }, "no member accepting logons");
      assert(fencedMs < 2_000 + 5_000, `fenced after ${fencedMs} ms`);
      console.log(`etcd frozen -> leader fenced after ${fencedMs} ms (leaseTtlMs 2000)`);
    } finally {
      c.etcd!.signal("SIGCONT");
    }
    await c.leader(60_000);
    await client.until(() => client.loggedOn, "logon after etcd returned", 60_000);
    await client.stream(600, WINDOW);
    await client.until(() => client.filledOrders === 600, "600 filled", 60_000);
    await sequencesAgree(c, await c.leader(), client);
    exactlyOnce(client);
  },
});
