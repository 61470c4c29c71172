/**
 * The initiator's connection lifecycle as a pure state machine.
 *
 * A {@linkcode Connector} owns one {@linkcode ConnectionStrategy} and the
 * attempt timeouts. The I/O shell feeds it inputs with the time
 * (`handle(input, nowMs)`), carries out the actions it returns, and arms one
 * timer for {@linkcode Connector.wakeAtMs} that delivers `{type: "tick"}`.
 *
 * States and their transitions (each recorded with a reason):
 *
 * ```
 * idle ──start──► waiting ──due──► connecting ──connected──► logging-on ──logged-on──► logged-on
 *                   ▲                 │ refused/error/timeout   │ closed/logout/timeout     │ session ended
 *                   └─────────────────┴─────────────────────────┴───────────────────────────┘
 * any ──stop──► stopped          waiting/connecting/logging-on ──strategy gives up──► failed
 * ```
 *
 * Attempts are numbered from 1; the shell echoes the attempt number in its
 * inputs, and inputs for an attempt the connector has already abandoned (for
 * instance a `connected` that arrives after the connect timeout) are ignored.
 * Probes (priority strategy) are numbered likewise.
 *
 * @module
 */

import type { HostPort } from "./address.ts";
import type { ConnectionStrategy, FailureKind } from "./strategy.ts";

/** The connector's states. */
export type ConnectorState =
  | "idle"
  | "waiting"
  | "connecting"
  | "logging-on"
  | "logged-on"
  | "stopped"
  | "failed";

/** Failures the shell reports for a connect. */
export type ConnectFailureKind = "connect-refused" | "connect-error" | "connect-timeout";

/** What the shell tells the connector. */
export type ConnectorInput =
  | { readonly type: "start" }
  /** Time passed (the shell's timer fired at {@linkcode Connector.wakeAtMs}). */
  | { readonly type: "tick" }
  /** The TCP (and TLS) connection of `attempt` is up and Logon was sent. */
  | { readonly type: "connected"; readonly attempt: number }
  | {
    readonly type: "connect-failed";
    readonly attempt: number;
    readonly failure: ConnectFailureKind;
  }
  | { readonly type: "logged-on"; readonly attempt: number }
  /** The connection of `attempt` ended; `failure` says how. */
  | { readonly type: "disconnected"; readonly attempt: number; readonly failure: FailureKind }
  | { readonly type: "probe-result"; readonly probe: number; readonly ok: boolean }
  | { readonly type: "stop"; readonly reason: string };

/** Something that happened, for the caller to log, count and publish. */
export type ConnectorEvent =
  | {
    readonly type: "waiting";
    readonly addressIndex: number;
    readonly attemptAtMs: number;
    readonly reason: string;
  }
  | {
    readonly type: "connecting";
    readonly attempt: number;
    readonly addressIndex: number;
    readonly address: HostPort;
  }
  | { readonly type: "connected"; readonly attempt: number; readonly addressIndex: number }
  | { readonly type: "logged-on"; readonly attempt: number; readonly addressIndex: number }
  | { readonly type: "failed-over"; readonly fromIndex: number; readonly toIndex: number }
  | {
    readonly type: "attempt-failed";
    readonly attempt: number;
    readonly addressIndex: number;
    readonly failure: FailureKind;
  }
  | {
    readonly type: "session-ended";
    readonly attempt: number;
    readonly addressIndex: number;
    readonly failure: FailureKind;
  }
  | { readonly type: "probe-answered"; readonly probe: number; readonly addressIndex: number }
  | { readonly type: "probe-failed"; readonly probe: number; readonly addressIndex: number }
  | { readonly type: "fatal-failure"; readonly reason: string; readonly attempts: number }
  | { readonly type: "stopped"; readonly reason: string };

/** What the shell must do. */
export type ConnectorAction =
  /** Open a connection to `address` (give up after `timeoutMs`) and send Logon. */
  | {
    readonly type: "connect";
    readonly attempt: number;
    readonly addressIndex: number;
    readonly address: HostPort;
    readonly timeoutMs: number;
  }
  /** Close the connection of `attempt` at once; the connector has moved on. */
  | {
    readonly type: "abort";
    readonly attempt: number;
    readonly why: "connect-timeout" | "logon-timeout" | "stopped";
  }
  /** Connect to `address` and close at once; report with `probe-result`. */
  | {
    readonly type: "probe";
    readonly probe: number;
    readonly addressIndex: number;
    readonly address: HostPort;
    readonly timeoutMs: number;
  }
  /** Log the session of `attempt` out gracefully at the next safe point. */
  | { readonly type: "logout"; readonly attempt: number; readonly reason: string }
  /** Publish this event. */
  | { readonly type: "event"; readonly event: ConnectorEvent };

