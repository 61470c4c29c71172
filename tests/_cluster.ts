/**
 * Test helpers for cluster mode: N acceptor nodes (`main.ts` processes) with
 * `coordination.kind: etcd` against a real etcd on loopback, in one temp dir.
 *
 * @module
 */

import { assertEquals } from "../lib/testing/assert.ts";
import { EtcdServer, EtcdServers } from "../lib/testing/etcd_server.ts";
import { OrderClient, type OrderClientOptions } from "./_failover_client.ts";
import { ReplicationRelay } from "./_replication_relay.ts";
import {
  ACCEPTOR_COMP_ID,
  freePorts,
  INITIATOR_COMP_ID,
  type NodePorts,
  NodeProcess,
  Relay,
  status,
  TEST_SECRET,
  waitUntil,
} from "./_failover_cluster.ts";

/** Settings shared by the members. */
export interface ClusterOptions {
  readonly nodes: number;
  readonly ackStrategy?: "forever" | "never" | "timeout";
  readonly minInSync?: number;
  readonly maxLagMs?: number;
  readonly leaseTtlMs?: number;
  readonly safetyMarginMs?: number;
  /** `coordination.etcd.pollIntervalMs`; default 50. */
  readonly pollIntervalMs?: number;
  /**
   * Route each member's etcd connection and its followers' replication connections through
   * relays the test can cut (`etcdRelays[i]`, `replicationRelays[i]`).
   */
  readonly relays?: boolean;
  /** Run a three-member etcd cluster instead of one member (not with `relays`). */
  readonly etcdCluster?: boolean;
  /**
   * Gateway members (`node.role: initiator`) connecting out to this venue instead of acceptor
   * members; each member's `ports.fix` is then its application API port.
   */
  readonly gateway?: GatewayMemberOptions;
}

/** The venue the gateway members of a cluster connect out to. */
export interface GatewayMemberOptions {
  /** The venue's FIX port (e.g. a QuickFIX acceptor). */
  readonly venuePort: number;
  /** Our SenderCompID (default TANDEM). */
  readonly senderCompId?: string;
  /** The venue's CompID (default VENUE). */
  readonly targetCompId?: string;
  /** `api.memberUrls`: node id → API base URL, so that a follower's 503 names the leader's. */
  readonly memberUrls?: Readonly<Record<string, string>>;
}

/** The `fix:` and `sessions:` YAML of a gateway member (its API on `apiPort`). */
export function gatewayMemberYaml(g: GatewayMemberOptions, apiPort: number): {
  fix: string;
  sessions: string;
} {
  return {
    fix: `api:
  listen: 127.0.0.1:${apiPort}
${
      Object.entries(g.memberUrls ?? {}).map(([id, url], i) =>
        `${i === 0 ? "  memberUrls:\n" : ""}    ${id}: ${url}\n`
      ).join("")
    }fix:
  logoutTimeoutS: 1
`,
    sessions: `sessions:
  - beginString: FIX.4.4
    senderCompId: ${g.senderCompId ?? "TANDEM"}
    targetCompId: ${g.targetCompId ?? "VENUE"}
    heartbeatIntervalS: 30
    application: api
    connect:
      addresses: [127.0.0.1:${g.venuePort}]
      backoffMs: [50, 200]
      reconnectDelayMs: 100
`,
  };
}

/** Per-member addresses that may differ from the plain ports (relays). */
export interface MemberRoutes {
  /** etcd client URL this member uses. */
  readonly etcd: string;
  /** Replication address this member publishes to its followers. */
  readonly advertisePort: number;
}

