/**
 * The node's metrics: the counters it increments (FIX messages, resends,
 * gap fills, rejects, logons, releases, role changes, failovers) and the
 * gauges read at scrape time from a {@linkcode NodeMetricsView} (journal,
 * epoch, role, sessions, replication lag, messages waiting for a replica).
 *
 * @module
 */

import type { Journal } from "../journal/mod.ts";
import type { Registry } from "../metrics/registry.ts";
import type { ReplicationNode } from "../replication/mod.ts";
import type { SessionHost } from "../engine/mod.ts";

/** What the scrape-time gauges read from the node. */
export interface NodeMetricsView {
  readonly journal: Journal;
  epoch(): number;
  role(): string;
  acceptingLogons(): boolean;
  hosts(): Iterable<SessionHost>;
  replication(): ReplicationNode | undefined;
  /** Outbound messages held back for a replica now. */
  waitingCount(): number;
}

/** The counters the node increments; see {@linkcode nodeMetrics}. */
export type NodeMetrics = ReturnType<typeof nodeMetrics>;

/** Creates the node's counters and gauges in `r`; the gauges read `view` at scrape time. */
export function nodeMetrics(r: Registry, view: NodeMetricsView) {
  const seqGauge = (
    which: "nextSenderSeqNum" | "nextTargetSeqNum",
  ): [Record<string, string>, number][] =>
    view.journal.sessions().map((
      s,
    ) => [{ session: s.key }, view.journal.sessionState(s.id)[which]]);
  const lag = (which: "records" | "bytes" | "ms"): [Record<string, string>, number][] => {
    const leader = view.replication()?.status().leader;
    if (!leader) return [];
    const key = which === "records" ? "lagRecords" : which === "bytes" ? "lagBytes" : "lagMs";
    return leader.followers.map((f) => [{ follower: f.nodeId }, f[key]]);
  };
  const m = {
    messages: r.counter(
      "tandem_fix_messages_total",
      "FIX messages by session, direction and MsgType",
    ),
    resends: r.counter(
      "tandem_resent_messages_total",
      "Messages resent with PossDupFlag=Y in answer to a ResendRequest",
    ),
    gapFills: r.counter("tandem_gap_fills_total", "SequenceReset-GapFill messages sent"),
    rejects: r.counter(
      "tandem_rejects_sent_total",
      "Rejects sent, by kind (session 35=3, business 35=j)",
    ),
    logons: r.counter("tandem_logons_total", "Logons completed, by session"),
    logouts: r.counter("tandem_logouts_total", "Sessions ended, by session"),
    released: r.counter(
      "tandem_ack_releases_total",
      "Outbound messages released to the socket, by reason (immediate, ack, timeout)",
    ),
    ackWait: r.histogram(
      "tandem_ack_wait_seconds",
      "Time outbound messages waited for a replica acknowledgement",
    ),
    roleChanges: r.counter(
      "tandem_role_changes_total",
      "Replication role transitions, by new role",
    ),
    failovers: r.counter("tandem_failovers_total", "Promotions of this node to primary"),
  };
  r.gauge("tandem_journal_last_index", "Index of the last journal record").collectWith(() => [[
    {},
    view.journal.lastIndex,
  ]]);
  r.gauge("tandem_journal_durable_index", "Highest durable journal index").collectWith(() => [[
    {},
    view.journal.durableIndex,
  ]]);
  r.gauge("tandem_journal_bytes", "Bytes in the journal's segments").collectWith(() => [[
    {},
    view.journal.stats.totalBytes,
  ]]);
  r.gauge("tandem_journal_writes", "Journal write calls since start (one per event-loop turn)")
    .collectWith(() => [[{}, view.journal.stats.writes]]);
  r.gauge("tandem_journal_syncs", "Journal syncs since start").collectWith(() => [[
    {},
    view.journal.stats.syncs,
  ]]);
  r.gauge("tandem_epoch", "Current epoch").collectWith(() => [[{}, view.epoch()]]);
  r.gauge("tandem_role", "1 for the node's current role").collectWith(() => [[
    { role: view.role() },
    1,
  ]]);
  r.gauge("tandem_accepting_logons", "1 while this node accepts FIX Logons").collectWith(
    () => [[{}, view.acceptingLogons() ? 1 : 0]],
  );
  r.gauge("tandem_session_next_sender_seq_num", "Next outbound MsgSeqNum by session")
    .collectWith(() => seqGauge("nextSenderSeqNum"));
  r.gauge("tandem_session_next_target_seq_num", "Next expected inbound MsgSeqNum by session")
    .collectWith(() => seqGauge("nextTargetSeqNum"));
  r.gauge("tandem_session_logged_on", "1 when the session is logged on").collectWith(() =>
    [...view.hosts()].map((h) => [{ session: h.key }, h.isLoggedOn ? 1 : 0])
  );
  r.gauge(
    "tandem_session_lost_outbound_messages",
    "Outbound MsgSeqNums the counterparty saw that this node lacked (lossy failover), by session",
  ).collectWith(() =>
    [...view.hosts()].map((h) => [
      { session: h.key },
      h.lostOutbound.reduce((n, r) => n + r.toSeqNum - r.fromSeqNum + 1, 0),
    ])
  );
  r.gauge("tandem_session_held", "1 while a session is held for the operator (lost outbound)")
    .collectWith(() =>
      [...view.hosts()].map((h) => [{ session: h.key }, h.session.heldFor ? 1 : 0])
    );
  r.gauge("tandem_session_logon_loops", "Logon/logout loops detected, by session")
    .collectWith(() => [...view.hosts()].map((h) => [{ session: h.key }, h.session.logonLoops]));
  r.gauge("tandem_replication_lag_records", "Records a follower is behind the leader")
    .collectWith(() => lag("records"));
  r.gauge("tandem_replication_lag_bytes", "Bytes a follower is behind the leader")
    .collectWith(() => lag("bytes"));
  r.gauge("tandem_replication_lag_ms", "Milliseconds since a follower was caught up")
    .collectWith(() => lag("ms"));
  r.gauge("tandem_ack_waiting_messages", "Outbound messages waiting for a replica").collectWith(
    () => [[{}, view.waitingCount()]],
  );
  return m;
}
