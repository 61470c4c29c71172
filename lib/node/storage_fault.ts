/**
 * What a node does when its journal storage fails (a full disk, an I/O
 * error, a read-only file system): the one "storage failed" door.
 *
 * A node that cannot write its journal must not go on looking healthy. The
 * first failure, from whatever path it surfaced (an append by a session or an
 * application, a sync, a segment roll, retention, a replicated append), comes
 * here once, and the node then, in this order:
 *
 * 1. marks itself failed: `/health` and `/ready` answer 503 naming the file
 *    and the OS error, `/status` shows it, `tandem_storage_failed` is 1;
 * 2. stops serving: drops every FIX connection at once, without a Logout and
 *    without writing anything still queued (nothing unjournaled may reach a
 *    counterparty), and stops listening;
 * 3. gives up leadership: closes replication, so a secondary stops hearing
 *    heartbeats and promotes itself (`replication.autoPromoteAfterMs`) or can
 *    be promoted by command; a failed secondary stops following and acking;
 * 4. exits with {@linkcode ExitCode.StorageFailed}.
 *
 * Nothing acknowledged is lost: a record the journal could not write was
 * never released to a socket (write-ahead), and under `forever` everything
 * released is on the secondary.
 *
 * @module
 */

import type { Logger } from "../log/mod.ts";
import { JournalFailedError } from "../journal/mod.ts";
import { ExitCode } from "../cli/exit_codes.ts";

/** The failure, as shown on `/health`, `/ready` and `/status`. */
export interface StorageFault {
  /** The file whose write, sync or open failed (or the data directory). */
  file: string | null;
  /** The operating system's error, e.g. `No space left on device (os error 28)`. */
  osError: string;
  /** Where it surfaced first (`journal`, `retention`, …). */
  where: string;
  /** One line naming both. */
  message: string;
  /** When, ms since the Unix epoch. */
  atMs: number;
}

/** The node's part in stopping; each step is awaited in order, and a failing step does not stop the next. */
export interface FaultStopSteps {
  /** Drops FIX connections and stops listening. */
  stopServing(): Promise<void>;
  /** Stops replicating (a primary's heartbeats end, so the secondary promotes). */
  stopReplication(): Promise<void>;
}

/** Describes a storage error: the file and the OS error, from a {@linkcode JournalFailedError} or any error. */
export function describeStorageError(error: Error): { file: string | null; osError: string } {
  if (error instanceof JournalFailedError) {
    const cause = error.cause;
    return {
      file: error.file ?? null,
      osError: cause instanceof Error ? cause.message : error.message,
    };
  }
  return { file: null, osError: error.message };
}

/** The one door; see the module doc. */
export class StorageFaultStop {
  readonly #log: Logger;
  readonly #steps: FaultStopSteps;
  readonly #onStopped: (exitCode: number) => void;
  #fault: StorageFault | undefined;

  constructor(log: Logger, steps: FaultStopSteps, onStopped: (exitCode: number) => void) {
    this.#log = log;
    this.#steps = steps;
    this.#onStopped = onStopped;
  }

  /** The failure, once there was one. */
  get fault(): StorageFault | undefined {
    return this.#fault;
  }

  /**
   * Records the first storage failure and starts the stop (see the module
   * doc); later calls do nothing. Synchronous up to the first step, so health
   * reads failed from the moment it returns.
   */
  trip(error: Error, where: string, nowMs: number = Date.now()): void {
    if (this.#fault !== undefined) return;
    const { file, osError } = describeStorageError(error);
    const message = file === null
      ? `Cannot write the journal: ${osError}`
      : `Cannot write journal file ${file}: ${osError}`;
    this.#fault = { file, osError, where, message, atMs: nowMs };
    this.#log.error("Journal storage failed; the node stops serving and exits", {
      file,
      error: osError,
      where,
      exitCode: ExitCode.StorageFailed,
    });
    void this.#stop();
  }

  async #stop(): Promise<void> {
    for (
      const [name, step] of [
        ["stop serving", () => this.#steps.stopServing()],
        ["stop replication", () => this.#steps.stopReplication()],
      ] as const
    ) {
      try {
        await step();
      } catch (err) {
        this.#log.warn(`after the storage failure, could not ${name}`, {
          error: (err as Error).message,
        });
      }
    }
    this.#onStopped(ExitCode.StorageFailed);
  }
}
