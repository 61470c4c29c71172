/**
 * The initiator: keeps one session connected to one of an ordered list of
 * acceptor addresses.
 *
 * It is the I/O shell of the pure {@linkcode Connector} from lib/transport:
 * every input (an attempt connected, failed, logged on, ended; a probe
 * answered; the timer fired) goes to the connector with the time, and the
 * initiator carries out the actions it returns — connect (TCP or TLS, with
 * {@linkcode connect}), abort, probe, log out — and arms one timer for
 * `Connector.wakeAtMs`. Which address comes next, and when, is the business
 * of the {@linkcode ConnectionStrategy}: one of the built-in ones
 * (`createStrategy` in lib/transport) or a custom implementation.
 *
 * An attempt counts as a success only when Logon completes. How an attempt or
 * a session ended is classified for the strategy:
 *
 * | what happened                                            | failure                |
 * | -------------------------------------------------------- | ---------------------- |
 * | connect refused / timed out / failed (DNS, TLS)          | `connect-refused` / `connect-timeout` / `connect-error` |
 * | connection closed before the Logon answer                | `closed-before-logon`  |
 * | no Logon answer within the Logon timeout                 | `logon-timeout`        |
 * | Logout in answer to our Logon                            | `logout`               |
 * | logged on, then heartbeat/TestRequest timeout            | `heartbeat-timeout`    |
 * | logged on, then a Logout exchange                        | `logout`               |
 * | logged on, then EOF or a socket error                    | `eof-after-logon`      |
 *
 * Every connector event (waiting, connecting, connected, logged-on,
 * failed-over, attempt-failed, session-ended, probe results, fatal-failure,
 * stopped) is logged and handed to {@linkcode InitiatorOptions.onEvent}.
 * Sequence numbers come from the store, so with a persistent store (the
 * journal) a restarted initiator logs on where it left off.
 *
 * @module
 */

import type { Field } from "../session/session.ts";
import {
  connect,
  ConnectError,
  type ConnectionStrategy,
  Connector,
  type ConnectorAction,
  type ConnectorEvent,
  type ConnectorInput,
  type ConnectorState,
  type ConnectorTransition,
  DEFAULT_LOGON_TIMEOUT_MS,
  type FailureKind,
  formatHostPort,
  type HostPort,
  probe,
  roundRobin,
  type TlsClientOptions,
} from "../transport/mod.ts";
import { type Application, consoleLogger, type Logger, type SessionHandle } from "./application.ts";
import { ConnectionRunner } from "./runner.ts";
import { type AwaitRelease, type HostSessionConfig, SessionHost } from "./session_host.ts";
import { MemorySessionStore, type SessionStore } from "./store.ts";

/** A TCP address. */
export interface Address {
  readonly hostname: string;
  readonly port: number;
}

/** Default for {@linkcode InitiatorOptions.reconnectDelayMs}. */
export const DEFAULT_RECONNECT_DELAY_MS = 1_000;
/** Default time {@linkcode Initiator.close} gives a logged-on session to answer the Logout. */
export const DEFAULT_INITIATOR_CLOSE_TIMEOUT_MS = 2_000;

/** Options for {@linkcode Initiator}. */
export interface InitiatorOptions {
  readonly session: Omit<HostSessionConfig, "role">;
  /** Acceptor addresses in the strategy's order (address 0 is the primary). */
  readonly addresses: readonly Address[];
  readonly store?: SessionStore;
  readonly application?: Application;
  readonly logger?: Logger;
  /**
   * Picks the next address and when to try it. Default: `round-robin`, moving
   * to the next address after every failed attempt or ended session and
   * pausing {@linkcode InitiatorOptions.reconnectDelayMs} first. The strategy
   * belongs to this initiator alone (it has state).
   */
  readonly strategy?: ConnectionStrategy;
  /** Pause of the default strategy; ignored when `strategy` is given. */
  readonly reconnectDelayMs?: number;
  /** TCP connect plus TLS handshake; default `DEFAULT_CONNECT_TIMEOUT_MS` of lib/transport. */
  readonly connectTimeoutMs?: number;
  /** Wait for the Logon answer; default the session's `logonTimeoutS`, else 10 s. */
  readonly logonTimeoutMs?: number;
  /** Connect with TLS (also used for the priority strategy's probes). */
  readonly tls?: TlsClientOptions;
  /** Told about every connector event, after it is logged. Must not throw. */
  readonly onEvent?: (event: ConnectorEvent) => void;
  /** Log connector events through `logger` (default true; off when `onEvent` logs them). */
  readonly logEvents?: boolean;
  readonly maxMessageBytes?: number;
  readonly maxOutboundBufferedBytes?: number;
  readonly awaitRelease?: AwaitRelease;
  /** On close, time a logged-on session gets to answer the Logout. */
  readonly closeTimeoutMs?: number;
  /**
   * Asked before each connection attempt and again once connected, before the Logon goes
   * out: `true`, or why this process may not connect now (a replicated gateway whose
   * leadership or lease lapsed). A refusal counts as a failed attempt (`connect-error`).
   */
  readonly mayConnect?: () => true | string;
}

