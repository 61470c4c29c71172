/**
 * Replication end to end: leader and followers in one process over real
 * loopback sockets, each with a real journal in a temporary directory.
 */

import { assert, assertEquals } from "../lib/testing/assert.ts";
import { Journal, RecordKind } from "../lib/journal/mod.ts";
import {
  AckTracker,
  type PeerAddress,
  type ReleasedMessage,
  ReplicationFollower,
  type ReplicationFollowerOptions,
  ReplicationLeader,
  ReplicationNode,
  type ReplicationNodeOptions,
  ReplicationSecret,
  type RoleTransition,
} from "../lib/replication/mod.ts";

const SECRET = await ReplicationSecret.import("integration secret, long enough");
const enc = new TextEncoder();
const dec = new TextDecoder();

/** A value stream a test can await with a watchdog (never a sleep). */
class Events<T> {
  readonly seen: T[] = [];
  #waiters: { predicate: (v: T) => boolean; resolve: (v: T) => void }[] = [];
  push = (v: T): void => {
    this.seen.push(v);
    this.#waiters = this.#waiters.filter((w) => !(w.predicate(v) && (w.resolve(v), true)));
  };
  async when(predicate: (v: T) => boolean, what: string): Promise<T> {
    const hit = this.seen.find(predicate);
    if (hit !== undefined) return hit;
    const { promise, resolve } = Promise.withResolvers<T>();
    this.#waiters.push({ predicate, resolve });
    let timer: ReturnType<typeof setTimeout> | undefined;
    const watchdog = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), 20_000);
    });
    try {
      return await Promise.race([promise, watchdog]);
    } finally {
      clearTimeout(timer);
    }
  }
}

async function tempJournal(
  options: Parameters<typeof Journal.open>[1] = {},
): Promise<{ dir: string; journal: Journal }> {
  const dir = await Deno.makeTempDir({ prefix: "tandem-repl-" });
  return { dir, journal: await Journal.open(dir, options) };
}

function appendMessages(j: Journal, session: number, n: number, tag: string): number[] {
  const out: number[] = [];
  const first = j.sessionState(session).nextSenderSeqNum;
  for (let i = 0; i < n; i++) {
    const seq = first + i;
    out.push(j.append({
      kind: RecordKind.Outbound,
      sessionId: session,
      seqNum: seq,
      timestampMs: Date.now(),
      payload: enc.encode(
        `8=FIX.4.4\x019=60\x0135=8\x0134=${seq}\x0149=ACCEPTOR\x0156=CLIENT\x0158=${tag}-${seq}\x0110=000\x01`,
      ),
    }));
  }
  return out;
}

/** Resolves once `j` holds `index` (following its tail), or fails after 20 s. */
async function untilIndex(j: Journal, index: number): Promise<void> {
  if (j.lastIndex >= index) return;
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), 20_000);
  try {
    for await (const r of j.tail(j.lastIndex + 1, { signal: abort.signal })) {
      if (r.index >= index) return;
    }
    throw new Error(`timed out waiting for index ${index}`);
  } finally {
    clearTimeout(timer);
  }
}

function assertSameRecords(a: Journal, b: Journal): void {
  assertEquals(a.lastIndex, b.lastIndex, "same last index");
  for (let i = 1; i <= a.lastIndex; i++) assertEquals(a.read(i), b.read(i), `record ${i}`);
}

function follower(
  journal: Journal,
  port: number,
  extra: Partial<ReplicationFollowerOptions> = {},
): ReplicationFollower {
  return ReplicationFollower.start({
    journal,
    clusterId: "it",
    nodeId: "secondary",
    secret: SECRET,
    leader: { hostname: "127.0.0.1", port },
    reconnectDelayMs: 10,
    reconnectDelayMsMax: 100,
    ...extra,
  });
}

