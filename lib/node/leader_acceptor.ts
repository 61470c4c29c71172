/**
 * The FIX acceptor of a leading acceptor node: configured sessions (with the
 * voided MsgSeqNums a resend must skip), sessions created from templates
 * (counted against each template's limit, restored ones included), admission,
 * TLS, the Logon check of a replicated node and the leader's release gate.
 *
 * @module
 */

import type { TandemConfig } from "../config/mod.ts";
import { DEFAULT_MAX_TEMPLATE_SESSIONS, templateTargetOf } from "../engine/session_template.ts";
import type { AcceptorSessionTemplate } from "../engine/session_template.ts";
import {
  Acceptor,
  type AcceptorSessionConfig,
  type Application,
  JournalSessionStore,
  type Logger as EngineLogger,
} from "../engine/mod.ts";
import type { AwaitRelease } from "../engine/session_host.ts";
import type { Journal } from "../journal/mod.ts";
import type { Logger } from "../log/mod.ts";
import type { Registry } from "../metrics/registry.ts";
import { acceptorAdmissionOptions } from "./_edge.ts";
import { acceptorTlsOptions } from "./gateway.ts";
import { withVoidedResends } from "./app_recovery.ts";

/** What {@linkcode leaderAcceptor} takes from the node. */
export interface LeaderAcceptorDeps {
  readonly config: TandemConfig;
  readonly journal: Journal;
  readonly registry: Registry;
  readonly log: Logger;
  readonly engineLogger: EngineLogger;
  readonly sessionConfigs: ReadonlyMap<string, AcceptorSessionConfig>;
  /** Acceptor session templates and the application each names. */
  readonly templates: ReadonlyMap<AcceptorSessionTemplate, string>;
  /** Application name of every served session (restored template sessions included). */
  readonly appNames: ReadonlyMap<string, string>;
  /** Outbound MsgSeqNums never to resend, by session (reset here). */
  readonly voided: Map<string, Set<number>>;
  /** Serves a session created from a template. */
  readonly register: (key: string, config: AcceptorSessionConfig, appName: string) => void;
  readonly application: Application;
  /** Replicated node: whether a Logon may be accepted now (`true` or why not). */
  readonly canAcceptLogon?: () => true | string;
  /** Replicated node: the leader's release gate. */
  readonly awaitRelease?: AwaitRelease;
}

/** Builds (does not start) the acceptor of a leading node. */
export function leaderAcceptor(d: LeaderAcceptorDeps): Acceptor {
  const c = d.config;
  const sessions: AcceptorSessionConfig[] = [];
  // Each config carries its `allowedRemoteAddresses` (engineSessionConfig): a session created
  // from a template, restored from the journal, has the template's under its own key.
  for (const [key, sc] of d.sessionConfigs) sessions.push(withVoidedResends(d.voided, key, sc));
  const templates = [...d.templates].map(([t, appName]) => ({
    template: t,
    appName,
    // Sessions restored from the journal count against the template's limit.
    maxSessions: Math.max(
      0,
      (t.maxSessions ?? DEFAULT_MAX_TEMPLATE_SESSIONS) -
        [...d.appNames.keys()].filter((k) => templateTargetOf(t.config, k) !== undefined)
          .length,
    ),
  }));
  const listen = c.fix.listen ?? { hostname: "127.0.0.1", port: 0 };
  return new Acceptor({
    hostname: listen.hostname,
    port: listen.port,
    sessions,
    store: new JournalSessionStore(d.journal),
    templates: templates.map((t) => ({ config: t.template.config, maxSessions: t.maxSessions })),
    onSessionCreated: (host, template) => {
      const t = templates.find((x) => x.template.config === template.config)!;
      d.register(
        host.key,
        { ...t.template.config, targetCompId: host.targetCompId },
        t.appName,
      );
      d.voided.set(host.key, new Set());
      d.log.info("session created from template", {
        session: host.key,
        template: t.template.config.targetCompId,
      });
    },
    application: d.application,
    logger: d.engineLogger,
    maxConnections: c.fix.maxConnections,
    ...acceptorAdmissionOptions(c, d.registry),
    maxMessageBytes: c.fix.maxMessageBytes,
    maxOutboundBufferedBytes: c.fix.maxBufferedBytesPerConnection,
    logonTimeoutMs: c.fix.logonTimeoutS * 1000,
    closeTimeoutMs: c.fix.logoutTimeoutS * 1000,
    ...acceptorTlsOptions(c.fix.tls),
    validateBodyLength: c.sessions.every((s) => s.validation.validateLengthAndChecksum),
    validateChecksum: c.sessions.every((s) => s.validation.validateLengthAndChecksum),
    ...(d.canAcceptLogon ? { canAcceptLogon: d.canAcceptLogon } : {}),
    ...(d.awaitRelease ? { awaitRelease: d.awaitRelease } : {}),
  });
}