/** One connection attempt and, when it connects, its runner. */
interface Attempt {
  readonly attempt: number;
  readonly abort: AbortController;
  runner: ConnectionRunner | undefined;
  loggedOn: boolean;
  /** Why the session ended, as the session layer said (onLogout). */
  endReason: string | undefined;
}

/** Maps how an attempt or session ended to the strategy's failure kinds. */
export function classifyEnd(loggedOn: boolean, reason: string): FailureKind {
  if (!loggedOn) {
    if (reason === "Logon timeout") return "logon-timeout";
    if (reason.startsWith("Logon refused") || reason === "Logout") return "logout";
    return "closed-before-logon";
  }
  if (reason.startsWith("Heartbeat timeout")) return "heartbeat-timeout";
  if (reason === "Logout" || reason.startsWith("Logout timeout") || reason.includes("Logout")) {
    return "logout";
  }
  return "eof-after-logon";
}

function describeEvent(e: ConnectorEvent, addresses: readonly HostPort[]): string {
  const at = (i: number) => {
    const a = addresses[i];
    return a === undefined ? `address ${i}` : `address ${i} (${formatHostPort(a)})`;
  };
  switch (e.type) {
    case "waiting":
      return `next attempt at ${at(e.addressIndex)} in ${
        Math.max(0, e.attemptAtMs - Date.now())
      } ms: ${e.reason}`;
    case "connecting":
      return `attempt ${e.attempt}: connecting to ${at(e.addressIndex)}`;
    case "connected":
      return `attempt ${e.attempt}: connected to ${at(e.addressIndex)}; Logon sent`;
    case "logged-on":
      return `attempt ${e.attempt}: logged on at ${at(e.addressIndex)}`;
    case "failed-over":
      return `failed over from ${at(e.fromIndex)} to ${at(e.toIndex)}`;
    case "attempt-failed":
      return `attempt ${e.attempt} at ${at(e.addressIndex)} failed: ${e.failure}`;
    case "session-ended":
      return `session at ${at(e.addressIndex)} ended: ${e.failure}`;
    case "probe-answered":
      return `probe ${e.probe} of ${at(e.addressIndex)} answered`;
    case "probe-failed":
      return `probe ${e.probe} of ${at(e.addressIndex)} failed`;
    case "fatal-failure":
      return `giving up after ${e.attempts} attempts: ${e.reason}`;
    case "stopped":
      return `stopped: ${e.reason}`;
    default: {
      const never: never = e;
      return `event ${JSON.stringify(never)}`;
    }
  }
}

function levelOf(e: ConnectorEvent): "debug" | "info" | "warn" | "error" {
  switch (e.type) {
    case "waiting":
    case "probe-answered":
    case "probe-failed":
      return "debug";
    case "connecting":
    case "connected":
    case "logged-on":
    case "stopped":
      return "info";
    case "failed-over":
    case "attempt-failed":
    case "session-ended":
      return "warn";
    case "fatal-failure":
      return "error";
    default: {
      const never: never = e;
      throw new TypeError(`Cannot grade event ${JSON.stringify(never)}`);
    }
  }
}

/** Keeps one session connected; see the module doc. */
export class Initiator implements AsyncDisposable {
  /** The session. */
  readonly host: SessionHost;
  readonly #options: InitiatorOptions;
  readonly #log: Logger;
  readonly #addresses: readonly HostPort[];
  #connector: Connector;
  readonly #connectorOptions: ConstructorParameters<typeof Connector>[0];
  /** Logged out by an operator: stay down until {@linkcode Initiator.logon}. */
  #held = false;
  readonly #tasks = new Set<Promise<void>>();
  readonly #done = Promise.withResolvers<void>();
  /** Attempts in flight by number (connecting or connected). */
  readonly #attempts = new Map<number, Attempt>();
  /** The attempt whose connection is attached to the host. */
  #live: Attempt | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #started = false;
  #closing = false;
  /** Aborted: nothing more may be written, not even a Logout. */
  #aborted = false;
  #closed: Promise<void> | undefined;
  #fatalReason: string | undefined;

