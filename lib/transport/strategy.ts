/**
 * Connection strategies: which address an initiator tries next, and when.
 *
 * A strategy is pure. It is told what happened (an attempt failed, a Logon
 * completed, a logged-on session ended, a probe answered) with the time as a
 * value, and answers {@linkcode ConnectionStrategy.next} with the address index
 * and the absolute time of the next attempt, or a fatal verdict. It opens no
 * socket and reads no clock; {@linkcode Connector} drives it and the I/O shell
 * carries out the connector's actions.
 *
 * Rules shared by the built-in strategies:
 *
 * - An attempt succeeds only when Logon completes. A refused connect, a connect
 *   timeout, a connection closed before Logon, a Logon timeout and a Logout in
 *   answer to our Logon are all failures of that attempt.
 * - The first attempt starts at address 0 at once.
 * - `attemptsPerAddress` consecutive failed attempts are made on one address
 *   before moving to the next one; after the last address the walk wraps to
 *   address 0.
 * - After the n-th consecutive failed attempt (counted since the start or the
 *   last Logon) the strategy pauses `backoffMs[n - 1]` before the next attempt;
 *   once the schedule is exhausted its last entry repeats. An empty schedule
 *   means no pause.
 * - After a logged-on session ends, the next attempt waits
 *   `reconnectIntervalMs`, and the failure count starts again from zero.
 *
 * What differs:
 *
 * | strategy                 | after a logged-on session ends | fatal                                  | probing |
 * | ------------------------ | ------------------------------ | -------------------------------------- | ------- |
 * | `always-start-on-primary`| start again at address 0       | never                                  | no      |
 * | `round-robin`            | go on with the next address    | never                                  | no      |
 * | `fatal-failure`          | start again at address 0       | after `attemptsPerAddress` × addresses consecutive failures, once | no |
 * | `priority`               | start again at address 0       | never                                  | yes     |
 *
 * Priority probing. While logged on at a backup (index > 0), `priority` asks for
 * a probe of address 0 every `startOverIntervalMs`. A probe is a TCP (or TLS)
 * connect that is closed at once — never a Logon, because two Logons for one
 * session would conflict. A failed probe leaves the working session untouched
 * and schedules the next probe. A successful probe does not break the session
 * either: the connector asks the session to log out gracefully (a safe point:
 * the Logout exchange completes, nothing in flight is lost), and when that
 * session has ended the next attempt goes to address 0 at once, without the
 * reconnect pause. If address 0 then fails to log on, the ordinary walk moves
 * down the list again and the next probe waits a full `startOverIntervalMs`, so a
 * primary that accepts TCP but not Logons (for example a standby that listens)
 * costs at most one switch per interval.
 *
 * @module
 */

/** Why an attempt or a session failed. */
export type FailureKind =
  /** The connect was refused (nothing listening, RST). */
  | "connect-refused"
  /** The connect failed otherwise: unreachable, DNS, TLS handshake, certificate. */
  | "connect-error"
  /** The connect (including any TLS handshake) did not finish in time. */
  | "connect-timeout"
  /** The connection closed after connecting but before Logon completed. */
  | "closed-before-logon"
  /** No Logon answer arrived in time. */
  | "logon-timeout"
  /** The counterparty stopped answering heartbeats and TestRequests. */
  | "heartbeat-timeout"
  /** The connection closed (EOF or error) after Logon. */
  | "eof-after-logon"
  /** A Logout ended the session (or answered our Logon). */
  | "logout";

/** Every {@linkcode FailureKind}, for validation and exhaustive tests. */
export const FAILURE_KINDS: readonly FailureKind[] = [
  "connect-refused",
  "connect-error",
  "connect-timeout",
  "closed-before-logon",
  "logon-timeout",
  "heartbeat-timeout",
  "eof-after-logon",
  "logout",
];

/** The built-in strategy names, as written in configuration. */
export type StrategyKind = "always-start-on-primary" | "round-robin" | "fatal-failure" | "priority";

/** Every {@linkcode StrategyKind}. */
export const STRATEGY_KINDS: readonly StrategyKind[] = [
  "always-start-on-primary",
  "round-robin",
  "fatal-failure",
  "priority",
];

