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
 * - **initiator (gateway), standalone**: journal + one initiator per session
 *   (see `gateway_sessions.ts`).
 * - **initiator, primary / secondary** (or etcd): journal + replication as an
 *   acceptor; only the leader runs the initiators, through its release gate
 *   and only while it leads (and holds its lease), after finishing the
 *   application work the old leader left (as an acceptor does). Stepping down cancels the
 *   gate, then aborts them: the connections drop and nothing more is written,
 *   not even a Logout. `role` is then primary/secondary, `/status` `nodeRole`
 *   says initiator.
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
import { BUILTIN_APPLICATIONS, sessionKeyOf, type TandemConfig } from "../config/mod.ts";
import { type AcceptorSessionTemplate, isTemplateCompId } from "../engine/session_template.ts";
import { templateSessionsIn } from "./template_sessions.ts";
import type { Logger as TandemLogger } from "../log/mod.ts";
import { Journal, JournalFailedError } from "../journal/mod.ts";
import { DataDirLock } from "../journal/data_dir_lock.ts";
import { StorageFaultStop } from "./storage_fault.ts";
import {
  acquireDataDir,
  journalRecoveryGauges,
  logJournalRecovery,
  openNodeJournal,
  retentionTimer,
} from "./journal_health.ts";
import {
  Acceptor,
  type AcceptorSessionConfig,
  type Application,
  type Initiator,
  type Logger as EngineLogger,
  type SessionHost,
} from "../engine/mod.ts";
import { ReplicationNode } from "../replication/mod.ts";
import { replicationNodeOptions } from "./replication_wiring.ts";
import { Registry } from "../metrics/registry.ts";
import { AdminError, type AdminNode } from "../admin/server.ts";
import type { OpsFeed } from "../admin/events.ts";
import { RecentLog } from "../log/recent.ts";
import {
  ApiError,
  type ApiNode,
  type LeaderInfo,
  type SendRequest,
  type SendResult,
  type StreamedMessage,
} from "../api/server.ts";
import { ApiSide } from "./api_node.ts";
import { VERSION } from "../version.ts";
import { ReleaseGate } from "./release_gate.ts";
import { type Address, type ClusterMember, startClusterMember } from "./cluster_member.ts";
import { ExitCode } from "../cli/exit_codes.ts";
import type { TandemNodeOptions } from "./node_options.ts";
import { logonSession, logoutSession } from "./admin_sessions.ts";
import { engineSessionConfig } from "./session_config.ts";
import { type NodeMetrics, nodeMetrics } from "./node_metrics.ts";
import { dispatcher, servedApplication } from "./served_application.ts";
import { leaderReleaseGate } from "./leader.ts";
import { recoverApplications } from "./app_recovery.ts";
import { leaderAcceptor } from "./leader_acceptor.ts";
import { startHttp } from "./http_servers.ts";
import { followerReadiness, replicationStatus } from "./node_status.ts";
import { type GatewayLink, GatewaySessions } from "./gateway_sessions.ts";

export { RETENTION_CHECK_INTERVAL_MS } from "./journal_health.ts";

const NO_LINKS: ReadonlyMap<string, GatewayLink> = new Map();
export { HEARTBEAT_TIMEOUT_INTERVALS } from "./replication_wiring.ts";

export type { TandemNodeOptions } from "./node_options.ts";

