/**
 * Free loopback ports for tests and demos that must name a port before a
 * child process binds it.
 *
 * Binding port 0 and closing it hands out a port from the kernel's ephemeral
 * range, the same range every outgoing connection takes its local port from:
 * between the close and the child's bind, any connection made on the machine
 * (another test's client, say) can take it, and the child fails with "address
 * already in use". The ports here come from below that range instead
 * (`/proc/sys/net/ipv4/ip_local_port_range`, else 32768), where no outgoing
 * connection lands; each is checked by binding it, and a random starting
 * point keeps concurrent test processes apart.
 *
 * @module
 */

/** Lowest port handed out. */
export const MIN_TEST_PORT = 10_000;
/** The ephemeral range's start when the kernel does not say. */
const DEFAULT_EPHEMERAL_START = 32_768;

function ephemeralStart(): number {
  try {
    const text = Deno.readTextFileSync("/proc/sys/net/ipv4/ip_local_port_range");
    const low = Number(text.trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low > MIN_TEST_PORT + 1000 ? low : DEFAULT_EPHEMERAL_START;
  } catch {
    return DEFAULT_EPHEMERAL_START;
  }
}

/** Ports this process handed out already (never twice). */
const handedOut = new Set<number>();

function bindable(port: number): boolean {
  try {
    Deno.listen({ hostname: "127.0.0.1", port }).close();
    return true;
  } catch {
    return false;
  }
}

/**
 * `n` distinct ports that are free on 127.0.0.1 now and lie below the
 * ephemeral range, so that no outgoing connection takes them before they are
 * bound.
 *
 * @throws {Error} when the range below the ephemeral ports has too few free
 */
export function freePorts(n: number): number[] {
  const top = ephemeralStart();
  const span = top - MIN_TEST_PORT;
  const ports: number[] = [];
  let p = MIN_TEST_PORT + Math.floor(Math.random() * span);
  for (let tried = 0; ports.length < n && tried < span; tried++) {
    p = p + 1 >= top ? MIN_TEST_PORT : p + 1;
    if (handedOut.has(p) || !bindable(p)) continue;
    handedOut.add(p);
    ports.push(p);
  }
  if (ports.length < n) {
    throw new Error(`Cannot find ${n} free ports from ${MIN_TEST_PORT} to ${top - 1}`);
  }
  return ports;
}

/** One port as {@linkcode freePorts} finds them. */
export function freePort(): number {
  return freePorts(1)[0]!;
}