/** The YAML of member `id`. */
export function memberYaml(
  id: string,
  dataDir: string,
  ports: NodePorts,
  all: readonly NodePorts[],
  routes: MemberRoutes,
  o: ClusterOptions,
): string {
  const gw = o.gateway ? gatewayMemberYaml(o.gateway, ports.fix) : undefined;
  return `node:
  id: ${id}
  role: ${gw ? "initiator" : "acceptor"}
  ha: secondary
  dataDir: ${JSON.stringify(dataDir)}
${
    gw?.fix ?? `fix:
  listen: 127.0.0.1:${ports.fix}
  logoutTimeoutS: 1
`
  }journal:
  syncPolicy: none
replication:
  listen: 127.0.0.1:${ports.replication}
  advertise: 127.0.0.1:${routes.advertisePort}
  peers: [${all.map((p) => `127.0.0.1:${p.replication}`).join(", ")}]
  peerIds: [${all.map((_, i) => `n${i + 1}`).filter((n) => n !== id).join(", ")}]
  secret: ${JSON.stringify(TEST_SECRET)}
  ackStrategy: ${o.ackStrategy ?? "forever"}
  heartbeatIntervalMs: 100
  reconnectDelayMs: 50
  connectTimeoutMs: 500
  minInSync: ${o.minInSync ?? 1}
  maxLagMs: ${o.maxLagMs ?? 1000}
coordination:
  kind: etcd
  etcd:
    endpoints: [${routes.etcd}]
    leaseTtlMs: ${o.leaseTtlMs ?? 2000}
    safetyMarginMs: ${o.safetyMarginMs ?? 500}
    pollIntervalMs: ${o.pollIntervalMs ?? 50}
admin:
  listen: 127.0.0.1:${ports.admin}
log:
  level: info
  format: json
${
    gw?.sessions ?? `sessions:
  - beginString: FIX.4.4
    senderCompId: ${ACCEPTOR_COMP_ID}
    targetCompId: ${INITIATOR_COMP_ID}
    heartbeatIntervalS: 30
    application: executor
`
  }`;
}

/** N members and their etcd. */
export class EtcdCluster implements AsyncDisposable {
  readonly dir: string;
  /** The single etcd member (without `etcdCluster`). */
  readonly etcd: EtcdServer | undefined;
  /** The etcd members (with `etcdCluster`). */
  readonly etcdServers: EtcdServers | undefined;
  readonly ports: NodePorts[];
  readonly names: string[];
  readonly options: ClusterOptions;
  readonly procs: (NodeProcess | undefined)[];
  /** With `relays`: member i's connection to etcd. */
  readonly etcdRelays: Relay[] = [];
  /**
   * With `relays`: followers' connections to member i's replication port (cut all, or one
   * follower by id with `cutFollower`).
   */
  readonly replicationRelays: ReplicationRelay[] = [];
  readonly #echo: boolean;

  private constructor(
    dir: string,
    etcd: EtcdServer | EtcdServers,
    options: ClusterOptions,
  ) {
    this.dir = dir;
    this.etcd = etcd instanceof EtcdServer ? etcd : undefined;
    this.etcdServers = etcd instanceof EtcdServers ? etcd : undefined;
    this.options = options;
    const p = freePorts(options.nodes * 3);
    this.ports = Array.from({ length: options.nodes }, (_, i) => ({
      fix: p[i * 3]!,
      admin: p[i * 3 + 1]!,
      replication: p[i * 3 + 2]!,
    }));
    this.names = Array.from({ length: options.nodes }, (_, i) => `n${i + 1}`);
    this.procs = this.names.map(() => undefined);
    if (options.relays) {
      const etcdPort = Number(new URL(this.etcd!.endpoint).port);
      for (const p of this.ports) {
        this.etcdRelays.push(new Relay(etcdPort));
        this.replicationRelays.push(new ReplicationRelay(p.replication));
      }
    }
    this.#echo = Deno.env.get("FAILOVER_DEBUG") !== undefined;
  }

  /** Starts etcd; no member yet. */
  static async create(options: ClusterOptions): Promise<EtcdCluster> {
    const dir = await Deno.makeTempDir({ prefix: "tandem-cluster-" });
    const etcd = options.etcdCluster ? await EtcdServers.start(3) : await EtcdServer.start();
    return new EtcdCluster(dir, etcd, options);
  }

  /** FIX ports of every member, in order (the initiator's address list). */
  get fixPorts(): number[] {
    return this.ports.map((p) => p.fix);
  }

