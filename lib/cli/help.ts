/**
 * Usage text of the `tandem` command and its subcommands.
 *
 * @module
 */

import { EXIT_CODE_MEANINGS } from "./exit_codes.ts";
import type { HelpTopic } from "./cli_args.ts";
import {
  ADMIN_TOKEN_ENV,
  DEFAULT_DEMO_ORDERS,
  DEFAULT_GATEWAY_HA_DEMO_ORDERS,
  DEFAULT_PROMOTE_TIMEOUT_MS,
} from "./cli_args.ts";

const EXIT_CODES_TEXT = Object.entries(EXIT_CODE_MEANINGS)
  .map(([code, meaning]) => `  ${code}  ${meaning}`)
  .join("\n");

const OVERRIDES_TEXT = `  --role acceptor|initiator          node.role
  --ha standalone|primary|secondary  node.ha
  --listen HOST:PORT                 fix.listen (acceptor FIX address)
  --data-dir DIR                     node.dataDir (journal directory)
  --admin HOST:PORT                  admin.listen (admin HTTP API)`;

const ROLE_FOOTER = `
Flags (they override the file's keys):
  --config FILE                      YAML configuration (required; see config.example.yaml)
${OVERRIDES_TEXT}
  --accept-journal-rewind            start even if the journal ends before its checkpoint (a
                                     missing or cut newest segment); the loss is logged and kept
                                     on /status. Without it the node refuses (exit 4)

Every key, its default and meaning: config.example.yaml. Validate without starting:
  tandem check-config FILE [flags]

Exit codes:
${EXIT_CODES_TEXT}
`;

