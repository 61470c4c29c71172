import { assert, assertEquals, assertThrows } from "../testing/assert.ts";
import {
  commitIndex,
  type FollowerView,
  inSyncAfterElection,
  leaseDeadlineAtMs,
  leaseValid,
  mayCampaign,
  mayRevokeLeader,
  nextEpoch,
  renewIntervalMs,
  renewRetryDelayMs,
  type ReviseInput,
  reviseInSync,
} from "./policy.ts";

Deno.test("leaseDeadlineAtMs() is the renewal's send time plus the TTL minus the safety margin", () => {
  assertEquals(leaseDeadlineAtMs(10_000, 3_000, 500), 12_500);
  assertThrows(() => leaseDeadlineAtMs(0, 3_000, 3_000), RangeError, "safetyMarginMs 3000");
  assertThrows(() => leaseDeadlineAtMs(0, 3_000, 0), RangeError);
});

Deno.test("leaseValid() holds strictly before the deadline and never without one", () => {
  assert(leaseValid(12_499, 12_500));
  assert(!leaseValid(12_500, 12_500));
  assert(!leaseValid(0, undefined));
});

Deno.test("renewIntervalMs() leaves room for two failed renewals before the TTL", () => {
  assertEquals(renewIntervalMs(3_000), 1_000);
  assert(renewIntervalMs(2_000) * 2 < 2_000 - 100);
  assertEquals(renewIntervalMs(1), 1);
});

Deno.test("A fake clock: a leader renewing every interval never reaches its deadline; one frozen past it does", () => {
  const ttl = 3_000, margin = 500;
  let now = 0;
  let deadline = leaseDeadlineAtMs(now, ttl, margin);
  for (let i = 0; i < 100; i++) {
    now += renewIntervalMs(ttl);
    assert(leaseValid(now, deadline), `valid at ${now}`);
    deadline = leaseDeadlineAtMs(now, ttl, margin);
  }
  // Two renewals lost: still valid; a third lost: not.
  const last = now;
  now += 2 * renewIntervalMs(ttl);
  assert(leaseValid(now, deadline));
  now = last + ttl - margin;
  assert(!leaseValid(now, deadline));
  // The lease cannot have expired at etcd before the leader fenced: etcd's expiry is at least
  // sentAt + ttl, the fence at sentAt + ttl - margin.
  assert(deadline < last + ttl);
});

Deno.test("mayCampaign() only when nobody leads and this member is in the in-sync set", () => {
  const inSync = { members: ["a", "b"], leaderId: "a", epoch: 7 };
  const base = { nodeId: "b", leaderPresent: false, inSync, leadingOrCandidate: false };
  assert(mayCampaign(base));
  assert(!mayCampaign({ ...base, leaderPresent: true }));
  assert(!mayCampaign({ ...base, leadingOrCandidate: true }));
  assert(!mayCampaign({ ...base, nodeId: "c" }), "an excluded follower is never elected");
  assert(mayCampaign({ ...base, nodeId: "c", inSync: undefined }), "a new cluster: anyone");
});

Deno.test("nextEpoch() is above etcd's counter and above every epoch this node has seen", () => {
  assertEquals(nextEpoch(5, 3), 6);
  assertEquals(nextEpoch(5, 9), 10);
  assertEquals(nextEpoch(0, 0), 1);
});

Deno.test("inSyncAfterElection() drops the old leader and keeps the rest, but never below minInSync", () => {
  const old = { members: ["a", "b", "c"], leaderId: "a", epoch: 4 };
  assertEquals(inSyncAfterElection(old, "b", 2), ["b", "c"]);
  assertEquals(inSyncAfterElection(old, "b", 3), ["b", "c", "a"]);
  assertEquals(inSyncAfterElection(undefined, "c", 2), ["c"]);
  assertEquals(inSyncAfterElection({ members: ["a"], leaderId: "a", epoch: 1 }, "a", 1), ["a"]);
  // An old leader already removed is not brought back.
  assertEquals(inSyncAfterElection({ members: ["b"], leaderId: "a", epoch: 1 }, "b", 2), ["b"]);
});

function follower(connected: boolean, ackedIndex: number, caughtUpAtMs: number): FollowerView {
  return { connected, ackedIndex, caughtUpAtMs };
}

function revise(over: Partial<ReviseInput>): ReturnType<typeof reviseInSync> {
  return reviseInSync({
    leaderId: "a",
    members: ["a", "b", "c"],
    followers: new Map(),
    releasedIndex: 100,
    leaderSinceMs: 0,
    nowMs: 1_000,
    maxLagMs: 2_000,
    minInSync: 1,
    ...over,
  });
}

