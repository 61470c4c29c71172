/**
 * Cluster mode when etcd itself fails: a three-member etcd (real processes on
 * loopback) whose members are stopped gracefully (SIGTERM: etcd closes its
 * client connections first), SIGKILLed one at a time, or all SIGKILLed and
 * restarted on their data directories, or an etcd that lost its data; real
 * Tandem members and an in-process initiator trading throughout.
 *
 * @module
 */

import { assert, assertEquals } from "../lib/testing/assert.ts";
import { etcdInstalled } from "../lib/testing/etcd_server.ts";
import { Journal } from "../lib/journal/mod.ts";
import { EtcdHttpClient } from "../lib/coordination/etcd_http.ts";
import {
  EtcdCluster,
  exactlyOnce,
  lastIndex,
  sequencesAgree,
  startStrictClient,
} from "./_cluster.ts";
import { status, tryLogon, waitUntil } from "./_failover_cluster.ts";

const ignore = !etcdInstalled();
if (ignore) console.warn("etcd is not installed (bash .ci/install_etcd.sh): cluster tests skipped");
const WINDOW = 100;
/** Rounds of graceful stops; each stops one etcd member (in turn) and restarts it. */
const STOPS = Number(Deno.env.get("CLUSTER_ETCD_STOPS") ?? 30);

/** Records every member process that ends (it must not, in these tests, until the end). */
function watchExits(c: EtcdCluster): string[] {
  const exits: string[] = [];
  for (const p of c.procs) {
    p?.status.then((s) => {
      exits.push(`${p.name} exited with code ${s.code}${s.signal ? ` (${s.signal})` : ""}`);
    });
  }
  return exits;
}

function fenced(c: EtcdCluster): string[] {
  return c.procs.flatMap((p) =>
    p?.lines.some((l) => l.includes("fencing: this node stops leading")) ? [p.name] : []
  );
}

Deno.test({
  name:
    "cluster: graceful stops (SIGTERM) of etcd's members, each in turn and restarted, change nothing: no member exits, no election, no fence, trading goes on",
  ignore,
  async fn() {
    await using c = await EtcdCluster.create({
      nodes: 3,
      minInSync: 2,
      leaseTtlMs: 5_000,
      safetyMarginMs: 1_000,
      etcdCluster: true,
      // Many calls in flight when a member stops.
      pollIntervalMs: 10,
    });
    await Promise.all([c.start(0), c.start(1), c.start(2)]);
    const exits = watchExits(c);
    await using client = await startStrictClient(c.fixPorts);
    await client.until(() => client.loggedOn, "first logon");
    const leader = await c.leader();
    const epoch = (await status(c.ports[leader]!.admin))!.epoch as number;
    let target = 300;
    await client.stream(target, WINDOW);
    await client.until(() => client.filledOrders === target, `${target} filled`);
    const etcd = c.etcdServers!;
    let survived = 0;
    for (let round = 0; round < STOPS; round++) {
      const member = round % 3;
      // Orders flow while the member stops; every member polls etcd every 50 ms meanwhile.
      target += 100;
      const streaming = client.stream(target, WINDOW);
      await etcd.stop(member, "SIGTERM");
      await streaming;
      await client.until(() => client.filledOrders === target, `${target} filled`, 60_000);
      // The last stop lasts longer than a lease: renewals go through the two members left.
      const downMs = round === STOPS - 1 ? 6_000 : 300;
      await new Promise((r) => setTimeout(r, downMs));
      assertEquals(
        exits,
        [],
        `after graceful stop ${round + 1} (etcd member ${member}; ${c.names[leader]} leads)`,
      );
      etcd.restart(member);
      await etcd.healthy();
      survived++;
    }
    target += 200;
    await client.stream(target, WINDOW);
    await client.until(() => client.filledOrders === target, `${target} filled`, 60_000);
    assertEquals(exits, []);
    assertEquals(survived, STOPS);
    assertEquals(await c.leader(), leader);
    assertEquals((await status(c.ports[leader]!.admin))!.epoch, epoch, "no election");
    assertEquals(client.logons, 1, "the session never dropped");
    assertEquals(fenced(c), []);
    await sequencesAgree(c, leader, client);
    exactlyOnce(client);
    console.log(
      `graceful etcd member stops survived: ${survived}; ${client.filledOrders} orders filled, ` +
        `epoch ${epoch} throughout, 1 logon`,
    );
  },
});

