/**
 * A replication node: the {@linkcode NodeRole} state machine wired to the
 * leader server, the follower client, the promotion write and the timers.
 *
 * - As **follower** it follows its peers' replication addresses (tried in
 *   turn), and arms one timer for auto-promotion (`autoPromoteAfterMs` after
 *   the last frame heard from the leader).
 * - **Promotion** (by {@linkcode ReplicationNode.promote} or the timer) stops
 *   following, appends an EpochChange for `highestEpochSeen + 1`, waits until
 *   it is durable, then starts leading. Only then does
 *   {@linkcode ReplicationNode.canAcceptLogon} answer true.
 * - As **leader** it serves followers on its replication address and probes
 *   its peers every `probeIntervalMs`; a peer leader at a higher epoch (found
 *   by probing, by being probed, or through a follower's Hello) makes it step
 *   down: it stops serving, reports the transition through `onRoleChange` (the
 *   engine must then disconnect its FIX sessions) and follows again, which
 *   truncates any divergent suffix into quarantine.
 *
 * Role actions are carried out one at a time, in order. The guarantees are
 * those of `node_role.ts`.
 *
 * One {@linkcode PeerGuard} is shared by the listener, the follower and the
 * probes, so a handshake of this node that comes back to it (its own probe
 * relayed to its own listener, or its peers list holding its own address) is
 * recognised by its node id and nonce and refused: only a configured member
 * that completed the mutual handshake can make this node step down, truncate,
 * or release messages with an ack.
 *
 * @module
 */

import type { TlsClientOptions, TlsServerOptions } from "../transport/net.ts";
import { PeerGuard, type ReplicationSecret } from "./auth.ts";
import { type PeerAddress, probePeer, ReplicationFollower } from "./follower.ts";
import type { FollowerStatus } from "./follower.ts";
import type { PromotableJournal } from "./journal_port.ts";
import { type LeaderStatus, ReplicationLeader } from "./leader.ts";
import { NodeRole, type RoleAction, type RoleState, type RoleTransition } from "./node_role.ts";
import type { ProtocolLimits } from "./protocol.ts";

/** Default {@linkcode ReplicationNodeOptions.probeIntervalMs}. */
export const DEFAULT_PROBE_INTERVAL_MS = 1000;

/** Options of {@linkcode ReplicationNode.start}. */
export interface ReplicationNodeOptions {
  /** This node's journal. */
  readonly journal: PromotableJournal;
  /** Cluster id shared by every node of the cluster. */
  readonly clusterId: string;
  /** This node's id. */
  readonly nodeId: string;
  /** The shared secret. */
  readonly secret: ReplicationSecret;
  /** Role at start: the configured primary is `leader`, a secondary `follower`. */
  readonly initialRole: "leader" | "follower";
  /** Replication address served while leader; default 127.0.0.1 port 0. */
  readonly listen?: { readonly hostname?: string; readonly port?: number };
  /**
   * The other nodes' replication addresses. Read live: a leader probes what
   * the array holds at each probe, a follower tries what it holds at each
   * attempt (a follower started with none does not follow).
   */
  readonly peers: readonly PeerAddress[];
  /** Promote after the link to the leader has been silent this long (follower only). */
  readonly autoPromoteAfterMs?: number;
  /** See `NodeRoleOptions.requireContactBeforeAutoPromote`; default true. */
  readonly requireContactBeforeAutoPromote?: boolean;
  /** How often a leader probes its peers for a higher epoch. */
  readonly probeIntervalMs?: number;
  /** Heartbeat period (leader and follower). */
  readonly heartbeatIntervalMs?: number;
  /** Link silence after which a connection is dropped. */
  readonly heartbeatTimeoutMs?: number;
  /** TCP connect timeout to a peer (following and probing). */
  readonly connectTimeoutMs?: number;
  /** First reconnect delay of the follower. */
  readonly reconnectDelayMs?: number;
  /** Largest reconnect delay of the follower. */
  readonly reconnectDelayMsMax?: number;
  /** Most followers a leader serves. */
  readonly maxFollowers?: number;
  /** Protocol limits. */
  readonly limits?: Partial<ProtocolLimits>;
  /** Where a follower writes quarantine files; default the journal's directory. */
  readonly quarantineDir?: string;
  /** Leader only: a follower made everything up to `durableIndex` durable (feed `AckTracker.onAck`). */
  readonly onAck?: (followerId: string, durableIndex: number) => void;
  /** Leader only: whether outbound messages wait for acks now (see `ReplicationLeaderOptions.acksAwaited`). */
  readonly acksAwaited?: () => boolean;
  /** Every role transition, after it happened. */
  readonly onRoleChange?: (transition: RoleTransition) => void;
  /** Follower only: caps the acknowledged index (see `ReplicationFollowerOptions.ackLimit`). */
  readonly ackLimit?: (lastIndex: number) => number;
  /** Records truncated into quarantine on rejoining. */
  readonly onTruncate?: (afterIndex: number, quarantinePath: string) => void;
  /** Clock; default `Date.now`. */
  readonly clock?: () => number;
  /** Node ids of the other members; absent or empty: any id but this node's own. */
  readonly members?: readonly string[];
  /** TLS for the replication link: `server` while leading, `client` when following and probing. */
  readonly tls?: { readonly server: TlsServerOptions; readonly client: TlsClientOptions };
  /**
   * A replication handshake was refused (by this node or by the peer): a
   * reflected or unknown peer, a proof that does not verify, a failed TLS
   * handshake. `reason` is a short name, `detail` says why.
   */
  readonly onRefused?: (reason: string, detail: string, remoteAddr: string) => void;
}

