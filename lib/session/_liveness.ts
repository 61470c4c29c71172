/**
 * A session's timers as values: when it last sent and received, how many TestRequests are
 * unanswered, and the Logon and Logout deadlines. It answers two questions for the session, at
 * a time it is given: when is the next thing due, and what is due now.
 *
 * @module
 */

/** Default of `SessionConfig.testRequestDelayMultiplier`. */
const DEFAULT_TEST_REQUEST_DELAY_MULTIPLIER = 1.2;

/** What the timers ask the session to do now. */
export type LivenessDue =
  /** No Logon arrived in time. */
  | "logon-timeout"
  /** No answer to our Logout, and no Logon was ever received. */
  | "logout-timeout-before-logon"
  /** No answer to our Logout. */
  | "logout-timeout"
  /** The counterparty stayed silent through our TestRequests. */
  | "heartbeat-timeout"
  /** Silent for a while: send a TestRequest. */
  | "test-request"
  /** We have been silent a HeartBtInt: send a Heartbeat. */
  | "heartbeat";

/** What a session does when a timer runs out: a warning, if any, and why it disconnects. */
export const TIMEOUTS: Readonly<
  Record<
    Exclude<LivenessDue, "test-request" | "heartbeat">,
    { readonly warning?: string; readonly reason: string }
  >
> = {
  "logon-timeout": { warning: "Timed out waiting for Logon", reason: "Logon timeout" },
  "logout-timeout-before-logon": { reason: "Timed out waiting for Logout response" },
  "logout-timeout": { warning: "Timed out waiting for Logout response", reason: "Logout timeout" },
  "heartbeat-timeout": {
    warning: "Timed out waiting for heartbeat",
    reason: "Heartbeat timeout: TestRequest unanswered",
  },
};

/** The session's timers (the session sets the fields as it sends and receives). */
export class Liveness {
  lastSentAtMs = 0;
  lastReceivedAtMs = 0;
  testRequestsSent = 0;
  logonDeadlineAtMs: number | undefined;
  logoutDeadlineAtMs: number | undefined;
  readonly #multiplier: number;

  /** `testRequestDelayMultiplier`: TestRequest after this many HeartBtInts of silence. */
  constructor(testRequestDelayMultiplier: number | undefined) {
    this.#multiplier = testRequestDelayMultiplier ?? DEFAULT_TEST_REQUEST_DELAY_MULTIPLIER;
  }

  /** The connection is gone: no deadlines, no TestRequests outstanding. */
  stopped(): void {
    this.logonDeadlineAtMs = undefined;
    this.logoutDeadlineAtMs = undefined;
    this.testRequestsSent = 0;
  }

  /** The earliest time something is due, or Infinity; heartbeats count once logged on. */
  nextDeadlineAtMs(heartbeatIntervalS: number, receivedLogon: boolean): number {
    let d = Infinity;
    if (this.logonDeadlineAtMs !== undefined) d = Math.min(d, this.logonDeadlineAtMs);
    if (this.logoutDeadlineAtMs !== undefined) d = Math.min(d, this.logoutDeadlineAtMs);
    if (receivedLogon && heartbeatIntervalS > 0) {
      const hbMs = heartbeatIntervalS * 1000;
      const mult = this.#multiplier;
      if (this.testRequestsSent === 0) d = Math.min(d, this.lastSentAtMs + hbMs);
      d = Math.min(d, this.lastReceivedAtMs + mult * hbMs * (this.testRequestsSent + 1));
      d = Math.min(d, this.lastReceivedAtMs + 2 * mult * hbMs);
    }
    return d;
  }

  /** What is due at `nowMs`, if anything. */
  due(nowMs: number, heartbeatIntervalS: number, receivedLogon: boolean): LivenessDue | undefined {
    if (!receivedLogon) {
      if (this.logonDeadlineAtMs !== undefined && nowMs >= this.logonDeadlineAtMs) {
        return "logon-timeout";
      }
      if (this.logoutDeadlineAtMs !== undefined && nowMs >= this.logoutDeadlineAtMs) {
        return "logout-timeout-before-logon";
      }
      return undefined;
    }
    if (this.logoutDeadlineAtMs !== undefined && nowMs >= this.logoutDeadlineAtMs) {
      return "logout-timeout";
    }
    const hbMs = heartbeatIntervalS * 1000;
    if (hbMs <= 0) return undefined;
    const mult = this.#multiplier;
    const silentMs = nowMs - this.lastReceivedAtMs;
    if (silentMs >= 2 * mult * hbMs) return "heartbeat-timeout";
    if (silentMs >= mult * hbMs * (this.testRequestsSent + 1)) return "test-request";
    if (this.testRequestsSent === 0 && nowMs - this.lastSentAtMs >= hbMs) return "heartbeat";
    return undefined;
  }
}
