/**
 * A replicated gateway (`node.role: initiator` with `node.ha` or etcd) in
 * front of a real QuickFIX C++ acceptor (the venue): only the leader connects
 * out; after the leader's SIGKILL (or its partition) another member connects
 * out with the replicated sequence numbers and continues the same session —
 * no duplicate order at the venue, no sequence reset, no "MsgSeqNum too low",
 * never two of our connections logged on at once. Real processes, real etcd.
 *
 * @module
 */

import { assert, assertEquals } from "../lib/testing/assert.ts";
import { ensureQfPeer, type QfAcceptor, startQfAcceptor } from "./interop/_peer.ts";
import { admin, status, waitUntil } from "./_failover_cluster.ts";
import { EtcdCluster } from "./_cluster.ts";
import { ReplicationRelay } from "./_replication_relay.ts";
import {
  assertVenueHistoryClean,
  GatewayPair,
  gatewaySession,
  sendOrder,
  waitLoggedOn,
  waitTargetSeq,
} from "./_gateway_ha.ts";
import type { NodeProcess } from "./_failover_cluster.ts";

const build = await ensureQfPeer();
const ignore = !build.ok;
if (!build.ok) console.error(`gateway_ha_test: QuickFIX peer not available: ${build.reason}`);

async function startVenue(dir: string): Promise<QfAcceptor> {
  return await startQfAcceptor({
    dataDir: dir,
    senderCompId: "VENUE",
    targetCompId: "TANDEM",
    heartbeatIntervalS: 30,
  });
}

/** Sends `ids` one at a time through the API on `apiPort`. */
async function sendAll(apiPort: number, ids: string[]): Promise<void> {
  for (const id of ids) await sendOrder(apiPort, id);
}

const range = (prefix: string, from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => `${prefix}-${from + i}`);

/** Time of the first JSON log line of `p` whose msg is `msg` (from line `from`), in ms. */
function logTimeMs(p: NodeProcess, msg: string, from = 0): number {
  for (const l of p.lines.slice(from)) {
    if (!l.startsWith("{")) continue;
    const o = JSON.parse(l) as { ts?: string; msg?: string };
    if (o.msg === msg && o.ts !== undefined) return Date.parse(o.ts);
  }
  return NaN;
}

