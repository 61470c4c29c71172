import { assertEquals } from "../testing/assert.ts";
import { NodeRole } from "./node_role.ts";

Deno.test("NodeRole.promote() takes a coordinator-issued epoch above everything seen", () => {
  const r = new NodeRole({ initialRole: "follower", epoch: 3, nowMs: 0 });
  assertEquals(r.promote("elected", 1, 42), [
    { kind: "write-epoch-change", epoch: 42, reason: "elected" },
  ]);
  assertEquals(r.state, { role: "candidate", epoch: 42 });
});

Deno.test("NodeRole.promote() refuses an issued epoch not above the highest epoch seen", () => {
  const r = new NodeRole({ initialRole: "follower", epoch: 3, nowMs: 0 });
  r.observeEpoch(9, "peer", 0);
  assertEquals(r.promote("elected", 1, 9), []);
  assertEquals(r.promote("elected", 1, 5), []);
  assertEquals(r.state.role, "follower");
});

Deno.test("NodeRole.stepDown() turns a leader into a follower at its epoch and asks to follow", () => {
  const r = new NodeRole({ initialRole: "leader", epoch: 4, nowMs: 0 });
  assertEquals(r.stepDown("lease lost", 5), [
    { kind: "start-following", epoch: 4, reason: "lease lost" },
  ]);
  assertEquals(r.state, { role: "follower", epoch: 4 });
  assertEquals(r.canAcceptLogon(), false);
  assertEquals(r.transitions.at(-1)?.reason, "stepping down: lease lost");
  assertEquals(r.stepDown("again", 6), [], "a follower has nothing to give up");
});

Deno.test("NodeRole.stepDown() of a candidate abandons the promotion; its EpochChange no longer leads", () => {
  const r = new NodeRole({ initialRole: "follower", epoch: 4, nowMs: 0 });
  r.promote("elected", 1, 7);
  assertEquals(r.stepDown("lease lost", 2), [
    { kind: "start-following", epoch: 6, reason: "lease lost" },
  ]);
  assertEquals(r.onEpochDurable(7, 3), [], "a durable EpochChange after stepping down is ignored");
  assertEquals(r.canAcceptLogon(), false);
});
