/**
 * A node as a member of a cluster coordinated by etcd (`coordination.kind:
 * etcd`): the timers and I/O around the pure decisions of
 * `lib/coordination/policy.ts`, wired to the {@linkcode ReplicationNode}.
 *
 * Every member starts as a follower that follows nobody. Every
 * `pollIntervalMs` it reads the cluster keys and:
 *
 * - **nobody leads** and it is in the in-sync set: campaigns. On an etcd
 *   without an in-sync set (the first election there) it first publishes its
 *   journal position and waits `leaseTtlMs` for the others', deferring to a
 *   live member whose journal is further ahead (`first_election.ts`). The winner
 *   gets an etcd-issued epoch, writes it to its journal as an EpochChange
 *   (`ReplicationNode.promote(reason, epoch)`) and starts leading; the node
 *   then accepts FIX connections as a promoted secondary does today.
 * - **another member leads**: follows its published replication address
 *   (catch-up, or truncation of a divergent suffix into quarantine).
 *   If its link to that leader broke after streaming from it in this epoch
 *   and the leader's replication port refuses connections (the process is
 *   gone, the host alive), it revokes the leader's lease: the election starts
 *   at once instead of after the TTL (the fast path).
 * - **it leads**: checks that its leadership key is still there, revises the
 *   in-sync set (shrink after `maxLagMs`, grow once caught up, never below
 *   `minInSync`) with transactions conditional on its leadership, and renews
 *   its lease every third of the TTL.
 *
 * A leader fences itself — stops releasing at once, then closes its FIX
 * sessions and its FIX port and steps down to follower — when its lease
 * deadline (last renewal sent + TTL − safety margin) passes, when its key is
 * gone or when a conditional write is refused. Releases and Logons check the
 * deadline synchronously (`leaseValid()`), so a process that wakes from a
 * freeze past its deadline sends nothing in its old epoch. The timing
 * argument is in `lib/coordination/policy.ts`.
 *
 * `forever` in a cluster means: released once every member of the in-sync
 * set has the message durably ({@linkcode ClusterMember.foreverStrategy});
 * below `minInSync` members the leader holds.
 *
 * @module
 */

import {
  commitIndex,
  type Coordinator,
  type FollowerView,
  type LeaderRecord,
  type Leadership,
  leaseDeadlineAtMs,
  leaseValid,
  mayCampaign,
  mayRevokeLeader,
  renewIntervalMs,
  renewRetryDelayMs,
  reviseInSync,
} from "../coordination/mod.ts";
import { type ClusterView, EtcdCoordinator } from "../coordination/mod.ts";
import { firstElection, type PeerPosition } from "../coordination/mod.ts";
import type { TandemConfig } from "../config/mod.ts";
import type { Logger } from "../log/mod.ts";
import type { Registry } from "../metrics/registry.ts";
import type {
  AckPolicy,
  AckStrategy,
  ReleasedMessage,
  ReplicationNode,
} from "../replication/mod.ts";

/** Name of the strategy `forever` becomes in a cluster: a release waits for every in-sync member. */
export const IN_SYNC_STRATEGY_NAME = "forever(in-sync)";

/** A replication address. */
export interface Address {
  readonly hostname: string;
  readonly port: number;
}

/** Options of {@linkcode ClusterMember}. */
export interface ClusterMemberOptions {
  readonly coordinator: Coordinator;
  readonly replication: ReplicationNode;
  readonly nodeId: string;
  /** This node's replication address as published to followers. */
  readonly advertise: Address;
  /** Every member's replication address (`replication.peers`, this node's included). */
  readonly members: readonly Address[];
  /** The live array the ReplicationNode follows; this class puts the leader's address in it. */
  readonly follow: Address[];
  readonly leaseTtlMs: number;
  readonly safetyMarginMs: number;
  readonly pollIntervalMs: number;
  readonly maxLagMs: number;
  readonly minInSync: number;
  /** The journal's last index (what a new leader may have released under earlier leaders). */
  readonly lastIndex: () => number;
  /** Asks the release gate to re-evaluate waiting messages. */
  readonly recheck: () => void;
  readonly log: Logger;
  readonly registry: Registry;
  /** Monotonic clock in ms; default `performance.now`. */
  readonly clock?: () => number;
  /** TCP connect probe for the fast path; default a real connect. */
  readonly portRefuses?: (address: string) => Promise<boolean>;
}

