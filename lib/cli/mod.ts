/**
 * The `tandem` command line: argument parsing (pure), help text, exit codes, the promote client
 * and {@linkcode runCli}, which `main.ts` calls.
 *
 * @example
 * ```ts
 * import { parseCliArgs } from "./mod.ts";
 *
 * const command = parseCliArgs(["check-config", "tandem.yaml"]);
 * // { kind: "check-config", configPath: "tandem.yaml", overrides: {} }
 * ```
 *
 * @module
 */

export {
  ADMIN_TOKEN_ENV,
  type CliCommand,
  CliUsageError,
  COMMAND_NAMES,
  type CommandName,
  DEFAULT_PROMOTE_TIMEOUT_MS,
  parseCliArgs,
} from "./cli_args.ts";
export {
  type ClusterSummary,
  fetchNodeStatus,
  formatClusterStatus,
  type MemberRow,
  type StatusRequestOptions,
  type StatusResult,
  summarizeCluster,
} from "./cluster_status.ts";
export { EXIT_CODE_MEANINGS, ExitCode, type ExitCodeValue } from "./exit_codes.ts";
export { helpText } from "./help.ts";
export {
  MAX_PROMOTE_RESPONSE_BYTES,
  type PromoteOptions,
  type PromoteResult,
  requestPromotion,
} from "./promote.ts";
export { type CliIo, type CliOptions, processIo, runCli, summarizeConfig } from "./run_cli.ts";
export { runNode, type RunNodeOptions } from "./run_main.ts";
