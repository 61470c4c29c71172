/**
 * {@linkcode JournalStorage} on real files in one directory, through
 * `Deno.FsFile`'s synchronous calls.
 *
 * @module
 */

import type { JournalStorage, StorageReader, StorageWriter } from "./storage.ts";

function join(dir: string, name: string): string {
  return name.startsWith("/") ? name : `${dir}/${name}`;
}

class FileWriter implements StorageWriter {
  readonly name: string;
  #file: Deno.FsFile | undefined;
  #sizeBytes: number;

  constructor(name: string, file: Deno.FsFile) {
    this.name = name;
    this.#file = file;
    this.#sizeBytes = file.seekSync(0, Deno.SeekMode.End);
  }

  #open(): Deno.FsFile {
    if (this.#file === undefined) throw new Error(`Cannot use file ${this.name}: it is closed`);
    return this.#file;
  }

  size(): number {
    return this.#sizeBytes;
  }

  append(bytes: Uint8Array): void {
    const file = this.#open();
    let done = 0;
    try {
      // no view of the whole buffer: one fewer allocation per write
      while (done < bytes.length) done += file.writeSync(done === 0 ? bytes : bytes.subarray(done));
    } finally {
      this.#sizeBytes += done;
    }
  }

  truncate(sizeBytes: number): void {
    const file = this.#open();
    file.truncateSync(sizeBytes);
    file.seekSync(sizeBytes, Deno.SeekMode.Start);
    this.#sizeBytes = sizeBytes;
  }

  sync(): Promise<void> {
    return this.#open().syncData();
  }

  syncSync(): void {
    this.#open().syncDataSync();
  }

  close(): void {
    this.#file?.close();
    this.#file = undefined;
  }
}

class FileReader implements StorageReader {
  #file: Deno.FsFile | undefined;
  readonly #name: string;

  constructor(name: string, file: Deno.FsFile) {
    this.#name = name;
    this.#file = file;
  }

  #open(): Deno.FsFile {
    if (this.#file === undefined) throw new Error(`Cannot use file ${this.#name}: it is closed`);
    return this.#file;
  }

  size(): number {
    return this.#open().statSync().size;
  }

  readAt(offset: number, into: Uint8Array): number {
    const file = this.#open();
    file.seekSync(offset, Deno.SeekMode.Start);
    return file.readSync(into) ?? 0;
  }

  close(): void {
    this.#file?.close();
    this.#file = undefined;
  }
}

/**
 * Journal storage on the files of one directory (created if missing).
 *
 * @example
 * ```ts
 * import { FileStorage } from "./file_storage.ts";
 * const storage = new FileStorage(await Deno.makeTempDir());
 * ```
 */
export class FileStorage implements JournalStorage {
  /** The directory path. */
  readonly location: string;

  constructor(dir: string) {
    this.location = dir.length > 1 && dir.endsWith("/") ? dir.slice(0, -1) : dir;
    Deno.mkdirSync(this.location, { recursive: true });
  }

  list(): string[] {
    const names: string[] = [];
    for (const entry of Deno.readDirSync(this.location)) {
      if (entry.isFile) names.push(entry.name);
    }
    return names;
  }

  exists(name: string): boolean {
    try {
      return Deno.statSync(join(this.location, name)).isFile;
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) return false;
      throw err;
    }
  }

  openWriter(name: string, options: { create: boolean }): StorageWriter {
    const path = join(this.location, name);
    const slash = path.lastIndexOf("/");
    if (options.create && slash > 0) Deno.mkdirSync(path.slice(0, slash), { recursive: true });
    const file = Deno.openSync(path, {
      read: true,
      write: true,
      create: options.create,
    });
    return new FileWriter(name, file);
  }

  openReader(name: string): StorageReader {
    return new FileReader(name, Deno.openSync(join(this.location, name), { read: true }));
  }

  remove(name: string): void {
    Deno.removeSync(join(this.location, name));
  }

  rename(from: string, to: string): void {
    Deno.renameSync(join(this.location, from), join(this.location, to));
  }

  syncDirectory(): void {
    const dir = Deno.openSync(this.location, { read: true });
    try {
      dir.syncSync();
    } finally {
      dir.close();
    }
  }
}
