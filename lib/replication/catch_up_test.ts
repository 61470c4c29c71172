import { assert, assertEquals } from "../testing/assert.ts";
import { decideCatchUp, lastIndexOfEpochAtMost, type LeaderLog } from "./catch_up.ts";
import { CloseCode } from "./protocol.ts";

/** A leader log given as the epoch of each record, index 1 first. */
function log(epochs: number[], firstIndex = 1): LeaderLog & { reads: number } {
  const l = {
    epoch: epochs.at(-1) ?? 0,
    lastIndex: firstIndex - 1 + epochs.length,
    firstIndex,
    reads: 0,
    epochAt(index: number): number {
      l.reads++;
      const e = epochs[index - firstIndex];
      if (e === undefined) throw new RangeError(`no record ${index}`);
      return e;
    },
  };
  return l;
}

Deno.test("lastIndexOfEpochAtMost() finds the end of each epoch by binary search", () => {
  const l = log([1, 1, 1, 1, 1, 3, 3, 3, 4]);
  assertEquals(lastIndexOfEpochAtMost(l, 0), 0);
  assertEquals(lastIndexOfEpochAtMost(l, 1), 5);
  assertEquals(lastIndexOfEpochAtMost(l, 2), 5);
  assertEquals(lastIndexOfEpochAtMost(l, 3), 8);
  assertEquals(lastIndexOfEpochAtMost(l, 4), 9);
  assertEquals(lastIndexOfEpochAtMost(l, 9), 9);
  assertEquals(lastIndexOfEpochAtMost(log([]), 1), 0);
  const big = log(Array.from({ length: 100_000 }, (_, i) => (i < 70_000 ? 1 : 2)));
  assertEquals(lastIndexOfEpochAtMost(big, 1), 70_000);
  assertEquals(big.reads < 40, true, `binary search read ${big.reads} records`);
});

Deno.test("decideCatchUp() streams from lastIndex + 1 for a follower that is a prefix", () => {
  const l = log([1, 1, 1, 2, 2]);
  assertEquals(decideCatchUp(l, { lastIndex: 0, lastEpoch: 0, nodeEpoch: 0 }), {
    kind: "stream",
    startIndex: 1,
  });
  assertEquals(decideCatchUp(l, { lastIndex: 2, lastEpoch: 1, nodeEpoch: 1 }), {
    kind: "stream",
    startIndex: 3,
  });
  assertEquals(decideCatchUp(l, { lastIndex: 5, lastEpoch: 2, nodeEpoch: 2 }), {
    kind: "stream",
    startIndex: 6,
  });
});

Deno.test("decideCatchUp() truncates an old leader's records the new leader never received", () => {
  // Old leader wrote 1..10 in epoch 1; the new leader had 1..5 and started epoch 2 at 6.
  const l = log([1, 1, 1, 1, 1, 2, 2, 2]);
  assertEquals(decideCatchUp(l, { lastIndex: 10, lastEpoch: 1, nodeEpoch: 1 }), {
    kind: "truncate",
    afterIndex: 5,
    startIndex: 6,
  });
});

Deno.test("decideCatchUp() truncates a suffix written in an epoch the leader never had", () => {
  // Follower briefly led epoch 2 (records 6..8); the leader went from epoch 1 to 3 at 6.
  const l = log([1, 1, 1, 1, 1, 3, 3]);
  assertEquals(decideCatchUp(l, { lastIndex: 8, lastEpoch: 2, nodeEpoch: 2 }), {
    kind: "truncate",
    afterIndex: 5,
    startIndex: 6,
  });
});

Deno.test("decideCatchUp() refuses to truncate a follower ahead of a leader that lost its tail in its own epoch", () => {
  const l = log([1, 1, 1]);
  const d = decideCatchUp(l, { lastIndex: 5, lastEpoch: 1, nodeEpoch: 1 });
  assertEquals(d.kind === "refuse" && [d.code, d.leaderIsStale], [CloseCode.CannotCatchUp, false]);
  assert(d.kind === "refuse" && d.reason.includes("records 4..5 of epoch 1"));
  // Ahead in an older epoch is ordinary divergence: truncate.
  assertEquals(decideCatchUp(log([1, 1, 1, 2]), { lastIndex: 5, lastEpoch: 1, nodeEpoch: 1 }), {
    kind: "truncate",
    afterIndex: 3,
    startIndex: 4,
  });
});

Deno.test("decideCatchUp() refuses, marking the leader stale, when the follower saw a higher epoch", () => {
  const l = log([1, 1]);
  for (
    const f of [{ lastIndex: 2, lastEpoch: 1, nodeEpoch: 2 }, {
      lastIndex: 3,
      lastEpoch: 2,
      nodeEpoch: 2,
    }]
  ) {
    const d = decideCatchUp(l, f);
    assertEquals(d.kind === "refuse" && [d.code, d.leaderIsStale], [CloseCode.StaleEpoch, true]);
  }
});

Deno.test("decideCatchUp() refuses when the needed records were removed by retention", () => {
  const l = log([1, 1, 1], 101); // holds 101..103
  const d = decideCatchUp(l, { lastIndex: 50, lastEpoch: 1, nodeEpoch: 1 });
  assertEquals(d.kind === "refuse" && [d.code, d.leaderIsStale], [CloseCode.CannotCatchUp, false]);
  assertEquals(decideCatchUp(l, { lastIndex: 100, lastEpoch: 1, nodeEpoch: 1 }).kind, "stream");
});
