/**
 * The node's HTTP servers: the admin endpoint with the operator's page feed,
 * and (when `api.listen` is set) the application API.
 *
 * @module
 */

import type { TandemConfig } from "../config/mod.ts";
import { type AdminNode, serveAdmin } from "../admin/server.ts";
import { OpsFeed, peerUrl } from "../admin/events.ts";
import { type ApiNode, serveApi } from "../api/server.ts";
import type { RecentLog } from "../log/recent.ts";
import { httpEdgeOptions } from "./_edge.ts";

/** The running HTTP servers of a node. */
export interface NodeHttp {
  /** The operator's page feed; close it before the servers (its streams would hold them open). */
  readonly feed: OpsFeed;
  readonly servers: readonly { shutdown(): Promise<void> }[];
  readonly adminPort: number;
  readonly apiPort: number | undefined;
}

/** Starts the admin server (and the API server when configured) and waits until they listen. */
export async function startHttp(
  node: AdminNode & ApiNode,
  c: TandemConfig,
  recent: RecentLog,
  servers: { shutdown(): Promise<void> }[],
): Promise<NodeHttp> {
  const admin = c.admin.listen;
  const adminReady = Promise.withResolvers<number>();
  const feed = new OpsFeed({
    self: node,
    recent,
    peers: c.admin.peers.map((p) => peerUrl(p.hostname, p.port)),
    token: c.admin.token,
    refreshMs: c.admin.pageRefreshMs,
  });
  servers.push(serveAdmin(node, {
    hostname: admin.hostname,
    port: admin.port,
    token: c.admin.token,
    feed,
    ...httpEdgeOptions(c.admin),
    onListen: (a) => adminReady.resolve(a.port),
  }));
  const adminPort = await adminReady.promise;
  let apiPort: number | undefined;
  if (c.api.listen !== undefined) {
    const api = c.api.listen;
    const apiReady = Promise.withResolvers<number>();
    servers.push(serveApi(node, {
      hostname: api.hostname,
      port: api.port,
      token: c.api.token,
      ...httpEdgeOptions(c.api),
      maxWebSocketMessageBytes: c.api.maxWebSocketMessageBytes,
      onListen: (a) => apiReady.resolve(a.port),
    }));
    apiPort = await apiReady.promise;
  }
  return { feed, servers, adminPort, apiPort };
}