  /** @throws {RangeError} when there are no addresses or a timeout is out of range. */
  constructor(options: InitiatorOptions) {
    if (options.addresses.length === 0) {
      throw new RangeError("Cannot create initiator: no addresses");
    }
    this.#options = options;
    this.#log = options.logger ?? consoleLogger;
    this.#addresses = options.addresses.map((a) => ({ host: a.hostname, port: a.port }));
    const delayMs = options.reconnectDelayMs ?? DEFAULT_RECONNECT_DELAY_MS;
    const strategy = options.strategy ?? roundRobin({
      addressCount: this.#addresses.length,
      backoffMs: [delayMs],
      reconnectIntervalMs: delayMs,
    });
    const logonS = options.session.logonTimeoutS;
    this.#connectorOptions = {
      addresses: this.#addresses,
      strategy,
      ...(options.connectTimeoutMs === undefined
        ? {}
        : { connectTimeoutMs: options.connectTimeoutMs }),
      logonTimeoutMs: options.logonTimeoutMs ??
        (logonS === undefined ? DEFAULT_LOGON_TIMEOUT_MS : Math.round(logonS * 1000)),
    };
    this.#connector = new Connector(this.#connectorOptions);
    this.host = new SessionHost({
      config: { ...options.session, role: "initiator" },
      store: options.store ?? new MemorySessionStore(),
      application: this.#wrap(options.application),
      logger: this.#log,
      awaitRelease: options.awaitRelease,
    });
  }

  /**
   * The application, with the hooks the connector needs in front. Methods are
   * called on `app` itself, so class instances keep their `this`.
   */
  #wrap(app: Application | undefined): Application {
    const wrapped: Application = {
      onLogon: (s: SessionHandle) => {
        const cur = this.#live;
        if (cur !== undefined && !cur.loggedOn) {
          cur.loggedOn = true;
          this.#feed({ type: "logged-on", attempt: cur.attempt });
        }
        app?.onLogon?.(s);
      },
      onLogout: (s: SessionHandle, reason: string) => {
        const cur = this.#live;
        if (cur !== undefined) cur.endReason ??= reason;
        app?.onLogout?.(s, reason);
      },
    };
    if (app === undefined) return wrapped;
    if (app.onMessage) wrapped.onMessage = (m, s, c) => app.onMessage!(m, s, c);
    if (app.onAdmin) wrapped.onAdmin = (m, s) => app.onAdmin!(m, s);
    if (app.onSent) wrapped.onSent = (t, n, b, s) => app.onSent!(t, n, b, s);
    if (app.authorizeLogon) wrapped.authorizeLogon = (m, s) => app.authorizeLogon!(m, s);
    return wrapped;
  }

  /** Sends a message on the session (stored, then written when logged on). Returns the MsgSeqNum. */
  send(msgType: string, fields: Iterable<Field>): number {
    return this.host.send(msgType, fields);
  }

  /** Starts connecting (idempotent). */
  start(): this {
    if (this.#started || this.#closing) return this;
    this.#started = true;
    this.#feed({ type: "start" });
    return this;
  }

  /**
   * Logs the session out and keeps it down (no reconnect) until
   * {@linkcode Initiator.logon}, as an operator's logout should.
   */
  logout(text = "Logout requested by operator"): void {
    if (this.#closing || this.#held) return;
    this.#held = true;
    if (this.#live?.runner !== undefined && this.host.isLoggedOn) {
      this.host.logout(text); // the connection ends after the Logout exchange; no reconnect
    } else {
      this.#feed({ type: "stop", reason: "logged out by operator" });
      for (const a of this.#attempts.values()) {
        a.abort.abort("logged out by operator");
        a.runner?.close("logged out by operator");
      }
    }
  }

  /** Starts connecting again after {@linkcode Initiator.logout}. */
  logon(): void {
    if (this.#closing || !this.#held) return;
    this.#held = false;
    if (this.#connector.state !== "stopped") return; // the logout is still under way
    this.#connector = new Connector(this.#connectorOptions);
    this.#feed({ type: "start" });
  }

  /**
   * Whether the session stays down until {@linkcode Initiator.logon}: an operator logged it
   * out, or it is held because the counterparty expects more than we sent (lost outbound).
   */
  get isHeld(): boolean {
    return this.#held;
  }

  /** Resolves when the strategy gave up (see {@linkcode Initiator.fatalReason}) or the initiator was closed. */
  get done(): Promise<void> {
    return this.#done.promise;
  }

  /** Why the strategy gave up, once it has. */
  get fatalReason(): string | undefined {
    return this.#fatalReason;
  }

  /** The connector's state. */
  get state(): ConnectorState {
    return this.#connector.state;
  }

  /** The connector's recent state changes, oldest first. */
  get transitions(): readonly ConnectorTransition[] {
    return this.#connector.transitions;
  }

  /** The addresses, as the connector numbers them. */
  get addresses(): readonly HostPort[] {
    return this.#addresses;
  }

  #feed(input: ConnectorInput): void {
    this.#apply(this.#connector.handle(input, Date.now()));
  }

  #track(promise: Promise<void>): void {
    const tracked: Promise<void> = promise.catch((e) => {
      this.#log(
        "error",
        `${this.host.key}: initiator task failed: ${e instanceof Error ? e.stack : String(e)}`,
      );
    }).finally(() => this.#tasks.delete(tracked));
    this.#tasks.add(tracked);
  }

  #apply(actions: ConnectorAction[]): void {
    for (const action of actions) {
      switch (action.type) {
        case "connect":
          if (this.#held) {
            this.#feed({ type: "stop", reason: "logged out by operator" });
          } else if (!this.#closing) {
            this.#track(this.#attempt(action.attempt, action.address, action.timeoutMs));
          }
          break;
        case "abort": {
          const cur = this.#attempts.get(action.attempt);
          if (cur !== undefined) {
            cur.abort.abort(action.why);
            cur.runner?.close(action.why);
          }
          break;
        }
        case "probe":
          if (!this.#closing) {
            this.#track(
              probe({
                ...action.address,
                timeoutMs: action.timeoutMs,
                ...(this.#options.tls === undefined ? {} : { tls: this.#options.tls }),
              }).then((ok) => {
                if (!this.#closing) this.#feed({ type: "probe-result", probe: action.probe, ok });
              }),
            );
          }
          break;
        case "logout": {
          const cur = this.#live;
          if (this.#aborted) break;
          if (cur !== undefined && cur.attempt === action.attempt && this.host.isLoggedOn) {
            this.host.logout(action.reason);
          }
          break;
        }
        case "event":
          this.#event(action.event);
          break;
        default: {
          const never: never = action;
          throw new TypeError(`Cannot carry out connector action ${JSON.stringify(never)}`);
        }
      }
    }
    this.#arm();
  }

  #event(event: ConnectorEvent): void {
    if (this.#options.logEvents !== false) {
      this.#log(levelOf(event), `${this.host.key}: ${describeEvent(event, this.#addresses)}`);
    }
    if (event.type === "fatal-failure") this.#fatalReason = event.reason;
    try {
      this.#options.onEvent?.(event);
    } catch (e) {
      this.#log("error", `${this.host.key}: onEvent threw: ${e instanceof Error ? e.stack : e}`);
    }
    if (event.type === "fatal-failure") this.#done.resolve();
  }

  #arm(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const wakeAtMs = this.#connector.wakeAtMs;
    if (wakeAtMs === undefined || this.#closing) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#feed({ type: "tick" });
    }, Math.max(0, wakeAtMs - Date.now()));
  }

  async #attempt(attempt: number, address: HostPort, timeoutMs: number): Promise<void> {
    const cur: Attempt = {
      attempt,
      abort: new AbortController(),
      runner: undefined,
      loggedOn: false,
      endReason: undefined,
    };
    this.#attempts.set(attempt, cur);
    try {
      await this.#connectAndRun(cur, address, timeoutMs);
    } finally {
      this.#attempts.delete(attempt);
    }
  }

  /** Whether `mayConnect` lets attempt `attempt` go on; when not, the attempt failed. */
  #mayConnect(attempt: number): boolean {
    const may = this.#options.mayConnect?.() ?? true;
    if (may === true) return true;
    this.#log("debug", `${this.host.key}: not connecting: ${may}`);
    this.#feed({ type: "connect-failed", attempt, failure: "connect-error" });
    return false;
  }

  async #connectAndRun(cur: Attempt, address: HostPort, timeoutMs: number): Promise<void> {
    const attempt = cur.attempt;
    if (!this.#mayConnect(attempt)) return;
    let conn: Deno.Conn;
    try {
      conn = await connect({
        ...address,
        timeoutMs,
        signal: cur.abort.signal,
        ...(this.#options.tls === undefined ? {} : { tls: this.#options.tls }),
      });
    } catch (e) {
      if (cur.abort.signal.aborted) return;
      if (e instanceof ConnectError) {
        this.#log("debug", `${this.host.key}: ${e.message}`);
        this.#feed({ type: "connect-failed", attempt, failure: e.kind });
        return;
      }
      // TLS material that cannot be read: counts as a connect error, logged loudly.
      this.#log("error", `${this.host.key}: ${e instanceof Error ? e.message : String(e)}`);
      this.#feed({ type: "connect-failed", attempt, failure: "connect-error" });
      return;
    }
    if (cur.abort.signal.aborted || this.#closing) {
      conn.close();
      return;
    }
    if (!this.#mayConnect(attempt)) {
      conn.close();
      return;
    }
    const o = this.#options;
    const runner = new ConnectionRunner({
      conn,
      logger: this.#log,
      host: this.host,
      ...(o.maxMessageBytes === undefined ? {} : { maxMessageBytes: o.maxMessageBytes }),
      ...(o.maxOutboundBufferedBytes === undefined
        ? {}
        : { maxOutboundBufferedBytes: o.maxOutboundBufferedBytes }),
    });
    cur.runner = runner;
    this.#live = cur;
    // run() attaches the host (which sends the Logon) before its first await.
    const running = runner.run();
    this.#feed({ type: "connected", attempt });
    await running;
    cur.runner = undefined;
    if (this.#live === cur) this.#live = undefined;
    const failure = classifyEnd(cur.loggedOn, cur.endReason ?? "peer closed the connection");
    if (this.#closing) return;
    if (!this.#held && this.host.session.heldFor !== undefined) {
      // the counterparty is ahead of us (lost outbound, policy hold): no reconnect loop; an
      // operator sets the sequence numbers, then logs the session on again
      this.#held = true;
      this.#log("warn", `${this.host.key}: held for the operator; not reconnecting`);
    }
    if (this.#held) {
      this.#feed({ type: "stop", reason: "logged out by operator" });
      return;
    }
    this.#feed({ type: "disconnected", attempt, failure });
  }

  /** Logs out (when logged on), closes the connection and stops reconnecting. */
  close(): Promise<void> {
    this.#closed ??= this.#close();
    return this.#closed;
  }

  /**
   * Drops the connection at once and stops reconnecting, writing nothing more: no Logout,
   * nothing still queued or held back. A replicated gateway that stops leading uses it, as a
   * fenced leader must not use a sequence number its successor may not know.
   */
  abort(reason: string): Promise<void> {
    this.#closed ??= this.#abort(reason);
    return this.#closed;
  }

  async #abort(reason: string): Promise<void> {
    this.#aborted = true;
    this.#closing = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    for (const a of this.#attempts.values()) {
      a.abort.abort(reason);
      a.runner?.abort(reason);
    }
    this.#feed({ type: "stop", reason });
    while (this.#tasks.size > 0) await Promise.allSettled([...this.#tasks]);
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#done.resolve();
  }

  async #close(): Promise<void> {
    this.#closing = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const cur = this.#live;
    if (cur?.runner !== undefined && this.host.isLoggedOn) {
      const runner = cur.runner;
      try {
        this.host.logout("Initiator closing");
      } catch {
        // The Logout cannot be journaled (a failed journal): the connection is just closed.
        runner.abort("initiator closing");
      }
      const timer = setTimeout(
        () => runner.close("initiator closing"),
        this.#options.closeTimeoutMs ?? DEFAULT_INITIATOR_CLOSE_TIMEOUT_MS,
      );
      while (this.#tasks.size > 0 && cur.runner !== undefined) {
        await Promise.race([...this.#tasks]);
      }
      clearTimeout(timer);
    }
    this.#feed({ type: "stop", reason: "initiator closed" });
    for (const after of this.#attempts.values()) {
      after.abort.abort("stopped");
      after.runner?.close("initiator closing");
    }
    while (this.#tasks.size > 0) await Promise.allSettled([...this.#tasks]);
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#done.resolve();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
