import { assertEquals, assertStringIncludes, assertThrows } from "../testing/assert.ts";
import { ConfigError, type ConfigIssue, loadWithSchema } from "./mod.ts";
import * as s from "./schema.ts";

// A schema written the way tandem_schema.ts is: one field per key.
const schema = s.object(
  {
    name: s.string({ doc: "Name.", required: true }),
    retries: s.integer({ doc: "Retries.", default: 3, min: 0, max: 10 }),
    timeoutMs: s.duration({ doc: "Timeout.", unit: "ms", default: 1_000, min: 1, max: 60_000 }),
    password: s.string({ doc: "Password.", secret: true }),
    limits: s.record(s.integer({ doc: "Limit.", min: 0, max: 9 }), {
      doc: "Limits.",
      default: {},
      keyPattern: /^[a-z]+$/,
      keyHint: "lower-case letters",
      maxEntries: 2,
    }),
    extra: s.object({ on: s.boolean({ doc: "On.", default: false }) }, {
      doc: "Extra.",
      optional: true,
    }),
  },
  { doc: "Root." },
  (v, ctx) => {
    if (v.retries === 0 && ctx.given("timeoutMs")) {
      ctx.error("timeoutMs", "Useless without retries");
    }
  },
);

function load(text: string, warnings: ConfigIssue[] = []): s.Infer<typeof schema> {
  return loadWithSchema(schema, text, {
    source: "x.yaml",
    env: { PW: "pw" },
    onWarning: (w) => warnings.push(w),
  }) as s.Infer<typeof schema>;
}

Deno.test("schema fields give defaults, types and optional sections", () => {
  assertEquals(load("name: a\n"), {
    name: "a",
    retries: 3,
    timeoutMs: 1_000,
    password: undefined,
    limits: {},
    extra: undefined,
  });
  assertEquals(load("name: a\nextra: {}\n").extra, { on: false });
});

Deno.test("schema refine hooks see whether a key was given", () => {
  load("name: a\nretries: 0\n");
  const e = assertThrows(() => load("name: a\nretries: 0\ntimeoutMs: 5s\n"), ConfigError);
  assertEquals([e.issues[0]!.path, e.issues[0]!.line], ["timeoutMs", 3]);
});

Deno.test("schema records check keys, values and their count", () => {
  assertEquals(load("name: a\nlimits: { ab: 1 }\n").limits, { ab: 1 });
  const e = assertThrows(() => load("name: a\nlimits: { AB: 1, c: 12 }\n"), ConfigError);
  assertEquals(e.issues.map((i) => i.path), ["limits.AB", "limits.c"]);
  assertStringIncludes(e.issues[0]!.message, "is not lower-case letters");
  assertThrows(
    () => load("name: a\nlimits: { a: 1, b: 1, c: 1 }\n"),
    ConfigError,
    "at most 2 entries",
  );
});

Deno.test("schema secrets warn only when written in plain text", () => {
  const warnings: ConfigIssue[] = [];
  load("name: a\npassword: ${ENV:PW}\n", warnings);
  assertEquals(warnings.length, 0);
  load("name: a\npassword: pw\n", warnings);
  assertEquals(warnings.map((w) => [w.path, w.line]), [["password", 2]]);
});

Deno.test("schema resolves YAML aliases", () => {
  assertEquals(load("name: &n shared\nlimits: { a: 1 }\npassword: *n\n").password, "shared");
});
