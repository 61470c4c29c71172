/**
 * The high-availability role of a node — follower, candidate or leader, each
 * with an epoch — and the only answer to "may this node accept a Logon?".
 *
 * ## States
 *
 * - **follower(e)**: replicates from a leader; never accepts a Logon. `e` is
 *   the highest epoch seen.
 * - **candidate(e+1)**: promotion decided (by command or by the replication
 *   link being silent for `autoPromoteAfterMs`); the EpochChange record for
 *   `e+1` is being written and made durable. Still no Logon.
 * - **leader(e)**: the EpochChange for `e` is durable; accepts Logons.
 *
 * Every transition goes through one method that records from, to and why.
 *
 * ## Guarantees (and what they rest on)
 *
 * 1. A node accepts a Logon only as leader, and only after its EpochChange is
 *    durable in its own journal; every record it writes then carries that epoch.
 * 2. A promotion always takes an epoch strictly greater than any epoch the
 *    node has seen (in its journal or from a peer). Epoch numbers are unique
 *    per leader **provided at most one standby may promote at a time** — the
 *    primary/secondary pair this engine targets, or an operator who promotes
 *    one node by hand. With several standbys configured to auto-promote, two
 *    could pick the same epoch; nothing short of a majority vote prevents that,
 *    so enable `autoPromoteAfterMs` on one standby only.
 * 3. Therefore two nodes never accept a Logon for the same session in the same
 *    epoch. During a partition an old primary that still believes it leads may
 *    keep accepting Logons in its old epoch: under `forever` it cannot release
 *    a single outbound message without a replica ack, so the counterparty sees
 *    nothing from it; under `never`/`timeout` it can, and those messages exist
 *    only in its journal.
 * 4. When the two meet again (any authenticated contact: a follower's Hello, a
 *    leader's probe, a Welcome), the node with the lower epoch steps down to
 *    follower, and the new leader tells it to truncate every record the new
 *    leader never received; those records are moved to a quarantine file for
 *    audit (`Journal.truncateAfter`), never silently lost.
 * 5. Auto-promotion only fires after this node has heard from a leader at
 *    least once since it started (`requireContactBeforeAutoPromote`, default
 *    on), so a standby started before its primary does not promote itself.
 *
 * Pure: the time comes in as `nowMs`.
 *
 * @module
 */

/** The three roles. */
export type Role = "follower" | "candidate" | "leader";

/** A role with its epoch. */
export interface RoleState {
  /** The role. */
  readonly role: Role;
  /** Leader/candidate: its epoch; follower: the highest epoch it follows. */
  readonly epoch: number;
  /** Node id of the leader being followed, when known (follower only). */
  readonly leaderId?: string;
}

/** One recorded transition. */
export interface RoleTransition {
  /** State before. */
  readonly from: RoleState;
  /** State after. */
  readonly to: RoleState;
  /** Why. */
  readonly reason: string;
  /** When. */
  readonly atMs: number;
}

/** What the shell must do after an event. */
export type RoleAction =
  /** Append an EpochChange record for `epoch`, make it durable, then call `onEpochDurable`. */
  | { readonly kind: "write-epoch-change"; readonly epoch: number; readonly reason: string }
  /** Stop following; start serving followers and accepting Logons. */
  | { readonly kind: "start-leading"; readonly epoch: number }
  /** Stop serving (disconnect FIX sessions, stop the leader); start following. */
  | { readonly kind: "start-following"; readonly epoch: number; readonly reason: string };

/** Default {@linkcode NodeRoleOptions.maxTransitionsKept}. */
export const DEFAULT_MAX_TRANSITIONS_KEPT = 100;

/** Options of {@linkcode NodeRole}. */
export interface NodeRoleOptions {
  /** Role at start: a configured primary starts as leader, a secondary as follower. */
  readonly initialRole: "follower" | "leader";
  /** The journal's epoch at start. */
  readonly epoch: number;
  /** Start time. */
  readonly nowMs: number;
  /** Promote automatically after the replication link has been silent this long (follower only). */
  readonly autoPromoteAfterMs?: number;
  /** Only auto-promote after hearing from a leader once since start; default true. */
  readonly requireContactBeforeAutoPromote?: boolean;
  /** Transitions kept for status output; default {@linkcode DEFAULT_MAX_TRANSITIONS_KEPT}. */
  readonly maxTransitionsKept?: number;
}

