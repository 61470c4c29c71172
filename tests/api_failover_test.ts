/**
 * The application API across a failover, with real processes: an acceptor
 * pair (`ackStrategy: forever`) serving an `application: api` session, a FIX
 * initiator sending orders, and the test as the API program answering them.
 * The secondary replicates through a relay the test can pause, so "the
 * replica has not got it yet" is a state the test holds, not a race.
 *
 * @module
 */

import { assert, assertEquals, assertNotEquals } from "../lib/testing/assert.ts";
import {
  acceptorYaml,
  admin,
  freePorts,
  isStreaming,
  type NodePorts,
  NodeProcess,
  Relay,
  status,
  waitUntil,
} from "./_failover_cluster.ts";
import { OrderClient } from "./_failover_client.ts";
import { StreamClient, type Streamed } from "./_gateway_process.ts";

const SESSION = "FIX.4.4:EXEC->CLIENT";
const MESSAGES = `/sessions/${encodeURIComponent(SESSION)}/messages`;

interface Member {
  readonly name: "a" | "b";
  readonly ports: NodePorts & { readonly api: number };
  readonly url: string;
}

function members(): Record<"a" | "b", Member> {
  const p = freePorts(8);
  const m = (name: "a" | "b", o: number): Member => ({
    name,
    ports: { fix: p[o]!, admin: p[o + 1]!, replication: p[o + 2]!, api: p[o + 3]! },
    url: `http://127.0.0.1:${p[o + 3]!}`,
  });
  return { a: m("a", 0), b: m("b", 4) };
}

/** The pair's YAML with the session served by `application: api` and `api.memberUrls`. */
async function writeYaml(
  dir: string,
  all: Record<"a" | "b", Member>,
  self: Member,
  ha: "primary" | "secondary",
  peerReplicationPort: number,
): Promise<string> {
  const base = acceptorYaml(
    self.name,
    ha,
    `${dir}/${self.name}-data`,
    self.ports,
    peerReplicationPort,
    { ackStrategy: "forever" },
    0,
  );
  const yaml = base.replace("application: executor", "application: api").replace(
    "log:\n",
    `api:\n  listen: 127.0.0.1:${self.ports.api}\n  memberUrls: { a: "${all.a.url}", b: "${all.b.url}" }\nlog:\n`,
  );
  assertNotEquals(yaml, base);
  const path = `${dir}/${self.name}-${ha}.yaml`;
  await Deno.writeTextFile(path, yaml);
  return path;
}

