/**
 * The callers waiting in {@linkcode Journal.durable}: kept sorted by index so
 * that each advance of the durable index resolves a prefix, and rejected
 * together when the journal fails, closes or is truncated.
 *
 * @module
 */

interface Waiter {
  index: number;
  resolve: () => void;
  reject: (err: Error) => void;
}

/** Pending waits for indices to become durable, sorted by index. */
export class DurableWaiters {
  #waiters: Waiter[] = [];

  /** A promise settled when `index` is resolved or rejected. */
  add(index: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const waiter = { index, resolve, reject };
      const waiters = this.#waiters;
      if (waiters.length === 0 || waiters[waiters.length - 1]!.index <= index) {
        waiters.push(waiter);
      } else {
        let lo = 0;
        let hi = waiters.length;
        while (lo < hi) {
          const mid = (lo + hi) >>> 1;
          if (waiters[mid]!.index <= index) lo = mid + 1;
          else hi = mid;
        }
        waiters.splice(lo, 0, waiter);
      }
    });
  }

  /** Resolves every wait for an index up to `durable`. */
  resolveThrough(durable: number): void {
    let i = 0;
    const waiters = this.#waiters;
    while (i < waiters.length && waiters[i]!.index <= durable) waiters[i++]!.resolve();
    if (i > 0) this.#waiters = i === waiters.length ? [] : waiters.slice(i);
  }

  /** Rejects every wait, each with `errorFor()`. */
  rejectAll(errorFor: () => Error): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w.reject(errorFor());
  }

  /** Keeps the waits up to `lastIndex`; rejects the others with `errorFor(index)`. */
  rejectAfter(lastIndex: number, errorFor: (index: number) => Error): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) {
      if (w.index <= lastIndex) this.#waiters.push(w);
      else w.reject(errorFor(w.index));
    }
  }
}
