/**
 * Test helpers for a replicated gateway (`node.role: initiator` with
 * `node.ha: primary|secondary`): a static pair of `main.ts` processes over one
 * temp dir, connecting out to a venue, with the API on each node's
 * `ports.fix` slot (a gateway never listens for FIX). The etcd cluster of
 * gateways is `EtcdCluster` in `_cluster.ts` with its `gateway` option.
 *
 * @module
 */

import type { QfPeerEvent } from "./interop/_peer.ts";
import { api, orderJson } from "./_gateway_process.ts";
import {
  freePorts,
  isStreaming,
  type NodeName,
  type NodePorts,
  NodeProcess,
  status,
  TEST_SECRET,
  waitUntil,
} from "./_failover_cluster.ts";
import { gatewayMemberYaml } from "./_cluster.ts";

/** The gateway's session key (TANDEM connects out to VENUE). */
export const GATEWAY_SESSION = "FIX.4.4:TANDEM->VENUE";

/** YAML of one node of a static gateway pair; `ports.fix` is its API port. */
export function gatewayPairYaml(
  id: NodeName,
  ha: "primary" | "secondary",
  dataDir: string,
  ports: NodePorts,
  peerReplicationPort: number,
  venuePort: number,
  o: {
    ackStrategy: "forever" | "never" | "timeout";
    autoPromoteAfterMs?: number;
    heartbeatIntervalMs?: number;
  },
): string {
  const gw = gatewayMemberYaml({ venuePort }, ports.fix);
  return `node:
  id: ${id}
  role: initiator
  ha: ${ha}
  dataDir: ${JSON.stringify(dataDir)}
${gw.fix}journal:
  syncPolicy: none
replication:
  listen: 127.0.0.1:${ports.replication}
${
    ha === "secondary"
      ? `  primary: 127.0.0.1:${peerReplicationPort}\n`
      : `  peers: [127.0.0.1:${peerReplicationPort}]\n`
  }  peerIds: [${id === "a" ? "b" : "a"}]
  secret: ${JSON.stringify(TEST_SECRET)}
  ackStrategy: ${o.ackStrategy}
  heartbeatIntervalMs: ${o.heartbeatIntervalMs ?? 100}
  autoPromoteAfterMs: ${o.autoPromoteAfterMs ?? 0}
  reconnectDelayMs: 50
admin:
  listen: 127.0.0.1:${ports.admin}
log:
  level: info
  format: json
${gw.sessions}`;
}

/** Two gateway nodes, `a` and `b`, in front of a venue on `venuePort`. */
export class GatewayPair implements AsyncDisposable {
  readonly dir: string;
  readonly venuePort: number;
  readonly ports: Record<NodeName, NodePorts>;
  readonly procs: Record<NodeName, NodeProcess | undefined> = { a: undefined, b: undefined };
  readonly #ack: "forever" | "never" | "timeout";
  readonly #echo = Deno.env.get("FAILOVER_DEBUG") !== undefined;

  private constructor(dir: string, venuePort: number, ack: "forever" | "never" | "timeout") {
    this.dir = dir;
    this.venuePort = venuePort;
    this.#ack = ack;
    const p = freePorts(6);
    this.ports = {
      a: { fix: p[0]!, admin: p[1]!, replication: p[2]! },
      b: { fix: p[3]!, admin: p[4]!, replication: p[5]! },
    };
  }

  /** Creates the temp dir; starts nothing. */
  static async create(
    venuePort: number,
    ackStrategy: "forever" | "never" | "timeout" = "forever",
  ): Promise<GatewayPair> {
    const dir = await Deno.makeTempDir({ prefix: "tandem-gwha-" });
    return new GatewayPair(dir, venuePort, ackStrategy);
  }