async function call(
  m: Member,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; headers: Headers; json: Record<string, unknown> }> {
  const res = await fetch(`${m.url}${path}`, {
    method,
    ...(body === undefined
      ? {}
      : { body: JSON.stringify(body), headers: { "content-type": "application/json" } }),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: text === "" ? {} : JSON.parse(text) };
}

/** An ExecutionReport (New) for `clOrdId`, as the API program sends it. */
function execution(clOrdId: string, clientId: string): unknown {
  return {
    msgType: "8",
    clientId,
    fields: {
      OrderID: `O-${clOrdId}`,
      ExecID: `E-${clOrdId}`,
      ExecType: "0",
      OrdStatus: "0",
      Side: "1",
      Symbol: "TNDM",
      LeavesQty: "100",
      CumQty: "0",
      AvgPx: "0",
      ClOrdID: clOrdId,
    },
  };
}

async function lastIndex(m: Member): Promise<number> {
  const s = await status(m.ports.admin);
  return (s?.journal as { lastIndex: number }).lastIndex;
}

async function nextTargetSeqNum(m: Member): Promise<number> {
  const { json } = await call(m, "GET", "/sessions");
  const list = json as unknown as { key: string; nextTargetSeqNum: number }[];
  return list.find((s) => s.key === SESSION)!.nextTargetSeqNum;
}

function clOrdIdOf(m: Streamed): string {
  return /\|11=([^|]+)\|/.exec(m.fix)?.[1] ?? "?";
}

Deno.test("API pair under forever: a follower answers 503 naming the leader, sends are durable before 200 and never sent twice per clientId, and a stream resumed on the new leader has every message once", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tandem-api-failover-" });
  const all = members();
  const { a, b } = all;
  await using relay = new Relay(a.ports.replication); // b follows a through it
  const echo = Deno.env.get("FAILOVER_DEBUG") !== undefined;
  let procA: NodeProcess | undefined = new NodeProcess(
    "a",
    ["--config", await writeYaml(dir, all, a, "primary", b.ports.replication)],
    echo,
  );
  await using _b = new NodeProcess(
    "b",
    ["--config", await writeYaml(dir, all, b, "secondary", relay.port)],
    echo,
  );
  const client = await OrderClient.start({ ports: [a.ports.fix, b.ports.fix] });
  const streams: StreamClient[] = [];
  try {
    await procA.waitFor("node started");
    await _b.waitFor("node started");
    await waitUntil(() => isStreaming(b.ports.admin), "b streaming from a");
    await client.until(() => client.loggedOn, "client logged on to a");
    const fromA = new StreamClient(a.ports.api, 1);
    streams.push(fromA);
    await fromA.opened();
    const onFollower = new StreamClient(b.ports.api, 1); // b follows now, leads later
    streams.push(onFollower);
    await onFollower.opened();

    // 1. Every member serves the API; only the leader sends.
    const sessionsOnB = await call(b, "GET", "/sessions");
    assertEquals(sessionsOnB.status, 200);
    const entry = (sessionsOnB.json as unknown as Record<string, unknown>[])[0]!;
    assertEquals(entry.leader, { nodeId: "a", api: a.url });
    assertEquals((await call(b, "GET", "/leader")).json, {
      nodeId: "b",
      leading: false,
      leader: { nodeId: "a", api: a.url },
    });
    assertEquals((await call(a, "GET", "/leader")).json.leading, true);
    const before = [await lastIndex(a), await lastIndex(b)];
    const refused = await call(b, "POST", MESSAGES, execution("C0", "refused-on-b"));
    assertEquals(refused.status, 503);
    assertEquals(refused.headers.get("retry-after"), "1");
    assertEquals(refused.json.leader, { nodeId: "a", api: a.url });
    assertEquals([await lastIndex(a), await lastIndex(b)], before, "nothing journaled");

    // 2. A client id sends once: a repeat and a concurrent twin answer the original.
    client.sendOrder(); // C1
    await fromA.waitFor(1);
    const first = await call(a, "POST", MESSAGES, execution("C1", "exec-C1"));
    assertEquals(first.status, 200, JSON.stringify(first.json));
    assertEquals(first.json.duplicate, undefined);
    const again = await call(a, "POST", MESSAGES, execution("C1", "exec-C1"));
    assertEquals(again.json, { ...first.json, duplicate: true });
    client.sendOrder(); // C2
    await fromA.waitFor(2);
    const twins = await Promise.all([
      call(a, "POST", MESSAGES, execution("C2", "exec-C2")),
      call(a, "POST", MESSAGES, execution("C2", "exec-C2")),
    ]);
    assertEquals(twins.map((t) => t.status), [200, 200]);
    assertEquals(twins.map((t) => t.json.index), [twins[0]!.json.index, twins[0]!.json.index]);
    assertEquals(twins.filter((t) => t.json.duplicate === true).length, 1);
    await client.until(
      () => client.orders.get("C2")?.fresh === 1 && client.orders.get("C1")?.fresh === 1,
      "executions of C1 and C2",
    );
    await onFollower.waitFor(2); // a follower streams what it replicated
    client.sendOrder(); // C3
    await fromA.waitFor(3);

    // 3. With the replica's link held, a send gets no 200 and a new order is not streamed.
    relay.pause();
    const held = call(a, "POST", MESSAGES, execution("C3", "exec-C3"));
    let heldOutcome: string | undefined;
    held.then((r) => (heldOutcome = `status ${r.status}`), (e) => (heldOutcome = String(e)));
    const target = await nextTargetSeqNum(a);
    client.sendOrder(); // C4: journaled by a, which the replica will never have
    await waitUntil(async () => await nextTargetSeqNum(a) > target, "a received C4");
    await new Promise((r) => setTimeout(r, 1_000)); // time for a wrong 200 or stream frame
    assertEquals(heldOutcome, undefined, "no answer before the replica has the message");
    assertEquals(fromA.received.length, 3, "C4 is not streamed before the replica has it");

    // 4. The leader dies; b takes over; a rejoins as its follower.
    await procA[Symbol.asyncDispose]();
    procA = undefined;
    relay.cut();
    relay.resume();
    await waitUntil(() => heldOutcome !== undefined, "the held send to end");
    assert(!heldOutcome!.startsWith("status 200"), `held send answered ${heldOutcome}`);
    const promoted = await admin(b.ports.admin, "/promote", "POST");
    assertEquals(promoted?.status, 200, promoted?.body);
    procA = new NodeProcess(
      "a2",
      ["--config", await writeYaml(dir, all, a, "secondary", b.ports.replication)],
      echo,
    );
    await procA.waitFor("node started");
    await waitUntil(() => isStreaming(a.ports.admin), "a streaming from b");
    assertEquals((await call(a, "GET", "/leader")).json.leader, { nodeId: "b", api: b.url });
    await client.until(() => client.loggedOn && client.logons >= 2, "client logged on to b");

    // 5. Resume the stream on b from the last index + 1; retry the sends with their client ids.
    const last = fromA.received.at(-1)!.index;
    const fromB = new StreamClient(b.ports.api, last + 1);
    streams.push(fromB);
    await fromB.waitFor(1); // C4, resent by the client to b
    const retried1 = await call(b, "POST", MESSAGES, execution("C1", "exec-C1"));
    assertEquals(retried1.json, { ...first.json, duplicate: true }, "replicated client id");
    const retried3 = await call(b, "POST", MESSAGES, execution("C3", "exec-C3"));
    assertEquals(retried3.status, 200, JSON.stringify(retried3.json));
    const c4 = await call(b, "POST", MESSAGES, execution("C4", "exec-C4"));
    assertEquals(c4.status, 200, JSON.stringify(c4.json));
    await client.until(
      () => ["C1", "C2", "C3", "C4"].every((id) => client.orders.get(id)?.fresh === 1),
      "one execution per order",
    );

    // Every order streamed exactly once, and every index the old leader showed is the same on b.
    const seen = [...fromA.received, ...fromB.received];
    assertEquals(seen.map(clOrdIdOf).sort(), ["C1", "C2", "C3", "C4"]);
    const wholeB = new StreamClient(b.ports.api, 1);
    streams.push(wholeB);
    await wholeB.waitFor(4);
    const onB = new Map(wholeB.received.map((m) => [m.index, m.fix]));
    for (const m of fromA.received) assertEquals(onB.get(m.index), m.fix, `index ${m.index}`);
    await onFollower.waitFor(4); // the stream opened while b followed went on through its promotion
    assertEquals(onFollower.received.map(clOrdIdOf), ["C1", "C2", "C3", "C4"]);
    assertEquals(onFollower.received.map((m) => m.fix), wholeB.received.map((m) => m.fix));
    assertEquals(client.duplicates, 0);
  } finally {
    for (const s of streams) await s[Symbol.asyncDispose]();
    client.stop();
    await client[Symbol.asyncDispose]();
    await procA?.[Symbol.asyncDispose]();
    await _b[Symbol.asyncDispose]();
    await Deno.remove(dir, { recursive: true });
  }
});

