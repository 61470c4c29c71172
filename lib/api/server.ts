/**
 * The application API: a local HTTP + WebSocket interface through which
 * programs in any language send and receive FIX application messages without
 * knowing about sessions, sequence numbers or failover.
 *
 * | method | path | what |
 * | --- | --- | --- |
 * | GET | `/sessions` | sessions with their state (logged on, address, sequence numbers, last failover) and `leader` (`{"nodeId","api"}` or null); served by every member |
 * | GET | `/leader` | `{"nodeId": this member, "leading": bool, "leader": {"nodeId": "...", "api": "http://host:port" \| null} \| null}`; served by every member |
 * | POST | `/sessions/{id}/messages` | send one application message; JSON body (`Content-Type: application/json`) `{"msgType":"D","fields":{...},"clientId":"..."}` (tag or field-name keys, repeating groups as arrays of objects; `clientId` optional), or one raw FIX message as `Content-Type: application/fix` (`|` or SOH as delimiter; header and trailer are replaced by the session's own) with the client id in an optional `Idempotency-Key` header. Answers 200 `{"index":n,"msgSeqNum":n}`, plus `"duplicate":true` when the client id was already sent |
 * | GET | `/stream?from=N` | WebSocket: every received application message with index ≥ N, in journal order, as JSON text frames `{"index","epoch","session","msgType","msgSeqNum","fix","fields"}`. Reconnect with `from` = last index + 1 — on any member — to resume with nothing lost and nothing repeated |
 *
 * Bad input — invalid JSON, an unknown session, a message the dictionary
 * rejects, a value holding a control character, a session that is not logged
 * on, a bad client id — gets a 4xx with `{"error": "..."}` saying what and
 * where, and nothing is sent (no MsgSeqNum is used).
 *
 * **Across a failover** (an HA pair or cluster; README "The API across a
 * failover"):
 *
 * - Only the leader sends. Any other member answers a send with **503**,
 *   header `Retry-After: 1` and `{"error": "...", "leader": {"nodeId": "...",
 *   "api": "http://host:port" | null} | null}` — the leader it last heard from
 *   by replication, with the URL configured in `api.memberUrls` — and
 *   journals nothing.
 * - A send is answered only once its message is durable as the ack strategy
 *   requires (released by the ReleaseGate: on a replica under `forever`,
 *   `quorum`; or its timeout passed under `timeout`). If the node stops
 *   leading first, the answer is 503 as above (or the connection drops when
 *   the node dies): never a 200 for a message the new leader could lack.
 * - A client id (1–128 printable ASCII characters, no space) is recorded in
 *   the journal with the message and replicated with it. A send whose client
 *   id is in this member's journal is not sent again: 200 with the original
 *   `index` and `msgSeqNum` and `"duplicate": true`; concurrent sends with one
 *   id send once. Ids are global (not per session) and remembered while
 *   their records are in the journal, up to the last 100,000.
 * - The stream of a leader under a holding strategy emits a record only once
 *   it is committed (durable on the replicas the strategy requires); when the
 *   member stops leading the stream closes (1011) and the program resumes on
 *   the new leader. A follower streams its replicated journal, except in an
 *   etcd cluster, where it answers 503 naming the leader (it may hold records
 *   beyond the leader's commit point that a later election discards).
 *
 * The client rule: retry a send that failed or got no answer with the same
 * `clientId` against the next member (the `leader.api` of a 503 first);
 * resume the stream with the last index seen + 1.
 *
 * Every request, WebSocket upgrades included, passes the browser-origin
 * checks of `lib/admin/http_edge.ts` (Host, Origin, no token in the URL: the
 * token goes in `Authorization: Bearer …`); a POST must carry one of the two
 * content types above, and its body is read up to
 * {@linkcode ApiServerOptions.maxBodyBytes} (default 1 MiB) → 413. The stream
 * is one-way: a client message larger than
 * {@linkcode ApiServerOptions.maxWebSocketMessageBytes} closes the socket
 * with 1009.
 *
 * @module
 */

import { openListener } from "../transport/listen_error.ts";

import { checkToken, isLoopback, json } from "../admin/server.ts";
import { HttpEdge, HttpEdgeError, type HttpEdgeOptions } from "../admin/http_edge.ts";
import { checkClientId, IDEMPOTENCY_KEY_HEADER } from "./idempotency.ts";

/** Content type of a raw FIX message sent through the API. */
export const FIX_CONTENT_TYPE = "application/fix";
/** Default for {@linkcode ApiServerOptions.maxWebSocketMessageBytes}. */
export const DEFAULT_MAX_WEBSOCKET_MESSAGE_BYTES = 4096;

