/**
 * The application API: a local HTTP + WebSocket interface through which
 * programs in any language send and receive FIX application messages without
 * knowing about sessions, sequence numbers or failover.
 *
 * | method | path | what |
 * | --- | --- | --- |
 * | GET | `/sessions` | sessions with their state (logged on, address, sequence numbers, last failover) |
 * | POST | `/sessions/{id}/messages` | send one application message; JSON body `{"msgType":"D","fields":{...}}` (tag or field-name keys, repeating groups as arrays of objects), or a raw FIX message as `text/plain` (`|` or SOH as delimiter; header and trailer are replaced by the session's own). Answers `{"index":n,"msgSeqNum":n}` |
 * | GET | `/stream?from=N` | WebSocket: every received application message with index ≥ N, in journal order, as JSON text frames `{"index","epoch","session","msgType","msgSeqNum","fix","fields"}`. Reconnect with `from` = last index + 1 to resume with nothing lost and nothing repeated |
 *
 * Bad input — invalid JSON, an unknown session, a message the dictionary
 * rejects, a session that is not logged on — gets a 4xx with `{"error": "..."}`
 * saying what and where, and nothing is sent.
 *
 * @module
 */

import { openListener } from "../transport/listen_error.ts";

import { checkToken, isLoopback, json } from "../admin/server.ts";

/** An error the API answers with a 4xx/5xx status. */
export class ApiError extends Error {
  /** HTTP status to answer with. */
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.name = "ApiError";
    this.status = status;
  }
}

/** What the caller asked to send. */
export type SendRequest =
  | { kind: "json"; msgType: string; fields: Record<string, unknown> }
  | { kind: "raw"; fix: string };

/** One received application message as the stream delivers it. */
export interface StreamedMessage {
  index: number;
  /**
   * Epoch the message was journalled in: with `index`, a name for it unique across failovers and
   * identical on every replay (build OrderIDs/ExecIDs from `<epoch>-<index>`, as the executor does).
   */
  epoch: number;
  session: string;
  msgType: string;
  msgSeqNum: number;
  /** The message with `|` for SOH. */
  fix: string;
  /** Field-name keyed object, groups as arrays (when a dictionary is known). */
  fields?: unknown;
}

/** What the API needs from a node. */
export interface ApiNode {
  /** Session list and state. */
  sessions(): unknown[];
  /** Sends one application message; throws {@linkcode ApiError} for bad input. */
  send(session: string, request: SendRequest): Promise<{ index: number; msgSeqNum: number }>;
  /** Received application messages with journal index ≥ `fromIndex`, following the live tail. */
  stream(fromIndex: number, signal: AbortSignal): AsyncIterable<StreamedMessage>;
}

/** Options for {@linkcode serveApi}. */
export interface ApiServerOptions {
  hostname: string;
  port: number;
  /** Required when not bound to loopback. */
  token?: string | undefined;
  signal?: AbortSignal;
  onListen?: (addr: { hostname: string; port: number }) => void;
  /** Pause the stream while the WebSocket has more than this many bytes unsent. */
  maxWebSocketBufferedBytes?: number;
}

/** Default for {@linkcode ApiServerOptions.maxWebSocketBufferedBytes}. */
export const DEFAULT_MAX_WEBSOCKET_BUFFERED_BYTES = 4 * 1024 * 1024;

async function parseSendRequest(req: Request): Promise<SendRequest> {
  const type = req.headers.get("content-type") ?? "";
  const text = await req.text();
  if (!type.includes("json") && text.trimStart().startsWith("8=")) {
    return { kind: "raw", fix: text.trim() };
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (err) {
    throw new ApiError(400, `Cannot parse request body as JSON: ${(err as Error).message}`);
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new ApiError(400, "Cannot parse request body: expected a JSON object");
  }
  const { msgType, fields } = body as Record<string, unknown>;
  if (typeof msgType !== "string" || msgType === "") {
    throw new ApiError(400, 'Cannot send message: "msgType" must be a non-empty string');
  }
  if (typeof fields !== "object" || fields === null || Array.isArray(fields)) {
    throw new ApiError(400, 'Cannot send message: "fields" must be an object');
  }
  return { kind: "json", msgType, fields: fields as Record<string, unknown> };
}

function parseFrom(url: URL): number {
  const from = url.searchParams.get("from") ?? "1";
  const n = Number(from);
  if (!Number.isSafeInteger(n) || n < 1) {
    throw new ApiError(400, `Cannot stream: from must be an integer ≥ 1, got "${from}"`);
  }
  return n;
}

function waitDrained(ws: WebSocket, maxBytes: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const check = () => {
      if (ws.bufferedAmount <= maxBytes || signal.aborted || ws.readyState !== WebSocket.OPEN) {
        resolve();
      } else setTimeout(check, 5);
    };
    check();
  });
}

