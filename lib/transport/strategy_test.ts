import { assert, assertEquals, assertThrows } from "../testing/assert.ts";
import {
  alwaysStartOnPrimary,
  type ConnectionStrategy,
  createStrategy,
  DEFAULT_BACKOFF_MS,
  FAILURE_KINDS,
  type FailureKind,
  fatalFailure,
  MAX_ADDRESSES,
  MAX_BACKOFF_STEPS,
  priority,
  roundRobin,
  STRATEGY_KINDS,
  type StrategyOptions,
} from "./strategy.ts";

/** One attempt as the strategy planned it. */
interface Planned {
  index: number;
  atMs: number;
}

/**
 * Drives a strategy against a scripted world: `outcome(index, attemptNo)`
 * returns the failure of that attempt, or "logon" when it logs on. Each attempt
 * takes `attemptMs` to fail. Stops at the first Logon, a fatal verdict, or
 * `limit` attempts.
 */
function drive(
  strategy: ConnectionStrategy,
  outcome: (index: number, attemptNo: number) => FailureKind | "logon",
  options: { startMs?: number; attemptMs?: number; limit?: number } = {},
): { attempts: Planned[]; loggedOnAt?: number; fatal?: string; nowMs: number } {
  let nowMs = options.startMs ?? 0;
  const attempts: Planned[] = [];
  for (let n = 1; n <= (options.limit ?? 100); n++) {
    const next = strategy.next(nowMs);
    if (next.type === "fatal") return { attempts, fatal: next.reason, nowMs };
    assert(next.atMs >= nowMs, `attempt ${n} planned in the past`);
    nowMs = next.atMs;
    attempts.push({ index: next.addressIndex, atMs: nowMs });
    const result = outcome(next.addressIndex, n);
    if (result === "logon") {
      strategy.onLoggedOn(next.addressIndex, nowMs);
      return { attempts, loggedOnAt: next.addressIndex, nowMs };
    }
    nowMs += options.attemptMs ?? 0;
    strategy.onAttemptFailed(next.addressIndex, result, nowMs);
  }
  return { attempts, nowMs };
}

const only = (working: number) => (index: number): FailureKind | "logon" =>
  index === working ? "logon" : "connect-refused";
const indexes = (attempts: Planned[]) => attempts.map((a) => a.index);
const times = (attempts: Planned[]) => attempts.map((a) => a.atMs);

const base: StrategyOptions = { addressCount: 3, backoffMs: [], reconnectIntervalMs: 0 };

// --- always-start-on-primary --------------------------------------------------

Deno.test("alwaysStartOnPrimary() makes the first attempt at address 0 at once", () => {
  const next = alwaysStartOnPrimary(base).next(5000);
  assertEquals(next.type === "attempt" && [next.addressIndex, next.atMs], [0, 5000]);
});

Deno.test("alwaysStartOnPrimary() walks the list top-down with attemptsPerAddress each and wraps", () => {
  const s = alwaysStartOnPrimary({ ...base, attemptsPerAddress: 2 });
  const run = drive(s, () => "connect-refused", { limit: 8 });
  assertEquals(indexes(run.attempts), [0, 0, 1, 1, 2, 2, 0, 0]);
});

Deno.test("alwaysStartOnPrimary() reaches the working address k at attempt N*k+1", () => {
  for (const attemptsPerAddress of [1, 2, 3]) {
    for (const working of [0, 1, 2]) {
      const s = alwaysStartOnPrimary({ ...base, attemptsPerAddress });
      const run = drive(s, only(working));
      assertEquals(run.loggedOnAt, working);
      assertEquals(run.attempts.length, attemptsPerAddress * working + 1);
    }
  }
});

Deno.test("alwaysStartOnPrimary() pauses by the backoff schedule exactly, repeating its last step", () => {
  const s = alwaysStartOnPrimary({ addressCount: 2, backoffMs: [100, 500, 1000, 5000] });
  const run = drive(s, () => "connect-timeout", { limit: 7, startMs: 1000, attemptMs: 10 });
  // Each attempt fails 10 ms after it starts; the pause runs from the failure.
  assertEquals(times(run.attempts), [
    1000,
    1000 + 10 + 100,
    1110 + 10 + 500,
    1620 + 10 + 1000,
    2630 + 10 + 5000,
    7640 + 10 + 5000,
    12650 + 10 + 5000,
  ]);
});

Deno.test("alwaysStartOnPrimary() uses the default backoff schedule when none is given", () => {
  const s = alwaysStartOnPrimary({ addressCount: 1 });
  const run = drive(s, () => "connect-refused", { limit: 6 });
  const pauses = run.attempts.slice(1).map((a, i) => a.atMs - run.attempts[i]!.atMs);
  assertEquals(pauses, [...DEFAULT_BACKOFF_MS, DEFAULT_BACKOFF_MS.at(-1)!]);
});

