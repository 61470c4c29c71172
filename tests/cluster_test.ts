/**
 * Cluster mode end to end: real etcd on loopback (`/usr/bin/etcd`), real
 * Tandem members as `main.ts` processes killed with SIGKILL or frozen with
 * SIGSTOP, and an in-process initiator sending orders to the members' FIX
 * ports in turn. Skipped with a message when etcd is not installed
 * (`bash .ci/install_etcd.sh`).
 *
 * @module
 */

import { assert, assertEquals } from "../lib/testing/assert.ts";
import { etcdInstalled } from "../lib/testing/etcd_server.ts";
import {
  CLUSTER_SESSION,
  EtcdCluster,
  exactlyOnce,
  sequencesAgree,
  startStrictClient,
} from "./_cluster.ts";
import { admin, metricValue, status, waitUntil } from "./_failover_cluster.ts";
import { OrderClient } from "./_failover_client.ts";
import { type CliIo, runCli } from "../lib/cli/mod.ts";

const ignore = !etcdInstalled();
if (ignore) console.warn("etcd is not installed (bash .ci/install_etcd.sh): cluster tests skipped");

const KILLS = Number(Deno.env.get("CLUSTER_KILLS") ?? 10);
const ORDERS_PER_TRIAL = 1_000;
const WINDOW = 100;

interface SessionStatus {
  key: string;
  nextSenderSeqNum: number;
  nextTargetSeqNum: number;
}

async function sessionOf(adminPort: number): Promise<SessionStatus> {
  const s = await status(adminPort);
  const found = ((s?.sessions ?? []) as SessionStatus[]).find((x) => x.key === CLUSTER_SESSION);
  if (!found) throw new Error(`no session ${CLUSTER_SESSION} in /status of port ${adminPort}`);
  return found;
}

Deno.test({
  name:
    "cluster, 3 nodes, forever: every order executed exactly once across SIGKILLs of the leader, trading resumes without the killed node",
  ignore,
  async fn() {
    await using c = await EtcdCluster.create({ nodes: 3, minInSync: 2, maxLagMs: 1_000 });
    await Promise.all([c.start(0), c.start(1), c.start(2)]);
    let killedAtMs = 0;
    const failoverMs: number[] = [];
    await using client = await startStrictClient(c.fixPorts, {
      onLogon: () => {
        if (killedAtMs > 0) failoverMs.push(Date.now() - killedAtMs);
        killedAtMs = 0;
      },
    });
    await client.until(() => client.loggedOn, "first logon");
    const epochs: number[] = [];
    for (let trial = 0; trial < KILLS; trial++) {
      const leader = await c.leader();
      epochs.push(((await status(c.ports[leader]!.admin))!.epoch) as number);
      const base = client.sent;
      const killAt = base + 100 + Math.floor(Math.random() * (ORDERS_PER_TRIAL - 200));
      const seqBefore = await sessionOf(c.ports[leader]!.admin);
      const logonsBefore = client.logons;
      let reached = false;
      const streaming = client.stream(base + ORDERS_PER_TRIAL, WINDOW, (n) => {
        if (n !== killAt) return;
        reached = true;
        killedAtMs = Date.now();
        c.procs[leader]!.kill("SIGKILL");
      });
      streaming.catch(() => {});
      await client.until(() => reached, "the kill point");
      await c.kill(leader);
      // Trading resumes on the two survivors: the killed node stays down meanwhile.
      await client.until(() => client.logons > logonsBefore, "logon to the new leader");
      await streaming;
      await client.until(() => client.filledOrders === client.sent, `all ${client.sent} filled`);
      const now = await c.leader();
      assert(now !== leader);
      await sequencesAgree(c, now, client);
      const seqAfter = await sessionOf(c.ports[now]!.admin);
      assert(seqAfter.nextSenderSeqNum > seqBefore.nextSenderSeqNum, "outbound continued");
      assert(seqAfter.nextTargetSeqNum > seqBefore.nextTargetSeqNum, "inbound continued");
      // Only now does the killed node come back; it rejoins as a follower and catches up.
      await c.start(leader);
      await waitUntil(
        async () => (await c.inSync(now)).length === 3,
        `${c.names[leader]} back in the in-sync set`,
      );
    }
    exactlyOnce(client);
    assertEquals(client.filledOrders, KILLS * ORDERS_PER_TRIAL);
    assertEquals(failoverMs.length, KILLS);
    for (let i = 1; i < epochs.length; i++) {
      assert(epochs[i]! > epochs[i - 1]!, `epochs strictly increase: ${epochs.join(", ")}`);
    }
    const leader = await c.leader();
    const metrics = (await admin(c.ports[leader]!.admin, "/metrics"))!.body;
    assert(metricValue(metrics, "tandem_cluster_elections_total") >= 1);
    assertEquals(metricValue(metrics, "tandem_cluster_in_sync_members"), 3);
    assertEquals(metricValue(metrics, "tandem_cluster_etcd_healthy"), 1);
    const sorted = [...failoverMs].sort((a, b) => a - b);
    console.log(
      `cluster SIGKILL failover (kill -> logon on the new leader) over ${KILLS} kills: ` +
        `p50 ${sorted[Math.floor(sorted.length / 2)]} ms, max ${sorted.at(-1)} ms; epochs ${
          epochs.join(",")
        }`,
    );
  },
});

