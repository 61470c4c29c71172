/**
 * What a node sets up when it starts leading, besides the sessions: the
 * {@linkcode ReleaseGate} that holds outbound messages back until the
 * acknowledgement strategy lets them go (`replication.ackStrategy`, by
 * MsgType overrides; in a cluster `forever` means every in-sync member), and
 * the application work the previous leader left unfinished.
 *
 * @module
 */

import type { TandemConfig } from "../config/mod.ts";
import type { SessionHost } from "../engine/mod.ts";
import type { Application } from "../engine/mod.ts";
import type { Journal } from "../journal/mod.ts";
import type { Logger } from "../log/mod.ts";
import type { AckPolicy } from "../replication/mod.ts";
import { unfinishedWork } from "./app_cursor.ts";
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
      member?.onReleased(rel.index);
      metrics.released.inc({ reason: rel.reason });
      if (rel.reason !== "immediate") metrics.ackWait.observe(rel.waitMs / 1000);
    },
  });
}

/** What {@linkcode recoverApplications} needs from the node. */
export interface RecoverDeps {
  readonly journal: Journal;
  readonly log: Logger;
  /** Application name of every served session. */
  readonly appNames: ReadonlyMap<string, string>;
  readonly apps: ReadonlyMap<string, Application>;
  /** Outbound MsgSeqNums never to resend, by session (filled here). */
  readonly voided: ReadonlyMap<string, Set<number>>;
}

/**
 * Finishes the application work the previous leader left (see `app_cursor.ts`): replays
 * the messages whose answers the journal lacks and voids the answers it holds half-done.
 */
export function recoverApplications(
  hostOf: (key: string) => SessionHost | undefined,
  deps: RecoverDeps,
): void {
  for (const [key, appName] of deps.appNames) {
    if (appName === "api") continue;
    const host = hostOf(key);
    if (!host) continue;
    const work = unfinishedWork(deps.journal, appName, { key, sessionId: host.sessionId });
    for (const seq of work.voided) deps.voided.get(key)?.add(seq);
    if (work.voided.size > 0 || work.replay.length > 0) {
      deps.log.warn("finishing application work left by the previous primary", {
        session: key,
        voidedSeqNums: [...work.voided],
        replayed: work.replay.length,
      });
    }
    const app = deps.apps.get(key);
    work.replay.forEach((m, i) => app?.onMessage?.(m, host, work.contexts[i]!));
  }
}
