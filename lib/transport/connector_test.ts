import { assert, assertEquals, assertThrows } from "../testing/assert.ts";
import {
  Connector,
  type ConnectorAction,
  type ConnectorEvent,
  MAX_TIMEOUT_MS,
  MAX_TRANSITION_HISTORY,
} from "./connector.ts";
import { alwaysStartOnPrimary, fatalFailure, priority, roundRobin } from "./strategy.ts";

const addresses = [
  { host: "10.0.0.1", port: 9001 },
  { host: "10.0.0.2", port: 9002 },
  { host: "10.0.0.3", port: 9003 },
];

const events = (actions: ConnectorAction[]): ConnectorEvent["type"][] =>
  actions.flatMap((a) => a.type === "event" ? [a.event.type] : []);
const commands = (actions: ConnectorAction[]) => actions.filter((a) => a.type !== "event");

function connector(
  strategy = alwaysStartOnPrimary({ addressCount: 3, backoffMs: [100, 500] }),
): Connector {
  return new Connector({ addresses, strategy, connectTimeoutMs: 2000, logonTimeoutMs: 3000 });
}

Deno.test("Connector.handle(start) connects to address 0 at once", () => {
  const c = connector();
  const out = c.handle({ type: "start" }, 1000);
  assertEquals(events(out), ["waiting", "connecting"]);
  assertEquals(commands(out), [
    { type: "connect", attempt: 1, addressIndex: 0, address: addresses[0]!, timeoutMs: 2000 },
  ]);
  assertEquals([c.state, c.wakeAtMs], ["connecting", 3000]);
});

Deno.test("Connector aborts a connect at its timeout and counts it as a failed attempt", () => {
  const c = connector();
  c.handle({ type: "start" }, 0);
  assertEquals(c.handle({ type: "tick" }, 1999), [], "nothing before the deadline");
  const out = c.handle({ type: "tick" }, 2000);
  assertEquals(commands(out), [{ type: "abort", attempt: 1, why: "connect-timeout" }]);
  assertEquals(events(out), ["attempt-failed", "waiting"]);
  assertEquals([c.state, c.addressIndex, c.wakeAtMs], ["waiting", 1, 2100]);
  const next = c.handle({ type: "tick" }, 2100);
  assertEquals(commands(next)[0], {
    type: "connect",
    attempt: 2,
    addressIndex: 1,
    address: addresses[1]!,
    timeoutMs: 2000,
  });
});

Deno.test("Connector ignores a connected input for an abandoned attempt", () => {
  const c = connector();
  c.handle({ type: "start" }, 0);
  c.handle({ type: "tick" }, 2000);
  assertEquals(c.handle({ type: "connected", attempt: 1 }, 2001), []);
  assertEquals(c.state, "waiting");
});

Deno.test("Connector counts a connection closed before Logon as a failure, not a success", () => {
  const c = connector();
  c.handle({ type: "start" }, 0);
  assertEquals(events(c.handle({ type: "connected", attempt: 1 }, 10)), ["connected"]);
  assertEquals([c.state, c.wakeAtMs], ["logging-on", 3010]);
  const out = c.handle({ type: "disconnected", attempt: 1, failure: "closed-before-logon" }, 20);
  assertEquals(events(out), ["attempt-failed", "waiting"]);
  const failed = out.find((a) => a.type === "event" && a.event.type === "attempt-failed");
  assertEquals(failed, {
    type: "event",
    event: { type: "attempt-failed", attempt: 1, addressIndex: 0, failure: "closed-before-logon" },
  });
  assertEquals([c.addressIndex, c.wakeAtMs], [1, 120]);
});

Deno.test("Connector aborts at the Logon timeout", () => {
  const c = connector();
  c.handle({ type: "start" }, 0);
  c.handle({ type: "connected", attempt: 1 }, 500);
  assertEquals(c.handle({ type: "tick" }, 3499), []);
  const out = c.handle({ type: "tick" }, 3500);
  assertEquals(commands(out), [{ type: "abort", attempt: 1, why: "logon-timeout" }]);
  assertEquals(c.transitions.at(-1), {
    from: "logging-on",
    to: "waiting",
    reason: "logon-timeout at address 0: move to address 1 after 100 ms (consecutive failure 1)",
    atMs: 3500,
  });
});

Deno.test("Connector reports a refused connect and moves on by the strategy", () => {
  const c = connector(roundRobin({ addressCount: 3, backoffMs: [] }));
  c.handle({ type: "start" }, 0);
  const out = c.handle({ type: "connect-failed", attempt: 1, failure: "connect-refused" }, 5);
  assertEquals(events(out), ["attempt-failed", "waiting", "connecting"]);
  assertEquals(commands(out)[0]?.type === "connect" && commands(out)[0], {
    type: "connect",
    attempt: 2,
    addressIndex: 1,
    address: addresses[1]!,
    timeoutMs: 2000,
  });
});