/** Thrown when an event arrives that the current role cannot take (a caller bug). */
export class RoleStateError extends Error {
  /** The role the node was in. */
  readonly state: RoleState;
  /** Creates the error for an event `state` cannot take. */
  constructor(state: RoleState, message: string) {
    super(message);
    this.name = "RoleStateError";
    this.state = state;
  }
}

/** The node's HA role; see the module documentation. */
export class NodeRole {
  #state: RoleState;
  #highestEpochSeen: number;
  #lastContactAtMs: number;
  #hadContact = false;
  readonly #autoPromoteAfterMs: number | undefined;
  readonly #requireContact: boolean;
  readonly #maxKept: number;
  readonly #transitions: RoleTransition[] = [];
  #transitionCount = 0;

  /** Creates the role in its initial state. */
  constructor(options: NodeRoleOptions) {
    if (!Number.isInteger(options.epoch) || options.epoch < 0) {
      throw new RangeError(`Cannot create NodeRole: epoch ${options.epoch} is not a u32`);
    }
    if (
      options.autoPromoteAfterMs !== undefined &&
      !(Number.isFinite(options.autoPromoteAfterMs) && options.autoPromoteAfterMs > 0)
    ) {
      throw new RangeError(
        `Cannot create NodeRole: autoPromoteAfterMs ${options.autoPromoteAfterMs} is not a positive number`,
      );
    }
    this.#state = { role: options.initialRole, epoch: options.epoch };
    this.#highestEpochSeen = options.epoch;
    this.#lastContactAtMs = options.nowMs;
    this.#autoPromoteAfterMs = options.autoPromoteAfterMs;
    this.#requireContact = options.requireContactBeforeAutoPromote ?? true;
    this.#maxKept = options.maxTransitionsKept ?? DEFAULT_MAX_TRANSITIONS_KEPT;
  }

  /** The current role and epoch. */
  get state(): RoleState {
    return this.#state;
  }

  /** The highest epoch seen in the journal or from any peer. */
  get highestEpochSeen(): number {
    return this.#highestEpochSeen;
  }

  /** Recent transitions, oldest first (at most `maxTransitionsKept`). */
  get transitions(): readonly RoleTransition[] {
    return this.#transitions;
  }

  /** Transitions made since creation, those no longer kept included. */
  get transitionCount(): number {
    return this.#transitionCount;
  }

