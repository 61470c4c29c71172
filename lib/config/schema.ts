/**
 * A small, explicit schema mechanism for YAML configuration.
 *
 * A schema is a tree of plain {@linkcode Field} objects built by the functions below
 * (`string`, `integer`, `hostPort`, `object`, …). Each field says its type, its default (written in
 * the same form a user would write in YAML), its documentation, its allowed values or range and,
 * through the key name, its unit. From that one description come:
 *
 * - validation, with every problem reported against the key path and `line:column`
 *   ({@linkcode validateDocument});
 * - defaults, filled in for absent keys;
 * - the TypeScript type of the validated value ({@linkcode Infer});
 * - the documentation comments of `config.example.yaml` (see `example.ts`).
 *
 * Strings may take values from the environment with `${ENV:NAME}` (write `$${` for a literal
 * `${`). Fields marked `secret` draw a warning when given literally.
 *
 * @module
 */

import {
  type Document,
  isAlias,
  isMap,
  isScalar,
  isSeq,
  type LineCounter,
  type Node as YamlNode,
} from "yaml";
import { closestMatch } from "./suggest.ts";
import {
  type DurationUnit,
  type HostPort,
  isValidTimeZone,
  parseByteSize,
  parseDuration,
  parseHostPort,
  parseTimeOfDay,
} from "./values.ts";

/** Most problems collected from one file before validation stops. */
export const MAX_CONFIG_ISSUES = 50;

/** What a field holds and how its value is checked. */
export type TypeSpec =
  | {
    readonly kind: "string";
    readonly minLength: number;
    readonly maxLength: number;
    readonly pattern?: RegExp;
    readonly patternHint?: string;
  }
  | { readonly kind: "integer"; readonly min: number; readonly max: number }
  | { readonly kind: "number"; readonly min: number; readonly max: number }
  | { readonly kind: "boolean" }
  | { readonly kind: "enum"; readonly values: readonly (string | number)[] }
  | { readonly kind: "hostPort" }
  | {
    readonly kind: "duration";
    readonly unit: DurationUnit;
    readonly min: number;
    readonly max: number;
  }
  | { readonly kind: "byteSize"; readonly min: number; readonly max: number }
  | { readonly kind: "timeOfDay" }
  | { readonly kind: "timeZone" }
  | {
    readonly kind: "object";
    readonly fields: Fields;
    readonly refine?: Refine;
    readonly hints?: KeyHints;
  }
  | {
    readonly kind: "array";
    readonly item: Field<unknown>;
    readonly minItems: number;
    readonly maxItems: number;
  }
  | {
    readonly kind: "record";
    readonly keyPattern: RegExp;
    readonly keyHint: string;
    readonly value: Field<unknown>;
    readonly maxEntries: number;
  };

/** A key of a schema: its type, presence, default, documentation. `T` is the validated type. */
export interface Field<T> {
  /** The value's type and constraints. */
  readonly spec: TypeSpec;
  /** One or more sentences for humans; becomes the comment above the key in the example. */
  readonly doc: string;
  /** `default`: filled in when absent; `required`: must be given; `optional`: undefined when absent. */
  readonly presence: "default" | "required" | "optional";
  /** The default, in the form it would be written in YAML. */
  readonly default?: unknown;
  /** Marks passwords and tokens: redacted in summaries, warned about when not from `${ENV:…}`. */
  readonly secret: boolean;
  /** A value to show in `config.example.yaml` when the key has no default. */
  readonly example?: unknown;
  /** Phantom: carries the validated type. Never set. */
  readonly _type?: T;
}

/** The fields of an object, by key. */
export type Fields = Readonly<Record<string, Field<unknown>>>;

/** The validated type of a field. */
export type Infer<F> = F extends Field<infer T> ? T : never;

/** The validated type of an object with fields `F`. */
export type ObjectOf<F extends Fields> = { -readonly [K in keyof F]: Infer<F[K]> };

/** Known foreign key names (lower case) → where that setting lives here, for unknown-key errors. */
export type KeyHints = Readonly<Record<string, string>>;

/** Cross-field checks of an object, run once all its fields are valid. */
export type Refine = (value: Record<string, unknown>, ctx: RefineContext) => void;

