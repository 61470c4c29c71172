/**
 * Journal replication between Tandem nodes: the wire protocol, the
 * handshake, acknowledgement strategies, the HA role with epochs, and the
 * leader and follower that stream a journal between nodes.
 *
 * - {@linkcode encodeFrame} / {@linkcode FrameDecoder}: the framed binary
 *   protocol (described in prose in `protocol.ts`).
 * - {@linkcode ReplicationSecret}: HMAC-SHA256 challenge/response; the secret
 *   never crosses the wire.
 * - {@linkcode AckTracker}: `never`, `forever`, `timeout`, `quorum` or a
 *   custom {@linkcode AckStrategy}, per node and per MsgType; pipelined,
 *   in-order release with backpressure (`isFull`).
 * - {@linkcode NodeRole}: follower / candidate / leader with epochs,
 *   `canAcceptLogon()`, promotion and auto-promotion (pure); its guarantees
 *   are documented in `node_role.ts`.
 * - {@linkcode decideCatchUp}: where a follower resumes and what it truncates.
 * - {@linkcode ReplicationLeader}, {@linkcode ReplicationFollower},
 *   {@linkcode probePeer}: the sockets.
 * - {@linkcode ReplicationNode}: all of it wired together for one node.
 *
 * @example
 * ```ts
 * import { Journal } from "../journal/mod.ts";
 * import { AckTracker, ReplicationNode, ReplicationSecret } from "./mod.ts";
 *
 * const secret = await ReplicationSecret.import("a shared secret of 16+ bytes");
 * const dir = await Deno.makeTempDir();
 * {
 *   await using journal = await Journal.open(dir);
 *   const tracker = new AckTracker({ policy: { kind: "timeout", timeoutMs: 50 } });
 *   await using node = ReplicationNode.start({
 *     journal,
 *     clusterId: "prod",
 *     nodeId: "primary",
 *     secret,
 *     initialRole: "leader",
 *     listen: { hostname: "127.0.0.1", port: 0 },
 *     peers: [{ hostname: "127.0.0.1", port: 9871 }], // the secondary's replication address
 *     onAck: (replica, index) => tracker.onAck(replica, index, Date.now()),
 *   });
 *   console.log(node.canAcceptLogon()); // true: a configured primary leads
 * }
 * await Deno.remove(dir, { recursive: true });
 * ```
 *
 * @module
 */

export {
  ACK_WAIT_BUCKETS_MS,
  type AckContext,
  type AckCounters,
  type AckPolicy,
  type AckStrategy,
  AckTracker,
  AckTrackerFullError,
  type AckTrackerOptions,
  DEFAULT_MAX_UNACKED_MESSAGES,
  FOREVER_STRATEGY,
  NEVER_STRATEGY,
  quorumStrategy,
  type ReleasedMessage,
  type ReleaseReason,
  strategyOf,
  timeoutStrategy,
} from "./ack.ts";
export {
  type HandshakeTranscript,
  MIN_SECRET_BYTES,
  newNonce,
  PeerGuard,
  type PeerGuardOptions,
  type ProofRole,
  ReplicationSecret,
  transcriptOf,
} from "./auth.ts";
export {
  type CatchUpDecision,
  decideCatchUp,
  type FollowerPosition,
  lastIndexOfEpochAtMost,
  type LeaderLog,
} from "./catch_up.ts";
export {
  DEFAULT_RECONNECT_DELAY_MS,
  DEFAULT_RECONNECT_DELAY_MS_MAX,
  type FollowerState,
  type FollowerStatus,
  type FollowerTransition,
  MAX_STATE_TRANSITIONS_KEPT,
  type PeerAddress,
  type ProbeOptions,
  probePeer,
  type ProbeResult,
  ReplicationFollower,
  type ReplicationFollowerOptions,
} from "./follower.ts";
export type { PromotableJournal, ReplicationJournal, ReplicationRecord } from "./journal_port.ts";
export {
  DEFAULT_HANDSHAKE_TIMEOUT_MS,
  DEFAULT_HEARTBEAT_INTERVAL_MS,
  DEFAULT_HEARTBEAT_TIMEOUT_MS,
  DEFAULT_MAX_FOLLOWERS,
  DEFAULT_MAX_HANDSHAKES,
  DEFAULT_MAX_QUEUED_BYTES,
  type FollowerLinkState,
  type FollowerLinkStatus,
  type LeaderStatus,
  type LinkTransition,
  ReplicationLeader,
  type ReplicationLeaderOptions,
} from "./leader.ts";
export {
  DEFAULT_PROBE_INTERVAL_MS,
  type NodeStatus,
  ReplicationNode,
  type ReplicationNodeOptions,
} from "./node.ts";
export {
  DEFAULT_MAX_TRANSITIONS_KEPT,
  NodeRole,
  type NodeRoleOptions,
  type Role,
  type RoleAction,
  type RoleState,
  RoleStateError,
  type RoleTransition,
} from "./node_role.ts";
export {
  type AckMessage,
  type ChallengeMessage,
  CloseCode,
  type CloseMessage,
  type DecodeError,
  type DecodeErrorReason,
  type DecodeResult,
  DEFAULT_MAX_BATCH_BYTES,
  DEFAULT_MAX_BATCH_RECORDS,
  DEFAULT_MAX_FRAME_BYTES,
  DEFAULT_MAX_STRING_BYTES,
  DEFAULT_PROTOCOL_LIMITS,
  encodeFrame,
  FrameDecoder,
  FrameEncodeError,
  type HeartbeatMessage,
  type HelloMessage,
  type HelloRole,
  MessageType,
  NONCE_BYTES,
  PROTOCOL_VERSION,
  type ProtocolLimits,
  type RecordBatchMessage,
  recordFrameBytes,
  type ReplicatedRecord,
  type ReplicationMessage,
  type ResponseMessage,
  type TruncateMessage,
  type WelcomeMessage,
} from "./protocol.ts";
