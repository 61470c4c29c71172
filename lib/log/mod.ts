/**
 * Structured logs for Tandem: JSON lines (or text on a terminal), levels, child loggers carrying
 * session context, switchable FIX message logging, secrets always redacted.
 *
 * @example
 * ```ts
 * import { Logger } from "./mod.ts";
 *
 * const lines: string[] = [];
 * const log = new Logger({ sink: (l) => lines.push(l), fixMessages: true });
 * const session = log.child({ session: "FIX.4.4:ISLD->TW44" });
 * session.fix("in", "8=FIX.4.4|35=A|553=alice|554=hunter2|");
 * // lines[0] contains "554=***", never "hunter2"
 * ```
 *
 * @module
 */

export {
  createLogger,
  type CreateLoggerOptions,
  LOG_LEVELS,
  type LogFields,
  type LogFormat,
  Logger,
  type LoggerOptions,
  type LogLevel,
  type LogSettings,
  type LogSink,
  type LogTap,
  MAX_LOG_DEPTH,
  MAX_LOG_STRING_CHARS,
  stderrSink,
} from "./logger.ts";
export {
  ALWAYS_REDACTED_TAGS,
  looksLikeFix,
  REDACTED,
  redactFix,
  redactionSet,
  SECRET_KEY_PATTERN,
} from "./redact.ts";