Deno.test("Replication catches up 10,000 records from disk, then streams live ones", async () => {
  const primary = await tempJournal({ syncPolicy: "none" });
  const secondary = await tempJournal({ syncPolicy: "always" });
  try {
    const session = primary.journal.defineSession("FIX.4.4:ACCEPTOR->CLIENT");
    appendMessages(primary.journal, session, 9_999, "old");
    await primary.journal.close();
    // Reopen so that catch-up really reads the segment files.
    await using lj = await Journal.open(primary.dir, { syncPolicy: "none" });
    assertEquals(lj.lastIndex, 10_000);
    const acks = new Events<number>();
    await using leader = ReplicationLeader.listen({
      journal: lj,
      clusterId: "it",
      nodeId: "primary",
      secret: SECRET,
      onAck: (_, i) => acks.push(i),
    });
    await using f = follower(secondary.journal, leader.port);
    await acks.when((i) => i === 10_000, "ack of 10,000");
    assert(acks.seen.length < 1000, `acks are cumulative (${acks.seen.length} for 10,000 records)`);
    const live = appendMessages(lj, session, 100, "live");
    await acks.when((i) => i === live.at(-1), "ack of the live records");
    assertEquals(f.status().recordsReceived, 10_100);
    assertEquals(f.status().state, "streaming");
    const link = leader.status().followers[0]!;
    assertEquals([link.ackedIndex, link.lagRecords, link.lagBytes, link.lagMs], [10_100, 0, 0, 0]);
    assertSameRecords(lj, secondary.journal);
    assertEquals(secondary.journal.durableIndex, 10_100, "acked means durable on the secondary");
    assertEquals(secondary.journal.sessionState(session), lj.sessionState(session));
  } finally {
    await secondary.journal.close();
    await Deno.remove(primary.dir, { recursive: true });
    await Deno.remove(secondary.dir, { recursive: true });
  }
});

Deno.test("ReplicationFollower restarted on its reopened journal resumes from its last index", async () => {
  const primary = await tempJournal({ syncPolicy: "none" });
  const secondaryDir = await Deno.makeTempDir({ prefix: "tandem-repl-" });
  try {
    const lj = primary.journal;
    const session = lj.defineSession("FIX.4.4:A->B");
    appendMessages(lj, session, 1999, "first");
    const acks = new Events<number>();
    await using leader = ReplicationLeader.listen({
      journal: lj,
      clusterId: "it",
      nodeId: "primary",
      secret: SECRET,
      onAck: (_, i) => acks.push(i),
    });
    {
      await using fj = await Journal.open(secondaryDir);
      await using _f = follower(fj, leader.port);
      await acks.when((i) => i === 2000, "ack of 2000");
    }
    appendMessages(lj, session, 1000, "second");
    await using fj = await Journal.open(secondaryDir);
    assertEquals(fj.lastIndex, 2000);
    await using f = follower(fj, leader.port);
    await acks.when((i) => i === 3000, "ack of 3000");
    assertEquals(f.status().lastStartIndex, 2001, "resumed after its last index, not from 1");
    assertEquals(f.status().recordsReceived, 1000);
    assertSameRecords(lj, fj);
  } finally {
    await primary.journal.close();
    await Deno.remove(primary.dir, { recursive: true });
    await Deno.remove(secondaryDir, { recursive: true });
  }
});

