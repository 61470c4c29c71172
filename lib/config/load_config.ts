/**
 * Loading a Tandem configuration: YAML text (+ environment + command-line overrides) → a
 * validated {@linkcode TandemConfig}, or a {@linkcode ConfigError} listing every problem with its
 * file, line, column and key path. {@linkcode loadConfig} is pure; {@linkcode readConfigFile} reads
 * the file and the process environment.
 *
 * @module
 */

import { type Document, isMap, LineCounter, parseDocument } from "yaml";
import { type ConfigIssue, type Field, formatIssue, validateDocument } from "./schema.ts";
import { type TandemConfig, tandemSchema } from "./tandem_schema.ts";
import { formatHostPort, type HostPort } from "./values.ts";
import { verifyConfigFiles } from "./verify_files.ts";
import { rememberOrigins } from "./_origins.ts";
import { checkApplicationNames } from "./applications.ts";

/** Largest configuration file accepted. */
export const MAX_CONFIG_BYTES = 1_048_576;

/** A configuration that cannot be used; `issues` says every problem and where. */
export class ConfigError extends SyntaxError {
  /** Every problem found, in file order. */
  readonly issues: readonly ConfigIssue[];

  /** Builds the error; the message lists each issue on its own line. */
  constructor(source: string, issues: readonly ConfigIssue[]) {
    const head = issues.length === 1
      ? `Cannot load config ${source}: 1 problem`
      : `Cannot load config ${source}: ${issues.length} problems`;
    super([head, ...issues.map((i) => `  ${formatIssue(i)}`)].join("\n"));
    this.name = "ConfigError";
    this.issues = issues;
  }
}

/** Values from command-line flags; they replace the file's values before validation. */
export interface ConfigOverrides {
  /** `--role` → `node.role`. */
  readonly role?: string;
  /** `--ha` → `node.ha`. */
  readonly ha?: string;
  /** `--listen` → `fix.listen`. */
  readonly listen?: string;
  /** `--data-dir` → `node.dataDir`. */
  readonly dataDir?: string;
  /** `--admin` → `admin.listen`. */
  readonly admin?: string;
}

/** Where each override goes and the flag named in errors. */
export const OVERRIDE_TARGETS: Readonly<
  Record<keyof ConfigOverrides, { path: readonly string[]; flag: string }>
> = {
  role: { path: ["node", "role"], flag: "--role" },
  ha: { path: ["node", "ha"], flag: "--ha" },
  listen: { path: ["fix", "listen"], flag: "--listen" },
  dataDir: { path: ["node", "dataDir"], flag: "--data-dir" },
  admin: { path: ["admin", "listen"], flag: "--admin" },
};

/** Options of {@linkcode loadConfig}. */
export interface LoadConfigOptions {
  /** Name of the text's origin used in messages (a file path). */
  readonly source: string;
  /** Environment for `${ENV:NAME}` substitution. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Command-line flags that replace file values. */
  readonly overrides?: ConfigOverrides;
  /** Receives warnings (a secret in plain text, an ignored key). */
  readonly onWarning?: (issue: ConfigIssue) => void;
}

/**
 * Parses and validates a configuration. Throws {@linkcode ConfigError} naming every problem.
 *
 * @example
 * ```ts
 * const config = loadConfig(
 *   "node: { role: acceptor }\nfix: { listen: 127.0.0.1:9876 }\n" +
 *     "sessions: [{ beginString: FIX.4.4, senderCompId: ISLD, targetCompId: TW }]\n",
 *   { source: "tandem.yaml" },
 * );
 * config.sessions[0]!.heartbeatIntervalS; // 30
 * ```
 */
export function loadConfig(text: string, options: LoadConfigOptions): TandemConfig {
  return loadWithSchema(tandemSchema, text, options) as TandemConfig;
}

/** {@linkcode loadConfig} against any schema (for tests and embedders). */
export function loadWithSchema(
  root: Field<unknown>,
  text: string,
  options: LoadConfigOptions,
): unknown {
  const { source } = options;
  const bytes = new TextEncoder().encode(text).length;
  if (bytes > MAX_CONFIG_BYTES) {
    throw new ConfigError(source, [{
      source,
      path: "",
      message: `File is ${bytes} bytes, above the limit of ${MAX_CONFIG_BYTES}`,
    }]);
  }
  const lineCounter = new LineCounter();
  const doc: Document = parseDocument(text, {
    lineCounter,
    prettyErrors: true,
    uniqueKeys: true,
    merge: true,
  });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      source,
      doc.errors.map((e) => ({
        source,
        path: "",
        ...(e.linePos ? { line: e.linePos[0].line, column: e.linePos[0].col } : {}),
        message: `Cannot parse YAML: ${
          e.message.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, "")
        }`,
      })),
    );
  }
  const synthetic = new Map<object, string>();
  const overrides = options.overrides ?? {};
  for (const key of Object.keys(OVERRIDE_TARGETS) as (keyof ConfigOverrides)[]) {
    const value = overrides[key];
    if (value === undefined) continue;
    if (doc.contents === null) doc.contents = doc.createNode({});
    if (!isMap(doc.contents)) break; // reported by validation
    const target = OVERRIDE_TARGETS[key];
    const node = doc.createNode(value);
    synthetic.set(node, `command line ${target.flag}`);
    doc.setIn(target.path, node);
  }
  const result = validateDocument(root, {
    doc,
    lineCounter,
    source,
    env: options.env ?? {},
    syntheticOrigins: synthetic,
  });
  for (const w of result.warnings) options.onWarning?.(w);
  if (result.errors.length > 0) throw new ConfigError(source, inFileOrder(result.errors));
  if (typeof result.value === "object" && result.value !== null) {
    rememberOrigins(result.value, result.origins);
  }
  return result.value;
}

