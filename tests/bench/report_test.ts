import { assert, assertEquals } from "../../lib/testing/assert.ts";

const REPORT = new URL("./report.ts", import.meta.url).pathname;

Deno.test("report.ts --only codec --json writes each codec figure beside its floor, ratio and target", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tandem-bench-report-" });
  try {
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        "--quiet",
        REPORT,
        "--only",
        "codec",
        "--quick",
        "--json",
        `${dir}/r.json`,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stdout = new TextDecoder().decode(out.stdout);
    assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
    const json = JSON.parse(await Deno.readTextFile(`${dir}/r.json`));
    const rows = json.rows as Record<string, unknown>[];
    assertEquals(rows.map((r) => r.section), ["codec", "codec", "codec", "codec"]);
    for (const r of rows) {
      assert(typeof r.value === "number" && r.value > 0, `value of ${r.figure}`);
      assert(typeof r.floorValue === "number" && r.floorValue > 0, `floor of ${r.figure}`);
      assertEquals(r.ratio, (r.value as number) / (r.floorValue as number));
      assertEquals(typeof r.pass, "boolean");
      assert(stdout.includes(r.figure as string), `table line for ${r.figure}`);
    }
    assert(stdout.includes("targets met"), stdout);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