/** What a refine hook can do: report problems against paths relative to the object. */
export interface RefineContext {
  /** Reports an error at `relativePath` (`""` for the object itself, `"fix.listen"`, …). */
  error(relativePath: string, message: string): void;
  /** Reports a warning at `relativePath`. */
  warn(relativePath: string, message: string): void;
  /** True when `relativePath` was written in the file or given as a flag (not a default). */
  given(relativePath: string): boolean;
}

type Presence<T, O> = O extends { default: unknown } ? T
  : O extends { required: true } ? T
  : T | undefined;

/** Options common to every scalar field. */
export interface FieldOptions {
  /** Documentation (required: every key is documented). */
  readonly doc: string;
  /** The key must be given. */
  readonly required?: true;
  /** Holds a secret. */
  readonly secret?: boolean;
  /** Example value for `config.example.yaml`. */
  readonly example?: unknown;
}

function field<T>(spec: TypeSpec, o: FieldOptions & { default?: unknown }): Field<T> {
  const presence = "default" in o && o.default !== undefined
    ? "default"
    : o.required
    ? "required"
    : "optional";
  const f: Field<T> = {
    spec,
    doc: o.doc,
    presence,
    secret: o.secret ?? false,
    ...(presence === "default" ? { default: o.default } : {}),
    ...(o.example !== undefined ? { example: o.example } : {}),
  };
  return f;
}

/** A string; `pattern` restricts it (say what it means in `patternHint`). */
export function string<
  const O extends FieldOptions & {
    default?: string;
    minLength?: number;
    maxLength?: number;
    pattern?: RegExp;
    patternHint?: string;
  },
>(
  o: O,
): Field<Presence<string, O>> {
  return field({
    kind: "string",
    minLength: o.minLength ?? 1,
    maxLength: o.maxLength ?? 4096,
    ...(o.pattern ? { pattern: o.pattern } : {}),
    ...(o.patternHint ? { patternHint: o.patternHint } : {}),
  }, o);
}

/** An integer within [min, max]. */
export function integer<
  const O extends FieldOptions & { default?: number; min: number; max: number },
>(
  o: O,
): Field<Presence<number, O>> {
  return field({ kind: "integer", min: o.min, max: o.max }, o);
}

/** A finite number within [min, max]. */
export function number<
  const O extends FieldOptions & { default?: number; min: number; max: number },
>(
  o: O,
): Field<Presence<number, O>> {
  return field({ kind: "number", min: o.min, max: o.max }, o);
}

/** `true` or `false` (YAML 1.2: `yes`/`no` are strings and refused). */
export function boolean<const O extends FieldOptions & { default?: boolean }>(
  o: O,
): Field<Presence<boolean, O>> {
  return field({ kind: "boolean" }, o);
}

/** One of a fixed list of values. */
export function oneOf<
  const V extends readonly (string | number)[],
  const O extends FieldOptions & { default?: V[number] },
>(values: V, o: O): Field<Presence<V[number], O>> {
  return field({ kind: "enum", values }, o);
}

/** A `HOST:PORT` address, validated into a {@linkcode HostPort}. */
export function hostPort<const O extends FieldOptions & { default?: string }>(
  o: O,
): Field<Presence<HostPort, O>> {
  return field({ kind: "hostPort" }, o);
}

/** A duration stored in `unit` (a bare number, or `250ms`, `2s`, `5m`, `1h`, `7d`). */
export function duration<
  const O extends FieldOptions & { default?: number; unit: DurationUnit; min: number; max: number },
>(
  o: O,
): Field<Presence<number, O>> {
  return field({ kind: "duration", unit: o.unit, min: o.min, max: o.max }, o);
}

/** A byte count (a bare number, or `64MiB`, `1GB`, …). */
export function byteSize<
  const O extends FieldOptions & { default?: number; min: number; max: number },
>(
  o: O,
): Field<Presence<number, O>> {
  return field({ kind: "byteSize", min: o.min, max: o.max }, o);
}

/** A time of day `HH:MM` or `HH:MM:SS`, kept as written (parse with `parseTimeOfDay`). */
export function timeOfDay<const O extends FieldOptions & { default?: string }>(
  o: O,
): Field<Presence<string, O>> {
  return field({ kind: "timeOfDay" }, o);
}

