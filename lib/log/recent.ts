/**
 * A bounded ring of the most recent warn and error log records, for the operator's page: tapped
 * from a {@linkcode Logger} (records arrive already redacted), each kept as a short entry with a
 * sequence number so a reader can ask for what is new since the last entry it saw.
 *
 * Memory is bounded twice: at most `maxEntries` entries, each with at most `maxEntryChars`
 * characters of message and of fields. Log text can carry what a counterparty sent (CompIDs,
 * Text fields): whoever renders an entry must escape it.
 *
 * @example
 * ```ts
 * import { Logger } from "./logger.ts";
 * import { RecentLog } from "./recent.ts";
 *
 * const recent = new RecentLog();
 * const log = new Logger({ sink: () => {} });
 * const untap = log.tap(recent.tap);
 * log.warn("Logon refused", { session: "FIX.4.4:EXEC->CLIENT" });
 * // recent.entries()[0].msg === "Logon refused"
 * untap();
 * ```
 *
 * @module
 */

import type { LogLevel, LogTap } from "./logger.ts";

/** Entries a {@linkcode RecentLog} keeps by default. */
export const DEFAULT_RECENT_LOG_ENTRIES = 200;

/** Characters of message, and of fields, an entry keeps by default. */
export const DEFAULT_RECENT_LOG_ENTRY_CHARS = 1_024;

/** One kept log record. */
export interface RecentLogEntry {
  /** Increases by one per entry kept since the ring was created (starts at 1). */
  readonly seq: number;
  /** The record's timestamp (ISO 8601). */
  readonly ts: string;
  /** `warn` or `error`. */
  readonly level: LogLevel;
  /** The message, cut to the entry limit. */
  readonly msg: string;
  /** The other fields (context included) as compact JSON, cut to the entry limit. */
  readonly fields: string;
}

/** Options of {@linkcode RecentLog}. */
export interface RecentLogOptions {
  /** Entries kept; default {@linkcode DEFAULT_RECENT_LOG_ENTRIES}. */
  readonly maxEntries?: number;
  /** Characters of message and of fields kept; default {@linkcode DEFAULT_RECENT_LOG_ENTRY_CHARS}. */
  readonly maxEntryChars?: number;
}

/** See the module doc. */
export class RecentLog {
  readonly #max: number;
  readonly #chars: number;
  readonly #ring: RecentLogEntry[] = [];
  #seq = 0;

  /** Creates an empty ring. */
  constructor(options: RecentLogOptions = {}) {
    this.#max = options.maxEntries ?? DEFAULT_RECENT_LOG_ENTRIES;
    this.#chars = options.maxEntryChars ?? DEFAULT_RECENT_LOG_ENTRY_CHARS;
    if (!Number.isSafeInteger(this.#max) || this.#max < 1) {
      throw new RangeError(`Cannot create RecentLog: maxEntries must be ≥ 1, got ${this.#max}`);
    }
    if (!Number.isSafeInteger(this.#chars) || this.#chars < 16) {
      throw new RangeError(
        `Cannot create RecentLog: maxEntryChars must be ≥ 16, got ${this.#chars}`,
      );
    }
  }

  /** A {@linkcode LogTap} keeping warn and error records (pass to `Logger.tap`). */
  readonly tap: LogTap = (level, record) => {
    if (level !== "warn" && level !== "error") return;
    const { ts, msg, level: _level, ...fields } = record;
    const rest = Object.keys(fields).length === 0 ? "" : JSON.stringify(fields);
    this.#ring.push({
      seq: ++this.#seq,
      ts: String(ts),
      level,
      msg: this.#cut(String(msg)),
      fields: this.#cut(rest),
    });
    if (this.#ring.length > this.#max) this.#ring.shift();
  };

  /** Sequence number of the latest entry (0 when none was ever kept). */
  get lastSeq(): number {
    return this.#seq;
  }

  /** Kept entries with `seq` greater than `afterSeq`, oldest first. */
  entries(afterSeq = 0): RecentLogEntry[] {
    return this.#ring.filter((e) => e.seq > afterSeq);
  }

  #cut(text: string): string {
    return text.length <= this.#chars
      ? text
      : `${text.slice(0, this.#chars)}… (${text.length - this.#chars} more characters)`;
  }
}
