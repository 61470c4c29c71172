/**
 * Reflection and identity attacks on the replication handshake, in process:
 * a node's own handshake relayed back to its own listener, its own id or
 * nonce presented to it, a stranger's id, and a relay that rewrites ids and
 * epochs. None of them may move an epoch, send a record or release an ack.
 */

import { assert, assertEquals } from "../testing/assert.ts";
import { PeerGuard, ReplicationSecret, transcriptOf } from "./auth.ts";
import { probePeer, ReplicationFollower } from "./follower.ts";
import { ReplicationLeader, type ReplicationLeaderOptions } from "./leader.ts";
import { MemoryJournal } from "./_memory_journal.ts";
import { FrameConnection } from "./_frame_connection.ts";
import {
  CloseCode,
  DEFAULT_PROTOCOL_LIMITS,
  type HelloMessage,
  PROTOCOL_VERSION,
  type ReplicationMessage,
} from "./protocol.ts";

const SECRET = await ReplicationSecret.import("correct horse battery staple");
const enc = new TextEncoder();

function journal(n: number): MemoryJournal {
  const j = new MemoryJournal(1);
  for (let i = 1; i <= n; i++) j.append(1, enc.encode(`r-${i}`), 1000 + i);
  return j;
}

interface Watched {
  readonly leader: ReplicationLeader;
  readonly peerEpochs: number[];
  readonly acks: number[];
  readonly refusals: [string, string][];
  [Symbol.asyncDispose](): Promise<void>;
}

/** Leader "a" at epoch 1 with 5 records, watching epochs, acks and refusals. */
function leaderA(extra: Partial<ReplicationLeaderOptions> = {}): Watched {
  const peerEpochs: number[] = [];
  const acks: number[] = [];
  const refusals: [string, string][] = [];
  const leader = ReplicationLeader.listen({
    journal: journal(5),
    clusterId: "test",
    nodeId: "a",
    secret: SECRET,
    onPeerEpoch: (e) => peerEpochs.push(e),
    onAck: (_, i) => acks.push(i),
    onRefused: (reason, detail) => refusals.push([reason, detail]),
    ...extra,
  });
  return {
    leader,
    peerEpochs,
    acks,
    refusals,
    [Symbol.asyncDispose]: () => leader[Symbol.asyncDispose](),
  };
}

function hello(over: Partial<HelloMessage>): HelloMessage {
  return {
    type: "hello",
    protocolVersion: PROTOCOL_VERSION,
    role: "follower",
    clusterId: "test",
    nodeId: "b",
    lastIndex: 0,
    lastEpoch: 0,
    nodeEpoch: 0,
    nonce: new Uint8Array(32).fill(1),
    ...over,
  };
}

async function dial(port: number): Promise<FrameConnection> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  return new FrameConnection(conn, DEFAULT_PROTOCOL_LIMITS);
}

Deno.test("ReplicationLeader refuses a Hello carrying its own node id before making any proof", async () => {
  await using l = leaderA();
  const fc = await dial(l.leader.port);
  fc.send(hello({ nodeId: "a", role: "leader", nodeEpoch: 9 }));
  const m = await fc.receive();
  fc.close();
  assert(m?.type === "close", `expected close, got ${m?.type}`);
  assertEquals(m.code, CloseCode.PeerRefused);
  assert(m.reason.includes(`"a" is this node's own`), m.reason);
  assertEquals(l.peerEpochs, [], "no step-down");
  assertEquals(l.leader.status().refused["peer-refused"], 1);
  assertEquals(l.refusals[0]?.[0], "peer-refused");
});

Deno.test("ReplicationLeader refuses a Hello carrying a nonce of this node's own handshake in progress", async () => {
  const guard = new PeerGuard({ nodeId: "a" });
  await using l = leaderA({ guard });
  const mine = guard.issueNonce(); // as a probe or follower of this node would
  const fc = await dial(l.leader.port);
  fc.send(hello({ nodeId: "b", nonce: mine }));
  const m = await fc.receive();
  fc.close();
  assert(m?.type === "close" && m.code === CloseCode.PeerRefused, JSON.stringify(m));
  assert(m.reason.includes("reflected"), m.reason);
});

Deno.test("ReplicationLeader refuses a node id that is not a configured member", async () => {
  await using l = leaderA({ members: ["b"] });
  const fc = await dial(l.leader.port);
  fc.send(hello({ nodeId: "mallory" }));
  const m = await fc.receive();
  fc.close();
  assert(m?.type === "close" && m.code === CloseCode.PeerRefused, JSON.stringify(m));
  assertEquals(m.reason, `peer node id "mallory" is not a configured member (b)`);
});

Deno.test("probePeer() of a node's own listener is refused and moves no epoch", async () => {
  const guard = new PeerGuard({ nodeId: "a" });
  await using l = leaderA({ guard });
  const r = await probePeer({
    clusterId: "test",
    nodeId: "a",
    secret: SECRET,
    guard,
    peer: { hostname: "127.0.0.1", port: l.leader.port },
    epoch: 1,
    lastIndex: 5,
    lastEpoch: 1,
  });
  assertEquals(r.kind, "refused");
  assertEquals(l.peerEpochs, []);
});

