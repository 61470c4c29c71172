import { isMap, isSeq, parseDocument } from "yaml";
import { assert, assertEquals } from "../testing/assert.ts";
import { loadConfig, renderTandemExample, tandemSchema } from "./mod.ts";
import { renderValue } from "./example.ts";
import type { Field } from "./schema.ts";

const EXAMPLE_URL = new URL("../../config.example.yaml", import.meta.url);

Deno.test("config.example.yaml is the rendering of the schema (regenerate with _write_example.ts)", async () => {
  const onDisk = await Deno.readTextFile(EXAMPLE_URL);
  // `deno fmt` may re-indent comment lines; compare them without leading blanks.
  const normalize = (text: string) =>
    text.split("\n").map((l) => (/^\s*#/.test(l) ? l.trimStart() : l)).join("\n");
  assertEquals(
    normalize(onDisk),
    normalize(renderTandemExample()),
    "config.example.yaml is stale: ./denow run --allow-write=config.example.yaml lib/config/_write_example.ts",
  );
});

Deno.test("config.example.yaml is a valid acceptor configuration", async () => {
  const c = loadConfig(await Deno.readTextFile(EXAMPLE_URL), {
    source: "config.example.yaml",
    env: {},
  });
  assertEquals(c.node.role, "acceptor");
});

/** Every key path of the schema with its field (arrays of objects contribute their item's keys). */
function keyPaths(f: Field<unknown>, path: string[], out: [string[], Field<unknown>][]): void {
  const spec = f.spec;
  if (spec.kind === "object") {
    for (const [k, child] of Object.entries(spec.fields)) {
      out.push([[...path, k], child]);
      keyPaths(child, [...path, k], out);
    }
  } else if (spec.kind === "array" && spec.item.spec.kind === "object") {
    keyPaths(spec.item, [...path, "0"], out);
  }
}

Deno.test("config.example.yaml shows every schema key, with its default where it has one", async () => {
  const text = await Deno.readTextFile(EXAMPLE_URL);
  const doc = parseDocument(text);
  const paths: [string[], Field<unknown>][] = [];
  keyPaths(tandemSchema, [], paths);
  assert(paths.length > 80, `only ${paths.length} keys found`);
  let checkedDefaults = 0;
  for (const [path, f] of paths) {
    const key = path.at(-1)!;
    assert(new RegExp(`^[\\s#]*(- )?${key}:`, "m").test(text), `${path.join(".")} is missing`);
    if (f.presence === "default" && f.spec.kind !== "object") {
      const node = doc.getIn(path.map((p) => (/^\d+$/.test(p) ? Number(p) : p)));
      if (node === undefined) {
        // Inside a commented-out optional section: the default is shown in the comment.
        const line = `${key}: ${renderValue(f.default)}`;
        assert(
          text.split("\n").some((l) => /^\s*#\s/.test(l) && l.replace(/^[\s#]*/, "") === line),
          `${path.join(".")}: no commented "${line}"`,
        );
      } else {
        const value = isMap(node) || isSeq(node) ? node.toJSON() : node;
        assertEquals(value, f.default, `${path.join(".")} default`);
      }
      checkedDefaults++;
    }
  }
  assert(checkedDefaults >= 55, `only ${checkedDefaults} defaults checked`);
});