Deno.test({
  name:
    "cluster: etcd losing one of its three members (its Raft leader, SIGKILL) changes nothing: no election, no fence, trading goes on",
  ignore,
  async fn() {
    await using c = await EtcdCluster.create({
      nodes: 3,
      minInSync: 2,
      leaseTtlMs: 5_000,
      safetyMarginMs: 1_000,
      etcdCluster: true,
    });
    await Promise.all([c.start(0), c.start(1), c.start(2)]);
    const exits = watchExits(c);
    await using client = await startStrictClient(c.fixPorts);
    await client.until(() => client.loggedOn, "first logon");
    const leader = await c.leader();
    const epoch = (await status(c.ports[leader]!.admin))!.epoch as number;
    await client.stream(300, WINDOW);
    await client.until(() => client.filledOrders === 300, "300 filled");
    const etcdLeader = await c.etcdServers!.leader();
    assert(etcdLeader >= 0, "etcd has a leader");
    await c.etcdServers!.kill(etcdLeader);
    await client.stream(1_000, WINDOW);
    await client.until(() => client.filledOrders === 1_000, "1000 filled", 60_000);
    // Long enough for a lease without renewals to have run out.
    await new Promise((r) => setTimeout(r, 5_000));
    await client.stream(1_200, WINDOW);
    await client.until(() => client.filledOrders === 1_200, "1200 filled", 60_000);
    assertEquals(exits, []);
    assertEquals(await c.leader(), leader);
    assertEquals((await status(c.ports[leader]!.admin))!.epoch, epoch, "no election");
    assertEquals(client.logons, 1, "the session never dropped");
    assertEquals(fenced(c), []);
    await sequencesAgree(c, leader, client);
    exactlyOnce(client);
  },
});