/** Snapshot from {@linkcode ReplicationNode.status}. */
export interface NodeStatus {
  /** This node's id. */
  readonly nodeId: string;
  /** Role and epoch. */
  readonly role: RoleState;
  /** Highest epoch seen in the journal or from a peer. */
  readonly highestEpochSeen: number;
  /** What {@linkcode ReplicationNode.canAcceptLogon} answers now. */
  readonly canAcceptLogon: boolean;
  /** Recent role transitions, oldest first. */
  readonly transitions: readonly RoleTransition[];
  /** Leader status while leading. */
  readonly leader: LeaderStatus | undefined;
  /** Follower status while following. */
  readonly follower: FollowerStatus | undefined;
  /** Port of the replication address while leading. */
  readonly port: number | undefined;
  /** The last role action that failed, and why. */
  readonly lastError: string | undefined;
}

/** One node of a replicated pair (or group); see the module documentation. */
export class ReplicationNode implements AsyncDisposable {
  readonly #o: ReplicationNodeOptions;
  readonly #clock: () => number;
  readonly #role: NodeRole;
  readonly #guard: PeerGuard;
  #leader: ReplicationLeader | undefined;
  #follower: ReplicationFollower | undefined;
  #chain: Promise<void> = Promise.resolve();
  #promoteTimer: ReturnType<typeof setTimeout> | undefined;
  #arming = false;
  #probeTimer: ReturnType<typeof setInterval> | undefined;
  #probing: Promise<void> | undefined;
  #transitionsSeen: number;
  #lastError: string | undefined;
  #closed = false;

