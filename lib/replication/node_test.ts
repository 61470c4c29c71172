import { assert, assertEquals } from "../testing/assert.ts";
import { ReplicationSecret } from "./auth.ts";
import type { PeerAddress } from "./follower.ts";
import { ReplicationNode, type ReplicationNodeOptions } from "./node.ts";
import type { RoleTransition } from "./node_role.ts";
import { EPOCH_CHANGE_KIND, MemoryJournal } from "./_memory_journal.ts";

const SECRET = await ReplicationSecret.import("node test secret 0123456789");
const enc = new TextEncoder();

function waitFor<T>(
  register: (push: (v: T) => void) => void,
  predicate: (v: T) => boolean,
  what: string,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    new Promise<T>((resolve) => register((v) => predicate(v) && resolve(v))),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), 10_000);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** Collects role transitions and lets a test await one. */
class Transitions {
  readonly seen: RoleTransition[] = [];
  #listeners: ((t: RoleTransition) => void)[] = [];
  push = (t: RoleTransition): void => {
    this.seen.push(t);
    for (const l of this.#listeners) l(t);
  };
  when(predicate: (t: RoleTransition) => boolean, what: string): Promise<RoleTransition> {
    const hit = this.seen.find(predicate);
    if (hit) return Promise.resolve(hit);
    return waitFor((push) => this.#listeners.push(push), predicate, what);
  }
}

function node(
  journal: MemoryJournal,
  nodeId: string,
  initialRole: "leader" | "follower",
  peers: PeerAddress[],
  extra: Partial<ReplicationNodeOptions> = {},
): { node: ReplicationNode; transitions: Transitions } {
  const transitions = new Transitions();
  const n = ReplicationNode.start({
    journal,
    clusterId: "pair",
    nodeId,
    secret: SECRET,
    initialRole,
    peers,
    heartbeatIntervalMs: 20,
    heartbeatTimeoutMs: 200,
    reconnectDelayMs: 10,
    reconnectDelayMsMax: 40,
    probeIntervalMs: 20,
    onRoleChange: transitions.push,
    ...extra,
  });
  return { node: n, transitions };
}

Deno.test("ReplicationNode.promote() makes the EpochChange durable before accepting logons", async () => {
  const j = new MemoryJournal(1);
  j.holdDurable = true;
  const { node: n } = node(j, "b", "follower", []);
  await using _ = n;
  assertEquals(n.canAcceptLogon(), false);
  const promoted = n.promote("operator command");
  // The EpochChange is written but not yet durable: still no logon.
  await j.until(() => j.lastIndex === 1, "the EpochChange append");
  assertEquals(n.role, { role: "candidate", epoch: 2 });
  assertEquals(n.canAcceptLogon(), false);
  j.holdDurable = false;
  j.releaseDurable();
  assertEquals(await promoted, { role: "leader", epoch: 2 });
  assertEquals(n.canAcceptLogon(), true);
  const last = j.read(j.lastIndex)!;
  assertEquals([last.kind, last.epoch], [EPOCH_CHANGE_KIND, 2]);
  assert(n.port !== undefined);
});

Deno.test("ReplicationNode reports every role change, past the hundred transitions it keeps", async () => {
  // A long-lived cluster member is elected and steps down again and again (a lost lease each
  // time); the role window holds the last 100 transitions, and a promotion reported late or
  // never leaves a leader that never starts serving.
  const j = new MemoryJournal(1);
  const { node: n, transitions } = node(j, "a", "follower", []);
  await using _ = n;
  for (let i = 0; i < 40; i++) {
    assertEquals(await n.promote(`election ${i}`), { role: "leader", epoch: i + 2 });
    assertEquals(transitions.seen.at(-1)?.to, { role: "leader", epoch: i + 2 }, `election ${i}`);
    assertEquals((await n.stepDown(`lease lost ${i}`)).role, "follower");
    assertEquals(transitions.seen.at(-1)?.to.role, "follower", `step-down ${i}`);
  }
  assertEquals(transitions.seen.length, 120);
  assertEquals(n.status().transitions.length, 100);
});

Deno.test("ReplicationNode: a follower auto-promotes after the leader falls silent", async () => {
  const aj = new MemoryJournal(1);
  for (let i = 0; i < 20; i++) aj.append(1, enc.encode(`m${i}`));
  const a = node(aj, "a", "leader", []);
  const bj = new MemoryJournal(0);
  const b = node(bj, "b", "follower", [{ hostname: "127.0.0.1", port: a.node.port! }], {
    autoPromoteAfterMs: 150,
  });
  await using _b = b.node;
  await b.transitions.when((t) => t.to.leaderId === "a", "b follows a");
  await bj.until(() => bj.lastIndex === 20, "b has a's records");
  await a.node[Symbol.asyncDispose]();
  const t = await b.transitions.when((t) => t.to.role === "leader", "b leads");
  assert(t.from.role === "candidate");
  assert(b.transitions.seen.some((t) => t.reason.includes("replication link silent")));
  assertEquals(b.node.canAcceptLogon(), true);
  assertEquals(bj.records.slice(0, 20), aj.records);
  assertEquals(bj.read(21)!.kind, EPOCH_CHANGE_KIND);
  assertEquals(b.node.role.epoch, 2);
});

Deno.test("ReplicationNode: after a failover the old leader steps down and quarantines its divergent records", async () => {
  const aj = new MemoryJournal(1);
  for (let i = 1; i <= 5; i++) aj.append(1, enc.encode(`shared-${i}`));
  const aPeers: PeerAddress[] = [];
  const truncations: [number, string][] = [];
  const a = node(aj, "a", "leader", aPeers, { onTruncate: (i, p) => truncations.push([i, p]) });
  await using _a = a.node;
  const bj = new MemoryJournal(0);
  const b = node(bj, "b", "follower", [{ hostname: "127.0.0.1", port: a.node.port! }]);
  await using _b = b.node;
  await b.transitions.when((t) => t.to.leaderId === "a", "b follows a");
  await bj.until(() => bj.lastIndex === 5, "b has the shared records");
  // Partition: b is promoted by the operator; a keeps writing in epoch 1.
  assertEquals(await b.node.promote("operator failover"), { role: "leader", epoch: 2 });
  for (let i = 6; i <= 10; i++) aj.append(1, enc.encode(`lost-${i}`));
  bj.append(1, enc.encode("new-7"));
  assertEquals(a.node.canAcceptLogon(), true, "during the partition a still leads in epoch 1");
  // Heal: a learns b's address; one of the probes makes a step down.
  aPeers.push({ hostname: "127.0.0.1", port: b.node.port! });
  const down = await a.transitions.when((t) => t.from.role === "leader", "a steps down");
  assertEquals(down.to.role, "follower");
  assertEquals(a.node.canAcceptLogon(), false);
  await a.transitions.when((t) => t.to.leaderId === "b", "a follows b");
  await aj.until(() => aj.lastIndex === 7 && truncations.length === 1, "a caught up with b");
  assertEquals(truncations[0]![0], 5);
  assertEquals(
    aj.quarantined.get(truncations[0]![1])!.map((r) => new TextDecoder().decode(r.payload)),
    ["lost-6", "lost-7", "lost-8", "lost-9", "lost-10"],
  );
  assertEquals(aj.records, bj.records);
  assertEquals(a.node.role.role, "follower");
  assertEquals(b.node.role, { role: "leader", epoch: 2 });
});

/** Polls `predicate` every 5 ms; rejects after 10 s. */
async function until(predicate: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

Deno.test("ReplicationNode whose peers hold its own replication address refuses its own probes and keeps leading", async () => {
  const j = new MemoryJournal(1);
  const peers: PeerAddress[] = [];
  const refusals: [string, string][] = [];
  const { node: n, transitions } = node(j, "a", "leader", peers, {
    onRefused: (reason, detail) => refusals.push([reason, detail]),
  });
  await using _ = n;
  await until(() => (n.port ?? 0) > 0, "the listener");
  peers.push({ hostname: "127.0.0.1", port: n.port! }); // misconfigured: itself
  await until(() => refusals.length >= 4, "refusals of its own probes");
  assert(refusals.some(([r]) => r === "probe-refused"), JSON.stringify(refusals));
  assert(refusals.some(([r, d]) => r === "peer-refused" && d.includes("own")), "listener side");
  assertEquals(n.role.role, "leader");
  assertEquals(n.canAcceptLogon(), true);
  assertEquals(transitions.seen.filter((t) => t.to.role !== "leader"), [], "never stepped down");
});
