/**
 * An in-memory {@linkcode ReplicationJournal} for tests of the replication
 * protocol without the real journal: records in an array, a tail that wakes
 * on append, durability that can be held back, truncation into a map.
 *
 * @module
 */

import type { PromotableJournal, ReplicationRecord } from "./journal_port.ts";

/** EpochChange kind, as in the journal's `RecordKind`. */
export const EPOCH_CHANGE_KIND = 6;

export class MemoryJournal implements PromotableJournal {
  readonly records: ReplicationRecord[] = [];
  epoch: number;
  /** Truncated suffixes by quarantine path. */
  readonly quarantined = new Map<string, ReplicationRecord[]>();
  /** When set, `durable()` waits for `releaseDurable()`. */
  holdDurable = false;
  /**
   * Whether `flush()` and `durableIndex` are offered (set before a follower
   * starts), as by the file journal: `flush()` makes everything appended
   * durable unless `holdDurable`, the way a write does under sync policy `none`.
   */
  flushable = false;
  /** While true, `durable()` waits for `releaseDurable()` even when `flush()` made the record durable. */
  stallDurable = false;
  /** While true (with `flushable`), `flush()` throws as a failed write does. */
  failFlush = false;
  /** Calls of `flush()` so far. */
  flushes = 0;
  #durableIndex = 0;
  #held: { index: number; resolve: () => void }[] = [];
  #waiters: (() => void)[] = [];
  readonly #writeWatchers = new Set<(records: readonly ReplicationRecord[]) => void>();
  /**
   * Whether {@linkcode watchWrites} is offered (set before the leader starts);
   * false makes the leader stream everything through `tail`, as with a journal
   * that cannot be watched.
   */
  watchable = true;
  /** Records told to write watchers so far. */
  watchedRecords = 0;
  /** Write watchers registered now. */
  get writeWatcherCount(): number {
    return this.#writeWatchers.size;
  }
  /** While true, appends are not told to write watchers (to make a watcher miss records). */
  quiet = false;

  constructor(epoch = 1) {
    this.epoch = epoch;
  }

  get lastIndex(): number {
    return this.records.length;
  }

  read(index: number): ReplicationRecord | undefined {
    return this.records[index - 1];
  }

  /** Leader-side append in the current epoch. */
  append(kind: number, payload: Uint8Array, timestampMs = 0, seqNum = 0): number {
    const index = this.lastIndex + 1;
    const record = { index, epoch: this.epoch, kind, sessionId: 1, seqNum, timestampMs, payload };
    this.records.push(record);
    this.#tellWriteWatchers([record]);
    this.#wake();
    return index;
  }

  /** Appends several records, told to write watchers as one run (like one journal flush). */
  appendRun(payloads: readonly Uint8Array[], kind = 1): number {
    const run: ReplicationRecord[] = payloads.map((payload, k) => ({
      index: this.lastIndex + 1 + k,
      epoch: this.epoch,
      kind,
      sessionId: 1,
      seqNum: 0,
      timestampMs: 0,
      payload,
    }));
    this.records.push(...run);
    this.#tellWriteWatchers(run);
    this.#wake();
    return this.lastIndex;
  }

  get watchWrites():
    | ((watcher: (records: readonly ReplicationRecord[]) => void) => () => void)
    | undefined {
    if (!this.watchable) return undefined;
    return (watcher) => {
      this.#writeWatchers.add(watcher);
      return () => void this.#writeWatchers.delete(watcher);
    };
  }

  #tellWriteWatchers(records: readonly ReplicationRecord[]): void {
    if (this.#writeWatchers.size === 0 || this.quiet) return;
    this.watchedRecords += records.length;
    for (const w of this.#writeWatchers) w(records);
  }

  /** Starts a new epoch with an EpochChange record. */
  beginEpoch(epoch: number, _reason = ""): number {
    if (epoch <= this.epoch) throw new RangeError(`Cannot start epoch ${epoch}: at ${this.epoch}`);
    this.epoch = epoch;
    return this.append(EPOCH_CHANGE_KIND, new Uint8Array([epoch]));
  }

  appendReplicated(record: ReplicationRecord): number {
    if (record.index !== this.lastIndex + 1) {
      throw new RangeError(`Cannot append index ${record.index}: last is ${this.lastIndex}`);
    }
    this.records.push({ ...record, payload: record.payload.slice() });
    if (record.epoch > this.epoch) this.epoch = record.epoch;
    this.#wake();
    return record.index;
  }

  durable(index: number): Promise<void> {
    if (!this.holdDurable && !this.stallDurable) return Promise.resolve();
    return new Promise((resolve) => this.#held.push({ index, resolve }));
  }

  get durableIndex(): number | undefined {
    return this.flushable ? this.#durableIndex : undefined;
  }

  get flush(): (() => void) | undefined {
    if (!this.flushable) return undefined;
    return () => {
      if (this.failFlush) throw new Error("Cannot write journal file: injected I/O error");
      this.flushes++;
      if (!this.holdDurable) this.#durableIndex = this.lastIndex;
    };
  }

  releaseDurable(): void {
    this.#durableIndex = this.lastIndex;
    const held = this.#held;
    this.#held = [];
    for (const h of held) h.resolve();
  }

  truncateAfter(index: number, quarantinePath: string): void {
    this.quarantined.set(quarantinePath, this.records.splice(index));
    this.#durableIndex = Math.min(this.#durableIndex, index);
    this.epoch = this.records.reduce((e, r) => Math.max(e, r.epoch), 0);
    this.#wake();
  }

  async *tail(
    fromIndex: number,
    options: { signal: AbortSignal },
  ): AsyncGenerator<ReplicationRecord> {
    let next = fromIndex;
    const { signal } = options;
    while (!signal.aborted) {
      while (next <= this.lastIndex) {
        yield this.records[next - 1]!;
        next++;
        if (signal.aborted) return;
      }
      await new Promise<void>((resolve) => {
        const onAbort = () => resolve();
        signal.addEventListener("abort", onAbort, { once: true });
        this.#waiters.push(() => {
          signal.removeEventListener("abort", onAbort);
          resolve();
        });
      });
    }
  }

  /**
   * Resolves once `predicate` holds, checked now and after every change;
   * rejects after `timeoutMs` naming `what` (a test watchdog, never a sleep).
   */
  until(predicate: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
    if (predicate()) return Promise.resolve();
    const { promise, resolve, reject } = Promise.withResolvers<void>();
    const watchdog: { timer?: ReturnType<typeof setTimeout> } = {};
    const check = () => {
      if (!predicate()) return;
      clearTimeout(watchdog.timer);
      this.#watchers.delete(check);
      resolve();
    };
    // Register before arming the timer: the first timer armed inside a Deno
    // test drains the microtask queue synchronously.
    this.#watchers.add(check);
    watchdog.timer = setTimeout(() => {
      this.#watchers.delete(check);
      reject(new Error(`timed out waiting for ${what}`));
    }, timeoutMs);
    return promise;
  }

  readonly #watchers = new Set<() => void>();

  #wake(): void {
    for (const w of [...this.#watchers]) w();
    const w = this.#waiters;
    this.#waiters = [];
    for (const f of w) f();
  }
}
