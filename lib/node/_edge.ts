/**
 * The node's edge protections from configuration: admission control of the
 * FIX port (pending-connection limits, allow-lists, refusal summaries and the
 * `tandem_connections_refused_total{reason}` counter) and the browser-origin
 * and size limits of the HTTP endpoints.
 *
 * @module
 */

import type { TandemConfig } from "../config/mod.ts";
import type { AcceptorOptions } from "../engine/acceptor.ts";
import type { Counter, Registry } from "../metrics/registry.ts";
import type { HttpEdgeOptions } from "../admin/http_edge.ts";

const REFUSED = new WeakMap<Registry, Counter>();

/** The acceptor's admission options from `fix.*`, counting refusals in `registry`. */
export function acceptorAdmissionOptions(
  c: TandemConfig,
  registry: Registry,
): Pick<
  AcceptorOptions,
  | "maxPendingConnections"
  | "maxPendingPerAddress"
  | "allowedRemoteAddresses"
  | "refusalLogIntervalMs"
  | "onRefused"
> {
  let refused = REFUSED.get(registry);
  if (refused === undefined) {
    // an acceptor starts again on each promotion: one counter per registry
    refused = registry.counter(
      "tandem_connections_refused_total",
      "FIX connections refused or closed before Logon, by reason",
    );
    REFUSED.set(registry, refused);
  }
  const counter = refused;
  return {
    maxPendingConnections: c.fix.maxPendingConnections,
    maxPendingPerAddress: c.fix.maxPendingConnectionsPerAddress,
    ...(c.fix.allowedRemoteAddresses === undefined
      ? {}
      : { allowedRemoteAddresses: c.fix.allowedRemoteAddresses }),
    refusalLogIntervalMs: c.fix.refusalLogIntervalS * 1000,
    onRefused: (reason) => counter.inc({ reason }),
  };
}

/** The HTTP edge options of `admin.*` or `api.*`. */
export function httpEdgeOptions(
  section: TandemConfig["admin"] | TandemConfig["api"],
): HttpEdgeOptions {
  return {
    allowedHosts: section.allowedHosts,
    allowedOrigins: section.allowedOrigins,
    maxBodyBytes: section.maxBodyBytes,
  };
}