function streamToSocket(
  node: ApiNode,
  ws: WebSocket,
  fromIndex: number,
  maxBufferedBytes: number,
  parent: AbortSignal | undefined,
): void {
  const ac = new AbortController();
  const stop = () => ac.abort();
  parent?.addEventListener("abort", stop, { once: true });
  ws.addEventListener("close", stop, { once: true });
  ws.addEventListener("error", stop, { once: true });
  ws.addEventListener("open", async () => {
    try {
      for await (const m of node.stream(fromIndex, ac.signal)) {
        if (ac.signal.aborted || ws.readyState !== WebSocket.OPEN) break;
        ws.send(JSON.stringify(m));
        if (ws.bufferedAmount > maxBufferedBytes) {
          await waitDrained(ws, maxBufferedBytes, ac.signal);
        }
      }
    } catch (err) {
      if (ws.readyState === WebSocket.OPEN) {
        ws.close(1011, String((err as Error).message).slice(0, 120));
      }
    } finally {
      parent?.removeEventListener("abort", stop);
      if (ws.readyState === WebSocket.OPEN) ws.close(1001, "server stopping");
    }
  }, { once: true });
}

/** Builds the request handler (exported for tests and embedding). */
export function apiHandler(
  node: ApiNode,
  options: Pick<ApiServerOptions, "token" | "signal" | "maxWebSocketBufferedBytes">,
): (req: Request) => Promise<Response> {
  const maxBuffered = options.maxWebSocketBufferedBytes ?? DEFAULT_MAX_WEBSOCKET_BUFFERED_BYTES;
  return async (req) => {
    const url = new URL(req.url);
    // Browsers cannot set headers on a WebSocket: accept ?token= there too.
    const queryToken = url.searchParams.get("token");
    const authed = queryToken !== null
      ? new Request(req.url, { headers: { authorization: `Bearer ${queryToken}` } })
      : req;
    const denied = checkToken(authed, options.token);
    if (denied) return denied;
    try {
      if (req.method === "GET" && url.pathname === "/sessions") {
        return json(200, node.sessions());
      }
      if (req.method === "GET" && url.pathname === "/stream") {
        if (req.headers.get("upgrade")?.toLowerCase() !== "websocket") {
          throw new ApiError(426, "Cannot stream: /stream is a WebSocket endpoint");
        }
        const from = parseFrom(url);
        const { socket, response } = Deno.upgradeWebSocket(req);
        streamToSocket(node, socket, from, maxBuffered, options.signal);
        return response;
      }
      const m = /^\/sessions\/([^/]+)\/messages$/.exec(url.pathname);
      if (m && req.method === "POST") {
        const request = await parseSendRequest(req);
        return json(200, await node.send(decodeURIComponent(m[1]!), request));
      }
      return json(404, { error: `No API endpoint ${req.method} ${url.pathname}` });
    } catch (err) {
      if (err instanceof ApiError) return json(err.status, { error: err.message });
      return json(500, { error: (err as Error).message ?? String(err) });
    }
  };
}

/** Serves the application API until `signal` aborts. */
export function serveApi(node: ApiNode, options: ApiServerOptions): Deno.HttpServer<Deno.NetAddr> {
  if (!isLoopback(options.hostname) && !options.token) {
    throw new ApiError(
      500,
      `Cannot serve the API on ${options.hostname}: a token is required when not bound to loopback`,
    );
  }
  return openListener("the application API", options.hostname, options.port, () =>
    Deno.serve({
      hostname: options.hostname,
      port: options.port,
      ...(options.signal ? { signal: options.signal } : {}),
      onListen: (addr) => options.onListen?.(addr),
    }, apiHandler(node, options)));
}
