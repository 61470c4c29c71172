/**
 * The seam between the CLI and the engine: {@linkcode runNode} starts a node from a validated
 * configuration and resolves with the process exit code when it stops.
 *
 * @module
 */

import type { TandemConfig } from "../config/mod.ts";
import type { Logger } from "../log/mod.ts";

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
}

/**
 * Runs the node described by `config` until `signal` aborts or a fatal condition; resolves with
 * an exit code from `ExitCode`.
 *
 * TODO(lead): wire the engine here (journal, replication, acceptor/initiator, admin API).
 */
export function runNode(config: TandemConfig, options: NodeRunOptions): Promise<number> {
  void config;
  void options;
  return Promise.reject(
    new NotImplementedError("the node (engine wiring pending in lib/node/run.ts)"),
  );
}