interface Leading {
  readonly leadership: Leadership;
  readonly sinceMs: number;
  deadlineAtMs: number;
  /** In-sync set as recorded in etcd. */
  recorded: string[];
  /** Recorded plus members being added: every one must acknowledge before a release. */
  local: string[];
  releasedIndex: number;
  readonly acks: Map<string, number>;
  readonly caughtUpAtMs: Map<string, number>;
  renewTimer: ReturnType<typeof setTimeout> | undefined;
  fenceTimer: ReturnType<typeof setTimeout> | undefined;
  writing: boolean;
}

/** See the module doc. */
export class ClusterMember implements AsyncDisposable {
  readonly #o: ClusterMemberOptions;
  readonly #clock: () => number;
  #leading: Leading | undefined;
  #campaigning = false;
  #view: ClusterView | undefined;
  #streamedFrom: { leaderId: string; epoch: number } | undefined;
  #tickTimer: ReturnType<typeof setTimeout> | undefined;
  #ticking: Promise<void> = Promise.resolve();
  #lastError: string | undefined;
  #leaderlessSinceMs: number | undefined;
  /** First election (no in-sync set in etcd): since when this node publishes its position. */
  #publishedSinceMs: number | undefined;
  readonly #peerPositions = new Map<string, PeerPosition & { readonly revision: string }>();
  #deferredTo: string | undefined;
  #closed = false;
  readonly #m;

