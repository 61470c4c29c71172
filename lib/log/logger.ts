/**
 * Structured logging: one JSON object per line (or a readable text line), with levels, context
 * carried by child loggers (`{session: "FIX.4.4:ISLD->TW44"}`), switchable FIX message logging and
 * secrets always redacted (see `redact.ts`).
 *
 * JSON line: `{"ts":"2026-11-24T05:30:00.123Z","level":"info","msg":"Logon accepted",…context,…fields}`.
 * Text line: `2026-11-24T05:30:00.123Z INFO  Logon accepted session=FIX.4.4:ISLD->TW44 seq=1`.
 *
 * A disabled level costs one comparison: pass fields as a function to defer building them.
 *
 * @module
 */

import { FixMessage } from "../fix/message.ts";
import { looksLikeFix, REDACTED, redactFix, redactionSet, SECRET_KEY_PATTERN } from "./redact.ts";

/** Severity levels, least severe first. */
export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;

/** A severity level. */
export type LogLevel = typeof LOG_LEVELS[number];

/** Output format of a line. */
export type LogFormat = "json" | "text";

/** Receives each formatted line (without the newline). */
export type LogSink = (line: string) => void;

/**
 * Receives each record written, after redaction, before formatting (see {@linkcode Logger.tap}).
 * The record holds `ts`, `level`, `msg`, the context and the fields; it must not be modified.
 */
export type LogTap = (level: LogLevel, record: Readonly<Record<string, unknown>>) => void;

/** Structured fields of a log line. */
export type LogFields = Readonly<Record<string, unknown>>;

/** Longest string value written; longer ones are cut with a note of how much was dropped. */
export const MAX_LOG_STRING_CHARS = 16_384;

/** Deepest nesting of field values written; deeper values become `"[…]"`. */
export const MAX_LOG_DEPTH = 8;

const RESERVED = new Set(["ts", "level", "msg"]);
const LEVEL_RANK: Readonly<Record<LogLevel, number>> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Options of a root {@linkcode Logger}. */
export interface LoggerOptions {
  /** Least severe level written; default `info`. */
  readonly level?: LogLevel;
  /** `json` (default) or `text`. */
  readonly format?: LogFormat;
  /** Where lines go; default {@linkcode stderrSink}. */
  readonly sink?: LogSink;
  /** Clock for timestamps; default `Date.now`. */
  readonly nowMs?: () => number;
  /** Tags masked in FIX text besides the always-masked ones. */
  readonly redactTags?: Iterable<number>;
  /** Whether {@linkcode Logger.fix} writes anything; default false. */
  readonly fixMessages?: boolean;
  /** Context fields on every line. */
  readonly context?: LogFields;
}

interface Core {
  rank: number;
  fixMessages: boolean;
  readonly format: LogFormat;
  readonly sink: LogSink;
  readonly nowMs: () => number;
  readonly tags: ReadonlySet<number>;
  readonly taps: Set<LogTap>;
}

/** Writes `line` and a newline to stderr synchronously (log lines are not on the hot path). */
export const stderrSink: LogSink = (line) => {
  const bytes = new TextEncoder().encode(line + "\n");
  let off = 0;
  while (off < bytes.length) off += Deno.stderr.writeSync(bytes.subarray(off));
};

/**
 * A logger. Children share the parent's level, sink and format and add context.
 *
 * @example
 * ```ts
 * const lines: string[] = [];
 * const log = new Logger({ sink: (l) => lines.push(l) });
 * log.child({ session: "FIX.4.4:ISLD->TW44" }).info("Logon accepted", { heartbeatIntervalS: 30 });
 * ```
 */
export class Logger {
  readonly #core: Core;
  readonly #context: LogFields;