Deno.test("alwaysStartOnPrimary() starts at the top again after a logged-on session drops", () => {
  const s = alwaysStartOnPrimary({ ...base, backoffMs: [100, 200], reconnectIntervalMs: 3000 });
  const first = drive(s, only(2), { limit: 10 });
  assertEquals(indexes(first.attempts), [0, 1, 2]);
  s.onSessionEnded(2, "eof-after-logon", 10_000);
  const next = s.next(10_000);
  assertEquals(next.type === "attempt" && [next.addressIndex, next.atMs], [0, 13_000]);
  // The failure count restarted: the first failure after the drop pauses 100 ms again.
  s.onAttemptFailed(0, "connect-refused", 13_000);
  const after = s.next(13_000);
  assertEquals(after.type === "attempt" && [after.addressIndex, after.atMs], [1, 13_100]);
});

Deno.test("alwaysStartOnPrimary() never gives up", () => {
  const run = drive(alwaysStartOnPrimary(base), () => "connect-refused", { limit: 1000 });
  assertEquals(run.fatal, undefined);
  assertEquals(run.attempts.length, 1000);
});

Deno.test("alwaysStartOnPrimary() treats every failure kind before Logon as a failed attempt", () => {
  for (const failure of FAILURE_KINDS) {
    const s = alwaysStartOnPrimary(base);
    s.onAttemptFailed(0, failure, 0);
    const next = s.next(0);
    assertEquals(next.type === "attempt" && next.addressIndex, 1, failure);
  }
});

Deno.test("alwaysStartOnPrimary() explains each decision", () => {
  const s = alwaysStartOnPrimary({ ...base, attemptsPerAddress: 2, backoffMs: [250] });
  s.onAttemptFailed(0, "logon-timeout", 0);
  const next = s.next(0);
  assert(next.type === "attempt");
  assertEquals(
    next.reason,
    "logon-timeout at address 0: retry address 0 (1 of 2 attempts failed there) after 250 ms " +
      "(consecutive failure 1)",
  );
});

// --- round-robin --------------------------------------------------------------

Deno.test("roundRobin() moves to the next address after every failure", () => {
  const run = drive(roundRobin(base), () => "closed-before-logon", { limit: 7 });
  assertEquals(indexes(run.attempts), [0, 1, 2, 0, 1, 2, 0]);
});

Deno.test("roundRobin() makes attemptsPerAddress attempts on each address", () => {
  const run = drive(roundRobin({ ...base, attemptsPerAddress: 3 }), only(1));
  assertEquals(indexes(run.attempts), [0, 0, 0, 1]);
});

Deno.test("roundRobin() continues with the next address after a logged-on session drops", () => {
  const s = roundRobin({ ...base, reconnectIntervalMs: 500 });
  assertEquals(drive(s, only(1)).loggedOnAt, 1);
  s.onSessionEnded(1, "heartbeat-timeout", 1000);
  let next = s.next(1000);
  assertEquals(next.type === "attempt" && [next.addressIndex, next.atMs], [2, 1500]);
  s.onLoggedOn(2, 1500);
  s.onSessionEnded(2, "logout", 2000);
  next = s.next(2000);
  assertEquals(next.type === "attempt" && next.addressIndex, 0, "wraps from the last address");
});

Deno.test("roundRobin() never gives up", () => {
  const run = drive(roundRobin(base), () => "connect-error", { limit: 500 });
  assertEquals([run.fatal, run.attempts.length], [undefined, 500]);
});

// --- fatal-failure ------------------------------------------------------------

Deno.test("fatalFailure() gives up after attemptsPerAddress × addresses failures, not before", () => {
  const s = fatalFailure({ ...base, attemptsPerAddress: 2 });
  const run = drive(s, () => "connect-refused");
  assertEquals(indexes(run.attempts), [0, 0, 1, 1, 2, 2]);
  assert(run.fatal !== undefined);
  assertEquals(
    run.fatal,
    "6 consecutive attempts failed (2 per address over 3 addresses); last: connect-refused at address 2",
  );
});

Deno.test("fatalFailure() stays fatal and ignores later failures", () => {
  const s = fatalFailure({ addressCount: 1 });
  s.onAttemptFailed(0, "connect-refused", 0);
  const first = s.next(0);
  s.onAttemptFailed(0, "connect-refused", 10);
  assertEquals(s.next(20), first);
  assertEquals(first.type, "fatal");
});

Deno.test("fatalFailure() logs on at the last address on the last allowed attempt", () => {
  const s = fatalFailure({ ...base, attemptsPerAddress: 2 });
  const run = drive(s, (index, n) => index === 2 && n === 6 ? "logon" : "logon-timeout");
  assertEquals([run.loggedOnAt, run.attempts.length, run.fatal], [2, 6, undefined]);
});

Deno.test("fatalFailure() gets a fresh budget from the top after a logged-on session ends", () => {
  const s = fatalFailure({ ...base, attemptsPerAddress: 1 });
  assertEquals(drive(s, only(2)).loggedOnAt, 2);
  s.onSessionEnded(2, "eof-after-logon", 100);
  const run = drive(s, () => "connect-refused", { startMs: 100 });
  assertEquals(indexes(run.attempts), [0, 1, 2]);
  assert(run.fatal !== undefined);
});

// --- priority -----------------------------------------------------------------

