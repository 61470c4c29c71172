/**
 * A lossy failover made explicit, with `main.ts` processes: under ack strategy
 * `never` the primary answers orders while replication is held back, then is
 * SIGKILLed, so the promoted secondary lacks outbound messages the client saw.
 * The client refuses the promoted node's Logon ("MsgSeqNum too low"); the node
 * must log that Text at warn, record the LostOutbound range (journal, `/status`,
 * `/metrics`) and, with the default policy `hold`, refuse the client's retries
 * without using sequence numbers, warning once about the loop — instead of
 * logging out every attempt and burning numbers until they overtake.
 *
 * Set FAILOVER_DEBUG=1 to see the nodes' logs.
 *
 * @module
 */

import { assert, assertEquals } from "../lib/testing/assert.ts";
import { decodeLostOutbound, Journal, RecordKind } from "../lib/journal/mod.ts";
import { admin, Cluster, metricValue, Relay, status, waitUntil } from "./_failover_cluster.ts";
import { OrderClient } from "./_failover_client.ts";

const SESSION = "FIX.4.4:EXEC->CLIENT";

interface SessionRow {
  key: string;
  nextSenderSeqNum: number;
  lostOutbound: { fromSeqNum: number; toSeqNum: number; source: string; policy: string }[];
  heldForOperator: boolean;
  logonLoops: number;
}

async function row(adminPort: number): Promise<SessionRow | undefined> {
  const s = await status(adminPort);
  return ((s?.sessions ?? []) as SessionRow[]).find((x) => x.key === SESSION);
}

Deno.test("never + kill: the promoted node records the lost outbound range and holds instead of looping", async () => {
  await using cluster = await Cluster.create({ ackStrategy: "never" });
  // b follows a through a relay, so the test can hold replication back before the kill
  await using toA = new Relay(cluster.ports.a.replication);
  await cluster.start("a", "primary");
  await cluster.start("b", "secondary", { peerPort: toA.port });
  await using client = await OrderClient.start({
    ports: [cluster.ports.a.fix, cluster.ports.b.fix],
    reconnectDelayMs: 200,
  });
  await client.until(() => client.loggedOn, "first logon");
  for (let i = 0; i < 20; i++) client.sendOrder();
  await client.until(() => client.filledOrders === client.sent, "the first orders filled");
  const lastIndex = async (port: number) =>
    ((await status(port))?.journal as { lastIndex: number } | undefined)?.lastIndex ?? -1;
  await waitUntil(
    async () =>
      (await lastIndex(cluster.ports.b.admin)) === (await lastIndex(cluster.ports.a.admin)),
    "b to hold everything a journaled so far",
  );

  // Replication held back: under `never` the fills still reach the client at once.
  toA.pause();
  for (let i = 0; i < 30; i++) client.sendOrder();
  await client.until(() => client.filledOrders === client.sent, "the held-back orders filled");
  await cluster.kill("a");
  toA.cut();
  toA.resume();
  await client.until(() => !client.loggedOn, "the client to see the disconnect");

  const seen = client.initiator.host.session.nextTargetSeqNum - 1;
  const had = (await row(cluster.ports.b.admin))!.nextSenderSeqNum - 1;
  assert(had > 40, `b holds the replicated prefix (${had} outbound messages)`);
  assert(seen > had, `the secondary lacks outbound messages (client saw ${seen}, b had ${had})`);

  const r = await admin(cluster.ports.b.admin, "/promote", "POST");
  assertEquals(r?.status, 200, `POST /promote answered ${r?.status}: ${r?.body}`);

  // The client refuses b's Logon (its MsgSeqNum had + 1 is below seen + 1): b holds.
  await waitUntil(
    async () => ((await row(cluster.ports.b.admin))?.lostOutbound.length ?? 0) > 0,
    "b to record the lost outbound range",
  );
  const held = (await row(cluster.ports.b.admin))!;
  assertEquals(held.lostOutbound, [{
    fromSeqNum: had + 1,
    toSeqNum: seen,
    source: "logout-text",
    policy: "hold",
  }]);
  assertEquals(held.heldForOperator, true);
  const b = cluster.procs.b!;
  const warned = b.lines.filter((l) =>
    l.includes('"level":"warn"') && l.includes("Received Logout request: MsgSeqNum too low")
  );
  assertEquals(warned.length, 1, "the counterparty's Logout Text, at warn");

  // The client keeps retrying; every retry is refused with the reason and costs b nothing.
  const heldNext = held.nextSenderSeqNum;
  const refusals = () => client.log.filter((l) => l.includes("Session held:")).length;
  await client.until(() => refusals() >= 4, "four refused retries");
  const after = (await row(cluster.ports.b.admin))!;
  assertEquals(after.nextSenderSeqNum, heldNext, "no sequence number used while held");
  assertEquals(after.lostOutbound.length, 1, "the range is recorded once");
  assertEquals(client.logons, 1, "never logged on to a node that lost messages");
  await waitUntil(
    () => b.lines.some((l) => l.includes("Logon/logout loop")),
    "the loop warning",
  );
  assertEquals(b.lines.filter((l) => l.includes("Logon/logout loop")).length, 1, "warned once");
  assertEquals(after.logonLoops, 1);

  const metrics = (await admin(cluster.ports.b.admin, "/metrics"))?.body ?? "";
  assertEquals(
    metricValue(metrics, `tandem_session_lost_outbound_messages{session="${SESSION}"}`),
    seen - had,
  );
  assertEquals(metricValue(metrics, `tandem_session_held{session="${SESSION}"}`), 1);

  // The journal keeps the range (an Audit record every release can read).
  client.stop();
  await cluster.kill("b");
  await using journal = await Journal.open(`${cluster.dir}/b-data`, { syncPolicy: "none" });
  const notes = [];
  for (let i = 1; i <= journal.lastIndex; i++) {
    const rec = journal.read(i);
    const note = rec?.kind === RecordKind.Audit ? decodeLostOutbound(rec.payload) : undefined;
    if (note !== undefined) notes.push(note);
  }
  assertEquals(notes, [{
    session: SESSION,
    fromSeqNum: had + 1,
    toSeqNum: seen,
    source: "logout-text",
    policy: "hold",
  }]);
});
