/**
 * What the operator's page shows of one node, as plain data: the node's `/status`, its FIX
 * message totals by session (read from its metrics) and its recent warnings. A node serves its
 * own overview at `GET /overview`; the page's event stream gathers the overviews of the node and
 * of its configured peers and turns successive totals into message rates.
 *
 * Pure: no I/O, no clock; times arrive as values.
 *
 * @module
 */

import { parsePrometheusText } from "../metrics/prometheus_text.ts";
import type { RecentLogEntry } from "../log/recent.ts";

/** Metric counting FIX messages by `session` and `direction` (see `lib/node`). */
export const MESSAGES_METRIC = "tandem_fix_messages_total";

/** FIX messages a session has received (`in`) and sent (`out`) since the node started. */
export interface MessageTotals {
  readonly in: number;
  readonly out: number;
}

/** Messages per second in each direction. */
export interface MessageRates {
  readonly inPerS: number;
  readonly outPerS: number;
}

/** One node's overview (the body of `GET /overview`). */
export interface NodeOverview {
  /** When the overview was taken (the node's clock). */
  readonly atMs: number;
  /** The node's `/status` snapshot. */
  readonly status: unknown;
  /** The node's `/ready` answer (absent from nodes that predate it). */
  readonly ready?: { readonly ready: boolean; readonly reason: string };
  /** Message totals by session key. */
  readonly messages: Readonly<Record<string, MessageTotals>>;
  /** The node's recent warn and error log entries, oldest first. */
  readonly warnings: readonly RecentLogEntry[];
}

/**
 * Sums {@linkcode MESSAGES_METRIC} by session and direction from Prometheus text. Text that
 * cannot be parsed yields no totals (the page then shows no rates) rather than an error.
 */
export function messageTotals(metricsText: string): Record<string, MessageTotals> {
  let samples;
  try {
    samples = parsePrometheusText(metricsText);
  } catch {
    return {};
  }
  const totals: Record<string, { in: number; out: number }> = {};
  for (const s of samples) {
    if (s.name !== MESSAGES_METRIC) continue;
    const session = s.labels.session;
    const dir = s.labels.direction;
    if (session === undefined || (dir !== "in" && dir !== "out")) continue;
    const t = totals[session] ??= { in: 0, out: 0 };
    t[dir] += s.value;
  }
  return totals;
}

/**
 * Rates between two overviews of the same node, by session. A session missing from `before`,
 * a counter that went down (the node restarted) or a non-positive interval gives no rate.
 */
export function messageRates(
  before: NodeOverview | undefined,
  after: NodeOverview,
): Record<string, MessageRates> {
  const rates: Record<string, MessageRates> = {};
  if (before === undefined) return rates;
  const seconds = (after.atMs - before.atMs) / 1000;
  if (!(seconds > 0)) return rates;
  for (const [session, now] of Object.entries(after.messages)) {
    const then = before.messages[session];
    if (then === undefined || now.in < then.in || now.out < then.out) continue;
    rates[session] = {
      inPerS: (now.in - then.in) / seconds,
      outPerS: (now.out - then.out) / seconds,
    };
  }
  return rates;
}

/**
 * Checks that a peer's `/overview` body has the expected shape, returning it typed.
 * @throws {TypeError} naming what is missing
 */
export function parseOverview(body: unknown): NodeOverview {
  if (typeof body !== "object" || body === null) {
    throw new TypeError("Cannot read overview: not a JSON object");
  }
  const o = body as Record<string, unknown>;
  if (typeof o.atMs !== "number") throw new TypeError("Cannot read overview: atMs is missing");
  if (typeof o.status !== "object" || o.status === null) {
    throw new TypeError("Cannot read overview: status is missing");
  }
  if (typeof o.messages !== "object" || o.messages === null) {
    throw new TypeError("Cannot read overview: messages is missing");
  }
  if (!Array.isArray(o.warnings)) throw new TypeError("Cannot read overview: warnings is missing");
  return o as unknown as NodeOverview;
}
