/**
 * Usage text of the `tandem` command and its subcommands.
 *
 * @module
 */

import { EXIT_CODE_MEANINGS } from "./exit_codes.ts";
import type { CommandName } from "./cli_args.ts";
import { ADMIN_TOKEN_ENV, DEFAULT_DEMO_ORDERS, DEFAULT_PROMOTE_TIMEOUT_MS } from "./cli_args.ts";

const EXIT_CODES_TEXT = Object.entries(EXIT_CODE_MEANINGS)
  .map(([code, meaning]) => `  ${code}  ${meaning}`)
  .join("\n");

const OVERRIDES_TEXT = `  --role acceptor|initiator          node.role
  --ha standalone|primary|secondary  node.ha
  --listen HOST:PORT                 fix.listen (acceptor FIX address)
  --data-dir DIR                     node.dataDir (journal directory)
  --admin HOST:PORT                  admin.listen (admin HTTP API)`;

const TEXTS: Readonly<Record<CommandName | "main", string>> = {
  main: `Tandem — highly available FIX engine and gateway

Usage:
  tandem --config FILE [flags]        run a node (same as: tandem run ...)
  tandem check-config FILE [flags]    validate a configuration; start nothing
  tandem journal COMMAND ...          inspect and repair a journal
  tandem promote --admin HOST:PORT    promote a secondary to primary
  tandem demo                         failover demo: primary, secondary, initiator; kill the primary
  tandem help [COMMAND]               this text, or a command's
  tandem --version                    print the version

Flags of run and check-config (they override the file's keys):
  --config FILE                      YAML configuration (see config.example.yaml)
${OVERRIDES_TEXT}

Exit codes:
${EXIT_CODES_TEXT}
`,
  run: `Usage: tandem [run] --config FILE [flags]

Validates the configuration, then runs the node until SIGINT/SIGTERM.

Flags (they override the file's keys):
  --config FILE                      YAML configuration (required)
${OVERRIDES_TEXT}

Exit codes:
${EXIT_CODES_TEXT}
`,
  "check-config": `Usage: tandem check-config FILE [flags]

Validates FILE (with the same override flags as run) and prints a summary; opens no socket.
Problems go to stderr, each with file:line:column and the key path.

Flags:
${OVERRIDES_TEXT}

Exit codes: 0 valid, 1 invalid, 2 usage error.
`,
  journal: `Usage: tandem journal COMMAND [args]

Journal tools (dump, tail, verify, repair); run "tandem journal --help" for the commands.
`,
  promote: `Usage: tandem promote --admin HOST:PORT [--token TOKEN] [--reason TEXT] [--timeout-ms N]

Asks the node's admin API (POST /promote) to promote it from secondary to primary.
The token defaults to the ${ADMIN_TOKEN_ENV} environment variable (prefer it to --token, which
other users can see in the process list). --timeout-ms defaults to ${DEFAULT_PROMOTE_TIMEOUT_MS}.

Exit codes: 0 promoted, 1 refused or unreachable, 2 usage error.
`,
  demo: `Usage: tandem demo [--orders N] [--ack-strategy forever|timeout|never]

Starts a primary, a secondary (both with the executor application) and an initiator as child
processes of this program, streams N NewOrderSingle (default ${DEFAULT_DEMO_ORDERS}) with a progress
line, kills the primary with SIGKILL midway, restarts it as the new secondary, and prints what was
measured: orders sent, executions received, messages lost, duplicates, sequence numbers before
and after, failover time. Everything runs on 127.0.0.1 in a temporary directory that is removed
at the end (also on Ctrl-C).

Exit codes: 0 the demo ran (see the summary), 1 it could not run, 2 usage error.
`,
  help: `Usage: tandem help [COMMAND]

Prints the usage of tandem or of COMMAND (run, check-config, journal, promote, demo).
`,
};

/** The usage text of `topic` (the main usage when undefined). */
export function helpText(topic?: CommandName): string {
  return TEXTS[topic ?? "main"];
}
