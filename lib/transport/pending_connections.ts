/**
 * Bounds on connections that are not established yet (a FIX connection
 * before Logon, a TLS connection in its handshake), by source address: when
 * a bound is reached the *oldest* pending connection makes way for the new
 * one — from the same address when that address is at its bound, else from
 * the address holding the most. A peer that connects and completes its part
 * at once therefore always gets its turn, and a flood from one address only
 * evicts its own connections while other addresses hold fewer.
 *
 * Pure: no clock, no I/O.
 *
 * @module
 */

/** Bounds on pending connections. */
export interface AdmissionLimits {
  /** Pending connections in all. */
  readonly maxPendingConnections: number;
  /** Pending connections from one source address. */
  readonly maxPendingPerAddress: number;
}

/** What {@linkcode PendingConnections.admit} decides: evict this one (if any) to make room. */
export interface Admitted<C> {
  /** The pending connection to close, and why. */
  readonly evict?: { readonly conn: C; readonly reason: "pending-limit" | "address-pending-limit" };
}

/** The pending connections by source address; see the module doc. */
export class PendingConnections<C> {
  readonly #limits: AdmissionLimits;
  readonly #byAddress = new Map<string, Set<C>>();
  readonly #addressOf = new Map<C, string>();

  /** @throws {RangeError} when a limit is not a positive integer */
  constructor(limits: AdmissionLimits) {
    for (const [k, v] of Object.entries(limits)) {
      if (!Number.isSafeInteger(v) || v < 1) {
        throw new RangeError(`Cannot use ${k} ${v}: must be an integer of at least 1`);
      }
    }
    this.#limits = limits;
  }

  /** Pending connections now. */
  get size(): number {
    return this.#addressOf.size;
  }

  /** Pending connections from `address` now. */
  countFrom(address: string): number {
    return this.#byAddress.get(address)?.size ?? 0;
  }

  /**
   * Adds `conn` from `address` as pending; returns the connection to evict
   * (already removed from the pending set) when a bound was reached.
   */
  admit(conn: C, address: string): Admitted<C> {
    let evict: Admitted<C>["evict"];
    const own = this.#byAddress.get(address);
    if (own !== undefined && own.size >= this.#limits.maxPendingPerAddress) {
      evict = { conn: own.values().next().value as C, reason: "address-pending-limit" };
    } else if (this.size >= this.#limits.maxPendingConnections) {
      let fullest: Set<C> | undefined;
      for (const set of this.#byAddress.values()) {
        if (fullest === undefined || set.size > fullest.size) fullest = set;
      }
      if (fullest !== undefined) {
        evict = { conn: fullest.values().next().value as C, reason: "pending-limit" };
      }
    }
    if (evict !== undefined) this.remove(evict.conn);
    let set = this.#byAddress.get(address);
    if (set === undefined) this.#byAddress.set(address, set = new Set());
    set.add(conn);
    this.#addressOf.set(conn, address);
    return evict === undefined ? {} : { evict };
  }

  /** Removes `conn` (it logged on or closed); false when it was not pending. */
  remove(conn: C): boolean {
    const address = this.#addressOf.get(conn);
    if (address === undefined) return false;
    this.#addressOf.delete(conn);
    const set = this.#byAddress.get(address)!;
    set.delete(conn);
    if (set.size === 0) this.#byAddress.delete(address);
    return true;
  }
}
