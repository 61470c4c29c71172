/**
 * The coordination service behind a cluster: who leads, at which epoch, and
 * which members are in sync. Two implementations: {@linkcode StaticCoordinator}
 * (the primary/secondary pair as configured; nothing to ask) and
 * `EtcdCoordinator` (`etcd.ts`). The decisions are in `policy.ts`; the
 * timers that drive them in `lib/node/cluster_member.ts`.
 *
 * @module
 */

import type { JournalPosition } from "./first_election.ts";
import type { InSyncRecord } from "./policy.ts";

/** The leadership record of the current leader. */
export interface LeaderRecord {
  /** Its node id. */
  readonly nodeId: string;
  /** Its epoch (issued by the coordinator, strictly increasing). */
  readonly epoch: number;
  /** Its replication address, `host:port`. */
  readonly replication: string;
  /** Its lease (etcd lease id, decimal). */
  readonly leaseId: string;
  /** Revision at which the record was created; conditional writes compare against it. */
  readonly createRevision: string;
}

/** One read of the cluster's keys. */
export interface ClusterView {
  /** The leader, if any. */
  readonly leader: LeaderRecord | undefined;
  /** The coordinator's epoch counter (the last epoch issued; 0 before the first). */
  readonly epoch: number;
  /** The in-sync set; undefined before the first leader. */
  readonly inSync: InSyncRecord | undefined;
  /**
   * Journal positions members published before the first election (`first_election.ts`), by
   * node id, with the revision of their last change; absent where the coordinator has none.
   */
  readonly positions?: ReadonlyMap<string, PublishedPosition>;
}

/** A journal position as published in the coordinator. */
export interface PublishedPosition {
  readonly position: JournalPosition;
  /** Changes whenever the member publishes again. */
  readonly revision: string;
}

/** What a candidate asks for. */
export interface CampaignRequest {
  /** This node. */
  readonly nodeId: string;
  /** This node's replication address, `host:port`, published for followers. */
  readonly replication: string;
  /** Highest epoch this node has seen (journal or peers); the new epoch is above it. */
  readonly highestEpochSeen: number;
  /** `replication.minInSync`, for the in-sync set recorded with the election. */
  readonly minInSync: number;
}

/** A won election. */
export interface Leadership {
  /** The new epoch. */
  readonly epoch: number;
  /** The in-sync set recorded with the election. */
  readonly inSync: readonly string[];
  /** The leadership record. */
  readonly record: LeaderRecord;
}

/** Health of the coordination service as this node sees it. */
export interface CoordinatorHealth {
  /** Whether the last call succeeded. */
  readonly healthy: boolean;
  /** Endpoints and what the last call said. */
  readonly detail: string;
}

/** See the module doc. Every method rejects with an error naming what failed and why. */
export interface Coordinator extends AsyncDisposable {
  /** `static` or `etcd`. */
  readonly kind: "static" | "etcd";
  /** The lease time to live (ms) of a leadership. */
  readonly leaseTtlMs: number;
  /** Reads the leader, the epoch counter and the in-sync set. */
  observe(): Promise<ClusterView>;
  /**
   * Tries to become leader: succeeds only if nobody leads, this node may
   * campaign (`policy.mayCampaign`) and nobody else won meanwhile.
   */
  campaign(request: CampaignRequest): Promise<Leadership | undefined>;
  /** Renews the held leadership's lease; rejects when it cannot (the caller fences at its deadline). */
  renew(): Promise<void>;
  /** Records the in-sync set, only if this node still holds its leadership (fencing). */
  writeInSync(members: readonly string[]): Promise<boolean>;
  /** Gives leadership up (revokes its lease); never rejects. */
  resign(): Promise<void>;
  /** Fast path: revokes a dead leader's lease so that an election starts at once. */
  revokeLeader(leader: LeaderRecord): Promise<void>;
  /** The latest health. */
  health(): CoordinatorHealth;
  /**
   * Publishes this node's journal position for the first election (`first_election.ts`);
   * absent where there is no election to inform.
   */
  publishPosition?(nodeId: string, position: JournalPosition): Promise<void>;
}

/**
 * The pair of today: the role comes from `node.ha` and promotion by command or
 * link silence; there is no third party to ask. It reports a view of its own
 * making and accepts every write, so code written against
 * {@linkcode Coordinator} runs unchanged on a pair.
 */
export class StaticCoordinator implements Coordinator {
  readonly kind = "static" as const;
  readonly leaseTtlMs = Number.POSITIVE_INFINITY;
  #leader: LeaderRecord | undefined;
  #epoch = 0;
  #inSync: string[] | undefined;

  /** Reads what this node decided last. */
  observe(): Promise<ClusterView> {
    return Promise.resolve({
      leader: this.#leader,
      epoch: this.#epoch,
      inSync: this.#inSync && this.#leader
        ? { members: this.#inSync, leaderId: this.#leader.nodeId, epoch: this.#leader.epoch }
        : undefined,
    });
  }

  /** A static node leads when told to: the epoch is the next above what it has seen. */
  campaign(request: CampaignRequest): Promise<Leadership | undefined> {
    if (this.#leader !== undefined) return Promise.resolve(undefined);
    this.#epoch = Math.max(this.#epoch, request.highestEpochSeen) + 1;
    const record: LeaderRecord = {
      nodeId: request.nodeId,
      epoch: this.#epoch,
      replication: request.replication,
      leaseId: "0",
      createRevision: String(this.#epoch),
    };
    this.#leader = record;
    this.#inSync = [request.nodeId];
    return Promise.resolve({ epoch: this.#epoch, inSync: [request.nodeId], record });
  }

  /** Nothing expires. */
  renew(): Promise<void> {
    return Promise.resolve();
  }

  /** Always recorded while leading. */
  writeInSync(members: readonly string[]): Promise<boolean> {
    if (this.#leader === undefined) return Promise.resolve(false);
    this.#inSync = [...members];
    return Promise.resolve(true);
  }

  /** Forgets the leadership. */
  resign(): Promise<void> {
    this.#leader = undefined;
    return Promise.resolve();
  }

  /** Forgets `leader` if it is the one recorded. */
  revokeLeader(leader: LeaderRecord): Promise<void> {
    if (this.#leader?.createRevision === leader.createRevision) this.#leader = undefined;
    return Promise.resolve();
  }

  /** Always healthy. */
  health(): CoordinatorHealth {
    return { healthy: true, detail: "static" };
  }

  /** Nothing to close. */
  [Symbol.asyncDispose](): Promise<void> {
    return Promise.resolve();
  }
}