/** The decision for the next attempt. */
export type NextAttempt =
  | {
    readonly type: "attempt";
    /** Index into the address list. */
    readonly addressIndex: number;
    /** When to connect (absolute; at or before now means at once). */
    readonly atMs: number;
    /** Why this address at this time, for logs. */
    readonly reason: string;
  }
  | {
    readonly type: "fatal";
    /** Why the strategy gives up. */
    readonly reason: string;
  };

/** A probe the strategy wants while a session is logged on. */
export interface ProbePlan {
  /** The address to probe. */
  readonly addressIndex: number;
  /** When to probe (absolute). */
  readonly atMs: number;
}

/**
 * A pluggable policy choosing the next address. Implementations must be pure
 * (no I/O, no clock) so they can be tested with the time passed in.
 */
export interface ConnectionStrategy {
  /** A name for logs and status, e.g. `"round-robin"`. */
  readonly kind: string;
  /**
   * The next attempt, or a fatal verdict. A query: calling it again without an
   * event in between returns the same answer.
   */
  next(nowMs: number): NextAttempt;
  /** The attempt at `addressIndex` failed before Logon. */
  onAttemptFailed(addressIndex: number, failure: FailureKind, nowMs: number): void;
  /** Logon completed at `addressIndex`. */
  onLoggedOn(addressIndex: number, nowMs: number): void;
  /** The session logged on at `addressIndex` ended. */
  onSessionEnded(addressIndex: number, failure: FailureKind, nowMs: number): void;
  /**
   * A probe to make while logged on at `loggedOnIndex`, or `undefined` for none.
   * A query, like {@linkcode ConnectionStrategy.next}.
   */
  probe(loggedOnIndex: number): ProbePlan | undefined;
  /**
   * The probe of `addressIndex` answered (`ok`) or not. Returns `true` when the
   * current session should log out so that the next attempt can go there.
   */
  onProbeResult(addressIndex: number, ok: boolean, nowMs: number): boolean;
}

/** Parameters of the built-in strategies. */
export interface StrategyOptions {
  /** How many addresses the list holds (1–{@linkcode MAX_ADDRESSES}). */
  readonly addressCount: number;
  /** Consecutive failed attempts on one address before moving on. */
  readonly attemptsPerAddress?: number;
  /** Pause after the n-th consecutive failure; the last entry repeats. */
  readonly backoffMs?: readonly number[];
  /** Pause before reconnecting after a logged-on session ended. */
  readonly reconnectIntervalMs?: number;
  /** `priority` only: how long to stay on a backup before probing address 0. */
  readonly startOverIntervalMs?: number;
}

/** Default consecutive failed attempts per address. */
export const DEFAULT_ATTEMPTS_PER_ADDRESS = 1;
/** Default escalating backoff schedule. */
export const DEFAULT_BACKOFF_MS: readonly number[] = [100, 500, 1000, 5000];
/** Default pause before reconnecting after a logged-on session ended. */
export const DEFAULT_RECONNECT_INTERVAL_MS = 1000;
/** Default interval between probes of the primary (`priority`). */
export const DEFAULT_START_OVER_INTERVAL_MS = 30_000;
/** Most addresses in a list. */
export const MAX_ADDRESSES = 64;
/** Most attempts per address. */
export const MAX_ATTEMPTS_PER_ADDRESS = 1000;
/** Most entries in a backoff schedule. */
export const MAX_BACKOFF_STEPS = 32;
/** Longest pause or interval of any kind (one day). */
export const MAX_INTERVAL_MS = 86_400_000;

function checkInteger(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(
      `Cannot use ${name} ${value}: must be an integer from ${min} to ${max}`,
    );
  }
}

interface ResolvedOptions {
  readonly addressCount: number;
  readonly attemptsPerAddress: number;
  readonly backoffMs: readonly number[];
  readonly reconnectIntervalMs: number;
  readonly startOverIntervalMs: number;
}

/**
 * Applies defaults and checks every limit.
 *
 * @throws {RangeError} naming the option when a value is out of range.
 */
