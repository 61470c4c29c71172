/**
 * Tandem's YAML configuration: the schema (every key, its type, default, range and documentation
 * in one place), a pure loader that reports every problem with file, line, column and key path,
 * the file reader, and the value parsers shared with the CLI.
 *
 * Secrets come from the environment with `${ENV:NAME}` in any string value.
 *
 * @example
 * ```ts
 * import { loadConfig } from "./mod.ts";
 *
 * const config = loadConfig(
 *   [
 *     "node: { role: acceptor }",
 *     "fix: { listen: 127.0.0.1:9876 }",
 *     "sessions:",
 *     "  - { beginString: FIX.4.4, senderCompId: ISLD, targetCompId: TW44 }",
 *   ].join("\n"),
 *   { source: "tandem.yaml", env: {} },
 * );
 * config.fix.maxConnections; // 100
 * ```
 *
 * @module
 */

export {
  ConfigError,
  type ConfigOverrides,
  loadConfig,
  type LoadConfigOptions,
  loadWithSchema,
  MAX_CONFIG_BYTES,
  OVERRIDE_TARGETS,
  readConfigFile,
  type ReadConfigFileOptions,
  redactConfig,
} from "./load_config.ts";
export { checkApplicationNames } from "./applications.ts";
export {
  ACK_STRATEGIES,
  APPL_VER_ID_CODES,
  type ApplVerName,
  AUTO_PROMOTE_MIN_HEARTBEATS,
  BEGIN_STRINGS,
  type BeginString,
  BUILTIN_APPLICATIONS,
  MAX_SESSIONS,
  type SessionConfig,
  sessionKeyOf,
  type TandemConfig,
  tandemSchema,
  WEEKDAYS,
} from "./tandem_schema.ts";
export {
  type ConfigIssue,
  type Field,
  formatIssue,
  type Infer,
  MAX_CONFIG_ISSUES,
  type Origin,
  type TypeSpec,
} from "./schema.ts";
export { configOrigins } from "./_origins.ts";
export { MAX_DICTIONARY_FILE_BYTES, verifyConfigFiles } from "./verify_files.ts";
export { renderExample, renderTandemExample } from "./example.ts";
export { closestMatch, editDistance } from "./suggest.ts";
export {
  formatHostPort,
  type HostPort,
  isValidTimeZone,
  parseByteSize,
  parseDuration,
  parseHostPort,
  parseTimeOfDay,
} from "./values.ts";
