/**
 * Waiting helpers shared by the demos: free loopback ports, an abortable sleep and a polling
 * wait bounded by {@linkcode DEMO_PHASE_TIMEOUT_MS}.
 *
 * @module
 */

import { freePorts } from "../testing/ports.ts";

/** Longest wait for any one phase of the demo. */
export const DEMO_PHASE_TIMEOUT_MS = 60_000;

/** `n` free loopback ports below the ephemeral range (see `lib/testing/ports.ts`). */
export { freePorts };

/** Resolves after `ms`, or at once when `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}

/** Polls `pred` every `pollMs` until it holds; throws on abort or after the phase timeout. */
export async function until(
  pred: () => boolean | Promise<boolean>,
  what: string,
  signal: AbortSignal,
  pollMs = 10,
): Promise<void> {
  const deadline = Date.now() + DEMO_PHASE_TIMEOUT_MS;
  while (!(await pred())) {
    signal.throwIfAborted();
    if (Date.now() > deadline) throw new Error(`Cannot finish the demo: timed out waiting ${what}`);
    await sleep(pollMs, signal);
  }
}