export function resolveStrategyOptions(options: StrategyOptions): ResolvedOptions {
  const resolved: ResolvedOptions = {
    addressCount: options.addressCount,
    attemptsPerAddress: options.attemptsPerAddress ?? DEFAULT_ATTEMPTS_PER_ADDRESS,
    backoffMs: [...(options.backoffMs ?? DEFAULT_BACKOFF_MS)],
    reconnectIntervalMs: options.reconnectIntervalMs ?? DEFAULT_RECONNECT_INTERVAL_MS,
    startOverIntervalMs: options.startOverIntervalMs ?? DEFAULT_START_OVER_INTERVAL_MS,
  };
  checkInteger("addressCount", resolved.addressCount, 1, MAX_ADDRESSES);
  checkInteger("attemptsPerAddress", resolved.attemptsPerAddress, 1, MAX_ATTEMPTS_PER_ADDRESS);
  if (resolved.backoffMs.length > MAX_BACKOFF_STEPS) {
    throw new RangeError(
      `Cannot use backoffMs with ${resolved.backoffMs.length} steps: at most ${MAX_BACKOFF_STEPS}`,
    );
  }
  resolved.backoffMs.forEach((ms, i) => checkInteger(`backoffMs[${i}]`, ms, 0, MAX_INTERVAL_MS));
  checkInteger("reconnectIntervalMs", resolved.reconnectIntervalMs, 0, MAX_INTERVAL_MS);
  checkInteger("startOverIntervalMs", resolved.startOverIntervalMs, 1, MAX_INTERVAL_MS);
  return resolved;
}

interface Policy {
  readonly kind: StrategyKind;
  /** Where to go after a logged-on session ends. */
  readonly afterSessionEnded: "top" | "next";
  /** Give up after a full pass of failures. */
  readonly fatalAfterFullPass: boolean;
  /** Probe address 0 while logged on at a backup. */
  readonly probePrimary: boolean;
}

/** The list walk shared by the built-in strategies, specialised by a policy. */
class ListStrategy implements ConnectionStrategy {
  readonly kind: StrategyKind;
  readonly #policy: Policy;
  readonly #options: ResolvedOptions;
  #index = 0;
  #failuresOnIndex = 0;
  #consecutiveFailures = 0;
  #attemptAtMs: number | undefined;
  #reason = "start at address 0";
  #fatalReason: string | undefined;
  #nextProbeAtMs: number | undefined;
  #switchPending = false;

  constructor(policy: Policy, options: StrategyOptions) {
    this.kind = policy.kind;
    this.#policy = policy;
    this.#options = resolveStrategyOptions(options);
  }

