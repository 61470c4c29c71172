/**
 * The `tandem` command: parses the arguments, runs the command, returns the exit code. Output goes
 * through an injected {@linkcode CliIo} so tests can run commands in-process; `main.ts` passes the
 * real process streams.
 *
 * @module
 */

import {
  DataDirLockedError,
  JournalCorruptionError,
  JournalFailedError,
  JournalRewindError,
} from "../journal/errors.ts";
import type { Application } from "../engine/application.ts";
import { isTemplateCompId } from "../engine/session_template.ts";
import { stringify } from "yaml";
import {
  ConfigError,
  type ConfigIssue,
  formatIssue,
  readConfigFile,
  redactConfig,
  sessionKeyOf,
  type TandemConfig,
} from "../config/mod.ts";
import { createLogger } from "../log/mod.ts";
import { NotImplementedError, runNode } from "../node/run.ts";
import { VERSION } from "../version.ts";
import { type CliCommand, CliUsageError, parseCliArgs } from "./cli_args.ts";
import { ExitCode } from "./exit_codes.ts";
import { helpText } from "./help.ts";
import { requestPromotion } from "./promote.ts";
import { fetchNodeStatus, formatClusterStatus, summarizeCluster } from "./cluster_status.ts";
import { runJournalCommand } from "../journal/cli.ts";
import { runDemo } from "../demo/mod.ts";
import { runClusterDemo } from "../demo/cluster_demo.ts";
import { runGatewayHaDemo } from "../demo/gateway_ha_demo.ts";

/** Where the command writes and what it reads from the process. */
export interface CliIo {
  /** Writes text (already newline-terminated) to standard output. */
  readonly stdout: (text: string) => void;
  /** Writes text (already newline-terminated) to standard error. */
  readonly stderr: (text: string) => void;
  /** The process environment. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Whether stderr is a terminal (text logs when `log.format: auto`). */
  readonly stderrIsTerminal: boolean;
  /** Aborted when the process is asked to stop. */
  readonly signal: AbortSignal;
}

/** The real process streams and environment. */
export function processIo(signal: AbortSignal): CliIo {
  const write = (stream: { writeSync(p: Uint8Array): number }) => (text: string) => {
    const bytes = new TextEncoder().encode(text);
    let off = 0;
    while (off < bytes.length) off += stream.writeSync(bytes.subarray(off));
  };
  return {
    stdout: write(Deno.stdout),
    stderr: write(Deno.stderr),
    env: Deno.env.toObject(),
    stderrIsTerminal: Deno.stderr.isTerminal(),
    signal,
  };
}

/** What a program embedding the CLI adds (its own `main.ts`, see `runNode` in mod.ts). */
export interface CliOptions {
  /**
   * Applications by name, for `sessions[].application` (besides echo, executor and api); an
   * unknown name is a configuration error for `run` and `check-config`.
   */
  readonly applications?: Readonly<Record<string, Application>>;
}

/** Runs the command line `args`; resolves with the exit code. */
export async function runCli(
  args: readonly string[],
  io: CliIo,
  options: CliOptions = {},
): Promise<number> {
  let command: CliCommand;
  try {
    command = parseCliArgs(args, io.env);
  } catch (e) {
    if (!(e instanceof CliUsageError)) throw e;
    io.stderr(`tandem: ${e.message}\n\n${helpText(e.command)}`);
    return ExitCode.Usage;
  }
  switch (command.kind) {
    case "version":
      io.stdout(`tandem ${VERSION}\n`);
      return ExitCode.Ok;
    case "help":
      io.stdout(helpText(command.topic));
      return ExitCode.Ok;
    case "check-config":
      return await checkConfig(command, io, options);
    case "run":
      return await run(command, io, options);
    case "journal":
      return await runJournal(command.args, io);
    case "promote":
      return await promote(command, io);
    case "cluster-status":
      return await clusterStatus(command, io);
    case "demo":
      return await (command.cluster
        ? runClusterDemo
        : command.gatewayHa
        ? runGatewayHaDemo
        : runDemo)({
          orders: command.orders,
          ackStrategy: command.ackStrategy,
          stdout: io.stdout,
          isTerminal: io.stderrIsTerminal,
          signal: io.signal,
        });
    default: {
      const never: never = command;
      throw new TypeError(`Cannot run command ${JSON.stringify(never)}`);
    }
  }
}

