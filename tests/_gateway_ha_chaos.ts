/**
 * Test helpers for a highly available gateway: N `role: initiator` members
 * (`main.ts` processes) replicated as a static pair or as an etcd cluster,
 * each serving the application API, all in front of one venue; plus the
 * chaos loop that SIGKILLs the leader again and again while an application
 * streams orders through {@linkcode GatewayHaClient}.
 *
 * Processes, ports and polling come from `_failover_cluster.ts`; etcd from
 * `lib/testing/etcd_server.ts`.
 *
 * @module
 */

import { EtcdServer } from "../lib/testing/etcd_server.ts";
import { gatewayMemberYaml as gatewayApiAndSessionYaml } from "./_cluster.ts";
import {
  freePorts,
  isStreaming,
  NodeProcess,
  status,
  TEST_SECRET,
  waitUntil,
} from "./_failover_cluster.ts";

/** The gateway's session towards the venue (gateway side). */
export const GATEWAY_COMP_ID = "GW";
/** The venue's CompID. */
export const VENUE_COMP_ID = "VENUE";
/** Session key of the gateway's session. */
export const GATEWAY_SESSION = `FIX.4.4:${GATEWAY_COMP_ID}->${VENUE_COMP_ID}`;

/** Ports of one gateway member. */
export interface GatewayPorts {
  readonly admin: number;
  readonly api: number;
  readonly replication: number;
}

/** Settings of a gateway group. */
export interface GatewayHaOptions {
  /** `static`: a pair (members a and b); `etcd`: a cluster (n1…nN) with one etcd member. */
  readonly coordination: "static" | "etcd";
  /** Members (2 for a pair). */
  readonly members: number;
  /** The venue's FIX port, which every member's session connects to. */
  readonly venuePort: number;
  readonly ackStrategy?: "forever" | "timeout" | "never";
  /** Pair: a follower promotes itself after this much link silence. */
  readonly autoPromoteAfterMs?: number;
  /** Cluster. */
  readonly minInSync?: number;
  readonly leaseTtlMs?: number;
}

/** The YAML of gateway member `i` (`ha` only matters for a pair). */
export function gatewayMemberYaml(
  names: readonly string[],
  i: number,
  dataDir: string,
  all: readonly GatewayPorts[],
  o: GatewayHaOptions,
  ha: "primary" | "secondary",
  etcdEndpoint?: string,
): string {
  const me = all[i]!;
  const others = names.filter((_, k) => k !== i);
  const peerRepl = all.filter((_, k) => k !== i).map((p) => `127.0.0.1:${p.replication}`);
  const replicationTarget = o.coordination === "etcd"
    ? `  peers: [${all.map((p) => `127.0.0.1:${p.replication}`).join(", ")}]\n`
    : ha === "secondary"
    ? `  primary: ${peerRepl[0]}\n`
    : `  peers: [${peerRepl.join(", ")}]\n`;
  const coordination = o.coordination === "etcd"
    ? `  minInSync: ${o.minInSync ?? 2}
  maxLagMs: 1000
  connectTimeoutMs: 500
coordination:
  kind: etcd
  etcd:
    endpoints: [${etcdEndpoint}]
    leaseTtlMs: ${o.leaseTtlMs ?? 2000}
    safetyMarginMs: 500
    pollIntervalMs: 50
`
    : `  autoPromoteAfterMs: ${o.autoPromoteAfterMs ?? 300}\n`;
  const gw = gatewayApiAndSessionYaml({
    venuePort: o.venuePort,
    senderCompId: GATEWAY_COMP_ID,
    targetCompId: VENUE_COMP_ID,
    memberUrls: Object.fromEntries(names.map((n, k) => [n, `http://127.0.0.1:${all[k]!.api}`])),
  }, me.api);
  return `node:
  id: ${names[i]}
  role: initiator
  ha: ${o.coordination === "etcd" ? "secondary" : ha}
  dataDir: ${JSON.stringify(dataDir)}
${gw.fix}journal:
  syncPolicy: none
replication:
  listen: 127.0.0.1:${me.replication}
${replicationTarget}  peerIds: [${others.join(", ")}]
  secret: ${JSON.stringify(TEST_SECRET)}
  ackStrategy: ${o.ackStrategy ?? "forever"}
  heartbeatIntervalMs: 100
  reconnectDelayMs: 50
${coordination}admin:
  listen: 127.0.0.1:${me.admin}
log:
  level: info
  format: json
${gw.sessions}`;
}

/** A gateway pair or cluster as `main.ts` processes over one temp dir (see the module doc). */
export class GatewayHa implements AsyncDisposable {
  readonly dir: string;
  readonly options: GatewayHaOptions;
  readonly names: string[];
  readonly ports: GatewayPorts[];
  readonly procs: (NodeProcess | undefined)[];
  readonly etcd: EtcdServer | undefined;
  readonly #echo: boolean;
  /** Starts per member (a restart counts). */
  readonly starts: number[];

  private constructor(dir: string, options: GatewayHaOptions, etcd: EtcdServer | undefined) {
    this.dir = dir;
    this.options = options;
    this.etcd = etcd;
    this.names = options.coordination === "static"
      ? ["a", "b"]
      : Array.from({ length: options.members }, (_, i) => `n${i + 1}`);
    const p = freePorts(this.names.length * 3);
    this.ports = this.names.map((_, i) => ({
      admin: p[3 * i]!,
      api: p[3 * i + 1]!,
      replication: p[3 * i + 2]!,
    }));
    this.procs = this.names.map(() => undefined);
    this.starts = this.names.map(() => 0);
    this.#echo = Deno.env.get("FAILOVER_DEBUG") !== undefined;
  }