Deno.test("ReplicationFollower killed with SIGKILL mid-stream keeps every acked record and resumes after restart", async () => {
  const primary = await tempJournal({ syncPolicy: "none" });
  const secondaryDir = await Deno.makeTempDir({ prefix: "tandem-repl-" });
  const lj = primary.journal;
  try {
    const session = lj.defineSession("FIX.4.4:A->B");
    appendMessages(lj, session, 3000, "before");
    const acks = new Events<number>();
    await using leader = ReplicationLeader.listen({
      journal: lj,
      clusterId: "it",
      nodeId: "primary",
      secret: SECRET,
      onAck: (_, i) => acks.push(i),
    });
    const journalUrl = new URL("../lib/journal/mod.ts", import.meta.url).href;
    const replicationUrl = new URL("../lib/replication/mod.ts", import.meta.url).href;
    const code = `
      import { Journal } from ${JSON.stringify(journalUrl)};
      import { ReplicationFollower, ReplicationSecret } from ${JSON.stringify(replicationUrl)};
      const journal = await Journal.open(${JSON.stringify(secondaryDir)}, { syncPolicy: "always" });
      ReplicationFollower.start({
        journal,
        clusterId: "it",
        nodeId: "secondary",
        secret: await ReplicationSecret.import("integration secret, long enough"),
        leader: { hostname: "127.0.0.1", port: ${leader.port} },
      });`;
    const child = new Deno.Command(Deno.execPath(), {
      args: ["eval", code],
      stdin: "null",
      stdout: "null",
      stderr: "inherit",
    }).spawn();
    // Keep writing while the child replicates, so the kill lands mid-stream.
    let producing = true;
    const producer = (async () => {
      while (producing) {
        appendMessages(lj, session, 50, "during");
        await new Promise((r) => setTimeout(r, 1));
      }
    })();
    await acks.when((i) => i >= 4000, "the child acking 4000");
    child.kill("SIGKILL");
    const status = await child.status;
    producing = false;
    await producer;
    assertEquals(status.signal, "SIGKILL");
    const ackedBeforeKill = Math.max(...acks.seen);
    await using fj = await Journal.open(secondaryDir, { syncPolicy: "always" });
    assert(
      fj.lastIndex >= ackedBeforeKill,
      `acked ${ackedBeforeKill} but only ${fj.lastIndex} survived`,
    );
    const resumeAt = fj.lastIndex + 1;
    await using f = follower(fj, leader.port);
    await acks.when((i) => i === lj.lastIndex, "ack of the leader's last index");
    assertEquals(f.status().lastStartIndex, resumeAt, "resumed where the killed follower stopped");
    assertSameRecords(lj, fj);
  } finally {
    await lj.close();
    await Deno.remove(primary.dir, { recursive: true });
    await Deno.remove(secondaryDir, { recursive: true });
  }
});

Deno.test("ReplicationLeader and ReplicationFollower refuse a peer with the wrong secret", async () => {
  const primary = await tempJournal();
  const secondary = await tempJournal();
  try {
    primary.journal.defineSession("FIX.4.4:A->B");
    await using leader = ReplicationLeader.listen({
      journal: primary.journal,
      clusterId: "it",
      nodeId: "primary",
      secret: SECRET,
    });
    const ends = new Events<string>();
    {
      await using _f = follower(secondary.journal, leader.port, {
        secret: await ReplicationSecret.import("a different secret entirely"),
        onSessionEnd: ends.push,
      });
      await ends.when((r) => r.includes("wrong secret"), "refusal");
    }
    assertEquals(secondary.journal.lastIndex, 0, "nothing replicated");
    assertEquals(leader.status().followers, []);
  } finally {
    await primary.journal.close();
    await secondary.journal.close();
    await Deno.remove(primary.dir, { recursive: true });
    await Deno.remove(secondary.dir, { recursive: true });
  }
});

Deno.test("AckTracker releases outbound messages in order as the secondary acknowledges them", async () => {
  const primary = await tempJournal({ syncPolicy: "none" });
  const secondary = await tempJournal({ syncPolicy: "always" });
  try {
    const lj = primary.journal;
    const session = lj.defineSession("FIX.4.4:A->B");
    const tracker = new AckTracker({
      policy: { kind: "forever" },
      byMsgType: { "0": { kind: "never" } },
      maxUnackedMessages: 10_000,
    });
    const released = new Events<ReleasedMessage>();
    await using leader = ReplicationLeader.listen({
      journal: lj,
      clusterId: "it",
      nodeId: "primary",
      secret: SECRET,
      onAck: (id, i) => tracker.onAck(id, i, Date.now()).forEach(released.push),
    });
    // No replica yet: forever holds everything, and a heartbeat behind it waits too.
    const indices = appendMessages(lj, session, 500, "exec");
    for (const [k, index] of indices.entries()) {
      tracker.register(index, k === 250 ? "0" : "8", Date.now()).forEach(released.push);
    }
    assertEquals(released.seen.length, 0);
    assertEquals(tracker.waitingCount, 500);
    await using _f = follower(secondary.journal, leader.port);
    await released.when((r) => r.index === indices.at(-1), "release of the last message");
    assertEquals(released.seen.map((r) => r.index), indices, "released in sequence order");
    assertEquals(released.seen[250]!.msgType, "0");
    assert(released.seen.every((r) => r.reason === "ack"));
    assertEquals(tracker.counters.releasedByAck, 500);
    assert(secondary.journal.durableIndex >= indices.at(-1)!);
  } finally {
    await primary.journal.close();
    await secondary.journal.close();
    await Deno.remove(primary.dir, { recursive: true });
    await Deno.remove(secondary.dir, { recursive: true });
  }
});

