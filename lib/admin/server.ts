/**
 * The admin HTTP endpoint of a node: liveness, readiness, status, Prometheus
 * metrics, promotion, and per-session operations.
 *
 * | method | path | answer |
 * | --- | --- | --- |
 * | GET | `/health` | 200 `{"ok":true}` while the node can serve; 503 `{"ok":false,"reason":…}` once it cannot (its journal storage failed) |
 * | GET | `/ready` | 200 when the node is ready (a secondary: caught up within the configured lag), else 503 with the reason |
 * | GET | `/status` | JSON snapshot from {@linkcode AdminNode.status} |
 * | GET | `/metrics` | Prometheus text format |
 * | POST | `/promote` | promotes a secondary; 200 with the new epoch, 409 when it cannot |
 * | POST | `/sessions/{id}/sequence` | body `{"nextSenderSeqNum"?: n, "nextTargetSeqNum"?: n}`; written to the journal as an audited record |
 * | POST | `/sessions/{id}/logout` | body `{"text"?: "..."}`; sends Logout on the session (an initiator then stays down) |
 * | POST | `/sessions/{id}/logon` | an initiator session logged out by an operator connects again |
 * | GET | `/` | the operator's page (a constant document, served without the token; see `page.ts`) |
 * | GET | `/events` | Server-Sent Events feeding the page (see `events.ts`) |
 * | GET | `/overview` | this node's status, message totals and recent warnings, for a peer's page |
 *
 * `{id}` is the session key (e.g. `FIX.4.4:ISLD->TW44`, URL-encoded) or its numeric id.
 * Bound to loopback by default; on any other address a bearer token is required
 * (checked in constant time, read from the `Authorization` header only) on every
 * path but `/`, which holds no data.
 *
 * Every request, the page included, passes the browser-origin checks of
 * {@linkcode HttpEdge} (Host, Origin, no token in the URL); every POST must be
 * `Content-Type: application/json` (even without a body) and its body is read
 * up to {@linkcode AdminServerOptions.maxBodyBytes} (default 64 KiB) → 413.
 *
 * @module
 */

import { openListener } from "../transport/listen_error.ts";
import type { OpsFeed } from "./events.ts";
import { opsPageResponse } from "./page.ts";
import { bearerToken, HttpEdge, HttpEdgeError, type HttpEdgeOptions } from "./http_edge.ts";

/** Default for the admin endpoint's {@linkcode AdminServerOptions.maxBodyBytes} (64 KiB). */
export const DEFAULT_ADMIN_MAX_BODY_BYTES = 64 * 1024;

/** Why an admin operation was refused; becomes the HTTP status and an error body. */
export class AdminError extends Error {
  /** HTTP status to answer with. */
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.name = "AdminError";
    this.status = status;
  }
}

/** What the admin endpoint needs from a node. */
export interface AdminNode {
  /** JSON-serialisable status snapshot. */
  status(): unknown;
  /** Liveness beyond "the process answers": false once the node cannot serve (default: ok). */
  health?(): { ok: boolean; reason?: string };
  /** Readiness: for a secondary, caught up within the configured lag. */
  ready(): { ready: boolean; reason: string };
  /** Prometheus text of the node's metrics. */
  metrics(): string;
  /** Promotes the node to primary; resolves with the new epoch. */
  promote(reason: string): Promise<{ epoch: number }>;
  /** Sets the next sequence numbers of a session (audited in the journal). */
  setSequence(
    session: string,
    next: { nextSenderSeqNum?: number; nextTargetSeqNum?: number },
  ): Promise<unknown>;
  /** Sends Logout on a session; an initiator then stays down until {@linkcode AdminNode.logon}. */
  logout(session: string, text: string | undefined): Promise<unknown>;
  /** Lets an initiator session that an operator logged out connect again. */
  logon(session: string): Promise<unknown>;
}

/** Options for {@linkcode serveAdmin}. */
export interface AdminServerOptions extends HttpEdgeOptions {
  hostname: string;
  port: number;
  /** Required when `hostname` is not a loopback address. */
  token?: string | undefined;
  signal?: AbortSignal;
  /** Called once the server listens, with the bound port. */
  onListen?: (addr: { hostname: string; port: number }) => void;
  /** Feeds the operator's page (`/events`, `/overview`); absent: those paths answer 404. */
  feed?: OpsFeed | undefined;
}

/** Whether `hostname` is a loopback address (127.0.0.0/8, ::1, localhost). */
export function isLoopback(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, "");
  return h === "localhost" || h === "::1" || /^127\.\d+\.\d+\.\d+$/.test(h);
}

function timingSafeEqual(a: string, b: string): boolean {
  const ea = new TextEncoder().encode(a);
  const eb = new TextEncoder().encode(b);
  let diff = ea.length ^ eb.length;
  for (let i = 0; i < Math.max(ea.length, eb.length); i++) diff |= (ea[i] ?? 0) ^ (eb[i] ?? 0);
  return diff === 0;
}

/**
 * Checks a request's bearer token (`Authorization: Bearer …`, the scheme in any
 * case); returns an error response or undefined when allowed.
 */