Deno.test({
  name:
    "cluster: all three etcd members SIGKILLed: the leader fences within its lease and nobody takes a Logon; etcd restarted on its data: a leader again, trading continues, journals agree",
  ignore,
  async fn() {
    const leaseTtlMs = 2_000;
    await using c = await EtcdCluster.create({
      nodes: 3,
      minInSync: 2,
      leaseTtlMs,
      safetyMarginMs: 500,
      etcdCluster: true,
    });
    await Promise.all([c.start(0), c.start(1), c.start(2)]);
    const exits = watchExits(c);
    await using client = await startStrictClient(c.fixPorts);
    await client.until(() => client.loggedOn, "first logon");
    const old = await c.leader();
    const epochBefore = (await status(c.ports[old]!.admin))!.epoch as number;
    await waitUntil(async () => (await c.inSync(old)).length === 3, "all three in sync");
    await client.stream(300, WINDOW);
    await client.until(() => client.filledOrders === 300, "300 filled");
    const etcd = c.etcdServers!;
    const killedAt = Date.now();
    for (let i = 0; i < 3; i++) await etcd.kill(i);
    await c.procs[old]!.waitFor("fencing: this node stops leading", 30_000);
    const fencedMs = Date.now() - killedAt;
    // Nobody leads: no member accepts a Logon, however long etcd stays away.
    await waitUntil(async () => {
      for (let i = 0; i < 3; i++) {
        if ((await status(c.ports[i]!.admin))?.acceptingLogons !== false) return false;
      }
      return true;
    }, "no member accepting logons");
    await waitUntil(() => !client.loggedOn, "the counterparty logged out");
    const until = Date.now() + 2 * leaseTtlMs;
    while (Date.now() < until) {
      for (let i = 0; i < 3; i++) {
        assertEquals(await tryLogon(c.ports[i]!.fix, 500), false, `${c.names[i]} took a Logon`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    assertEquals(client.filledOrders, 300);
    assert(fencedMs <= leaseTtlMs + 2_000, `fenced ${fencedMs} ms after etcd died`);
    // etcd comes back on its data: the epoch counter and the in-sync set are still there.
    const restartedAt = Date.now();
    for (let i = 0; i < 3; i++) etcd.restart(i);
    await etcd.healthy();
    const next = await c.leader(60_000);
    const leaderlessMs = Date.now() - killedAt;
    const electedMs = Date.now() - restartedAt;
    assert(((await status(c.ports[next]!.admin))!.epoch as number) > epochBefore, "a new epoch");
    await client.until(() => client.loggedOn, "logon after etcd returned", 60_000);
    await client.stream(900, WINDOW);
    await client.until(() => client.filledOrders === 900, "900 filled", 60_000);
    await sequencesAgree(c, next, client);
    exactlyOnce(client);
    assertEquals(exits, []);
    // No divergence: every member holds the leader's records.
    await waitUntil(async () => {
      const l = await lastIndex(c, next);
      return (await lastIndex(c, 0)) === l && (await lastIndex(c, 1)) === l &&
        (await lastIndex(c, 2)) === l;
    }, "every member at the leader's last index");
    const end = await lastIndex(c, next);
    for (let i = 0; i < 3; i++) await c.kill(i);
    const journals = [];
    for (const name of c.names) {
      journals.push(await Journal.open(`${c.dir}/${name}-data`, { syncPolicy: "none" }));
    }
    try {
      const a = journals[next]!;
      for (const b of journals) {
        assertEquals(b.lastIndex, end);
        for (let i = Math.max(1, a.firstIndex, b.firstIndex); i <= end; i++) {
          const x = a.read(i)!;
          const y = b.read(i)!;
          assertEquals(
            [y.epoch, y.kind, y.sessionId, y.seqNum, y.payload],
            [x.epoch, x.kind, x.sessionId, x.seqNum, x.payload],
            `record ${i}`,
          );
        }
      }
    } finally {
      for (const j of journals) await j[Symbol.asyncDispose]();
    }
    console.log(
      `all etcd members SIGKILLed: leader fenced after ${fencedMs} ms (leaseTtlMs ${leaseTtlMs}); ` +
        `etcd restarted -> leader accepting after ${electedMs} ms; ` +
        `${leaderlessMs} ms without a leader in all`,
    );
  },
});

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
    "cluster: on an etcd that lost its data, the member whose journal is further ahead is elected even when a member behind starts first; nothing is quarantined",
  ignore,
  async fn() {
    const leaseTtlMs = 5_000;
    await using c = await EtcdCluster.create({
      nodes: 2,
      minInSync: 1,
      maxLagMs: 500,
      leaseTtlMs,
      safetyMarginMs: 1_000,
    });
    await Promise.all([c.start(0), c.start(1)]);
    await using client = await startStrictClient(c.fixPorts);
    await client.until(() => client.loggedOn, "first logon", 60_000);
    const ahead = await c.leader(60_000);
    const behind = 1 - ahead;
    await waitUntil(async () => (await c.inSync(ahead)).length === 2, "both in sync");
    await client.stream(200, WINDOW);
    await client.until(() => client.filledOrders === 200, "200 filled");
    await c.kill(behind);
    await client.stream(600, WINDOW);
    await client.until(() => client.filledOrders === 600, "600 filled by the leader alone");
    const aheadLast = await lastIndex(c, ahead);
    await c.kill(ahead);
    // etcd loses everything: no leader, no epoch counter, no in-sync set to choose by.
    {
      await using etcd = new EtcdHttpClient({ endpoints: [c.etcd!.endpoint] });
      assert((await etcd.delete("/", { prefix: true })) > 0, "the cluster keys were there");
    }
    // The member behind starts first and has etcd to itself for a while.
    const first = await c.start(behind);
    await c.start(ahead);
    assertEquals(await c.leader(60_000), ahead, "the member further ahead leads");
    await first.waitFor("first election: deferring to a member whose journal is further ahead");
    await client.until(() => client.loggedOn, "logon on the member further ahead", 60_000);
    await client.stream(900, WINDOW);
    await client.until(() => client.filledOrders === 900, "900 filled", 60_000);
    await sequencesAgree(c, ahead, client);
    exactlyOnce(client);
    await waitUntil(
      async () => (await lastIndex(c, behind)) === (await lastIndex(c, ahead)),
      "the member behind caught up",
    );
    assert((await lastIndex(c, ahead)) > aheadLast);
    assertEquals(await quarantineFiles(c.dir), 0, "a journal suffix was quarantined");
  },
});