  private constructor(options: ReplicationNodeOptions) {
    this.#o = options;
    this.#clock = options.clock ?? Date.now;
    this.#guard = new PeerGuard({
      nodeId: options.nodeId,
      ...(options.members ? { members: options.members } : {}),
    });
    this.#role = new NodeRole({
      initialRole: options.initialRole,
      epoch: options.journal.epoch,
      nowMs: this.#clock(),
      ...(options.autoPromoteAfterMs === undefined
        ? {}
        : { autoPromoteAfterMs: options.autoPromoteAfterMs }),
      ...(options.requireContactBeforeAutoPromote === undefined
        ? {}
        : { requireContactBeforeAutoPromote: options.requireContactBeforeAutoPromote }),
    });
    this.#transitionsSeen = this.#role.transitionCount;
  }

  /** Starts the node in its initial role. */
  static start(options: ReplicationNodeOptions): ReplicationNode {
    const node = new ReplicationNode(options);
    if (options.initialRole === "leader") node.#startLeading();
    else node.#startFollowing();
    return node;
  }

  /** The engine asks this before accepting a Logon: true only for a leader whose epoch is durable. */
  canAcceptLogon(): boolean {
    return !this.#closed && this.#role.canAcceptLogon();
  }

  /** Current role and epoch. */
  get role(): RoleState {
    return this.#role.state;
  }

  /** Port of the replication address while leading. */
  get port(): number | undefined {
    return this.#leader?.port;
  }

  /**
   * Resolves once the replication listener is bound (at once when not
   * leading); rejects when it cannot be, e.g. a TLS listener whose address is
   * in use (a plain TCP listener fails in {@linkcode start} already).
   */
  get ready(): Promise<void> {
    return this.#leader?.ready ?? Promise.resolve();
  }

  /**
   * Promotes this node (by operator command, or at the epoch a coordinator
   * issued); resolves once the role settled.
   */
  async promote(reason: string, epoch?: number): Promise<RoleState> {
    this.#role.observeEpoch(this.#o.journal.epoch, "journal epoch", this.#clock());
    this.#apply(this.#role.promote(reason, this.#clock(), epoch));
    await this.#settled();
    return this.#role.state;
  }

  /** Gives leadership up (cluster: the lease is lost); resolves once following. */
  async stepDown(reason: string): Promise<RoleState> {
    this.#apply(this.#role.stepDown(reason, this.#clock()));
    await this.#settled();
    return this.#role.state;
  }

  /** A follower starts over with what `peers` holds now (cluster: a new leader was elected). */
  async refollow(): Promise<void> {
    await this.#settled();
    if (this.#closed || this.#role.state.role !== "follower") return;
    await this.#stopFollowing();
    this.#startFollowing();
  }

  /** Highest epoch seen in the journal or from a peer. */
  get highestEpochSeen(): number {
    return Math.max(this.#role.highestEpochSeen, this.#o.journal.epoch);
  }

  /** Resolves once every pending role action has been carried out. */
  async #settled(): Promise<void> {
    let chain: Promise<void>;
    do {
      chain = this.#chain;
      await chain;
    } while (chain !== this.#chain);
  }

  /** A snapshot of the node. */
  status(): NodeStatus {
    return {
      nodeId: this.#o.nodeId,
      role: this.#role.state,
      highestEpochSeen: this.#role.highestEpochSeen,
      canAcceptLogon: this.canAcceptLogon(),
      transitions: this.#role.transitions,
      leader: this.#leader?.status(),
      follower: this.#follower?.status(),
      port: this.#leader?.port,
      lastError: this.#lastError,
    };
  }

  #apply(actions: readonly RoleAction[]): void {
    this.#reportTransitions();
    for (const action of actions) {
      this.#chain = this.#chain.then(() => this.#run(action)).catch((e: unknown) => {
        this.#lastError = `${action.kind} failed: ${e instanceof Error ? e.message : String(e)}`;
      });
    }
  }

  #reportTransitions(): void {
    // Counted, not measured on the window: once the window is full its length stays put,
    // and every later transition (a promotion included) went unreported.
    const fresh = this.#role.transitionsSince(this.#transitionsSeen);
    this.#transitionsSeen = this.#role.transitionCount;
    for (const t of fresh) this.#o.onRoleChange?.(t);
  }

  async #run(action: RoleAction): Promise<void> {
    if (this.#closed) return;
    switch (action.kind) {
      case "write-epoch-change": {
        this.#clearPromoteTimer();
        await this.#stopFollowing();
        try {
          const index = this.#o.journal.beginEpoch(action.epoch, action.reason);
          await this.#o.journal.durable(index);
          this.#apply(this.#role.onEpochDurable(action.epoch, this.#clock()));
        } catch (e) {
          const why = e instanceof Error ? e.message : String(e);
          this.#apply(this.#role.onPromotionFailed(action.epoch, why, this.#clock()));
        }
        return;
      }
      case "start-leading":
        await this.#stopFollowing();
        this.#startLeading();
        return;
      case "start-following":
        await this.#stopLeading();
        this.#startFollowing();
        return;
      default: {
        const never: never = action;
        throw new TypeError(`Unknown role action ${String(never)}`);
      }
    }
  }

  #startLeading(): void {
    const o = this.#o;
    if (this.#leader || this.#closed) return;
    this.#leader = ReplicationLeader.listen({
      journal: o.journal,
      clusterId: o.clusterId,
      nodeId: o.nodeId,
      secret: o.secret,
      hostname: o.listen?.hostname ?? "127.0.0.1",
      port: o.listen?.port ?? 0,
      guard: this.#guard,
      ...(o.tls ? { tls: o.tls.server } : {}),
      ...pick(o, [
        "heartbeatIntervalMs",
        "heartbeatTimeoutMs",
        "maxFollowers",
        "limits",
        "onAck",
        "acksAwaited",
        "clock",
        "onRefused",
      ]),
      onPeerEpoch: (epoch, peerId) => {
        this.#apply(
          this.#role.observeEpoch(epoch, `peer ${peerId} is at epoch ${epoch}`, this.#clock()),
        );
      },
    });
    {
      // Always armed: `peers` is read live, so addresses added later are probed too.
      const leader = this.#leader;
      const timer = setInterval(
        () => this.#probe(),
        o.probeIntervalMs ?? DEFAULT_PROBE_INTERVAL_MS,
      );
      // Stopped meanwhile (arming a timer may run microtasks): do not leak it.
      if (this.#leader !== leader || this.#closed) clearInterval(timer);
      else this.#probeTimer = timer;
    }
  }

  #probe(): void {
    if (this.#probing || this.#closed || this.#role.state.role !== "leader") return;
    const o = this.#o;
    const j = o.journal;
    const epoch = this.#role.state.epoch;
    this.#probing = (async () => {
      for (const peer of o.peers) {
        const r = await probePeer({
          clusterId: o.clusterId,
          nodeId: o.nodeId,
          secret: o.secret,
          peer,
          epoch,
          lastIndex: j.lastIndex,
          lastEpoch: j.lastIndex > 0 ? (j.read(j.lastIndex)?.epoch ?? 0) : 0,
          guard: this.#guard,
          ...(o.tls ? { tls: o.tls.client } : {}),
          ...(o.limits ? { limits: o.limits } : {}),
          ...(o.connectTimeoutMs ? { connectTimeoutMs: o.connectTimeoutMs } : {}),
        });
        if (r.kind === "refused") {
          o.onRefused?.("probe-refused", r.reason, `${peer.hostname}:${peer.port}`);
          continue;
        }
        if (r.kind === "peer-higher" && this.#role.state.epoch === epoch) {
          // The peer's exact epoch is learnt from its Welcome once we follow; it is above ours.
          this.#apply(
            this.#role.observeEpoch(epoch + 1, `peer ${r.peerId}: ${r.reason}`, this.#clock()),
          );
          return;
        }
      }
    })().finally(() => (this.#probing = undefined));
  }

  async #stopLeading(): Promise<void> {
    if (this.#probeTimer !== undefined) clearInterval(this.#probeTimer);
    this.#probeTimer = undefined;
    await this.#probing;
    const leader = this.#leader;
    this.#leader = undefined;
    await leader?.[Symbol.asyncDispose]();
  }

  #startFollowing(): void {
    const o = this.#o;
    if (this.#follower || this.#closed || o.peers.length === 0) return;
    this.#follower = ReplicationFollower.start({
      journal: o.journal,
      clusterId: o.clusterId,
      nodeId: o.nodeId,
      secret: o.secret,
      leader: o.peers,
      guard: this.#guard,
      ...(o.tls ? { tls: o.tls.client } : {}),
      ...pick(o, [
        "heartbeatIntervalMs",
        "heartbeatTimeoutMs",
        "reconnectDelayMs",
        "reconnectDelayMsMax",
        "connectTimeoutMs",
        "limits",
        "quarantineDir",
        "onTruncate",
        "clock",
        "ackLimit",
        "onRefused",
      ]),
      onLeaderContact: (leaderId, epoch, nowMs) => {
        this.#apply(this.#role.onLeaderContact(leaderId, epoch, nowMs));
        this.#armPromoteTimer();
      },
    });
    this.#armPromoteTimer();
  }

  async #stopFollowing(): Promise<void> {
    this.#clearPromoteTimer();
    const follower = this.#follower;
    this.#follower = undefined;
    await follower?.[Symbol.asyncDispose]();
  }

  #armPromoteTimer(): void {
    if (this.#promoteTimer !== undefined || this.#arming || this.#closed) return;
    const deadline = this.#role.nextDeadlineAtMs;
    if (deadline === undefined) return;
    this.#arming = true;
    const timer = setTimeout(() => {
      this.#promoteTimer = undefined;
      this.#role.observeEpoch(this.#o.journal.epoch, "journal epoch", this.#clock());
      this.#apply(this.#role.onTick(this.#clock()));
      this.#armPromoteTimer();
    }, Math.max(0, deadline - this.#clock()));
    this.#arming = false;
    // Arming a timer may run microtasks; if the node stopped following meanwhile, drop it.
    if (this.#closed || this.#follower === undefined) clearTimeout(timer);
    else this.#promoteTimer = timer;
  }

  #clearPromoteTimer(): void {
    if (this.#promoteTimer !== undefined) clearTimeout(this.#promoteTimer);
    this.#promoteTimer = undefined;
  }

  /** Stops leading or following and waits for every connection to close. */
  async [Symbol.asyncDispose](): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#clearPromoteTimer();
    await this.#settled();
    await this.#stopLeading();
    await this.#stopFollowing();
  }
}

function pick<T extends object, K extends keyof T>(o: T, keys: readonly K[]): Partial<Pick<T, K>> {
  const out: Partial<Pick<T, K>> = {};
  for (const k of keys) if (o[k] !== undefined) out[k] = o[k];
  return out;
}