/** An IANA time zone name (`UTC`, `America/New_York`). */
export function timeZone<const O extends FieldOptions & { default?: string }>(
  o: O,
): Field<Presence<string, O>> {
  return field({ kind: "timeZone" }, o);
}

/** Options of an object field. */
export interface ObjectOptions {
  /** Documentation of the section. */
  readonly doc: string;
  /** When true the whole section may be absent (undefined); otherwise it is filled with defaults. */
  readonly optional?: boolean;
  /** Hints for unknown keys that are known under another name (like QuickFIX settings). */
  readonly hints?: KeyHints;
}

/**
 * A map with fixed keys. `refine` runs cross-field checks once every field is valid; it may
 * normalise the value in place (e.g. fill a default that depends on another key).
 */
export function object<const F extends Fields, const O extends ObjectOptions>(
  fields: F,
  o: O,
  refine?: (value: ObjectOf<F>, ctx: RefineContext) => void,
): Field<O extends { optional: true } ? ObjectOf<F> | undefined : ObjectOf<F>> {
  return {
    spec: {
      kind: "object",
      fields,
      ...(refine ? { refine: refine as unknown as Refine } : {}),
      ...(o.hints ? { hints: o.hints } : {}),
    },
    doc: o.doc,
    presence: o.optional ? "optional" : "default",
    secret: false,
  };
}

/** A list of items of one type, between `minItems` and `maxItems` long. */
export function array<
  const I extends Field<unknown>,
  const O extends FieldOptions & {
    default?: readonly unknown[];
    minItems?: number;
    maxItems: number;
  },
>(item: I, o: O): Field<Presence<Exclude<Infer<I>, undefined>[], O>> {
  return field({ kind: "array", item, minItems: o.minItems ?? 0, maxItems: o.maxItems }, o);
}

/** A map from keys matching `keyPattern` to values of one type (`{ "8": forever }`). */
export function record<
  const V extends Field<unknown>,
  const O extends FieldOptions & {
    default?: Readonly<Record<string, unknown>>;
    keyPattern: RegExp;
    keyHint: string;
    maxEntries: number;
  },
>(value: V, o: O): Field<Presence<Record<string, Exclude<Infer<V>, undefined>>, O>> {
  return field({
    kind: "record",
    keyPattern: o.keyPattern,
    keyHint: o.keyHint,
    value,
    maxEntries: o.maxEntries,
  }, o);
}

// ---------------------------------------------------------------------------------------------
// Validation

/** One problem found in a configuration, with where it is. */
export interface ConfigIssue {
  /** The file name (or `command line` for flags). */
  readonly source: string;
  /** Dotted key path, like `sessions[0].connect.addresses[1]` (empty for the whole file). */
  readonly path: string;
  /** 1-based line, when known. */
  readonly line?: number;
  /** 1-based column, when known. */
  readonly column?: number;
  /** What is wrong, sentence case, no trailing period. */
  readonly message: string;
}

/** Renders an issue as `file:line:col: path: message`. */
export function formatIssue(issue: ConfigIssue): string {
  const where = issue.line !== undefined
    ? `${issue.source}:${issue.line}:${issue.column ?? 1}`
    : issue.source;
  return issue.path ? `${where}: ${issue.path}: ${issue.message}` : `${where}: ${issue.message}`;
}

/** Where a value came from: a position in the file, or a named command-line flag. */
export interface Origin {
  readonly source: string;
  readonly line?: number;
  readonly column?: number;
  /** False when the value is a default. */
  readonly given: boolean;
}

/** Inputs of {@linkcode validateDocument}. */
export interface ValidateInput {
  readonly doc: Document;
  readonly lineCounter: LineCounter;
  readonly source: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Nodes that did not come from the file (flags), with the name to report them under. */
  readonly syntheticOrigins?: ReadonlyMap<object, string>;
}

/** Result of {@linkcode validateDocument}. */
export interface ValidateResult {
  /** The validated value; meaningful only when `errors` is empty. */
  readonly value: unknown;
  readonly errors: readonly ConfigIssue[];
  readonly warnings: readonly ConfigIssue[];
  /** Where each path's value came from. */
  readonly origins: ReadonlyMap<string, Origin>;
}

