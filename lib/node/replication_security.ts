/**
 * Wiring of replication link security for a node: the TLS material read from
 * `replication.tls`, and the log lines for refused replication handshakes
 * (at most one per reason per interval, with a count of those suppressed, so
 * a flood of refused connections cannot flood the log).
 *
 * @module
 */

import type { TandemConfig } from "../config/mod.ts";
import type { Logger } from "../log/mod.ts";
import type { TlsClientOptions, TlsServerOptions } from "../transport/net.ts";

/** Default {@linkcode refusalLogger} interval between two lines of one reason. */
export const DEFAULT_REFUSAL_LOG_INTERVAL_MS = 10_000;

/** Server and client TLS options of the replication link. */
export interface ReplicationTls {
  /** Listening while leading. */
  readonly server: TlsServerOptions;
  /** Following and probing. */
  readonly client: TlsClientOptions;
}

async function readPem(key: string, file: string): Promise<string> {
  try {
    return await Deno.readTextFile(file);
  } catch (e) {
    throw new Error(
      `Cannot read replication.tls.${key} "${file}": ${e instanceof Error ? e.message : String(e)}`,
    );
  }
}

/**
 * Reads the files of `replication.tls` once, at start, so that a missing file
 * stops the node with a message naming it.
 *
 * @returns `undefined` when replication runs over plain TCP.
 */
export async function replicationTlsOptions(
  tls: TandemConfig["replication"]["tls"],
): Promise<ReplicationTls | undefined> {
  if (tls === undefined) return undefined;
  if (tls.certFile === undefined || tls.keyFile === undefined || tls.caFile === undefined) {
    throw new TypeError("Cannot use replication.tls: it needs certFile, keyFile and caFile");
  }
  const cert = { pem: await readPem("certFile", tls.certFile) };
  const key = { pem: await readPem("keyFile", tls.keyFile) };
  const ca = { pem: await readPem("caFile", tls.caFile) };
  return {
    server: tls.requireClientCert ? { cert, key, ca, requireClientCert: true } : { cert, key },
    client: { cert, key, ca },
  };
}

/**
 * A `(reason, detail, remoteAddr)` callback that logs "replication handshake
 * refused" at warn, at most once per `intervalMs` for each reason; the next
 * line of a reason says how many were suppressed in between.
 */
export function refusalLogger(
  log: Logger,
  onRefusal: (reason: string) => void = () => {},
  intervalMs = DEFAULT_REFUSAL_LOG_INTERVAL_MS,
  nowMs: () => number = Date.now,
): (reason: string, detail: string, remoteAddr: string) => void {
  const last = new Map<string, { atMs: number; suppressed: number }>();
  return (reason, detail, remoteAddr) => {
    onRefusal(reason);
    const now = nowMs();
    const seen = last.get(reason);
    if (seen !== undefined && now - seen.atMs < intervalMs) {
      seen.suppressed++;
      return;
    }
    log.warn("replication handshake refused", {
      reason,
      detail,
      remote: remoteAddr,
      ...(seen && seen.suppressed > 0 ? { suppressed: seen.suppressed } : {}),
    });
    last.set(reason, { atMs: now, suppressed: 0 });
  };
}
