import { assertEquals } from "../testing/assert.ts";
import { comparePositions, firstElection, type FirstElectionInput } from "./first_election.ts";

const base: FirstElectionInput = {
  position: { epoch: 2, lastIndex: 100 },
  publishedSinceMs: 0,
  nowMs: 5_000,
  settleMs: 2_000,
  liveMs: 2_000,
  peers: [],
};

Deno.test("comparePositions() orders by epoch first, then by last index", () => {
  assertEquals(
    comparePositions({ epoch: 3, lastIndex: 1 }, { epoch: 2, lastIndex: 900 }) > 0,
    true,
  );
  assertEquals(
    comparePositions({ epoch: 2, lastIndex: 1 }, { epoch: 2, lastIndex: 900 }) < 0,
    true,
  );
  assertEquals(comparePositions({ epoch: 2, lastIndex: 9 }, { epoch: 2, lastIndex: 9 }), 0);
});

Deno.test("firstElection() waits until its own position has been published for settleMs", () => {
  assertEquals(firstElection({ ...base, nowMs: 1_999 }), { campaign: false, deferTo: undefined });
  assertEquals(firstElection({ ...base, nowMs: 2_000 }), { campaign: true });
});

Deno.test("firstElection() defers to the live member furthest ahead, not to one behind or equal", () => {
  const behind = { nodeId: "b", position: { epoch: 2, lastIndex: 99 }, changedAtMs: 4_900 };
  const equal = { nodeId: "e", position: { epoch: 2, lastIndex: 100 }, changedAtMs: 4_900 };
  const ahead = { nodeId: "a", position: { epoch: 2, lastIndex: 150 }, changedAtMs: 4_900 };
  const further = { nodeId: "f", position: { epoch: 3, lastIndex: 10 }, changedAtMs: 4_900 };
  assertEquals(firstElection({ ...base, peers: [behind, equal] }), { campaign: true });
  assertEquals(firstElection({ ...base, peers: [behind, ahead, further] }), {
    campaign: false,
    deferTo: further,
  });
});

Deno.test("firstElection() stops waiting for a member ahead whose record has not changed for liveMs", () => {
  const ahead = { nodeId: "a", position: { epoch: 2, lastIndex: 150 }, changedAtMs: 3_000 };
  assertEquals(firstElection({ ...base, peers: [ahead] }).campaign, false);
  assertEquals(firstElection({ ...base, nowMs: 5_001, peers: [ahead] }), { campaign: true });
});
