/**
 * One writer per data directory: an exclusive advisory lock (`flock`, through
 * `Deno.FsFile.tryLockSync`) on the file `tandem.lock` in the directory, which
 * holds the holder's pid as text. The operating system releases the lock when
 * the process ends, however it ends (SIGKILL included), so a stale file never
 * blocks a restart; the pid in it is for the message only.
 *
 * A node takes the lock before it opens the journal and keeps it until the
 * journal is closed; `journal repair` takes it too. The read-only tools
 * (`dump`, `tail`, `verify`) do not need it.
 *
 * @module
 */

import { DataDirLockedError } from "./errors.ts";

/** Name of the lock file in the data directory. */
export const LOCK_FILE = "tandem.lock";

/** The pid written in the lock file of `dir`, when there is a readable one. */
function readHolderPid(dir: string): number | undefined {
  try {
    const n = Number(Deno.readTextFileSync(`${dir}/${LOCK_FILE}`).trim());
    return Number.isSafeInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

function lockedError(dir: string, doing: string): DataDirLockedError {
  const pid = readHolderPid(dir);
  return new DataDirLockedError(
    dir,
    pid,
    `Cannot ${doing} data directory ${dir}: it is locked by another process` +
      `${pid === undefined ? "" : ` (pid ${pid})`} holding ${dir}/${LOCK_FILE}; ` +
      `one node per data directory`,
  );
}

/**
 * The held lock of one data directory. Release it with `using`, or
 * {@linkcode DataDirLock.release} after the journal is closed.
 *
 * @example
 * ```ts
 * import { DataDirLock } from "./data_dir_lock.ts";
 * const dir = await Deno.makeTempDir();
 * using lock = DataDirLock.acquire(dir);
 * // ... open the journal in dir, run, close it ...
 * ```
 */
export class DataDirLock implements Disposable {
  /** The locked directory. */
  readonly dir: string;
  #file: Deno.FsFile | undefined;

  private constructor(dir: string, file: Deno.FsFile) {
    this.dir = dir;
    this.#file = file;
  }

  /**
   * Takes the lock of `dir` (created if missing) without waiting, and writes
   * this process's pid into the lock file.
   *
   * @param doing what the caller does, for the message (`run a node on`, `repair`)
   * @throws {DataDirLockedError} when another process (or another handle in this one) holds it
   * @throws {Deno.errors.PermissionDenied} and other OS errors when the file cannot be opened
   */
  static acquire(dir: string, doing = "use"): DataDirLock {
    Deno.mkdirSync(dir, { recursive: true });
    const file = Deno.openSync(`${dir}/${LOCK_FILE}`, { read: true, write: true, create: true });
    let locked = false;
    try {
      locked = file.tryLockSync(true);
    } finally {
      if (!locked) file.close();
    }
    if (!locked) throw lockedError(dir, doing);
    try {
      const pid = new TextEncoder().encode(`${Deno.pid}\n`);
      file.truncateSync(0);
      file.seekSync(0, Deno.SeekMode.Start);
      for (let done = 0; done < pid.length;) done += file.writeSync(pid.subarray(done));
    } catch (err) {
      file.close();
      throw err;
    }
    return new DataDirLock(dir, file);
  }

  /**
   * Fails with {@linkcode DataDirLockedError} if a process holds the lock of
   * `dir` now (a momentary check: the lock is taken and released at once).
   * A missing directory or lock file is not locked.
   */
  static checkUnlocked(dir: string, doing: string): void {
    let file: Deno.FsFile;
    try {
      file = Deno.openSync(`${dir}/${LOCK_FILE}`, { read: true, write: true });
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) return;
      throw err;
    }
    try {
      if (!file.tryLockSync(true)) throw lockedError(dir, doing);
      file.unlockSync();
    } finally {
      file.close();
    }
  }

  /** Releases the lock (the file stays, with the last pid in it). Idempotent. */
  release(): void {
    const file = this.#file;
    this.#file = undefined;
    if (file === undefined) return;
    try {
      file.unlockSync();
    } catch {
      // closing releases it anyway
    }
    file.close();
  }

  /** Same as {@linkcode DataDirLock.release}. */
  [Symbol.dispose](): void {
    this.release();
  }
}
