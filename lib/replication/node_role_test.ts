import { assertEquals, assertThrows } from "../testing/assert.ts";
import { NodeRole } from "./node_role.ts";

Deno.test("NodeRole: only a leader can accept a Logon", () => {
  assertEquals(new NodeRole({ initialRole: "leader", epoch: 1, nowMs: 0 }).canAcceptLogon(), true);
  const f = new NodeRole({ initialRole: "follower", epoch: 1, nowMs: 0 });
  assertEquals(f.canAcceptLogon(), false);
  f.promote("operator", 1);
  assertEquals(f.state, { role: "candidate", epoch: 2 });
  assertEquals(f.canAcceptLogon(), false, "a candidate whose EpochChange is not durable refuses");
  assertEquals(f.onEpochDurable(2, 2), [{ kind: "start-leading", epoch: 2 }]);
  assertEquals(f.canAcceptLogon(), true);
});

Deno.test("NodeRole.promote() asks for an EpochChange above the highest epoch seen", () => {
  const r = new NodeRole({ initialRole: "follower", epoch: 3, nowMs: 0 });
  r.observeEpoch(7, "probe", 0);
  assertEquals(r.promote("operator", 1), [
    { kind: "write-epoch-change", epoch: 8, reason: "operator" },
  ]);
  assertEquals(r.promote("again", 2), [], "a candidate ignores a second promote");
});

Deno.test("NodeRole auto-promotes after the link is silent for autoPromoteAfterMs", () => {
  const r = new NodeRole({ initialRole: "follower", epoch: 1, nowMs: 0, autoPromoteAfterMs: 500 });
  assertEquals(r.nextDeadlineAtMs, undefined, "no contact yet: never auto-promote");
  assertEquals(r.onTick(10_000), []);
  r.onLeaderContact("a", 1, 10_000);
  assertEquals(r.state, { role: "follower", epoch: 1, leaderId: "a" });
  assertEquals(r.nextDeadlineAtMs, 10_500);
  r.onLeaderContact("a", 1, 10_400);
  assertEquals(r.onTick(10_899), []);
  assertEquals(r.onTick(10_900).map((a) => a.kind), ["write-epoch-change"]);
  assertEquals(r.state.role, "candidate");
  assertEquals(r.nextDeadlineAtMs, undefined);
});

Deno.test("NodeRole auto-promotes without contact when requireContactBeforeAutoPromote is false", () => {
  const r = new NodeRole({
    initialRole: "follower",
    epoch: 0,
    nowMs: 0,
    autoPromoteAfterMs: 100,
    requireContactBeforeAutoPromote: false,
  });
  assertEquals(r.onTick(100), [{
    kind: "write-epoch-change",
    epoch: 1,
    reason: "replication link silent for 100 ms (autoPromoteAfterMs 100)",
  }]);
});

Deno.test("NodeRole: a leader that meets a higher epoch steps down and records why", () => {
  const r = new NodeRole({ initialRole: "leader", epoch: 1, nowMs: 0 });
  assertEquals(r.observeEpoch(1, "same epoch", 1), []);
  assertEquals(r.observeEpoch(2, "peer b is at epoch 2", 5), [
    { kind: "start-following", epoch: 1, reason: "stepping down: peer b is at epoch 2" },
  ]);
  assertEquals(r.canAcceptLogon(), false);
  assertEquals(r.transitions.at(-1), {
    from: { role: "leader", epoch: 1 },
    to: { role: "follower", epoch: 1 },
    reason: "stepping down: peer b is at epoch 2",
    atMs: 5,
  });
  assertEquals(r.promote("x", 6)[0], { kind: "write-epoch-change", epoch: 3, reason: "x" });
});

Deno.test("NodeRole: a candidate that meets a higher epoch steps down and ignores its durable EpochChange", () => {
  const r = new NodeRole({ initialRole: "follower", epoch: 1, nowMs: 0 });
  r.promote("operator", 1);
  assertEquals(r.observeEpoch(5, "peer", 2).map((a) => a.kind), ["start-following"]);
  assertEquals(r.onEpochDurable(2, 3), []);
  assertEquals(r.canAcceptLogon(), false);
});

Deno.test("NodeRole.onPromotionFailed() returns a candidate to follower", () => {
  const r = new NodeRole({ initialRole: "follower", epoch: 1, nowMs: 0 });
  r.promote("operator", 1);
  assertEquals(r.onPromotionFailed(2, "disk full", 2).map((a) => a.kind), ["start-following"]);
  assertEquals(r.state, { role: "follower", epoch: 1 });
});

Deno.test("NodeRole keeps at most maxTransitionsKept transitions", () => {
  const r = new NodeRole({ initialRole: "follower", epoch: 0, nowMs: 0, maxTransitionsKept: 3 });
  for (let i = 0; i < 5; i++) {
    r.promote("p", i);
    r.onEpochDurable(r.state.epoch, i);
    r.observeEpoch(r.state.epoch + 1, "peer", i);
  }
  assertEquals(r.transitions.length, 3);
});

Deno.test("NodeRole rejects invalid options", () => {
  assertThrows(() => new NodeRole({ initialRole: "leader", epoch: -1, nowMs: 0 }), RangeError);
  assertThrows(
    () => new NodeRole({ initialRole: "follower", epoch: 0, nowMs: 0, autoPromoteAfterMs: 0 }),
    RangeError,
    "autoPromoteAfterMs 0",
  );
});

Deno.test("NodeRole.transitionsSince() gives what came after `seen`, past a full window too", () => {
  const r = new NodeRole({ initialRole: "follower", epoch: 0, nowMs: 0, maxTransitionsKept: 3 });
  let seen = 0;
  const reasons: string[] = [];
  for (let i = 0; i < 6; i++) {
    r.promote(`promote ${i}`, i);
    r.onEpochDurable(r.state.epoch, i);
    r.stepDown(`step down ${i}`, i);
    for (const t of r.transitionsSince(seen)) reasons.push(`${t.to.role}: ${t.reason}`);
    seen = r.transitionCount;
  }
  assertEquals(r.transitionCount, 18);
  assertEquals(reasons.length, 18, "each transition once, the window full or not");
  assertEquals(reasons.slice(-3).map((x) => x.split(":")[0]), ["candidate", "leader", "follower"]);
  assertEquals(r.transitionsSince(r.transitionCount), []);
  // More than the window since `seen`: what the window still holds.
  assertEquals(r.transitionsSince(0).length, 3);
});
