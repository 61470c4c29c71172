import { assert, assertEquals } from "../../lib/testing/assert.ts";
import {
  failedRow,
  freePorts,
  heapAllocatedBytes,
  median,
  percentile,
  row,
  spawnChild,
  timeInterleaved,
} from "./_stats.ts";

Deno.test("row() computes a time ratio as figure / floor and checks a ratio target", () => {
  const r = row({
    section: "s",
    figure: "f",
    value: 30,
    unit: "us",
    floorValue: 20,
    target: { on: "ratio", max: 1.25 },
  });
  assertEquals(r.ratio, 1.5);
  assertEquals(r.pass, false);
});

Deno.test("row() computes a rate ratio as floor / figure and checks a figure target", () => {
  const r = row({
    section: "s",
    figure: "f",
    value: 2e6,
    unit: "/s",
    floorValue: 8e6,
    target: { on: "figure", min: 1e6 },
  });
  assertEquals(r.ratio, 4);
  assertEquals(r.pass, true);
});

Deno.test("failedRow() has no value, no ratio and no verdict, only the reason", () => {
  const r = row(failedRow("ha", "failover", "ms", "it did not run", { on: "figure", max: 500 }));
  assert(Number.isNaN(r.value));
  assertEquals([r.ratio, r.pass, r.note], [undefined, undefined, "it did not run"]);
});

Deno.test("percentile() uses the nearest rank and median() does not need sorted input", () => {
  const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
  assertEquals([percentile(sorted, 0.5), percentile(sorted, 0.99), percentile(sorted, 1)], [
    50,
    99,
    100,
  ]);
  assertEquals(median([5, 1, 3]), 3);
  assert(Number.isNaN(percentile([], 0.5)));
});

Deno.test("timeInterleaved() runs every case in every round and returns a time per case", () => {
  const calls = new Map([["a", 0], ["b", 0]]);
  const result = timeInterleaved(
    [...calls.keys()].map((name) => ({
      name,
      run: (n: number) => void calls.set(name, calls.get(name)! + n),
    })),
    { rounds: 3, batchMs: 1 },
  );
  assertEquals([...result.keys()], ["a", "b"]);
  for (const [name, ns] of result) {
    assert(Number.isFinite(ns) && ns > 0, `${name}: ${ns}`);
    assert(calls.get(name)! >= 4, `${name} ran ${calls.get(name)} times`); // warm-up + 3 rounds
  }
});

Deno.test("freePorts() returns distinct ports that can be listened on", () => {
  const ports = freePorts(4);
  assertEquals(new Set(ports).size, 4);
  for (const port of ports) Deno.listen({ hostname: "127.0.0.1", port }).close();
});

Deno.test("heapAllocatedBytes() counts what a loop allocates, garbage collections included", () => {
  const before = heapAllocatedBytes();
  let keep: number[][] = [];
  // 20,000 arrays of 100 doubles: at least 16 MB, several scavenges on the way
  for (let i = 0; i < 20_000; i++) {
    keep.push(new Array<number>(100).fill(i + 0.5));
    if (keep.length > 100) keep = [];
  }
  const allocated = heapAllocatedBytes() - before;
  assert(allocated >= 16e6, `counted ${allocated} bytes`);
  assert(allocated < 64e6, `counted ${allocated} bytes`);
  assert(keep.length <= 100);
});

Deno.test("spawnChild() keeps the lines the child prints after the first", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tandem-stats-test-" });
  try {
    const script = `${dir}/child.ts`;
    await Deno.writeTextFile(
      script,
      'console.log("ready"); console.log("one"); console.log("two"); await new Promise(() => {});',
    );
    await using child = await spawnChild(script, []);
    assertEquals(child.firstLine, "ready");
    for (let i = 0; i < 200 && child.lines.length < 2; i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    assertEquals(child.lines, ["one", "two"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