  constructor(options: ClusterMemberOptions) {
    this.#o = options;
    this.#clock = options.clock ?? (() => performance.now());
    const r = options.registry;
    this.#m = {
      elections: r.counter("tandem_cluster_elections_total", "Elections won by this node"),
      fences: r.counter("tandem_cluster_fences_total", "Times this leader fenced itself, by cause"),
      revocations: r.counter(
        "tandem_cluster_fast_path_revocations_total",
        "Dead leaders' leases revoked by this node (port refused)",
      ),
      renewal: r.histogram(
        "tandem_cluster_lease_renewal_seconds",
        "Round trip of each leader lease renewal",
      ),
      inSyncChanges: r.counter(
        "tandem_cluster_in_sync_changes_total",
        "In-sync set changes recorded by this leader, by kind (add, remove)",
      ),
    };
    r.gauge("tandem_cluster_in_sync_members", "Members of the in-sync set (as last read)")
      .collectWith(
        () => [[{}, this.#leading?.recorded.length ?? this.#view?.inSync?.members.length ?? 0]],
      );
    r.gauge("tandem_cluster_etcd_healthy", "1 while the last etcd call succeeded").collectWith(
      () => [[{}, options.coordinator.health().healthy ? 1 : 0]],
    );
    r.gauge(
      "tandem_cluster_leaderless_seconds",
      "Time since the cluster has had no leader (0 with one)",
    )
      .collectWith(() => [[
        {},
        this.#leaderlessSinceMs === undefined
          ? 0
          : (this.#clock() - this.#leaderlessSinceMs) / 1000,
      ]]);
    r.gauge("tandem_cluster_lease_remaining_seconds", "Leader: time left before it must fence")
      .collectWith(() => [[
        {},
        this.#leading ? Math.max(0, this.#leading.deadlineAtMs - this.#clock()) / 1000 : 0,
      ]]);
  }

  /** Starts polling. */
  start(): this {
    this.#schedule(0);
    return this;
  }

  /** True while this node leads and its lease deadline has not passed. */
  leaseValid(): boolean {
    const l = this.#leading;
    return l !== undefined && leaseValid(this.#clock(), l.deadlineAtMs);
  }

  /** The highest index releasable under `forever` now (0 while not leading). */
  commitIndex(): number {
    const l = this.#leading;
    if (!l) return 0;
    return commitIndex({
      leaderId: this.#o.nodeId,
      members: l.local,
      acks: l.acks,
      minInSync: this.#o.minInSync,
    });
  }

  /** `forever` in a cluster: every in-sync member has it, and the lease is valid. */
  foreverStrategy(): AckStrategy {
    return {
      name: IN_SYNC_STRATEGY_NAME,
      deadlineAtMs: () => undefined,
      isSatisfied: (c) => this.leaseValid() && c.index <= this.commitIndex(),
    };
  }

  /** A follower made everything up to `index` durable. */
  onAck(followerId: string, index: number): void {
    const l = this.#leading;
    if (!l) return;
    if (index > (l.acks.get(followerId) ?? 0)) l.acks.set(followerId, index);
  }

  /**
   * The gate released a message to a counterparty. Only a release that waited for every
   * in-sync member (`forever` here) raises the index a follower must hold to join the set:
   * one that `never`, `timeout` or `quorum` released promised nothing about the members, and
   * under continuous traffic a follower's ack would never catch up with it (the follower
   * joined only at a quiet moment, or never, and the cluster could not elect it).
   */
  onReleased(released: ReleasedMessage): void {
    if (released.strategy !== IN_SYNC_STRATEGY_NAME) return;
    const l = this.#leading;
    if (l && released.index > l.releasedIndex) l.releasedIndex = released.index;
  }

  /** For `/status`. */
  status(): unknown {
    const v = this.#view;
    const l = this.#leading;
    return {
      coordination: this.#o.coordinator.kind,
      members: this.#o.members.map((m) => `${m.hostname}:${m.port}`),
      leader: v?.leader
        ? { nodeId: v.leader.nodeId, epoch: v.leader.epoch, replication: v.leader.replication }
        : null,
      epoch: v?.epoch ?? null,
      inSync: v?.inSync?.members ?? null,
      leading: l
        ? {
          epoch: l.leadership.epoch,
          inSyncRecorded: l.recorded,
          inSyncLocal: l.local,
          commitIndex: Math.min(this.commitIndex(), this.#o.lastIndex()),
          releasedIndex: l.releasedIndex, // under forever (or held when it took over): see onReleased
          acks: Object.fromEntries(l.acks),
          leaseRemainingMs: Math.round(Math.max(0, l.deadlineAtMs - this.#clock())),
        }
        : null,
      etcd: this.#o.coordinator.health(),
      lastError: this.#lastError ?? null,
    };
  }

  #schedule(delayMs: number): void {
    if (this.#closed) return;
    this.#tickTimer = setTimeout(() => {
      this.#tickTimer = undefined;
      this.#ticking = this.#tick().catch((e) => {
        this.#lastError = e instanceof Error ? e.message : String(e);
      }).finally(() => this.#schedule(this.#o.pollIntervalMs));
    }, delayMs);
  }

  async #tick(): Promise<void> {
    if (this.#closed) return;
    let view: ClusterView;
    try {
      view = await this.#o.coordinator.observe();
    } catch (e) {
      // A leader keeps going until its deadline; the fence timer ends it if etcd stays away.
      this.#error(e);
      return;
    }
    this.#view = view;
    if (view.leader === undefined) this.#leaderlessSinceMs ??= this.#clock();
    else this.#leaderlessSinceMs = undefined;
    if (view.leader !== undefined || view.inSync !== undefined) {
      this.#publishedSinceMs = undefined;
      this.#peerPositions.clear();
      this.#deferredTo = undefined;
    }
    if (this.#closed) return;
    if (this.#leading) {
      await this.#leaderTick(view);
      return;
    }
    const leader = view.leader;
    if (leader === undefined) {
      if (
        !this.#campaigning && mayCampaign({
          nodeId: this.#o.nodeId,
          leaderPresent: false,
          inSync: view.inSync,
          leadingOrCandidate: this.#o.replication.role.role !== "follower",
        })
      ) {
        if (view.inSync === undefined && !(await this.#firstElectionAllows(view))) return;
        await this.#campaign();
      }
      return;
    }
    if (leader.nodeId === this.#o.nodeId) {
      // Our own key from before a restart (or a leadership we fenced): nobody serves it.
      this.#o.log.warn("revoking a leadership of this node it no longer holds", {
        epoch: leader.epoch,
      });
      await this.#o.coordinator.revokeLeader(leader).catch((e) => this.#error(e));
      return;
    }
    await this.#followerTick(leader);
  }

  async #followerTick(leader: LeaderRecord): Promise<void> {
    const addr = parseAddress(leader.replication);
    const current = this.#o.follow[0];
    if (
      this.#o.follow.length !== 1 || current?.hostname !== addr.hostname ||
      current.port !== addr.port
    ) {
      this.#o.follow.splice(0, this.#o.follow.length, addr);
      this.#streamedFrom = undefined;
      this.#o.log.info("following the elected leader", {
        leader: leader.nodeId,
        epoch: leader.epoch,
        replication: leader.replication,
      });
      await this.#o.replication.refollow();
      return;
    }
    const f = this.#o.replication.status().follower;
    const linkDown = f === undefined || f.state !== "streaming";
    if (!linkDown && f.leaderId !== undefined && f.leaderEpoch !== undefined) {
      this.#streamedFrom = { leaderId: f.leaderId, epoch: f.leaderEpoch };
      return;
    }
    if (f === undefined) {
      await this.#o.replication.refollow();
      return;
    }
    const base = {
      leaderId: leader.nodeId,
      leaderEpoch: leader.epoch,
      streamedFrom: this.#streamedFrom,
      linkDown,
    };
    if (!mayRevokeLeader({ ...base, portRefused: true })) return;
    const refused = await (this.#o.portRefuses ?? portRefuses)(leader.replication);
    if (!mayRevokeLeader({ ...base, portRefused: refused })) return;
    this.#o.log.warn("leader process gone (link lost, port refused): revoking its lease", {
      leader: leader.nodeId,
      epoch: leader.epoch,
    });
    this.#m.revocations.inc();
    this.#streamedFrom = undefined;
    await this.#o.coordinator.revokeLeader(leader).catch((e) => this.#error(e));
  }

  /** Publishes this node's position and decides by `firstElection` (see the module doc). */
  async #firstElectionAllows(view: ClusterView): Promise<boolean> {
    const coordinator = this.#o.coordinator;
    if (coordinator.publishPosition === undefined) return true;
    const position = {
      epoch: this.#o.replication.highestEpochSeen,
      lastIndex: this.#o.lastIndex(),
    };
    try {
      await coordinator.publishPosition(this.#o.nodeId, position);
    } catch (e) {
      this.#error(e);
      return false;
    }
    const now = this.#clock();
    this.#publishedSinceMs ??= now;
    for (const [nodeId, p] of view.positions ?? []) {
      if (nodeId === this.#o.nodeId) continue;
      if (this.#peerPositions.get(nodeId)?.revision !== p.revision) {
        this.#peerPositions.set(nodeId, { nodeId, ...p, changedAtMs: now });
      }
    }
    const d = firstElection({
      position,
      publishedSinceMs: this.#publishedSinceMs,
      nowMs: now,
      settleMs: this.#o.leaseTtlMs,
      liveMs: this.#o.leaseTtlMs,
      peers: [...this.#peerPositions.values()],
    });
    if (!d.campaign && d.deferTo !== undefined && d.deferTo.nodeId !== this.#deferredTo) {
      this.#deferredTo = d.deferTo.nodeId;
      this.#o.log.warn("first election: deferring to a member whose journal is further ahead", {
        member: d.deferTo.nodeId,
        itsEpoch: d.deferTo.position.epoch,
        itsLastIndex: d.deferTo.position.lastIndex,
        epoch: position.epoch,
        lastIndex: position.lastIndex,
      });
    }
    return d.campaign;
  }

  async #campaign(): Promise<void> {
    this.#campaigning = true;
    try {
      const sentAtMs = this.#clock();
      const won = await this.#o.coordinator.campaign({
        nodeId: this.#o.nodeId,
        replication: `${this.#o.advertise.hostname}:${this.#o.advertise.port}`,
        highestEpochSeen: this.#o.replication.highestEpochSeen,
        minInSync: this.#o.minInSync,
      });
      if (!won || this.#closed) {
        if (won) await this.#o.coordinator.resign();
        return;
      }
      const now = this.#clock();
      const l: Leading = {
        leadership: won,
        sinceMs: now,
        deadlineAtMs: leaseDeadlineAtMs(sentAtMs, this.#o.leaseTtlMs, this.#o.safetyMarginMs),
        recorded: [...won.inSync],
        local: [...won.inSync],
        // Earlier leaders may have released anything this journal holds.
        releasedIndex: this.#o.lastIndex(),
        acks: new Map(),
        caughtUpAtMs: new Map(),
        renewTimer: undefined,
        fenceTimer: undefined,
        writing: false,
      };
      this.#leading = l;
      this.#m.elections.inc();
      this.#o.follow.splice(0, this.#o.follow.length);
      this.#armFence(l);
      this.#armRenew(l);
      this.#o.log.warn("elected leader", {
        epoch: won.epoch,
        inSync: won.inSync,
        leaseRemainingMs: Math.round(l.deadlineAtMs - now),
      });
      const state = await this.#o.replication.promote(
        `elected by etcd at epoch ${won.epoch}`,
        won.epoch,
      );
      if (state.role !== "leader" || state.epoch !== won.epoch) {
        await this.#fence(
          `promotion to epoch ${won.epoch} failed (${state.role} at ${state.epoch})`,
        );
      }
    } catch (e) {
      this.#error(e);
    } finally {
      this.#campaigning = false;
    }
  }

  #armFence(l: Leading): void {
    if (l.fenceTimer !== undefined) clearTimeout(l.fenceTimer);
    l.fenceTimer = setTimeout(() => {
      l.fenceTimer = undefined;
      if (this.#leading === l && !this.leaseValid()) {
        void this.#fence("lease not renewed before its deadline (TTL minus safety margin)");
      } else if (this.#leading === l) this.#armFence(l);
    }, Math.max(0, l.deadlineAtMs - this.#clock()));
  }

  #armRenew(l: Leading, delayMs = renewIntervalMs(this.#o.leaseTtlMs)): void {
    l.renewTimer = setTimeout(async () => {
      l.renewTimer = undefined;
      if (this.#leading !== l) return;
      const sentAtMs = this.#clock();
      let next = renewIntervalMs(this.#o.leaseTtlMs);
      try {
        await this.#o.coordinator.renew();
        const now = this.#clock();
        this.#m.renewal.observe((now - sentAtMs) / 1000);
        // A renewal that came back after the deadline cannot revive a fenced leader.
        if (this.#leading === l && leaseValid(now, l.deadlineAtMs)) {
          l.deadlineAtMs = Math.max(
            l.deadlineAtMs,
            leaseDeadlineAtMs(sentAtMs, this.#o.leaseTtlMs, this.#o.safetyMarginMs),
          );
          this.#armFence(l);
        }
      } catch (e) {
        this.#error(e);
        next = renewRetryDelayMs(this.#o.leaseTtlMs);
      }
      if (this.#leading === l) this.#armRenew(l, next);
    }, delayMs);
  }

  async #leaderTick(view: ClusterView): Promise<void> {
    const l = this.#leading!;
    if (!this.leaseValid()) {
      await this.#fence("lease deadline passed");
      return;
    }
    if (view.leader?.createRevision !== l.leadership.record.createRevision) {
      await this.#fence(
        view.leader
          ? `etcd names ${view.leader.nodeId} leader at epoch ${view.leader.epoch}`
          : "the leadership key is gone from etcd",
      );
      return;
    }
    const role = this.#o.replication.role.role;
    if (role === "follower") {
      // Stepped down on its own (a peer showed a higher epoch): the lease must not outlive it.
      await this.#fence("replication stepped down to follower");
      return;
    }
    if (role !== "leader" || l.writing) return;
    const now = this.#clock();
    const followers = new Map<string, FollowerView>();
    for (const f of this.#o.replication.status().leader?.followers ?? []) {
      if (f.state !== "streaming" && f.state !== "catching-up") continue;
      const caught = now - f.lagMs;
      const prev = l.caughtUpAtMs.get(f.nodeId) ?? l.sinceMs;
      l.caughtUpAtMs.set(f.nodeId, Math.max(prev, caught));
      followers.set(f.nodeId, {
        connected: true,
        ackedIndex: l.acks.get(f.nodeId) ?? 0,
        caughtUpAtMs: l.caughtUpAtMs.get(f.nodeId)!,
      });
    }
    for (const [id, at] of l.caughtUpAtMs) {
      if (!followers.has(id)) {
        followers.set(id, { connected: false, ackedIndex: l.acks.get(id) ?? 0, caughtUpAtMs: at });
      }
    }
    const change = reviseInSync({
      leaderId: this.#o.nodeId,
      members: l.recorded,
      followers,
      releasedIndex: l.releasedIndex,
      leaderSinceMs: l.sinceMs,
      nowMs: now,
      maxLagMs: this.#o.maxLagMs,
      minInSync: this.#o.minInSync,
    });
    if (change.members === undefined) return;
    const next = change.members;
    // Members being added count at once; removed ones until etcd has recorded it.
    l.local = [...new Set([...l.recorded, ...next])];
    l.writing = true;
    try {
      const ok = await this.#o.coordinator.writeInSync(next);
      if (this.#leading !== l) return;
      if (!ok) {
        await this.#fence("etcd refused the in-sync write: this node no longer holds leadership");
        return;
      }
      l.recorded = [...next];
      l.local = [...next];
      if (change.added.length > 0) this.#m.inSyncChanges.inc({ kind: "add" }, change.added.length);
      if (change.removed.length > 0) {
        this.#m.inSyncChanges.inc({ kind: "remove" }, change.removed.length);
      }
      this.#o.log.warn("in-sync set changed", {
        inSync: next,
        added: change.added,
        removed: change.removed,
      });
    } catch (e) {
      this.#error(e);
    } finally {
      l.writing = false;
      this.#o.recheck();
    }
  }

  /** Stops releasing (at once), then steps down and gives the lease up. */
  async #fence(reason: string): Promise<void> {
    const l = this.#leading;
    if (!l) return;
    this.#leading = undefined;
    if (l.renewTimer !== undefined) clearTimeout(l.renewTimer);
    if (l.fenceTimer !== undefined) clearTimeout(l.fenceTimer);
    this.#m.fences.inc({
      cause: reason.split(" ").slice(0, 3).join("_").replace(/[^A-Za-z_]/g, ""),
    });
    this.#o.log.warn("fencing: this node stops leading", { epoch: l.leadership.epoch, reason });
    await this.#o.replication.stepDown(reason);
    await this.#o.coordinator.resign();
  }

  #error(e: unknown): void {
    const why = e instanceof Error ? e.message : String(e);
    if (why !== this.#lastError) {
      this.#o.log.warn("cluster coordination call failed", { error: why });
    }
    this.#lastError = why;
  }

  /** Stops polling, gives leadership up and closes the coordinator. */
  async [Symbol.asyncDispose](): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#tickTimer !== undefined) clearTimeout(this.#tickTimer);
    await this.#ticking;
    const l = this.#leading;
    this.#leading = undefined;
    if (l?.renewTimer !== undefined) clearTimeout(l.renewTimer);
    if (l?.fenceTimer !== undefined) clearTimeout(l.fenceTimer);
    await this.#o.coordinator[Symbol.asyncDispose]();
  }
}

