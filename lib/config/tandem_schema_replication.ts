/**
 * The `replication` and `coordination` sections of the Tandem schema: the
 * journal replication link between nodes (acknowledgement strategies, peer
 * membership, TLS) and who leads (a static pair or an etcd cluster). To add a
 * key to one of them, add one field here; the sections are composed in
 * `tandem_schema.ts`, which also holds the cross-section checks of cluster
 * mode.
 *
 * @module
 */

import * as s from "./schema.ts";

/**
 * `replication.autoPromoteAfterMs` must be at least this many
 * `replication.heartbeatIntervalMs`: the silence that drops a replication link
 * (`HEARTBEAT_TIMEOUT_INTERVALS` in lib/node/node.ts), so one late heartbeat
 * never promotes a healthy secondary.
 */
export const AUTO_PROMOTE_MIN_HEARTBEATS = 3;

/** Acknowledgement strategies of replication (see DESIGN.md §1.3). */
export const ACK_STRATEGIES = ["never", "forever", "timeout", "quorum"] as const;

// Replication link security (issue 11): peer membership and TLS.
const replicationTls = s.object({
  certFile: s.string({
    doc:
      "PEM certificate chain of this node, presented as server while leading and as client certificate when following or probing (give it both serverAuth and clientAuth usage).",
    example: "/etc/tandem/tls/node.pem",
  }),
  keyFile: s.string({
    doc: "PEM private key of certFile.",
    example: "/etc/tandem/tls/node-key.pem",
  }),
  caFile: s.string({
    doc:
      "PEM CA bundle that peers' certificates must chain to (server certificates always, client certificates with requireClientCert).",
    example: "/etc/tandem/tls/ca.pem",
  }),
  requireClientCert: s.boolean({
    doc: "Refuse replication peers without a certificate signed by caFile (mutual TLS).",
    default: true,
  }),
}, {
  doc:
    "TLS for the replication link (confidentiality and integrity against a man-in-the-middle); absent means plain TCP.",
  optional: true,
});

const replicationPeerIds = s.array(
  s.string({
    doc: "A peer's node.id.",
    pattern: /^[A-Za-z0-9_.-]+$/,
    patternHint: "letters, digits, _ . -",
    maxLength: 64,
  }),
  {
    doc:
      "node.id of every other node of the cluster: a replication handshake from or to any other id is refused. Required for a primary, a secondary and a cluster member.",
    default: [],
    maxItems: 16,
    example: ["tandem-b"],
  },
);

/** `replication.*`: journal replication between nodes. */
export const replication = s.object({
  listen: s.hostPort({
    doc:
      "This node's replication address, served while it is the primary (a secondary serves it once promoted).",
    example: "0.0.0.0:9880",
  }),
  primary: s.hostPort({
    doc: "Secondary: the primary's replication address.",
    example: "10.0.0.1:9880",
  }),
  peers: s.array(s.hostPort({ doc: "A peer's replication address." }), {
    doc:
      "Other nodes' replication addresses: a primary probes them to step down when a peer was promoted, and follows them after stepping down. A secondary's primary is included.",
    default: [],
    maxItems: 16,
    example: ["10.0.0.2:9880"],
  }),
  clusterId: s.string({
    doc: "Name shared by the nodes of one pair; a node refuses a peer of another cluster.",
    default: "tandem",
    pattern: /^[A-Za-z0-9_.-]+$/,
    patternHint: "letters, digits, _ . -",
    maxLength: 64,
  }),
  secret: s.string({
    doc:
      "Shared secret authenticating the peers; required for primary and secondary. Use ${ENV:NAME}.",
    secret: true,
    minLength: 16,
    example: "${ENV:TANDEM_REPLICATION_SECRET}",
  }),
  ackStrategy: s.oneOf(ACK_STRATEGIES, {
    doc:
      "When an outbound message may go to the socket: never (at once), forever (after the replica's ack), timeout (after the ack or ackTimeoutMs), quorum (after `quorum` replicas ack).",
    default: "timeout",
  }),
  ackTimeoutMs: s.duration({
    doc: "timeout strategy: longest wait for an ack.",
    unit: "ms",
    default: 500,
    min: 1,
    max: 600_000,
  }),
  quorum: s.integer({ doc: "quorum strategy: replica acks needed.", default: 1, min: 1, max: 16 }),
  ackStrategyByMsgType: s.record(s.oneOf(ACK_STRATEGIES, { doc: "Strategy for this MsgType." }), {
    doc: 'Per-MsgType overrides of ackStrategy, like { "8": forever }.',
    default: {},
    keyPattern: /^[0-9A-Za-z]{1,8}$/,
    keyHint: "a MsgType (1–8 letters or digits)",
    maxEntries: 1_000,
    example: { "8": "forever" },
  }),
  maxUnackedMessages: s.integer({
    doc: "Most outbound messages waiting for acks; beyond it sending blocks.",
    default: 10_000,
    min: 1,
    max: 10_000_000,
  }),
  heartbeatIntervalMs: s.duration({
    doc: "Replication link heartbeat.",
    unit: "ms",
    default: 1_000,
    min: 10,
    max: 600_000,
  }),
  autoPromoteAfterMs: s.duration({
    doc:
      "Secondary: promote itself after the link has been silent this long; 0 = only by command. At least 3 × heartbeatIntervalMs.",
    unit: "ms",
    default: 0,
    min: 0,
    max: 86_400_000,
  }),
  // -- auto-promotion safety (journal reliability work) --
  requireContactBeforeAutoPromote: s.boolean({
    doc:
      "Secondary: auto-promote only after hearing from a primary at least once since start, so a standby started before (or without) its primary never promotes itself.",
    default: true,
  }),
  // -- end auto-promotion safety --
  reconnectDelayMs: s.duration({
    doc: "Secondary: pause before reconnecting to the primary.",
    unit: "ms",
    default: 1_000,
    min: 1,
    max: 600_000,
  }),
  connectTimeoutMs: s.duration({
    doc: "Secondary: TCP connect timeout to the primary.",
    unit: "ms",
    default: 5_000,
    min: 1,
    max: 600_000,
  }),
  readyLagRecords: s.integer({
    doc: "Secondary: /ready answers 200 while at most this many records behind the primary.",
    default: 0,
    min: 0,
    max: 1_000_000_000,
  }),
  maxBatchBytes: s.byteSize({
    doc: "Largest batch of records in one replication frame.",
    default: 1_048_576,
    min: 4_096,
    max: 268_435_456,
  }),
  peerIds: replicationPeerIds,
  tls: replicationTls,
  // ---- cluster mode (coordination.kind: etcd)
  advertise: s.hostPort({
    doc:
      "etcd cluster: the replication address followers connect to while this node leads; default listen (a wildcard listen: the peers entry with its port).",
    example: "10.0.0.1:9880",
  }),
  minInSync: s.integer({
    doc:
      "etcd cluster: fewest members (the leader included) the in-sync set may shrink to; below it the leader holds outbound messages.",
    default: 1,
    min: 1,
    max: 17,
  }),
  maxLagMs: s.duration({
    doc:
      "etcd cluster: a follower not caught up (or disconnected) this long leaves the in-sync set; it rejoins once caught up.",
    unit: "ms",
    default: 2_000,
    min: 10,
    max: 600_000,
  }),
}, { doc: "Journal replication between a primary and a secondary (or the members of a cluster)." });

