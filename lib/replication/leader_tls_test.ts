import { assert, assertEquals, assertRejects } from "../testing/assert.ts";
import { generateTestCertificates } from "../../tests/_certs.ts";
import { ReplicationSecret } from "./auth.ts";
import { ReplicationFollower } from "./follower.ts";
import { ReplicationLeader } from "./leader.ts";
import { MemoryJournal } from "./_memory_journal.ts";

const SECRET = await ReplicationSecret.import("correct horse battery staple");
const enc = new TextEncoder();

async function until(predicate: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

Deno.test("ReplicationLeader over mutual TLS streams to a follower with a client certificate and refuses one without", async () => {
  await using certs = await generateTestCertificates();
  const cert = { pem: certs.peer.cert };
  const key = { pem: certs.peer.key };
  const ca = { pem: certs.ca.cert };
  const lj = new MemoryJournal(1);
  for (let i = 1; i <= 50; i++) lj.append(1, enc.encode(`r-${i}`), 1000 + i);
  const refusals: [string, string][] = [];
  const acks: number[] = [];
  await using leader = ReplicationLeader.listen({
    journal: lj,
    clusterId: "test",
    nodeId: "a",
    secret: SECRET,
    tls: { cert, key, ca, requireClientCert: true },
    onAck: (_, i) => acks.push(i),
    onRefused: (reason, detail) => refusals.push([reason, detail]),
  });
  await leader.ready;
  const at = { hostname: "127.0.0.1", port: leader.port };
  const fj = new MemoryJournal(0);
  {
    await using _f = ReplicationFollower.start({
      journal: fj,
      clusterId: "test",
      nodeId: "b",
      secret: SECRET,
      leader: at,
      tls: { cert, key, ca },
    });
    await until(() => acks.includes(50), "ack of 50 over TLS");
  }
  assertEquals(fj.records, lj.records);
  for (
    const tls of [{ ca }, {
      ca,
      cert: { pem: certs.roguePeer.cert },
      key: { pem: certs.roguePeer.key },
    }]
  ) {
    const other = new MemoryJournal(0);
    const ends: string[] = [];
    const f = ReplicationFollower.start({
      journal: other,
      clusterId: "test",
      nodeId: "c",
      secret: SECRET,
      leader: at,
      tls,
      reconnectDelayMs: 50,
      onSessionEnd: (r) => ends.push(r),
    });
    const before = refusals.length;
    await until(() => refusals.length > before && ends.length > 0, "the TLS refusal");
    await f[Symbol.asyncDispose]();
    assertEquals(other.lastIndex, 0, "nothing streamed without a valid client certificate");
  }
  assert(refusals.every(([r]) => r === "tls-handshake-failed"), JSON.stringify(refusals));
  assert((leader.status().refused["tls-handshake-failed"] ?? 0) >= 2);
});

Deno.test("ReplicationLeader.ready rejects when a TLS listener cannot bind", async () => {
  await using certs = await generateTestCertificates();
  using taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  await using leader = ReplicationLeader.listen({
    journal: new MemoryJournal(1),
    clusterId: "test",
    nodeId: "a",
    secret: SECRET,
    port: taken.addr.port,
    tls: { cert: { pem: certs.peer.cert }, key: { pem: certs.peer.key } },
  });
  await assertRejects(() => leader.ready);
  assert(leader.status().lastError?.startsWith("Cannot listen for replication"));
});
