/**
 * Listen failures that name the address. `Deno.listen` reports a port already in use as
 * `AddrInUse: Address already in use (os error 98)` with no address: on a host running two nodes
 * the operator cannot tell which listener (FIX, admin, API, replication) collided. Every listener
 * of the node opens through {@linkcode openListener}, which keeps the error's class and prefixes
 * its message with what was being opened and where.
 *
 * @module
 */

import { formatHostPort } from "./address.ts";

/**
 * Rewrites `error` (from opening a listener for `purpose` on `host:port`) so that its message
 * names both: `Cannot listen on 127.0.0.1:9901 for the admin endpoint: address already in use`.
 * Only address faults are rewritten (in use, not available, permission denied); any other error
 * is returned untouched. The error keeps its class (`Deno.errors.AddrInUse` stays one); a node error's `EADDRINUSE` code
 * reads the same. Returns the same error object.
 */
export function nameListenAddress(
  error: unknown,
  purpose: string,
  host: string,
  port: number,
): unknown {
  if (!(error instanceof Error)) return error;
  const code = (error as { code?: unknown }).code;
  const inUse = error instanceof Deno.errors.AddrInUse || code === "EADDRINUSE";
  const addressFault = inUse || error instanceof Deno.errors.AddrNotAvailable ||
    error instanceof Deno.errors.PermissionDenied || code === "EADDRNOTAVAIL" || code === "EACCES";
  if (!addressFault) return error; // e.g. unreadable TLS material: its own message says it all
  const where = formatHostPort({ host, port });
  if (error.message.startsWith(`Cannot listen on ${where}`)) return error;
  const why = inUse
    ? "address already in use (another process, or another node configured with the same address)"
    : error.message;
  error.message = `Cannot listen on ${where} for ${purpose}: ${why}`;
  return error;
}

/** Runs `open` (which opens a listener for `purpose` on `host:port`), naming the address on failure. */
export function openListener<T>(purpose: string, host: string, port: number, open: () => T): T {
  try {
    return open();
  } catch (e) {
    throw nameListenAddress(e, purpose, host, port);
  }
}

/** {@linkcode openListener} for an asynchronous `open`. */
export async function openListenerAsync<T>(
  purpose: string,
  host: string,
  port: number,
  open: () => Promise<T>,
): Promise<T> {
  try {
    return await open();
  } catch (e) {
    throw nameListenAddress(e, purpose, host, port);
  }
}