  next(nowMs: number): NextAttempt {
    if (this.#fatalReason !== undefined) return { type: "fatal", reason: this.#fatalReason };
    return {
      type: "attempt",
      addressIndex: this.#index,
      atMs: this.#attemptAtMs ?? nowMs,
      reason: this.#reason,
    };
  }

  onAttemptFailed(addressIndex: number, failure: FailureKind, nowMs: number): void {
    this.#checkIndex(addressIndex);
    if (this.#fatalReason !== undefined) return;
    this.#consecutiveFailures++;
    const { addressCount, attemptsPerAddress, backoffMs } = this.#options;
    if (
      this.#policy.fatalAfterFullPass &&
      this.#consecutiveFailures >= attemptsPerAddress * addressCount
    ) {
      this.#fatalReason = `${this.#consecutiveFailures} consecutive attempts failed ` +
        `(${attemptsPerAddress} per address over ${addressCount} addresses); last: ${failure} ` +
        `at address ${addressIndex}`;
      return;
    }
    this.#failuresOnIndex = addressIndex === this.#index ? this.#failuresOnIndex + 1 : 1;
    this.#index = addressIndex;
    let where: string;
    if (this.#failuresOnIndex >= attemptsPerAddress) {
      this.#index = (addressIndex + 1) % addressCount;
      this.#failuresOnIndex = 0;
      where = `move to address ${this.#index}`;
    } else {
      where = `retry address ${addressIndex} (${this.#failuresOnIndex} of ` +
        `${attemptsPerAddress} attempts failed there)`;
    }
    const pauseMs = backoffMs.length === 0
      ? 0
      : backoffMs[Math.min(this.#consecutiveFailures, backoffMs.length) - 1] ?? 0;
    this.#attemptAtMs = nowMs + pauseMs;
    this.#reason = `${failure} at address ${addressIndex}: ${where} after ${pauseMs} ms ` +
      `(consecutive failure ${this.#consecutiveFailures})`;
  }

  onLoggedOn(addressIndex: number, nowMs: number): void {
    this.#checkIndex(addressIndex);
    this.#index = addressIndex;
    this.#failuresOnIndex = 0;
    this.#consecutiveFailures = 0;
    this.#switchPending = false;
    this.#nextProbeAtMs = this.#policy.probePrimary && addressIndex > 0
      ? nowMs + this.#options.startOverIntervalMs
      : undefined;
  }

  onSessionEnded(addressIndex: number, failure: FailureKind, nowMs: number): void {
    this.#checkIndex(addressIndex);
    this.#failuresOnIndex = 0;
    this.#consecutiveFailures = 0;
    this.#nextProbeAtMs = undefined;
    if (this.#switchPending) {
      this.#switchPending = false;
      this.#index = 0;
      this.#attemptAtMs = nowMs;
      this.#reason = `${failure} at address ${addressIndex} after the primary answered a probe: ` +
        `switch to address 0 at once`;
      return;
    }
    this.#index = this.#policy.afterSessionEnded === "top"
      ? 0
      : (addressIndex + 1) % this.#options.addressCount;
    const pauseMs = this.#options.reconnectIntervalMs;
    this.#attemptAtMs = nowMs + pauseMs;
    this.#reason = `${failure} ended the session at address ${addressIndex}: ` +
      `reconnect to address ${this.#index} after ${pauseMs} ms`;
  }

  probe(loggedOnIndex: number): ProbePlan | undefined {
    if (!this.#policy.probePrimary || loggedOnIndex === 0 || this.#switchPending) return undefined;
    if (this.#nextProbeAtMs === undefined) return undefined;
    return { addressIndex: 0, atMs: this.#nextProbeAtMs };
  }

  onProbeResult(addressIndex: number, ok: boolean, nowMs: number): boolean {
    this.#checkIndex(addressIndex);
    if (!this.#policy.probePrimary || this.#nextProbeAtMs === undefined) return false;
    if (ok) {
      this.#switchPending = true;
      this.#nextProbeAtMs = undefined;
      return true;
    }
    this.#nextProbeAtMs = nowMs + this.#options.startOverIntervalMs;
    return false;
  }

  #checkIndex(addressIndex: number): void {
    if (
      !Number.isInteger(addressIndex) || addressIndex < 0 ||
      addressIndex >= this.#options.addressCount
    ) {
      throw new RangeError(
        `Cannot use address index ${addressIndex}: the list holds ${this.#options.addressCount}`,
      );
    }
  }
}

/** Walks the list from the top; after a logged-on session drops, starts at the top again. */
export function alwaysStartOnPrimary(options: StrategyOptions): ConnectionStrategy {
  return new ListStrategy({
    kind: "always-start-on-primary",
    afterSessionEnded: "top",
    fatalAfterFullPass: false,
    probePrimary: false,
  }, options);
}

/** Goes on with the next address after every failure, including a dropped session. */
export function roundRobin(options: StrategyOptions): ConnectionStrategy {
  return new ListStrategy({
    kind: "round-robin",
    afterSessionEnded: "next",
    fatalAfterFullPass: false,
    probePrimary: false,
  }, options);
}

/**
 * Makes `attemptsPerAddress` attempts on each address through the whole list,
 * then answers `fatal` (from then on, every time).
 */
export function fatalFailure(options: StrategyOptions): ConnectionStrategy {
  return new ListStrategy({
    kind: "fatal-failure",
    afterSessionEnded: "top",
    fatalAfterFullPass: true,
    probePrimary: false,
  }, options);
}

/**
 * Prefers address 0; while logged on at a backup, probes address 0 every
 * `startOverIntervalMs` and asks to switch back once it answers.
 */
export function priority(options: StrategyOptions): ConnectionStrategy {
  return new ListStrategy({
    kind: "priority",
    afterSessionEnded: "top",
    fatalAfterFullPass: false,
    probePrimary: true,
  }, options);
}

/** Builds a built-in strategy by its configuration name. */
export function createStrategy(kind: StrategyKind, options: StrategyOptions): ConnectionStrategy {
  switch (kind) {
    case "always-start-on-primary":
      return alwaysStartOnPrimary(options);
    case "round-robin":
      return roundRobin(options);
    case "fatal-failure":
      return fatalFailure(options);
    case "priority":
      return priority(options);
    default: {
      const never: never = kind;
      throw new TypeError(`Cannot create strategy ${String(never)}: unknown kind`);
    }
  }
}
