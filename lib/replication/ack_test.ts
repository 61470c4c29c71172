import { assert, assertEquals, assertThrows } from "../testing/assert.ts";
import {
  type AckStrategy,
  AckTracker,
  AckTrackerFullError,
  DEFAULT_MAX_UNACKED_MESSAGES,
  quorumStrategy,
  type ReleasedMessage,
  timeoutStrategy,
} from "./ack.ts";

const indices = (r: ReleasedMessage[]) => r.map((m) => m.index);

Deno.test("AckTracker with never releases every message immediately", () => {
  const t = new AckTracker({ policy: { kind: "never" } });
  assertEquals(t.register(1, "D", 0), [
    { index: 1, msgType: "D", reason: "immediate", waitMs: 0, strategy: "never" },
  ]);
  assertEquals(indices(t.register(2, "D", 1)), [2]);
  assertEquals(t.waitingCount, 0);
  assertEquals(t.nextDeadlineAtMs, undefined);
  assertEquals(t.counters, { releasedImmediately: 2, releasedByAck: 0, releasedByTimeout: 0 });
});

Deno.test("AckTracker with forever holds messages until a replica acknowledges them", () => {
  const t = new AckTracker({ policy: { kind: "forever" } });
  assertEquals(t.register(1, "8", 0), []);
  assertEquals(t.register(2, "8", 0), []);
  assertEquals(t.register(3, "8", 0), []);
  assertEquals(t.onTick(1_000_000), []);
  assertEquals(t.nextDeadlineAtMs, undefined);
  const r = t.onAck("b", 2, 7);
  assertEquals(r, [
    { index: 1, msgType: "8", reason: "ack", waitMs: 7, strategy: "forever" },
    { index: 2, msgType: "8", reason: "ack", waitMs: 7, strategy: "forever" },
  ]);
  assertEquals(indices(t.onAck("b", 3, 8)), [3]);
  assertEquals(t.counters.releasedByAck, 3);
});

Deno.test("AckTracker ignores an ack lower than the replica's previous one", () => {
  const t = new AckTracker({ policy: { kind: "forever" } });
  t.onAck("b", 5, 0);
  t.onAck("b", 3, 0);
  assertEquals(t.replicaAcks.get("b"), 5);
  assertEquals(indices(t.register(4, "8", 0)), [4]);
  assertEquals(t.register(6, "8", 0), []);
});

Deno.test("AckTracker pipelines: one cumulative ack releases thousands of messages in order", () => {
  const t = new AckTracker({ policy: { kind: "forever" } });
  for (let i = 1; i <= 5000; i++) assertEquals(t.register(i * 2, "8", i), []);
  const r = t.onAck("b", 10_000, 6000);
  assertEquals(r.length, 5000);
  assertEquals(indices(r), Array.from({ length: 5000 }, (_, i) => (i + 1) * 2));
});

Deno.test("AckTracker with timeout releases at the deadline and counts it", () => {
  const t = new AckTracker({ policy: { kind: "timeout", timeoutMs: 100 } });
  assertEquals(t.register(1, "8", 1000), []);
  assertEquals(t.register(2, "8", 1050), []);
  assertEquals(t.nextDeadlineAtMs, 1100);
  assertEquals(t.onTick(1099), []);
  assertEquals(t.onTick(1100), [
    { index: 1, msgType: "8", reason: "timeout", waitMs: 100, strategy: "timeout(100ms)" },
  ]);
  assertEquals(t.nextDeadlineAtMs, 1150);
  assertEquals(t.onAck("b", 2, 1120), [
    { index: 2, msgType: "8", reason: "ack", waitMs: 70, strategy: "timeout(100ms)" },
  ]);
  assertEquals(t.counters, { releasedImmediately: 0, releasedByAck: 1, releasedByTimeout: 1 });
});

Deno.test("AckTracker.register() first releases earlier messages whose deadline passed", () => {
  const t = new AckTracker({ policy: { kind: "timeout", timeoutMs: 10 } });
  t.register(1, "8", 0);
  const r = t.register(2, "8", 50);
  assertEquals(r.map((m) => [m.index, m.reason]), [[1, "timeout"]]);
  assertEquals(t.waitingCount, 1);
});

Deno.test("AckTracker releases in order: a never message waits behind a forever message", () => {
  const t = new AckTracker({ policy: { kind: "forever" }, byMsgType: { "0": { kind: "never" } } });
  assertEquals(indices(t.register(1, "0", 0)), [1]);
  assertEquals(t.register(2, "8", 0), []);
  assertEquals(t.register(3, "0", 0), [], "heartbeat must not overtake the execution report");
  assertEquals(
    t.onAck("b", 2, 5).map((m) => [m.index, m.reason]),
    [[2, "ack"], [3, "immediate"]],
  );
});

