/**
 * The schema of Tandem's YAML configuration: every key, its type, default, range and
 * documentation. Each section lives in a sibling file, composed here in file order:
 *
 * - `tandem_schema_node.ts`: `node`, `fix`, `journal`;
 * - `tandem_schema_replication.ts`: `replication`, `coordination`;
 * - `tandem_schema_admin_api_log.ts`: `admin`, `api`, `log`;
 * - `tandem_schema_sessions.ts`: `sessions[]`.
 *
 * To add a key, add one field to its section's file (and regenerate
 * `config.example.yaml` with `./denow run --allow-write=config.example.yaml lib/config/_write_example.ts`);
 * the type, validation, defaults and documentation follow. A new top-level section gets a file
 * of its own and one line in `tandemFields` below. This file keeps the checks that span sections.
 *
 * @module
 */

import * as s from "./schema.ts";
import type { Infer } from "./schema.ts";
import { isLoopbackHost } from "./_loopback.ts";
import { checkCidrs } from "./_edge.ts";
import { fix, journal, node } from "./tandem_schema_node.ts";
import {
  AUTO_PROMOTE_MIN_HEARTBEATS,
  coordination,
  replication,
} from "./tandem_schema_replication.ts";
import { admin, api, log } from "./tandem_schema_admin_api_log.ts";
import {
  checkQuickFixSettings,
  QUICKFIX_KEY_HINTS,
  session,
  sessionKeyOf,
  sessions,
} from "./tandem_schema_sessions.ts";

export {
  APPL_VER_ID_CODES,
  type ApplVerName,
  BEGIN_STRINGS,
  type BeginString,
  BUILTIN_APPLICATIONS,
  MAX_SESSIONS,
  QUICKFIX_KEY_HINTS,
  sessionKeyOf,
  WEEKDAYS,
} from "./tandem_schema_sessions.ts";
export { ACK_STRATEGIES, AUTO_PROMOTE_MIN_HEARTBEATS } from "./tandem_schema_replication.ts";

const tandemFields = {
  node,
  fix,
  journal,
  replication,
  coordination,
  admin,
  api,
  log,
  sessions,
} as const;

