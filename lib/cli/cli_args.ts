/**
 * Parsing of the `tandem` command line (pure). Commands:
 *
 * ```
 * tandem --config FILE [--role acceptor|initiator] [--ha standalone|primary|secondary]
 *        [--listen HOST:PORT] [--data-dir DIR] [--admin HOST:PORT]     run a node
 * tandem run …                                                         same, explicitly
 * tandem check-config FILE [override flags]                            validate, start nothing
 * tandem journal …                                                     journal tools
 * tandem promote --admin HOST:PORT [--token T] [--reason TEXT] [--timeout-ms N]
 * tandem cluster status --admin HOST:PORT [--token T] [--json] [--timeout-ms N]
 * tandem demo [--orders N] [--ack-strategy forever|timeout|never] [--cluster|--gateway-ha]  failover demo
 * tandem help [COMMAND] | COMMAND --help | --help                       usage
 * tandem --version
 * ```
 *
 * Flags take `--flag value` or `--flag=value`; each may be given once.
 *
 * @module
 */

import type { ConfigOverrides } from "../config/mod.ts";
import { closestMatch, type HostPort, parseHostPort } from "../config/mod.ts";

/** A usage error: the command line cannot be understood. */
export class CliUsageError extends TypeError {
  /** The command whose usage to show (`undefined` for the main usage). */
  readonly command: CommandName | undefined;

  /** Builds the error. */
  constructor(message: string, command?: CommandName) {
    super(message);
    this.name = "CliUsageError";
    this.command = command;
  }
}

/** Commands with their own help. */
export const COMMAND_NAMES = [
  "run",
  "check-config",
  "journal",
  "promote",
  "cluster",
  "demo",
  "help",
] as const;

/** A command name. */
export type CommandName = typeof COMMAND_NAMES[number];

/** Roles with their own help (`tandem help initiator`, `tandem --role initiator --help`). */
export const ROLE_TOPICS = ["acceptor", "primary", "secondary", "initiator"] as const;
/** A role help topic. */
export type RoleTopic = typeof ROLE_TOPICS[number];
/** What `help` can explain: a command or a role. */
export type HelpTopic = CommandName | RoleTopic;

/** The role a `run` command line names (`--role`, `--ha`), for its help. */
function roleTopic(args: readonly string[]): HelpTopic {
  const value = (flag: string) => {
    const i = args.indexOf(flag);
    if (i >= 0) return args[i + 1];
    return args.find((a) => a.startsWith(`${flag}=`))?.slice(flag.length + 1);
  };
  if (value("--role") === "initiator") return "initiator";
  const ha = value("--ha");
  if (ha === "primary" || ha === "secondary") return ha;
  if (value("--role") === "acceptor" || ha === "standalone") return "acceptor";
  return "run";
}

/** Default number of orders of `demo`. */
export const DEFAULT_DEMO_ORDERS = 50_000;
/**
 * Default number of orders of `demo --gateway-ha`: each goes through one HTTP request answered only
 * once it is durable on both gateways, so fewer than the FIX-driven demos stream.
 */
export const DEFAULT_GATEWAY_HA_DEMO_ORDERS = 5_000;
/** Most orders `demo` takes. */
export const MAX_DEMO_ORDERS = 1_000_000;

/** Default `promote` request timeout. */
export const DEFAULT_PROMOTE_TIMEOUT_MS = 10_000;

/** Environment variable `promote` reads the admin token from when `--token` is absent. */
export const ADMIN_TOKEN_ENV = "TANDEM_ADMIN_TOKEN";

/** A parsed command line. */
export type CliCommand =
  | {
    readonly kind: "run";
    readonly configPath: string;
    readonly overrides: ConfigOverrides;
    /** `--accept-journal-rewind`: start even if the journal ends before its checkpoint. */
    readonly acceptJournalRewind?: boolean;
  }
  | {
    readonly kind: "check-config";
    readonly configPath: string;
    readonly overrides: ConfigOverrides;
  }
  | { readonly kind: "journal"; readonly args: readonly string[] }
  | {
    readonly kind: "promote";
    readonly admin: HostPort;
    readonly token: string | undefined;
    readonly reason: string;
    readonly timeoutMs: number;
  }
  | {
    readonly kind: "cluster-status";
    readonly admin: HostPort;
    readonly token: string | undefined;
    /** Print the summary as JSON instead of a table. */
    readonly json: boolean;
    readonly timeoutMs: number;
  }
  | {
    readonly kind: "demo";
    readonly orders: number;
    readonly ackStrategy: "forever" | "timeout" | "never";
    /** Three members and a local etcd instead of a pair. */
    readonly cluster: boolean;
    /** A gateway pair (replicated initiators) in front of a venue, its leader killed. */
    readonly gatewayHa: boolean;
  }
  | { readonly kind: "help"; readonly topic: HelpTopic | undefined }
  | { readonly kind: "version" };

const OVERRIDE_FLAGS = {
  "--role": "role",
  "--ha": "ha",
  "--listen": "listen",
  "--data-dir": "dataDir",
  "--admin": "admin",
} as const satisfies Record<string, keyof ConfigOverrides>;