  /** Starts `name` as `ha`; a secondary once it streams from its primary. */
  async start(
    name: NodeName,
    ha: "primary" | "secondary",
    o: {
      autoPromoteAfterMs?: number;
      heartbeatIntervalMs?: number;
      /** Replication port a secondary follows (default the other node's; e.g. a relay). */
      peerPort?: number;
    } = {},
  ): Promise<NodeProcess> {
    const other: NodeName = name === "a" ? "b" : "a";
    const path = `${this.dir}/${name}-${ha}.yaml`;
    await Deno.writeTextFile(
      path,
      gatewayPairYaml(
        name,
        ha,
        `${this.dir}/${name}-data`,
        this.ports[name],
        o.peerPort ?? this.ports[other].replication,
        this.venuePort,
        {
          ackStrategy: this.#ack,
          ...(o.autoPromoteAfterMs === undefined
            ? {}
            : { autoPromoteAfterMs: o.autoPromoteAfterMs }),
          ...(o.heartbeatIntervalMs === undefined
            ? {}
            : { heartbeatIntervalMs: o.heartbeatIntervalMs }),
        },
      ),
    );
    const p = new NodeProcess(name, ["--config", path], this.#echo);
    this.procs[name] = p;
    await p.waitFor("node started");
    if (ha === "secondary") {
      await waitUntil(() => isStreaming(this.ports[name].admin), `${name} streaming`);
    }
    return p;
  }

  /** SIGKILLs `name` and waits until it is gone. */
  async kill(name: NodeName): Promise<void> {
    const p = this.procs[name];
    this.procs[name] = undefined;
    await p?.[Symbol.asyncDispose]();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.kill("a");
    await this.kill("b");
    await Deno.remove(this.dir, { recursive: true });
  }
}

/** Sends NewOrderSingle `clOrdId` through a gateway's API; throws unless it was accepted. */
export async function sendOrder(apiPort: number, clOrdId: string): Promise<void> {
  const path = `/sessions/${encodeURIComponent(GATEWAY_SESSION)}/messages`;
  const r = await api(apiPort, "POST", path, orderJson(clOrdId));
  if (r.status !== 200) {
    throw new Error(`order ${clOrdId}: HTTP ${r.status} ${JSON.stringify(r.json)}`);
  }
}

/** The gateway session as `/status` of the node on `adminPort` shows it. */
export async function gatewaySession(
  adminPort: number,
): Promise<Record<string, unknown> | undefined> {
  const s = await status(adminPort);
  const sessions = (s?.sessions ?? []) as Record<string, unknown>[];
  return sessions.find((x) => x.key === GATEWAY_SESSION);
}

/** Waits until the gateway on `adminPort` is logged on to the venue. */
export async function waitLoggedOn(adminPort: number, timeoutMs = 60_000): Promise<void> {
  await waitUntil(
    async () => (await gatewaySession(adminPort))?.loggedOn === true,
    `gateway on admin port ${adminPort} logged on`,
    timeoutMs,
  );
}

/** Waits until the gateway has received `n` executions or more (`nextTargetSeqNum` - 1 ≥ n + admin). */
export async function waitTargetSeq(
  adminPort: number,
  atLeast: number,
  timeoutMs = 60_000,
): Promise<void> {
  await waitUntil(
    async () => Number((await gatewaySession(adminPort))?.nextTargetSeqNum ?? 0) >= atLeast,
    `gateway on admin port ${adminPort} at nextTargetSeqNum ${atLeast}`,
    timeoutMs,
  );
}

/**
 * The venue's session events never show two logons without an end between them (no
 * overlapping sessions), and no Logout text complains of a sequence number.
 */
export function assertVenueHistoryClean(events: readonly QfPeerEvent[]): void {
  let up = false;
  for (const e of events) {
    if (e.event === "logon") {
      if (up) throw new Error(`two logons overlap: ${JSON.stringify(events)}`);
      up = true;
    } else {
      up = false;
    }
    if (/too low|MsgSeqNum/i.test(e.text ?? "")) {
      throw new Error(`sequence number complaint: ${JSON.stringify(e)}`);
    }
  }
}
