/**
 * What a session does when the counterparty has seen more of our messages than
 * we hold: after a lossy failover (ack strategy `never` or `timeout`) the
 * promoted node's next outbound MsgSeqNum lies below what the counterparty
 * already received. The counterparty says so either with NextExpectedMsgSeqNum
 * (789) on its Logon or with a Logout whose Text reads "MsgSeqNum too low,
 * expecting X but received Y" (the wording of QuickFIX C++, QuickFIX/J and
 * Tandem).
 *
 * The numbers `[from, to]` then name messages on the counterparty's side that
 * this node never had: a *lost outbound range*. The session reports it (the
 * engine journals it) and follows a policy:
 *
 * - `hold` (default): refuse to trade until an operator decides, with a Logout
 *   that says why; refusals of later Logons consume no sequence numbers;
 * - `continue`: jump the next outbound MsgSeqNum to the counterparty's
 *   expectation and carry on (the lost messages stay lost).
 *
 * It also holds the logon-loop detector: a session whose connections end again
 * and again soon after they start is in a loop; it is reported once per loop.
 *
 * Pure: no I/O, no clock.
 *
 * @module
 */

/** Policy when the counterparty expects a higher MsgSeqNum than we would send. */
export type CounterpartyAheadPolicy = "hold" | "continue";

/** Default {@linkcode CounterpartyAheadPolicy}. */
export const DEFAULT_COUNTERPARTY_AHEAD_POLICY: CounterpartyAheadPolicy = "hold";

/** How the session learned that the counterparty is ahead. */
export type LostOutboundSource = "logon-next-expected" | "logout-text";

/** Outbound sequence numbers the counterparty has seen and this node never stored. */
export interface LostOutboundRange {
  /** First MsgSeqNum lost (our next outbound number when it was found). */
  readonly fromSeqNum: number;
  /** Last MsgSeqNum lost (the counterparty's expectation minus one). */
  readonly toSeqNum: number;
  /** Where the counterparty's expectation came from. */
  readonly source: LostOutboundSource;
  /** The policy followed. */
  readonly policy: CounterpartyAheadPolicy;
}

const TOO_LOW = /MsgSeqNum too low, expecting (\d+) but received (\d+)/i;

/**
 * Reads the counterparty's expectation out of a Logout Text such as
 * `MsgSeqNum too low, expecting 300 but received 120`; undefined when the text
 * does not say so or the numbers do not show the counterparty ahead.
 */
export function parseTooLowText(
  text: string,
): { readonly expected: number; readonly received: number } | undefined {
  const m = TOO_LOW.exec(text);
  if (m === null) return undefined;
  const expected = Number(m[1]);
  const received = Number(m[2]);
  if (!Number.isSafeInteger(expected) || !Number.isSafeInteger(received)) return undefined;
  if (!(received >= 1 && expected > received)) return undefined;
  return { expected, received };
}

const TROUBLE =
  /too (low|high)|invalid|incorrect|wrong|missing|refus|reject|not |error|fail|problem|unknown|held|lost/i;

/**
 * Whether a counterparty's Logout Text deserves a warning: any Text while the Logon exchange is
 * not complete (a refused Logon), else a Text that reads like a complaint ("MsgSeqNum too low,
 * …", "Invalid …"). An ordinary goodbye ("done", "end of day") is information.
 */
export function isTroubleLogout(text: string, loggedOn: boolean): boolean {
  return text !== "" && (!loggedOn || TROUBLE.test(text));
}

/** The Text of the Logout a held session sends (also in logs and `/status`). */
export function heldText(range: LostOutboundRange): string {
  return `Session held: the counterparty expects MsgSeqNum ${range.toSeqNum + 1}; this node ` +
    `has no record of outbound ${range.fromSeqNum}-${range.toSeqNum} (lost in a failover); ` +
    `an operator must set the sequence numbers before trading resumes`;
}

/**
 * The range lost when the counterparty expects `expected` while our next MsgSeqNum is
 * `nextSender`; `from` is the first number the counterparty says it received, when it says.
 */
export function lostOutboundRange(
  expected: number,
  nextSender: number,
  from: number | undefined,
  source: LostOutboundSource,
  policy: CounterpartyAheadPolicy,
): LostOutboundRange {
  return {
    fromSeqNum: Math.min(from ?? nextSender, nextSender),
    toSeqNum: expected - 1,
    source,
    policy,
  };
}

/** The warning logged when a lost outbound range is found. */
export function lostOutboundText(
  range: LostOutboundRange,
  expected: number,
  nextSender: number,
): string {
  return `Counterparty expects MsgSeqNum ${expected} but our next is ${nextSender}: ` +
    `outbound ${range.fromSeqNum}-${range.toSeqNum} lost (${range.source}); policy ${range.policy}`;
}

/** Default for {@linkcode LogonLoopOptions.shortSessionMs}. */
export const DEFAULT_LOGON_LOOP_SHORT_SESSION_MS = 30_000;
/** Default for {@linkcode LogonLoopOptions.connections}. */
export const DEFAULT_LOGON_LOOP_CONNECTIONS = 3;

/** Limits of {@linkcode LogonLoopDetector}. */
export interface LogonLoopOptions {
  /** A connection that ends within this time of its start counts as short. */
  readonly shortSessionMs?: number;
  /** This many short connections in a row make a loop. */
  readonly connections?: number;
}

/**
 * Counts connections that end soon after they start. `ended()` returns a
 * warning text once when a run of short connections reaches the limit; a
 * connection that lasts ends the run (and the next run is a new loop).
 */
export class LogonLoopDetector {
  readonly #shortMs: number;
  readonly #limit: number;
  #startedAtMs: number | undefined;
  #run = 0;
  #loops = 0;

  constructor(options: LogonLoopOptions = {}) {
    this.#shortMs = options.shortSessionMs ?? DEFAULT_LOGON_LOOP_SHORT_SESSION_MS;
    this.#limit = options.connections ?? DEFAULT_LOGON_LOOP_CONNECTIONS;
  }

  /** Loops detected so far (for a metric). */
  get loops(): number {
    return this.#loops;
  }

  /** Short connections in the current run. */
  get shortConnections(): number {
    return this.#run;
  }

  /** A connection started. */
  started(nowMs: number): void {
    this.#startedAtMs = nowMs;
  }

  /** The connection ended; returns a warning the first time a run becomes a loop. */
  ended(nowMs: number, reason: string): string | undefined {
    const at = this.#startedAtMs;
    this.#startedAtMs = undefined;
    if (at === undefined) return undefined;
    if (nowMs - at >= this.#shortMs) {
      this.#run = 0;
      return undefined;
    }
    this.#run++;
    if (this.#run !== this.#limit) return undefined;
    this.#loops++;
    return `Logon/logout loop: ${this.#run} connections in a row ended within ` +
      `${this.#shortMs} ms of starting; last reason: ${reason}`;
  }
}
