/**
 * Renders a documented example configuration from a schema: each key with its doc comment, its
 * default (or an example value), optional keys commented out. `config.example.yaml` is this
 * output for {@linkcode tandemSchema}; a test keeps the two in step.
 *
 * @module
 */

import type { Field, TypeSpec } from "./schema.ts";
import { tandemSchema } from "./tandem_schema.ts";

/** Width comments are wrapped at. */
export const EXAMPLE_LINE_WIDTH = 100;

/** Options of {@linkcode renderExample}. */
export interface RenderExampleOptions {
  /** Comment lines at the top of the file. */
  readonly header?: readonly string[];
  /** Paths of optional keys written uncommented with their example (so the file is valid). */
  readonly activeOptional?: ReadonlySet<string>;
}

/** Renders `root` (an object field) as documented YAML. */
export function renderExample(root: Field<unknown>, options: RenderExampleOptions = {}): string {
  const lines: string[] = [];
  for (const h of options.header ?? []) lines.push(h === "" ? "#" : `# ${h}`);
  if (root.spec.kind !== "object") {
    throw new TypeError("Cannot render example: root is not an object");
  }
  renderFields(root.spec.fields, "", 0, lines, options.activeOptional ?? new Set());
  return lines.join("\n") + "\n";
}

function renderFields(
  fields: Readonly<Record<string, Field<unknown>>>,
  path: string,
  indent: number,
  out: string[],
  active: ReadonlySet<string>,
): void {
  let first = true;
  for (const [key, f] of Object.entries(fields)) {
    const childPath = path ? `${path}.${key}` : key;
    if (!first && indent === 0) out.push("");
    first = false;
    renderField(key, f, childPath, indent, out, active);
  }
}

function renderField(
  key: string,
  f: Field<unknown>,
  path: string,
  indent: number,
  out: string[],
  active: ReadonlySet<string>,
): void {
  const pad = " ".repeat(indent);
  const note = describeConstraint(f);
  for (const line of wrap(f.doc + (note ? ` ${note}` : ""), EXAMPLE_LINE_WIDTH - indent - 2)) {
    out.push(`${pad}# ${line}`);
  }
  if (f.presence === "optional" && !active.has(path)) {
    // Commented out as a block: "# key:" then "#   child: …", so uncommenting is deleting "# ".
    const inner: string[] = [];
    renderBody(key, f, path, 0, inner, active);
    for (const line of inner) out.push(`${pad}# ${line}`);
    return;
  }
  renderBody(key, f, path, indent, out, active);
}

function renderBody(
  key: string,
  f: Field<unknown>,
  path: string,
  indent: number,
  out: string[],
  active: ReadonlySet<string>,
): void {
  const pad = " ".repeat(indent);
  const spec = f.spec;
  if (spec.kind === "object") {
    out.push(`${pad}${key}:`);
    renderFields(spec.fields, path, indent + 2, out, active);
    return;
  }
  if (spec.kind === "array" && spec.item.spec.kind === "object") {
    out.push(`${pad}${key}:`);
    const itemLines: string[] = [];
    renderFields(spec.item.spec.fields, `${path}[0]`, indent + 4, itemLines, active);
    const keyLine = itemLines.findIndex((l) => !l.trimStart().startsWith("#"));
    if (keyLine >= 0) itemLines[keyLine] = `${pad}  - ${itemLines[keyLine]!.slice(indent + 4)}`;
    out.push(...itemLines);
    return;
  }
  const value = f.presence === "default" ? f.default : f.example;
  out.push(value === undefined ? `${pad}${key}:` : `${pad}${key}: ${renderValue(value)}`);
}

function describeConstraint(f: Field<unknown>): string {
  const spec: TypeSpec = f.spec;
  switch (spec.kind) {
    case "enum":
      return `Values: ${spec.values.join(", ")}.`;
    case "integer":
    case "number":
      return `Range ${spec.min}–${spec.max}.`;
    case "duration":
      return `Range ${spec.min}–${spec.max} ${spec.unit}.`;
    case "byteSize":
      return `Range ${spec.min}–${spec.max} bytes.`;
    case "record":
      return f.example !== undefined ? `Example: ${renderValue(f.example)}.` : "";
    default:
      return f.presence === "required" ? "Required." : "";
  }
}

/** Renders a YAML value in flow style (`[1, 2]`, `{ "8": forever }`, quoted when needed). */
export function renderValue(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(renderValue).join(", ")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value);
    if (entries.length === 0) return "{}";
    return `{ ${entries.map(([k, v]) => `${renderKey(k)}: ${renderValue(v)}`).join(", ")} }`;
  }
  if (typeof value === "string") {
    const plain = /^[A-Za-z0-9_./${}-][A-Za-z0-9_./:${}-]*$/.test(value) &&
      !/^(true|false|null|~|[-+]?[\d.]+([eE][-+]?\d+)?|0x[0-9a-fA-F]+|0o[0-7]+)$/i.test(value) &&
      !value.includes(": ") && !/^\d\d:\d\d/.test(value);
    return plain ? value : JSON.stringify(value);
  }
  return String(value);
}

function renderKey(k: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(k) ? k : JSON.stringify(k);
}

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
}

/** Header of `config.example.yaml`. */
export const EXAMPLE_HEADER: readonly string[] = [
  "Tandem configuration — every key with its documentation and default.",
  "Generated from lib/config/tandem_schema.ts; regenerate with",
  "  ./denow run --allow-write=config.example.yaml lib/config/_write_example.ts &&",
  "  ./denow fmt config.example.yaml",
  "",
  "Keys end in their unit (…Ms, …S, …Bytes, …Days). Durations also accept 250ms, 2s, 5m, 1h, 7d;",
  "byte sizes accept 64MiB, 1GB. Addresses are HOST:PORT ([::1]:9876 for IPv6).",
  "Any string may take a value from the environment: ${ENV:NAME} (write $${ for a literal ${).",
  "Secrets (replication.secret, admin.token, api.token) should come from the environment.",
  "Relative paths are relative to the working directory.",
  "Command-line flags override keys: --role, --ha, --listen, --data-dir, --admin.",
  "Keys commented out are optional and have no default.",
  "Top-level keys starting with x- are ignored: use them for YAML anchors merged with <<: *name",
  "(for example settings shared by several sessions).",
  "",
];

/** Optional keys `config.example.yaml` sets, so that it is a valid acceptor configuration. */
export const EXAMPLE_ACTIVE_OPTIONAL: ReadonlySet<string> = new Set([
  "node.role",
  "fix.listen",
]);

/** The text of `config.example.yaml`. */
export function renderTandemExample(): string {
  return renderExample(tandemSchema, {
    header: EXAMPLE_HEADER,
    activeOptional: EXAMPLE_ACTIVE_OPTIONAL,
  });
}