/** An error the API answers with a 4xx/5xx status. */
export class ApiError extends Error {
  /** HTTP status to answer with. */
  readonly status: number;
  /** More members of the JSON answer, beside `error`. */
  readonly details: Readonly<Record<string, unknown>>;
  /** Response headers (e.g. `Retry-After`). */
  readonly headers: Readonly<Record<string, string>>;
  constructor(
    status: number,
    message: string,
    extra: {
      details?: Readonly<Record<string, unknown>>;
      headers?: Readonly<Record<string, string>>;
    } = {},
  ) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.details = extra.details ?? {};
    this.headers = extra.headers ?? {};
  }
}

/** Seconds a client is told to wait (`Retry-After`) before retrying elsewhere. */
export const NOT_LEADER_RETRY_AFTER_S = 1;

/** Who leads, as this member knows it. */
export interface LeaderInfo {
  /** This member's node id. */
  readonly nodeId: string;
  /** Whether this member leads now (sends are accepted here). */
  readonly leading: boolean;
  /**
   * The leader: this member while it leads; else the last leader it heard
   * from by replication (null when none yet), with its API URL when
   * configured (`api.memberUrls`).
   */
  readonly leader: { readonly nodeId: string; readonly api: string | null } | null;
}

/** The 503 a member that does not lead answers a send with (JSON names the leader). */
export function notLeaderError(info: LeaderInfo, why: string): ApiError {
  return new ApiError(503, why, {
    details: { leader: info.leader },
    headers: { "retry-after": String(NOT_LEADER_RETRY_AFTER_S) },
  });
}

/** What the caller asked to send. */
export type SendRequest =
  & (
    | { kind: "json"; msgType: string; fields: Record<string, unknown> }
    | { kind: "raw"; fix: string }
  )
  & {
    /** Idempotency key: a send whose key is already in the journal is not sent again. */
    clientId?: string;
  };

/** What a send answers: where the message went; `duplicate` when a client id named it before. */
export interface SendResult {
  /** Journal index of the Outbound record. */
  index: number;
  /** Its MsgSeqNum. */
  msgSeqNum: number;
  /** Present (true) when the client id was already in the journal: nothing was sent now. */
  duplicate?: true;
}

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
  /** Who leads (see {@linkcode LeaderInfo}). */
  leader(): LeaderInfo;
  /**
   * Sends one application message, answering once it is durable as the ack
   * strategy requires; throws {@linkcode ApiError} for bad input, 503 when
   * this member does not lead (or stopped leading before the message was durable).
   */
  send(session: string, request: SendRequest): Promise<SendResult>;
  /** Received application messages with journal index ≥ `fromIndex`, following the live tail. */
  stream(fromIndex: number, signal: AbortSignal): AsyncIterable<StreamedMessage>;
  /**
   * Throws {@linkcode ApiError} (503 naming the leader) when this member may
   * not stream now; checked before the WebSocket upgrade.
   */
  checkStream?(): void;
}

/** Options for {@linkcode serveApi}. */
export interface ApiServerOptions extends HttpEdgeOptions {
  hostname: string;
  port: number;
  /** Required when not bound to loopback. */
  token?: string | undefined;
  signal?: AbortSignal;
  onListen?: (addr: { hostname: string; port: number }) => void;
  /** Pause the stream while the WebSocket has more than this many bytes unsent. */
  maxWebSocketBufferedBytes?: number;
  /** Largest message a stream client may send; larger closes the socket with 1009. */
  maxWebSocketMessageBytes?: number;
}

/** Default for {@linkcode ApiServerOptions.maxWebSocketBufferedBytes}. */
export const DEFAULT_MAX_WEBSOCKET_BUFFERED_BYTES = 4 * 1024 * 1024;