const INVALID: unique symbol = Symbol("invalid");

class Walker {
  readonly errors: ConfigIssue[] = [];
  readonly warnings: ConfigIssue[] = [];
  readonly origins = new Map<string, Origin>();
  truncated = false;
  /** Errors found, including those beyond the reported limit (decides validity of subtrees). */
  errorCount = 0;

  constructor(readonly input: ValidateInput) {}

  originOf(node: YamlNode | undefined, fallback: Origin): Origin {
    if (node) {
      const synthetic = this.input.syntheticOrigins?.get(node);
      if (synthetic !== undefined) return { source: synthetic, given: true };
      if (node.range) {
        const pos = this.input.lineCounter.linePos(node.range[0]);
        return { source: this.input.source, line: pos.line, column: pos.col, given: true };
      }
    }
    return { ...fallback, given: false };
  }

  report(kind: "error" | "warning", path: string, origin: Origin, message: string): void {
    if (kind === "error") this.errorCount++;
    const list = kind === "error" ? this.errors : this.warnings;
    if (list.length >= MAX_CONFIG_ISSUES) {
      this.truncated = true;
      return;
    }
    list.push({
      source: origin.source,
      path,
      ...(origin.line !== undefined ? { line: origin.line, column: origin.column ?? 1 } : {}),
      message,
    });
  }

  walkField(node: unknown, f: Field<unknown>, path: string, parent: Origin): unknown {
    if (node === undefined) {
      switch (f.presence) {
        case "required":
          this.report("error", path, parent, "Missing required key");
          return INVALID;
        case "optional":
          return undefined;
        case "default": {
          const origin = { ...parent, given: false };
          const defaultNode = f.spec.kind === "object"
            ? this.input.doc.createNode({})
            : this.input.doc.createNode(f.default);
          return this.walkSpec(defaultNode, f, path, origin);
        }
        default: {
          const never: never = f.presence;
          throw new TypeError(`Cannot walk field ${path}: unknown presence ${String(never)}`);
        }
      }
    }
    return this.walkSpec(node, f, path, parent);
  }

