/**
 * Client side of `tandem promote`: `POST /promote` to a node's admin API.
 *
 * @module
 */

import { formatHostPort, type HostPort } from "../config/mod.ts";

/** Largest response body read from the admin API. */
export const MAX_PROMOTE_RESPONSE_BYTES = 65_536;

/** Options of {@linkcode requestPromotion}. */
export interface PromoteOptions {
  /** The node's admin address. */
  readonly admin: HostPort;
  /** Bearer token, when the admin API requires one. */
  readonly token?: string | undefined;
  /** Why, recorded by the node. */
  readonly reason: string;
  /** Cancels the request (the caller sets a timeout with `AbortSignal.timeout`). */
  readonly signal?: AbortSignal;
}

/** Outcome of a promotion request. */
export type PromoteResult =
  | { readonly ok: true; readonly epoch: number | undefined; readonly body: unknown }
  | { readonly ok: false; readonly status: number | undefined; readonly message: string };

/** Sends the promotion request; network failures and refusals are results, not exceptions. */
export async function requestPromotion(options: PromoteOptions): Promise<PromoteResult> {
  const url = `http://${formatHostPort(options.admin)}/promote`;
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  let response: Response;
  try {
    response = await fetch(url, {
      method: "POST",
      headers,
      body: JSON.stringify({ reason: options.reason }),
      ...(options.signal ? { signal: options.signal } : {}),
    });
  } catch (e) {
    const why = (e as Error).name === "TimeoutError" ? "timed out" : (e as Error).message;
    return { ok: false, status: undefined, message: `Cannot reach ${url}: ${why}` };
  }
  const text = await readLimited(response);
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // keep the text
  }
  if (response.ok) {
    const epoch = typeof body === "object" && body !== null && "epoch" in body &&
        typeof body.epoch === "number"
      ? body.epoch
      : undefined;
    return { ok: true, epoch, body };
  }
  const detail = typeof body === "object" && body !== null && "error" in body
    ? String(body.error)
    : text.trim() || response.statusText;
  return {
    ok: false,
    status: response.status,
    message: `Promotion refused (HTTP ${response.status}): ${detail}`,
  };
}

/** Reads at most {@linkcode MAX_PROMOTE_RESPONSE_BYTES} of an admin API answer as text. */
export async function readLimited(response: Response): Promise<string> {
  if (!response.body) return "";
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.length;
      if (total > MAX_PROMOTE_RESPONSE_BYTES) break;
      chunks.push(value);
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
  const bytes = new Uint8Array(Math.min(total, MAX_PROMOTE_RESPONSE_BYTES));
  let off = 0;
  for (const c of chunks) {
    bytes.set(c.subarray(0, bytes.length - off), off);
    off += c.length;
  }
  return new TextDecoder().decode(bytes);
}
