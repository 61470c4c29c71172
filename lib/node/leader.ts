/**
 * What a node sets up when it starts leading, besides the sessions: the
 * {@linkcode ReleaseGate} that holds outbound messages back until the
 * acknowledgement strategy lets them go (`replication.ackStrategy`, by
 * MsgType overrides; in a cluster `forever` means every in-sync member). The
 * application work the previous leader left unfinished is `app_recovery.ts`.
 *
 * @module
 */

import type { TandemConfig } from "../config/mod.ts";
import type { AckPolicy } from "../replication/mod.ts";
import { clusterAckPolicy, type ClusterMember } from "./cluster_member.ts";
import type { NodeMetrics } from "./node_metrics.ts";
import { ReleaseGate } from "./release_gate.ts";

/**
 * The acknowledgement policy named `name` (`replication.ackStrategy` and its overrides).
 *
 * @throws {RangeError} when the name is unknown
 */
export function ackPolicy(config: TandemConfig, name: string): AckPolicy {
  const r = config.replication;
  switch (name) {
    case "never":
      return { kind: "never" };
    case "forever":
      return { kind: "forever" };
    case "timeout":
      return { kind: "timeout", timeoutMs: r.ackTimeoutMs };
    case "quorum":
      return { kind: "quorum", replicas: r.quorum };
    default:
      throw new RangeError(`Cannot use ack strategy ${name}: unknown`);
  }
}

/** Label name of the release counter (one array: its series are cached by it). */
const REASON_LABEL = ["reason"] as const;

/** The release gate of a leader in a replicated node (`member` in cluster mode). */
export function leaderReleaseGate(
  config: TandemConfig,
  member: ClusterMember | undefined,
  metrics: NodeMetrics,
): ReleaseGate {
  const r = config.replication;
  const byMsgType: Record<string, AckPolicy> = {};
  const policyOf = (name: string) =>
    member ? clusterAckPolicy(ackPolicy(config, name), member) : ackPolicy(config, name);
  for (const [t, name] of Object.entries(r.ackStrategyByMsgType)) {
    byMsgType[t] = policyOf(name);
  }
  return new ReleaseGate({
    policy: policyOf(r.ackStrategy),
    byMsgType,
    maxUnackedMessages: r.maxUnackedMessages,
    onRelease: (rel) => {
      member?.onReleased(rel);
      metrics.released.incLabelled(REASON_LABEL, rel.reason); // cached series: nothing allocated
      if (rel.reason !== "immediate") metrics.ackWait.observe(rel.waitMs / 1000);
    },
  });
}