  walkSpec(raw: unknown, f: Field<unknown>, path: string, parent: Origin): unknown {
    let node = raw as YamlNode;
    if (isAlias(node)) node = node.resolve(this.input.doc) as YamlNode;
    const origin = this.originOf(node, parent);
    this.origins.set(path, origin);
    const spec = f.spec;
    const err = (message: string): typeof INVALID => {
      this.report("error", path, origin, message);
      return INVALID;
    };
    if (isScalar(node) && node.value === null) {
      return err(
        f.presence === "default"
          ? "Value is empty; remove the key to use the default"
          : "Value is empty",
      );
    }
    switch (spec.kind) {
      case "object":
        return this.walkObject(node, spec, path, origin);
      case "array": {
        if (!isSeq(node)) return err(`Expected a list, got ${describeNode(node)}`);
        if (node.items.length < spec.minItems) {
          return err(`Expected at least ${spec.minItems} item(s), got ${node.items.length}`);
        }
        if (node.items.length > spec.maxItems) {
          return err(`Expected at most ${spec.maxItems} items, got ${node.items.length}`);
        }
        const before = this.errorCount;
        const out = node.items.map((item, i) =>
          this.walkSpec(item, spec.item, `${path}[${i}]`, origin)
        );
        return this.errorCount > before ? INVALID : out;
      }
      case "record": {
        if (!isMap(node)) return err(`Expected a map, got ${describeNode(node)}`);
        if (node.items.length > spec.maxEntries) {
          return err(`Expected at most ${spec.maxEntries} entries, got ${node.items.length}`);
        }
        const out: Record<string, unknown> = {};
        const before = this.errorCount;
        for (const pair of node.items) {
          const keyNode = pair.key as YamlNode;
          const key = keyOf(keyNode) ?? "";
          const childPath = `${path}.${key}`;
          if (!spec.keyPattern.test(key)) {
            this.report(
              "error",
              childPath,
              this.originOf(keyNode, origin),
              `Key "${key}" is not ${spec.keyHint}`,
            );
            continue;
          }
          out[key] = this.walkField(
            pair.value ?? undefined,
            spec.value,
            childPath,
            this.originOf(keyNode, origin),
          );
        }
        return this.errorCount > before ? INVALID : out;
      }
      default:
        break;
    }
    if (!isScalar(node)) return err(`Expected ${describeSpec(spec)}, got ${describeNode(node)}`);
    let value = node.value;
    let fromEnv = false;
    if (
      typeof value === "string" && spec.kind !== "integer" && spec.kind !== "number" &&
      spec.kind !== "boolean"
    ) {
      const sub = this.substituteEnv(value, path, origin);
      if (sub === undefined) return INVALID;
      value = sub.text;
      fromEnv = sub.fromEnv;
    }
    if (f.secret && origin.given && !fromEnv && typeof value === "string") {
      this.report(
        "warning",
        path,
        origin,
        "Secret is written in plain text; prefer ${ENV:NAME} to take it from the environment",
      );
    }
    switch (spec.kind) {
      case "string": {
        let text: string;
        if (typeof value === "string") text = value;
        else if (typeof value === "number" || typeof value === "bigint") {
          text = node.source ?? String(value);
        } else return err(`Expected a string, got ${describeValue(value)}`);
        if (text.length < spec.minLength) {
          return err(
            text.length === 0 ? "Value is empty" : `Expected at least ${spec.minLength} characters`,
          );
        }
        if (text.length > spec.maxLength) {
          return err(`Expected at most ${spec.maxLength} characters, got ${text.length}`);
        }
        if (spec.pattern && !spec.pattern.test(text)) {
          return err(`Value "${text}" is not ${spec.patternHint ?? `matching ${spec.pattern}`}`);
        }
        return text;
      }
      case "integer":
      case "number": {
        if (typeof value !== "number" || !Number.isFinite(value)) {
          return err(`Expected ${describeSpec(spec)}, got ${describeValue(value)}`);
        }
        if (spec.kind === "integer" && !Number.isInteger(value)) {
          return err(`Expected an integer, got ${value}`);
        }
        return this.inRange(value, spec.min, spec.max, "", err);
      }
      case "boolean":
        if (typeof value !== "boolean") {
          return err(`Expected true or false, got ${describeValue(value)}`);
        }
        return value;
      case "enum": {
        if (spec.values.includes(value as string | number)) return value;
        // Numbers written as strings (or the reverse) are accepted when unambiguous.
        const match = spec.values.find((v) => String(v) === String(value));
        if (match !== undefined) return match;
        const hint = typeof value === "string"
          ? closestMatch(value, spec.values.map(String))
          : undefined;
        return err(
          `Value ${describeValue(value)} is not one of ${spec.values.join(", ")}` +
            (hint !== undefined ? `; did you mean "${hint}"?` : ""),
        );
      }
      case "hostPort":
        if (typeof value !== "string") {
          return err(`Expected HOST:PORT, got ${describeValue(value)}`);
        }
        try {
          return parseHostPort(value);
        } catch (e) {
          return err((e as Error).message);
        }
      case "duration":
      case "byteSize": {
        if (typeof value !== "string" && typeof value !== "number") {
          return err(`Expected ${describeSpec(spec)}, got ${describeValue(value)}`);
        }
        let parsed: number;
        try {
          parsed = spec.kind === "duration"
            ? parseDuration(value, spec.unit)
            : parseByteSize(value);
        } catch (e) {
          return err((e as Error).message);
        }
        return this.inRange(
          parsed,
          spec.min,
          spec.max,
          spec.kind === "duration" ? ` ${spec.unit}` : " bytes",
          err,
        );
      }
      case "timeOfDay":
        if (typeof value !== "string") {
          return err(`Expected a time of day HH:MM[:SS] in quotes, got ${describeValue(value)}`);
        }
        try {
          parseTimeOfDay(value);
          return value;
        } catch (e) {
          return err((e as Error).message);
        }
      case "timeZone":
        if (typeof value !== "string" || !isValidTimeZone(value)) {
          return err(
            `Value ${
              describeValue(value)
            } is not a known IANA time zone (like UTC or Europe/London)`,
          );
        }
        return value;
      default: {
        const never: never = spec;
        throw new TypeError(`Cannot validate ${path}: unknown kind ${JSON.stringify(never)}`);
      }
    }
  }