Deno.test("ReplicationFollower refuses a Challenge carrying its own node id and appends nothing", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const refusals: string[] = [];
  const closes: ReplicationMessage[] = [];
  const fake = (async () => {
    const fc = new FrameConnection(await listener.accept(), DEFAULT_PROTOCOL_LIMITS);
    const h = await fc.receive();
    assert(h?.type === "hello");
    const nonce = new Uint8Array(32).fill(9);
    // A valid proof for the pair (b → b): what a reflection of b's own handshake yields.
    fc.send({
      type: "challenge",
      nodeId: "b",
      nonce,
      proof: await SECRET.prove("listener", transcriptOf(h, "b", nonce)),
    });
    const m = await fc.receive();
    if (m) closes.push(m);
    fc.close();
  })();
  const fj = new MemoryJournal(0);
  const f = ReplicationFollower.start({
    journal: fj,
    clusterId: "test",
    nodeId: "b",
    secret: SECRET,
    leader: { hostname: "127.0.0.1", port: listener.addr.port },
    reconnectDelayMs: 60_000,
    onRefused: (reason) => refusals.push(reason),
  });
  await fake;
  await f[Symbol.asyncDispose]();
  listener.close();
  assertEquals(refusals, ["peer-refused"]);
  assert(closes[0]?.type === "close" && closes[0].code === CloseCode.PeerRefused);
  assertEquals(fj.lastIndex, 0);
});

/**
 * An attacker between `fromPort`'s dialer and the leader at `toPort` that
 * rewrites the frames going either way with `up` / `down`.
 */
function rewritingRelay(
  toPort: number,
  up: (m: ReplicationMessage) => ReplicationMessage,
  down: (m: ReplicationMessage) => ReplicationMessage,
): { port: number; seen: ReplicationMessage[]; [Symbol.asyncDispose](): Promise<void> } {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const seen: ReplicationMessage[] = [];
  const conns: FrameConnection[] = [];
  const pipe = async (from: FrameConnection, to: FrameConnection, f: typeof up) => {
    try {
      for (;;) {
        const m = await from.receive();
        if (m === undefined) break;
        seen.push(m);
        to.send(f(m));
      }
    } catch {
      // garbage ends the pipe
    } finally {
      await to.flush();
      to.close();
      from.close();
    }
  };
  const tasks: Promise<void>[] = [];
  const loop = (async () => {
    for (;;) {
      let c: Deno.Conn;
      try {
        c = await listener.accept();
      } catch {
        return;
      }
      const a = new FrameConnection(c, DEFAULT_PROTOCOL_LIMITS);
      const b = await dial(toPort);
      conns.push(a, b);
      tasks.push(pipe(a, b, up), pipe(b, a, down));
    }
  })();
  return {
    port: listener.addr.port,
    seen,
    [Symbol.asyncDispose]: async () => {
      listener.close();
      await loop;
      for (const c of conns) c.close();
      await Promise.all(tasks);
    },
  };
}

Deno.test("A leader's own probe reflected to its listener with rewritten ids and a raised epoch makes nobody step down", async () => {
  const guard = new PeerGuard({ nodeId: "a" });
  await using l = leaderA({ guard });
  // The attack of issue 11: pose as peer "b" and raise the announced epoch.
  await using relay = rewritingRelay(
    l.leader.port,
    (m) => m.type === "hello" ? { ...m, nodeId: "b", nodeEpoch: 9 } : m,
    (m) => m.type === "challenge" ? { ...m, nodeId: "b" } : m,
  );
  const r = await probePeer({
    clusterId: "test",
    nodeId: "a",
    secret: SECRET,
    guard,
    peer: { hostname: "127.0.0.1", port: relay.port },
    epoch: 1,
    lastIndex: 5,
    lastEpoch: 1,
  });
  assertEquals(r.kind, "refused", JSON.stringify(r));
  assertEquals(l.peerEpochs, [], "the listener did not step down");
  assert(
    !relay.seen.some((m) => m.type === "records" || m.type === "welcome"),
    "nothing was sent to the attacker",
  );
});

Deno.test("A probe's nonce replayed by an attacker posing as a follower gets no records and releases nothing", async () => {
  // The variant of issue 11: the attacker answers a's probe by opening its own
  // follower connection to a with the probe's nonce, then hands a's Challenge to
  // a's prober so that the prober computes the follower proof for it.
  for (const shared of [true, false]) {
    const guard = new PeerGuard({ nodeId: "a" });
    await using l = leaderA(shared ? { guard } : {});
    const attacker = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const received: ReplicationMessage[] = [];
    const attack = (async () => {
      const probe = new FrameConnection(await attacker.accept(), DEFAULT_PROTOCOL_LIMITS);
      const toLeader = await dial(l.leader.port);
      try {
        const h = await probe.receive();
        assert(h?.type === "hello");
        toLeader.send({ ...h, role: "follower", nodeId: "b", lastIndex: 0, lastEpoch: 0 });
        const c = await toLeader.receive();
        if (c?.type !== "challenge") return received.push(...(c ? [c] : []));
        probe.send({ ...c, nodeId: "b" });
        const resp = await probe.receive();
        if (resp?.type !== "response") return;
        toLeader.send(resp);
        toLeader.send({ type: "ack", durableIndex: 5 });
        for (;;) {
          const m = await toLeader.receive();
          if (m === undefined) break;
          received.push(m);
          if (m.type === "close") break;
        }
      } finally {
        probe.close();
        toLeader.close();
      }
    })();
    const r = await probePeer({
      clusterId: "test",
      nodeId: "a",
      secret: SECRET,
      ...(shared ? { guard } : {}),
      peer: { hostname: "127.0.0.1", port: attacker.addr.port },
      epoch: 1,
      lastIndex: 5,
      lastEpoch: 1,
    });
    await attack;
    attacker.close();
    assert(r.kind === "refused" || r.kind === "failed", JSON.stringify(r));
    assert(
      !received.some((m) => m.type === "records" || m.type === "welcome"),
      `shared guard ${shared}: attacker received ${received.map((m) => m.type)}`,
    );
    assertEquals(l.acks, [], `shared guard ${shared}: no forged ack reached onAck`);
    assertEquals(l.peerEpochs, []);
  }
});