async function parseSendRequest(req: Request, edge: HttpEdge): Promise<SendRequest> {
  const type = edge.checkContentType(req, ["application/json", FIX_CONTENT_TYPE]);
  const text = await edge.readText(req);
  const header = req.headers.get(IDEMPOTENCY_KEY_HEADER);
  const headerId = header === null ? undefined : checkClientId(header, IDEMPOTENCY_KEY_HEADER);
  if (type === FIX_CONTENT_TYPE) {
    return { kind: "raw", fix: text, ...(headerId === undefined ? {} : { clientId: headerId }) };
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
  const { msgType, fields, clientId: bodyId } = body as Record<string, unknown>;
  const clientId = bodyId === undefined ? headerId : checkClientId(bodyId, '"clientId"');
  if (headerId !== undefined && clientId !== headerId) {
    throw new ApiError(
      400,
      `Cannot send message: "clientId" and the ${IDEMPOTENCY_KEY_HEADER} header differ`,
    );
  }
  if (typeof msgType !== "string" || msgType === "") {
    throw new ApiError(400, 'Cannot send message: "msgType" must be a non-empty string');
  }
  if (typeof fields !== "object" || fields === null || Array.isArray(fields)) {
    throw new ApiError(400, 'Cannot send message: "fields" must be an object');
  }
  return {
    kind: "json",
    msgType,
    fields: fields as Record<string, unknown>,
    ...(clientId === undefined ? {} : { clientId }),
  };
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

function messageBytes(data: unknown, max: number): number {
  if (typeof data === "string") {
    // a string longer than the limit in UTF-16 units is longer in UTF-8 bytes too
    return data.length > max ? data.length : new TextEncoder().encode(data).length;
  }
  if (data instanceof ArrayBuffer) return data.byteLength;
  if (data instanceof Blob) return data.size;
  return 0;
}

function streamToSocket(
  node: ApiNode,
  ws: WebSocket,
  fromIndex: number,
  maxBufferedBytes: number,
  maxMessageBytes: number,
  parent: AbortSignal | undefined,
): void {
  const ac = new AbortController();
  const stop = () => ac.abort();
  parent?.addEventListener("abort", stop, { once: true });
  ws.addEventListener("close", stop, { once: true });
  ws.addEventListener("error", stop, { once: true });
  // The stream is one-way: small client messages are ignored, large ones end it.
  ws.addEventListener("message", (e) => {
    if (messageBytes(e.data, maxMessageBytes) > maxMessageBytes) {
      ws.close(1009, `message larger than ${maxMessageBytes} bytes`);
      stop();
    }
  });
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

/**
 * Builds the request handler (exported for tests and embedding). `edge`
 * defaults to the checks for a server bound to loopback.
 */
export function apiHandler(
  node: ApiNode,
  options: Pick<
    ApiServerOptions,
    "token" | "signal" | "maxWebSocketBufferedBytes" | "maxWebSocketMessageBytes"
  >,
  edge: HttpEdge = new HttpEdge("127.0.0.1"),
): (req: Request) => Promise<Response> {
  const maxBuffered = options.maxWebSocketBufferedBytes ?? DEFAULT_MAX_WEBSOCKET_BUFFERED_BYTES;
  const maxMessage = options.maxWebSocketMessageBytes ?? DEFAULT_MAX_WEBSOCKET_MESSAGE_BYTES;
  return async (req) => {
    const url = new URL(req.url);
    try {
      edge.checkRequest(req, url);
      const denied = checkToken(req, options.token);
      if (denied) return denied;
      if (req.method === "GET" && url.pathname === "/sessions") {
        return json(200, node.sessions());
      }
      if (req.method === "GET" && url.pathname === "/leader") {
        return json(200, node.leader());
      }
      if (req.method === "GET" && url.pathname === "/stream") {
        if (req.headers.get("upgrade")?.toLowerCase() !== "websocket") {
          throw new ApiError(426, "Cannot stream: /stream is a WebSocket endpoint");
        }
        const from = parseFrom(url);
        node.checkStream?.();
        const { socket, response } = Deno.upgradeWebSocket(req);
        streamToSocket(node, socket, from, maxBuffered, maxMessage, options.signal);
        return response;
      }
      const m = /^\/sessions\/([^/]+)\/messages$/.exec(url.pathname);
      if (m && req.method === "POST") {
        const request = await parseSendRequest(req, edge);
        const leader = node.leader();
        if (!leader.leading) {
          throw notLeaderError(
            leader,
            `Cannot send: node ${leader.nodeId} does not lead; send to the leader` +
              (leader.leader ? ` ${leader.leader.nodeId}` : " (none known yet)"),
          );
        }
        return json(200, await node.send(decodeURIComponent(m[1]!), request));
      }
      return json(404, { error: `No API endpoint ${req.method} ${url.pathname}` });
    } catch (err) {
      if (err instanceof ApiError) {
        const res = json(err.status, { error: err.message, ...err.details });
        for (const [name, value] of Object.entries(err.headers)) res.headers.set(name, value);
        return res;
      }
      if (err instanceof HttpEdgeError) return json(err.status, { error: err.message });
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
    }, apiHandler(node, options, new HttpEdge(options.hostname, options))));
}