/** The root schema of a Tandem configuration file. */
export const tandemSchema = s.object(tandemFields, {
  doc: "Tandem configuration.",
  hints: QUICKFIX_KEY_HINTS,
}, (c, ctx) => {
  const role = c.node.role;
  if (role === undefined) {
    ctx.error(
      "node.role",
      "Missing node.role (give it in the file or with --role acceptor|initiator)",
    );
  }
  if (role === "acceptor" && c.fix.listen === undefined) {
    ctx.error("fix.listen", "An acceptor needs fix.listen (or the --listen flag)");
  }
  if (role === "initiator") checkGateway(c, ctx);
  if (c.node.ha === "primary" && c.replication.listen === undefined) {
    ctx.error("replication.listen", "A primary needs replication.listen");
  }
  const cluster = c.coordination.kind === "etcd";
  if (cluster) checkCluster(c, ctx);
  if (c.node.ha === "secondary" && !cluster && c.replication.primary === undefined) {
    ctx.error("replication.primary", "A secondary needs replication.primary");
  }
  if (c.node.ha !== "standalone" && c.replication.secret === undefined) {
    ctx.error("replication.secret", `A ${c.node.ha} needs replication.secret (use \${ENV:NAME})`);
  }
  const rtls = c.replication.tls;
  if (rtls !== undefined) {
    if (rtls.certFile === undefined || rtls.keyFile === undefined) {
      ctx.error("replication.tls", "replication.tls needs certFile and keyFile");
    }
    if (rtls.caFile === undefined) {
      ctx.error("replication.tls.caFile", "replication.tls needs caFile to verify the peers");
    }
  }
  if (c.node.ha !== "standalone" && c.replication.peerIds.length === 0) {
    // Without the list any holder of the secret could join under any id: membership is what a
    // replication handshake proves, so a replicated node must say who its members are.
    ctx.error(
      "replication.peerIds",
      `A ${c.node.ha} needs replication.peerIds: the node.id of every other member, the only ids it replicates with`,
    );
  }
  if (c.replication.peerIds.includes(c.node.id)) {
    ctx.error("replication.peerIds", `peerIds lists this node's own id "${c.node.id}"`);
  }
  const promoteMs = c.replication.autoPromoteAfterMs;
  const heartbeatMs = c.replication.heartbeatIntervalMs;
  if (promoteMs > 0 && promoteMs < AUTO_PROMOTE_MIN_HEARTBEATS * heartbeatMs) {
    ctx.error(
      "replication.autoPromoteAfterMs",
      `replication.autoPromoteAfterMs ${promoteMs} ms is less than ${AUTO_PROMOTE_MIN_HEARTBEATS} × replication.heartbeatIntervalMs (${heartbeatMs} ms): a healthy, idle secondary would promote itself between two heartbeats; use at least ${
        AUTO_PROMOTE_MIN_HEARTBEATS * heartbeatMs
      } ms`,
    );
  }
  const tls = c.fix.tls;
  if (tls !== undefined) {
    if (role === "acceptor" && (tls.certFile === undefined || tls.keyFile === undefined)) {
      ctx.error("fix.tls", "An acceptor with TLS needs certFile and keyFile");
    } else if ((tls.certFile === undefined) !== (tls.keyFile === undefined)) {
      ctx.error("fix.tls", "certFile and keyFile go together");
    }
    if (tls.requireClientCert && tls.caFile === undefined) {
      ctx.error("fix.tls.requireClientCert", "requireClientCert needs caFile");
    }
    if (role === "acceptor" && !tls.requireClientCert && tls.caFile !== undefined) {
      ctx.error("fix.tls.caFile", "caFile is only used with requireClientCert: true");
    }
    if (role === "initiator") {
      ctx.warn("fix.tls", "fix.tls is for acceptors; an initiator uses sessions[].connect.tls");
    }
  }
  checkCidrs(ctx, "fix.allowedRemoteAddresses", c.fix.allowedRemoteAddresses);
  if (!isLoopbackHost(c.admin.listen.hostname) && c.admin.token === undefined) {
    ctx.error("admin.token", "The admin API listens beyond loopback, so it needs a token");
  }
  if (c.api.listen && !isLoopbackHost(c.api.listen.hostname) && c.api.token === undefined) {
    ctx.error("api.token", "The application API listens beyond loopback, so it needs a token");
  }
  const seen = new Map<string, number>();
  c.sessions.forEach((sess, i) => {
    // Acceptors find sessions by what a Logon carries, and the qualifier is not on the wire.
    const key = role === "acceptor"
      ? sessionKeyOf({ ...sess, sessionQualifier: undefined })
      : sessionKeyOf(sess);
    const first = seen.get(key);
    if (first !== undefined) {
      ctx.error(`sessions[${i}]`, `Duplicate session ${key} (also sessions[${first}])`);
    } else seen.set(key, i);
    checkQuickFixSettings(sess, i, role, ctx);
    if (role === "initiator" && sess.connect === undefined) {
      ctx.error(`sessions[${i}].connect`, "An initiator session needs connect.addresses");
    }
    const ctls = sess.connect?.tls;
    if (ctls !== undefined && (ctls.certFile === undefined) !== (ctls.keyFile === undefined)) {
      ctx.error(`sessions[${i}].connect.tls`, "certFile and keyFile go together");
    }
    if (ctls?.serverName !== undefined && ctls.certFile !== undefined) {
      ctx.warn(
        `sessions[${i}].connect.tls.serverName`,
        "serverName is not honoured with a client certificate; the address's host is verified",
      );
    }
    if (role === "acceptor" && sess.connect !== undefined) {
      ctx.warn(`sessions[${i}].connect`, "connect is ignored by an acceptor");
    }
    if (sess.application === "api" && c.api.listen === undefined) {
      ctx.error(`sessions[${i}].application`, "application: api needs api.listen");
    }
    checkCidrs(ctx, `sessions[${i}].allowedRemoteAddresses`, sess.allowedRemoteAddresses);
  });
});
// ---- replicated gateway (node.role initiator with node.ha primary|secondary or etcd)
/** Cross-key checks of a gateway (`node.role: initiator`), replicated or not. */
function checkGateway(c: s.ObjectOf<typeof tandemFields>, ctx: s.RefineContext): void {
  if (c.fix.listen === undefined) return;
  if (c.node.ha !== "standalone") {
    ctx.error(
      "fix.listen",
      "A replicated gateway (node.role initiator) connects out and never listens for FIX: remove fix.listen",
    );
  } else {
    ctx.warn("fix.listen", "Ignored: an initiator connects out and does not listen for FIX");
  }
}