  inRange(
    value: number,
    min: number,
    max: number,
    unit: string,
    err: (m: string) => typeof INVALID,
  ): number | typeof INVALID {
    if (value < min) return err(`Value ${value}${unit} is below the minimum ${min}${unit}`);
    if (value > max) return err(`Value ${value}${unit} is above the maximum ${max}${unit}`);
    return value;
  }

  walkObject(
    node: YamlNode,
    spec: Extract<TypeSpec, { kind: "object" }>,
    path: string,
    origin: Origin,
  ): unknown {
    if (!isMap(node)) {
      this.report("error", path, origin, `Expected a map of keys, got ${describeNode(node)}`);
      return INVALID;
    }
    const before = this.errorCount;
    const given = new Map<string, { node: YamlNode | null; keyOrigin: Origin }>();
    const merged: YamlNode[] = [];
    const visit = (pairs: readonly { key: unknown; value: unknown }[], fromMerge: boolean) => {
      for (const pair of pairs) {
        const keyNode = pair.key as YamlNode;
        if (isMergeKey(keyNode)) {
          // `<<: *anchor` or `<<: [*a, *b]`: keys not written here come from the anchors.
          let v = pair.value as YamlNode;
          if (isAlias(v)) v = v.resolve(this.input.doc) as YamlNode;
          const sources = isSeq(v) ? v.items as YamlNode[] : [v];
          for (const src of sources) {
            const m = isAlias(src) ? src.resolve(this.input.doc) as YamlNode : src;
            if (isMap(m)) merged.push(m);
            else {this.report(
                "error",
                path,
                this.originOf(src, origin),
                "Cannot merge (<<) a value that is not a map",
              );}
          }
          continue;
        }
        const key = keyOf(keyNode);
        const keyOrigin = this.originOf(keyNode, origin);
        if (key === undefined) {
          this.report("error", path, keyOrigin, "Keys must be plain names");
          continue;
        }
        if (fromMerge && given.has(key)) continue;
        const childPath = path ? `${path}.${key}` : key;
        if (path === "" && key.startsWith(EXTENSION_KEY_PREFIX)) continue;
        if (!Object.hasOwn(spec.fields, key)) {
          const hint = closestMatch(key, Object.keys(spec.fields));
          const foreign = spec.hints?.[key.toLowerCase()];
          this.report(
            "error",
            childPath,
            keyOrigin,
            hint !== undefined
              ? `Unknown key "${key}"; did you mean "${hint}"?`
              : foreign !== undefined
              ? `Unknown key "${key}"; that setting is ${foreign} here`
              : `Unknown key "${key}"; expected one of ${Object.keys(spec.fields).join(", ")}`,
          );
          continue;
        }
        given.set(key, { node: (pair.value ?? null) as YamlNode | null, keyOrigin });
      }
    };
    visit(node.items, false);
    for (let i = 0; i < merged.length && i < MAX_MERGE_SOURCES; i++) {
      visit((merged[i] as unknown as { items: { key: unknown; value: unknown }[] }).items, true);
    }
    const out: Record<string, unknown> = {};
    for (const [key, f] of Object.entries(spec.fields)) {
      const childPath = path ? `${path}.${key}` : key;
      const child = given.get(key);
      // `section:` with every key commented out (a null value) means the section's defaults.
      const nullSection = child !== undefined && f.spec.kind === "object" &&
        (child.node === null || (isScalar(child.node) && child.node.value === null));
      out[key] = child === undefined || nullSection
        ? this.walkField(undefined, f, childPath, child?.keyOrigin ?? origin)
        : this.walkField(
          child.node ?? this.input.doc.createNode(null),
          f,
          childPath,
          child.keyOrigin,
        );
    }
    if (this.errorCount > before) return INVALID;
    if (spec.refine) {
      const abs = (rel: string) => (rel === "" ? path : path ? `${path}.${rel}` : rel);
      const originAt = (p: string): Origin => {
        let cur = p;
        for (;;) {
          const o = this.origins.get(cur);
          if (o) return o;
          if (cur === path || cur === "") return origin;
          const cut = Math.max(cur.lastIndexOf("."), cur.lastIndexOf("["));
          cur = cut < 0 ? "" : cur.slice(0, cut);
        }
      };
      spec.refine(out, {
        error: (rel, message) => this.report("error", abs(rel), originAt(abs(rel)), message),
        warn: (rel, message) => this.report("warning", abs(rel), originAt(abs(rel)), message),
        given: (rel) => this.origins.get(abs(rel))?.given ?? false,
      });
      if (this.errorCount > before) return INVALID;
    }
    return out;
  }

