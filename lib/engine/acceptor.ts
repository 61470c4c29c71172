/**
 * The acceptor: one TCP port for many sessions, each found by the CompIDs
 * (and BeginString) of the first message on a connection.
 *
 * A session is found by BeginString and CompIDs, and among sessions sharing those, by the
 * sub and location IDs they configure (the most specific match wins). A Logon that names no
 * configured session but matches a {@linkcode AcceptorOptions.templates} entry creates the
 * session, once the template's Logon checks pass (see `session_template.ts`).
 *
 * A connection whose first message names no configured session, is not a
 * Logon, is garbled, or arrives while the session is already connected is
 * logged and closed without disturbing any other session. A node in the
 * standby role refuses Logons through {@linkcode AcceptorOptions.canAcceptLogon}
 * with a Logout carrying the reason.
 *
 * Admission control (see `admission.ts`): connections that have not logged on
 * are *pending* and have bounds of their own ({@linkcode AcceptorOptions.maxPendingConnections},
 * {@linkcode AcceptorOptions.maxPendingPerAddress}, the logon timeout); when a
 * bound is reached the oldest pending connection makes way for the new one.
 * {@linkcode AcceptorOptions.maxConnections} counts logged-on sessions only, so
 * no number of idle connections can keep a configured session from logging
 * on. Source addresses can be restricted per acceptor
 * ({@linkcode AcceptorOptions.allowedRemoteAddresses}) and per session
 * ({@linkcode AcceptorSessionConfig.allowedRemoteAddresses}). Refusals are
 * logged as one line per interval with counts by reason, and reported one by
 * one to {@linkcode AcceptorOptions.onRefused} (for metrics).
 *
 * @module
 */

import type { FixMessage } from "../fix/message.ts";
import { type Field, Session, sessionKeyOf } from "../session/session.ts";
import { expectedInboundIdentity } from "../session/session_id.ts";
import {
  type AcceptorSessionTemplate,
  DEFAULT_MAX_TEMPLATE_SESSIONS,
  sessionFromTemplate,
} from "./session_template.ts";
import { type Application, consoleLogger, type Logger } from "./application.ts";
import { type BindResult, ConnectionRunner } from "./runner.ts";
import { type AwaitRelease, type HostSessionConfig, SessionHost } from "./session_host.ts";
import { MemorySessionStore, type SessionStore } from "./store.ts";
import { openListener, openListenerAsync } from "../transport/listen_error.ts";
import {
  AddressFilter,
  listen as listenNet,
  type RejectedConnection,
  type Server,
  type TlsServerOptions,
} from "../transport/mod.ts";
import {
  DEFAULT_MAX_PENDING_CONNECTIONS,
  DEFAULT_MAX_PENDING_PER_ADDRESS,
  DEFAULT_REFUSAL_LOG_INTERVAL_MS,
  formatRefusalLine,
  PendingConnections,
  type RefusalReason,
  RefusalSummary,
} from "./admission.ts";

/** Default for {@linkcode AcceptorOptions.maxConnections}. */
export const DEFAULT_MAX_CONNECTIONS = 1024;

/** A session the acceptor serves (the role is implied). */
export type AcceptorSessionConfig = Omit<HostSessionConfig, "role"> & {
  /** CIDR blocks the session's counterparty may connect from; absent: any the acceptor allows. */
  readonly allowedRemoteAddresses?: readonly string[];
};