/** A recorded state change. */
export interface ConnectorTransition {
  readonly from: ConnectorState;
  readonly to: ConnectorState;
  readonly reason: string;
  readonly atMs: number;
}

/** Parameters of a {@linkcode Connector}. */
export interface ConnectorOptions {
  /** The addresses, in the strategy's order (address 0 is the primary). */
  readonly addresses: readonly HostPort[];
  /** The policy choosing the next address. */
  readonly strategy: ConnectionStrategy;
  /** How long a connect (with its TLS handshake) may take. */
  readonly connectTimeoutMs?: number;
  /** How long to wait for the Logon answer once connected. */
  readonly logonTimeoutMs?: number;
}

/** Default connect timeout (TCP connect plus any TLS handshake). */
export const DEFAULT_CONNECT_TIMEOUT_MS = 5000;
/** Default Logon timeout. */
export const DEFAULT_LOGON_TIMEOUT_MS = 10_000;
/** Longest connect or Logon timeout accepted (ten minutes). */
export const MAX_TIMEOUT_MS = 600_000;
/** How many transitions {@linkcode Connector.transitions} keeps. */
export const MAX_TRANSITION_HISTORY = 100;

function checkTimeout(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 1 || value > MAX_TIMEOUT_MS) {
    throw new RangeError(
      `Cannot use ${name} ${value}: must be an integer from 1 to ${MAX_TIMEOUT_MS}`,
    );
  }
}

/** Drives a strategy through attempts, timeouts and probes. */
export class Connector {
  readonly #addresses: readonly HostPort[];
  readonly #strategy: ConnectionStrategy;
  readonly #connectTimeoutMs: number;
  readonly #logonTimeoutMs: number;
  #state: ConnectorState = "idle";
  #transitions: ConnectorTransition[] = [];
  /** Current attempt number (0 before the first). */
  #attempt = 0;
  #addressIndex = 0;
  /** When the pending attempt is due (waiting) or times out (connecting, logging-on). */
  #deadlineAtMs: number | undefined;
  #probe = 0;
  #probeAddressIndex = 0;
  #probeDeadlineAtMs: number | undefined;
  #logoutRequested = false;
  #lastLoggedOnIndex: number | undefined;