export function checkToken(req: Request, token: string | undefined): Response | undefined {
  if (token === undefined) return undefined;
  const given = bearerToken(req) ?? "";
  if (!timingSafeEqual(given, token)) {
    return json(401, { error: "Unauthorized: a valid bearer token is required" });
  }
  return undefined;
}

/** A JSON response. */
export function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body, null, 2) + "\n", {
    status,
    headers: { "content-type": "application/json; charset=utf-8" },
  });
}

async function readJsonObject(req: Request, edge: HttpEdge): Promise<Record<string, unknown>> {
  const text = await edge.readText(req);
  if (text.trim() === "") return {};
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (err) {
    throw new AdminError(400, `Cannot parse request body: ${(err as Error).message}`);
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new AdminError(400, "Cannot parse request body: expected a JSON object");
  }
  return body as Record<string, unknown>;
}

function optionalSeq(body: Record<string, unknown>, key: string): number | undefined {
  const v = body[key];
  if (v === undefined) return undefined;
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 1) {
    throw new AdminError(
      400,
      `Cannot set sequence: ${key} must be an integer ≥ 1, got ${JSON.stringify(v)}`,
    );
  }
  return v;
}

/**
 * Builds the request handler (exported for tests and for embedding).
 * `edge` defaults to the checks for a server bound to loopback.
 */
export function adminHandler(
  node: AdminNode,
  token: string | undefined,
  feed?: OpsFeed,
  edge: HttpEdge = new HttpEdge("127.0.0.1", { maxBodyBytes: DEFAULT_ADMIN_MAX_BODY_BYTES }),
): (req: Request) => Promise<Response> {
  return async (req) => {
    const url = new URL(req.url);
    const path = url.pathname;
    try {
      edge.checkRequest(req, url);
      // The page is a constant holding no node data; what it shows needs the token (/events).
      if (req.method === "GET" && path === "/") return await opsPageResponse();
      const denied = checkToken(req, token);
      if (denied) return denied;
      if (req.method === "GET") {
        switch (path) {
          case "/health": {
            const h = node.health?.() ?? { ok: true };
            return json(h.ok ? 200 : 503, h);
          }
          case "/ready": {
            const r = node.ready();
            return json(r.ready ? 200 : 503, r);
          }
          case "/status":
            return json(200, node.status());
          case "/events":
            if (feed) return feed.events();
            break;
          case "/overview":
            if (feed) return json(200, feed.overview());
            break;
          case "/metrics":
            return new Response(node.metrics(), {
              headers: { "content-type": "text/plain; version=0.0.4; charset=utf-8" },
            });
        }
      } else if (req.method === "POST") {
        edge.checkContentType(req, ["application/json"]);
        if (path === "/promote") {
          const body = await readJsonObject(req, edge);
          const reason = typeof body.reason === "string" ? body.reason : "admin request";
          return json(200, await node.promote(reason));
        }
        const m = /^\/sessions\/([^/]+)\/(sequence|logout|logon)$/.exec(path);
        if (m) {
          const session = decodeURIComponent(m[1]!);
          const body = await readJsonObject(req, edge);
          if (m[2] === "sequence") {
            const next: { nextSenderSeqNum?: number; nextTargetSeqNum?: number } = {};
            const s = optionalSeq(body, "nextSenderSeqNum");
            const t = optionalSeq(body, "nextTargetSeqNum");
            if (s !== undefined) next.nextSenderSeqNum = s;
            if (t !== undefined) next.nextTargetSeqNum = t;
            if (s === undefined && t === undefined) {
              throw new AdminError(
                400,
                "Cannot set sequence: give nextSenderSeqNum and/or nextTargetSeqNum",
              );
            }
            return json(200, await node.setSequence(session, next));
          }
          if (m[2] === "logon") return json(200, await node.logon(session));
          const text = typeof body.text === "string" ? body.text : undefined;
          return json(200, await node.logout(session, text));
        }
      } else {
        return json(405, { error: `Method ${req.method} is not allowed` });
      }
      return json(404, { error: `No admin endpoint ${req.method} ${path}` });
    } catch (err) {
      if (err instanceof AdminError || err instanceof HttpEdgeError) {
        return json(err.status, { error: err.message });
      }
      return json(500, { error: (err as Error).message ?? String(err) });
    }
  };
}

/** Serves the admin endpoint until `signal` aborts; implements `Symbol.asyncDispose`. */
export function serveAdmin(
  node: AdminNode,
  options: AdminServerOptions,
): Deno.HttpServer<Deno.NetAddr> {
  if (!isLoopback(options.hostname) && !options.token) {
    throw new AdminError(
      500,
      `Cannot serve admin on ${options.hostname}: a token is required when not bound to loopback`,
    );
  }
  return openListener("the admin endpoint", options.hostname, options.port, () =>
    Deno.serve(
      {
        hostname: options.hostname,
        port: options.port,
        ...(options.signal ? { signal: options.signal } : {}),
        onListen: (addr) => options.onListen?.(addr),
      },
      adminHandler(
        node,
        options.token,
        options.feed,
        new HttpEdge(options.hostname, {
          ...options,
          maxBodyBytes: options.maxBodyBytes ?? DEFAULT_ADMIN_MAX_BODY_BYTES,
        }),
      ),
    ));
}
