/**
 * Client side of `tandem cluster status`: `GET /status` from a node's admin API, then a summary of
 * its `cluster` section (members, leader, epoch, in-sync set, lag, etcd health) — as a table for
 * people or as JSON for scripts. The summary is pure ({@linkcode summarizeCluster},
 * {@linkcode formatClusterStatus}); only {@linkcode fetchNodeStatus} touches the network.
 *
 * @module
 */

import { formatHostPort, type HostPort } from "../config/mod.ts";
import { readLimited } from "./promote.ts";

/** Options of {@linkcode fetchNodeStatus}. */
export interface StatusRequestOptions {
  /** The node's admin address. */
  readonly admin: HostPort;
  /** Bearer token, when the admin API requires one. */
  readonly token?: string | undefined;
  /** Cancels the request (the caller sets a timeout). */
  readonly signal?: AbortSignal;
}

/** Outcome of a status request. */
export type StatusResult =
  | { readonly ok: true; readonly body: unknown }
  | { readonly ok: false; readonly message: string };

/** Reads the node's `/status`; network failures and refusals are results, not exceptions. */
export async function fetchNodeStatus(options: StatusRequestOptions): Promise<StatusResult> {
  const url = `http://${formatHostPort(options.admin)}/status`;
  const headers: Record<string, string> = {};
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  let response: Response;
  try {
    response = await fetch(url, { headers, ...(options.signal ? { signal: options.signal } : {}) });
  } catch (e) {
    const why = (e as Error).name === "TimeoutError" ? "timed out" : (e as Error).message;
    return { ok: false, message: `Cannot reach ${url}: ${why}` };
  }
  const text = await readLimited(response);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (!response.ok) {
    const detail = isRecord(body) && "error" in body
      ? String(body.error)
      : text.trim() || response.statusText;
    return { ok: false, message: `Cannot read ${url} (HTTP ${response.status}): ${detail}` };
  }
  if (body === undefined) {
    return { ok: false, message: `Cannot read ${url}: the answer is not JSON` };
  }
  return { ok: true, body };
}

/** One member's row in the summary. */
export interface MemberRow {
  /** Node id (or the replication address when the node id is not known from here). */
  readonly member: string;
  /** `leader`, `follower` or `unknown`. */
  readonly role: "leader" | "follower" | "unknown";
  /** Whether the member is in the in-sync set recorded in the coordinator. */
  readonly inSync: boolean;
  /** Link state as the leader (or the follower itself) sees it, when known. */
  readonly link: string | undefined;
  /** Highest journal index acknowledged to the leader, when known. */
  readonly ackedIndex: number | undefined;
  /** Records behind the leader, when known. */
  readonly lagRecords: number | undefined;
  /** Age of the oldest unacknowledged record (ms), when known. */
  readonly lagMs: number | undefined;
}

/** What `tandem cluster status` reports. */
export interface ClusterSummary {
  /** The node asked. */
  readonly askedNode: string;
  /** `static` or `etcd`. */
  readonly coordination: string;
  /** The leader's node id, if any. */
  readonly leader: string | undefined;
  /** The leader's replication address, if any. */
  readonly leaderReplication: string | undefined;
  /** The coordinator's epoch counter. */
  readonly epoch: number | undefined;
  /** The recorded in-sync set. */
  readonly inSync: readonly string[];
  /** Every member's replication address from the node's configuration. */
  readonly memberAddresses: readonly string[];
  /** Whether the coordination service answered the node's last call. */
  readonly etcdHealthy: boolean | undefined;
  /** What the node says about the coordination service. */
  readonly etcdDetail: string | undefined;
  /** The lease left to the leader (ms), when the node asked is the leader. */
  readonly leaseRemainingMs: number | undefined;
  /** The commit index, when the node asked is the leader. */
  readonly commitIndex: number | undefined;
  /** One row per member known. */
  readonly members: readonly MemberRow[];
  /** The node's last coordination error, if any. */
  readonly lastError: string | undefined;
}

/**
 * Summarizes a node's `/status` answer; throws a `TypeError` naming what is missing when the node
 * does not run in cluster mode (its `cluster` section is null).
 */
