/**
 * Making written records durable by the sync policy: after each write,
 * `none` counts them durable at once, `always` starts a group commit (one
 * `fdatasync` covering everything written while the previous one was in
 * flight) and `interval` arms a timer. Tracks the durable index, the sync in
 * flight, and the writers of rolled segments that a sync in flight still uses.
 * `Journal` owns the written index, the waiters and the failure; it reaches
 * them through a {@linkcode SyncHost}.
 *
 * @module
 */

import type { SyncPolicy } from "./journal_options.ts";
import type { StorageWriter } from "./storage.ts";

/** What the syncer needs from the journal. */
export interface SyncHost {
  /** Highest index written to the OS. */
  writtenIndex(): number;
  /** Index of the last record (staged included). */
  lastIndex(): number;
  /** True once the journal is closed. */
  closed(): boolean;
  /** True once a write or sync has failed. */
  failed(): boolean;
  /** The writer of the active segment. */
  writer(): StorageWriter;
  /** Records a failed sync of file `name` (the journal's one door for failures). */
  fail(err: Error, name: string): void;
  /** Resolves the waiters up to the durable index. */
  resolveWaiters(): void;
}

/** The sync state of a journal: the durable index and the sync in flight. */
export class Syncer {
  /** Highest index durable under the sync policy. */
  durableIndex = 0;
  /** True while a sync runs. */
  inFlight = false;
  /** The pending `interval` sync, if armed. */
  timer: ReturnType<typeof setTimeout> | undefined;
  /** Settles when the last sync started settles. */
  idle: Promise<void> | undefined;
  /** Syncs started (metrics). */
  count = 0;
  #retiredWriters: StorageWriter[] = [];
  // The sync in flight (one at a time), kept in fields so that its handlers are two
  // functions made once, not two closures per sync.
  #syncWriter: StorageWriter | undefined;
  #syncTarget = 0;
  #syncFrom = 0;
  #syncStartedAt = 0;
  readonly #host: SyncHost;
  readonly #syncPolicy: SyncPolicy;
  readonly #syncIntervalMs: number;
  readonly #onSync: ((durationMs: number, records: number) => void) | undefined;

  constructor(
    host: SyncHost,
    syncPolicy: SyncPolicy,
    syncIntervalMs: number,
    onSync: ((durationMs: number, records: number) => void) | undefined,
  ) {
    this.#host = host;
    this.#syncPolicy = syncPolicy;
    this.#syncIntervalMs = syncIntervalMs;
    this.#onSync = onSync;
  }

  /** After a write: makes the written records durable by the policy. */
  afterWrite(): void {
    switch (this.#syncPolicy) {
      case "none":
        this.durableIndex = this.#host.writtenIndex();
        this.#host.resolveWaiters();
        break;
      case "always":
        this.start();
        break;
      case "interval":
        if (this.timer === undefined && !this.inFlight) {
          this.timer = setTimeout(() => {
            this.timer = undefined;
            this.start();
          }, this.#syncIntervalMs);
        }
        break;
      default: {
        const never: never = this.#syncPolicy;
        throw new TypeError(`Unknown sync policy ${never}`);
      }
    }
  }

  /** Starts a sync of the active segment unless one is in flight or nothing is unsynced. */
  start(): void {
    if (this.inFlight || this.#host.failed()) return;
    if (this.durableIndex >= this.#host.writtenIndex()) return;
    const writer = this.#host.writer();
    this.inFlight = true;
    this.count++;
    this.#syncWriter = writer;
    this.#syncTarget = this.#host.writtenIndex();
    this.#syncFrom = this.durableIndex;
    this.#syncStartedAt = this.#onSync ? performance.now() : 0;
    this.idle = writer.sync().then(this.#synced, this.#syncFailed);
  }

  readonly #synced = (): void => {
    const target = this.#syncTarget;
    this.inFlight = false;
    this.#syncWriter = undefined;
    this.#onSync?.(performance.now() - this.#syncStartedAt, target - this.#syncFrom);
    this.closeRetired();
    if (target > this.durableIndex) {
      this.durableIndex = Math.min(target, this.#host.lastIndex());
    }
    this.#host.resolveWaiters();
    if (this.#host.writtenIndex() > this.durableIndex && !this.#host.closed()) {
      if (this.#syncPolicy === "always") this.start();
      else if (this.timer === undefined) {
        this.timer = setTimeout(() => {
          this.timer = undefined;
          this.start();
        }, this.#syncIntervalMs);
      }
    }
  };

  readonly #syncFailed = (err: Error): void => {
    const writer = this.#syncWriter!;
    this.inFlight = false;
    this.#syncWriter = undefined;
    this.#host.fail(err, writer.name);
  };

  /** Closes a writer no longer written to, after the sync in flight if there is one. */
  retire(writer: StorageWriter): void {
    if (this.inFlight) this.#retiredWriters.push(writer);
    else writer.close();
  }

  /** Closes the retired writers. */
  closeRetired(): void {
    if (this.#retiredWriters.length === 0) return;
    for (const w of this.#retiredWriters) w.close();
    this.#retiredWriters = [];
  }
}