/** Options for {@linkcode Acceptor}. */
export interface AcceptorOptions {
  /** Address to listen on. Default `127.0.0.1`. */
  readonly hostname?: string;
  /** Port; 0 picks a free one (read {@linkcode Acceptor.port}). Default 0. */
  readonly port?: number;
  /** The sessions served. */
  readonly sessions: readonly AcceptorSessionConfig[];
  /** Session templates: a valid Logon from a matching unknown counterparty creates a session. */
  readonly templates?: readonly AcceptorSessionTemplate[];
  /** Told about each session a template created (before its Logon is processed). */
  readonly onSessionCreated?: (host: SessionHost, template: AcceptorSessionTemplate) => void;
  /** Default: a {@linkcode MemorySessionStore}. */
  readonly store?: SessionStore;
  /** One application for all sessions. */
  readonly application?: Application;
  /** Default {@linkcode consoleLogger}. */
  readonly logger?: Logger;
  /** Logged-on sessions at once; a Logon beyond it is refused. Pending connections do not count. */
  readonly maxConnections?: number;
  /** Connections not logged on yet, in all; the oldest makes way. Default 64. */
  readonly maxPendingConnections?: number;
  /** Connections not logged on yet from one source address; its oldest makes way. Default 8. */
  readonly maxPendingPerAddress?: number;
  /** CIDR blocks (IPv4, IPv6) connections may come from; absent: any. */
  readonly allowedRemoteAddresses?: readonly string[];
  /** Refusals are logged at most once per this interval, with counts. Default 10 s. */
  readonly refusalLogIntervalMs?: number;
  /** Told about every refused connection (for metrics). */
  readonly onRefused?: (reason: RefusalReason, remoteAddress: string) => void;
  /** Largest inbound message in bytes. */
  readonly maxMessageBytes?: number;
  /** Most bytes queued for writing per connection. */
  readonly maxOutboundBufferedBytes?: number;
  /** Time a new connection has to send a complete Logon. Default 10 s. */
  readonly logonTimeoutMs?: number;
  /** HA role hook: true to accept, false or a text to refuse a Logon for the session key. */
  readonly canAcceptLogon?: (sessionKey: string) => boolean | string;
  /** HA ack hook between the store append and the socket write. */
  readonly awaitRelease?: AwaitRelease;
  readonly validateBodyLength?: boolean;
  readonly validateChecksum?: boolean;
  /** LENGTH tag → DATA tag pairs for data fields of custom dictionaries. */
  readonly lengthTags?: ReadonlyMap<number, number>;
  /** On close, time logged-on sessions get to answer the Logout. Default 2000 ms. */
  readonly closeTimeoutMs?: number;
  /** Serve TLS (listen with {@linkcode Acceptor.start}); absent means plain TCP. */
  readonly tls?: TlsServerOptions;
  /** TLS: time a client has to complete its handshake (default from lib/transport). */
  readonly handshakeTimeoutMs?: number;
  /** TLS: told about connections refused before they reach the acceptor (bad certificate…). */
  readonly onRejected?: (rejection: RejectedConnection) => void;
}

/** The listening side the accept loop needs: plain `Deno.Listener` or a transport `Server`. */
interface Listening {
  readonly port: number;
  accept(): Promise<Deno.Conn>;
  close(): Promise<void> | void;
}

/** Listens for FIX connections; see the module doc. */
export class Acceptor implements AsyncDisposable {
  /** Sessions by key (`BeginString:Sender->Target`). */
  readonly sessions: ReadonlyMap<string, SessionHost>;
  readonly #options: AcceptorOptions;
  readonly #log: Logger;
  readonly #hosts = new Map<string, SessionHost>();
  /** Hosts by `BeginString:Sender->Target` alone, most specific identity first. */
  readonly #byCompIds = new Map<string, SessionHost[]>();
  readonly #store: SessionStore;
  readonly #created = new Map<AcceptorSessionTemplate, number>();
  readonly #runners = new Set<ConnectionRunner>();
  readonly #tasks = new Set<Promise<void>>();
  readonly #pending: PendingConnections<ConnectionRunner>;
  readonly #allowed: AddressFilter | undefined;
  readonly #sessionAllowed = new Map<string, AddressFilter>();
  /** Each template's `allowedRemoteAddresses`, checked before it creates a session. */
  readonly #templateAllowed = new Map<AcceptorSessionTemplate, AddressFilter>();
  readonly #summary: RefusalSummary;
  readonly #refusalIntervalMs: number;
  #summaryTimer: ReturnType<typeof setTimeout> | undefined;
  #listener: Listening | undefined;
  #acceptLoop: Promise<void> | undefined;
  #refused = 0;