Deno.test("Connector reports failed-over when a session logs on at a different address", () => {
  const c = connector(
    alwaysStartOnPrimary({ addressCount: 3, backoffMs: [], reconnectIntervalMs: 0 }),
  );
  c.handle({ type: "start" }, 0);
  c.handle({ type: "connected", attempt: 1 }, 1);
  assertEquals(events(c.handle({ type: "logged-on", attempt: 1 }, 2)), ["logged-on"]);
  const ended = c.handle({ type: "disconnected", attempt: 1, failure: "eof-after-logon" }, 3);
  assertEquals(events(ended), ["session-ended", "waiting", "connecting"]);
  c.handle({ type: "connect-failed", attempt: 2, failure: "connect-refused" }, 4);
  c.handle({ type: "connected", attempt: 3 }, 5);
  const out = c.handle({ type: "logged-on", attempt: 3 }, 6);
  assertEquals(events(out), ["logged-on", "failed-over"]);
  assertEquals(out[1], { type: "event", event: { type: "failed-over", fromIndex: 0, toIndex: 1 } });
});

Deno.test("Connector reaches a working third address in the documented attempts and times", () => {
  // Addresses 0 and 1 refuse; address 2 works. attemptsPerAddress 2, backoff [100, 500, 1000].
  const c = connector(
    alwaysStartOnPrimary({ addressCount: 3, attemptsPerAddress: 2, backoffMs: [100, 500, 1000] }),
  );
  const connects: [number, number, number][] = [];
  let nowMs = 0;
  let out = c.handle({ type: "start" }, nowMs);
  for (let guard = 0; guard < 20 && c.state !== "logged-on"; guard++) {
    for (const action of out) {
      if (action.type !== "connect") continue;
      connects.push([action.attempt, action.addressIndex, nowMs]);
      out = action.addressIndex === 2
        ? [
          ...c.handle({ type: "connected", attempt: action.attempt }, nowMs),
          ...c.handle({ type: "logged-on", attempt: action.attempt }, nowMs),
        ]
        : c.handle(
          { type: "connect-failed", attempt: action.attempt, failure: "connect-refused" },
          nowMs,
        );
    }
    if (c.state === "waiting") {
      nowMs = c.wakeAtMs!;
      out = c.handle({ type: "tick" }, nowMs);
    }
  }
  assertEquals(connects, [[1, 0, 0], [2, 0, 100], [3, 1, 600], [4, 1, 1600], [5, 2, 2600]]);
  assertEquals(c.state, "logged-on");
});

Deno.test("Connector reports a fatal failure exactly once", () => {
  const c = connector(fatalFailure({ addressCount: 3, backoffMs: [] }));
  const all: ConnectorAction[] = [];
  all.push(...c.handle({ type: "start" }, 0));
  for (let attempt = 1; attempt <= 3; attempt++) {
    all.push(...c.handle({ type: "connect-failed", attempt, failure: "connect-refused" }, attempt));
  }
  // Late and repeated inputs after the verdict change nothing.
  all.push(...c.handle({ type: "tick" }, 10_000));
  all.push(...c.handle({ type: "connect-failed", attempt: 3, failure: "connect-refused" }, 10_001));
  all.push(...c.handle({ type: "start" }, 10_002));
  const fatal = all.filter((a) => a.type === "event" && a.event.type === "fatal-failure");
  assertEquals(fatal.length, 1);
  assertEquals(
    fatal[0]?.type === "event" && fatal[0].event.type === "fatal-failure" &&
      fatal[0].event.attempts,
    3,
  );
  assertEquals([c.state, c.wakeAtMs], ["failed", undefined]);
  assertEquals(all.filter((a) => a.type === "connect").length, 3);
});

