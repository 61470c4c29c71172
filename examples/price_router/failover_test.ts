/**
 * Failover continuity applies to your own application: the price router's `main.ts` as a
 * primary/secondary pair (`forever` acknowledgements), the primary SIGKILLed with orders in
 * flight, the secondary promoted. Every order gets exactly one acknowledgement and one fill, and
 * no OrderID or ExecID names two different things.
 *
 * @module
 */

import { assertEquals } from "../../lib/testing/assert.ts";
import {
  acceptorYaml,
  admin,
  freePorts,
  type NodePorts,
  NodeProcess,
  status,
  waitUntil,
} from "../../tests/_failover_cluster.ts";
import { OrderClient } from "../../tests/_failover_client.ts";

const MAIN = new URL("./main.ts", import.meta.url).pathname;

Deno.test("price router example: across a SIGKILL failover each order is answered exactly once, with ids never reused", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tandem-router-pair-" });
  const [a0, a1, a2, b0, b1, b2] = freePorts(6);
  const ports: Record<"a" | "b", NodePorts> = {
    a: { fix: a0!, admin: a1!, replication: a2! },
    b: { fix: b0!, admin: b1!, replication: b2! },
  };
  const start = async (name: "a" | "b", ha: "primary" | "secondary") => {
    const path = `${dir}/${name}-${ha}.yaml`;
    const peer = ports[name === "a" ? "b" : "a"].replication;
    const yaml = acceptorYaml(name, ha, `${dir}/${name}-data`, ports[name], peer, {
      ackStrategy: "forever",
      maxBatchBytes: 4096,
    }, 0).replace("application: executor", "application: router");
    await Deno.writeTextFile(path, yaml);
    const p = new NodeProcess(name, ["run", "--config", path], false, MAIN);
    await p.waitFor("node started");
    if (ha === "secondary") {
      await waitUntil(async () => {
        const f = ((await status(ports[name].admin))?.replication as {
          follower?: { state?: string };
        })?.follower;
        return f?.state === "streaming";
      }, `${name} streaming`);
    }
    return p;
  };
  let a: NodeProcess | undefined = await start("a", "primary");
  let b: NodeProcess | undefined = await start("b", "secondary");
  const client = await OrderClient.start({
    ports: [ports.a.fix, ports.b.fix],
    reconnectDelayMs: 100,
    failOn: ["MsgSeqNum too low", "Garbled"],
  });
  try {
    await client.until(() => client.loggedOn, "first logon");
    const killAt = 150;
    const streaming = client.stream(300, 50, (n) => {
      if (n === killAt) a?.kill("SIGKILL");
    });
    streaming.catch(() => {});
    await client.until(() => client.sent >= killAt, "the kill point");
    await a[Symbol.asyncDispose]();
    const logons = client.logons;
    const promoted = await admin(ports.b.admin, "/promote", "POST");
    assertEquals(promoted?.status, 200, promoted?.body);
    a = await start("a", "secondary"); // `forever` waits for a replica
    await client.until(() => client.logons > logons, "logon to the promoted router");
    await streaming;
    await client.until(() => client.filledOrders === client.sent, "every order filled");
    assertEquals(client.wrongOrders().slice(0, 5), []);
    assertEquals(client.reusedIds.slice(0, 5), []);
    assertEquals(client.rejects, []);
    assertEquals(client.orderIds.size, 300);
    assertEquals(client.execIds.size, 600);
  } finally {
    await client[Symbol.asyncDispose]();
    await a?.[Symbol.asyncDispose]();
    await b?.[Symbol.asyncDispose]();
    b = undefined;
    await Deno.remove(dir, { recursive: true });
  }
});