const TEXTS: Readonly<Record<HelpTopic | "main", string>> = {
  acceptor: `Usage: tandem --role acceptor --config FILE [--listen HOST:PORT] [--data-dir DIR]

A standalone acceptor: accepts the configured sessions (sessions[], told apart by CompIDs and any
sub/location IDs; a targetCompId glob like "CLIENT-*" is a template creating sessions on Logon) on
fix.listen, journals every message in node.dataDir before it reaches the wire, and hands
application messages to sessions[].application: echo, executor (fills orders), api (programs
over the HTTP/WebSocket API on api.listen), or your own (a main.ts calling runNode from mod.ts).
Admin endpoint on admin.listen.

Keys that matter: fix.* (listen, limits, tls), journal.* (syncPolicy, segments, retention),
sessions[] (versions, CompIDs, validation, schedule, application), admin.*, api.*, log.*.
${ROLE_FOOTER}`,
  primary: `Usage: tandem --role acceptor --ha primary --config FILE

The primary of an acceptor pair: an acceptor (see \`tandem help acceptor\`) that streams its journal
to the secondary over replication.listen and, per replication.ackStrategy (never, forever,
timeout, quorum; ackStrategyByMsgType per MsgType), waits for the secondary's acknowledgement
before a message reaches the counterparty. It probes replication.peers and steps down when a peer
was promoted to a higher epoch.

Keys that matter: replication.listen, replication.peers, replication.secret (use \${ENV:NAME}),
replication.clusterId, replication.ackStrategy, ackTimeoutMs, maxUnackedMessages, plus the
acceptor's keys.
${ROLE_FOOTER}`,
  secondary: `Usage: tandem --role acceptor --ha secondary --config FILE

The secondary of an acceptor pair: follows replication.primary, appends the same records at the
same indices and acknowledges what its journal made durable. It does not listen on fix.listen
until it is promoted — by \`tandem promote --admin HOST:PORT\`, POST /promote on its admin
endpoint, or automatically after replication.autoPromoteAfterMs of silence from the primary —
and then continues every session from the replicated state in a new epoch.

Keys that matter: replication.primary, replication.listen (served once promoted),
replication.secret, replication.autoPromoteAfterMs, replication.readyLagRecords (GET /ready),
plus the acceptor's keys (the same sessions as the primary).
${ROLE_FOOTER}`,
  initiator: `Usage: tandem --role initiator --config FILE

An initiator gateway: keeps each session logged on to one of sessions[].connect.addresses
(primary first, then backups) with the connection strategy sessions[].connect.strategy
(always-start-on-primary, round-robin, fatal-failure, priority), logging on with its persisted
sequence numbers, and serves programs in any language on api.listen: POST
/sessions/{key}/messages to send, WebSocket /stream?from=N to receive.

Keys that matter: sessions[].connect.* (addresses, strategy, attemptsPerAddress, backoffMs,
connectTimeoutMs, logonTimeoutS, exitOnFatal, tls), sessions[].application: api, api.*, admin.*.
${ROLE_FOOTER}`,
  main: `Tandem — highly available FIX engine and gateway

Usage:
  tandem --config FILE [flags]        run a node (same as: tandem run ...)
  tandem check-config FILE [flags]    validate a configuration; start nothing
  tandem journal COMMAND ...          inspect and repair a journal
  tandem promote --admin HOST:PORT    promote a secondary to primary
  tandem cluster status --admin H:P   members, leader, epoch, in-sync set, lag, etcd health
  tandem demo                         failover demo: primary, secondary, initiator; kill the primary
  tandem help [COMMAND|ROLE]          this text, a command's, or a role's (acceptor, primary,
                                      secondary, initiator; also: --role ... --help)
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
  cluster: `Usage: tandem cluster status --admin HOST:PORT [--token TOKEN] [--json] [--timeout-ms N]

Reads a cluster member's admin API (GET /status) and prints what it sees of the cluster: the
coordination service and its health, the leader and its epoch, the in-sync set, and one line per
member with its role, whether it is in sync, its replication link and its lag (records and ms).
Ask the leader for every follower's lag; a follower shows its own. --json prints the same as JSON.
The token defaults to the ${ADMIN_TOKEN_ENV} environment variable. --timeout-ms defaults to
${DEFAULT_PROMOTE_TIMEOUT_MS}.

Exit codes: 0 shown, 1 unreachable, refused or not in cluster mode, 2 usage error.
`,
  demo:
    `Usage: tandem demo [--orders N] [--ack-strategy forever|timeout|never] [--cluster|--gateway-ha]

Starts a primary, a secondary (both with the executor application) and an initiator as child
processes of this program, streams N NewOrderSingle (default ${DEFAULT_DEMO_ORDERS}) with a progress
line, kills the primary with SIGKILL midway, restarts it as the new secondary, and prints what was
measured: orders sent, executions received, messages lost, duplicates, sequence numbers before
and after, failover time. Everything runs on 127.0.0.1 in a temporary directory that is removed
at the end (also on Ctrl-C).

With --cluster: three members coordinated by a local etcd (needs etcd: apt-get install
etcd-server); SIGKILLs the leader a third of the way (it stays down), freezes the next leader with
SIGSTOP two thirds of the way, and prints the same summary with both failover times.

With --gateway-ha: the initiator side instead. A venue (an acceptor running executor) and a
gateway pair in front of it (two replicated initiators, each serving the API); an application
streams orders through the API with retries and reads the executions from the stream; the gateway
leader is SIGKILLed midway, the follower takes over the venue session with the same sequence
numbers, and the summary says what reached the venue and the application, and how often
(default ${DEFAULT_GATEWAY_HA_DEMO_ORDERS} orders: each is one HTTP request answered once durable).

Exit codes: 0 the demo ran (see the summary), 1 it could not run, 2 usage error.
`,
  help: `Usage: tandem help [COMMAND]

Prints the usage of tandem or of COMMAND (run, check-config, journal, promote, cluster, demo).
`,
};

/** The usage text of `topic` (the main usage when undefined). */
export function helpText(topic?: HelpTopic): string {
  return TEXTS[topic ?? "main"];
}
