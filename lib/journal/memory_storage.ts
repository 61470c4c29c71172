/**
 * {@linkcode JournalStorage} in memory, with fault injection for tests: torn
 * writes, short reads, failing syncs, and crashes that keep only what was
 * synced (plus, optionally, part of what was not).
 *
 * @module
 */

import type { JournalStorage, StorageReader, StorageWriter } from "./storage.ts";

class MemFile {
  data = new Uint8Array(256);
  length = 0;
  /** Length at the last sync: the bytes that survive a crash for sure. */
  syncedLength = 0;

  ensure(capacity: number): void {
    if (capacity <= this.data.length) return;
    let size = this.data.length * 2;
    while (size < capacity) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.data.subarray(0, this.length));
    this.data = grown;
  }

  bytes(): Uint8Array {
    return this.data.slice(0, this.length);
  }
}

function diskFullError(name: string): Error {
  return new Error(`No space left on device (os error 28), injected on memory:${name}`);
}

function notFound(name: string): Error {
  return new Deno.errors.NotFound(`No such file: memory:${name}`);
}

/**
 * In-memory journal storage.
 *
 * @example
 * ```ts
 * import { MemoryStorage } from "./memory_storage.ts";
 * const storage = new MemoryStorage();
 * storage.failSyncs = true; // every sync from now on rejects
 * ```
 */
export class MemoryStorage implements JournalStorage {
  readonly location = "memory:";
  readonly #files = new Map<string, MemFile>();
  /** When true, every `sync()`/`syncSync()` fails with an I/O error. */
  failSyncs = false;
  /** When set, the next append writes only this many bytes and then throws. */
  tearNextAppendAtBytes: number | undefined;
  /**
   * When true, the disk is full: every append, file creation and rename fails
   * with "No space left on device" (nothing is written).
   */
  diskFull = false;
  /** When set, every read returns at most this many bytes (short reads). */
  maxReadBytes: number | undefined;
  /** Counts calls, for tests that prove coalescing. */
  readonly counts = { appends: 0, syncs: 0 };

  list(): string[] {
    return [...this.#files.keys()].filter((name) => !name.includes("/"));
  }

  exists(name: string): boolean {
    return this.#files.has(name);
  }

  #get(name: string): MemFile {
    const file = this.#files.get(name);
    if (file === undefined) throw notFound(name);
    return file;
  }

  /** The current contents of `name` (a copy). */
  fileBytes(name: string): Uint8Array {
    return this.#get(name).bytes();
  }

  /** Replaces the contents of `name` (creating it), as if written and synced. */
  setFileBytes(name: string, bytes: Uint8Array): void {
    const file = new MemFile();
    file.ensure(bytes.length);
    file.data.set(bytes);
    file.length = bytes.length;
    file.syncedLength = bytes.length;
    this.#files.set(name, file);
  }

  /**
   * A new storage holding what a machine crash would leave: every file cut to
   * its synced length plus `keepUnsynced(name, unsyncedBytes)` of the bytes
   * written after the last sync (default 0).
   */
  crash(keepUnsynced: (name: string, unsyncedBytes: number) => number = () => 0): MemoryStorage {
    const after = new MemoryStorage();
    for (const [name, file] of this.#files) {
      const synced = Math.min(file.syncedLength, file.length);
      const extra = Math.max(
        0,
        Math.min(file.length - synced, keepUnsynced(name, file.length - synced)),
      );
      after.setFileBytes(name, file.data.subarray(0, synced + extra));
    }
    return after;
  }

  openWriter(name: string, options: { create: boolean }): StorageWriter {
    let file = this.#files.get(name);
    if (file === undefined) {
      if (!options.create) throw notFound(name);
      if (this.diskFull) throw diskFullError(name);
      file = new MemFile();
      this.#files.set(name, file);
    }
    const f = file;
    let closed = false;
    const check = () => {
      if (closed) throw new Error(`Cannot use file ${name}: it is closed`);
    };
    const syncNow = () => {
      check();
      this.counts.syncs++;
      if (this.failSyncs) {
        throw new Deno.errors.Interrupted(`Injected sync failure on memory:${name}`);
      }
      f.syncedLength = f.length;
    };
    return {
      name,
      size: () => f.length,
      append: (bytes) => {
        check();
        this.counts.appends++;
        if (this.diskFull) throw diskFullError(name);
        const tear = this.tearNextAppendAtBytes;
        const n = tear === undefined ? bytes.length : Math.min(tear, bytes.length);
        f.ensure(f.length + n);
        f.data.set(bytes.subarray(0, n), f.length);
        f.length += n;
        if (tear !== undefined) {
          this.tearNextAppendAtBytes = undefined;
          throw new Deno.errors.WriteZero(`Injected torn write on memory:${name} after ${n} bytes`);
        }
      },
      truncate: (sizeBytes) => {
        check();
        f.ensure(sizeBytes);
        if (sizeBytes > f.length) f.data.fill(0, f.length, sizeBytes);
        f.length = sizeBytes;
        f.syncedLength = Math.min(f.syncedLength, sizeBytes);
      },
      sync: () => {
        try {
          syncNow();
          return Promise.resolve();
        } catch (err) {
          return Promise.reject(err);
        }
      },
      syncSync: syncNow,
      close: () => {
        closed = true;
      },
    };
  }

  openReader(name: string): StorageReader {
    const f = this.#get(name);
    let closed = false;
    const check = () => {
      if (closed) throw new Error(`Cannot use file ${name}: it is closed`);
    };
    return {
      size: () => {
        check();
        return f.length;
      },
      readAt: (offset, into) => {
        check();
        if (offset >= f.length) return 0;
        let n = Math.min(into.length, f.length - offset);
        if (this.maxReadBytes !== undefined) n = Math.min(n, this.maxReadBytes);
        into.set(f.data.subarray(offset, offset + n));
        return n;
      },
      close: () => {
        closed = true;
      },
    };
  }

  remove(name: string): void {
    this.#get(name);
    this.#files.delete(name);
  }

  rename(from: string, to: string): void {
    if (this.diskFull) throw diskFullError(to);
    const file = this.#get(from);
    this.#files.delete(from);
    this.#files.set(to, file);
  }

  syncDirectory(): void {}
}
