/**
 * The decisions of a cluster member, as pure functions of values and a time:
 * when to campaign, when a leader must fence itself, how the in-sync set
 * (Kafka's ISR) shrinks and grows, and up to which journal index a leader may
 * release outbound messages. The etcd I/O lives in `etcd.ts`, the timers in
 * `lib/node/cluster_member.ts`; this file reads no clock.
 *
 * ## Leadership and the lease: the timing argument
 *
 * A leader holds an etcd lease of `ttlMs`. Before each renewal it notes its
 * local time `sentAtMs`; etcd computes the new expiry from the moment *it*
 * handles the request, which is after `sentAtMs` in real time. So once the
 * renewal succeeds, the lease cannot expire for anybody before
 * `sentAtMs + ttlMs` (measured on a clock that runs at the same rate; a
 * monotonic clock). The leader fences itself at
 *
 *     deadlineAtMs = sentAtMs + ttlMs − safetyMarginMs
 *
 * ({@linkcode leaseDeadlineAtMs}) unless a later renewal moved it. The margin
 * covers clock-rate drift between hosts, the time between the check and a
 * socket write, and the delay of the fencing timer itself. Fencing is checked
 * twice: by a timer armed at the deadline, and synchronously (by reading the
 * clock) before every release and every Logon, so a process that was frozen
 * (SIGSTOP, a long GC pause, a VM migration) and wakes past its deadline
 * releases nothing: the first thing it can do is notice the deadline passed.
 * Others can only campaign once etcd has deleted the leadership key, i.e.
 * after the lease expired (or was revoked) at etcd — later than the deadline.
 * Renewals are sent every {@linkcode renewIntervalMs} (a third of the TTL), and
 * a failed one is retried after {@linkcode renewRetryDelayMs}, so a lost
 * renewal or a short etcd outage does not fence a healthy leader.
 *
 * ## In-sync set
 *
 * The leader keeps in etcd the members that hold everything it has released.
 * A message is released only when every member of the *local* in-sync view
 * has acknowledged it durably ({@linkcode commitIndex}); the local view is the
 * set recorded in etcd plus the members being added, minus nothing until etcd
 * has recorded their removal. Therefore every member named in etcd holds
 * every released message, and only those members may campaign
 * ({@linkcode mayCampaign}): a new leader never lacks a message the
 * counterparty saw.
 *
 * - **Shrink**: a follower that has not been caught up for more than
 *   `maxLagMs` (or is disconnected that long) is removed, most lagging first,
 *   never below `minInSync` members (the leader counts).
 * - **Grow**: a connected follower whose durable acknowledgement covers every
 *   index released under `forever` (and all an earlier leader may have
 *   released) is added; it counts for releases from the moment the decision is
 *   taken, before etcd records it. A message `never`, `timeout` or `quorum`
 *   released waited for no member, so it holds no follower out of the set.
 * - **Hold**: with fewer than `minInSync` members nothing more is released.
 *
 * @module
 */

/** Default `coordination.etcd.leaseTtlMs`. */
export const DEFAULT_LEASE_TTL_MS = 3_000;
/** Default `coordination.etcd.safetyMarginMs`. */
export const DEFAULT_SAFETY_MARGIN_MS = 500;

/** When a leader whose renewal was sent at `sentAtMs` must fence itself (see the module doc). */
export function leaseDeadlineAtMs(sentAtMs: number, ttlMs: number, safetyMarginMs: number): number {
  if (!(safetyMarginMs > 0 && safetyMarginMs < ttlMs)) {
    throw new RangeError(
      `Cannot compute a lease deadline: safetyMarginMs ${safetyMarginMs} is not within (0, ttlMs ${ttlMs})`,
    );
  }
  return sentAtMs + ttlMs - safetyMarginMs;
}

/** How often a leader renews its lease: a third of the TTL, so two renewals may fail. */
export function renewIntervalMs(ttlMs: number): number {
  return Math.max(1, Math.floor(ttlMs / 3));
}

