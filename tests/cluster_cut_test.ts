/**
 * Cluster mode with the replication link cut (TCP relays the test cuts) while
 * every member stays alive and reaches etcd: a follower cut off from the
 * leader leaves the in-sync set and can never lead or take a Logon, and a
 * follower excluded from the in-sync set is not elected when the leader dies.
 * Real etcd, real member processes.
 *
 * @module
 */

import { assert, assertEquals } from "../lib/testing/assert.ts";
import { etcdInstalled } from "../lib/testing/etcd_server.ts";
import { Journal } from "../lib/journal/mod.ts";
import {
  EtcdCluster,
  exactlyOnce,
  lastIndex,
  sequencesAgree,
  startStrictClient,
} from "./_cluster.ts";
import { status, tryLogon, waitUntil } from "./_failover_cluster.ts";

const ignore = !etcdInstalled();
const WINDOW = 100;

/** Asserts member `i` neither leads nor accepts logons; a real Logon attempt is refused. */
async function notLeading(c: EtcdCluster, i: number, why: string): Promise<void> {
  const s = await status(c.ports[i]!.admin);
  assert(s !== undefined, `${c.names[i]} answers /status (${why})`);
  assertEquals(s.role, "secondary", `${c.names[i]} role (${why})`);
  assertEquals(s.acceptingLogons, false, `${c.names[i]} accepting logons (${why})`);
  assertEquals(await tryLogon(c.ports[i]!.fix, 500), false, `${c.names[i]} took a Logon (${why})`);
  const cl = s.cluster as { leading?: unknown } | undefined;
  assertEquals(cl?.leading ?? null, null, `${c.names[i]} leading (${why})`);
}

/**
 * Starts the three members and logs a strict client on; resolves with the client and the
 * leader once all three members are in the in-sync set.
 */
async function startThreeInSync(c: EtcdCluster) {
  await Promise.all([c.start(0), c.start(1), c.start(2)]);
  const client = await startStrictClient(c.fixPorts);
  try {
    await client.until(() => client.loggedOn, "first logon");
    const leader = await c.leader();
    await waitUntil(async () => (await c.inSync(leader)).length === 3, "all three in sync");
    return { client, leader };
  } catch (e) {
    await client[Symbol.asyncDispose]();
    throw e;
  }
}

Deno.test({
  name:
    "cluster: a follower cut off from the leader (alive, reaching etcd) leaves the in-sync set, never leads or takes a Logon, and rejoins once healed",
  ignore,
  async fn() {
    await using c = await EtcdCluster.create({
      nodes: 3,
      minInSync: 2,
      maxLagMs: 800,
      leaseTtlMs: 2_000,
      relays: true,
    });
    const started = await startThreeInSync(c);
    await using client = started.client;
    const leader = started.leader;
    await client.stream(200, WINDOW);
    await client.until(() => client.filledOrders === 200, "200 filled");
    const cut = (leader + 1) % 3;
    const other = (leader + 2) % 3;
    const cutId = c.names[cut]!;
    // Only the link between this follower and the leader; it still reaches etcd and the
    // other follower still streams.
    c.replicationRelays[leader]!.cutFollower(cutId);
    const streaming = client.stream(800, WINDOW);
    streaming.catch(() => {});
    await waitUntil(
      async () => {
        const s = await c.inSync(leader);
        return s.length === 2 && !s.includes(cutId);
      },
      "the cut follower out of the in-sync set",
    );
    // Every member reads the shrink from etcd, the cut one included.
    await waitUntil(async () => !(await c.inSync(cut)).includes(cutId), "the cut member sees it");
    await streaming;
    await client.until(() => client.filledOrders === 800, "800 filled with a follower cut off");
    // Several lease TTLs with the cut in place: the cut member never leads nor takes a Logon.
    const until = Date.now() + 3 * 2_000;
    while (Date.now() < until) {
      await notLeading(c, cut, "while cut");
      await new Promise((r) => setTimeout(r, 200));
    }
    assertEquals(await c.leader(), leader, "the leader kept leading");
    assert((await lastIndex(c, cut)) < (await lastIndex(c, leader)), "the cut member fell behind");
    // Heal: it follows again, catches up and re-enters the in-sync set.
    c.replicationRelays[leader]!.heal();
    await client.stream(1_000, WINDOW);
    await client.until(() => client.filledOrders === 1_000, "1000 filled");
    await waitUntil(async () => (await c.inSync(leader)).length === 3, "the follower back in sync");
    await waitUntil(
      async () => (await lastIndex(c, cut)) === (await lastIndex(c, leader)),
      "the healed follower at the leader's last index",
    );
    assertEquals(await lastIndex(c, other), await lastIndex(c, leader));
    assertEquals(await c.leader(), leader, "no election");
    await sequencesAgree(c, leader, client);
    exactlyOnce(client);
  },
});