Deno.test({
  name:
    "gateway pair under forever: only the primary connects out; after its SIGKILL the promoted secondary continues the session with the replicated sequence numbers, no duplicate, no reset",
  ignore,
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const venueDir = await Deno.makeTempDir({ prefix: "tandem-gwha-venue-" });
    try {
      await using venue = await startVenue(venueDir);
      await using pair = await GatewayPair.create(venue.port, "forever");
      await pair.start("a", "primary");
      await pair.start("b", "secondary");
      await waitLoggedOn(pair.ports.a.admin);
      await sendAll(pair.ports.a.fix, range("GW", 1, 20));
      // Logon + 20 × (New, Filled) from the venue.
      await waitTargetSeq(pair.ports.a.admin, 42);
      const before = await status(pair.ports.b.admin);
      assertEquals([before?.role, before?.nodeRole], ["secondary", "initiator"]);
      assertEquals((await gatewaySession(pair.ports.b.admin))?.served, false);
      assertEquals(venue.events.filter((e) => e.event === "logon").length, 1, "b never connected");
      const a = await status(pair.ports.a.admin);
      assertEquals([a?.role, a?.nodeRole], ["primary", "initiator"]);
      const readyA = await admin(pair.ports.a.admin, "/ready");
      assertEquals(readyA?.status, 200, readyA?.body);
      assertEquals((await admin(pair.ports.b.admin, "/ready"))?.status, 200, "b caught up");
      const metricsB = (await admin(pair.ports.b.admin, "/metrics"))?.body ?? "";
      assert(metricsB.includes('tandem_role{role="secondary"} 1'), "tandem_role of b");

      await pair.kill("a");
      await venue.waitForEvent("disconnect");
      const promoted = await admin(pair.ports.b.admin, "/promote", "POST");
      assertEquals(promoted?.status, 200, promoted?.body);
      // Under forever the new primary releases nothing (its Logon neither) until a replica has
      // it: the old primary comes back as its secondary.
      await pair.start("a", "secondary");
      await waitLoggedOn(pair.ports.b.admin);
      await sendAll(pair.ports.b.fix, range("GW", 21, 40));
      await waitTargetSeq(pair.ports.b.admin, 83);
      assertEquals((await gatewaySession(pair.ports.a.admin))?.served, false);
      const ours = await gatewaySession(pair.ports.b.admin);
      const summary = await venue.stop();
      assert(summary.ok, summary.reason);
      assertEquals(summary.duplicates, 0);
      assertEquals(summary.ordersReceived, 40);
      assertEquals(summary.logons, 2);
      assertVenueHistoryClean(venue.events);
      // The venue continued our numbers (its final Logout exchange may add one each way).
      assert(summary.nextTargetSeq >= Number(ours?.nextSenderSeqNum), JSON.stringify(summary));
      const second = venue.events.filter((e) => e.event === "logon")[1]!;
      assert(second.nextTargetSeq > 21, `second logon continued: ${JSON.stringify(second)}`);
    } finally {
      await Deno.remove(venueDir, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "gateway cluster of 3 with etcd: after the leader's SIGKILL another member takes the session over with the replicated sequence numbers",
  ignore,
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const venueDir = await Deno.makeTempDir({ prefix: "tandem-gwha-venue-" });
    try {
      await using venue = await startVenue(venueDir);
      await using c = await EtcdCluster.create({
        nodes: 3,
        gateway: { venuePort: venue.port },
      });
      for (let i = 0; i < 3; i++) await c.start(i);
      const first = await c.leader(60_000);
      await waitLoggedOn(c.ports[first]!.admin);
      for (let i = 0; i < 3; i++) {
        if (i === first) continue;
        assertEquals((await status(c.ports[i]!.admin))?.role, "secondary");
      }
      await sendAll(c.ports[first]!.fix, range("CL", 1, 10));
      await waitTargetSeq(c.ports[first]!.admin, 22);
      assertEquals(venue.events.filter((e) => e.event === "logon").length, 1);
      // Only an in-sync member may be elected: the followers must have joined the set first.
      await waitUntil(async () => (await c.inSync(first)).length === 3, "3 members in sync");
      // A follower may hold records past the leader's commit point that another follower's
      // election would discard: it sends programs to the leader's stream.
      for (let i = 0; i < 3; i++) {
        if (i === first) continue;
        const r = await fetch(`http://127.0.0.1:${c.ports[i]!.fix}/stream?from=1`, {
          headers: { upgrade: "websocket" },
        });
        const body = await r.json();
        assertEquals([r.status, body.leader?.nodeId], [503, c.names[first]], JSON.stringify(body));
      }

      await c.kill(first);
      const next = await c.leader(60_000, first, "another gateway leading");
      await waitLoggedOn(c.ports[next]!.admin);
      await sendAll(c.ports[next]!.fix, range("CL", 11, 20));
      await waitTargetSeq(c.ports[next]!.admin, 43);
      const ours = await gatewaySession(c.ports[next]!.admin);
      const summary = await venue.stop();
      assert(summary.ok, summary.reason);
      assertEquals([summary.duplicates, summary.ordersReceived, summary.logons], [0, 20, 2]);
      assertVenueHistoryClean(venue.events);
      assert(summary.nextTargetSeq >= Number(ours?.nextSenderSeqNum), JSON.stringify(summary));
    } finally {
      await Deno.remove(venueDir, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "gateway cluster: a leader cut off from etcd and its followers drops its venue connection before another member connects out; the venue never sees two sessions at once",
  ignore,
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const venueDir = await Deno.makeTempDir({ prefix: "tandem-gwha-venue-" });
    try {
      await using venue = await startVenue(venueDir);
      await using c = await EtcdCluster.create({
        nodes: 3,
        relays: true,
        gateway: { venuePort: venue.port },
      });
      for (let i = 0; i < 3; i++) await c.start(i);
      const old = await c.leader(60_000);
      await waitLoggedOn(c.ports[old]!.admin);
      await sendAll(c.ports[old]!.fix, range("PT", 1, 5));
      await waitTargetSeq(c.ports[old]!.admin, 12);
      await waitUntil(async () => (await c.inSync(old)).length === 3, "3 members in sync");
      const oldProc = c.procs[old]!;
      const mark = oldProc.lines.length;

      c.etcdRelays[old]!.cut();
      c.replicationRelays[old]!.cut();
      const next = await c.leader(60_000, old, "a new gateway leader");
      await waitLoggedOn(c.ports[next]!.admin);
      await oldProc.waitFor("stopped connecting out: connections dropped", 30_000, mark);
      const stoppedAtMs = logTimeMs(oldProc, "stopped connecting out: connections dropped", mark);
      const newProc = c.procs[next]!;
      const connectingAtMs = logTimeMs(newProc, "leading: connecting out");
      assert(
        stoppedAtMs < connectingAtMs,
        `old leader stopped at ${stoppedAtMs}, new one connected out at ${connectingAtMs}`,
      );
      // The venue took the new leader's first attempt: the old connection was gone already (a
      // second logon of the session would have been refused and the attempt failed).
      const failed = newProc.lines.filter((l) => l.includes('"connection attempt failed"'));
      assertEquals(failed, [], "the new leader's attempts all succeeded");
      // The fenced leader stays off the venue.
      assertEquals((await gatewaySession(c.ports[old]!.admin))?.loggedOn, false);
      await sendAll(c.ports[next]!.fix, range("PT", 6, 10));
      await waitTargetSeq(c.ports[next]!.admin, 23);
      const summary = await venue.stop();
      assert(summary.ok, summary.reason);
      assertEquals([summary.duplicates, summary.ordersReceived, summary.logons], [0, 10, 2]);
      assertVenueHistoryClean(venue.events);
    } finally {
      await Deno.remove(venueDir, { recursive: true });
    }
  },
});

/** `journal.lastIndex` of the node on `adminPort` (0 when unreachable). */
async function lastIndex(adminPort: number): Promise<number> {
  const s = await status(adminPort);
  return Number((s?.journal as { lastIndex?: number } | undefined)?.lastIndex ?? 0);
}

Deno.test({
  name:
    "gateway pair under forever: orders the old primary journaled and replicated but never sent reach the venue once, by the venue's ResendRequest to the new primary",
  ignore,
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const venueDir = await Deno.makeTempDir({ prefix: "tandem-gwha-venue-" });
    try {
      await using venue = await startVenue(venueDir);
      await using pair = await GatewayPair.create(venue.port, "forever");
      await using relay = new ReplicationRelay(pair.ports.a.replication);
      // Heartbeats every second: the primary drops a silent follower after 3 s, long after the
      // held orders reached it.
      await pair.start("a", "primary", { heartbeatIntervalMs: 1000 });
      await pair.start("b", "secondary", { heartbeatIntervalMs: 1000, peerPort: relay.port });
      await waitLoggedOn(pair.ports.a.admin);
      await sendAll(pair.ports.a.fix, range("RS", 1, 5));
      await waitTargetSeq(pair.ports.a.admin, 12);

      // b keeps receiving a's records, a never hears b's acks: a holds the next orders back.
      relay.muteFollowers();
      // A send is answered only once durable, so these five never are: start them, then wait
      // until a journaled them all (their answers are lost with a).
      const nextSeq = async () =>
        Number((await gatewaySession(pair.ports.a.admin))?.nextSenderSeqNum);
      const before = await nextSeq();
      const unanswered: Promise<unknown>[] = [];
      for (const id of range("RS", 6, 10)) {
        unanswered.push(sendOrder(pair.ports.a.fix, id).catch(() => {}));
        await waitUntil(
          async () => (await nextSeq()) >= before + unanswered.length,
          `${id} journaled`,
        );
      }
      const held = await lastIndex(pair.ports.a.admin);
      await waitUntil(async () => (await lastIndex(pair.ports.b.admin)) >= held, "b has them");
      assertEquals((await gatewaySession(pair.ports.a.admin))?.nextTargetSeqNum, 12, "unsent");

      await pair.kill("a");
      await Promise.all(unanswered);
      await venue.waitForEvent("disconnect");
      const promoted = await admin(pair.ports.b.admin, "/promote", "POST");
      assertEquals(promoted?.status, 200, promoted?.body);
      await pair.start("a", "secondary");
      await waitLoggedOn(pair.ports.b.admin);
      // Logon + 5 × 2 executions before, Logon + 5 × 2 for the resent orders after.
      await waitTargetSeq(pair.ports.b.admin, 23);
      await sendAll(pair.ports.b.fix, range("RS", 11, 12));
      await waitTargetSeq(pair.ports.b.admin, 27);
      const summary = await venue.stop();
      assert(summary.ok, summary.reason);
      assertEquals([summary.ordersReceived, summary.duplicates], [12, 0]);
      assert(summary.resendRequestsSent >= 1, JSON.stringify(summary));
      assert(summary.possDupReceived >= 5, JSON.stringify(summary));
      assertVenueHistoryClean(venue.events);
    } finally {
      await Deno.remove(venueDir, { recursive: true });
    }
  },
});