/** Cross-key checks of `coordination.kind: etcd` (cluster mode). */
function checkCluster(c: s.ObjectOf<typeof tandemFields>, ctx: s.RefineContext): void {
  const e = c.coordination.etcd;
  if (c.node.ha === "standalone") {
    ctx.error("node.ha", "coordination.kind etcd needs node.ha primary or secondary (a member)");
  }
  if (e.endpoints.length === 0) {
    ctx.error("coordination.etcd.endpoints", "coordination.kind etcd needs at least one endpoint");
  }
  e.endpoints.forEach((u, i) => {
    if (!/^https?:\/\/[^/\s]+\/?$/.test(u)) {
      ctx.error(`coordination.etcd.endpoints[${i}]`, `Not an http(s)://host:port URL: ${u}`);
    }
  });
  if (e.leaseTtlMs % 1000 !== 0) {
    ctx.error(
      "coordination.etcd.leaseTtlMs",
      "etcd leases last whole seconds: use a multiple of 1000",
    );
  }
  if (e.safetyMarginMs * 2 > e.leaseTtlMs) {
    ctx.error("coordination.etcd.safetyMarginMs", "Must be at most half of leaseTtlMs");
  }
  if ((e.username === undefined) !== (e.password === undefined)) {
    ctx.error("coordination.etcd.username", "username and password go together");
  }
  if ((e.certFile === undefined) !== (e.keyFile === undefined)) {
    ctx.error("coordination.etcd.certFile", "certFile and keyFile go together");
  }
  const r = c.replication;
  if (r.listen === undefined) {
    ctx.error(
      "replication.listen",
      "A cluster member needs replication.listen (it serves while leading)",
    );
  }
  const members = new Set(r.peers.map((p) => `${p.hostname}:${p.port}`));
  if (r.listen) members.add(`${r.listen.hostname}:${r.listen.port}`);
  if (members.size < 2) {
    ctx.error(
      "replication.peers",
      "A cluster needs at least 2 members: list every member's replication address",
    );
  }
  if (r.minInSync > members.size) {
    ctx.error(
      "replication.minInSync",
      `minInSync ${r.minInSync} is more than the ${members.size} members`,
    );
  }
  if (r.primary !== undefined) {
    ctx.warn(
      "replication.primary",
      "Ignored with coordination.kind etcd: the leader comes from etcd",
    );
  }
  if (r.autoPromoteAfterMs > 0) {
    ctx.warn("replication.autoPromoteAfterMs", "Ignored with coordination.kind etcd: etcd elects");
  }
}

type RawConfig = Infer<typeof tandemSchema>;
type RawSession = Infer<typeof session>;

/**
 * One validated session of {@linkcode TandemConfig}. `timestampPrecision` and
 * `schedule.nonStop` are always filled (their defaults depend on other keys).
 */
export type SessionConfig = Omit<RawSession, "timestampPrecision" | "schedule"> & {
  timestampPrecision: 0 | 3 | 6 | 9;
  schedule: Omit<RawSession["schedule"], "nonStop"> & { nonStop: boolean };
};

/** A validated Tandem configuration, with every default filled in and the role known. */
export type TandemConfig = Omit<RawConfig, "node" | "sessions"> & {
  node: Omit<RawConfig["node"], "role"> & { role: "acceptor" | "initiator" };
  sessions: SessionConfig[];
};
