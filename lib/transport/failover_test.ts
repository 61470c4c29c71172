/**
 * The connector driven by a minimal shell over real sockets on 127.0.0.1:
 * a refused primary, a backup that drops before Logon, a working backup, then
 * the primary coming back and the priority strategy switching to it.
 *
 * The "Logon" here is a line protocol (`logon` → `ok`, `logout` → close) so
 * the test exercises the transport and the connector, not the FIX session.
 */

import { assert, assertEquals } from "../testing/assert.ts";
import {
  Connector,
  type ConnectorAction,
  type ConnectorEvent,
  type ConnectorInput,
} from "./connector.ts";
import { connect, ConnectError, listen, probe, type Server } from "./net.ts";
import { priority } from "./strategy.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Tracks background work so the test can await all of it before ending. */
class Tasks {
  readonly #all = new Set<Promise<unknown>>();
  add(promise: Promise<unknown>): void {
    const tracked = promise.catch(() => {}).finally(() => this.#all.delete(tracked));
    this.#all.add(tracked);
  }
  async settle(): Promise<void> {
    while (this.#all.size > 0) await Promise.allSettled([...this.#all]);
  }
}

/** An acceptor answering `logon` with `ok` and closing on `logout`; or closing at once. */
function serve(server: Server, mode: "logon" | "drop", tasks: Tasks): void {
  tasks.add((async () => {
    for await (const conn of server) {
      if (mode === "drop") {
        conn.close();
        continue;
      }
      tasks.add((async () => {
        const buffer = new Uint8Array(64);
        try {
          while (true) {
            const n = await conn.read(buffer);
            if (n === null) break;
            const text = decoder.decode(buffer.subarray(0, n));
            if (text.includes("logon")) await conn.write(encoder.encode("ok\n"));
            if (text.includes("logout")) break;
          }
        } finally {
          conn.close();
        }
      })());
    }
  })());
}

/** The I/O shell: performs the connector's actions and feeds back what happened. */
class Shell {
  readonly events: ConnectorEvent[] = [];
  readonly #connector: Connector;
  readonly #tasks: Tasks;
  readonly #conns = new Map<number, Deno.Conn>();
  readonly #loggingOut = new Set<number>();
  readonly #onEvent: (event: ConnectorEvent) => void;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(connector: Connector, tasks: Tasks, onEvent: (event: ConnectorEvent) => void) {
    this.#connector = connector;
    this.#tasks = tasks;
    this.#onEvent = onEvent;
  }

  feed(input: ConnectorInput): void {
    this.#apply(this.#connector.handle(input, Date.now()));
  }

  #apply(actions: ConnectorAction[]): void {
    for (const action of actions) {
      switch (action.type) {
        case "connect":
          this.#tasks.add(this.#attempt(action.attempt, action.address, action.timeoutMs));
          break;
        case "abort":
          this.#conns.get(action.attempt)?.close();
          this.#conns.delete(action.attempt);
          break;
        case "probe":
          this.#tasks.add(
            probe({ ...action.address, timeoutMs: action.timeoutMs }).then((ok) =>
              this.feed({ type: "probe-result", probe: action.probe, ok })
            ),
          );
          break;
        case "logout": {
          this.#loggingOut.add(action.attempt);
          const conn = this.#conns.get(action.attempt);
          if (conn !== undefined) this.#tasks.add(conn.write(encoder.encode("logout\n")));
          break;
        }
        case "event":
          this.events.push(action.event);
          this.#onEvent(action.event);
          break;
      }
    }
    clearTimeout(this.#timer);
    const wakeAtMs = this.#connector.wakeAtMs;
    this.#timer = wakeAtMs === undefined
      ? undefined
      : setTimeout(() => this.feed({ type: "tick" }), Math.max(0, wakeAtMs - Date.now()));
  }