const prio: StrategyOptions = { ...base, startOverIntervalMs: 30_000 };

Deno.test("priority() does not probe while logged on at address 0", () => {
  const s = priority(prio);
  s.onLoggedOn(0, 0);
  assertEquals(s.probe(0), undefined);
});

Deno.test("priority() probes address 0 startOverIntervalMs after logging on at a backup", () => {
  const s = priority(prio);
  assertEquals(drive(s, only(1), { startMs: 1000 }).loggedOnAt, 1);
  assertEquals(s.probe(1), { addressIndex: 0, atMs: 31_000 });
});

Deno.test("priority() keeps the backup session after a failed probe and probes again an interval later", () => {
  const s = priority(prio);
  s.onAttemptFailed(0, "connect-refused", 0);
  s.onLoggedOn(1, 0);
  assertEquals(s.onProbeResult(0, false, 30_000), false);
  assertEquals(s.probe(1), { addressIndex: 0, atMs: 60_000 });
});

Deno.test("priority() switches to address 0 at once after a successful probe ends the backup session", () => {
  const s = priority({ ...prio, reconnectIntervalMs: 5000 });
  s.onAttemptFailed(0, "connect-refused", 0);
  s.onLoggedOn(1, 100);
  assertEquals(s.onProbeResult(0, true, 30_100), true);
  assertEquals(s.probe(1), undefined, "no further probe while switching");
  s.onSessionEnded(1, "logout", 30_200);
  const next = s.next(30_200);
  assertEquals(next.type === "attempt" && [next.addressIndex, next.atMs], [0, 30_200]);
});

Deno.test("priority() walks back down when the probed primary then fails to log on", () => {
  const s = priority(prio);
  s.onLoggedOn(1, 0);
  s.onProbeResult(0, true, 30_000);
  s.onSessionEnded(1, "logout", 30_000);
  // The primary accepted TCP but refuses Logon (e.g. a listening standby).
  const run = drive(s, (index) => index === 0 ? "logout" : "logon", { startMs: 30_000 });
  assertEquals([indexes(run.attempts), run.loggedOnAt], [[0, 1], 1]);
  assertEquals(s.probe(1), { addressIndex: 0, atMs: run.nowMs + 30_000 });
});

Deno.test("priority() returns to the top after an unplanned drop from a backup", () => {
  const s = priority({ ...prio, reconnectIntervalMs: 700 });
  s.onLoggedOn(2, 0);
  s.onSessionEnded(2, "heartbeat-timeout", 50);
  const next = s.next(50);
  assertEquals(next.type === "attempt" && [next.addressIndex, next.atMs], [0, 750]);
  assertEquals(s.probe(2), undefined);
});

Deno.test("non-priority strategies never probe", () => {
  for (const kind of STRATEGY_KINDS.filter((k) => k !== "priority")) {
    const s = createStrategy(kind, prio);
    s.onLoggedOn(2, 0);
    assertEquals(s.probe(2), undefined, kind);
    assertEquals(s.onProbeResult(0, true, 1e9), false, kind);
  }
});

// --- construction and limits --------------------------------------------------

Deno.test("createStrategy() builds every kind by name", () => {
  for (const kind of STRATEGY_KINDS) assertEquals(createStrategy(kind, base).kind, kind);
});

Deno.test("resolveStrategyOptions() refuses out-of-range options, naming them", () => {
  const bad: [Partial<StrategyOptions>, string][] = [
    [{ addressCount: 0 }, "addressCount 0"],
    [{ addressCount: MAX_ADDRESSES + 1 }, `addressCount ${MAX_ADDRESSES + 1}`],
    [{ addressCount: 1.5 }, "addressCount 1.5"],
    [{ attemptsPerAddress: 0 }, "attemptsPerAddress 0"],
    [{ attemptsPerAddress: 1001 }, "attemptsPerAddress 1001"],
    [{ backoffMs: [100, -1] }, "backoffMs[1] -1"],
    [{ backoffMs: new Array(MAX_BACKOFF_STEPS + 1).fill(1) }, "at most 32"],
    [{ reconnectIntervalMs: -5 }, "reconnectIntervalMs -5"],
    [{ reconnectIntervalMs: 86_400_001 }, "reconnectIntervalMs 86400001"],
    [{ startOverIntervalMs: 0 }, "startOverIntervalMs 0"],
  ];
  for (const [patch, text] of bad) {
    for (const kind of STRATEGY_KINDS) {
      assertThrows(() => createStrategy(kind, { ...base, ...patch }), RangeError, text);
    }
  }
  // The limits themselves are accepted.
  createStrategy("round-robin", {
    addressCount: MAX_ADDRESSES,
    attemptsPerAddress: 1000,
    backoffMs: new Array(MAX_BACKOFF_STEPS).fill(86_400_000),
  });
});

Deno.test("strategies refuse an address index outside the list", () => {
  const s = roundRobin(base);
  assertThrows(() => s.onAttemptFailed(3, "connect-refused", 0), RangeError, "address index 3");
  assertThrows(() => s.onLoggedOn(-1, 0), RangeError, "address index -1");
});