/**
 * How soon a leader retries a renewal that failed: a twentieth of the TTL
 * (at least 50 ms), so that an etcd briefly without a Raft leader (one
 * member lost) is ridden out well before the deadline.
 */
export function renewRetryDelayMs(ttlMs: number): number {
  return Math.max(50, Math.floor(ttlMs / 20));
}

/** Whether a leader may still release and accept: strictly before its deadline. */
export function leaseValid(nowMs: number, deadlineAtMs: number | undefined): boolean {
  return deadlineAtMs !== undefined && nowMs < deadlineAtMs;
}

/** The in-sync set as recorded in etcd. */
export interface InSyncRecord {
  /** Member ids, the leader's included. */
  readonly members: readonly string[];
  /** The leader that wrote it. */
  readonly leaderId: string;
  /** Its epoch. */
  readonly epoch: number;
}

/** What a member knows when it considers campaigning. */
export interface CampaignView {
  /** This member. */
  readonly nodeId: string;
  /** Whether a leadership key exists in etcd. */
  readonly leaderPresent: boolean;
  /** The in-sync set in etcd; undefined for a cluster that never had a leader. */
  readonly inSync: InSyncRecord | undefined;
  /** Whether this node leads or is becoming leader already. */
  readonly leadingOrCandidate: boolean;
}

/**
 * Whether this member should campaign now: nobody leads, and it is in the
 * in-sync set (any member may start a cluster that never had a leader).
 */
export function mayCampaign(v: CampaignView): boolean {
  if (v.leaderPresent || v.leadingOrCandidate) return false;
  return v.inSync === undefined || v.inSync.members.includes(v.nodeId);
}

/** The epoch a winning candidate takes: above etcd's counter and above anything it has seen. */
export function nextEpoch(etcdEpoch: number, highestEpochSeen: number): number {
  return Math.max(etcdEpoch, highestEpochSeen) + 1;
}

/**
 * The in-sync set a new leader records with its election: the old set without
 * the old leader (it is gone or partitioned), with the new leader; never
 * fewer than `minInSync` members (the old leader then stays, and the new
 * leader holds until it returns or a follower catches up).
 */
export function inSyncAfterElection(
  old: InSyncRecord | undefined,
  newLeaderId: string,
  minInSync: number,
): string[] {
  if (old === undefined) return [newLeaderId];
  const kept = old.members.filter((m) => m !== old.leaderId && m !== newLeaderId);
  const out = [newLeaderId, ...kept];
  if (
    out.length < minInSync && old.leaderId !== newLeaderId && old.members.includes(old.leaderId)
  ) {
    out.push(old.leaderId);
  }
  return out;
}

/** A follower as the leader sees it. */
export interface FollowerView {
  /** Connected to the leader now. */
  readonly connected: boolean;
  /** Highest index it acknowledged as durable (to this leader). */
  readonly ackedIndex: number;
  /** Last time it was caught up (all records acknowledged), or when the leader started leading. */
  readonly caughtUpAtMs: number;
}

/** Inputs of {@linkcode reviseInSync}. */
export interface ReviseInput {
  /** The leader. */
  readonly leaderId: string;
  /** The local view of the in-sync set (leader included). */
  readonly members: readonly string[];
  /** Followers by id. A member missing here counts as disconnected since `leaderSinceMs`. */
  readonly followers: ReadonlyMap<string, FollowerView>;
  /** Highest journal index released to a counterparty so far. */
  readonly releasedIndex: number;
  /** When this node became leader. */
  readonly leaderSinceMs: number;
  /** Now. */
  readonly nowMs: number;
  /** `replication.maxLagMs`. */
  readonly maxLagMs: number;
  /** `replication.minInSync`. */
  readonly minInSync: number;
}

/** What {@linkcode reviseInSync} decided. */
export interface InSyncChange {
  /** The new set, or undefined when unchanged. */
  readonly members: string[] | undefined;
  /** Added member ids, with why. */
  readonly added: readonly { readonly id: string; readonly reason: string }[];
  /** Removed member ids, with why. */
  readonly removed: readonly { readonly id: string; readonly reason: string }[];
}