Deno.test({
  name:
    "cluster: with minInSync 1 a follower cut off from the leader is dropped from the in-sync set; when the leader dies it is not elected, and nothing diverges once the leader returns",
  ignore,
  async fn() {
    const ttlMs = 2_000;
    await using c = await EtcdCluster.create({
      nodes: 2,
      minInSync: 1,
      maxLagMs: 800,
      leaseTtlMs: ttlMs,
      relays: true,
    });
    await Promise.all([c.start(0), c.start(1)]);
    await using client = await startStrictClient(c.fixPorts);
    await client.until(() => client.loggedOn, "first logon");
    const leader = await c.leader();
    const follower = 1 - leader;
    await waitUntil(async () => (await c.inSync(leader)).length === 2, "both in sync");
    await client.stream(200, WINDOW);
    await client.until(() => client.filledOrders === 200, "200 filled");
    c.replicationRelays[leader]!.cut();
    const streaming = client.stream(700, WINDOW);
    streaming.catch(() => {});
    await waitUntil(
      async () => (await c.inSync(leader)).join() === c.names[leader],
      "the leader records the shrink to itself",
    );
    await waitUntil(
      async () => (await c.inSync(follower)).join() === c.names[leader],
      "the follower reads the shrink from etcd",
    );
    await streaming;
    await client.until(() => client.filledOrders === 700, "700 filled by the leader alone");
    const followerLast = await lastIndex(c, follower);
    assert(followerLast < (await lastIndex(c, leader)), "the follower misses what came after");
    // The leader dies. Its lease runs out at etcd; the excluded follower must not take over.
    await c.kill(leader);
    const until = Date.now() + 3 * ttlMs + 1_000;
    while (Date.now() < until) {
      await notLeading(c, follower, "after the leader died");
      await new Promise((r) => setTimeout(r, 200));
    }
    assertEquals(client.loggedOn, false, "the client found no member to log on to");
    assertEquals(await lastIndex(c, follower), followerLast, "the follower wrote nothing");
    // The leader returns (the link healed): it is elected again, the follower catches up.
    c.replicationRelays[leader]!.heal();
    await c.start(leader);
    assertEquals(await c.leader(60_000), leader);
    await client.until(() => client.loggedOn, "logon on the returned leader", 60_000);
    await client.stream(900, WINDOW);
    await client.until(() => client.filledOrders === 900, "900 filled", 60_000);
    await waitUntil(async () => (await c.inSync(leader)).length === 2, "the follower back in sync");
    await waitUntil(
      async () => (await lastIndex(c, follower)) === (await lastIndex(c, leader)),
      "the follower at the leader's last index",
    );
    await sequencesAgree(c, leader, client);
    exactlyOnce(client);
    // No divergence: the two journals hold the same records (epoch, kind, bytes).
    const end = await lastIndex(c, leader);
    await c.kill(0);
    await c.kill(1);
    await using a = await Journal.open(`${c.dir}/${c.names[leader]}-data`, { syncPolicy: "none" });
    await using b = await Journal.open(`${c.dir}/${c.names[follower]}-data`, {
      syncPolicy: "none",
    });
    assertEquals(b.lastIndex, end);
    for (let i = Math.max(1, a.firstIndex); i <= end; i++) {
      const x = a.read(i)!;
      const y = b.read(i)!;
      assertEquals(
        [y.epoch, y.kind, y.sessionId, y.seqNum, y.payload],
        [x.epoch, x.kind, x.sessionId, x.seqNum, x.payload],
        `record ${i}`,
      );
    }
  },
});

