/**
 * The initiator sessions of a gateway node (`node.role: initiator`): one
 * engine {@linkcode Initiator} per configured session, the address each is
 * logged on to and its last failover, for `/status` and `/sessions`.
 *
 * A standalone gateway starts them once. A replicated gateway starts them
 * each time it becomes leader, with the leader's release gate, and aborts
 * them when it steps down (see `node.ts`). Either way, before any of them
 * connects out, the application work the journal shows unfinished is done
 * (`app_recovery.ts`): each session's resends skip the MsgSeqNums voided for
 * it, and {@linkcode GatewayStartOptions.beforeConnect} runs with the hosts.
 *
 * @module
 */

import { sessionKeyOf, type TandemConfig } from "../config/mod.ts";
import {
  type AcceptorSessionConfig,
  type Application,
  Initiator,
  JournalSessionStore,
  type Logger as EngineLogger,
  type SessionHost,
} from "../engine/mod.ts";
import type { AwaitRelease } from "../engine/session_host.ts";
import type { Journal } from "../journal/mod.ts";
import type { Logger } from "../log/mod.ts";
import type { Registry } from "../metrics/registry.ts";
import type { ConnectorEvent } from "../transport/mod.ts";
import { connectionEvents, type ConnectionEventSink, initiatorConnectOptions } from "./gateway.ts";
import { withVoidedResends } from "./app_recovery.ts";

/** Where an initiator session is logged on, and its last failover. */
export interface GatewayLink {
  address: string | null;
  lastFailover: { atMs: number; fromIndex: number; toIndex: number } | null;
}

/** Options of {@linkcode GatewaySessions}. */
export interface GatewaySessionsOptions {
  readonly config: TandemConfig;
  readonly journal: Journal;
  readonly registry: Registry;
  readonly log: Logger;
  readonly engineLogger: EngineLogger;
  /** The engine settings of configured session `key`. */
  readonly sessionConfig: (key: string) => AcceptorSessionConfig;
  /** The application serving session `key`. */
  readonly application: (key: string) => Application;
  /** Outbound MsgSeqNums never to resend, by session (a fresh set per session at each start). */
  readonly voided: Map<string, Set<number>>;
  readonly onConnectionEvent?: ((session: string, event: ConnectorEvent) => void) | undefined;
  /** A session's connection strategy gave up and its `connect.exitOnFatal` is set. */
  readonly onFatal: () => void;
}

/** How {@linkcode GatewaySessions.start} runs the sessions. */
export interface GatewayStartOptions {
  /** The leader's release gate (replicated gateway); none releases at once. */
  readonly awaitRelease?: AwaitRelease;
  /** Asked before each connection attempt and before its Logon: `true` or why not. */
  readonly mayConnect?: () => true | string;
  /**
   * Runs once the sessions exist and before any connects out, with the host of each key:
   * where the node finishes the application work its journal shows unfinished.
   */
  readonly beforeConnect?: (hostOf: (key: string) => SessionHost | undefined) => void;
}

/** The initiator sessions of a gateway node; see the module doc. */
export class GatewaySessions {
  readonly #o: GatewaySessionsOptions;
  readonly #sinkFor: (key: string) => ConnectionEventSink;
  #initiators: Initiator[] = [];
  readonly #links = new Map<string, GatewayLink>();
  #stopping = false;

  constructor(options: GatewaySessionsOptions) {
    this.#o = options;
    this.#sinkFor = connectionEvents(options.registry, options.log);
  }

  /** The running initiators (none while stopped). */
  get initiators(): readonly Initiator[] {
    return this.#initiators;
  }

  /** The initiator running `host`, if any. */
  find(host: SessionHost | undefined): Initiator | undefined {
    return host === undefined ? undefined : this.#initiators.find((i) => i.host === host);
  }

  /** The sessions served now. */
  *hosts(): Iterable<SessionHost> {
    for (const i of this.#initiators) yield i.host;
  }

  /** Where each session is logged on, and its last failover, by session key. */
  get links(): ReadonlyMap<string, GatewayLink> {
    return this.#links;
  }

  /**
   * Starts one initiator per configured session: {@linkcode GatewayStartOptions.beforeConnect}
   * first, then they connect out.
   */
  start(options: GatewayStartOptions = {}): void {
    const o = this.#o;
    const store = new JournalSessionStore(o.journal);
    this.#stopping = false;
    const created: [key: string, initiator: Initiator, exitOnFatal: boolean][] = [];
    for (const s of o.config.sessions) {
      const key = sessionKeyOf(s);
      const sink = this.#sinkFor(key);
      const initiator: Initiator = new Initiator({
        session: withVoidedResends(o.voided, key, o.sessionConfig(key)),
        ...initiatorConnectOptions(s),
        store,
        application: o.application(key),
        logger: o.engineLogger,
        onEvent: (e) => {
          const link = this.#links.get(key) ?? { address: null, lastFailover: null };
          if (e.type === "logged-on") {
            const a = initiator.addresses[e.addressIndex];
            link.address = a === undefined ? null : `${a.host}:${a.port}`;
          } else if (e.type === "session-ended" || e.type === "stopped") {
            link.address = null;
          } else if (e.type === "failed-over") {
            link.lastFailover = { atMs: Date.now(), fromIndex: e.fromIndex, toIndex: e.toIndex };
          }
          this.#links.set(key, link);
          sink(e);
          o.onConnectionEvent?.(key, e);
        },
        logEvents: false,
        maxMessageBytes: o.config.fix.maxMessageBytes,
        maxOutboundBufferedBytes: o.config.fix.maxBufferedBytesPerConnection,
        closeTimeoutMs: o.config.fix.logoutTimeoutS * 1000,
        ...(options.awaitRelease ? { awaitRelease: options.awaitRelease } : {}),
        ...(options.mayConnect ? { mayConnect: options.mayConnect } : {}),
      });
      created.push([key, initiator, s.connect!.exitOnFatal]);
    }
    options.beforeConnect?.((key) => created.find(([k]) => k === key)?.[1].host);
    for (const [, initiator, exitOnFatal] of created) {
      this.#initiators.push(initiator.start());
      void initiator.done.then(() => {
        if (!this.#stopping && initiator.fatalReason !== undefined && exitOnFatal) o.onFatal();
      });
    }
  }

  /**
   * Drops every connection at once and stops, writing nothing more (no Logout): the node
   * stopped leading, and its successor may not know any sequence number it would use.
   */
  async abort(reason: string): Promise<void> {
    this.#stopping = true;
    const initiators = this.#initiators;
    this.#initiators = [];
    await Promise.all(initiators.map((i) => i.abort(reason)));
  }

  /** Logs every session out and closes the connections. */
  async close(): Promise<void> {
    this.#stopping = true;
    const initiators = this.#initiators;
    this.#initiators = [];
    await Promise.all(initiators.map((i) => i.close()));
  }
}