/**
 * Parses `args` (without the program name). Throws {@linkcode CliUsageError}.
 *
 * @example
 * ```ts
 * parseCliArgs(["--config", "tandem.yaml", "--role", "acceptor"]);
 * // { kind: "run", configPath: "tandem.yaml", overrides: { role: "acceptor" } }
 * ```
 */
export function parseCliArgs(
  args: readonly string[],
  env: Readonly<Record<string, string | undefined>> = {},
): CliCommand {
  const first = args[0];
  if (first === undefined) throw new CliUsageError("Missing command or --config FILE");
  if (first === "--version" || first === "-V" || first === "version") {
    if (args.length > 1) throw new CliUsageError(`Unexpected argument after ${first}: ${args[1]}`);
    return { kind: "version" };
  }
  if (first === "--help" || first === "-h") return { kind: "help", topic: undefined };
  if (first === "help") {
    const topic = args[1];
    if (topic === undefined) return { kind: "help", topic: undefined };
    if ((ROLE_TOPICS as readonly string[]).includes(topic)) {
      return { kind: "help", topic: topic as RoleTopic };
    }
    return { kind: "help", topic: commandName(topic) };
  }
  if (first === "journal") {
    // Everything after `journal` belongs to the journal tools, including --help.
    return { kind: "journal", args: args.slice(1) };
  }
  if (!first.startsWith("-")) {
    const command = commandName(first);
    const rest = args.slice(1);
    if (rest.includes("--help") || rest.includes("-h")) {
      return { kind: "help", topic: command === "run" ? roleTopic(rest) : command };
    }
    switch (command) {
      case "run":
        return parseRun(rest);
      case "check-config":
        return parseCheckConfig(rest);
      case "promote":
        return parsePromote(rest, env);
      case "cluster":
        return parseCluster(rest, env);
      case "demo":
        return parseDemo(rest);
      case "journal":
      case "help":
        throw new CliUsageError(`Unexpected command ${command}`); // handled above
      default: {
        const never: never = command;
        throw new CliUsageError(`Unknown command ${String(never)}`);
      }
    }
  }
  if (args.includes("--help") || args.includes("-h")) {
    return { kind: "help", topic: roleTopic(args) };
  }
  return parseRun(args);
}

function commandName(word: string): CommandName {
  if ((COMMAND_NAMES as readonly string[]).includes(word)) return word as CommandName;
  const hint = closestMatch(word, COMMAND_NAMES);
  throw new CliUsageError(
    `Unknown command "${word}"` +
      (hint ? `; did you mean "${hint}"?` : `; expected one of ${COMMAND_NAMES.join(", ")}`),
  );
}

interface Parsed {
  readonly flags: Map<string, string>;
  readonly positionals: string[];
}

/** Splits flags (all taking a value) from positionals, refusing unknown and repeated flags. */
function splitFlags(
  args: readonly string[],
  allowed: readonly string[],
  command: CommandName,
): Parsed {
  const flags = new Map<string, string>();
  const positionals: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--") {
      positionals.push(...args.slice(i + 1));
      break;
    }
    if (!arg.startsWith("-") || arg === "-") {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf("=");
    const name = eq >= 0 ? arg.slice(0, eq) : arg;
    if (!allowed.includes(name)) {
      const hint = closestMatch(name.replace(/^-+/, ""), allowed.map((f) => f.slice(2)));
      throw new CliUsageError(
        `Unknown flag ${name}` + (hint ? `; did you mean --${hint}?` : ""),
        command,
      );
    }
    if (flags.has(name)) throw new CliUsageError(`Flag ${name} given twice`, command);
    let value: string | undefined;
    if (eq >= 0) value = arg.slice(eq + 1);
    else {
      value = args[i + 1];
      if (value === undefined || (value.startsWith("--") && value.length > 2)) {
        throw new CliUsageError(`Flag ${name} needs a value`, command);
      }
      i++;
    }
    if (value === "") throw new CliUsageError(`Flag ${name} needs a value`, command);
    flags.set(name, value);
  }
  return { flags, positionals };
}

function overridesOf(flags: Map<string, string>): ConfigOverrides {
  const out: Record<string, string> = {};
  for (const [flag, key] of Object.entries(OVERRIDE_FLAGS)) {
    const v = flags.get(flag);
    if (v !== undefined) out[key] = v;
  }
  return out as ConfigOverrides;
}

/** The one flag of `run` that takes no value. */
export const ACCEPT_JOURNAL_REWIND_FLAG = "--accept-journal-rewind";

function parseRun(all: readonly string[]): CliCommand {
  const args = all.filter((a) => a !== ACCEPT_JOURNAL_REWIND_FLAG);
  const acceptJournalRewind = args.length !== all.length;
  const { flags, positionals } = splitFlags(
    args,
    ["--config", ...Object.keys(OVERRIDE_FLAGS)],
    "run",
  );
  if (positionals.length > 0) {
    throw new CliUsageError(`Unexpected argument ${positionals[0]}`, "run");
  }
  const configPath = flags.get("--config");
  if (configPath === undefined) throw new CliUsageError("Missing --config FILE", "run");
  return {
    kind: "run",
    configPath,
    overrides: overridesOf(flags),
    ...(acceptJournalRewind ? { acceptJournalRewind } : {}),
  };
}