/** Shrink and grow rules of the in-sync set; see the module doc. */
export function reviseInSync(i: ReviseInput): InSyncChange {
  const added: { id: string; reason: string }[] = [];
  const removed: { id: string; reason: string }[] = [];
  const lagOf = (id: string): number => {
    const f = i.followers.get(id);
    return i.nowMs - (f?.caughtUpAtMs ?? i.leaderSinceMs);
  };
  let members = i.members.includes(i.leaderId) ? [...i.members] : [i.leaderId, ...i.members];
  // Shrink: most lagging first, never below minInSync.
  const lagging = members
    .filter((m) => m !== i.leaderId && lagOf(m) > i.maxLagMs)
    .sort((a, b) => lagOf(b) - lagOf(a));
  for (const id of lagging) {
    if (members.length <= i.minInSync) break;
    members = members.filter((m) => m !== id);
    const f = i.followers.get(id);
    removed.push({
      id,
      reason: `${f?.connected ? "not caught up" : "disconnected"} for ${
        lagOf(id)
      } ms (maxLagMs ${i.maxLagMs})`,
    });
  }
  // Grow: connected followers holding everything released, in id order for determinism.
  for (const [id, f] of [...i.followers].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (id === i.leaderId || members.includes(id) || removed.some((r) => r.id === id)) continue;
    if (f.connected && f.ackedIndex >= i.releasedIndex && lagOf(id) <= i.maxLagMs) {
      members.push(id);
      added.push({
        id,
        reason: `caught up: acknowledged ${f.ackedIndex} ≥ released ${i.releasedIndex}`,
      });
    }
  }
  return { members: added.length + removed.length > 0 ? members : undefined, added, removed };
}

/** Inputs of {@linkcode commitIndex}. */
export interface CommitInput {
  /** The leader. */
  readonly leaderId: string;
  /** Local view of the in-sync set (etcd's plus members being added). */
  readonly members: readonly string[];
  /** Highest durable acknowledgement per follower (to this leader). */
  readonly acks: ReadonlyMap<string, number>;
  /** `replication.minInSync`. */
  readonly minInSync: number;
}

/**
 * The highest journal index the leader may release under `forever`: what
 * every other member of the in-sync set acknowledged; unbounded when the
 * leader is alone and allowed to be; 0 (hold) below `minInSync`.
 */
export function commitIndex(i: CommitInput): number {
  const members = new Set(i.members);
  members.add(i.leaderId);
  if (members.size < i.minInSync) return 0;
  let min = Number.MAX_SAFE_INTEGER;
  for (const m of members) {
    if (m === i.leaderId) continue;
    min = Math.min(min, i.acks.get(m) ?? 0);
  }
  return min;
}

/** What a follower knows when its link to the leader broke. */
export interface FastPathView {
  /** The leader recorded in etcd. */
  readonly leaderId: string;
  /** Its epoch. */
  readonly leaderEpoch: number;
  /** The leader this follower last streamed from, and at which epoch. */
  readonly streamedFrom: { readonly leaderId: string; readonly epoch: number } | undefined;
  /** Whether the follower's link is down now. */
  readonly linkDown: boolean;
  /** Whether a TCP connect to the leader's replication port was refused. */
  readonly portRefused: boolean;
}

/**
 * Whether a follower may revoke the leader's lease at once (its process is
 * gone, its host alive): it streamed from exactly this leader in this epoch
 * (so the leader had started serving — a fresh leader whose port is not yet
 * open is never revoked), the link is down and the port refuses connections.
 */
export function mayRevokeLeader(v: FastPathView): boolean {
  return v.linkDown && v.portRefused && v.streamedFrom !== undefined &&
    v.streamedFrom.leaderId === v.leaderId && v.streamedFrom.epoch === v.leaderEpoch;
}