  /** @throws {RangeError} when the list is empty or a timeout is out of range. */
  constructor(options: ConnectorOptions) {
    if (options.addresses.length === 0) {
      throw new RangeError("Cannot create connector: the address list is empty");
    }
    this.#addresses = [...options.addresses];
    this.#strategy = options.strategy;
    this.#connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    this.#logonTimeoutMs = options.logonTimeoutMs ?? DEFAULT_LOGON_TIMEOUT_MS;
    checkTimeout("connectTimeoutMs", this.#connectTimeoutMs);
    checkTimeout("logonTimeoutMs", this.#logonTimeoutMs);
  }

  /** The current state. */
  get state(): ConnectorState {
    return this.#state;
  }

  /** The current (or last) attempt number. */
  get attempt(): number {
    return this.#attempt;
  }

  /** The address index of the current (or next) attempt. */
  get addressIndex(): number {
    return this.#addressIndex;
  }

  /** The most recent state changes, oldest first (at most {@linkcode MAX_TRANSITION_HISTORY}). */
  get transitions(): readonly ConnectorTransition[] {
    return this.#transitions;
  }

  /** When the shell must deliver the next `tick`, or `undefined` for no timer. */
  get wakeAtMs(): number | undefined {
    const a = this.#deadlineAtMs;
    const b = this.#state === "logged-on" ? this.#probeWakeAtMs() : undefined;
    if (a === undefined) return b;
    if (b === undefined) return a;
    return Math.min(a, b);
  }

  /** Applies one input at `nowMs` and returns the actions to carry out, in order. */
  handle(input: ConnectorInput, nowMs: number): ConnectorAction[] {
    const out: ConnectorAction[] = [];
    switch (input.type) {
      case "start":
        if (this.#state === "idle") this.#schedule(out, nowMs);
        break;
      case "tick":
        this.#tick(out, nowMs);
        break;
      case "connected":
        if (this.#state !== "connecting" || input.attempt !== this.#attempt) break;
        this.#transition("logging-on", `attempt ${this.#attempt} connected; Logon sent`, nowMs);
        this.#deadlineAtMs = nowMs + this.#logonTimeoutMs;
        this.#emit(out, {
          type: "connected",
          attempt: this.#attempt,
          addressIndex: this.#addressIndex,
        });
        break;
      case "connect-failed":
        if (this.#state !== "connecting" || input.attempt !== this.#attempt) break;
        this.#attemptFailed(out, input.failure, nowMs);
        break;
      case "logged-on": {
        if (this.#state !== "logging-on" || input.attempt !== this.#attempt) break;
        const index = this.#addressIndex;
        this.#transition(
          "logged-on",
          `attempt ${this.#attempt} logged on at address ${index}`,
          nowMs,
        );
        this.#deadlineAtMs = undefined;
        this.#logoutRequested = false;
        this.#probeDeadlineAtMs = undefined;
        this.#strategy.onLoggedOn(index, nowMs);
        this.#emit(out, { type: "logged-on", attempt: this.#attempt, addressIndex: index });
        if (this.#lastLoggedOnIndex !== undefined && this.#lastLoggedOnIndex !== index) {
          this.#emit(out, {
            type: "failed-over",
            fromIndex: this.#lastLoggedOnIndex,
            toIndex: index,
          });
        }
        this.#lastLoggedOnIndex = index;
        this.#tick(out, nowMs);
        break;
      }
      case "disconnected":
        if (input.attempt !== this.#attempt) break;
        if (this.#state === "connecting" || this.#state === "logging-on") {
          this.#attemptFailed(out, input.failure, nowMs);
        } else if (this.#state === "logged-on") {
          const index = this.#addressIndex;
          this.#emit(out, {
            type: "session-ended",
            attempt: this.#attempt,
            addressIndex: index,
            failure: input.failure,
          });
          this.#probeDeadlineAtMs = undefined;
          this.#strategy.onSessionEnded(index, input.failure, nowMs);
          this.#schedule(out, nowMs);
        }
        break;
      case "probe-result":
        this.#probeResult(out, input.probe, input.ok, nowMs);
        break;
      case "stop":
        this.#stop(out, input.reason, nowMs);
        break;
      default: {
        const never: never = input;
        throw new TypeError(`Cannot handle connector input ${JSON.stringify(never)}`);
      }
    }
    return out;
  }

  /** The one door for state changes: records from, to and why. */
  #transition(to: ConnectorState, reason: string, nowMs: number): void {
    this.#transitions.push({ from: this.#state, to, reason, atMs: nowMs });
    if (this.#transitions.length > MAX_TRANSITION_HISTORY) this.#transitions.shift();
    this.#state = to;
  }

