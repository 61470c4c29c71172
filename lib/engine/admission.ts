/**
 * Admission control for an acceptor's port: which connections may wait for a
 * Logon, and a summary of the refusals for the logs.
 *
 * A connection that has not logged on yet is *pending*. Pending connections
 * have their own bounds — at most {@linkcode AdmissionLimits.maxPendingConnections}
 * in all and {@linkcode AdmissionLimits.maxPendingPerAddress} from one source
 * address — and never count against the limit of logged-on sessions, so idle
 * or slow connections can never take the place of a configured session.
 *
 * When a bound is reached the *newest* connection is kept and the *oldest*
 * pending one is closed: from the same address when that address is at its
 * bound, else from the address holding the most pending connections. A
 * counterparty that connects and sends its Logon at once therefore always
 * gets its turn, and a flood from one address only ever evicts its own
 * connections while other addresses hold fewer than it does.
 *
 * {@linkcode RefusalSummary} turns any number of refusals into at most one log
 * line per interval, with counts by reason: the first refusal after a quiet
 * interval is logged at once, the rest are summed until the interval ends.
 *
 * Both classes are pure (no clock, no I/O): the time arrives as `nowMs`.
 *
 * @module
 */

/** Why a connection was refused or closed before it logged on. */
export type RefusalReason =
  /** The source address is not in `fix.allowedRemoteAddresses`. */
  | "address-not-allowed"
  /** The source address is not in the session's `allowedRemoteAddresses`. */
  | "session-address-not-allowed"
  /** Evicted: too many pending connections in all. */
  | "pending-limit"
  /** Evicted: too many pending connections from the same address. */
  | "address-pending-limit"
  /** No Logon within the logon timeout. */
  | "logon-timeout"
  /** As many sessions logged on as `fix.maxConnections` allows. */
  | "max-connections"
  /** The first message was garbled, not a Logon, or names no configured session. */
  | "bad-first-message"
  /** The session named is already connected. */
  | "already-connected"
  /** The node does not accept Logons now (standby). */
  | "not-accepting"
  /** Refused by the transport before the acceptor saw it (TLS handshake, TLS pending limit). */
  | "transport";

/** Every {@linkcode RefusalReason}, for metrics and docs. */
export const REFUSAL_REASONS: readonly RefusalReason[] = [
  "address-not-allowed",
  "session-address-not-allowed",
  "pending-limit",
  "address-pending-limit",
  "logon-timeout",
  "max-connections",
  "bad-first-message",
  "already-connected",
  "not-accepting",
  "transport",
];

/** Default for {@linkcode AdmissionLimits.maxPendingConnections}. */
export const DEFAULT_MAX_PENDING_CONNECTIONS = 64;
/** Default for {@linkcode AdmissionLimits.maxPendingPerAddress}. */
export const DEFAULT_MAX_PENDING_PER_ADDRESS = 8;
/** Default for {@linkcode RefusalSummary}'s interval. */
export const DEFAULT_REFUSAL_LOG_INTERVAL_MS = 10_000;
/** Most source addresses named in one summary line. */
export const MAX_ADDRESSES_IN_SUMMARY = 5;

export {
  type AdmissionLimits,
  type Admitted,
  PendingConnections,
} from "../transport/pending_connections.ts";

/** Counts of refusals since the last line, for {@linkcode RefusalSummary.record}'s caller. */
export interface RefusalLine {
  /** Refusals by reason in the interval (only reasons that occurred). */
  readonly counts: Readonly<Partial<Record<RefusalReason, number>>>;
  /** Refusals in all. */
  readonly total: number;
  /** Distinct source addresses. */
  readonly addresses: number;
  /** Up to {@linkcode MAX_ADDRESSES_IN_SUMMARY} of them, most refused first. */
  readonly topAddresses: readonly string[];
  /** The detail of the refusal, when the line is about one refusal. */
  readonly detail?: string;
}

/**
 * Refusals → at most one log line per interval (see the module doc). Call
 * {@linkcode RefusalSummary.record} for each refusal and
 * {@linkcode RefusalSummary.flush} at {@linkcode RefusalSummary.wakeAtMs}.
 */
export class RefusalSummary {
  readonly #intervalMs: number;
  #counts: Partial<Record<RefusalReason, number>> = {};
  #total = 0;
  #byAddress = new Map<string, number>();
  #windowEndsAtMs: number | undefined;

  /** @throws {RangeError} when `intervalMs` is not a positive integer */
  constructor(intervalMs = DEFAULT_REFUSAL_LOG_INTERVAL_MS) {
    if (!Number.isSafeInteger(intervalMs) || intervalMs < 1) {
      throw new RangeError(`Cannot use refusal log interval ${intervalMs} ms: must be at least 1`);
    }
    this.#intervalMs = intervalMs;
  }

  /** When the caller must call {@linkcode RefusalSummary.flush}; undefined when idle. */
  get wakeAtMs(): number | undefined {
    return this.#total > 0 ? this.#windowEndsAtMs : undefined;
  }

  /**
   * Counts one refusal. Returns a line to log at once when no interval is
   * running (the first refusal after a quiet interval); else undefined.
   */
  record(
    reason: RefusalReason,
    address: string,
    detail: string,
    nowMs: number,
  ): RefusalLine | undefined {
    if (this.#windowEndsAtMs === undefined || nowMs >= this.#windowEndsAtMs) {
      if (this.#total > 0) {
        // an interval ended without a flush: its counts go into the next line
        this.#add(reason, address);
        return undefined;
      }
      this.#windowEndsAtMs = nowMs + this.#intervalMs;
      return {
        counts: { [reason]: 1 },
        total: 1,
        addresses: 1,
        topAddresses: [address],
        detail,
      };
    }
    this.#add(reason, address);
    return undefined;
  }

  #add(reason: RefusalReason, address: string): void {
    this.#counts[reason] = (this.#counts[reason] ?? 0) + 1;
    this.#total++;
    this.#byAddress.set(address, (this.#byAddress.get(address) ?? 0) + 1);
  }

  /**
   * Ends the interval: returns the summary of the refusals counted since the
   * last line (undefined when there were none) and starts a new interval when
   * there were some.
   */
  flush(nowMs: number): RefusalLine | undefined {
    if (this.#total === 0) {
      this.#windowEndsAtMs = undefined;
      return undefined;
    }
    const top = [...this.#byAddress].sort((a, b) => b[1] - a[1])
      .slice(0, MAX_ADDRESSES_IN_SUMMARY).map(([a]) => a);
    const line: RefusalLine = {
      counts: this.#counts,
      total: this.#total,
      addresses: this.#byAddress.size,
      topAddresses: top,
    };
    this.#counts = {};
    this.#total = 0;
    this.#byAddress = new Map();
    this.#windowEndsAtMs = nowMs + this.#intervalMs;
    return line;
  }
}

/** One log line's text for a {@linkcode RefusalLine}. */
export function formatRefusalLine(line: RefusalLine, intervalMs: number): string {
  if (line.detail !== undefined) {
    return `${line.topAddresses[0]}: connection refused: ${line.detail} ` +
      `(further refusals are summarised every ${intervalMs} ms)`;
  }
  const counts = Object.entries(line.counts).map(([r, n]) => `${r}=${n}`).join(", ");
  return `${line.total} connections refused in the last ${intervalMs} ms (${counts}) ` +
    `from ${line.addresses} addresses (most: ${line.topAddresses.join(", ")})`;
}
