/**
 * A Tandem node: the composition of journal, replication, engine,
 * applications, admin endpoint and application API for one configuration.
 * Everything is wired here, in one place.
 *
 * Roles:
 * - **acceptor, standalone**: journal + acceptor.
 * - **acceptor, primary / secondary**: journal + {@linkcode ReplicationNode}.
 *   The FIX acceptor exists only while the node leads: a follower does not
 *   listen on the FIX port at all (connections are refused, so an initiator
 *   moves to its next address at once) and never writes to its journal
 *   except what it replicates. On becoming leader the node finishes the
 *   application work the old primary left (see `app_cursor.ts`), opens a
 *   {@linkcode ReleaseGate} for the acknowledgement strategy and starts the
 *   acceptor from the replicated state; on stepping down it closes them.
 * - **initiator**: journal + one initiator per session.
 *
 * Promotion comes from `POST /promote` (also `tandem promote`) or from the
 * replication link's silence (`replication.autoPromoteAfterMs`; 0 means by
 * command only); each one starts a new epoch. A leader that meets a peer at a
 * higher epoch steps down: it closes the FIX port and follows, its divergent
 * suffix moved into a quarantine file. `/status` shows `role`, `epoch`,
 * `acceptingLogons` and the replication state (transitions, follower lag,
 * truncations); `/metrics` has `tandem_role{role}`, `tandem_epoch`,
 * `tandem_accepting_logons`, `tandem_failovers_total` and
 * `tandem_role_changes_total{role}`.
 *
 * @module
 */

import type { ConnectorEvent } from "../transport/mod.ts";
import {
  BUILTIN_APPLICATIONS,
  type SessionConfig,
  sessionKeyOf,
  type TandemConfig,
} from "../config/mod.ts";
import {
  type AcceptorSessionTemplate,
  DEFAULT_MAX_TEMPLATE_SESSIONS,
  isTemplateCompId,
  templateTargetOf,
} from "../engine/session_template.ts";
import { templateSessionsIn } from "./template_sessions.ts";
import { logonChecker } from "../engine/logon_policy.ts";
import type { Logger as TandemLogger } from "../log/mod.ts";
import {
  Journal,
  JournalFailedError,
  type JournalStorage,
  type SyncPolicy,
} from "../journal/mod.ts";
import { DataDirLock } from "../journal/data_dir_lock.ts";
import { StorageFaultStop } from "./storage_fault.ts";
import { acquireDataDir, journalRecoveryGauges, logJournalRecovery } from "./journal_health.ts";
import {
  Acceptor,
  type AcceptorSessionConfig,
  type Application,
  dictionaryValidator,
  echoApplication,
  executorApplication,
  Initiator,
  JournalSessionStore,
  type Logger as EngineLogger,
  type SessionHost,
} from "../engine/mod.ts";
import { type AckPolicy, ReplicationNode, ReplicationSecret } from "../replication/mod.ts";
import { refusalLogger, replicationTlsOptions } from "./replication_security.ts";
import { SessionSchedule } from "../session/schedule.ts";
import { loadDictionary } from "../fix/dictionary/mod.ts";
import type { Dictionary } from "../fix/dictionary/dictionary.ts";
import type { FixMessage } from "../fix/message.ts";
import { Registry } from "../metrics/registry.ts";
import { acceptorAdmissionOptions, httpEdgeOptions, sessionAllowedAddresses } from "./_edge.ts";
import { AdminError, type AdminNode, serveAdmin } from "../admin/server.ts";
import { OpsFeed, peerUrl } from "../admin/events.ts";
import { RecentLog } from "../log/recent.ts";
import {
  ApiError,
  type ApiNode,
  type LeaderInfo,
  type SendRequest,
  type SendResult,
  serveApi,
  type StreamedMessage,
} from "../api/server.ts";
import { ApiSide } from "./api_node.ts";
import { VERSION } from "../version.ts";
import { cursoredApplication, openRunAckLimit, unfinishedWork } from "./app_cursor.ts";
import { ReleaseGate } from "./release_gate.ts";
import {
  type Address,
  clusterAckPolicy,
  type ClusterMember,
  startClusterMember,
} from "./cluster_member.ts";
import { acceptorTlsOptions, connectionEvents, initiatorConnectOptions } from "./gateway.ts";
import { ExitCode } from "../cli/exit_codes.ts";

const WEEKDAY_NUMBERS: Record<string, number> = {
  sun: 0,
  mon: 1,
  tue: 2,
  wed: 3,
  thu: 4,
  fri: 5,
  sat: 6,
};
// "<SOH>43=Y<SOH>" and "<SOH>123=Y<SOH>": PossDupFlag and GapFillFlag set
const POSS_DUP_FLAG = new Uint8Array([1, 0x34, 0x33, 0x3d, 0x59, 1]);
const GAP_FILL_FLAG = new Uint8Array([1, 0x31, 0x32, 0x33, 0x3d, 0x59, 1]);

/** Whether `bytes` contains `flag` (a short SOH-delimited field). */
function hasFlag(bytes: Uint8Array, flag: Uint8Array): boolean {
  const last = bytes.length - flag.length;
  outer: for (let i = bytes.indexOf(1); i >= 0 && i <= last; i = bytes.indexOf(1, i + 1)) {
    for (let k = 1; k < flag.length; k++) if (bytes[i + k] !== flag[k]) continue outer;
    return true;
  }
  return false;
}

/** How often an idle node applies journal retention (it also runs after every roll). */
export const RETENTION_CHECK_INTERVAL_MS = 10 * 60_000;

/** A replication link silent for this many heartbeat intervals is dropped. */
export const HEARTBEAT_TIMEOUT_INTERVALS = 3;

