/**
 * {@linkcode Coordinator} on etcd (v3 API, through the npm `etcd3` client).
 *
 * ## Keys, under `prefix` (default `/tandem/<clusterId>`)
 *
 * - `<prefix>/leader`: JSON `{nodeId, epoch, replication, leaseId}`, attached
 *   to the leader's lease: etcd deletes it when the lease expires or is
 *   revoked. Its create revision identifies one leadership.
 * - `<prefix>/epoch`: the last epoch issued, a decimal number. Epochs are
 *   issued by compare-and-swap on this key, so they are strictly increasing
 *   and unique per leadership (a new candidate also goes above every epoch
 *   in its own journal, which covers an etcd whose data was lost).
 * - `<prefix>/insync`: JSON `{members, leaderId, epoch}`.
 *
 * ## Transactions
 *
 * - **Campaign**: if `leader` does not exist and `epoch` and `insync` are
 *   unchanged since the read that allowed the campaign, then create `leader`
 *   on a fresh lease, put `epoch + 1` and the new in-sync set. Two candidates
 *   cannot both succeed: the second compare fails.
 * - **In-sync writes** (fencing): if `leader`'s create revision is still this
 *   leader's, put `insync`. A deposed leader's write fails.
 *
 * Every call carries a deadline (`callTimeoutMs`), so a hung or unreachable
 * etcd makes calls fail instead of hanging; leadership then ends by the
 * lease deadline (see `policy.ts`).
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { circuitBreaker, ConsecutiveBreaker, handleAll } from "cockatiel";
import { Etcd3, type Lease } from "etcd3";
import type {
  CampaignRequest,
  ClusterView,
  Coordinator,
  CoordinatorHealth,
  LeaderRecord,
  Leadership,
} from "./coordinator.ts";
import { inSyncAfterElection, type InSyncRecord, mayCampaign, nextEpoch } from "./policy.ts";

/**
 * How long the client skips an etcd member after three failed calls in a row.
 * etcd3's default (5 s) also cuts off the healthy members while etcd elects a
 * new Raft leader (every member fails then), which would outlast a lease.
 */
export const ETCD_MEMBER_SKIP_MS = 250;

/** Default {@linkcode EtcdCoordinatorOptions.callTimeoutMs}. */
export const DEFAULT_ETCD_CALL_TIMEOUT_MS = 1_000;

/** Options of {@linkcode EtcdCoordinator}. */
export interface EtcdCoordinatorOptions {
  /** Client URLs, `http://host:port` or `https://host:port`. */
  readonly endpoints: readonly string[];
  /** Key prefix of the cluster, without a trailing slash. */
  readonly prefix: string;
  /** Lease time to live; a multiple of 1000 (etcd counts whole seconds). */
  readonly leaseTtlMs: number;
  /** Deadline of each etcd call; default {@linkcode DEFAULT_ETCD_CALL_TIMEOUT_MS}. */
  readonly callTimeoutMs?: number;
  /** Username and password. */
  readonly auth?: { readonly username: string; readonly password: string };
  /** TLS: CA bundle, and optionally a client certificate with its key (PEM). */
  readonly tls?: {
    readonly ca: Uint8Array;
    readonly cert?: Uint8Array;
    readonly key?: Uint8Array;
  };
}

interface Held {
  readonly lease: Lease;
  readonly record: LeaderRecord;
}

/** See the module doc. */
export class EtcdCoordinator implements Coordinator {
  readonly kind = "etcd" as const;
  readonly leaseTtlMs: number;
  readonly #client: Etcd3;
  readonly #o: EtcdCoordinatorOptions;
  readonly #callTimeoutMs: number;
  #held: Held | undefined;
  #health: CoordinatorHealth = { healthy: false, detail: "not contacted yet" };
  #closed = false;