  /**
   * The transitions made after the first `seen` ones, oldest first: the
   * caller's way to report each once, whether or not the window is full.
   * Those already dropped from the window (more than `maxTransitionsKept`
   * since `seen`) are not returned.
   */
  transitionsSince(seen: number): readonly RoleTransition[] {
    const fresh = Math.min(this.#transitionCount - seen, this.#transitions.length);
    return fresh > 0 ? this.#transitions.slice(-fresh) : [];
  }

  /** True only for a leader whose EpochChange is durable: the engine asks this before accepting a Logon. */
  canAcceptLogon(): boolean {
    return this.#state.role === "leader";
  }

  /** When {@linkcode onTick} must be called next for auto-promotion, if ever. */
  get nextDeadlineAtMs(): number | undefined {
    if (this.#state.role !== "follower" || this.#autoPromoteAfterMs === undefined) return undefined;
    if (this.#requireContact && !this.#hadContact) return undefined;
    return this.#lastContactAtMs + this.#autoPromoteAfterMs;
  }

  /** A follower heard from its (authenticated) leader: resets the silence timer. */
  onLeaderContact(leaderId: string, leaderEpoch: number, nowMs: number): RoleAction[] {
    // Called for every frame from the leader: build the reason only for a new epoch.
    const actions = leaderEpoch <= this.#highestEpochSeen && leaderEpoch <= this.#state.epoch
      ? []
      : this.observeEpoch(leaderEpoch, `leader ${leaderId} is at epoch ${leaderEpoch}`, nowMs);
    if (this.#state.role === "follower") {
      this.#hadContact = true;
      this.#lastContactAtMs = nowMs;
      if (this.#state.leaderId !== leaderId || this.#state.epoch !== leaderEpoch) {
        this.#transition(
          { role: "follower", epoch: Math.max(this.#state.epoch, leaderEpoch), leaderId },
          `following ${leaderId}`,
          nowMs,
        );
      }
    }
    return actions;
  }

  /** Checks the silence timer; returns the promotion actions when it has expired. */
  onTick(nowMs: number): RoleAction[] {
    const deadline = this.nextDeadlineAtMs;
    if (deadline === undefined || nowMs < deadline) return [];
    return this.promote(
      `replication link silent for ${
        nowMs - this.#lastContactAtMs
      } ms (autoPromoteAfterMs ${this.#autoPromoteAfterMs})`,
      nowMs,
    );
  }

  /**
   * Starts a promotion: becomes candidate at `epoch` (default `highestEpochSeen + 1`;
   * a cluster passes the epoch etcd issued) and asks for the EpochChange to be
   * written. A leader or candidate ignores it, and so does a follower asked for
   * an epoch not above `highestEpochSeen`.
   */
  promote(reason: string, nowMs: number, epoch = this.#highestEpochSeen + 1): RoleAction[] {
    if (this.#state.role !== "follower") return [];
    // An epoch issued by a coordinator (etcd) must still be above everything seen.
    if (!Number.isInteger(epoch) || epoch <= this.#highestEpochSeen) return [];
    this.#highestEpochSeen = epoch;
    this.#transition({ role: "candidate", epoch }, reason, nowMs);
    return [{ kind: "write-epoch-change", epoch, reason }];
  }

  /** The EpochChange for `epoch` is durable: a candidate for that epoch becomes leader. */
  onEpochDurable(epoch: number, nowMs: number): RoleAction[] {
    const s = this.#state;
    if (s.role !== "candidate" || s.epoch !== epoch) {
      // A higher epoch was seen meanwhile and the node stepped down: stay follower.
      return [];
    }
    this.#transition({ role: "leader", epoch }, `epoch ${epoch} change is durable`, nowMs);
    return [{ kind: "start-leading", epoch }];
  }

  /** Writing the EpochChange failed: a candidate falls back to follower. */
  onPromotionFailed(epoch: number, reason: string, nowMs: number): RoleAction[] {
    const s = this.#state;
    if (s.role !== "candidate" || s.epoch !== epoch) return [];
    this.#transition(
      { role: "follower", epoch: s.epoch - 1 },
      `promotion failed: ${reason}`,
      nowMs,
    );
    return [{ kind: "start-following", epoch: s.epoch - 1, reason }];
  }

  /**
   * An authenticated peer showed `epoch`. A higher one makes a leader or
   * candidate step down to follower (and a follower remember it).
   */
  observeEpoch(epoch: number, why: string, nowMs: number): RoleAction[] {
    if (epoch <= this.#highestEpochSeen && epoch <= this.#state.epoch) return [];
    this.#highestEpochSeen = Math.max(this.#highestEpochSeen, epoch);
    const s = this.#state;
    if (epoch <= s.epoch) return [];
    switch (s.role) {
      case "follower":
        return [];
      case "candidate":
      case "leader": {
        const reason = `stepping down: ${why}`;
        this.#transition({ role: "follower", epoch: s.epoch }, reason, nowMs);
        // Restart the silence timer so a stepped-down node does not re-promote at once.
        this.#lastContactAtMs = nowMs;
        this.#hadContact = false;
        return [{ kind: "start-following", epoch: s.epoch, reason }];
      }
      default: {
        const never: never = s.role;
        throw new RoleStateError(s, `Unknown role ${String(never)}`);
      }
    }
  }

  /**
   * A leader or candidate gives up leadership on its own (a cluster member that
   * lost or could not renew its lease): it becomes follower at its epoch.
   */
  stepDown(reason: string, nowMs: number): RoleAction[] {
    const s = this.#state;
    if (s.role === "follower") return [];
    const epoch = s.role === "candidate" ? s.epoch - 1 : s.epoch;
    this.#transition({ role: "follower", epoch }, `stepping down: ${reason}`, nowMs);
    this.#lastContactAtMs = nowMs;
    this.#hadContact = false;
    return [{ kind: "start-following", epoch, reason }];
  }

  /** The one door for state changes: records from, to and why. */
  #transition(to: RoleState, reason: string, atMs: number): void {
    const t: RoleTransition = { from: this.#state, to, reason, atMs };
    this.#state = to;
    this.#transitions.push(t);
    this.#transitionCount++;
    if (this.#transitions.length > this.#maxKept) this.#transitions.shift();
  }
}