Deno.test("Connector probes the primary from a backup and logs out only after it answers", () => {
  const c = connector(
    priority({
      addressCount: 3,
      backoffMs: [],
      reconnectIntervalMs: 1000,
      startOverIntervalMs: 30_000,
    }),
  );
  c.handle({ type: "start" }, 0);
  c.handle({ type: "connect-failed", attempt: 1, failure: "connect-refused" }, 0);
  c.handle({ type: "connected", attempt: 2 }, 10);
  c.handle({ type: "logged-on", attempt: 2 }, 20);
  assertEquals(c.wakeAtMs, 30_020);
  assertEquals(c.handle({ type: "tick" }, 30_019), []);
  const probe = c.handle({ type: "tick" }, 30_020);
  assertEquals(probe, [
    { type: "probe", probe: 1, addressIndex: 0, address: addresses[0]!, timeoutMs: 2000 },
  ]);
  // A failed probe leaves the session alone and schedules the next probe.
  assertEquals(events(c.handle({ type: "probe-result", probe: 1, ok: false }, 30_050)), [
    "probe-failed",
  ]);
  assertEquals([c.state, c.wakeAtMs], ["logged-on", 60_050]);
  c.handle({ type: "tick" }, 60_050);
  const answered = c.handle({ type: "probe-result", probe: 2, ok: true }, 60_060);
  assertEquals(events(answered), ["probe-answered"]);
  assertEquals(commands(answered), [
    { type: "logout", attempt: 2, reason: "address 0 answered a probe; switching back to it" },
  ]);
  assertEquals([c.state, c.wakeAtMs], ["logged-on", undefined]);
  // The session runner completes the Logout; the next attempt goes to the primary at once.
  const after = c.handle({ type: "disconnected", attempt: 2, failure: "logout" }, 60_100);
  assertEquals(commands(after), [
    { type: "connect", attempt: 3, addressIndex: 0, address: addresses[0]!, timeoutMs: 2000 },
  ]);
});

Deno.test("Connector treats an unanswered probe as failed at the connect timeout", () => {
  const c = connector(priority({ addressCount: 2, backoffMs: [], startOverIntervalMs: 1000 }));
  c.handle({ type: "start" }, 0);
  c.handle({ type: "connect-failed", attempt: 1, failure: "connect-timeout" }, 0);
  c.handle({ type: "connected", attempt: 2 }, 0);
  c.handle({ type: "logged-on", attempt: 2 }, 0);
  c.handle({ type: "tick" }, 1000);
  assertEquals(c.wakeAtMs, 3000);
  assertEquals(events(c.handle({ type: "tick" }, 3000)), ["probe-failed"]);
  assertEquals(
    c.handle({ type: "probe-result", probe: 1, ok: true }, 3001),
    [],
    "late answer ignored",
  );
  assertEquals(c.wakeAtMs, 4000);
});

Deno.test("Connector.handle(stop) aborts the live attempt and goes quiet", () => {
  const c = connector();
  c.handle({ type: "start" }, 0);
  const out = c.handle({ type: "stop", reason: "shutdown" }, 5);
  assertEquals(commands(out), [{ type: "abort", attempt: 1, why: "stopped" }]);
  assertEquals(events(out), ["stopped"]);
  assertEquals([c.state, c.wakeAtMs], ["stopped", undefined]);
  assertEquals(c.handle({ type: "tick" }, 10_000), []);
  assertEquals(c.handle({ type: "connected", attempt: 1 }, 10_001), []);
  assertEquals(c.handle({ type: "stop", reason: "again" }, 10_002), []);
});

Deno.test("Connector records every transition with from, to and reason, keeping the last 100", () => {
  const c = connector(roundRobin({ addressCount: 3, backoffMs: [] }));
  c.handle({ type: "start" }, 0);
  assertEquals(c.transitions, [
    { from: "idle", to: "waiting", reason: "start at address 0", atMs: 0 },
    { from: "waiting", to: "connecting", reason: "attempt 1 to address 0 is due", atMs: 0 },
  ]);
  for (let attempt = 1; attempt <= 200; attempt++) {
    c.handle({ type: "connect-failed", attempt, failure: "connect-error" }, attempt);
  }
  assertEquals(c.transitions.length, MAX_TRANSITION_HISTORY);
  const last = c.transitions.at(-2);
  assert(last !== undefined);
  assertEquals(last.reason.startsWith("connect-error at address 1: move to address 2"), true);
});

Deno.test("new Connector() refuses an empty list and out-of-range timeouts", () => {
  const strategy = roundRobin({ addressCount: 1 });
  assertThrows(
    () => new Connector({ addresses: [], strategy }),
    RangeError,
    "address list is empty",
  );
  assertThrows(
    () => new Connector({ addresses, strategy, connectTimeoutMs: 0 }),
    RangeError,
    "connectTimeoutMs 0",
  );
  assertThrows(
    () => new Connector({ addresses, strategy, logonTimeoutMs: MAX_TIMEOUT_MS + 1 }),
    RangeError,
    `logonTimeoutMs ${MAX_TIMEOUT_MS + 1}`,
  );
});

Deno.test("Connector refuses a strategy that names an address outside the list", () => {
  const c = new Connector({
    addresses: addresses.slice(0, 1),
    strategy: roundRobin({ addressCount: 3 }),
  });
  c.handle({ type: "start" }, 0);
  assertThrows(
    () => c.handle({ type: "connect-failed", attempt: 1, failure: "connect-refused" }, 0),
    RangeError,
    "address index 1 from strategy round-robin",
  );
});