  /** Creates the client; nothing is contacted until the first call. */
  constructor(options: EtcdCoordinatorOptions) {
    if (options.leaseTtlMs % 1000 !== 0 || options.leaseTtlMs < 1000) {
      throw new RangeError(
        `Cannot use leaseTtlMs ${options.leaseTtlMs}: etcd leases last whole seconds`,
      );
    }
    if (options.endpoints.length === 0) {
      throw new RangeError("Cannot connect to etcd: no endpoints");
    }
    this.#o = options;
    this.leaseTtlMs = options.leaseTtlMs;
    this.#callTimeoutMs = options.callTimeoutMs ?? DEFAULT_ETCD_CALL_TIMEOUT_MS;
    const tls = options.tls;
    this.#client = new Etcd3({
      hosts: [...options.endpoints],
      dialTimeout: this.#callTimeoutMs,
      faultHandling: {
        host: () =>
          circuitBreaker(handleAll, {
            halfOpenAfter: ETCD_MEMBER_SKIP_MS,
            breaker: new ConsecutiveBreaker(3),
          }),
      },
      ...(options.auth ? { auth: { ...options.auth } } : {}),
      ...(tls
        ? {
          credentials: {
            rootCertificate: toBuffer(tls.ca),
            ...(tls.key ? { privateKey: toBuffer(tls.key) } : {}),
            ...(tls.cert ? { certChain: toBuffer(tls.cert) } : {}),
          },
        }
        : {}),
    });
  }

  #key(name: string): string {
    return `${this.#o.prefix}/${name}`;
  }

  async #call<T>(what: string, f: (options: { deadline: number }) => Promise<T>): Promise<T> {
    if (this.#closed) throw new Error(`Cannot ${what}: the etcd client is closed`);
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const r = await Promise.race([
        f({ deadline: Date.now() + this.#callTimeoutMs }),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`no answer within ${this.#callTimeoutMs} ms`)),
            this.#callTimeoutMs,
          );
        }),
      ]);
      this.#health = { healthy: true, detail: `ok (${this.#o.endpoints.join(", ")})` };
      return r;
    } catch (e) {
      const why = e instanceof Error ? e.message : String(e);
      this.#health = { healthy: false, detail: `${what} failed: ${why}` };
      throw new Error(`Cannot ${what} in etcd (${this.#o.endpoints.join(", ")}): ${why}`);
    } finally {
      clearTimeout(timer);
    }
  }

  async #read(): Promise<
    ClusterView & { readonly epochModRevision: string; readonly inSyncModRevision: string }
  > {
    const res = await this.#call(
      "read the cluster keys",
      (options) => this.#client.getAll().prefix(`${this.#o.prefix}/`).options(options).exec(),
    );
    let leader: LeaderRecord | undefined;
    let epoch = 0;
    let inSync: InSyncRecord | undefined;
    let epochModRevision = "0";
    let inSyncModRevision = "0";
    for (const kv of res.kvs) {
      const key = kv.key.toString();
      const value = kv.value.toString();
      if (key === this.#key("leader")) {
        const v = JSON.parse(value) as Omit<LeaderRecord, "createRevision">;
        leader = { ...v, createRevision: String(kv.create_revision) };
      } else if (key === this.#key("epoch")) {
        epoch = Number(value);
        epochModRevision = String(kv.mod_revision);
      } else if (key === this.#key("insync")) {
        inSync = JSON.parse(value) as InSyncRecord;
        inSyncModRevision = String(kv.mod_revision);
      }
    }
    return { leader, epoch, inSync, epochModRevision, inSyncModRevision };
  }

  /** Reads the leader, the epoch counter and the in-sync set in one range request. */
  async observe(): Promise<ClusterView> {
    const v = await this.#read();
    return { leader: v.leader, epoch: v.epoch, inSync: v.inSync };
  }

  /** See {@linkcode Coordinator.campaign} and the module doc. */
  async campaign(request: CampaignRequest): Promise<Leadership | undefined> {
    if (this.#held) return undefined;
    const v = await this.#read();
    const allowed = mayCampaign({
      nodeId: request.nodeId,
      leaderPresent: v.leader !== undefined,
      inSync: v.inSync,
      leadingOrCandidate: false,
    });
    if (!allowed) return undefined;
    const lease = this.#client.lease(this.leaseTtlMs / 1000, { autoKeepAlive: false });
    lease.on("lost", () => {}); // reported through renew(); never an unhandled event
    const leaseId = await this.#call("grant a lease", () => lease.grant());
    const epoch = nextEpoch(v.epoch, request.highestEpochSeen);
    const members = inSyncAfterElection(v.inSync, request.nodeId, request.minInSync);
    const leaderValue = {
      nodeId: request.nodeId,
      epoch,
      replication: request.replication,
      leaseId,
    };
    const c = this.#client;
    const res = await this.#call(
      "campaign",
      (options) =>
        c.if(this.#key("leader"), "Create", "==", 0)
          .and(this.#key("epoch"), "Mod", "==", v.epochModRevision)
          .and(this.#key("insync"), "Mod", "==", v.inSyncModRevision)
          .then(
            c.put(this.#key("leader")).value(JSON.stringify(leaderValue)).lease(leaseId),
            c.put(this.#key("epoch")).value(String(epoch)),
            c.put(this.#key("insync")).value(
              JSON.stringify({ members, leaderId: request.nodeId, epoch }),
            ),
          )
          .options(options)
          .commit(),
    ).catch(async (e) => {
      await lease.revoke().catch(() => {});
      throw e;
    });
    if (!res.succeeded) {
      await lease.revoke().catch(() => {});
      return undefined;
    }
    const record: LeaderRecord = { ...leaderValue, createRevision: String(res.header.revision) };
    this.#held = { lease, record };
    return { epoch, inSync: members, record };
  }

  /** Sends one keepalive; rejects when etcd does not answer or the lease is gone. */
  async renew(): Promise<void> {
    const held = this.#held;
    if (!held) throw new Error("Cannot renew the leader lease: this node does not lead");
    const res = await this.#call(
      "renew the leader lease",
      (options) => held.lease.keepaliveOnce(options),
    );
    if (Number(res.TTL) <= 0) {
      throw new Error(`Cannot renew the leader lease ${held.record.leaseId}: it expired`);
    }
  }

  /** See {@linkcode Coordinator.writeInSync}. */
  async writeInSync(members: readonly string[]): Promise<boolean> {
    const held = this.#held;
    if (!held) return false;
    const c = this.#client;
    const value = { members, leaderId: held.record.nodeId, epoch: held.record.epoch };
    const res = await this.#call(
      "record the in-sync set",
      (options) =>
        c.if(this.#key("leader"), "Create", "==", held.record.createRevision)
          .then(c.put(this.#key("insync")).value(JSON.stringify(value)))
          .options(options)
          .commit(),
    );
    return res.succeeded;
  }

  /** Revokes the held lease (best effort: it expires anyway). */
  async resign(): Promise<void> {
    const held = this.#held;
    this.#held = undefined;
    if (!held) return;
    await this.#call("revoke the leader lease", (options) => held.lease.revoke(options)).catch(
      () => {},
    );
  }

  /** Revokes `leader`'s lease. */
  async revokeLeader(leader: LeaderRecord): Promise<void> {
    await this.#call(
      `revoke the lease of leader ${leader.nodeId}`,
      (options) => this.#client.leaseClient.leaseRevoke({ ID: leader.leaseId }, options),
    );
  }

  /** The latest call's outcome. */
  health(): CoordinatorHealth {
    return this.#health;
  }

  /** Resigns and closes the client. */
  async [Symbol.asyncDispose](): Promise<void> {
    if (this.#closed) return;
    await this.resign();
    this.#closed = true;
    this.#client.close();
  }
}

function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes);
}
