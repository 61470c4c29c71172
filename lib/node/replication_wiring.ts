/**
 * The options of a node's {@linkcode ReplicationNode} from configuration:
 * static pair (`node.ha: primary|secondary`, `replication.primary`/`peers`)
 * or cluster (`coordination.kind: etcd`: every member starts following nobody;
 * etcd elects and `cluster_member.ts` fills the follow list).
 *
 * @module
 */

import type { TandemConfig } from "../config/mod.ts";
import type { Journal } from "../journal/mod.ts";
import type { Logger } from "../log/mod.ts";
import type { Registry } from "../metrics/registry.ts";
import {
  type ReplicationNodeOptions,
  ReplicationSecret,
  type RoleTransition,
} from "../replication/mod.ts";
import { openRunAckLimit } from "./app_cursor.ts";
import type { Address } from "./cluster_member.ts";
import { refusalLogger, replicationTlsOptions } from "./replication_security.ts";

/** A replication link silent for this many heartbeat intervals is dropped. */
export const HEARTBEAT_TIMEOUT_INTERVALS = 3;

/** What {@linkcode replicationNodeOptions} wires to the node. */
export interface ReplicationWiring {
  readonly journal: Journal;
  readonly log: Logger;
  readonly registry: Registry;
  /** Cluster mode: the live list the node follows (filled by the cluster member). */
  readonly follow: Address[];
  /** A follower acknowledged `index` durable. */
  readonly onAck: (follower: string, index: number) => void;
  /** The role changed (this node became leader or stepped down). */
  readonly onRoleChange: (t: RoleTransition) => void;
  /** Leader: whether outbound messages wait for acks now (live records then go out at once). */
  readonly acksAwaited?: () => boolean;
}

/** The {@linkcode ReplicationNode} options of a replicated node (pair or cluster). */
export async function replicationNodeOptions(
  c: TandemConfig,
  w: ReplicationWiring,
): Promise<ReplicationNodeOptions> {
  const r = c.replication;
  const peers: { hostname: string; port: number }[] = [];
  for (const p of [...(r.primary ? [r.primary] : []), ...r.peers]) {
    if (!peers.some((q) => q.hostname === p.hostname && q.port === p.port)) peers.push(p);
  }
  const listen = r.listen;
  const tls = await replicationTlsOptions(r.tls);
  const refusals = w.registry.counter(
    "tandem_replication_refusals_total",
    "Replication handshakes refused, by reason",
  );
  const cluster = c.coordination.kind === "etcd";
  return {
    journal: w.journal,
    clusterId: r.clusterId,
    nodeId: c.node.id,
    secret: await ReplicationSecret.import(r.secret!),
    initialRole: c.node.ha === "primary" && !cluster ? "leader" : "follower",
    ...(listen ? { listen } : {}),
    peers: cluster ? w.follow : peers,
    ...(r.peerIds.length > 0 ? { members: r.peerIds } : {}),
    ...(tls ? { tls } : {}),
    onRefused: refusalLogger(w.log, (reason) => refusals.inc({ reason })),
    // 0 means "only by command".
    ...(r.autoPromoteAfterMs > 0 && !cluster ? { autoPromoteAfterMs: r.autoPromoteAfterMs } : {}),
    requireContactBeforeAutoPromote: r.requireContactBeforeAutoPromote,
    heartbeatIntervalMs: r.heartbeatIntervalMs,
    heartbeatTimeoutMs: r.heartbeatIntervalMs * HEARTBEAT_TIMEOUT_INTERVALS,
    reconnectDelayMs: r.reconnectDelayMs,
    connectTimeoutMs: r.connectTimeoutMs,
    limits: { maxBatchBytes: r.maxBatchBytes },
    ackLimit: (durable: number) => openRunAckLimit(w.journal, durable),
    onAck: w.onAck,
    ...(w.acksAwaited ? { acksAwaited: w.acksAwaited } : {}),
    onRoleChange: w.onRoleChange,
    onTruncate: (afterIndex, path) =>
      w.log.warn("journal suffix quarantined after stepping down", { afterIndex, path }),
  };
}