function engineLogger(log: TandemLogger): EngineLogger {
  return (level, message) => log[level](message);
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
  /** Gateway (`node.role: initiator`): its initiator sessions; see gateway_sessions.ts. */
  #gateway: GatewaySessions | undefined;
  #leading: Promise<void> = Promise.resolve();
  #fatal = Promise.withResolvers<number>();
  #closed = false;
  #retentionTimer: ReturnType<typeof setInterval> | undefined;
  readonly #faults: StorageFaultStop;
  #lock: DataDirLock | undefined;
  #adminPort: number | undefined;
  #apiPort: number | undefined;
  #fixPort: number | undefined;
  readonly #m: NodeMetrics;
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
        // Like a fenced leader: drop the venue connections, no Logout, nothing queued written.
        await this.#gateway?.abort("journal storage failed");
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
      clustered: config.coordination.kind === "etcd",
    });
    this.#m = nodeMetrics(registry, {
      journal,
      epoch: () => this.epoch,
      role: () => this.role,
      acceptingLogons: () => this.acceptingLogons,
      hosts: () => this.#hosts(),
      replication: () => this.#replication,
      waitingCount: () => this.#gate?.waitingCount ?? 0,
    });
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
    const registry = new Registry();
    const journal = await openNodeJournal(config, registry, {
      journalStorage: options.journalStorage,
      acceptJournalRewind: options.acceptJournalRewind,
      onFailure: (error) => door.trip?.(error),
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
    if (this.#replication === undefined) {
      return this.config.node.role === "initiator" ? "initiator" : "standalone";
    }
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
    if (c.node.role === "initiator") this.#gateway = this.#newGateway();
    if (c.node.ha !== "standalone") {
      await this.#startReplication(); // a replicated gateway connects out only while leading
    } else if (this.#gateway) {
      this.#gateway.start({ beforeConnect: (hostOf) => this.#recoverApplications(hostOf) });
    } else {
      this.#leading = this.#becomeLeader("standalone");
      await this.#leading;
    }
    await this.#startHttp();
    this.#retentionTimer = retentionTimer(c, this.journal, this.#log, (err) => {
      this.#faults.trip(err, "retention");
    });
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
    return servedApplication(kind, key, {
      log: this.#log,
      metrics: this.#m,
      journal: this.journal,
      own: this.#ownApps,
    });
  }

  async #startReplication(): Promise<void> {
    const c = this.config;
    // Cluster mode: every member starts following nobody; etcd elects, cluster_member.ts follows.
    const cluster = c.coordination.kind === "etcd";
    const follow: Address[] = [];
    this.#replication = ReplicationNode.start(
      await replicationNodeOptions(c, {
        journal: this.journal,
        log: this.#log,
        registry: this.registry,
        follow,
        onAck: (follower, index) => {
          this.#cluster?.onAck(follower, index);
          this.#gate?.onAck(follower, index);
        },
        acksAwaited: () => (this.#gate?.waitingCount ?? 0) > 0,
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
      }),
    );
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
    if (this.#gateway) return this.#leadGateway(reason);
    const c = this.config;
    if (this.#replication) this.#gate = leaderReleaseGate(c, this.#cluster, this.#m);
    this.#restoreTemplateSessions(); // a follower replicated what the old primary created
    const gate = this.#gate;
    const acceptor = leaderAcceptor({
      config: c,
      journal: this.journal,
      registry: this.registry,
      log: this.#log,
      engineLogger: engineLogger(this.#log),
      sessionConfigs: this.#sessionConfigs,
      templates: this.#templates,
      appNames: this.#appNames,
      voided: this.#voided,
      register: (key, config, appName) => this.#register(key, config, appName),
      application: this.#dispatcher(),
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
    this.#recoverApplications((key) => acceptor.sessions.get(key));
    await acceptor.start();
    // The storage may have failed while the acceptor started: then it never serves.
    if (this.#faults.fault) return void await acceptor.abort("journal storage failed");
    this.#acceptor = acceptor;
    this.#fixPort = acceptor.port;
    this.#log.info("accepting FIX connections", { port: acceptor.port, epoch: this.epoch, reason });
  }

  #recoverApplications(hostOf: (key: string) => SessionHost | undefined): void {
    recoverApplications(hostOf, {
      journal: this.journal,
      log: this.#log,
      appNames: this.#appNames,
      apps: this.#apps,
      voided: this.#voided,
    });
  }

  /**
   * A replicated gateway's new leader connects out with the replicated sequence numbers,
   * through its release gate, and only while it leads (and, in a cluster, holds its lease).
   */
  #leadGateway(reason: string): void {
    const gateway = this.#gateway!;
    const replication = this.#replication!;
    if (gateway.initiators.length > 0) return;
    const gate = leaderReleaseGate(this.config, this.#cluster, this.#m);
    this.#gate = gate;
    gateway.start({
      awaitRelease: (index, msgType) => gate.awaitRelease(index, msgType),
      mayConnect: () =>
        (replication.canAcceptLogon() && (this.#cluster?.leaseValid() ?? true)) ||
        "this node does not lead (or its leadership lease lapsed)",
      beforeConnect: (hostOf) => this.#recoverApplications(hostOf),
    });
    this.#log.info("leading: connecting out", { epoch: this.epoch, reason });
  }

  async #stepDown(reason: string): Promise<void> {
    const acceptor = this.#acceptor;
    const gateway = this.#gateway;
    this.#acceptor = undefined;
    this.#fixPort = undefined;
    this.#log.warn(
      gateway ? "stopped connecting out: connections dropped" : "stopped accepting FIX connections",
      { reason },
    );
    // Cancel first: what the new primary may lack must never reach the counterparty, and the
    // connections then close at once instead of waiting for acks that will not come.
    const gate = this.#gate;
    this.#gate = undefined;
    gate?.[Symbol.dispose]();
    // A gateway sends nothing more, not even a Logout: its successor may not know the number.
    if (gateway) await gateway.abort(reason);
    if (acceptor) await acceptor.close();
  }

  #dispatcher(): Application {
    return dispatcher((key) => this.#apps.get(key));
  }

  async #startHttp(): Promise<void> {
    // The servers are kept as they start: if the API server fails, close() stops the admin one.
    const http = startHttp(this, this.config, this.#recent, this.#servers);
    const started = await http;
    this.#feed = started.feed;
    this.#adminPort = started.adminPort;
    this.#apiPort = started.apiPort;
  }

  /** The gateway's running initiators (none for an acceptor). */
  get #initiators(): readonly Initiator[] {
    return this.#gateway?.initiators ?? [];
  }

  /** Initiator sessions: the address logged on to, and the last failover. */
  get #links(): ReadonlyMap<string, GatewayLink> {
    return this.#gateway?.links ?? NO_LINKS;
  }

  #newGateway(): GatewaySessions {
    return new GatewaySessions({
      config: this.config,
      journal: this.journal,
      registry: this.registry,
      log: this.#log,
      engineLogger: engineLogger(this.#log),
      sessionConfig: (key) => this.#sessionConfigs.get(key)!,
      application: (key) => this.#apps.get(key)!,
      voided: this.#voided,
      onConnectionEvent: this.#onConnectionEvent,
      onFatal: () => {
        if (!this.#closed) this.#fatal.resolve(ExitCode.FatalConnection);
      },
    });
  }

  *#hosts(): Iterable<SessionHost> {
    if (this.#acceptor) yield* this.#acceptor.sessions.values();
    if (this.#gateway) yield* this.#gateway.hosts();
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

  // ---------------------------------------------------------------- AdminNode

  /** Status snapshot for `/status`. */
  status(): unknown {
    return {
      nodeId: this.config.node.id,
      version: VERSION,
      role: this.role,
      nodeRole: this.config.node.role,
      epoch: this.epoch,
      fixPort: this.#fixPort ?? null,
      acceptingLogons: this.acceptingLogons,
      sessions: this.sessions(),
      replication: replicationStatus(this.#replication),
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
      return followerReadiness(this.#replication, this.config.replication.readyLagRecords);
    }
    if (this.role === "initiator") return { ready: true, reason: "running" };
    if (this.#gateway) {
      return this.#gateway.initiators.length > 0
        ? { ready: true, reason: "leading: connecting out" }
        : { ready: false, reason: "not leading yet" };
    }
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
    return Promise.resolve(
      logoutSession(host, this.#initiators.find((i) => i.host === host), text),
    );
  }

  /** Lets an initiator session logged out by an operator connect again. */
  logon(session: string): Promise<unknown> {
    const host = this.#hostForAdmin(session);
    return Promise.resolve(logonSession(host, this.#initiators.find((i) => i.host === host)));
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

  /** Refuses the API stream on a cluster follower (503 naming the leader); see api_node.ts. */
  checkStream(): void {
    this.#api.checkStream();
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
    // Sessions log out while the replica can still acknowledge; whatever is still held back
    // after the logout timeout is cancelled (see ReleaseGate), so closing never hangs: neither
    // an acceptor nor a gateway leader under `forever` whose follower is gone.
    for (const closing of [acceptor?.close(), this.#gateway?.close()]) {
      if (closing === undefined) continue;
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        closing,
        new Promise((r) => (timer = setTimeout(r, this.config.fix.logoutTimeoutS * 1000 + 500))),
      ]);
      clearTimeout(timer);
      this.#gate?.[Symbol.dispose]();
      await closing;
    }
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