  #emit(out: ConnectorAction[], event: ConnectorEvent): void {
    out.push({ type: "event", event });
  }

  #address(index: number): HostPort {
    const address = this.#addresses[index];
    if (address === undefined) {
      throw new RangeError(
        `Cannot use address index ${index} from strategy ${this.#strategy.kind}: ` +
          `the list holds ${this.#addresses.length}`,
      );
    }
    return address;
  }

  /** Asks the strategy for the next attempt and waits for it (or connects now). */
  #schedule(out: ConnectorAction[], nowMs: number): void {
    const next = this.#strategy.next(nowMs);
    if (next.type === "fatal") {
      this.#deadlineAtMs = undefined;
      this.#transition("failed", next.reason, nowMs);
      this.#emit(out, { type: "fatal-failure", reason: next.reason, attempts: this.#attempt });
      return;
    }
    this.#address(next.addressIndex);
    this.#addressIndex = next.addressIndex;
    this.#deadlineAtMs = next.atMs;
    this.#transition("waiting", next.reason, nowMs);
    this.#emit(out, {
      type: "waiting",
      addressIndex: next.addressIndex,
      attemptAtMs: next.atMs,
      reason: next.reason,
    });
    if (next.atMs <= nowMs) this.#tick(out, nowMs);
  }

  #tick(out: ConnectorAction[], nowMs: number): void {
    const state = this.#state;
    switch (state) {
      case "waiting":
        if (this.#deadlineAtMs !== undefined && nowMs >= this.#deadlineAtMs) {
          this.#connect(out, nowMs);
        }
        break;
      case "connecting":
        if (this.#deadlineAtMs !== undefined && nowMs >= this.#deadlineAtMs) {
          out.push({ type: "abort", attempt: this.#attempt, why: "connect-timeout" });
          this.#attemptFailed(out, "connect-timeout", nowMs);
        }
        break;
      case "logging-on":
        if (this.#deadlineAtMs !== undefined && nowMs >= this.#deadlineAtMs) {
          out.push({ type: "abort", attempt: this.#attempt, why: "logon-timeout" });
          this.#attemptFailed(out, "logon-timeout", nowMs);
        }
        break;
      case "logged-on":
        this.#probeTick(out, nowMs);
        break;
      case "idle":
      case "stopped":
      case "failed":
        break;
      default: {
        const never: never = state;
        throw new TypeError(`Cannot tick in state ${String(never)}`);
      }
    }
  }

  #connect(out: ConnectorAction[], nowMs: number): void {
    this.#attempt++;
    const address = this.#address(this.#addressIndex);
    this.#transition(
      "connecting",
      `attempt ${this.#attempt} to address ${this.#addressIndex} is due`,
      nowMs,
    );
    this.#deadlineAtMs = nowMs + this.#connectTimeoutMs;
    this.#emit(out, {
      type: "connecting",
      attempt: this.#attempt,
      addressIndex: this.#addressIndex,
      address,
    });
    out.push({
      type: "connect",
      attempt: this.#attempt,
      addressIndex: this.#addressIndex,
      address,
      timeoutMs: this.#connectTimeoutMs,
    });
  }

  #attemptFailed(out: ConnectorAction[], failure: FailureKind, nowMs: number): void {
    this.#emit(out, {
      type: "attempt-failed",
      attempt: this.#attempt,
      addressIndex: this.#addressIndex,
      failure,
    });
    this.#strategy.onAttemptFailed(this.#addressIndex, failure, nowMs);
    this.#schedule(out, nowMs);
  }

  #probeWakeAtMs(): number | undefined {
    if (this.#probeDeadlineAtMs !== undefined) return this.#probeDeadlineAtMs;
    if (this.#logoutRequested) return undefined;
    return this.#strategy.probe(this.#addressIndex)?.atMs;
  }

  #probeTick(out: ConnectorAction[], nowMs: number): void {
    if (this.#probeDeadlineAtMs !== undefined) {
      if (nowMs >= this.#probeDeadlineAtMs) this.#probeResult(out, this.#probe, false, nowMs);
      return;
    }
    if (this.#logoutRequested) return;
    const plan = this.#strategy.probe(this.#addressIndex);
    if (plan === undefined || nowMs < plan.atMs) return;
    this.#probe++;
    this.#probeAddressIndex = plan.addressIndex;
    this.#probeDeadlineAtMs = nowMs + this.#connectTimeoutMs;
    out.push({
      type: "probe",
      probe: this.#probe,
      addressIndex: plan.addressIndex,
      address: this.#address(plan.addressIndex),
      timeoutMs: this.#connectTimeoutMs,
    });
  }

  #probeResult(out: ConnectorAction[], probe: number, ok: boolean, nowMs: number): void {
    if (
      this.#state !== "logged-on" || probe !== this.#probe || this.#probeDeadlineAtMs === undefined
    ) return;
    this.#probeDeadlineAtMs = undefined;
    const addressIndex = this.#probeAddressIndex;
    this.#emit(out, { type: ok ? "probe-answered" : "probe-failed", probe, addressIndex });
    if (this.#strategy.onProbeResult(addressIndex, ok, nowMs)) {
      this.#logoutRequested = true;
      out.push({
        type: "logout",
        attempt: this.#attempt,
        reason: `address ${addressIndex} answered a probe; switching back to it`,
      });
    }
  }

  #stop(out: ConnectorAction[], reason: string, nowMs: number): void {
    if (this.#state === "stopped") return;
    if (
      this.#state === "connecting" || this.#state === "logging-on" || this.#state === "logged-on"
    ) {
      out.push({ type: "abort", attempt: this.#attempt, why: "stopped" });
    }
    this.#deadlineAtMs = undefined;
    this.#probeDeadlineAtMs = undefined;
    this.#transition("stopped", reason, nowMs);
    this.#emit(out, { type: "stopped", reason });
  }
}
