/**
 * Under `ackStrategy: forever` a promoted node with no replica holds every
 * outbound message, its Logon answer included, until a replica has it: the
 * counterparty is not logged on while the node is alone, and is as soon as
 * the killed node rejoins as its secondary (README, "A failover pair"). The
 * failover benchmark measures `forever` that way; this pins the behaviour it
 * relies on, with `main.ts` processes and a SIGKILL.
 *
 * Set FAILOVER_DEBUG=1 to see the nodes' logs.
 *
 * @module
 */

import { assert, assertEquals } from "../lib/testing/assert.ts";
import { admin, Cluster, metricValue, waitUntil } from "./_failover_cluster.ts";
import { OrderClient } from "./_failover_client.ts";

async function waiting(adminPort: number): Promise<number> {
  const m = await admin(adminPort, "/metrics");
  return m === undefined ? -1 : metricValue(m.body, "tandem_ack_waiting_messages");
}

Deno.test("forever: a promoted node holds its Logon answer while alone and sends it once the killed node rejoins", async () => {
  await using cluster = await Cluster.create({ ackStrategy: "forever" });
  await cluster.start("a", "primary");
  await cluster.start("b", "secondary", { autoPromoteAfterMs: 600 });
  await using client = await OrderClient.start({
    ports: [cluster.ports.a.fix, cluster.ports.b.fix],
    reconnectDelayMs: 100,
  });
  await client.until(() => client.loggedOn, "the first logon");
  for (let i = 0; i < 10; i++) client.sendOrder();
  await client.until(() => client.filledOrders === 10, "10 orders filled");

  const b = cluster.procs.b!;
  const from = b.lines.length;
  await cluster.kill("a");
  await b.waitFor("accepting FIX connections", 30_000, from);
  // The client's Logon reaches b, which accepts it and registers its answer: held, not sent.
  await b.waitFor("session logged on", 30_000, from);
  await waitUntil(async () => (await waiting(cluster.ports.b.admin)) >= 1, "the held answer");
  assertEquals(client.logons, 1, "not logged on to a node with no replica");
  assert(!client.loggedOn);

  await cluster.start("a", "secondary");
  await client.until(() => client.logons === 2, "the logon to b once a rejoined");
  for (let i = 0; i < 10; i++) client.sendOrder();
  await client.until(() => client.filledOrders === 20, "10 more orders filled through b");
  await waitUntil(async () => (await waiting(cluster.ports.b.admin)) === 0, "nothing held");
  assertEquals(client.wrongOrders(), []);
});