/** Issues sorted by line and column (stable; issues without a position last). */
function inFileOrder(issues: readonly ConfigIssue[]): ConfigIssue[] {
  return [...issues].sort((a, b) =>
    (a.line ?? Infinity) - (b.line ?? Infinity) || (a.column ?? 0) - (b.column ?? 0)
  );
}

/** Options of {@linkcode readConfigFile}. */
export interface ReadConfigFileOptions {
  /** Environment for `${ENV:NAME}`; default: the process environment. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Command-line flags that replace file values. */
  readonly overrides?: ConfigOverrides;
  /** Receives warnings. */
  readonly onWarning?: (issue: ConfigIssue) => void;
  /** Also check the files the configuration names (dictionaries, TLS); default true. */
  readonly verifyFiles?: boolean;
  /**
   * Names of the applications the program registered besides the built-in ones; when given, a
   * session naming any other application is an error. Absent: names are not checked.
   */
  readonly applications?: Iterable<string>;
}

/**
 * Reads and validates the configuration file at `path`, then checks the files it names (custom
 * dictionaries parse, TLS files are readable). A missing or unreadable file is a
 * {@linkcode ConfigError} too, so callers have one error to report.
 */
export async function readConfigFile(
  path: string,
  options: ReadConfigFileOptions = {},
): Promise<TandemConfig> {
  let text: string;
  try {
    const info = await Deno.stat(path);
    if (!info.isFile) {
      throw new ConfigError(path, [{
        source: path,
        path: "",
        message: "Cannot read config: not a file",
      }]);
    }
    if (info.size > MAX_CONFIG_BYTES) {
      throw new ConfigError(path, [{
        source: path,
        path: "",
        message: `File is ${info.size} bytes, above the limit of ${MAX_CONFIG_BYTES}`,
      }]);
    }
    text = await Deno.readTextFile(path);
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    const why = e instanceof Deno.errors.NotFound
      ? "file not found"
      : e instanceof Deno.errors.PermissionDenied
      ? "permission denied"
      : (e as Error).message;
    throw new ConfigError(path, [{
      source: path,
      path: "",
      message: `Cannot read config: ${why}`,
    }]);
  }
  const config = loadConfig(text, {
    source: path,
    env: options.env ?? Deno.env.toObject(),
    ...(options.overrides ? { overrides: options.overrides } : {}),
    ...(options.onWarning ? { onWarning: options.onWarning } : {}),
  });
  if (options.applications !== undefined) {
    const issues = checkApplicationNames(config, path, options.applications);
    if (issues.length > 0) throw new ConfigError(path, issues);
  }
  if (options.verifyFiles ?? true) {
    const issues = await verifyConfigFiles(config, path);
    if (issues.length > 0) throw new ConfigError(path, inFileOrder(issues));
  }
  return config;
}

/**
 * A plain copy of a validated value with secrets replaced by `***` and addresses written as
 * `HOST:PORT`: safe to print or log.
 */
export function redactConfig(value: unknown, root: Field<unknown> = tandemSchema): unknown {
  return redactWith(value, root);
}

function redactWith(value: unknown, f: Field<unknown>): unknown {
  if (value === undefined) return undefined;
  if (f.secret) return "***";
  const spec = f.spec;
  switch (spec.kind) {
    case "object": {
      const out: Record<string, unknown> = {};
      for (const [k, child] of Object.entries(spec.fields)) {
        const v = redactWith((value as Record<string, unknown>)[k], child);
        if (v !== undefined) out[k] = v;
      }
      return out;
    }
    case "array":
      return (value as unknown[]).map((v) => redactWith(v, spec.item));
    case "record":
      return Object.fromEntries(
        Object.entries(value as Record<string, unknown>).map((
          [k, v],
        ) => [k, redactWith(v, spec.value)]),
      );
    case "hostPort":
      return formatHostPort(value as HostPort);
    default:
      return value;
  }
}
