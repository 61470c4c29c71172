/**
 * Helpers shared by the journal's tests.
 *
 * @module
 */

import { MemoryStorage } from "./memory_storage.ts";
import type { JournalStorage, StorageWriter } from "./storage.ts";

const encoder = new TextEncoder();

/** A small FIX-looking payload for `seqNum`, padded to about `sizeBytes`. */
export function fixPayload(seqNum: number, sizeBytes = 0): Uint8Array {
  const body = `8=FIX.4.4\x019=0\x0135=D\x0134=${seqNum}\x0149=ME\x0156=THEM\x01`;
  const pad = Math.max(0, sizeBytes - body.length - 8);
  return encoder.encode(`${body}58=${"x".repeat(pad)}\x0110=000\x01`);
}

/**
 * A memory storage whose syncs wait until the test releases them, to observe
 * group commit.
 */
export class GatedStorage extends MemoryStorage {
  readonly #pending: (() => void)[] = [];
  syncCalls = 0;

  override openWriter(name: string, options: { create: boolean }): StorageWriter {
    const inner = super.openWriter(name, options);
    return {
      ...inner,
      name: inner.name,
      sync: () => {
        this.syncCalls++;
        return new Promise<void>((resolve, reject) => {
          this.#pending.push(() => inner.sync().then(resolve, reject));
        });
      },
    };
  }

  /** Syncs waiting to be released. */
  get waiting(): number {
    return this.#pending.length;
  }

  /** Lets every waiting sync complete. */
  release(): void {
    for (const go of this.#pending.splice(0)) go();
  }
}

/** Waits until `predicate` holds, yielding to the event loop between checks. */
export async function until(
  predicate: () => boolean,
  what: string,
  maxTurns = 10_000,
): Promise<void> {
  for (let i = 0; i < maxTurns; i++) {
    if (predicate()) return;
    await new Promise((r) => setTimeout(r, 0));
  }
  throw new Error(`Timed out waiting until ${what}`);
}

/** Runs `fn` with a temp directory removed afterwards. */
export async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "tandem-journal-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Type guard kept for tests that take any storage. */
export function isMemory(storage: JournalStorage): storage is MemoryStorage {
  return storage instanceof MemoryStorage;
}
