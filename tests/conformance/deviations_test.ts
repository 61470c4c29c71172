import { assertEquals } from "../../lib/testing/assert.ts";
import { judgeResult, SPEC_DEVIATIONS } from "./deviations.ts";
import type { ScriptResult } from "./at_runner.ts";

const LISTED = { "v/a.def": { reason: "missing 1137=9", why: "the spec says so" } };
const result = (name: string, passed: boolean, reason?: string): ScriptResult => ({
  name,
  passed,
  durationMs: 1,
  transcript: [],
  ...(reason === undefined ? {} : { line: 7, reason }),
});

Deno.test("judgeResult() counts a listed script failing as listed as a deviation, passed", () => {
  const j = judgeResult(result("v/a.def", false, "missing 1137=9"), LISTED);
  assertEquals([j.result.passed, j.deviation], [true, "the spec says so"]);
});

Deno.test("judgeResult() fails a listed script that fails otherwise, or passes", () => {
  const other = judgeResult(result("v/a.def", false, "35 should be j but is 3"), LISTED);
  assertEquals([other.result.passed, other.deviation], [false, undefined]);
  const passes = judgeResult(result("v/a.def", true), LISTED);
  assertEquals(passes.result.passed, false);
  assertEquals(
    passes.result.reason,
    "listed in SPEC_DEVIATIONS but passed: remove it from the list",
  );
});

Deno.test("judgeResult() leaves scripts that are not listed alone", () => {
  const r = result("v/b.def", false, "missing 1137=9");
  assertEquals(judgeResult(r, LISTED), { result: r });
  assertEquals(Object.keys(SPEC_DEVIATIONS).every((n) => n.endsWith(".def")), true);
});