  /** Creates the temp dir (and etcd for a cluster); starts no member. */
  static async create(options: GatewayHaOptions): Promise<GatewayHa> {
    if (options.coordination === "static" && options.members !== 2) {
      throw new RangeError("Cannot create a static gateway group: a pair has 2 members");
    }
    const dir = await Deno.makeTempDir({ prefix: "tandem-gateway-ha-" });
    const etcd = options.coordination === "etcd" ? await EtcdServer.start() : undefined;
    return new GatewayHa(dir, options, etcd);
  }

  /** API base URLs of every member, in order. */
  get apiUrls(): string[] {
    return this.ports.map((p) => `http://127.0.0.1:${p.api}`);
  }

  /** Members whose process runs. */
  get alive(): number[] {
    return this.names.map((_, i) => i).filter((i) => this.procs[i] !== undefined);
  }

  /** The data directory of member `i` (its journal). */
  dataDir(i: number): string {
    return `${this.dir}/${this.names[i]!}-data`;
  }

  /**
   * Starts member `i` (as `ha` in a pair: the first primary, every restart a secondary of the
   * other) and waits for its "node started" line.
   */
  async start(i: number, ha: "primary" | "secondary" = "secondary"): Promise<NodeProcess> {
    const name = this.names[i]!;
    const path = `${this.dir}/${name}-${ha}.yaml`;
    await Deno.writeTextFile(
      path,
      gatewayMemberYaml(
        this.names,
        i,
        this.dataDir(i),
        this.ports,
        this.options,
        ha,
        this.etcd?.endpoint,
      ),
    );
    const p = new NodeProcess(
      `gateway ${name}#${++this.starts[i]!}`,
      ["--config", path],
      this.#echo,
    );
    this.procs[i] = p;
    await p.waitFor("node started", 60_000);
    return p;
  }

  /** SIGKILLs member `i` and waits until it is gone. */
  async kill(i: number): Promise<void> {
    const p = this.procs[i];
    this.procs[i] = undefined;
    await p?.[Symbol.asyncDispose]();
  }

  /** `GET /leader` of member `i`'s API, or undefined when it does not answer. */
  async leaderInfo(
    i: number,
  ): Promise<{ nodeId: string; leading: boolean; leader: { nodeId: string } | null } | undefined> {
    try {
      const res = await fetch(`${this.apiUrls[i]}/leader`, { signal: AbortSignal.timeout(2_000) });
      const text = await res.text();
      return res.ok ? JSON.parse(text) : undefined;
    } catch {
      return undefined;
    }
  }

  /** The member that leads and is logged on to the venue, once one does (not `except`). */
  async leader(timeoutMs = 60_000, except = -1): Promise<number> {
    let found = -1;
    await waitUntil(
      async () => {
        for (const i of this.alive) {
          if (i === except) continue;
          if ((await this.leaderInfo(i))?.leading !== true) continue;
          if ((await this.session(i))?.loggedOn === true) {
            found = i;
            return true;
          }
        }
        return false;
      },
      "a gateway leader logged on to the venue",
      timeoutMs,
    );
    return found;
  }

  /** The gateway session as member `i`'s admin `/status` shows it. */
  async session(
    i: number,
  ): Promise<
    { loggedOn: boolean; nextSenderSeqNum: number; nextTargetSeqNum: number } | undefined
  > {
    const s = await status(this.ports[i]!.admin);
    return (s?.sessions as
      | { key: string; loggedOn: boolean; nextSenderSeqNum: number; nextTargetSeqNum: number }[]
      | undefined)?.find((x) => x.key === GATEWAY_SESSION);
  }

  /** Journal last index of member `i` (-1 when it does not answer). */
  async lastIndex(i: number): Promise<number> {
    const s = await status(this.ports[i]!.admin);
    return (s?.journal as { lastIndex?: number } | undefined)?.lastIndex ?? -1;
  }

  /**
   * Waits until member `i` follows `leader` (streaming; in a cluster, in the leader's in-sync
   * set) and holds everything the leader held when the wait began (under continuous traffic the
   * leader's own last index keeps moving).
   */
  async waitCaughtUp(i: number, leader: number, timeoutMs = 60_000): Promise<void> {
    const target = await this.lastIndex(leader);
    await waitUntil(
      async () => {
        if (!(await isStreaming(this.ports[i]!.admin))) return false;
        if (this.options.coordination === "etcd") {
          const c = (await status(this.ports[leader]!.admin))?.cluster as
            | { inSync?: string[] | null }
            | undefined;
          if (!(c?.inSync ?? []).includes(this.names[i]!)) return false;
        }
        return (await this.lastIndex(i)) >= target;
      },
      `gateway ${this.names[i]} following ${this.names[leader]} up to index ${target}`,
      timeoutMs,
    );
  }

  async [Symbol.asyncDispose](): Promise<void> {
    for (let i = 0; i < this.procs.length; i++) await this.kill(i);
    await this.etcd?.[Symbol.asyncDispose]();
    await Deno.remove(this.dir, { recursive: true }).catch(() => {});
  }
}

/** A small seeded PRNG (mulberry32), so a failing chaos run can be replayed with its seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
