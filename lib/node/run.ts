/**
 * The seam between the CLI and the engine: {@linkcode runNode} starts a node from a validated
 * configuration and resolves with the process exit code when it stops.
 *
 * @module
 */

import type { TandemConfig } from "../config/mod.ts";
import type { Logger } from "../log/mod.ts";
import { TandemNode } from "./node.ts";
import type { Application } from "../engine/application.ts";

/** A capability that exists in the interface but is not built yet. */
export class NotImplementedError extends Error {
  /** Names the missing capability. */
  constructor(what: string) {
    super(`Cannot run ${what}: not implemented yet`);
    this.name = "NotImplementedError";
  }
}

/** What the command line adds to the configuration. */
export interface NodeRunOptions {
  /** Path of the configuration file (for messages). */
  readonly configPath: string;
  /** Root logger built from `config.log`. */
  readonly logger: Logger;
  /** Aborted on SIGINT/SIGTERM: stop gracefully (Logout sessions, flush the journal). */
  readonly signal: AbortSignal;
  /** Start even if the journal ends before its checkpoint (`--accept-journal-rewind`). */
  readonly acceptJournalRewind?: boolean;
  /** Applications by name for `sessions[].application` (see `TandemNodeOptions`). */
  readonly applications?: Readonly<Record<string, Application>>;
}

/**
 * Runs the node described by `config` until `signal` aborts or a fatal condition; resolves with
 * an exit code from `ExitCode`.
 */
export async function runNode(config: TandemConfig, options: NodeRunOptions): Promise<number> {
  const node = await TandemNode.start(config, {
    logger: options.logger,
    acceptJournalRewind: options.acceptJournalRewind ?? false,
    ...(options.applications ? { applications: options.applications } : {}),
  });
  const stopped = new Promise<number>((resolve) => {
    if (options.signal.aborted) resolve(0);
    options.signal.addEventListener("abort", () => resolve(0), { once: true });
  });
  const code = await Promise.race([stopped, node.fatal]);
  options.logger.info("node stopping", { code });
  await node.close();
  return code;
}