  async #attempt(attempt: number, address: { host: string; port: number }, timeoutMs: number) {
    let conn: Deno.Conn;
    try {
      conn = await connect({ ...address, timeoutMs });
    } catch (error) {
      if (!(error instanceof ConnectError)) throw error;
      return this.feed({ type: "connect-failed", attempt, failure: error.kind });
    }
    this.#conns.set(attempt, conn);
    this.feed({ type: "connected", attempt });
    let loggedOn = false;
    const buffer = new Uint8Array(64);
    try {
      await conn.write(encoder.encode("logon\n"));
      while (true) {
        const n = await conn.read(buffer);
        if (n === null) break;
        if (!loggedOn && decoder.decode(buffer.subarray(0, n)).includes("ok")) {
          loggedOn = true;
          this.feed({ type: "logged-on", attempt });
        }
      }
    } catch {
      // Reset or closed by an abort: ends the connection like EOF.
    }
    if (this.#conns.delete(attempt)) conn.close();
    this.feed({
      type: "disconnected",
      attempt,
      failure: !loggedOn
        ? "closed-before-logon"
        : this.#loggingOut.has(attempt)
        ? "logout"
        : "eof-after-logon",
    });
  }

  stop(): void {
    this.feed({ type: "stop", reason: "test over" });
    clearTimeout(this.#timer);
    for (const conn of this.#conns.values()) conn.close();
    this.#conns.clear();
  }
}

Deno.test("Connector with priority fails over to a working backup and back to the primary over real sockets", async () => {
  const tasks = new Tasks();
  // Address 0: a port with nothing listening (yet). Address 1 drops before Logon. Address 2 works.
  const reserved = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const primaryPort = reserved.addr.port;
  reserved.close();
  await using dropper = await listen({ host: "127.0.0.1", port: 0 });
  await using backup = await listen({ host: "127.0.0.1", port: 0 });
  serve(dropper, "drop", tasks);
  serve(backup, "logon", tasks);
  let primary: Promise<Server> | undefined;

  const addresses = [
    { host: "127.0.0.1", port: primaryPort },
    dropper.addr,
    backup.addr,
  ];
  const connector = new Connector({
    addresses,
    strategy: priority({
      addressCount: 3,
      backoffMs: [10],
      reconnectIntervalMs: 10,
      startOverIntervalMs: 100,
    }),
    connectTimeoutMs: 2000,
    logonTimeoutMs: 2000,
  });
  const { promise: done, resolve } = Promise.withResolvers<void>();
  const shell = new Shell(connector, tasks, (event) => {
    if (event.type === "logged-on" && event.addressIndex === 2 && primary === undefined) {
      // The primary comes back while the session runs on the backup (for plain
      // TCP, listen() binds before its first await, so the port is open now).
      const opening = listen({ host: "127.0.0.1", port: primaryPort });
      primary = opening;
      tasks.add(opening.then((server) => serve(server, "logon", tasks)));
    }
    if (event.type === "failed-over" && event.toIndex === 0) resolve();
  });
  shell.feed({ type: "start" });
  await done;
  shell.stop();

  const summary = shell.events.flatMap((e) => {
    switch (e.type) {
      case "attempt-failed":
        return [`failed ${e.addressIndex} ${e.failure}`];
      case "logged-on":
        return [`logged-on ${e.addressIndex}`];
      case "session-ended":
        return [`ended ${e.addressIndex} ${e.failure}`];
      case "probe-answered":
        return [`probe ${e.addressIndex} answered`];
      case "failed-over":
        return [`failed-over ${e.fromIndex}->${e.toIndex}`];
      default:
        return [];
    }
  });
  assertEquals(summary, [
    "failed 0 connect-refused",
    "failed 1 closed-before-logon",
    "logged-on 2",
    "probe 0 answered",
    "ended 2 logout",
    "logged-on 0",
    "failed-over 2->0",
  ]);
  assert(connector.transitions.some((t) => t.reason.includes("switch to address 0 at once")));
  await (await primary)?.close();
  await dropper.close();
  await backup.close();
  await tasks.settle();
});