  /**
   * @throws {RangeError} when a session is configured twice or a limit is out of range
   * @throws {CidrSyntaxError} (lib/transport) when an allowed address block cannot be parsed
   */
  constructor(options: AcceptorOptions) {
    this.#options = options;
    this.#log = options.logger ?? consoleLogger;
    this.#pending = new PendingConnections({
      maxPendingConnections: options.maxPendingConnections ?? DEFAULT_MAX_PENDING_CONNECTIONS,
      maxPendingPerAddress: options.maxPendingPerAddress ?? DEFAULT_MAX_PENDING_PER_ADDRESS,
    });
    this.#allowed = options.allowedRemoteAddresses === undefined
      ? undefined
      : AddressFilter.parse(options.allowedRemoteAddresses);
    this.#refusalIntervalMs = options.refusalLogIntervalMs ?? DEFAULT_REFUSAL_LOG_INTERVAL_MS;
    this.#summary = new RefusalSummary(this.#refusalIntervalMs);
    this.#store = options.store ?? new MemorySessionStore();
    for (const config of options.sessions) this.#addHost(config);
    for (const t of options.templates ?? []) {
      const cidrs = t.config.allowedRemoteAddresses;
      if (cidrs !== undefined) this.#templateAllowed.set(t, AddressFilter.parse(cidrs));
    }
    this.sessions = this.#hosts;
  }

  #addHost(config: AcceptorSessionConfig): SessionHost {
    const o = this.#options;
    const host = new SessionHost({
      config: { ...config, role: "acceptor" },
      store: this.#store,
      application: o.application,
      logger: this.#log,
      awaitRelease: o.awaitRelease,
    });
    if (this.#hosts.has(host.key)) {
      throw new RangeError(`Cannot configure session ${host.key}: it is configured twice`);
    }
    this.#hosts.set(host.key, host);
    if (config.allowedRemoteAddresses !== undefined) {
      this.#sessionAllowed.set(host.key, AddressFilter.parse(config.allowedRemoteAddresses));
    }
    const plain = sessionKeyOf(config.beginString, config.senderCompId, config.targetCompId);
    const list = this.#byCompIds.get(plain) ?? [];
    list.push(host);
    const specificity = (h: SessionHost) => expectedInboundIdentity(h.session.config).length;
    list.sort((a, b) => specificity(b) - specificity(a));
    this.#byCompIds.set(plain, list);
    return host;
  }

  /** The configured session `first` names: CompIDs, then the sub/location IDs it configures. */
  #find(first: FixMessage, plain: string): SessionHost | undefined {
    return this.#byCompIds.get(plain)?.find((h) =>
      expectedInboundIdentity(h.session.config).every(([tag, value]) => first.get(tag) === value)
    );
  }

  /** The port listened on (after {@linkcode Acceptor.listen}). */
  get port(): number {
    if (this.#listener === undefined) {
      throw new Error("Cannot read port: the acceptor is not listening");
    }
    return this.#listener.port;
  }

  /** Connections open now (pending and logged on). */
  get connections(): number {
    return this.#runners.size;
  }

  /** Connections open now that have not logged on. */
  get pendingConnections(): number {
    return this.#pending.size;
  }

  /** Connections refused or closed before Logon, for any reason. */
  get refusedConnections(): number {
    return this.#refused;
  }

  /** Counts and reports a refusal; the log gets at most one line per interval. */
  #refuse(reason: RefusalReason, address: string, detail: string): void {
    this.#refused++;
    this.#options.onRefused?.(reason, address);
    const line = this.#summary.record(reason, address, detail, Date.now());
    if (line !== undefined) this.#log("warn", formatRefusalLine(line, this.#refusalIntervalMs));
    this.#armSummary();
  }

  #armSummary(): void {
    if (this.#summaryTimer !== undefined) return;
    const at = this.#summary.wakeAtMs;
    if (at === undefined) return;
    this.#summaryTimer = setTimeout(() => {
      this.#summaryTimer = undefined;
      const line = this.#summary.flush(Date.now());
      if (line !== undefined) {
        this.#log("warn", formatRefusalLine(line, this.#refusalIntervalMs));
        this.#armSummary();
      }
    }, Math.max(0, at - Date.now()));
  }

  /**
   * Starts listening on plain TCP, synchronously (the port is known on return).
   * An acceptor with {@linkcode AcceptorOptions.tls} listens with
   * {@linkcode Acceptor.start} instead.
   *
   * @throws {TypeError} when TLS is configured
   */
  listen(): this {
    if (this.#listener !== undefined) return this;
    if (this.#options.tls !== undefined) {
      throw new TypeError("Cannot listen synchronously with TLS: use `await acceptor.start()`");
    }
    const hostname = this.#options.hostname ?? "127.0.0.1";
    const port = this.#options.port ?? 0;
    const listener = openListener(
      "FIX sessions",
      hostname,
      port,
      () => Deno.listen({ hostname, port }),
    );
    this.#listening(listener.addr.port, listener);
    return this;
  }

  /**
   * Starts listening over TCP or TLS (lib/transport `listen`): with TLS every
   * connection has completed its handshake (and, with `requireClientCert`,
   * presented a certificate issued by the CA) before the acceptor sees it.
   *
   * @throws {TlsMaterialError} (lib/transport) when a certificate or key cannot be read
   */
  async start(): Promise<this> {
    if (this.#listener !== undefined) return this;
    const o = this.#options;
    const host = o.hostname ?? "127.0.0.1";
    const port = o.port ?? 0;
    const server: Server = await openListenerAsync("FIX sessions", host, port, () =>
      listenNet({
        host,
        port,
        ...(o.tls === undefined ? {} : { tls: o.tls }),
        ...(o.handshakeTimeoutMs === undefined ? {} : { handshakeTimeoutMs: o.handshakeTimeoutMs }),
        maxPendingConnections: o.maxPendingConnections ?? DEFAULT_MAX_PENDING_CONNECTIONS,
        maxPendingPerAddress: o.maxPendingPerAddress ?? DEFAULT_MAX_PENDING_PER_ADDRESS,
        ...(this.#allowed === undefined
          ? {}
          : { allowRemote: (r: { host: string }) => this.#allowed!.allows(r.host) }),
        onRejected: (r) => {
          this.#refuse(
            r.reason.startsWith("address not allowed") ? "address-not-allowed" : "transport",
            r.remote?.host ?? "?",
            `${r.remote ? `${r.remote.host}:${r.remote.port}` : "?"}: ${r.reason}`,
          );
          o.onRejected?.(r);
        },
      }));
    if (this.#listener !== undefined) {
      await server.close();
      return this;
    }
    this.#listening(server.addr.port, {
      accept: () => server.accept(),
      close: () => server.close(),
    });
    return this;
  }

  #listening(port: number, l: Omit<Listening, "port">): void {
    this.#listener = { port, accept: () => l.accept(), close: () => l.close() };
    this.#acceptLoop = this.#accept(this.#listener);
  }

  async #accept(listener: Listening): Promise<void> {
    while (true) {
      let conn: Deno.Conn;
      try {
        conn = await listener.accept();
      } catch {
        return; // listener closed
      }
      const remote = conn.remoteAddr as Deno.NetAddr;
      const address = remote.hostname;
      if (this.#allowed !== undefined && !this.#allowed.allows(address)) {
        this.#refuse(
          "address-not-allowed",
          address,
          `${address}:${remote.port}: address not allowed by fix.allowedRemoteAddresses`,
        );
        try {
          conn.close();
        } catch {
          // already closed
        }
        continue;
      }
      if ("setNoDelay" in conn && typeof conn.setNoDelay === "function") conn.setNoDelay(true);
      const o = this.#options;
      const runner: ConnectionRunner = new ConnectionRunner({
        conn,
        logger: this.#log,
        bind: (m) => this.#bind(m, runner, address),
        onRefused: (reason, detail) => {
          this.#pending.remove(runner);
          this.#refuse(reason, address, `${runner.peer}: ${detail}`);
        },
        ...(o.maxMessageBytes === undefined ? {} : { maxMessageBytes: o.maxMessageBytes }),
        ...(o.maxOutboundBufferedBytes === undefined
          ? {}
          : { maxOutboundBufferedBytes: o.maxOutboundBufferedBytes }),
        ...(o.logonTimeoutMs === undefined ? {} : { unboundLogonTimeoutMs: o.logonTimeoutMs }),
        ...(o.validateBodyLength === undefined ? {} : { validateBodyLength: o.validateBodyLength }),
        ...(o.validateChecksum === undefined ? {} : { validateChecksum: o.validateChecksum }),
        ...(o.lengthTags === undefined ? {} : { lengthTags: o.lengthTags }),
      });
      const { evict } = this.#pending.admit(runner, address);
      if (evict !== undefined) {
        this.#refuse(
          evict.reason,
          address,
          `${evict.conn.peer}: closed before Logon to make room (${
            evict.reason === "pending-limit"
              ? `${o.maxPendingConnections ?? DEFAULT_MAX_PENDING_CONNECTIONS} pending connections`
              : `${
                o.maxPendingPerAddress ?? DEFAULT_MAX_PENDING_PER_ADDRESS
              } pending from ${address}`
          })`,
        );
        evict.conn.close(evict.reason);
      }
      this.#runners.add(runner);
      const task = runner.run().catch((e) => {
        this.#log(
          "error",
          `${runner.peer}: connection failed: ${e instanceof Error ? e.stack : e}`,
        );
      }).finally(() => {
        this.#pending.remove(runner);
        this.#runners.delete(runner);
        this.#tasks.delete(task);
      });
      this.#tasks.add(task);
    }
  }

  #bind(first: FixMessage, runner: ConnectionRunner, address: string): BindResult {
    const sender = first.get(49);
    const target = first.get(56);
    if (sender === undefined || target === undefined) {
      return { refuse: "first message lacks SenderCompID or TargetCompID" };
    }
    const plain = sessionKeyOf(first.beginString, target, sender);
    const host = this.#find(first, plain);
    if (host === undefined) {
      const created = this.#bindTemplate(first, plain, address);
      if ("host" in created) this.#pending.remove(runner);
      return created;
    }
    const key = host.key;
    if (first.msgType !== "A") return { refuse: `first message for ${key} is not a Logon` };
    const allowed = this.#sessionAllowed.get(key);
    if (allowed !== undefined && !allowed.allows(address)) {
      return {
        refuse: `${key} may not connect from ${address} (sessions[].allowedRemoteAddresses)`,
        reason: "session-address-not-allowed",
      };
    }
    if (host.isConnected) {
      return { refuse: `${key} is already connected`, reason: "already-connected" };
    }
    const full = this.#connectionsFull(key);
    if (full !== undefined) return full;
    const verdict = this.#options.canAcceptLogon?.(key) ?? true;
    if (verdict !== true) {
      const text = verdict === false ? "This node does not accept Logons now" : verdict;
      return {
        refuse: `${key}: ${text}`,
        reason: "not-accepting",
        reply: host.session.encodeRefusal(text, Date.now()),
      };
    }
    this.#pending.remove(runner);
    return { host };
  }

  /** The refusal of a Logon for `key` when `maxConnections` sessions are connected already. */
  #connectionsFull(key: string): BindResult | undefined {
    const max = this.#options.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
    let loggedOn = 0;
    for (const r of this.#runners) if (r.host !== undefined) loggedOn++;
    if (loggedOn < max) return undefined;
    return {
      refuse: `${key}: ${max} sessions are connected (fix.maxConnections)`,
      reason: "max-connections",
    };
  }

  /** A Logon for no configured session: create one from the first matching template. */
  #bindTemplate(first: FixMessage, plain: string, address: string): BindResult {
    const sender = first.get(49)!;
    for (const template of this.#options.templates ?? []) {
      const t = template.config;
      if (t.beginString !== first.beginString || t.senderCompId !== first.get(56)) continue;
      const config = sessionFromTemplate(t, sender);
      if (config === undefined) continue;
      const probe = new Session({ ...config, role: "acceptor" });
      const ids = expectedInboundIdentity(config);
      if (!ids.every(([tag, value]) => first.get(tag) === value)) continue;
      const key = probe.key;
      if (first.msgType !== "A") return { refuse: `first message for ${key} is not a Logon` };
      // The created session keeps the template's allow-list (its config carries it, see
      // #addHost); the Logon that would create it is held to the same list first.
      const allowed = this.#templateAllowed.get(template);
      if (allowed !== undefined && !allowed.allows(address)) {
        return {
          refuse: `${key} may not connect from ${address} (sessions[].allowedRemoteAddresses of ` +
            `template ${t.targetCompId})`,
          reason: "session-address-not-allowed",
        };
      }
      // like a configured session's Logon, before anything is created or counted
      const full = this.#connectionsFull(key);
      if (full !== undefined) return full;
      const refuse = (text: string) => ({
        refuse: `${key}: ${text}`,
        reply: probe.encodeRefusal(text, Date.now()),
      });
      const verdict = this.#options.canAcceptLogon?.(key) ?? true;
      if (verdict !== true) {
        return refuse(verdict === false ? "This node does not accept Logons now" : verdict);
      }
      // The template's Logon checks run before anything is stored: a refused Logon leaves no
      // session behind.
      const refusal = config.checkLogon?.(first);
      if (refusal !== undefined) return refuse(refusal);
      const created = this.#created.get(template) ?? 0;
      const max = template.maxSessions ?? DEFAULT_MAX_TEMPLATE_SESSIONS;
      if (created >= max) return refuse(`No more sessions: the limit of ${max} is reached`);
      this.#created.set(template, created + 1);
      const host = this.#addHost(config);
      this.#log("info", `${key}: session created from template ${t.targetCompId}`);
      this.#options.onSessionCreated?.(host, template);
      return { host };
    }
    return { refuse: `unknown session ${plain}` };
  }

  /**
   * Sends a message on session `sessionKey` (`BeginString:Sender->Target`): stored,
   * then written when logged on (else kept for resend). Returns the MsgSeqNum.
   *
   * @throws {RangeError} when no such session is configured
   */
  send(sessionKey: string, msgType: string, fields: Iterable<Field>): number {
    const host = this.#hosts.get(sessionKey);
    if (host === undefined) {
      throw new RangeError(`Cannot send on session ${sessionKey}: it is not configured`);
    }
    return host.send(msgType, fields);
  }

  /**
   * Stops listening and drops every connection at once, without Logout and
   * without writing anything still queued (the journal failed: nothing more
   * may be sent). {@linkcode Acceptor.close} afterwards only waits.
   */
  async abort(reason: string): Promise<void> {
    for (const runner of this.#runners) runner.abort(reason);
    try {
      await this.#listener?.close();
    } catch {
      // already closed
    }
    await this.#acceptLoop;
    for (const runner of this.#runners) runner.abort(reason);
    await Promise.all([...this.#tasks]);
  }

  /** Stops listening, logs out logged-on sessions and closes every connection. */
  async close(): Promise<void> {
    if (this.#listener !== undefined) {
      try {
        await this.#listener.close();
      } catch {
        // already closed
      }
    }
    await this.#acceptLoop;
    clearTimeout(this.#summaryTimer);
    this.#summaryTimer = undefined;
    let loggingOut = false;
    for (const host of this.#hosts.values()) {
      if (host.isLoggedOn && host.isConnected) {
        try {
          host.logout("Acceptor closing");
          loggingOut = true;
        } catch {
          // The Logout cannot be journaled (a failed journal): the connection is just closed.
        }
      }
    }
    if (loggingOut) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        Promise.all([...this.#tasks]),
        new Promise((r) => timer = setTimeout(r, this.#options.closeTimeoutMs ?? 2_000)),
      ]);
      clearTimeout(timer);
    }
    for (const runner of this.#runners) runner.close("acceptor closing");
    await Promise.all([...this.#tasks]);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
