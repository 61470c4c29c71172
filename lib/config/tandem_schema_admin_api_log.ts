/**
 * The `admin`, `api` and `log` sections of the Tandem schema: the admin HTTP
 * API and operator's page, the application HTTP/WebSocket API, and logging.
 * To add a key to one of them, add one field here; the sections are composed
 * in `tandem_schema.ts`.
 *
 * @module
 */

import * as s from "./schema.ts";
import { httpEdge } from "./_edge.ts";

/** `admin.*`: the admin HTTP API and the operator's page. */
export const admin = s.object({
  listen: s.hostPort({
    doc: "Address of the admin HTTP API (health, status, metrics, promote); --admin overrides.",
    default: "127.0.0.1:9901",
  }),
  token: s.string({
    doc: "Bearer token for the admin API; required when not on loopback. Use ${ENV:NAME}.",
    secret: true,
    example: "${ENV:TANDEM_ADMIN_TOKEN}",
  }),
  // Operator's page (GET / on the admin address).
  peers: s.array(s.hostPort({ doc: "A peer's admin address." }), {
    doc:
      "Admin addresses of the other nodes of the pair, shown on this node's operator's page (read from their /overview with this node's admin token, so the pair shares one token).",
    default: [],
    maxItems: 16,
    example: ["10.0.0.2:9901"],
  }),
  pageRefreshMs: s.duration({
    doc: "Operator's page: interval between live updates of /events.",
    unit: "ms",
    default: 1_000,
    min: 100,
    max: 60_000,
  }),
  ...httpEdge("admin API", 65_536),
}, { doc: "Admin HTTP API and the operator's page." });

/** `api.*`: the application HTTP/WebSocket API. */
export const api = s.object({
  listen: s.hostPort({
    doc: "Address of the application HTTP/WebSocket API; absent: disabled.",
    example: "127.0.0.1:9902",
  }),
  token: s.string({
    doc: "Bearer token for the application API; required when not on loopback.",
    secret: true,
    example: "${ENV:TANDEM_API_TOKEN}",
  }),
  ...httpEdge("application API", 1_048_576),
  maxWebSocketMessageBytes: s.byteSize({
    doc:
      "Largest message a /stream WebSocket client may send (the stream is one-way); a larger one closes the socket with 1009.",
    default: 4_096,
    min: 16,
    max: 16_777_216,
  }),
  // --- the API across a failover (README: The API across a failover)
  memberUrls: s.record(
    s.string({
      doc: "Base URL of that member's API.",
      pattern: /^https?:\/\/[^\s/?#]+\/?$/,
      patternHint: "http(s)://host:port",
    }),
    {
      doc:
        "HA: node id -> base URL of that member's application API; a member that does not lead names the leader's URL in its 503 answer to a send.",
      default: {},
      keyPattern: /^[A-Za-z0-9_.-]{1,64}$/,
      keyHint: "a node id (letters, digits, _ . -)",
      maxEntries: 64,
      example: { a: "http://10.0.0.1:9902", b: "http://10.0.0.2:9902" },
    },
  ),
}, { doc: "Application HTTP/WebSocket API (for sessions with application: api)." });

/** `log.*`: logging. */
export const log = s.object({
  level: s.oneOf(["debug", "info", "warn", "error"], {
    doc: "Least severe level written.",
    default: "info",
  }),
  format: s.oneOf(["json", "text", "auto"], {
    doc: "json lines, text lines, or auto (text on a terminal, else json).",
    default: "auto",
  }),
  fixMessages: s.boolean({
    doc: "Log every FIX message sent and received (they are in the journal either way).",
    default: false,
  }),
  redactTags: s.array(s.integer({ doc: "A tag.", min: 1, max: 999_999 }), {
    doc: "Tags masked in logged FIX messages, besides the always-masked 554, 925, 1402 and 1404.",
    default: [],
    maxItems: 1_000,
    example: [553],
  }),
}, { doc: "Logging (to stderr)." });