function parseAddress(hostPort: string): Address {
  const i = hostPort.lastIndexOf(":");
  return {
    hostname: hostPort.slice(0, i).replace(/^\[|\]$/g, ""),
    port: Number(hostPort.slice(i + 1)),
  };
}

/** Whether a TCP connect to `hostPort` is refused (an open or silent port is not). */
async function portRefuses(hostPort: string): Promise<boolean> {
  const { hostname, port } = parseAddress(hostPort);
  try {
    const conn = await Deno.connect({ hostname, port });
    conn.close();
    return false;
  } catch (e) {
    return e instanceof Deno.errors.ConnectionRefused;
  }
}

/** What {@linkcode startClusterMember} needs besides the configuration. */
export interface ClusterMemberDeps {
  readonly replication: ReplicationNode;
  readonly follow: Address[];
  readonly lastIndex: () => number;
  readonly recheck: () => void;
  readonly log: Logger;
  readonly registry: Registry;
  /** Reads a PEM file; default `Deno.readFile`. */
  readonly readFile?: (path: string) => Promise<Uint8Array>;
}

/** Builds the etcd coordinator from `coordination.etcd` and starts the member. */
export async function startClusterMember(
  config: TandemConfig,
  deps: ClusterMemberDeps,
): Promise<ClusterMember> {
  const e = config.coordination.etcd;
  const r = config.replication;
  const read = deps.readFile ?? Deno.readFile;
  const coordinator = new EtcdCoordinator({
    endpoints: e.endpoints,
    prefix: (e.prefix ?? `/tandem/${r.clusterId}`).replace(/\/+$/, ""),
    leaseTtlMs: e.leaseTtlMs,
    ...(e.username !== undefined && e.password !== undefined
      ? { auth: { username: e.username, password: e.password } }
      : {}),
    ...(e.caFile !== undefined
      ? {
        tls: {
          ca: await read(e.caFile),
          ...(e.certFile !== undefined ? { cert: await read(e.certFile) } : {}),
          ...(e.keyFile !== undefined ? { key: await read(e.keyFile) } : {}),
        },
      }
      : {}),
  });
  const listen = r.listen!;
  const members: Address[] = [];
  for (const p of [...r.peers, listen]) {
    if (!members.some((m) => m.hostname === p.hostname && m.port === p.port)) members.push(p);
  }
  // Published for followers: replication.advertise, else a wildcard listen address is
  // published as the peers entry with the same port, else listen itself.
  const wildcard = listen.hostname === "0.0.0.0" || listen.hostname === "::";
  const advertise = r.advertise ??
    (wildcard ? (r.peers.find((p) => p.port === listen.port) ?? listen) : listen);
  return new ClusterMember({
    coordinator,
    nodeId: config.node.id,
    advertise,
    members,
    leaseTtlMs: e.leaseTtlMs,
    safetyMarginMs: e.safetyMarginMs,
    pollIntervalMs: e.pollIntervalMs,
    maxLagMs: r.maxLagMs,
    minInSync: r.minInSync,
    ...deps,
  }).start();
}

/** In a cluster `forever` means the in-sync set (see the module doc); other policies stay. */
export function clusterAckPolicy(policy: AckPolicy, member: ClusterMember): AckPolicy {
  return policy.kind === "forever"
    ? { kind: "custom", strategy: member.foreverStrategy() }
    : policy;
}