/** Options for {@linkcode TandemNode.start}. */
export interface TandemNodeOptions {
  readonly logger: TandemLogger;
  /** Reads a file (custom dictionaries); default `Deno.readTextFile`. */
  readonly readTextFile?: (path: string) => Promise<string>;
  /**
   * Initiator sessions: every connection event (connecting, connected, logged on, failed over,
   * attempt failed, fatal failure, …) besides the logs and metrics.
   */
  readonly onConnectionEvent?: (session: string, event: ConnectorEvent) => void;
  /**
   * Start even when the journal ends before its checkpoint (a missing or
   * rewound newest segment; `--accept-journal-rewind`). Default false: refuse.
   */
  readonly acceptJournalRewind?: boolean;
  /** Journal storage instead of files in `node.dataDir` (tests inject faults with `MemoryStorage`). */
  readonly journalStorage?: JournalStorage;
  /**
   * Your own applications by name: a session with `application: <name>` is served by
   * `applications[name]` (one object for all sessions naming it; the session handle says
   * which). Like the built-in executor they run behind application cursors, so after a failover
   * the new primary hands them the messages whose answers the replica lacked, with the same
   * `MessageContext` ids. The names echo, executor and api are taken.
   */
  readonly applications?: Readonly<Record<string, Application>>;
}

function engineLogger(log: TandemLogger): EngineLogger {
  return (level, message) => log[level](message);
}