/** A relay from the client to one node's FIX port that counts the bytes the node sends. */
class CountingRelay implements AsyncDisposable {
  readonly port: number;
  toClientBytes = 0;
  readonly #listener: Deno.TcpListener;
  readonly #conns = new Set<Deno.TcpConn>();
  readonly #loop: Promise<void>;
  readonly #tasks = new Set<Promise<void>>();

  constructor(target: number) {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    this.#listener = listener;
    this.port = (listener.addr as Deno.NetAddr).port;
    this.#loop = (async () => {
      try {
        for await (const a of listener) {
          const t = this.#pipe(a, target);
          this.#tasks.add(t);
          t.finally(() => this.#tasks.delete(t));
        }
      } catch { /* closed */ }
    })();
  }

  async #pipe(a: Deno.TcpConn, target: number): Promise<void> {
    let b: Deno.TcpConn;
    try {
      b = await Deno.connect({ hostname: "127.0.0.1", port: target });
    } catch {
      a.close();
      return;
    }
    this.#conns.add(a);
    this.#conns.add(b);
    const copy = async (from: Deno.TcpConn, to: Deno.TcpConn, count: boolean) => {
      const buf = new Uint8Array(16 * 1024);
      try {
        while (true) {
          const n = await from.read(buf);
          if (n === null) break;
          if (count) this.toClientBytes += n;
          let off = 0;
          while (off < n) off += await to.write(buf.subarray(off, n));
        }
      } catch { /* closed */ }
      for (const x of [from, to]) {
        if (this.#conns.delete(x)) {
          try {
            x.close();
          } catch { /* closed */ }
        }
      }
    };
    await Promise.all([copy(a, b, false), copy(b, a, true)]);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.#listener.close();
    for (const x of this.#conns) {
      try {
        x.close();
      } catch { /* closed */ }
    }
    await this.#loop;
    await Promise.all([...this.#tasks]);
  }
}

Deno.test({
  name:
    "cluster, SIGSTOP of the leader: a new leader within leaseTtlMs + 1 s; after SIGCONT the old leader sends the counterparty nothing",
  ignore,
  async fn() {
    const leaseTtlMs = 2_000;
    // `never`: a leader answers at once, so only fencing keeps a woken leader quiet (under
    // `forever` the followers' missing acks would hold it back as well).
    await using c = await EtcdCluster.create({
      nodes: 3,
      minInSync: 2,
      leaseTtlMs,
      ackStrategy: "never",
    });
    await Promise.all([c.start(0), c.start(1), c.start(2)]);
    const relays = c.fixPorts.map((p) => new CountingRelay(p));
    try {
      // Long heartbeats: the client stays connected to the frozen leader, so anything the
      // leader sent after waking would reach it.
      await using client = await startStrictClient(relays.map((r) => r.port));
      await client.until(() => client.loggedOn, "first logon");
      const old = await c.leader();
      await client.stream(300, WINDOW);
      await client.until(() => client.filledOrders === 300, "300 filled");
      await waitUntil(async () => {
        const l = (await c.cluster(old))?.leading as { acks: Record<string, number> } | null;
        const last = ((await status(c.ports[old]!.admin))?.journal as { lastIndex: number })
          .lastIndex;
        return l !== null && Object.values(l.acks).length === 2 &&
          Object.values(l.acks).every((a) => a === last);
      }, "followers caught up");
      // Only members recorded in etcd's in-sync set may campaign, and the leader records a
      // follower that caught up at its next poll, after an etcd write: on a loaded machine that
      // can come after the stream above. Wait for etcd to record both, or nobody may take over.
      await waitUntil(async () => (await c.inSync(old)).length === 3, "3 members in sync");
      c.procs[old]!.kill("SIGSTOP");
      const stoppedAt = Date.now();
      // Orders the frozen leader will find in its socket when it wakes.
      for (let i = 0; i < 50; i++) client.sendOrder();
      const next = await c.leader(30_000, old, "a new leader");
      const electedMs = Date.now() - stoppedAt;
      const sentBefore = relays[old]!.toClientBytes;
      c.procs[old]!.kill("SIGCONT");
      await c.procs[old]!.waitFor("fencing: this node stops leading", 30_000);
      await waitUntil(
        async () => (await status(c.ports[old]!.admin))?.role === "secondary",
        "old leader follows",
      );
      await new Promise((r) => setTimeout(r, 500));
      assertEquals(
        relays[old]!.toClientBytes,
        sentBefore,
        "the old leader sent bytes to the counterparty after waking in its old epoch",
      );
      // The client moves to the new leader and trades on, without a sequence anomaly.
      await client.until(
        () => client.logons >= 2 && client.loggedOn,
        "logon to the new leader",
        60_000,
      );
      await client.stream(600, WINDOW);
      await client.until(() => client.filledOrders >= 550, "orders filled", 60_000);
      await sequencesAgree(c, next, client);
      assertEquals(client.duplicates, 0);
      console.log(
        `cluster SIGSTOP -> new leader accepting: ${electedMs} ms (leaseTtlMs ${leaseTtlMs})`,
      );
      assert(electedMs <= leaseTtlMs + 1_000, `elected after ${electedMs} ms`);
    } finally {
      for (const r of relays) await r[Symbol.asyncDispose]();
    }
  },
});