async function load(
  command: Extract<CliCommand, { kind: "run" | "check-config" }>,
  io: CliIo,
  options: CliOptions,
): Promise<TandemConfig | ConfigError> {
  const warn = (issue: ConfigIssue) => io.stderr(`warning: ${formatIssue(issue)}\n`);
  try {
    return await readConfigFile(command.configPath, {
      env: io.env,
      overrides: command.overrides,
      onWarning: warn,
      applications: Object.keys(options.applications ?? {}),
    });
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
}

/** One line per node fact and per session: what check-config and run print. */
export function summarizeConfig(config: TandemConfig): string {
  const lines = [
    `node ${config.node.id}: ${config.node.role}, ha ${config.node.ha}, data ${config.node.dataDir}`,
  ];
  for (const s of config.sessions) {
    const template = isTemplateCompId(s.targetCompId) && config.node.role === "acceptor";
    lines.push(`  session ${sessionKeyOf(s)} (${s.application}${template ? ", template" : ""})`);
  }
  return lines.join("\n") + "\n";
}

async function checkConfig(
  command: Extract<CliCommand, { kind: "check-config" }>,
  io: CliIo,
  options: CliOptions,
): Promise<number> {
  const result = await load(command, io, options);
  if (result instanceof ConfigError) {
    io.stderr(`${result.message}\n`);
    return ExitCode.Failure;
  }
  io.stdout(`${command.configPath}: OK\n${summarizeConfig(result)}`);
  return ExitCode.Ok;
}

async function run(
  command: Extract<CliCommand, { kind: "run" }>,
  io: CliIo,
  options: CliOptions,
): Promise<number> {
  const config = await load(command, io, options);
  if (config instanceof ConfigError) {
    io.stderr(`${config.message}\n`);
    return ExitCode.Usage;
  }
  const logger = createLogger(config.log, {
    sink: (line) => io.stderr(line + "\n"),
    isTerminal: io.stderrIsTerminal,
    context: { node: config.node.id },
  });
  io.stdout(summarizeConfig(config));
  logger.debug("Effective configuration", () => ({ config: stringify(redactConfig(config)) }));
  try {
    return await runNode(config, {
      configPath: command.configPath,
      logger,
      signal: io.signal,
      acceptJournalRewind: command.acceptJournalRewind ?? false,
      ...(options.applications ? { applications: options.applications } : {}),
    });
  } catch (e) {
    if (e instanceof NotImplementedError) {
      io.stderr(`tandem: ${e.message}\n`);
      return ExitCode.Failure;
    }
    if (e instanceof JournalRewindError) {
      logger.error("Journal ends before its checkpoint; the node refused to start", {
        error: e.message,
        hint: "if the loss is intended, start with --accept-journal-rewind",
      });
      return ExitCode.JournalCorrupt;
    }
    if (e instanceof JournalCorruptionError) {
      logger.error("Journal is corrupt; the node refused to start", {
        error: e.message,
        hint: "see `tandem journal verify DIR` and `tandem journal repair DIR`",
      });
      return ExitCode.JournalCorrupt;
    }
    if (e instanceof DataDirLockedError) {
      logger.error("Data directory is in use; the node refused to start", {
        error: e.message,
        holderPid: e.holderPid ?? null,
      });
      return ExitCode.DataDirLocked;
    }
    if (e instanceof JournalFailedError) {
      logger.error("Journal storage failed; the node refused to start", {
        error: e.message,
        file: e.file ?? null,
      });
      return ExitCode.StorageFailed;
    }
    logger.error("Node failed", { error: e });
    return ExitCode.Failure;
  }
}

function runJournal(args: readonly string[], io: CliIo): Promise<number> {
  return runJournalCommand([...args], {
    stdout: (line) => io.stdout(line + "\n"),
    stderr: (line) => io.stderr(line + "\n"),
    signal: io.signal,
  });
}

/**
 * Runs `request` with a signal that aborts on `signal` or after `timeoutMs` (a `TimeoutError`),
 * clearing the timer when it settles.
 */
async function withTimeout<T>(
  signal: AbortSignal,
  timeoutMs: number,
  request: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const timeout = new AbortController();
  const timer = setTimeout(
    () => timeout.abort(new DOMException("timed out", "TimeoutError")),
    timeoutMs,
  );
  try {
    return await request(AbortSignal.any([signal, timeout.signal]));
  } finally {
    clearTimeout(timer);
  }
}

async function promote(
  command: Extract<CliCommand, { kind: "promote" }>,
  io: CliIo,
): Promise<number> {
  const result = await withTimeout(io.signal, command.timeoutMs, (signal) =>
    requestPromotion({
      admin: command.admin,
      token: command.token,
      reason: command.reason,
      signal,
    }));
  if (!result.ok) {
    io.stderr(`tandem: ${result.message}\n`);
    return ExitCode.Failure;
  }
  io.stdout(result.epoch !== undefined ? `Promoted: epoch ${result.epoch}\n` : "Promoted\n");
  return ExitCode.Ok;
}

async function clusterStatus(
  command: Extract<CliCommand, { kind: "cluster-status" }>,
  io: CliIo,
): Promise<number> {
  const result = await withTimeout(
    io.signal,
    command.timeoutMs,
    (signal) => fetchNodeStatus({ admin: command.admin, token: command.token, signal }),
  );
  if (!result.ok) {
    io.stderr(`tandem: ${result.message}\n`);
    return ExitCode.Failure;
  }
  let summary;
  try {
    summary = summarizeCluster(result.body);
  } catch (e) {
    if (!(e instanceof TypeError)) throw e;
    io.stderr(`tandem: ${e.message}\n`);
    return ExitCode.Failure;
  }
  io.stdout(command.json ? JSON.stringify(summary, null, 2) + "\n" : formatClusterStatus(summary));
  return ExitCode.Ok;
}
