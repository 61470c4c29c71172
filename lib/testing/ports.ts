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
 * connection lands; each is checked by binding it.
 *
 * Test files run side by side (`deno test --parallel`), and a port is only
 * bound some time after it is handed out: an etcd or a node takes a moment to
 * start. Two test processes could hand out the same still-unbound port; one
 * child then fails to bind, and a health check may even find the other's
 * server on it (an etcd test that froze "its" etcd kept getting answers from
 * another's). So each port handed out is also reserved for every process on
 * the machine: an empty file named after it, created exclusively, in
 * {@linkcode RESERVATION_DIR}. Reservations are removed when the process
 * ends; one left by a killed process lapses after
 * {@linkcode RESERVATION_TTL_MS}.
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

/** Where the processes of this machine reserve the ports they hand out. */
export const RESERVATION_DIR = `${Deno.env.get("TMPDIR") ?? "/tmp"}/tandem-test-ports`;
/** Age after which a reservation is taken for one its process left behind. */
export const RESERVATION_TTL_MS = 15 * 60_000;

/** Reservation files this process made, removed when it ends. */
const reserved: string[] = [];
let cleanupRegistered = false;

function removeReservations(): void {
  for (const path of reserved.splice(0)) {
    try {
      Deno.removeSync(path);
    } catch { /* gone */ }
  }
}

function createExclusively(path: string): void {
  Deno.openSync(path, { write: true, createNew: true }).close();
}

/**
 * Reserves `port` for this process. False when another process holds a live reservation;
 * true also when reservations cannot be made here at all (no permission, no temporary
 * directory): then the bind check alone decides, as before reservations existed.
 */
function reserve(port: number): boolean {
  const path = `${RESERVATION_DIR}/${port}`;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      createExclusively(path);
      reserved.push(path);
      if (!cleanupRegistered) {
        cleanupRegistered = true;
        globalThis.addEventListener("unload", removeReservations);
      }
      return true;
    } catch (e) {
      try {
        if (e instanceof Deno.errors.NotFound) {
          Deno.mkdirSync(RESERVATION_DIR, { recursive: true });
        } else if (e instanceof Deno.errors.AlreadyExists) {
          const mtime = Deno.statSync(path).mtime?.getTime() ?? 0;
          if (Date.now() - mtime < RESERVATION_TTL_MS) return false;
          Deno.removeSync(path); // lapsed: left by a process that ended without removing it
        } else {
          return true;
        }
      } catch (again) {
        // gone in between (its owner ended): try again; anything else: no reservations here
        if (!(again instanceof Deno.errors.NotFound)) return true;
      }
    }
  }
  return false;
}

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
  const span = ephemeralStart() - MIN_TEST_PORT;
  return freePortsFrom(MIN_TEST_PORT + Math.floor(Math.random() * span), n);
}

/**
 * {@linkcode freePorts} looking from `start` upwards (wrapping round below the ephemeral
 * range); `freePorts` starts at a random port.
 */
export function freePortsFrom(start: number, n: number): number[] {
  const top = ephemeralStart();
  const span = top - MIN_TEST_PORT;
  const ports: number[] = [];
  let p = start - 1;
  for (let tried = 0; ports.length < n && tried < span; tried++) {
    p = p + 1 >= top ? MIN_TEST_PORT : p + 1;
    if (handedOut.has(p) || !bindable(p) || !reserve(p)) continue;
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