Deno.test("reviseInSync() keeps followers caught up within maxLagMs", () => {
  const followers = new Map([["b", follower(true, 100, 9_000)], ["c", follower(true, 90, 8_500)]]);
  const r = revise({ followers, nowMs: 10_000 });
  assertEquals(r.members, undefined);
  assertEquals(r.added.length + r.removed.length, 0);
});

Deno.test("reviseInSync() removes a follower lagging beyond maxLagMs, most lagging first, down to minInSync", () => {
  const followers = new Map([["b", follower(true, 50, 7_000)], ["c", follower(false, 40, 6_000)]]);
  const all = revise({ followers, nowMs: 10_000 });
  assertEquals(all.members, ["a"]);
  assertEquals(all.removed.map((r) => r.id), ["c", "b"]);
  assert(all.removed[0]!.reason.includes("disconnected for 4000 ms"));
  const bounded = revise({ followers, nowMs: 10_000, minInSync: 2 });
  assertEquals(bounded.members, ["a", "b"]);
  const none = revise({ followers, nowMs: 10_000, minInSync: 3 });
  assertEquals(none.members, undefined);
});

Deno.test("reviseInSync() counts a member never seen as disconnected since the leader started", () => {
  assertEquals(revise({ nowMs: 2_000 }).members, undefined);
  assertEquals(revise({ nowMs: 2_001 }).members, ["a"]);
});

Deno.test("reviseInSync() adds a connected follower only once it holds every released index", () => {
  const behind = new Map([["c", follower(true, 99, 1_000)]]);
  assertEquals(revise({ members: ["a"], followers: behind }).members, undefined);
  const caught = new Map([["c", follower(true, 100, 1_000)]]);
  const r = revise({ members: ["a"], followers: caught });
  assertEquals(r.members, ["a", "c"]);
  assertEquals(r.added.map((x) => x.id), ["c"]);
  const gone = new Map([["c", follower(false, 100, 1_000)]]);
  assertEquals(revise({ members: ["a"], followers: gone }).members, undefined);
});

Deno.test("reviseInSync() puts the leader in the set when it is missing", () => {
  const r = revise({ members: ["b"], followers: new Map([["b", follower(true, 100, 1_000)]]) });
  assertEquals(r.members, undefined);
});

Deno.test("commitIndex() is the lowest acknowledgement of the other in-sync members", () => {
  const acks = new Map([["b", 40], ["c", 30], ["d", 5]]);
  assertEquals(commitIndex({ leaderId: "a", members: ["a", "b", "c"], acks, minInSync: 1 }), 30);
  assertEquals(commitIndex({ leaderId: "a", members: ["a", "b"], acks, minInSync: 2 }), 40);
  assertEquals(commitIndex({ leaderId: "a", members: ["a", "e"], acks, minInSync: 1 }), 0);
});

Deno.test("commitIndex() is unbounded for a leader alone when minInSync allows, and 0 below minInSync", () => {
  assertEquals(
    commitIndex({ leaderId: "a", members: ["a"], acks: new Map(), minInSync: 1 }),
    Number.MAX_SAFE_INTEGER,
  );
  assertEquals(commitIndex({ leaderId: "a", members: ["a"], acks: new Map(), minInSync: 2 }), 0);
  assertEquals(
    commitIndex({ leaderId: "a", members: [], acks: new Map(), minInSync: 1 }),
    Number.MAX_SAFE_INTEGER,
  );
});

Deno.test("mayRevokeLeader() only for the leader this follower streamed from in its epoch, link down and port refused", () => {
  const v = {
    leaderId: "a",
    leaderEpoch: 9,
    streamedFrom: { leaderId: "a", epoch: 9 },
    linkDown: true,
    portRefused: true,
  };
  assert(mayRevokeLeader(v));
  assert(!mayRevokeLeader({ ...v, portRefused: false }), "a hung host waits for the lease");
  assert(!mayRevokeLeader({ ...v, linkDown: false }));
  assert(!mayRevokeLeader({ ...v, streamedFrom: undefined }), "a fresh leader not serving yet");
  assert(!mayRevokeLeader({ ...v, streamedFrom: { leaderId: "a", epoch: 8 } }));
  assert(!mayRevokeLeader({ ...v, streamedFrom: { leaderId: "b", epoch: 9 } }));
});

Deno.test("renewRetryDelayMs() retries a failed renewal many times before the deadline", () => {
  assertEquals(renewRetryDelayMs(2_000), 100);
  assertEquals(renewRetryDelayMs(5_000), 250);
  assertEquals(renewRetryDelayMs(1), 50);
  assert((3_000 - 500 - renewIntervalMs(3_000)) / renewRetryDelayMs(3_000) >= 10);
});
