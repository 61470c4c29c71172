/**
 * Acceptor session templates across failover and restart, with real processes: a pair of
 * `main.ts` nodes whose only session is a template (`targetCompId: "CLIENT-*"`, a scrypt-hashed
 * password). The first valid Logon of CLIENT-7 creates the session on the primary; the secondary
 * replicates its definition, so after a SIGKILL and a promotion it serves CLIENT-7 with the
 * sequence numbers continued, and again after its own SIGKILL and restart.
 *
 * @module
 */

import { assert, assertEquals } from "../lib/testing/assert.ts";
import { Initiator, MemorySessionStore } from "../lib/engine/mod.ts";
import { hashLogonPassword } from "../lib/engine/logon_policy.ts";
import { formatUtcTimestamp } from "../lib/fix/values.ts";
import {
  acceptorYaml,
  admin,
  freePorts,
  type NodePorts,
  NodeProcess,
  status,
  waitUntil,
} from "./_failover_cluster.ts";

const PASSWORD = "template test password";
const KEY = "FIX.4.4:EXEC->CLIENT-7";

function templateYaml(
  id: string,
  ha: "primary" | "secondary",
  dir: string,
  ports: NodePorts,
  peer: number,
  hash: string,
): string {
  const base = acceptorYaml(id, ha, `${dir}/${id}-data`, ports, peer, {
    ackStrategy: "timeout",
    ackTimeoutMs: 200,
  }, 0);
  return base.replace(
    /sessions:[\s\S]*$/,
    `sessions:
  - beginString: FIX.4.4
    senderCompId: EXEC
    targetCompId: "CLIENT-*"
    logonPassword: ${JSON.stringify(hash)}
    minHeartbeatIntervalS: 1
    application: executor
`,
  );
}

interface SessionRow {
  key: string;
  nextSenderSeqNum: number;
  nextTargetSeqNum: number;
}

async function sessionsOf(adminPort: number): Promise<SessionRow[]> {
  return ((await status(adminPort))?.sessions ?? []) as SessionRow[];
}

Deno.test("acceptor template: a session created by the first valid Logon survives a SIGKILL failover and a restart", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tandem-template-" });
  const [a0, a1, a2, b0, b1, b2] = freePorts(6);
  const ports = {
    a: { fix: a0!, admin: a1!, replication: a2! },
    b: { fix: b0!, admin: b1!, replication: b2! },
  };
  const hash = hashLogonPassword(PASSWORD, { log2N: 12 });
  const start = async (name: "a" | "b", ha: "primary" | "secondary") => {
    const path = `${dir}/${name}-${ha}.yaml`;
    const peer = ports[name === "a" ? "b" : "a"].replication;
    await Deno.writeTextFile(path, templateYaml(name, ha, dir, ports[name], peer, hash));
    const p = new NodeProcess(name, ["--config", path]);
    await p.waitFor("node started");
    return p;
  };
  let a: NodeProcess | undefined = await start("a", "primary");
  let b: NodeProcess | undefined = await start("b", "secondary");
  const fills: string[] = [];
  let logons = 0;
  // One store for the client's successive initiators: its sequence numbers continue.
  const store = new MemorySessionStore();
  const connect = () =>
    new Initiator({
      session: {
        beginString: "FIX.4.4",
        senderCompId: "CLIENT-7",
        targetCompId: "EXEC",
        heartbeatIntervalS: 30,
        logonFields: [[554, PASSWORD]],
      },
      addresses: [
        { hostname: "127.0.0.1", port: ports.a.fix },
        { hostname: "127.0.0.1", port: ports.b.fix },
      ],
      store,
      reconnectDelayMs: 100,
      logger: () => {},
      application: {
        onLogon: () => logons++,
        onMessage: (m) => {
          if (m.msgType === "8" && m.get(39) === "2") fills.push(m.get(11)!);
        },
      },
    }).start();
  let initiator = connect();
  const order = (id: string) =>
    initiator.send("D", [
      [11, id],
      [21, "1"],
      [55, "TNDM"],
      [54, "1"],
      [60, formatUtcTimestamp(Date.now(), 3)],
      [38, 10],
      [40, "2"],
      [44, 10],
    ]);
  /** The node serves the created session before the counterparty comes back, numbers intact. */
  const servesSession = async (adminPort: number) => {
    const [row] = await sessionsOf(adminPort);
    assertEquals(row?.key, KEY);
    assertEquals(row?.nextTargetSeqNum, initiator.host.session.nextSenderSeqNum);
    assertEquals(row?.nextSenderSeqNum, initiator.host.session.nextTargetSeqNum);
  };
  try {
    await waitUntil(() => logons === 1, "the first logon, creating the session");
    assertEquals((await sessionsOf(ports.a.admin)).map((s) => s.key), [KEY]);
    order("before-failover");
    await waitUntil(() => fills.length === 1, "the first fill");
    // The secondary holds the session's definition: wait until it has replicated everything.
    await waitUntil(async () => {
      const la = ((await status(ports.a.admin))?.journal as { lastIndex: number }).lastIndex;
      const lb = ((await status(ports.b.admin))?.journal as { lastIndex: number }).lastIndex;
      return la === lb;
    }, "the secondary to catch up");

    await initiator.close(); // logs out; the next initiator continues the numbers
    await a[Symbol.asyncDispose]();
    a = undefined;
    const promoted = await admin(ports.b.admin, "/promote", "POST");
    assertEquals(promoted?.status, 200, promoted?.body);
    await servesSession(ports.b.admin);
    initiator = connect();
    await waitUntil(() => logons === 2, "logon to the promoted secondary", 60_000);
    order("after-failover");
    await waitUntil(() => fills.length === 2, "the fill after failover");

    // SIGKILL the new primary and start it again on its data directory.
    await initiator.close();
    await b[Symbol.asyncDispose]();
    b = await start("b", "primary");
    await servesSession(ports.b.admin);
    initiator = connect();
    await waitUntil(() => logons === 3, "logon after the restart", 60_000);
    order("after-restart");
    await waitUntil(() => fills.length === 3, "the fill after the restart");
    assertEquals(fills, ["before-failover", "after-failover", "after-restart"]);
    assert(
      !b.lines.some((l) => l.includes(PASSWORD)),
      "the password never reaches the log",
    );
  } finally {
    await initiator.close();
    await a?.[Symbol.asyncDispose]();
    await b?.[Symbol.asyncDispose]();
    await Deno.remove(dir, { recursive: true });
  }
});
