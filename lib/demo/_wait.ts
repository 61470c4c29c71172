/**
 * Waiting helpers shared by the demos: free loopback ports, an abortable sleep and a polling
 * wait bounded by {@linkcode DEMO_PHASE_TIMEOUT_MS}.
 *
 * @module
 */

/** Longest wait for any one phase of the demo. */
export const DEMO_PHASE_TIMEOUT_MS = 60_000;

/** `n` free TCP ports on 127.0.0.1 (bound, read and released). */
export function freePorts(n: number): number[] {
  const ls = Array.from({ length: n }, () => Deno.listen({ hostname: "127.0.0.1", port: 0 }));
  const ports = ls.map((l) => (l.addr as Deno.NetAddr).port);
  for (const l of ls) l.close();
  return ports;
}

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
