import { assertEquals } from "../testing/assert.ts";
import { SeqNumMap } from "./_seq_num_map.ts";

Deno.test("SeqNumMap holds, replaces and forgets values by sequence number like a Map", () => {
  const m = new SeqNumMap<string>();
  const reference = new Map<number, string>();
  // across chunk boundaries, with gaps, replacements and deletions
  const ops: [number, string | undefined][] = [
    [1, "a"],
    [1023, "b"],
    [1024, "c"],
    [1, "a2"],
    [5000, "d"],
    [1023, undefined],
    [2048 * 3 + 7, "e"],
    [1, undefined],
    [1024, undefined],
    [77, undefined],
  ];
  for (const [seq, value] of ops) {
    if (value === undefined) {
      m.delete(seq);
      reference.delete(seq);
    } else {
      m.set(seq, value);
      reference.set(seq, value);
    }
    assertEquals(m.size, reference.size);
    for (const probe of [0, 1, 77, 1023, 1024, 1025, 5000, 2048 * 3 + 7]) {
      assertEquals(m.get(probe), reference.get(probe), `get(${probe}) after ${seq}`);
    }
  }
  m.clear();
  assertEquals(m.size, 0);
  assertEquals(m.get(5000), undefined);
});