Deno.test("AckTracker releases a later expired timeout only once the earlier message goes", () => {
  const t = new AckTracker({
    policy: { kind: "forever" },
    byMsgType: { D: { kind: "timeout", timeoutMs: 10 } },
  });
  t.register(1, "8", 0);
  t.register(2, "D", 0);
  assertEquals(t.nextDeadlineAtMs, undefined, "head has no deadline");
  assertEquals(t.onTick(100), []);
  assertEquals(t.onAck("b", 1, 100).map((m) => [m.index, m.reason]), [[1, "ack"], [2, "timeout"]]);
});

Deno.test("AckTracker with quorum needs k distinct replicas", () => {
  const t = new AckTracker({ policy: { kind: "quorum", replicas: 2 } });
  t.register(1, "8", 0);
  t.register(2, "8", 0);
  assertEquals(t.onAck("b", 2, 1), []);
  assertEquals(t.onAck("b", 2, 2), [], "the same replica twice is not a quorum");
  assertEquals(indices(t.onAck("c", 1, 3)), [1]);
  assertEquals(indices(t.onAck("c", 2, 4)), [2]);
});

Deno.test("AckTracker with quorum and a bound times out", () => {
  const t = new AckTracker({ policy: { kind: "quorum", replicas: 2, timeoutMs: 5 } });
  t.register(1, "8", 0);
  t.onAck("b", 1, 1);
  assertEquals(t.onTick(5).map((m) => m.reason), ["timeout"]);
});

Deno.test("AckTracker uses a custom strategy supplied through the API", () => {
  const seen: number[] = [];
  const allKnown: AckStrategy = {
    name: "all-known",
    deadlineAtMs: () => undefined,
    isSatisfied: (c) => {
      seen.push(c.knownReplicas);
      return c.knownReplicas > 0 && c.ackedReplicas === c.knownReplicas;
    },
  };
  const t = new AckTracker({ policy: { kind: "custom", strategy: allKnown } });
  t.addReplica("b");
  t.addReplica("c");
  assertEquals(t.register(1, "8", 0), []);
  assertEquals(t.onAck("b", 1, 1), []);
  assertEquals(indices(t.onAck("c", 1, 2)), [1]);
  t.removeReplica("c");
  assertEquals(indices(t.register(2, "8", 3)), []);
  assertEquals(indices(t.onAck("b", 2, 4)), [2]);
  assert(seen.includes(2) && seen.includes(1));
});

Deno.test("AckTracker.isFull signals backpressure at maxUnackedMessages and register() then throws", () => {
  const t = new AckTracker({ policy: { kind: "forever" }, maxUnackedMessages: 3 });
  t.register(1, "8", 0);
  t.register(2, "8", 0);
  assertEquals(t.isFull, false);
  t.register(3, "8", 0);
  assertEquals(t.isFull, true);
  const e = assertThrows(
    () => t.register(4, "8", 0),
    AckTrackerFullError,
    "3 messages already wait",
  );
  assertEquals(e.maxUnackedMessages, 3);
  t.onAck("b", 1, 0);
  assertEquals(t.isFull, false);
  assertEquals(t.register(4, "8", 0), []);
  assertEquals(new AckTracker({ policy: { kind: "never" } }).isFull, false);
  assertEquals(DEFAULT_MAX_UNACKED_MESSAGES, 100_000);
});

Deno.test("AckTracker.register() refuses an index not above the last one", () => {
  const t = new AckTracker({ policy: { kind: "never" } });
  t.register(5, "8", 0);
  assertThrows(() => t.register(5, "8", 0), RangeError, "not above the last registered index 5");
  assertThrows(() => t.register(4, "8", 0), RangeError);
});

Deno.test("AckTracker rejects invalid strategy parameters", () => {
  assertThrows(() => timeoutStrategy(0), RangeError, "timeoutMs 0");
  assertThrows(() => quorumStrategy(0), RangeError, "replicas 0");
  assertThrows(() => quorumStrategy(1.5), RangeError);
  assertThrows(
    () => new AckTracker({ policy: { kind: "never" }, maxUnackedMessages: 0 }),
    RangeError,
    "maxUnackedMessages 0",
  );
});

Deno.test("AckTracker records ack-wait durations in the histogram", () => {
  const t = new AckTracker({ policy: { kind: "forever" } });
  t.register(1, "8", 0);
  t.register(2, "8", 97);
  t.onAck("b", 2, 100);
  const h = t.waitHistogram;
  assertEquals(h.sumMs, 103);
  assertEquals(h.counts[h.bucketsMs.indexOf(5)], 1, "3 ms lands in the ≤5 bucket");
  assertEquals(h.counts[h.bucketsMs.indexOf(100)], 1, "100 ms lands in the ≤100 bucket");
  assertEquals(h.counts.reduce((a, b) => a + b, 0), 2);
});
