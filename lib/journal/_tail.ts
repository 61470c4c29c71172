/**
 * Following the journal ({@linkcode Journal.tail}): the wake-up tails wait on
 * (resolved by every append; a read-only journal also polls), the size of one
 * read batch, and the tail loop itself, which reads through a
 * {@linkcode TailSource} the journal provides.
 *
 * @module
 */

import type { Segment } from "./_segment.ts";
import { JournalTruncatedError } from "./errors.ts";
import type { JournalRecord } from "./record.ts";

/** Most bytes a tail reads in one go. */
const TAIL_BATCH_BYTES = 256 * 1024;

/** What a tail reads the journal through. */
export interface TailSource {
  /** Index of the first record still kept. */
  firstIndex(): number;
  /** Index of the last record (staged included). */
  lastIndex(): number;
  /** True once the journal is closed. */
  closed(): boolean;
  /** The error to throw when the journal has failed; undefined while it has not. */
  failed(): Error | undefined;
  /** Consecutive records from `from` (at least one), within one segment. */
  readBatch(from: number): JournalRecord[];
  /** Resolves on the next append (or poll), or when `signal` aborts. */
  waitForAppend(signal: AbortSignal | undefined): Promise<void>;
  /** Called after each wait: a read-only journal picks up other processes' appends. */
  afterWait(): void;
}

/** The last index of a read batch from `from`: at most `TAIL_BATCH_BYTES` past its start, at least `from`, at most `last`. */
export function tailBatchEnd(segment: Segment, from: number, last: number): number {
  const start = segment.offsets[from - segment.firstIndex]!;
  let to = from;
  while (
    to < last &&
    segment.range(to + 1 - segment.firstIndex)[1] - start <= TAIL_BATCH_BYTES
  ) to++;
  return to;
}

/** The wake-up of tails waiting for appends. */
export class AppendWake {
  #appendWake: { promise: Promise<void>; resolve: () => void } | undefined;

  /** Wakes every waiting tail. */
  wake(): void {
    const wake = this.#appendWake;
    if (wake !== undefined) {
      this.#appendWake = undefined;
      wake.resolve();
    }
  }

  /**
   * Resolves at the next {@linkcode AppendWake.wake}, after `pollIntervalMs`
   * when given (a read-only journal), or when `signal` aborts.
   */
  wait(signal: AbortSignal | undefined, pollIntervalMs: number | undefined): Promise<void> {
    if (this.#appendWake === undefined) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      this.#appendWake = { promise, resolve };
    }
    const wake = this.#appendWake.promise;
    const timers: ReturnType<typeof setTimeout>[] = [];
    const racers: Promise<void>[] = [wake];
    if (pollIntervalMs !== undefined) {
      racers.push(new Promise((r) => timers.push(setTimeout(r, pollIntervalMs))));
    }
    if (signal === undefined) {
      return Promise.race(racers).finally(() => timers.forEach(clearTimeout));
    }
    let onAbort: () => void = () => {};
    racers.push(
      new Promise<void>((r) => {
        onAbort = r;
        signal.addEventListener("abort", onAbort, { once: true });
      }),
    );
    return Promise.race(racers).finally(() => {
      signal.removeEventListener("abort", onAbort);
      timers.forEach(clearTimeout);
    });
  }
}

/**
 * The loop of {@linkcode Journal.tail}: yields every record from `fromIndex`
 * on, then waits for appends. Ends when `signal` aborts or the journal closes.
 *
 * @throws {RangeError} when `fromIndex`, or the next record of a lagging tail, was removed by retention
 * @throws {JournalTruncatedError} when records the tail already passed are truncated away
 */
export async function* followJournal(
  source: TailSource,
  fromIndex: number,
  options: { signal?: AbortSignal },
): AsyncGenerator<JournalRecord, void, undefined> {
  const { signal } = options;
  let next = Math.max(fromIndex, 1);
  if (next < source.firstIndex()) {
    throw new RangeError(
      `Cannot tail from index ${fromIndex}: records before ${source.firstIndex()} were removed`,
    );
  }
  while (true) {
    if (signal?.aborted || source.closed()) return;
    const failed = source.failed();
    if (failed !== undefined) throw failed;
    if (next < source.firstIndex()) {
      throw new RangeError(
        `Cannot continue tail at index ${next}: retention removed records before ${source.firstIndex()}`,
      );
    }
    if (next > source.lastIndex() + 1) {
      throw new JournalTruncatedError(
        source.lastIndex() + 1,
        `Cannot continue tail at index ${next}: the journal was truncated after ${source.lastIndex()}`,
      );
    }
    if (next <= source.lastIndex()) {
      for (const record of source.readBatch(next)) {
        yield record;
        next = record.index + 1;
        if (signal?.aborted || source.closed()) return;
      }
      continue;
    }
    await source.waitForAppend(signal);
    source.afterWait();
  }
}