/**
 * The client rule: send with a client id to `members` in turn (the leader a
 * 503 names first) until one answers 200.
 */
async function sendWithRetry(
  all: Record<"a" | "b", Member>,
  body: unknown,
  timeoutMs = 60_000,
): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  let next: Member = all.a;
  let last = "";
  while (Date.now() < deadline) {
    try {
      const r = await call(next, "POST", MESSAGES, body);
      if (r.status === 200) return r.json;
      last = `${next.name}: ${r.status} ${JSON.stringify(r.json)}`;
      const leader = (r.json.leader as { nodeId: "a" | "b" } | null | undefined)?.nodeId;
      next = leader !== undefined && leader !== next.name
        ? all[leader]
        : all[next.name === "a" ? "b" : "a"];
    } catch (err) {
      last = `${next.name}: ${err}`;
      next = all[next.name === "a" ? "b" : "a"];
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`No member took the send within ${timeoutMs} ms; last: ${last}`);
}

Deno.test("API pair under forever: SIGKILL of the leader while orders flow; the program resumes the stream on the new leader and retries its sends: every order streamed once, every execution sent once", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tandem-api-failover-" });
  const all = members();
  const { a, b } = all;
  const echo = Deno.env.get("FAILOVER_DEBUG") !== undefined;
  let procA: NodeProcess | undefined = new NodeProcess(
    "a",
    ["--config", await writeYaml(dir, all, a, "primary", b.ports.replication)],
    echo,
  );
  await using procB = new NodeProcess(
    "b",
    ["--config", await writeYaml(dir, all, b, "secondary", a.ports.replication)],
    echo,
  );
  const client = await OrderClient.start({ ports: [a.ports.fix, b.ports.fix] });
  const streams: StreamClient[] = [];
  const answered = new Map<string, Record<string, unknown>>();
  const answering: Promise<void>[] = [];
  // The program: answers every order it streams, with the ClOrdID as client id.
  const answer = (m: Streamed) => {
    const id = clOrdIdOf(m);
    answering.push(
      sendWithRetry(all, execution(id, `exec-${id}`)).then((r) => {
        answered.set(id, r);
      }),
    );
  };
  try {
    await procA.waitFor("node started");
    await procB.waitFor("node started");
    await waitUntil(() => isStreaming(b.ports.admin), "b streaming from a");
    await client.until(() => client.loggedOn, "client logged on to a");
    const fromA = new StreamClient(a.ports.api, 1, answer);
    streams.push(fromA);
    await fromA.opened();
    const ORDERS = 30;
    for (let i = 0; i < 15; i++) {
      client.sendOrder();
      await new Promise((r) => setTimeout(r, 10));
    }
    await fromA.waitFor(5);
    await procA[Symbol.asyncDispose](); // mid-flow: orders and executions in flight
    procA = undefined;
    const last = fromA.received.at(-1)!.index;
    const promoted = await admin(b.ports.admin, "/promote", "POST");
    assertEquals(promoted?.status, 200, promoted?.body);
    procA = new NodeProcess(
      "a2",
      ["--config", await writeYaml(dir, all, a, "secondary", b.ports.replication)],
      echo,
    );
    await procA.waitFor("node started");
    await waitUntil(() => isStreaming(a.ports.admin), "a streaming from b");
    const fromB = new StreamClient(b.ports.api, last + 1, answer);
    streams.push(fromB);
    await client.until(() => client.loggedOn && client.logons >= 2, "client logged on to b");
    for (let i = 15; i < ORDERS; i++) client.sendOrder();
    await fromB.waitFor(ORDERS - fromA.received.length, 60_000);
    const seen = [...fromA.received, ...fromB.received].map(clOrdIdOf);
    assertEquals(seen.length, ORDERS, `streamed: ${seen.join(" ")}`);
    assertEquals(new Set(seen).size, ORDERS, "no order streamed twice");
    await Promise.all(answering);
    await client.until(
      () => [...client.orders.values()].every((o) => o.fresh === 1),
      "one execution per order",
      60_000,
    );
    assertEquals(client.duplicates, 0);
    assertEquals(answered.size, ORDERS);
    // No index the old leader streamed holds anything else on the new one.
    const wholeB = new StreamClient(b.ports.api, 1);
    streams.push(wholeB);
    await wholeB.waitFor(ORDERS);
    const onB = new Map(wholeB.received.map((m) => [m.index, m.fix]));
    for (const m of fromA.received) assertEquals(onB.get(m.index), m.fix, `index ${m.index}`);
  } finally {
    for (const s of streams) await s[Symbol.asyncDispose]();
    client.stop();
    await client[Symbol.asyncDispose]();
    await procA?.[Symbol.asyncDispose]();
    await Deno.remove(dir, { recursive: true });
  }
});
