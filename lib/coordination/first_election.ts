/**
 * The first election on an etcd that holds no in-sync set (a new etcd, or
 * one whose data was lost) while the members' journals already differ: the
 * in-sync rule cannot choose, so members compare journal positions instead.
 *
 * While nobody leads and etcd has no in-sync set, each member publishes its
 * position `(epoch, lastIndex)` under `<prefix>/members/<nodeId>` at every
 * poll. A member campaigns only once its own position has been published for
 * `settleMs` (so that members started at about the same time see each other)
 * and no *live* member published a greater position; a member is live while
 * its record keeps changing (it republishes every poll), judged against
 * `liveMs`. A member that died after publishing is waited for at most
 * `liveMs`. Positions compare as Raft compares logs: epoch first, then index.
 *
 * This file reads no clock: times arrive as values.
 *
 * @module
 */

/** Where a member's journal ends. */
export interface JournalPosition {
  /** Highest epoch it has seen (its journal's, or a peer's). */
  readonly epoch: number;
  /** Last journal index. */
  readonly lastIndex: number;
}

/** Orders positions: epoch first, then last index. Negative when `a` is behind `b`. */
export function comparePositions(a: JournalPosition, b: JournalPosition): number {
  return a.epoch !== b.epoch ? a.epoch - b.epoch : a.lastIndex - b.lastIndex;
}

/** Another member's published position as this member observed it. */
export interface PeerPosition {
  readonly nodeId: string;
  readonly position: JournalPosition;
  /** When this member last saw the record change (local monotonic ms). */
  readonly changedAtMs: number;
}

/** Input of {@linkcode firstElection}. */
export interface FirstElectionInput {
  readonly position: JournalPosition;
  /** When this member first published its position in this leaderless period. */
  readonly publishedSinceMs: number;
  readonly nowMs: number;
  readonly settleMs: number;
  readonly liveMs: number;
  readonly peers: readonly PeerPosition[];
}

/** Campaign now, or wait (settling, or for a member that is ahead). */
export type FirstElectionDecision =
  | { readonly campaign: true }
  | { readonly campaign: false; readonly deferTo: PeerPosition | undefined };

/** See the module doc. */
export function firstElection(i: FirstElectionInput): FirstElectionDecision {
  if (i.nowMs - i.publishedSinceMs < i.settleMs) return { campaign: false, deferTo: undefined };
  let best: PeerPosition | undefined;
  for (const p of i.peers) {
    if (i.nowMs - p.changedAtMs > i.liveMs) continue;
    if (comparePositions(p.position, best?.position ?? i.position) > 0) best = p;
  }
  return best === undefined ? { campaign: true } : { campaign: false, deferTo: best };
}