Deno.test({
  name:
    "cluster, 2 nodes, minInSync 1: the follower's death shrinks the in-sync set and trading continues; the excluded follower is never elected",
  ignore,
  async fn() {
    await using c = await EtcdCluster.create({ nodes: 2, minInSync: 1, maxLagMs: 500 });
    await Promise.all([c.start(0), c.start(1)]);
    await using client = await OrderClient.start({ ports: c.fixPorts, reconnectDelayMs: 50 });
    await client.until(() => client.loggedOn, "first logon");
    const leader = await c.leader();
    const follower = 1 - leader;
    await waitUntil(async () => (await c.inSync(leader)).length === 2, "both in sync");
    await client.stream(200, WINDOW);
    await client.until(() => client.filledOrders === 200, "200 filled");
    await c.kill(follower);
    await client.stream(600, WINDOW);
    await client.until(
      () => client.filledOrders === 600,
      "600 filled without the follower",
      30_000,
    );
    // The shrink is recorded before the first release without the follower; /status shows the
    // set read at the member's next poll.
    await waitUntil(
      async () => JSON.stringify(await c.inSync(leader)) === JSON.stringify([c.names[leader]]),
      "the in-sync set to be the leader alone",
    );
    // The leader dies too; the excluded follower comes back and must not lead.
    await c.kill(leader);
    await c.start(follower);
    await new Promise((r) => setTimeout(r, 3_000));
    const s = await status(c.ports[follower]!.admin);
    assertEquals(s?.role, "secondary");
    assertEquals(s?.acceptingLogons, false);
    assertEquals(client.wrongOrders().slice(0, 10), []);
  },
});

Deno.test({
  name:
    "tandem cluster status against real members: the leader lists every member in sync with its lag, a follower names the leader",
  ignore,
  async fn() {
    await using c = await EtcdCluster.create({ nodes: 3, minInSync: 2 });
    await Promise.all([c.start(0), c.start(1), c.start(2)]);
    const leader = await c.leader();
    await waitUntil(async () => (await c.inSync(leader)).length === 3, "3 members in sync");
    const ask = async (i: number, json: boolean) => {
      const out: string[] = [];
      const io: CliIo = {
        stdout: (t) => out.push(t),
        stderr: (t) => out.push(t),
        env: {},
        stderrIsTerminal: false,
        signal: new AbortController().signal,
      };
      const args = ["cluster", "status", "--admin", `127.0.0.1:${c.ports[i]!.admin}`];
      assertEquals(await runCli(json ? [...args, "--json"] : args, io), 0, out.join(""));
      return out.join("");
    };
    const fromLeader = JSON.parse(await ask(leader, true));
    assertEquals(fromLeader.leader, c.names[leader]);
    assertEquals(fromLeader.etcdHealthy, true);
    assertEquals([...fromLeader.inSync].sort(), ["n1", "n2", "n3"]);
    assertEquals(
      fromLeader.members.map((m: { member: string; role: string; inSync: boolean }) => [
        m.member,
        m.role,
        m.inSync,
      ]),
      c.names.map((n) => [n, n === c.names[leader] ? "leader" : "follower", true]),
    );
    for (const m of fromLeader.members) assertEquals(typeof m.lagRecords, "number");
    const follower = (leader + 1) % 3;
    const text = await ask(follower, false);
    assert(text.includes(`leader:       ${c.names[leader]} at 127.0.0.1:`), text);
    assert(/^n\d +follower +yes +streaming/m.test(text), text);
  },
});
