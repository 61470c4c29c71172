/**
 * The leader's decision, on a follower's Hello, of where streaming starts and
 * whether the follower must first cut off a divergent suffix.
 *
 * ## Log matching by epoch
 *
 * Epochs are monotonic along a journal (every record carries the epoch of the
 * leader that wrote it, and a leader only writes in its own epoch), and an epoch
 * number is used by one leader only (see `node_role.ts` for how that is
 * ensured). So if two journals hold a record with the same index and epoch,
 * they hold identical records up to that index (Raft's log-matching property;
 * followers only ever append after this check, so it holds inductively).
 *
 * The follower reports `(lastIndex, lastEpoch)`, the index and epoch of its last
 * record. Let `L(E)` be the last index of the leader's journal whose record
 * epoch is at most `E` (found by binary search, since epochs are monotonic).
 * Every follower record at an index ≤ `min(lastIndex, L(lastEpoch))` is one
 * the leader also has; every follower record after it was written by a leader
 * whose records this leader never received, or in an epoch this leader
 * superseded. So the match point is `m = min(lastIndex, L(lastEpoch))`; if
 * `m < lastIndex`, the follower truncates after `m` (into quarantine) and
 * streaming starts at `m + 1`.
 *
 * One exception: a follower ahead of the leader *in the leader's own epoch*
 * holds records this very leader wrote and then lost (a crash under sync
 * policy `none`). Those may be the only copy of messages the counterparty has
 * seen, so the leader refuses (CannotCatchUp) rather than truncate them; the
 * operator should promote the follower, after which the old leader simply
 * catches up.
 *
 * Pure: the leader's journal is seen through {@linkcode LeaderLog}.
 *
 * @module
 */

import { CloseCode } from "./protocol.ts";

/** What the decision needs to know about the leader's journal. */
export interface LeaderLog {
  /** The leader's current epoch. */
  readonly epoch: number;
  /** Index of the last record, 0 when empty. */
  readonly lastIndex: number;
  /** Index of the oldest record still held (retention may have removed earlier ones); 1 when none removed. */
  readonly firstIndex: number;
  /** Epoch of the record at `index` (firstIndex ≤ index ≤ lastIndex). */
  epochAt(index: number): number;
}

/** What the follower reported in Hello. */
export interface FollowerPosition {
  /** Index of the follower's last record (0 when empty). */
  readonly lastIndex: number;
  /** Epoch of that record (0 when empty). */
  readonly lastEpoch: number;
  /** The highest epoch the follower node has seen. */
  readonly nodeEpoch: number;
}

/** The leader's answer. */
export type CatchUpDecision =
  | { readonly kind: "stream"; readonly startIndex: number }
  | { readonly kind: "truncate"; readonly afterIndex: number; readonly startIndex: number }
  | {
    readonly kind: "refuse";
    readonly code: CloseCode;
    readonly reason: string;
    /** True when the follower has seen a higher epoch: this leader is stale and must step down. */
    readonly leaderIsStale: boolean;
  };

/** `L(E)`: the last index whose record epoch is ≤ `epoch` (firstIndex − 1 when none). */
export function lastIndexOfEpochAtMost(log: LeaderLog, epoch: number): number {
  let lo = log.firstIndex; // invariant: answer >= lo - 1
  let hi = log.lastIndex; // invariant: answer <= hi
  if (hi < lo) return hi;
  if (log.epochAt(hi) <= epoch) return hi;
  // Find the first index with epoch > `epoch`, in [lo, hi].
  while (lo < hi) {
    const mid = lo + Math.floor((hi - lo) / 2);
    if (log.epochAt(mid) > epoch) hi = mid;
    else lo = mid + 1;
  }
  return lo - 1;
}

/** Decides where to start streaming to a follower; see the module documentation. */
export function decideCatchUp(log: LeaderLog, follower: FollowerPosition): CatchUpDecision {
  const seen = Math.max(follower.nodeEpoch, follower.lastEpoch);
  if (seen > log.epoch) {
    return {
      kind: "refuse",
      code: CloseCode.StaleEpoch,
      reason: `follower has seen epoch ${seen}, above this leader's epoch ${log.epoch}`,
      leaderIsStale: true,
    };
  }
  if (follower.lastEpoch === log.epoch && follower.lastIndex > log.lastIndex) {
    // Only this leader writes in its epoch, so it once had these records and
    // lost them (e.g. a crash under sync policy `none`). The follower's copy may
    // be all that is left of messages the counterparty has seen: keep it.
    return {
      kind: "refuse",
      code: CloseCode.CannotCatchUp,
      reason:
        `follower holds records ${log.lastIndex + 1}..${follower.lastIndex} of epoch ${log.epoch}` +
        ` that this leader no longer has; promote the follower instead`,
      leaderIsStale: false,
    };
  }
  const match = Math.min(follower.lastIndex, lastIndexOfEpochAtMost(log, follower.lastEpoch));
  const startIndex = match + 1;
  if (startIndex < log.firstIndex) {
    return {
      kind: "refuse",
      code: CloseCode.CannotCatchUp,
      reason:
        `follower needs records from index ${startIndex} but the leader's journal starts at ${log.firstIndex}`,
      leaderIsStale: false,
    };
  }
  if (match < follower.lastIndex) return { kind: "truncate", afterIndex: match, startIndex };
  return { kind: "stream", startIndex };
}
