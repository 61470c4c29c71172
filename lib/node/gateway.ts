/**
 * The initiator (gateway) side of a node: turns a configured session's
 * `connect` section into the options of an engine {@linkcode Initiator}
 * (strategy, timeouts, TLS) and publishes the connection events to the logs
 * and the metrics.
 *
 * Metrics (all labelled with `session`):
 * - `tandem_connection_events_total{event}`: connector events — `connecting`,
 *   `connected`, `logged-on`, `failed-over`, `attempt-failed`,
 *   `session-ended`, `fatal-failure` (also `probe-answered`/`probe-failed`).
 * - `tandem_connection_failures_total{failure}`: failed attempts and ended
 *   sessions by failure kind (`connect-refused`, `logon-timeout`, …).
 * - `tandem_connection_address_index`: the address index of the current or
 *   next attempt (0 is the primary).
 *
 * @module
 */

import type { SessionConfig, TandemConfig } from "../config/mod.ts";
import type { Logger } from "../log/mod.ts";
import type { Registry } from "../metrics/registry.ts";
import {
  type ConnectionStrategy,
  type ConnectorEvent,
  createStrategy,
  type StrategyKind,
  type TlsClientOptions,
  type TlsServerOptions,
} from "../transport/mod.ts";

/** The connect-related options of an engine initiator, from configuration. */
export interface InitiatorConnectOptions {
  readonly addresses: readonly { readonly hostname: string; readonly port: number }[];
  readonly strategy: ConnectionStrategy;
  readonly connectTimeoutMs: number;
  readonly logonTimeoutMs: number;
  readonly tls?: TlsClientOptions;
}

/**
 * The connect options of session `s` (which must have a `connect` section).
 *
 * @throws {TypeError} when the session has no `connect` section
 * @throws {RangeError} when a strategy option is out of range
 */
export function initiatorConnectOptions(s: SessionConfig): InitiatorConnectOptions {
  const c = s.connect;
  if (c === undefined) {
    throw new TypeError(
      `Cannot start initiator ${s.beginString}:${s.senderCompId}->${s.targetCompId}: ` +
        "no connect section",
    );
  }
  const strategy = createStrategy(c.strategy as StrategyKind, {
    addressCount: c.addresses.length,
    attemptsPerAddress: c.attemptsPerAddress,
    backoffMs: c.backoffMs,
    reconnectIntervalMs: c.reconnectDelayMs,
    // The schema allows 0 ("never"); the strategy wants at least 1 ms.
    startOverIntervalMs: Math.max(1, c.startOverIntervalMs),
  });
  const t = c.tls;
  const tls: TlsClientOptions | undefined = t === undefined ? undefined : {
    ...(t.caFile === undefined ? {} : { ca: { file: t.caFile } }),
    ...(t.certFile === undefined ? {} : { cert: { file: t.certFile } }),
    ...(t.keyFile === undefined ? {} : { key: { file: t.keyFile } }),
    ...(t.serverName === undefined ? {} : { serverName: t.serverName }),
  };
  return {
    addresses: c.addresses,
    strategy,
    connectTimeoutMs: c.connectTimeoutMs,
    logonTimeoutMs: c.logonTimeoutS * 1000,
    ...(tls === undefined ? {} : { tls }),
  };
}

/** Publishes an initiator's connector events for one session. */
export type ConnectionEventSink = (event: ConnectorEvent) => void;

/**
 * Creates the connection metrics in `registry` and returns, per session key, a
 * sink that counts and logs the events.
 */
export function connectionEvents(
  registry: Registry,
  log: Logger,
): (sessionKey: string) => ConnectionEventSink {
  const events = registry.counter(
    "tandem_connection_events_total",
    "Initiator connection events, by session and event",
  );
  const failures = registry.counter(
    "tandem_connection_failures_total",
    "Failed connection attempts and ended sessions, by session and failure kind",
  );
  const index = registry.gauge(
    "tandem_connection_address_index",
    "Address index of the initiator's current or next attempt (0 is the primary)",
  );
  return (session) => (e) => {
    if (e.type === "waiting" || e.type === "stopped") {
      if (e.type === "waiting") index.set(e.addressIndex, { session });
      return;
    }
    events.inc({ session, event: e.type });
    switch (e.type) {
      case "connecting":
        index.set(e.addressIndex, { session });
        log.info("connecting", {
          session,
          attempt: e.attempt,
          addressIndex: e.addressIndex,
          address: `${e.address.host}:${e.address.port}`,
        });
        break;
      case "connected":
        log.info("connected; Logon sent", {
          session,
          attempt: e.attempt,
          addressIndex: e.addressIndex,
        });
        break;
      case "logged-on":
        log.info("logged on", { session, attempt: e.attempt, addressIndex: e.addressIndex });
        break;
      case "failed-over":
        log.warn("failed over", { session, fromIndex: e.fromIndex, toIndex: e.toIndex });
        break;
      case "attempt-failed":
        failures.inc({ session, failure: e.failure });
        log.warn("connection attempt failed", {
          session,
          attempt: e.attempt,
          addressIndex: e.addressIndex,
          failure: e.failure,
        });
        break;
      case "session-ended":
        failures.inc({ session, failure: e.failure });
        log.warn("session ended", { session, addressIndex: e.addressIndex, failure: e.failure });
        break;
      case "probe-answered":
      case "probe-failed":
        log.info(e.type === "probe-answered" ? "probe answered" : "probe failed", {
          session,
          addressIndex: e.addressIndex,
        });
        break;
      case "fatal-failure":
        log.error("connection strategy gave up", {
          session,
          attempts: e.attempts,
          reason: e.reason,
        });
        break;
      default: {
        const never: never = e;
        throw new TypeError(`Cannot publish connection event ${JSON.stringify(never)}`);
      }
    }
  };
}

/** The acceptor's TLS options from `fix.tls`, or `undefined` for plain TCP. */
export function acceptorTlsOptions(
  tls: TandemConfig["fix"]["tls"],
): { readonly tls: TlsServerOptions } | undefined {
  if (tls === undefined) return undefined;
  if (tls.certFile === undefined || tls.keyFile === undefined) {
    throw new TypeError("Cannot serve TLS: fix.tls needs certFile and keyFile");
  }
  return {
    tls: {
      cert: { file: tls.certFile },
      key: { file: tls.keyFile },
      ...(tls.caFile === undefined ? {} : { ca: { file: tls.caFile } }),
      ...(tls.requireClientCert ? { requireClientCert: true } : {}),
    },
  };
}
