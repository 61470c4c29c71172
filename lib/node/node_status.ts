/**
 * Pieces of the node's `/status` and `/ready` answers that depend only on
 * the replication state.
 *
 * @module
 */

import type { ReplicationNode } from "../replication/mod.ts";

/** The `replication` object of `/status` (null when the node is not replicated). */
export function replicationStatus(replication: ReplicationNode | undefined): unknown {
  const repl = replication?.status();
  return repl
    ? {
      role: repl.role,
      canAcceptLogon: repl.canAcceptLogon,
      port: repl.port ?? null,
      leader: repl.leader ?? null,
      follower: repl.follower ?? null,
      lastError: repl.lastError ?? null,
      transitions: repl.transitions.slice(-10),
    }
    : null;
}

/** Readiness of a following node: streaming from the leader and at most `readyLagRecords` behind. */
export function followerReadiness(
  replication: ReplicationNode | undefined,
  readyLagRecords: number,
): { ready: boolean; reason: string } {
  const f = replication?.status().follower;
  if (!f || f.state !== "streaming") {
    return {
      ready: false,
      reason: `not streaming from the primary (${f?.state ?? "stopped"})`,
    };
  }
  return f.lagRecords <= readyLagRecords
    ? { ready: true, reason: `following, ${f.lagRecords} records behind` }
    : { ready: false, reason: `catching up: ${f.lagRecords} records behind` };
}