  substituteEnv(
    text: string,
    path: string,
    origin: Origin,
  ): { text: string; fromEnv: boolean } | undefined {
    if (!text.includes("${")) return { text, fromEnv: false };
    let fromEnv = false;
    let failed = false;
    const result = text.replace(/\$\$\{|\$\{([^}]*)\}/g, (whole, inner: string | undefined) => {
      if (whole === "$${") return "${";
      const m = /^ENV:([A-Za-z_][A-Za-z0-9_]*)$/.exec(inner ?? "");
      if (!m) {
        this.report(
          "error",
          path,
          origin,
          `Cannot substitute ${whole}: only \${ENV:NAME} is supported (write $\${ for a literal \${)`,
        );
        failed = true;
        return "";
      }
      const name = m[1]!;
      const v = this.input.env[name];
      if (v === undefined) {
        this.report(
          "error",
          path,
          origin,
          `Cannot substitute ${whole}: environment variable ${name} is not set`,
        );
        failed = true;
        return "";
      }
      fromEnv = true;
      return v;
    });
    return failed ? undefined : { text: result, fromEnv };
  }
}

/** Validates a parsed YAML document against `root` (an object field). */
export function validateDocument(root: Field<unknown>, input: ValidateInput): ValidateResult {
  const w = new Walker(input);
  const start: Origin = { source: input.source, line: 1, column: 1, given: false };
  const contents = input.doc.contents;
  const node = contents === null ? input.doc.createNode({}) : contents;
  const value = w.walkSpec(node, root, "", start);
  if (w.truncated) {
    w.errors.push({
      source: input.source,
      path: "",
      message: `Too many problems; stopped after ${MAX_CONFIG_ISSUES}`,
    });
  }
  return { value, errors: w.errors, warnings: w.warnings, origins: w.origins };
}

/** Top-level keys starting with this are ignored: a place for YAML anchors (`x-session: &s`). */
export const EXTENSION_KEY_PREFIX = "x-";

/** Most maps merged into one with `<<` (including nested merges). */
export const MAX_MERGE_SOURCES = 64;

function isMergeKey(key: unknown): boolean {
  return isScalar(key) && (typeof key.value === "symbol" || key.value === "<<");
}

/** A map key as text: a scalar node, or a plain value (keys created by `Document.setIn`). */
function keyOf(key: unknown): string | undefined {
  if (isScalar(key)) return String(key.value);
  if (typeof key === "string" || typeof key === "number") return String(key);
  return undefined;
}

function describeSpec(spec: TypeSpec): string {
  switch (spec.kind) {
    case "string":
      return "a string";
    case "integer":
      return "an integer";
    case "number":
      return "a number";
    case "boolean":
      return "true or false";
    case "enum":
      return `one of ${spec.values.join(", ")}`;
    case "hostPort":
      return "HOST:PORT";
    case "duration":
      return `a duration (a number of ${spec.unit} or like 250ms, 2s, 5m)`;
    case "byteSize":
      return "a byte size (a number of bytes or like 64MiB)";
    case "timeOfDay":
      return "a time of day HH:MM[:SS]";
    case "timeZone":
      return "a time zone name";
    case "object":
      return "a map of keys";
    case "array":
      return "a list";
    case "record":
      return "a map";
    default: {
      const never: never = spec;
      return String(never);
    }
  }
}

function describeNode(node: unknown): string {
  if (isMap(node)) return "a map";
  if (isSeq(node)) return "a list";
  if (isScalar(node)) return describeValue(node.value);
  return "an unsupported value";
}

function describeValue(value: unknown): string {
  if (typeof value === "string") return `"${value}"`;
  if (value === null) return "an empty value";
  return String(value);
}