function ackPolicy(config: TandemConfig, name: string): AckPolicy {
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

/** The session settings the engine takes, from a configured session. */
export async function engineSessionConfig(
  s: SessionConfig,
  config: TandemConfig,
  readTextFile: (path: string) => Promise<string>,
): Promise<AcceptorSessionConfig> {
  const v = s.validation;
  let transport: Dictionary | undefined;
  let custom: Dictionary | undefined;
  if (s.dictionary !== undefined) {
    custom = loadDictionary(await readTextFile(s.dictionary), s.dictionary);
  }
  if (s.transportDictionary !== undefined) {
    transport = loadDictionary(await readTextFile(s.transportDictionary), s.transportDictionary);
  }
  const isFixt = s.beginString === "FIXT.1.1";
  const validate = dictionaryValidator(s.beginString, {
    options: {
      checkFieldsOutOfOrder: v.checkFieldsOutOfOrder,
      checkFieldsHaveValues: v.checkFieldsHaveValues,
      checkUserDefinedFields: v.checkUserDefinedFields,
      allowUnknownMessageFields: v.allowUnknownMessageFields,
      checkRequiredFields: v.checkRequiredFields,
    },
    ...(isFixt ? (transport ? { transport } : {}) : (custom ? { transport: custom } : {})),
    ...(isFixt && custom ? { applicationFor: () => custom } : {}),
  });
  const sch = s.schedule;
  const schedule = sch.nonStop ? undefined : new SessionSchedule({
    timeZone: sch.timeZone,
    ...(sch.startTime !== undefined ? { startTime: sch.startTime } : {}),
    ...(sch.endTime !== undefined ? { endTime: sch.endTime } : {}),
    ...(sch.days !== undefined ? { weekdays: sch.days.map((d) => WEEKDAY_NUMBERS[d]!) } : {}),
  });
  const acceptor = config.node.role === "acceptor";
  const checkLogon = acceptor
    ? logonChecker({
      username: s.logonUsername,
      password: s.logonPassword,
      minHeartbeatIntervalS: s.minHeartbeatIntervalS,
      maxHeartbeatIntervalS: s.maxHeartbeatIntervalS,
    })
    : undefined;
  const logonFields: [number, string][] = [];
  if (!acceptor && s.logonUsername !== undefined) logonFields.push([553, s.logonUsername]);
  if (!acceptor && s.logonPassword !== undefined) logonFields.push([554, s.logonPassword]);
  return {
    beginString: s.beginString,
    senderCompId: s.senderCompId,
    targetCompId: s.targetCompId,
    ...(s.senderSubId !== undefined ? { senderSubId: s.senderSubId } : {}),
    ...(s.senderLocationId !== undefined ? { senderLocationId: s.senderLocationId } : {}),
    ...(s.targetSubId !== undefined ? { targetSubId: s.targetSubId } : {}),
    ...(s.targetLocationId !== undefined ? { targetLocationId: s.targetLocationId } : {}),
    ...(s.sessionQualifier !== undefined ? { sessionQualifier: s.sessionQualifier } : {}),
    ...(logonFields.length > 0 ? { logonFields } : {}),
    ...(checkLogon ? { checkLogon } : {}),
    heartbeatIntervalS: s.heartbeatIntervalS,
    ...(s.defaultApplVerId !== undefined ? { defaultApplVerId: s.defaultApplVerId } : {}),
    resetOnLogon: s.resetOnLogon,
    resetOnLogout: s.resetOnLogout,
    resetOnDisconnect: s.resetOnDisconnect,
    checkLatency: s.checkLatency,
    sendingTimeToleranceS: s.sendingTimeToleranceS,
    checkCompId: s.checkCompId,
    enableNextExpectedMsgSeqNum: s.useNextExpectedMsgSeqNum,
    enableLastMsgSeqNumProcessed: s.enableLastMsgSeqNumProcessed,
    rejectGarbledMessage: s.rejectGarbledMessage,
    onCounterpartyAhead: s.onCounterpartyAhead,
    logonTimeoutS: s.connect?.logonTimeoutS ?? config.fix.logonTimeoutS,
    logoutTimeoutS: config.fix.logoutTimeoutS,
    testRequestDelayMultiplier: 1 + s.testRequestDelayMultiplier,
    resendRequestChunkSize: s.resendRequestChunkSize,
    maxResendRange: s.maxResendRange,
    timestampPrecision: s.timestampPrecision,
    validate,
    ...(schedule ? { schedule } : {}),
  };
}

/** A running node; see the module doc. */
export class TandemNode implements AsyncDisposable, AdminNode, ApiNode {
  readonly config: TandemConfig;
  readonly journal: Journal;
  readonly registry: Registry;
  readonly #log: TandemLogger;
  readonly #readTextFile: (path: string) => Promise<string>;
  readonly #onConnectionEvent: ((session: string, event: ConnectorEvent) => void) | undefined;
  readonly #ownApps: Readonly<Record<string, Application>>;
  readonly #sessionConfigs = new Map<string, AcceptorSessionConfig>();
  readonly #apps = new Map<string, Application>();
  /** Application name of every session served (configured or created from a template). */
  readonly #appNames = new Map<string, string>();
  /** Acceptor session templates (targetCompId a glob) and the application each names. */
  readonly #templates = new Map<AcceptorSessionTemplate, string>();
  readonly #voided = new Map<string, Set<number>>();
  readonly #servers: { shutdown(): Promise<void> }[] = [];
  /** Recent warnings for the operator's page, kept from the start. */
  readonly #recent = new RecentLog();
  readonly #untapLog: () => void;
  /** The operator's page feed; closed before the servers (its streams would hold them open). */
  #feed: OpsFeed | undefined;
  #replication: ReplicationNode | undefined;
  /** Cluster mode (coordination.kind etcd): the etcd-coordinated membership; see cluster_member.ts. */
  #cluster: ClusterMember | undefined;
  #gate: ReleaseGate | undefined;
  #acceptor: Acceptor | undefined;
  #initiators: Initiator[] = [];
  /** Initiator sessions: the address logged on to, and the last failover. */
  readonly #links = new Map<
    string,
    {
      address: string | null;
      lastFailover: { atMs: number; fromIndex: number; toIndex: number } | null;
    }
  >();
  #leading: Promise<void> = Promise.resolve();
  #fatal = Promise.withResolvers<number>();
  #closed = false;
  #retentionTimer: ReturnType<typeof setInterval> | undefined;
  readonly #faults: StorageFaultStop;
  #lock: DataDirLock | undefined;
  #adminPort: number | undefined;
  #apiPort: number | undefined;
  #fixPort: number | undefined;
  readonly #m;
  /** The application API's sends and stream (see api_node.ts). */
  readonly #api: ApiSide;

  private constructor(
    config: TandemConfig,
    journal: Journal,
    options: TandemNodeOptions,
    registry: Registry,
  ) {
    this.registry = registry;
    this.config = config;
    this.journal = journal;
    this.#log = options.logger;
    this.#untapLog = this.#log.tap(this.#recent.tap);
    this.#readTextFile = options.readTextFile ?? Deno.readTextFile;
    this.#onConnectionEvent = options.onConnectionEvent;
    this.#faults = new StorageFaultStop(options.logger, {
      stopServing: async () => {
        const acceptor = this.#acceptor;
        this.#acceptor = undefined;
        this.#fixPort = undefined;
        const closing = acceptor?.abort("journal storage failed");
        this.#gate?.[Symbol.dispose]();
        this.#gate = undefined;
        await closing;
        await Promise.all(this.#initiators.map((i) => i.close()));
      },
      stopReplication: async () => await this.#replication?.[Symbol.asyncDispose](),
    }, (code) => this.#fatal.resolve(code));
    journalRecoveryGauges(registry, journal, () => this.#faults.fault);
    this.#ownApps = options.applications ?? {};
    this.#api = new ApiSide({
      journal,
      nodeId: config.node.id,
      memberUrls: config.api.memberUrls,
      leading: () => this.#replication === undefined || this.#replication.role.role === "leader",
      leaderId: () => this.#replication?.status().follower?.leaderId,
      epoch: () => this.epoch,
      gate: () => this.#gate,
      host: (id) => this.#host(id),
      defaultApplVerId: (key) => this.#sessionConfigs.get(key)?.defaultApplVerId,
    });
    const r = this.registry;
    this.#m = {
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
      this.journal.lastIndex,
    ]]);
    r.gauge("tandem_journal_durable_index", "Highest durable journal index").collectWith(() => [[
      {},
      this.journal.durableIndex,
    ]]);
    r.gauge("tandem_journal_bytes", "Bytes in the journal's segments").collectWith(() => [[
      {},
      this.journal.stats.totalBytes,
    ]]);
    r.gauge("tandem_journal_writes", "Journal write calls since start (one per event-loop turn)")
      .collectWith(() => [[{}, this.journal.stats.writes]]);
    r.gauge("tandem_journal_syncs", "Journal syncs since start").collectWith(() => [[
      {},
      this.journal.stats.syncs,
    ]]);
    r.gauge("tandem_epoch", "Current epoch").collectWith(() => [[{}, this.epoch]]);
    r.gauge("tandem_role", "1 for the node's current role").collectWith(() => [[
      { role: this.role },
      1,
    ]]);
    r.gauge("tandem_accepting_logons", "1 while this node accepts FIX Logons").collectWith(
      () => [[{}, this.acceptingLogons ? 1 : 0]],
    );
    r.gauge("tandem_session_next_sender_seq_num", "Next outbound MsgSeqNum by session")
      .collectWith(() => this.#seqGauge("nextSenderSeqNum"));
    r.gauge("tandem_session_next_target_seq_num", "Next expected inbound MsgSeqNum by session")
      .collectWith(() => this.#seqGauge("nextTargetSeqNum"));
    r.gauge("tandem_session_logged_on", "1 when the session is logged on").collectWith(() =>
      [...this.#hosts()].map((h) => [{ session: h.key }, h.isLoggedOn ? 1 : 0])
    );
    r.gauge(
      "tandem_session_lost_outbound_messages",
      "Outbound MsgSeqNums the counterparty saw that this node lacked (lossy failover), by session",
    ).collectWith(() =>
      [...this.#hosts()].map((h) => [
        { session: h.key },
        h.lostOutbound.reduce((n, r) => n + r.toSeqNum - r.fromSeqNum + 1, 0),
      ])
    );
    r.gauge("tandem_session_held", "1 while a session is held for the operator (lost outbound)")
      .collectWith(() =>
        [...this.#hosts()].map((h) => [{ session: h.key }, h.session.heldFor ? 1 : 0])
      );
    r.gauge("tandem_session_logon_loops", "Logon/logout loops detected, by session")
      .collectWith(() => [...this.#hosts()].map((h) => [{ session: h.key }, h.session.logonLoops]));
    r.gauge("tandem_replication_lag_records", "Records a follower is behind the leader")
      .collectWith(() => this.#lag("records"));
    r.gauge("tandem_replication_lag_bytes", "Bytes a follower is behind the leader")
      .collectWith(() => this.#lag("bytes"));
    r.gauge("tandem_replication_lag_ms", "Milliseconds since a follower was caught up")
      .collectWith(() => this.#lag("ms"));
    r.gauge("tandem_ack_waiting_messages", "Outbound messages waiting for a replica").collectWith(
      () => [[{}, this.#gate?.waitingCount ?? 0]],
    );
  }

  /** Starts a node from a validated configuration. */
  static async start(config: TandemConfig, options: TandemNodeOptions): Promise<TandemNode> {
    for (const name of Object.keys(options.applications ?? {})) {
      if ((BUILTIN_APPLICATIONS as readonly string[]).includes(name)) {
        throw new RangeError(`Cannot register application "${name}": the name is built in`);
      }
    }
    const lock = acquireDataDir(config.node.dataDir);
    try {
      return await TandemNode.#startLocked(config, options, lock);
    } catch (err) {
      lock.release();
      throw err;
    }
  }

  static async #startLocked(
    config: TandemConfig,
    options: TandemNodeOptions,
    lock: DataDirLock,
  ): Promise<TandemNode> {
    const door: { trip?: (error: JournalFailedError) => void } = {};
    const j = config.journal;
    const registry = new Registry();
    const syncSeconds = registry.histogram(
      "tandem_journal_sync_seconds",
      "Duration of each journal sync (fdatasync)",
    );
    const syncedRecords = registry.counter(
      "tandem_journal_synced_records_total",
      "Records made durable by journal syncs",
    );
    const journal = await Journal.open(config.node.dataDir, {
      ...(options.journalStorage ? { storage: options.journalStorage } : {}),
      onFailure: (error) => door.trip?.(error),
      acceptRewind: options.acceptJournalRewind ?? false,
      onSync: (ms, records) => {
        syncSeconds.observe(ms / 1000);
        syncedRecords.inc({}, records);
      },
      syncPolicy: j.syncPolicy as SyncPolicy,
      syncIntervalMs: j.syncIntervalMs,
      segmentSizeBytes: j.segmentSizeBytes,
      ...(j.rollDailyAt !== undefined
        ? { roll: { rollDailyAt: j.rollDailyAt, timeZone: j.timeZone } }
        : {}),
      retention: {
        ...(j.retention.maxAgeDays > 0 ? { maxAgeMs: j.retention.maxAgeDays * 86_400_000 } : {}),
        ...(j.retention.maxTotalBytes > 0 ? { maxTotalBytes: j.retention.maxTotalBytes } : {}),
      },
    });
    const node = new TandemNode(config, journal, options, registry);
    node.#lock = lock;
    door.trip = (error) => node.#faults.trip(error, "journal");
    logJournalRecovery(options.logger, journal);
    try {
      await node.#start();
    } catch (err) {
      await node.close();
      throw err;
    }
    return node;
  }

  /** Resolves with an exit code when the node must stop on its own (fatal failure). */
  get fatal(): Promise<number> {
    return this.#fatal.promise;
  }

  /** The FIX port while accepting. */
  get fixPort(): number | undefined {
    return this.#fixPort;
  }
  /** The admin port. */
  get adminPort(): number | undefined {
    return this.#adminPort;
  }
  /** The application API port. */
  get apiPort(): number | undefined {
    return this.#apiPort;
  }
  /** The replication port while leading. */
  get replicationPort(): number | undefined {
    return this.#replication?.port;
  }
  /** Current epoch. */
  get epoch(): number {
    return this.#replication?.role.epoch ?? this.journal.epoch;
  }
  /** Whether FIX Logons are accepted now: listening, and (HA) leading in a durable epoch. */
  get acceptingLogons(): boolean {
    return this.#acceptor !== undefined && (this.#replication?.canAcceptLogon() ?? true);
  }
  /** `standalone`, `primary` (leading) or `secondary` (following), or `initiator`. */
  get role(): string {
    if (this.config.node.role === "initiator") return "initiator";
    if (this.#replication === undefined) return "standalone";
    return this.#replication.role.role === "leader" ? "primary" : "secondary";
  }

  /** Whether the node can serve: false once its journal storage failed. */
  health(): { ok: boolean; reason?: string } {
    const fault = this.#faults.fault;
    return fault === undefined ? { ok: true } : { ok: false, reason: fault.message };
  }

  async #start(): Promise<void> {
    const c = this.config;
    for (const s of c.sessions) {
      const sc = await engineSessionConfig(s, c, this.#readTextFile);
      if (c.node.role === "acceptor" && isTemplateCompId(s.targetCompId)) {
        this.#templates.set({ config: sc, maxSessions: s.maxTemplateSessions }, s.application);
        continue;
      }
      this.#register(sessionKeyOf(s), sc, s.application);
    }
    this.#restoreTemplateSessions();
    if (c.node.role === "initiator") {
      this.#startInitiators();
    } else if (c.node.ha === "standalone") {
      this.#leading = this.#becomeLeader("standalone");
      await this.#leading;
    } else {
      await this.#startReplication();
    }
    await this.#startHttp();
    const retention = c.journal.retention;
    if (retention.maxAgeDays > 0 || retention.maxTotalBytes > 0) {
      // Retention also runs after every segment roll; this catches an idle journal.
      const timer = setInterval(() => {
        try {
          const removed = this.journal.applyRetention();
          if (removed.length > 0) this.#log.info("journal segments removed", { removed });
        } catch (err) {
          if (err instanceof JournalFailedError) this.#faults.trip(err, "retention");
          else this.#log.error("journal retention failed", { error: (err as Error).message });
        }
      }, RETENTION_CHECK_INTERVAL_MS);
      Deno.unrefTimer(timer);
      this.#retentionTimer = timer;
    }
    this.#log.info("node started", {
      nodeId: c.node.id,
      role: this.role,
      epoch: this.epoch,
      fixPort: this.#fixPort,
      adminPort: this.#adminPort,
      apiPort: this.#apiPort,
      replicationPort: this.replicationPort,
      journalLastIndex: this.journal.lastIndex,
    });
  }

  /** Serves session `key` (configured, or created from a template) with application `appName`. */
  #register(key: string, config: AcceptorSessionConfig, appName: string): void {
    this.#sessionConfigs.set(key, config);
    this.#apps.set(key, this.#application(appName, key));
    this.#appNames.set(key, appName);
  }

  /** Registers the sessions templates created before (their definitions are in the journal). */
  #restoreTemplateSessions(): void {
    for (
      const r of templateSessionsIn(this.journal, this.#templates.keys(), this.#sessionConfigs)
    ) {
      this.#register(r.key, r.config, this.#templates.get(r.template)!);
    }
  }

  #application(kind: string, key: string): Application {
    const log = this.#log.child({ session: key });
    const count = (dir: string) => (m: FixMessage) => {
      this.#m.messages.inc({ session: key, direction: dir, msg_type: m.msgType });
      log.fix("in", m);
    };
    const base: Application = kind === "executor"
      ? executorApplication()
      : kind === "echo"
      ? echoApplication()
      : kind === "api"
      ? {} // api: programs read received messages from the journal over the WebSocket stream
      : this.#ownApp(kind, key);
    const inbound = count("in");
    // Methods are called on `base` (never copied off it): an application may be a class instance.
    const inner: Application = {
      ...(base.authorizeLogon ? { authorizeLogon: (m, s) => base.authorizeLogon!(m, s) } : {}),
      onLogon: (s) => {
        this.#m.logons.inc({ session: s.key });
        this.#log.info("session logged on", { session: s.key });
        base.onLogon?.(s);
      },
      onLogout: (s, reason) => {
        this.#m.logouts.inc({ session: s.key });
        this.#log.info("session ended", { session: s.key, reason });
        base.onLogout?.(s, reason);
      },
      onAdmin: (m, s) => {
        inbound(m);
        base.onAdmin?.(m, s);
      },
      onSent: (msgType, seqNum, bytes, s) => {
        this.#m.messages.inc({ session: s.key, direction: "out", msg_type: msgType });
        if (msgType === "3" || msgType === "j") {
          this.#m.rejects.inc({ session: s.key, kind: msgType === "3" ? "session" : "business" });
        }
        if (msgType === "4" && hasFlag(bytes, GAP_FILL_FLAG)) {
          this.#m.gapFills.inc({ session: s.key });
        } else if (hasFlag(bytes, POSS_DUP_FLAG)) {
          this.#m.resends.inc({ session: s.key, msg_type: msgType });
        }
        log.fix("out", bytes);
        base.onSent?.(msgType, seqNum, bytes, s);
      },
    };
    const withCount: Application = {
      ...inner,
      onMessage: (m, s, c) => {
        inbound(m);
        base.onMessage?.(m, s, c);
      },
    };
    return kind === "api" ? withCount : cursoredApplication(withCount, this.journal, kind);
  }

  #ownApp(name: string, key: string): Application {
    const app = Object.hasOwn(this.#ownApps, name) ? this.#ownApps[name] : undefined;
    if (app === undefined) {
      const known = [...BUILTIN_APPLICATIONS, ...Object.keys(this.#ownApps)].join(", ");
      throw new RangeError(
        `Cannot start session ${key}: no application named "${name}" (known: ${known})`,
      );
    }
    return app;
  }

  async #startReplication(): Promise<void> {
    const c = this.config;
    const r = c.replication;
    const peers: { hostname: string; port: number }[] = [];
    for (const p of [...(r.primary ? [r.primary] : []), ...r.peers]) {
      if (!peers.some((q) => q.hostname === p.hostname && q.port === p.port)) peers.push(p);
    }
    const listen = r.listen;
    const tls = await replicationTlsOptions(r.tls);
    const refusals = this.registry.counter(
      "tandem_replication_refusals_total",
      "Replication handshakes refused, by reason",
    );
    // Cluster mode: every member starts following nobody; etcd elects, cluster_member.ts follows.
    const cluster = c.coordination.kind === "etcd";
    const follow: Address[] = [];
    this.#replication = ReplicationNode.start({
      journal: this.journal,
      clusterId: r.clusterId,
      nodeId: c.node.id,
      secret: await ReplicationSecret.import(r.secret!),
      initialRole: c.node.ha === "primary" && !cluster ? "leader" : "follower",
      ...(listen ? { listen } : {}),
      peers: cluster ? follow : peers,
      ...(r.peerIds.length > 0 ? { members: r.peerIds } : {}),
      ...(tls ? { tls } : {}),
      onRefused: refusalLogger(this.#log, (reason) => refusals.inc({ reason })),
      // 0 means "only by command".
      ...(r.autoPromoteAfterMs > 0 && !cluster ? { autoPromoteAfterMs: r.autoPromoteAfterMs } : {}),
      requireContactBeforeAutoPromote: r.requireContactBeforeAutoPromote,
      heartbeatIntervalMs: r.heartbeatIntervalMs,
      heartbeatTimeoutMs: r.heartbeatIntervalMs * HEARTBEAT_TIMEOUT_INTERVALS,
      reconnectDelayMs: r.reconnectDelayMs,
      connectTimeoutMs: r.connectTimeoutMs,
      limits: { maxBatchBytes: r.maxBatchBytes },
      ackLimit: (durable: number) => openRunAckLimit(this.journal, durable),
      onAck: (follower, index) => {
        this.#cluster?.onAck(follower, index);
        this.#gate?.onAck(follower, index);
      },
      onRoleChange: (t) => {
        this.#m.roleChanges.inc({ role: t.to.role });
        this.#log.info("replication role changed", {
          from: t.from.role,
          to: t.to.role,
          epoch: t.to.epoch,
          reason: t.reason,
        });
        if (t.to.role === "leader" && t.from.role !== "leader") {
          this.#m.failovers.inc();
          this.#leading = this.#leading.then(() => this.#becomeLeader(t.reason));
        } else if (t.from.role === "leader" && t.to.role !== "leader") {
          this.#leading = this.#leading.then(() => this.#stepDown(t.reason));
        }
      },
      onTruncate: (afterIndex, path) =>
        this.#log.warn("journal suffix quarantined after stepping down", { afterIndex, path }),
    });
    await this.#replication.ready;
    if (cluster) {
      this.#cluster = await startClusterMember(c, {
        replication: this.#replication,
        follow,
        lastIndex: () => this.journal.lastIndex,
        recheck: () => this.#gate?.recheck(),
        log: this.#log,
        registry: this.registry,
      });
    } else if (c.node.ha === "primary") {
      this.#leading = this.#becomeLeader("configured primary");
      await this.#leading;
    }
  }

  async #becomeLeader(reason: string): Promise<void> {
    if (this.#closed || this.#acceptor !== undefined || this.#faults.fault) return;
    const c = this.config;
    const log = engineLogger(this.#log);
    if (this.#replication) {
      const r = c.replication;
      const byMsgType: Record<string, AckPolicy> = {};
      const member = this.#cluster;
      const policyOf = (name: string) =>
        member ? clusterAckPolicy(ackPolicy(c, name), member) : ackPolicy(c, name);
      for (const [t, name] of Object.entries(r.ackStrategyByMsgType)) {
        byMsgType[t] = policyOf(name);
      }
      this.#gate = new ReleaseGate({
        policy: policyOf(r.ackStrategy),
        byMsgType,
        maxUnackedMessages: r.maxUnackedMessages,
        onRelease: (rel) => {
          member?.onReleased(rel.index);
          this.#m.released.inc({ reason: rel.reason });
          if (rel.reason !== "immediate") this.#m.ackWait.observe(rel.waitMs / 1000);
        },
      });
    }
    const store = new JournalSessionStore(this.journal);
    this.#restoreTemplateSessions(); // a follower replicated what the old primary created
    const sessions: AcceptorSessionConfig[] = [];
    const withVoided = (key: string, sc: AcceptorSessionConfig) => {
      const voided = new Set<number>();
      this.#voided.set(key, voided);
      return {
        ...sc,
        ...sessionAllowedAddresses(c, key),
        shouldResend: (m: FixMessage) => !voided.has(m.msgSeqNum),
      };
    };
    for (const [key, sc] of this.#sessionConfigs) sessions.push(withVoided(key, sc));
    const templates = [...this.#templates].map(([t, appName]) => ({
      template: t,
      appName,
      // Sessions restored from the journal count against the template's limit.
      maxSessions: Math.max(
        0,
        (t.maxSessions ?? DEFAULT_MAX_TEMPLATE_SESSIONS) -
          [...this.#appNames.keys()].filter((k) => templateTargetOf(t.config, k) !== undefined)
            .length,
      ),
    }));
    const gate = this.#gate;
    const listen = c.fix.listen ?? { hostname: "127.0.0.1", port: 0 };
    const acceptor = new Acceptor({
      hostname: listen.hostname,
      port: listen.port,
      sessions,
      store,
      templates: templates.map((t) => ({ config: t.template.config, maxSessions: t.maxSessions })),
      onSessionCreated: (host, template) => {
        const t = templates.find((x) => x.template.config === template.config)!;
        this.#register(
          host.key,
          { ...t.template.config, targetCompId: host.targetCompId },
          t.appName,
        );
        this.#voided.set(host.key, new Set());
        this.#log.info("session created from template", {
          session: host.key,
          template: t.template.config.targetCompId,
        });
      },
      application: this.#dispatcher(),
      logger: log,
      maxConnections: c.fix.maxConnections,
      ...acceptorAdmissionOptions(c, this.registry),
      maxMessageBytes: c.fix.maxMessageBytes,
      maxOutboundBufferedBytes: c.fix.maxBufferedBytesPerConnection,
      logonTimeoutMs: c.fix.logonTimeoutS * 1000,
      closeTimeoutMs: c.fix.logoutTimeoutS * 1000,
      ...acceptorTlsOptions(c.fix.tls),
      validateBodyLength: c.sessions.every((s) => s.validation.validateLengthAndChecksum),
      validateChecksum: c.sessions.every((s) => s.validation.validateLengthAndChecksum),
      ...(this.#replication
        ? {
          canAcceptLogon: () =>
            (this.#replication!.canAcceptLogon() && (this.#cluster?.leaseValid() ?? true)) ||
            "This node is a standby secondary and does not accept logons",
        }
        : {}),
      ...(gate
        ? { awaitRelease: (index: number, msgType: string) => gate.awaitRelease(index, msgType) }
        : {}),
    });
    this.#recoverApplications(acceptor);
    await acceptor.start();
    // The storage may have failed while the acceptor started: then it never serves.
    if (this.#faults.fault) return void await acceptor.abort("journal storage failed");
    this.#acceptor = acceptor;
    this.#fixPort = acceptor.port;
    this.#log.info("accepting FIX connections", { port: acceptor.port, epoch: this.epoch, reason });
  }

  #recoverApplications(acceptor: Acceptor): void {
    for (const [key, appName] of this.#appNames) {
      if (appName === "api") continue;
      const host = acceptor.sessions.get(key);
      if (!host) continue;
      const work = unfinishedWork(this.journal, appName, { key, sessionId: host.sessionId });
      for (const seq of work.voided) this.#voided.get(key)?.add(seq);
      if (work.voided.size > 0 || work.replay.length > 0) {
        this.#log.warn("finishing application work left by the previous primary", {
          session: key,
          voidedSeqNums: [...work.voided],
          replayed: work.replay.length,
        });
      }
      const app = this.#apps.get(key);
      work.replay.forEach((m, i) => app?.onMessage?.(m, host, work.contexts[i]!));
    }
  }

  async #stepDown(reason: string): Promise<void> {
    const acceptor = this.#acceptor;
    this.#acceptor = undefined;
    this.#fixPort = undefined;
    this.#log.warn("stopped accepting FIX connections", { reason });
    // Cancel first: what the new primary may lack must never reach the counterparty, and the
    // connections then close at once instead of waiting for acks that will not come.
    const gate = this.#gate;
    this.#gate = undefined;
    gate?.[Symbol.dispose]();
    if (acceptor) await acceptor.close();
  }

  #dispatcher(): Application {
    const appOf = (key: string) => this.#apps.get(key);
    return {
      onLogon: (s) => appOf(s.key)?.onLogon?.(s),
      onLogout: (s, r) => appOf(s.key)?.onLogout?.(s, r),
      onMessage: (m, s, c) => appOf(s.key)?.onMessage?.(m, s, c),
      onAdmin: (m, s) => appOf(s.key)?.onAdmin?.(m, s),
      onSent: (t, n, b, s) => appOf(s.key)?.onSent?.(t, n, b, s),
      authorizeLogon: (m, s) => appOf(s.key)?.authorizeLogon?.(m, s),
    };
  }

  #startInitiators(): void {
    const store = new JournalSessionStore(this.journal);
    const sinkFor = connectionEvents(this.registry, this.#log);
    for (const s of this.config.sessions) {
      const key = sessionKeyOf(s);
      const connect = initiatorConnectOptions(s);
      const sink = sinkFor(key);
      const initiator: Initiator = new Initiator({
        session: this.#sessionConfigs.get(key)!,
        ...connect,
        store,
        application: this.#apps.get(key)!,
        logger: engineLogger(this.#log),
        onEvent: (e) => {
          const link = this.#links.get(key) ?? { address: null, lastFailover: null };
          if (e.type === "logged-on") {
            const a = initiator.addresses[e.addressIndex];
            link.address = a === undefined ? null : `${a.host}:${a.port}`;
          } else if (e.type === "session-ended") {
            link.address = null;
          } else if (e.type === "failed-over") {
            link.lastFailover = { atMs: Date.now(), fromIndex: e.fromIndex, toIndex: e.toIndex };
          }
          this.#links.set(key, link);
          sink(e);
          this.#onConnectionEvent?.(key, e);
        },
        logEvents: false,
        maxMessageBytes: this.config.fix.maxMessageBytes,
        maxOutboundBufferedBytes: this.config.fix.maxBufferedBytesPerConnection,
        closeTimeoutMs: this.config.fix.logoutTimeoutS * 1000,
      });
      this.#initiators.push(initiator.start());
      void initiator.done.then(() => {
        if (!this.#closed && initiator.fatalReason !== undefined && s.connect!.exitOnFatal) {
          this.#fatal.resolve(ExitCode.FatalConnection);
        }
      });
    }
  }

  async #startHttp(): Promise<void> {
    const c = this.config;
    const admin = c.admin.listen;
    const adminReady = Promise.withResolvers<void>();
    this.#feed = new OpsFeed({
      self: this,
      recent: this.#recent,
      peers: c.admin.peers.map((p) => peerUrl(p.hostname, p.port)),
      token: c.admin.token,
      refreshMs: c.admin.pageRefreshMs,
    });
    this.#servers.push(serveAdmin(this, {
      hostname: admin.hostname,
      port: admin.port,
      token: c.admin.token,
      feed: this.#feed,
      ...httpEdgeOptions(c.admin),
      onListen: (a) => {
        this.#adminPort = a.port;
        adminReady.resolve();
      },
    }));
    await adminReady.promise;
    if (c.api.listen !== undefined) {
      const api = c.api.listen;
      const apiReady = Promise.withResolvers<void>();
      this.#servers.push(serveApi(this, {
        hostname: api.hostname,
        port: api.port,
        token: c.api.token,
        ...httpEdgeOptions(c.api),
        maxWebSocketMessageBytes: c.api.maxWebSocketMessageBytes,
        onListen: (a) => {
          this.#apiPort = a.port;
          apiReady.resolve();
        },
      }));
      await apiReady.promise;
    }
  }

  *#hosts(): Iterable<SessionHost> {
    if (this.#acceptor) yield* this.#acceptor.sessions.values();
    for (const i of this.#initiators) yield i.host;
  }

  #host(id: string): SessionHost {
    for (const h of this.#hosts()) {
      if (h.key === id || String(h.sessionId) === id) return h;
    }
    const known = this.#sessionConfigs.has(id);
    throw new ApiError(
      known ? 409 : 404,
      known
        ? `Session ${id} is not served by this node now (role ${this.role})`
        : `Unknown session ${id}; configured: ${[...this.#sessionConfigs.keys()].join(", ")}`,
    );
  }

  #seqGauge(which: "nextSenderSeqNum" | "nextTargetSeqNum"): [Record<string, string>, number][] {
    return this.journal.sessions().map((
      s,
    ) => [{ session: s.key }, this.journal.sessionState(s.id)[which]]);
  }

  #lag(which: "records" | "bytes" | "ms"): [Record<string, string>, number][] {
    const leader = this.#replication?.status().leader;
    if (!leader) return [];
    const key = which === "records" ? "lagRecords" : which === "bytes" ? "lagBytes" : "lagMs";
    return leader.followers.map((f) => [{ follower: f.nodeId }, f[key]]);
  }

  // ---------------------------------------------------------------- AdminNode

  /** Status snapshot for `/status`. */
  status(): unknown {
    const repl = this.#replication?.status();
    return {
      nodeId: this.config.node.id,
      version: VERSION,
      role: this.role,
      epoch: this.epoch,
      fixPort: this.#fixPort ?? null,
      acceptingLogons: this.acceptingLogons,
      sessions: this.sessions(),
      replication: repl
        ? {
          role: repl.role,
          canAcceptLogon: repl.canAcceptLogon,
          port: repl.port ?? null,
          leader: repl.leader ?? null,
          follower: repl.follower ?? null,
          lastError: repl.lastError ?? null,
          transitions: repl.transitions.slice(-10),
        }
        : null,
      cluster: this.#cluster?.status() ?? null,
      journal: {
        dir: this.config.node.dataDir,
        ...this.journal.stats,
        recoveredAtStart: this.journal.recovered,
        acceptedRewind: this.journal.rewind ?? null,
        storageFailure: this.#faults.fault ?? null,
      },
    };
  }

  /** Readiness for `/ready`. */
  ready(): { ready: boolean; reason: string } {
    const fault = this.#faults.fault;
    if (fault !== undefined) return { ready: false, reason: `storage failed: ${fault.message}` };
    if (this.#closed) return { ready: false, reason: "stopping" };
    if (this.role === "secondary") {
      const f = this.#replication?.status().follower;
      if (!f || f.state !== "streaming") {
        return {
          ready: false,
          reason: `not streaming from the primary (${f?.state ?? "stopped"})`,
        };
      }
      return f.lagRecords <= this.config.replication.readyLagRecords
        ? { ready: true, reason: `following, ${f.lagRecords} records behind` }
        : { ready: false, reason: `catching up: ${f.lagRecords} records behind` };
    }
    if (this.role === "initiator") return { ready: true, reason: "running" };
    return this.#acceptor
      ? { ready: true, reason: "accepting" }
      : { ready: false, reason: "not accepting yet" };
  }

  /** Prometheus text for `/metrics`. */
  metrics(): string {
    return this.registry.render();
  }

  /** Promotes this node (admin `/promote`). */
  async promote(reason: string): Promise<{ epoch: number }> {
    if (!this.#replication) {
      throw new AdminError(409, `Cannot promote: this node is ${this.role}, not a secondary`);
    }
    if (this.#cluster) {
      throw new AdminError(
        409,
        "Cannot promote: with coordination.kind etcd, etcd elects the leader",
      );
    }
    if (this.#replication.role.role === "leader") {
      throw new AdminError(409, `Cannot promote: already primary at epoch ${this.epoch}`);
    }
    const state = await this.#replication.promote(reason);
    if (state.role !== "leader") {
      throw new AdminError(
        409,
        `Cannot promote: ${this.#replication.status().lastError ?? "the role did not change"}`,
      );
    }
    await this.#leading;
    return { epoch: state.epoch };
  }

  /** Sets next sequence numbers (admin), audited in the journal. */
  setSequence(
    session: string,
    next: { nextSenderSeqNum?: number; nextTargetSeqNum?: number },
  ): Promise<unknown> {
    const host = this.#hostForAdmin(session);
    const now = this.journal.sessionState(host.sessionId);
    const numbers = {
      nextSenderSeqNum: next.nextSenderSeqNum ?? now.nextSenderSeqNum,
      nextTargetSeqNum: next.nextTargetSeqNum ?? now.nextTargetSeqNum,
    };
    this.journal.audit(
      JSON.stringify({ action: "set-sequence", session: host.key, from: now, to: numbers }),
      host.sessionId,
    );
    host.setSequenceNumbers(numbers, "admin request");
    return Promise.resolve({ session: host.key, ...numbers });
  }

  /** Logs a session out (admin). */
  logout(session: string, text: string | undefined): Promise<unknown> {
    const host = this.#hostForAdmin(session);
    const initiator = this.#initiators.find((i) => i.host === host);
    if (initiator !== undefined) {
      // An initiator stays down after an operator's logout, until POST /sessions/{id}/logon.
      if (initiator.isHeld) {
        throw new AdminError(409, `Cannot log out ${host.key}: already logged out`);
      }
      initiator.logout(text ?? "Logout requested by operator");
      return Promise.resolve({ session: host.key, loggingOut: true, staysDown: true });
    }
    if (!host.isLoggedOn) throw new AdminError(409, `Cannot log out ${host.key}: not logged on`);
    host.logout(text ?? "Logout requested by operator");
    return Promise.resolve({ session: host.key, loggingOut: true });
  }

  /** Lets an initiator session logged out by an operator connect again. */
  logon(session: string): Promise<unknown> {
    const host = this.#hostForAdmin(session);
    const initiator = this.#initiators.find((i) => i.host === host);
    if (initiator === undefined) {
      throw new AdminError(
        409,
        `Cannot log on ${host.key}: an acceptor waits for the counterparty`,
      );
    }
    if (!initiator.isHeld) {
      throw new AdminError(409, `Cannot log on ${host.key}: it is not logged out`);
    }
    initiator.logon();
    return Promise.resolve({ session: host.key, connecting: true });
  }

  #hostForAdmin(id: string): SessionHost {
    try {
      return this.#host(id);
    } catch (err) {
      if (err instanceof ApiError) throw new AdminError(err.status, err.message);
      throw err;
    }
  }

  // ---------------------------------------------------------------- ApiNode

  /** Session list for `/sessions` and `/status`. */
  sessions(): unknown[] {
    const live = new Map<string, SessionHost>();
    for (const h of this.#hosts()) live.set(h.key, h);
    const leader = this.#api.leader().leader;
    return [...this.#sessionConfigs.keys()].map((key) => {
      const h = live.get(key);
      const id = this.journal.sessionId(key);
      const seq = id === undefined ? undefined : this.journal.sessionState(id);
      return {
        key,
        id: id ?? null,
        served: h !== undefined,
        loggedOn: h?.isLoggedOn ?? false,
        connected: h?.isConnected ?? false,
        nextSenderSeqNum: seq?.nextSenderSeqNum ?? 1,
        nextTargetSeqNum: seq?.nextTargetSeqNum ?? 1,
        lostOutbound: h?.lostOutbound ?? [],
        heldForOperator: h?.session.heldFor !== undefined,
        leader,
        logonLoops: h?.session.logonLoops ?? 0,
        ...(this.config.node.role === "initiator"
          ? {
            address: this.#links.get(key)?.address ?? null,
            lastFailover: this.#links.get(key)?.lastFailover ?? null,
            heldByOperator: this.#initiators.find((i) => i.host === h)?.isHeld ?? false,
          }
          : { address: this.#fixPort === undefined ? null : `listening :${this.#fixPort}` }),
      };
    });
  }

  /** Who leads, for the API (`GET /leader`, and the 503 of a send to a follower). */
  leader(): LeaderInfo {
    return this.#api.leader();
  }

  /** Sends an application message for the API; answers once durable (see api_node.ts). */
  send(session: string, request: SendRequest): Promise<SendResult> {
    return this.#api.send(session, request);
  }

  /** Received application messages from the journal, for the API stream. */
  stream(fromIndex: number, signal: AbortSignal): AsyncIterable<StreamedMessage> {
    return this.#api.stream(fromIndex, signal);
  }

  // ---------------------------------------------------------------- lifecycle

  /** Logs sessions out, stops serving, flushes and closes the journal. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#retentionTimer);
    await this.#leading.catch(() => {});
    const acceptor = this.#acceptor;
    this.#acceptor = undefined;
    if (acceptor) {
      // Sessions log out while the replica can still acknowledge; whatever is still held back
      // after the logout timeout is cancelled (see ReleaseGate), so closing never hangs.
      const closing = acceptor.close();
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        closing,
        new Promise((r) => (timer = setTimeout(r, this.config.fix.logoutTimeoutS * 1000 + 500))),
      ]);
      clearTimeout(timer);
      this.#gate?.[Symbol.dispose]();
      await closing;
    }
    await Promise.all(this.#initiators.map((i) => i.close()));
    this.#gate?.[Symbol.dispose]();
    await this.#cluster?.[Symbol.asyncDispose]();
    await this.#replication?.[Symbol.asyncDispose]();
    this.#untapLog();
    await this.#feed?.close();
    await Promise.all(this.#servers.map((s) => s.shutdown()));
    await this.journal.close();
    this.#lock?.release();
    this.#fatal.resolve(0);
  }

  /** Same as {@linkcode TandemNode.close}. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