Deno.test({
  name:
    "cluster: a follower cut off from the leader is not elected when the leader dies and the in-sync follower is frozen; the in-sync one is, once it wakes",
  ignore,
  async fn() {
    const ttlMs = 2_000;
    await using c = await EtcdCluster.create({
      nodes: 3,
      minInSync: 2,
      maxLagMs: 800,
      leaseTtlMs: ttlMs,
      relays: true,
    });
    const started = await startThreeInSync(c);
    await using client = started.client;
    const leader = started.leader;
    const cut = (leader + 1) % 3;
    const other = (leader + 2) % 3;
    const cutId = c.names[cut]!;
    c.replicationRelays[leader]!.cutFollower(cutId);
    await client.stream(500, WINDOW);
    await waitUntil(
      async () => !(await c.inSync(cut)).includes(cutId),
      "the cut member reads its exclusion from etcd",
    );
    await client.until(() => client.filledOrders === 500, "500 filled with a follower cut off");
    // The only eligible member cannot campaign (frozen), the leader dies: nobody may lead.
    c.procs[other]!.kill("SIGSTOP");
    try {
      await c.kill(leader);
      const until = Date.now() + 3 * ttlMs + 1_000;
      while (Date.now() < until) {
        await notLeading(c, cut, "leader dead, in-sync follower frozen");
        await new Promise((r) => setTimeout(r, 200));
      }
    } finally {
      c.procs[other]!.kill("SIGCONT");
    }
    assertEquals(await c.leader(60_000), other, "the in-sync follower is elected");
    await client.until(() => client.loggedOn, "logon on the new leader", 60_000);
    await client.stream(900, WINDOW);
    await client.until(() => client.filledOrders === 900, "900 filled", 60_000);
    await waitUntil(
      async () => (await c.inSync(other)).includes(cutId),
      "the formerly cut member in sync with the new leader",
    );
    await waitUntil(
      async () => (await lastIndex(c, cut)) === (await lastIndex(c, other)),
      "the formerly cut member at the new leader's last index",
    );
    await sequencesAgree(c, other, client);
    exactlyOnce(client);
  },
});

Deno.test({
  name:
    "cluster under never: a follower whose acks always lag the leader's releases rejoins the in-sync set while orders flow",
  ignore,
  async fn() {
    // Under `never` the leader releases each answer at once. A follower that only joined at a
    // moment it had acknowledged everything released never joined while orders flowed, and a
    // cluster whose followers are out of the set cannot elect anybody when the leader dies.
    await using c = await EtcdCluster.create({
      nodes: 3,
      minInSync: 2,
      maxLagMs: 800,
      ackStrategy: "never",
      relays: true,
    });
    const started = await startThreeInSync(c);
    await using client = started.client;
    const leader = started.leader;
    const far = (leader + 1) % 3;
    const farId = c.names[far]!;
    c.replicationRelays[leader]!.cutFollower(farId);
    await waitUntil(
      async () => !(await c.inSync(leader)).includes(farId),
      `${farId} out of the in-sync set`,
    );
    // Back, but distant: its acks come 40 ms late, behind answers released every millisecond.
    c.replicationRelays[leader]!.delayFollowers(40);
    c.replicationRelays[leader]!.heal();
    const total = 1_000_000;
    const streaming = client.stream(total, WINDOW);
    streaming.catch(() => {});
    try {
      await waitUntil(
        async () => (await c.inSync(leader)).includes(farId),
        `${farId} back in the in-sync set while orders flow`,
        20_000,
      );
      assert(client.sent < total, "the orders were still flowing");
      assert(client.filledOrders > 0);
    } finally {
      client.stop();
    }
  },
});