Deno.test("ReplicationNode failover: the old primary steps down and quarantines records the new primary never had", async () => {
  const a = await tempJournal({ syncPolicy: "always" });
  const b = await tempJournal({ syncPolicy: "always" });
  try {
    a.journal.beginEpoch(1, "initial primary");
    const session = a.journal.defineSession("FIX.4.4:ACCEPTOR->CLIENT");
    appendMessages(a.journal, session, 20, "shared");
    const aPeers: PeerAddress[] = [];
    const aRoles = new Events<RoleTransition>();
    const bRoles = new Events<RoleTransition>();
    const truncated = new Events<[number, string]>();
    const common: Omit<ReplicationNodeOptions, "journal" | "nodeId" | "initialRole" | "peers"> = {
      clusterId: "it",
      secret: SECRET,
      heartbeatIntervalMs: 20,
      heartbeatTimeoutMs: 500,
      probeIntervalMs: 20,
      reconnectDelayMs: 10,
      reconnectDelayMsMax: 50,
    };
    await using nodeA = ReplicationNode.start({
      ...common,
      journal: a.journal,
      nodeId: "a",
      initialRole: "leader",
      peers: aPeers,
      onRoleChange: aRoles.push,
      onTruncate: (i, p) => truncated.push([i, p]),
    });
    await using nodeB = ReplicationNode.start({
      ...common,
      journal: b.journal,
      nodeId: "b",
      initialRole: "follower",
      peers: [{ hostname: "127.0.0.1", port: nodeA.port! }],
      onRoleChange: bRoles.push,
    });
    await bRoles.when((t) => t.to.leaderId === "a", "b follows a");
    assertEquals(nodeB.canAcceptLogon(), false, "a standby never accepts a Logon");
    const shared = a.journal.lastIndex;
    await untilIndex(b.journal, shared);
    // Partition and failover: b is promoted; a, cut off, keeps writing in epoch 1.
    assertEquals(await nodeB.promote("operator failover"), { role: "leader", epoch: 2 });
    const lost = appendMessages(a.journal, session, 5, "lost");
    await a.journal.durable(lost.at(-1)!);
    appendMessages(b.journal, session, 3, "new");
    assertEquals(nodeA.canAcceptLogon(), true, "a still leads epoch 1 while partitioned");
    assertEquals(nodeB.canAcceptLogon(), true, "b leads epoch 2");
    // Heal.
    aPeers.push({ hostname: "127.0.0.1", port: nodeB.port! });
    await aRoles.when((t) => t.from.role === "leader" && t.to.role === "follower", "a steps down");
    assertEquals(nodeA.canAcceptLogon(), false);
    const [afterIndex, path] = await truncated.when(() => true, "truncation");
    assertEquals(afterIndex, shared);
    await aRoles.when((t) => t.to.leaderId === "b", "a follows b");
    await untilIndex(a.journal, b.journal.lastIndex);
    assertSameRecords(a.journal, b.journal);
    assertEquals(a.journal.epoch, 2);
    const quarantine = await Deno.readFile(path.startsWith("/") ? path : `${a.dir}/${path}`);
    const text = dec.decode(quarantine);
    assertEquals(text.match(/58=lost-\d+/g), [
      "58=lost-21",
      "58=lost-22",
      "58=lost-23",
      "58=lost-24",
      "58=lost-25",
    ]);
    assert(!text.includes("shared-"), "quarantine holds only the divergent suffix");
  } finally {
    await a.journal.close();
    await b.journal.close();
    await Deno.remove(a.dir, { recursive: true });
    await Deno.remove(b.dir, { recursive: true });
  }
});