  /** Starts member `i` and waits until its node started. */
  async start(i: number): Promise<NodeProcess> {
    const path = `${this.dir}/${this.names[i]}.yaml`;
    await Deno.writeTextFile(
      path,
      memberYaml(
        this.names[i]!,
        `${this.dir}/${this.names[i]}-data`,
        this.ports[i]!,
        this.ports,
        {
          etcd: this.options.relays
            ? `http://127.0.0.1:${this.etcdRelays[i]!.port}`
            : this.etcdServers?.endpoints.join(", ") ?? this.etcd!.endpoint,
          advertisePort: this.options.relays
            ? this.replicationRelays[i]!.port
            : this.ports[i]!.replication,
        },
        this.options,
      ),
    );
    const p = new NodeProcess(this.names[i]!, ["--config", path], this.#echo);
    this.procs[i] = p;
    await p.waitFor("node started");
    return p;
  }

  /** `/status` of member `i`'s cluster section, or undefined. */
  async cluster(i: number): Promise<Record<string, unknown> | undefined> {
    if (this.procs[i] === undefined) return undefined;
    const s = await status(this.ports[i]!.admin);
    return s?.cluster as Record<string, unknown> | undefined;
  }

  /**
   * Index of the member that leads and accepts logons, once one does; with `except`, a member
   * other than that one (a new leader after it was cut off or frozen).
   */
  async leader(
    timeoutMs = 30_000,
    except = -1,
    what = "a leader accepting logons",
  ): Promise<number> {
    let found = -1;
    try {
      await waitUntil(
        async () => {
          for (let i = 0; i < this.procs.length; i++) {
            if (i === except || this.procs[i] === undefined) continue;
            const s = await status(this.ports[i]!.admin);
            // A gateway leader accepts no logons: it connects out.
            if (
              s?.role === "primary" && (s.acceptingLogons === true || s.nodeRole === "initiator")
            ) {
              found = i;
              return true;
            }
          }
          return false;
        },
        what,
        timeoutMs,
      );
    } catch (e) {
      console.error(await this.describe());
      throw e;
    }
    return found;
  }

  /** Each member's role, cluster status and last log lines: what a failed wait prints. */
  async describe(lines = 40): Promise<string> {
    const out: string[] = [];
    for (let i = 0; i < this.procs.length; i++) {
      const p = this.procs[i];
      if (p === undefined) {
        out.push(`== ${this.names[i]}: not running`);
        continue;
      }
      const s = await status(this.ports[i]!.admin, 1_000);
      out.push(
        `== ${this.names[i]}: role ${s?.role} accepting ${s?.acceptingLogons} epoch ${s?.epoch}` +
          ` cluster ${JSON.stringify(s?.cluster)}`,
        ...p.lines.slice(-lines),
      );
    }
    return out.join("\n");
  }

  /** The in-sync set as member `i` reads it. */
  async inSync(i: number): Promise<string[]> {
    return ((await this.cluster(i))?.inSync as string[] | null) ?? [];
  }

  /** SIGKILLs member `i`. */
  async kill(i: number): Promise<void> {
    const p = this.procs[i];
    this.procs[i] = undefined;
    await p?.[Symbol.asyncDispose]();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    for (let i = 0; i < this.procs.length; i++) await this.kill(i);
    for (const r of [...this.etcdRelays, ...this.replicationRelays]) {
      await r[Symbol.asyncDispose]();
    }
    await this.etcd?.[Symbol.asyncDispose]();
    await this.etcdServers?.[Symbol.asyncDispose]();
    await Deno.remove(this.dir, { recursive: true });
  }
}

/** Key of the acceptor's session on every member. */
export const CLUSTER_SESSION = "FIX.4.4:EXEC->CLIENT";

/**
 * Starts the order client on `ports` (the members' FIX ports, in order), reconnecting every
 * 50 ms and failing the test on a sequence or protocol anomaly; `extra` adds options.
 */
export function startStrictClient(
  ports: readonly number[],
  extra: Omit<Partial<OrderClientOptions>, "ports"> = {},
): Promise<OrderClient> {
  return OrderClient.start({
    ports,
    reconnectDelayMs: 50,
    failOn: ["MsgSeqNum too low", "rejected", "Garbled"],
    ...extra,
  });
}

/** Last journal index member `i` reports in `/status` (-1 when it does not answer). */
export async function lastIndex(c: EtcdCluster, i: number): Promise<number> {
  const s = await status(c.ports[i]!.admin);
  return ((s?.journal as { lastIndex?: number } | undefined)?.lastIndex) ?? -1;
}

/** Waits until the leader's and the client's sequence numbers agree: nothing skipped, nothing reused. */
export async function sequencesAgree(
  c: EtcdCluster,
  leader: number,
  client: OrderClient,
): Promise<void> {
  const h = client.initiator.host.session;
  await waitUntil(async () => {
    const s = await status(c.ports[leader]!.admin);
    const x =
      ((s?.sessions ?? []) as { key: string; nextSenderSeqNum: number; nextTargetSeqNum: number }[])
        .find((e) => e.key === CLUSTER_SESSION);
    return x !== undefined && x.nextTargetSeqNum === h.nextSenderSeqNum &&
      x.nextSenderSeqNum === h.nextTargetSeqNum;
  }, "sequence numbers to agree");
}

/** Asserts every order the client sent was executed exactly once, with no reject. */
export function exactlyOnce(client: OrderClient): void {
  assertEquals(client.wrongOrders().slice(0, 10), []);
  assertEquals(client.duplicates, 0);
  assertEquals(client.unknown, 0);
  assertEquals(client.rejects, []);
}