export function summarizeCluster(status: unknown): ClusterSummary {
  const s = isRecord(status) ? status : {};
  const askedNode = str(s.nodeId) ?? "?";
  const cluster = s.cluster;
  if (!isRecord(cluster)) {
    throw new TypeError(
      `Cannot show the cluster of node ${askedNode}: it does not run in cluster mode ` +
        `(its /status has no cluster section)`,
    );
  }
  const leaderRec = isRecord(cluster.leader) ? cluster.leader : undefined;
  const leader = str(leaderRec?.nodeId);
  const inSync = Array.isArray(cluster.inSync) ? cluster.inSync.map(String) : [];
  const etcd = isRecord(cluster.etcd) ? cluster.etcd : undefined;
  const leading = isRecord(cluster.leading) ? cluster.leading : undefined;
  const repl = isRecord(s.replication) ? s.replication : undefined;
  const rows = new Map<string, MemberRow>();
  const row = (member: string, fields: Partial<MemberRow>) => {
    const before = rows.get(member);
    rows.set(member, {
      member,
      role: member === leader ? "leader" : (before?.role ?? "unknown"),
      inSync: inSync.includes(member),
      link: before?.link,
      ackedIndex: before?.ackedIndex,
      lagRecords: before?.lagRecords,
      lagMs: before?.lagMs,
      ...fields,
    });
  };
  if (leader !== undefined) row(leader, { role: "leader" });
  for (const m of inSync) row(m, {});
  const leaderStatus = isRecord(repl?.leader) ? repl.leader : undefined;
  if (leading !== undefined && leaderStatus !== undefined) {
    row(askedNode, { role: "leader", lagRecords: 0, lagMs: 0 });
    const followers = Array.isArray(leaderStatus.followers) ? leaderStatus.followers : [];
    for (const f of followers) {
      if (!isRecord(f) || str(f.nodeId) === undefined) continue;
      row(str(f.nodeId)!, {
        role: "follower",
        link: str(f.state),
        ackedIndex: num(f.ackedIndex),
        lagRecords: num(f.lagRecords),
        lagMs: num(f.lagMs),
      });
    }
  }
  const follower = isRecord(repl?.follower) ? repl.follower : undefined;
  if (leading === undefined && follower !== undefined) {
    row(askedNode, {
      role: "follower",
      link: str(follower.state),
      ackedIndex: num(follower.ackedIndex),
      lagRecords: num(follower.lagRecords),
      lagMs: num(follower.lagMs),
    });
  }
  return {
    askedNode,
    coordination: str(cluster.coordination) ?? "?",
    leader,
    leaderReplication: str(leaderRec?.replication),
    epoch: num(cluster.epoch),
    inSync,
    memberAddresses: Array.isArray(cluster.members) ? cluster.members.map(String) : [],
    etcdHealthy: typeof etcd?.healthy === "boolean" ? etcd.healthy : undefined,
    etcdDetail: str(etcd?.detail),
    leaseRemainingMs: num(leading?.leaseRemainingMs),
    commitIndex: num(leading?.commitIndex),
    members: [...rows.values()].sort((a, b) =>
      a.member < b.member ? -1 : a.member > b.member ? 1 : 0
    ),
    lastError: str(cluster.lastError),
  };
}

/** The summary as text: a header, then a table with one line per member. */
export function formatClusterStatus(summary: ClusterSummary): string {
  const show = (v: number | string | undefined) => v === undefined ? "-" : String(v);
  const lines = [
    `asked:        ${summary.askedNode}`,
    `coordination: ${summary.coordination}` +
    (summary.etcdHealthy === undefined
      ? ""
      : ` (${summary.etcdHealthy ? "healthy" : "UNHEALTHY"}: ${summary.etcdDetail ?? ""})`),
    `leader:       ${
      summary.leader === undefined
        ? "none"
        : `${summary.leader} at ${summary.leaderReplication ?? "?"}`
    }`,
    `epoch:        ${show(summary.epoch)}`,
    `in-sync:      ${summary.inSync.length === 0 ? "-" : summary.inSync.join(", ")}`,
    `addresses:    ${summary.memberAddresses.join(", ") || "-"}`,
  ];
  if (summary.leaseRemainingMs !== undefined) {
    lines.push(
      `lease left:   ${summary.leaseRemainingMs} ms (commit index ${show(summary.commitIndex)})`,
    );
  }
  if (summary.lastError !== undefined) lines.push(`last error:   ${summary.lastError}`);
  const header = ["MEMBER", "ROLE", "IN-SYNC", "LINK", "ACKED", "LAG-RECORDS", "LAG-MS"];
  const table = [
    header,
    ...summary.members.map((m) => [
      m.member,
      m.role,
      m.inSync ? "yes" : "no",
      show(m.link),
      show(m.ackedIndex),
      show(m.lagRecords),
      show(m.lagMs),
    ]),
  ];
  const widths = header.map((_, i) => Math.max(...table.map((r) => r[i]!.length)));
  lines.push("");
  for (const r of table) lines.push(r.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd());
  return lines.join("\n") + "\n";
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function str(v: unknown): string | undefined {
  return typeof v === "string" ? v : undefined;
}

function num(v: unknown): number | undefined {
  return typeof v === "number" && Number.isFinite(v) ? v : undefined;
}