// ---- cluster mode: who leads is decided by etcd (see lib/coordination)
/** `coordination.*`: who leads, a static pair or an etcd cluster. */
export const coordination = s.object({
  kind: s.oneOf(["static", "etcd"], {
    doc:
      "static: the pair of node.ha primary/secondary (promotion by command or autoPromoteAfterMs); etcd: N members elect their leader through etcd.",
    default: "static",
  }),
  etcd: s.object({
    endpoints: s.array(s.string({ doc: "An etcd client URL.", maxLength: 1024 }), {
      doc: "etcd client URLs (http:// or https://).",
      default: [],
      maxItems: 16,
      example: ["http://127.0.0.1:2379"],
    }),
    prefix: s.string({
      doc: "Key prefix of this cluster in etcd; default /tandem/<replication.clusterId>.",
      pattern: /^\/[\x21-\x7e]*$/,
      patternHint: "starts with /, printable ASCII",
      maxLength: 256,
      example: "/tandem/prod-eu",
    }),
    username: s.string({ doc: "etcd user; use ${ENV:NAME}.", example: "${ENV:ETCD_USER}" }),
    password: s.string({
      doc: "etcd password; use ${ENV:NAME}.",
      secret: true,
      example: "${ENV:ETCD_PASSWORD}",
    }),
    caFile: s.string({ doc: "PEM CA bundle for https endpoints.", example: "/etc/etcd/ca.pem" }),
    certFile: s.string({ doc: "PEM client certificate for etcd.", example: "/etc/etcd/me.pem" }),
    keyFile: s.string({ doc: "PEM key of certFile.", example: "/etc/etcd/me-key.pem" }),
    leaseTtlMs: s.duration({
      doc:
        "Leader lease time to live in whole seconds (etcd's unit); a hung leader is replaced about this long after its last renewal.",
      unit: "ms",
      default: 3_000,
      min: 2_000,
      max: 600_000,
    }),
    safetyMarginMs: s.duration({
      doc:
        "A leader fences itself this long before its lease could expire for others (clock drift, pauses, slow disk).",
      unit: "ms",
      default: 500,
      min: 100,
      max: 300_000,
    }),
    pollIntervalMs: s.duration({
      doc: "How often a member reads the leader and in-sync keys (and a leader revises the set).",
      unit: "ms",
      default: 100,
      min: 10,
      max: 60_000,
    }),
  }, { doc: "etcd connection (coordination.kind: etcd)." }),
}, { doc: "Who leads: a static pair, or a cluster coordinated by etcd." });