  /** Creates a root logger. */
  constructor(options: LoggerOptions = {}, core?: Core) {
    this.#core = core ?? {
      rank: LEVEL_RANK[options.level ?? "info"],
      fixMessages: options.fixMessages ?? false,
      format: options.format ?? "json",
      sink: options.sink ?? stderrSink,
      nowMs: options.nowMs ?? Date.now,
      tags: redactionSet(options.redactTags),
      taps: new Set(),
    };
    this.#context = options.context ?? {};
  }

  /** A logger adding `context` to every line (on top of this logger's context). */
  child(context: LogFields): Logger {
    return new Logger({ context: { ...this.#context, ...context } }, this.#core);
  }

  /** The least severe level written (shared with parent and children). */
  get level(): LogLevel {
    return LOG_LEVELS.find((l) => LEVEL_RANK[l] === this.#core.rank)!;
  }

  /** Changes the level for this logger, its parent and all children. */
  set level(level: LogLevel) {
    this.#core.rank = LEVEL_RANK[level];
  }

  /** Whether FIX messages are logged (shared). */
  get fixMessages(): boolean {
    return this.#core.fixMessages;
  }

  set fixMessages(on: boolean) {
    this.#core.fixMessages = on;
  }

  /**
   * Calls `tap` with every record written from now on by this logger, its parent and all
   * children (for example to keep recent warnings for the operator's page); returns a function
   * that removes the tap. A tap that throws is removed and does not stop the line.
   */
  tap(tap: LogTap): () => void {
    this.#core.taps.add(tap);
    return () => this.#core.taps.delete(tap);
  }

  /** True when `level` would be written. */
  enabled(level: LogLevel): boolean {
    return LEVEL_RANK[level] >= this.#core.rank;
  }

  /** Logs at debug. */
  debug(msg: string, fields?: LogFields | (() => LogFields)): void {
    if (LEVEL_RANK.debug >= this.#core.rank) this.#write("debug", msg, fields);
  }

  /** Logs at info. */
  info(msg: string, fields?: LogFields | (() => LogFields)): void {
    if (LEVEL_RANK.info >= this.#core.rank) this.#write("info", msg, fields);
  }

  /** Logs at warn. */
  warn(msg: string, fields?: LogFields | (() => LogFields)): void {
    if (LEVEL_RANK.warn >= this.#core.rank) this.#write("warn", msg, fields);
  }

  /** Logs at error. */
  error(msg: string, fields?: LogFields | (() => LogFields)): void {
    if (LEVEL_RANK.error >= this.#core.rank) this.#write("error", msg, fields);
  }

  /**
   * Logs a FIX message sent (`out`) or received (`in`) at info, when FIX message logging is on.
   * The message is written with `|` separators and secrets masked, in the field `fix`.
   */
  fix(
    direction: "in" | "out",
    message: FixMessage | Uint8Array | string,
    fields?: LogFields,
  ): void {
    if (!this.#core.fixMessages || LEVEL_RANK.info < this.#core.rank) return;
    this.#write("info", direction === "in" ? "FIX in" : "FIX out", fields, {
      dir: direction,
      fix: redactFix(message, this.#core.tags),
    });
  }

  #write(
    level: LogLevel,
    msg: string,
    fields: LogFields | (() => LogFields) | undefined,
    redacted?: LogFields,
  ): void {
    const core = this.#core;
    const record: Record<string, unknown> = {
      ts: new Date(core.nowMs()).toISOString(),
      level,
      msg: cleanString(msg, core.tags),
    };
    addFields(record, this.#context, core.tags);
    if (fields !== undefined) {
      addFields(record, typeof fields === "function" ? fields() : fields, core.tags);
    }
    // Already redacted by the caller: written as is (redacting FIX text twice costs a pass).
    if (redacted !== undefined) Object.assign(record, redacted);
    // size check first: no Set iterator per line when no tap is set (the usual case)
    if (core.taps.size > 0) {
      for (const tap of core.taps) {
        try {
          tap(level, record);
        } catch {
          core.taps.delete(tap);
        }
      }
    }
    core.sink(core.format === "json" ? JSON.stringify(record) : formatText(record));
  }
}

function addFields(
  record: Record<string, unknown>,
  fields: LogFields,
  tags: ReadonlySet<number>,
): void {
  for (const key of Object.keys(fields)) {
    const name = RESERVED.has(key) ? `${key}_` : key;
    record[name] = SECRET_KEY_PATTERN.test(key) ? REDACTED : clean(fields[key], tags, 0);
  }
}

function clean(value: unknown, tags: ReadonlySet<number>, depth: number): unknown {
  switch (typeof value) {
    case "string":
      return cleanString(value, tags);
    case "number":
    case "boolean":
      return value;
    case "bigint":
      return value.toString();
    case "undefined":
      return null;
    case "symbol":
    case "function":
      return String(value);
  }
  if (value === null) return null;
  if (value instanceof FixMessage || value instanceof Uint8Array) return redactFix(value, tags);
  if (depth >= MAX_LOG_DEPTH) return "[…]";
  if (value instanceof Error) {
    const out: Record<string, unknown> = {
      name: value.name,
      message: cleanString(value.message, tags),
    };
    if (value.cause !== undefined) out.cause = clean(value.cause, tags, depth + 1);
    return out;
  }
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (Array.isArray(value)) return value.map((v) => clean(v, tags, depth + 1));
  if (value instanceof Map) {
    return clean(Object.fromEntries(value), tags, depth);
  }
  if (value instanceof Set) return clean([...value], tags, depth);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    out[k] = SECRET_KEY_PATTERN.test(k) ? REDACTED : clean(v, tags, depth + 1);
  }
  return out;
}

function cleanString(text: string, tags: ReadonlySet<number>): string {
  const s = looksLikeFix(text) ? redactFix(text, tags) : text;
  return s.length > MAX_LOG_STRING_CHARS
    ? `${s.slice(0, MAX_LOG_STRING_CHARS)}…(+${s.length - MAX_LOG_STRING_CHARS} chars)`
    : s;
}

function formatText(record: Record<string, unknown>): string {
  let line = `${record.ts} ${String(record.level).toUpperCase().padEnd(5)} ${record.msg}`;
  for (const [k, v] of Object.entries(record)) {
    if (RESERVED.has(k)) continue;
    const text = typeof v === "string" ? v : JSON.stringify(v);
    line += /^[^\s"=]*$/.test(text) && text.length > 0
      ? ` ${k}=${text}`
      : ` ${k}=${JSON.stringify(text)}`;
  }
  // One line per record, whatever the values hold.
  return line.replace(/[\r\n]/g, (c) => (c === "\n" ? "\\n" : "\\r"));
}

/** The `log` section of the configuration, as {@linkcode createLogger} needs it. */
export interface LogSettings {
  readonly level: LogLevel;
  readonly format: "json" | "text" | "auto";
  readonly fixMessages: boolean;
  readonly redactTags: readonly number[];
}

/** Options of {@linkcode createLogger}. */
export interface CreateLoggerOptions {
  /** Where lines go; default stderr. */
  readonly sink?: LogSink;
  /** Whether the sink is a terminal (picks `text` for format `auto`); default: stderr's. */
  readonly isTerminal?: boolean;
  /** Context on every line (like `{node: "tandem-a"}`). */
  readonly context?: LogFields;
  /** Clock; default `Date.now`. */
  readonly nowMs?: () => number;
}

/** Builds the root logger from the configuration's `log` section. */
export function createLogger(settings: LogSettings, options: CreateLoggerOptions = {}): Logger {
  const terminal = options.isTerminal ?? Deno.stderr.isTerminal();
  return new Logger({
    level: settings.level,
    format: settings.format === "auto" ? (terminal ? "text" : "json") : settings.format,
    fixMessages: settings.fixMessages,
    redactTags: settings.redactTags,
    ...(options.sink ? { sink: options.sink } : {}),
    ...(options.context ? { context: options.context } : {}),
    ...(options.nowMs ? { nowMs: options.nowMs } : {}),
  });
}