function parseCheckConfig(args: readonly string[]): CliCommand {
  const { flags, positionals } = splitFlags(
    args,
    ["--config", ...Object.keys(OVERRIDE_FLAGS)],
    "check-config",
  );
  const fromFlag = flags.get("--config");
  if (positionals.length > 1 || (positionals.length === 1 && fromFlag !== undefined)) {
    throw new CliUsageError("Expected one configuration file", "check-config");
  }
  const configPath = positionals[0] ?? fromFlag;
  if (configPath === undefined) {
    throw new CliUsageError("Missing configuration FILE", "check-config");
  }
  return { kind: "check-config", configPath, overrides: overridesOf(flags) };
}

function parsePromote(
  args: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): CliCommand {
  const { flags, positionals } = splitFlags(
    args,
    ["--admin", "--token", "--reason", "--timeout-ms"],
    "promote",
  );
  if (positionals.length > 0) {
    throw new CliUsageError(`Unexpected argument ${positionals[0]}`, "promote");
  }
  return {
    kind: "promote",
    admin: adminFlag(flags, "promote"),
    token: flags.get("--token") ?? env[ADMIN_TOKEN_ENV],
    reason: flags.get("--reason") ?? "promote command",
    timeoutMs: timeoutFlag(flags, "promote"),
  };
}

function adminFlag(flags: Map<string, string>, command: CommandName): HostPort {
  const adminText = flags.get("--admin");
  if (adminText === undefined) throw new CliUsageError("Missing --admin HOST:PORT", command);
  let admin: HostPort;
  try {
    admin = parseHostPort(adminText);
  } catch (e) {
    throw new CliUsageError(`Invalid --admin: ${(e as Error).message}`, command);
  }
  if (admin.port === 0) {
    throw new CliUsageError("Invalid --admin: port 0 cannot be connected to", command);
  }
  return admin;
}

function timeoutFlag(flags: Map<string, string>, command: CommandName): number {
  const timeoutText = flags.get("--timeout-ms");
  const timeoutMs = timeoutText === undefined ? DEFAULT_PROMOTE_TIMEOUT_MS : Number(timeoutText);
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > 3_600_000) {
    throw new CliUsageError(`Invalid --timeout-ms ${timeoutText}: expected 1–3600000`, command);
  }
  return timeoutMs;
}

function parseCluster(
  all: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): CliCommand {
  const json = all.includes("--json");
  const args = all.filter((a) => a !== "--json");
  const { flags, positionals } = splitFlags(
    args,
    ["--admin", "--token", "--timeout-ms"],
    "cluster",
  );
  if (positionals[0] !== "status") {
    throw new CliUsageError(
      positionals[0] === undefined
        ? "Missing subcommand: expected status"
        : `Unknown subcommand ${positionals[0]}: expected status`,
      "cluster",
    );
  }
  if (positionals.length > 1) {
    throw new CliUsageError(`Unexpected argument ${positionals[1]}`, "cluster");
  }
  return {
    kind: "cluster-status",
    admin: adminFlag(flags, "cluster"),
    token: flags.get("--token") ?? env[ADMIN_TOKEN_ENV],
    json,
    timeoutMs: timeoutFlag(flags, "cluster"),
  };
}

function parseDemo(all: readonly string[]): CliCommand {
  const cluster = all.includes("--cluster");
  const gatewayHa = all.includes("--gateway-ha");
  if (cluster && gatewayHa) {
    throw new CliUsageError("Cannot combine --cluster and --gateway-ha: choose one demo", "demo");
  }
  const args = all.filter((a) => a !== "--cluster" && a !== "--gateway-ha");
  const { flags, positionals } = splitFlags(args, ["--orders", "--ack-strategy"], "demo");
  if (positionals.length > 0) {
    throw new CliUsageError(`Unexpected argument ${positionals[0]}`, "demo");
  }
  const ordersText = flags.get("--orders");
  const orders = ordersText === undefined
    ? (gatewayHa ? DEFAULT_GATEWAY_HA_DEMO_ORDERS : DEFAULT_DEMO_ORDERS)
    : Number(ordersText);
  if (!Number.isInteger(orders) || orders < 10 || orders > MAX_DEMO_ORDERS) {
    throw new CliUsageError(
      `Invalid --orders ${ordersText}: expected an integer 10–${MAX_DEMO_ORDERS}`,
      "demo",
    );
  }
  const strategy = flags.get("--ack-strategy") ?? "forever";
  if (strategy !== "forever" && strategy !== "timeout" && strategy !== "never") {
    throw new CliUsageError(
      `Invalid --ack-strategy ${strategy}: expected forever, timeout or never`,
      "demo",
    );
  }
  return { kind: "demo", orders, ackStrategy: strategy, cluster, gatewayHa };
}
