/**
 * The storage seam: everything the journal needs from a file system, and no
 * more. The real implementation is {@linkcode FileStorage} (Deno files in one
 * directory); {@linkcode MemoryStorage} keeps files in memory and can inject
 * torn writes, short reads, failing syncs and crashes that lose unsynced
 * bytes. One contract suite (`storage_contract_test.ts`) runs against both.
 *
 * Writes and reads are synchronous (`writeSync`/`readSync`): the journal
 * stages the records of one event-loop turn and writes them in one call, which
 * costs a couple of microseconds, where an awaited write costs tens. Only the
 * data sync is asynchronous, so that an `fdatasync` in flight does not block
 * appends (group commit).
 *
 * @module
 */

/** A file opened for appending. */
export interface StorageWriter {
  /** The name the file was opened with. */
  readonly name: string;
  /** Current length of the file in bytes (where the next append lands). */
  size(): number;
  /**
   * Appends every byte of `bytes` at the end of the file. Throws on failure; a
   * failed append may have written a prefix (a torn write).
   */
  append(bytes: Uint8Array): void;
  /** Cuts the file to `sizeBytes` (appends continue from there). */
  truncate(sizeBytes: number): void;
  /** Makes the written data durable (`fdatasync`). */
  sync(): Promise<void>;
  /** {@linkcode StorageWriter.sync}, blocking. Used on rare paths (segment roll, repair). */
  syncSync(): void;
  /** Releases the handle. Idempotent. */
  close(): void;
}

/** A file opened for positional reads. */
export interface StorageReader {
  /** Current length of the file in bytes. */
  size(): number;
  /**
   * Reads up to `into.length` bytes at `offset`; returns how many were read
   * (0 at end of file). May return fewer than asked (a short read).
   */
  readAt(offset: number, into: Uint8Array): number;
  /** Releases the handle. Idempotent. */
  close(): void;
}

/**
 * One directory of files. Names are plain file names, relative paths
 * (resolved against the directory; `openWriter` with `create` makes missing
 * parent directories) or absolute paths for files kept elsewhere.
 */
export interface JournalStorage {
  /** A human-readable location for error messages (a directory path, or `memory:`). */
  readonly location: string;
  /** Names of the regular files in the directory, unordered. */
  list(): string[];
  /** True if a file called `name` exists. */
  exists(name: string): boolean;
  /** Opens `name` for appending; `create` makes it (empty) if it does not exist. */
  openWriter(name: string, options: { create: boolean }): StorageWriter;
  /** Opens `name` for reading; throws `Deno.errors.NotFound`-like errors when missing. */
  openReader(name: string): StorageReader;
  /** Deletes `name`. */
  remove(name: string): void;
  /** Renames `from` to `to`, replacing `to` atomically. */
  rename(from: string, to: string): void;
  /** Makes the directory's entries (created, renamed, removed files) durable. */
  syncDirectory(): void;
}

/** Reads exactly `into.length` bytes at `offset`, looping over short reads; returns the count read (less only at end of file). */
export function readFully(reader: StorageReader, offset: number, into: Uint8Array): number {
  let done = 0;
  while (done < into.length) {
    const n = reader.readAt(offset + done, into.subarray(done));
    if (n <= 0) break;
    done += n;
  }
  return done;
}

/** Reads a whole file into memory. */
export function readWholeFile(storage: JournalStorage, name: string): Uint8Array {
  const reader = storage.openReader(name);
  try {
    const buf = new Uint8Array(reader.size());
    const n = readFully(reader, 0, buf);
    return n === buf.length ? buf : buf.subarray(0, n);
  } finally {
    reader.close();
  }
}
