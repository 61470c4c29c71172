/**
 * Application identity across failover (issue 12, item 5): the executor's OrderIDs and ExecIDs
 * come from the journal position of the order, so a counterparty that deduplicates fills by
 * ExecID never sees one id for two executions, however many times the primary is SIGKILLed.
 *
 * @module
 */

import { assert, assertEquals } from "../lib/testing/assert.ts";
import { admin, Cluster, type NodeName, status, waitUntil } from "./_failover_cluster.ts";
import { OrderClient } from "./_failover_client.ts";

const FAILOVERS = 3;
const ORDERS_PER_ROUND = 300;

Deno.test("executor: no OrderID or ExecID repeats across a run with several SIGKILL failovers", async () => {
  await using cluster = await Cluster.create({ ackStrategy: "forever" });
  await cluster.start("a", "primary");
  await cluster.start("b", "secondary");
  await using client = await OrderClient.start({
    ports: [cluster.ports.a.fix, cluster.ports.b.fix],
    reconnectDelayMs: 100,
    failOn: ["MsgSeqNum too low", "Garbled"],
  });
  await client.until(() => client.loggedOn, "first logon");
  let leader: NodeName = "a";
  for (let round = 0; round <= FAILOVERS; round++) {
    const target = client.sent + ORDERS_PER_ROUND;
    await client.stream(target, 50);
    await client.until(() => client.filledOrders === client.sent, `round ${round} filled`);
    if (round === FAILOVERS) break;
    // Kill the primary with orders in flight, promote the standby, bring the dead node back as
    // the new primary's secondary (`forever` waits for a replica).
    const standby = Cluster.other(leader);
    const killAt = target + 50;
    const streaming = client.stream(target + 100, 50, (n) => {
      if (n === killAt) cluster.procs[leader]?.kill("SIGKILL");
    });
    streaming.catch(() => {});
    await client.until(() => client.sent >= killAt, "orders in flight at the kill");
    await cluster.kill(leader);
    const logons = client.logons;
    const r = await admin(cluster.ports[standby].admin, "/promote", "POST");
    assertEquals(r?.status, 200, `promote answered ${r?.status}: ${r?.body}`);
    await cluster.start(leader, "secondary");
    await client.until(() => client.logons > logons, "logon to the promoted node");
    await streaming;
    await client.until(() => client.filledOrders === client.sent, "orders after failover");
    leader = standby;
  }
  const st = await status(cluster.ports[leader].admin);
  assert((st?.epoch as number) >= FAILOVERS, `epoch ${st?.epoch} after ${FAILOVERS} failovers`);
  await waitUntil(() => client.filledOrders === client.sent, "every order filled");
  assertEquals(client.reusedIds.slice(0, 5), []);
  assertEquals(client.wrongOrders().slice(0, 5), []);
  assertEquals(client.orderIds.size, client.sent, "one OrderID per order");
  assertEquals(client.execIds.size, 2 * client.sent, "two ExecIDs per order");
});
