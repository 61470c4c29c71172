/**
 * The `node`, `fix` and `journal` sections of the Tandem schema: this node,
 * its FIX transport (with TLS and admission control) and the persisted
 * journal. To add a key to one of them, add one field here; the sections are
 * composed in `tandem_schema.ts`.
 *
 * @module
 */

import * as s from "./schema.ts";
import { cidrList } from "./_edge.ts";

const tls = s.object({
  certFile: s.string({
    doc: "PEM certificate chain presented by this node.",
    example: "/etc/tandem/tls/cert.pem",
  }),
  keyFile: s.string({ doc: "PEM private key of certFile.", example: "/etc/tandem/tls/key.pem" }),
  caFile: s.string({
    doc:
      "PEM CA bundle that client certificates must chain to (with requireClientCert). An initiator sets sessions[].connect.tls instead.",
    example: "/etc/tandem/tls/ca.pem",
  }),
  requireClientCert: s.boolean({
    doc: "Acceptor: refuse clients without a certificate signed by caFile.",
    default: false,
  }),
}, { doc: "TLS for FIX connections; absent means plain TCP.", optional: true });

/** Admission control of the FIX port: `fix.*` keys. */
const fixAdmission = {
  maxPendingConnections: s.integer({
    doc:
      "Connections that have not logged on, in all; beyond it the oldest pending connection is closed (they never count against maxConnections).",
    default: 64,
    min: 1,
    max: 100_000,
  }),
  maxPendingConnectionsPerAddress: s.integer({
    doc:
      "Connections that have not logged on from one source address; beyond it that address's oldest pending connection is closed.",
    default: 8,
    min: 1,
    max: 100_000,
  }),
  allowedRemoteAddresses: cidrList(
    "Acceptor: only accept connections from these CIDR blocks (absent: any address); sessions[].allowedRemoteAddresses narrows it per session.",
  ),
  refusalLogIntervalS: s.duration({
    doc: "Refused connections are logged at most once per this interval, with counts by reason.",
    unit: "s",
    default: 10,
    min: 1,
    max: 3_600,
  }),
} as const;

/** `node.*`: this node. */
export const node = s.object({
  id: s.string({
    doc: "This node's name, in logs, metrics and replication handshakes.",
    default: "tandem",
    pattern: /^[A-Za-z0-9_.-]+$/,
    patternHint: "letters, digits, _ . -",
    maxLength: 64,
  }),
  role: s.oneOf(["acceptor", "initiator"], {
    doc: "acceptor (listens for counterparties) or initiator (connects out); --role overrides.",
    example: "acceptor",
  }),
  ha: s.oneOf(["standalone", "primary", "secondary"], {
    doc:
      "High availability role: standalone, primary or secondary (an acceptor, or a gateway with node.role initiator: only the leader connects out); --ha overrides.",
    default: "standalone",
  }),
  dataDir: s.string({
    doc: "Directory of the journal and node state; --data-dir overrides.",
    default: "data",
  }),
}, { doc: "This node." });

/** `fix.*`: the FIX transport. */
export const fix = s.object({
  listen: s.hostPort({
    doc: "Acceptor: address to accept FIX connections on; --listen overrides.",
    example: "0.0.0.0:9876",
  }),
  maxConnections: s.integer({
    doc:
      "Most sessions logged on at once, sessions created from templates included; a Logon beyond it is refused.",
    default: 100,
    min: 1,
    max: 100_000,
  }),
  maxMessageBytes: s.byteSize({
    doc: "Largest FIX message accepted; larger ones are garbled and dropped.",
    default: 1_048_576,
    min: 256,
    max: 268_435_456,
  }),
  maxBufferedBytesPerConnection: s.byteSize({
    doc: "Most bytes queued for one slow connection before it is disconnected.",
    default: 16_777_216,
    min: 65_536,
    max: 4_294_967_296,
  }),
  logonTimeoutS: s.duration({
    doc: "Acceptor: disconnect a connection that sends no Logon within this.",
    unit: "s",
    default: 10,
    min: 1,
    max: 3_600,
  }),
  logoutTimeoutS: s.duration({
    doc: "Wait for the Logout answer before disconnecting.",
    unit: "s",
    default: 2,
    min: 1,
    max: 3_600,
  }),
  tls,
  ...fixAdmission,
}, { doc: "FIX transport." });

/** `journal.*`: the persisted journal. */
export const journal = s.object({
  syncPolicy: s.oneOf(["none", "interval", "always"], {
    doc:
      "none (page cache only), interval (fsync every syncIntervalMs) or always (group commit before acknowledging).",
    default: "always",
  }),
  syncIntervalMs: s.duration({
    doc: "interval policy: time between syncs.",
    unit: "ms",
    default: 10,
    min: 1,
    max: 60_000,
  }),
  segmentSizeBytes: s.byteSize({
    doc: "Roll to a new segment file at this size.",
    default: 67_108_864,
    min: 65_536,
    max: 17_179_869_184,
  }),
  rollDailyAt: s.timeOfDay({
    doc: "Also roll segments daily at HH:MM in timeZone (absent: by size only).",
    example: "00:00",
  }),
  timeZone: s.timeZone({ doc: "Time zone of rollDailyAt.", default: "UTC" }),
  retention: s.object({
    maxAgeDays: s.duration({
      doc: "Delete segments older than this; 0 = keep forever.",
      unit: "days",
      default: 7,
      min: 0,
      max: 36_500,
    }),
    maxTotalBytes: s.byteSize({
      doc: "Delete the oldest segments beyond this total; 0 = no limit.",
      default: 0,
      min: 0,
      max: Number.MAX_SAFE_INTEGER,
    }),
  }, {
    doc:
      "What old segments are deleted; segments a live session may need for resends are always kept.",
  }),
}, { doc: "The persisted journal." });
