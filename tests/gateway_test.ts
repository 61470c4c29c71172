/**
 * The initiator (gateway) against a backup list of acceptors that fail in
 * every way an attempt can fail, for each built-in connection strategy, and
 * with a QuickFIX C++ acceptor as one of the entries.
 *
 * The list, in order:
 *
 * 0. nothing listens (connect refused);
 * 1. accepts, then closes before Logon;
 * 2. accepts and never answers the Logon (Logon timeout);
 * 3. answers the Logon, then goes silent (heartbeat timeout) — once: it stops
 *    listening after its first connection, so later attempts are refused;
 * 4. a Tandem acceptor that works.
 *
 * Address 3 logs on, so it is a success for the strategy: the session there
 * ends with `heartbeat-timeout`. Where each strategy goes next is what this
 * test pins down (with one attempt per address and no pauses):
 *
 * | strategy                | attempts | path                                 |
 * | ----------------------- | -------- | ------------------------------------ |
 * | round-robin             | 5        | 0 1 2 3 4                            |
 * | always-start-on-primary | 9        | 0 1 2 3, then from the top: 0 1 2 3 4 |
 * | priority                | 9        | like always-start-on-primary         |
 * | fatal-failure           | 9        | like always-start-on-primary (the Logon at 3 resets the failure count) |
 */

import { assert, assertEquals } from "../lib/testing/assert.ts";
import { Acceptor, Initiator } from "../lib/engine/mod.ts";
import type { FixMessage } from "../lib/fix/message.ts";
import {
  type ConnectionStrategy,
  type ConnectorEvent,
  createStrategy,
  type StrategyKind,
} from "../lib/transport/mod.ts";
import { FakeAcceptor, freePort } from "./_gateway_fakes.ts";
import { ensureQfPeer, startQfAcceptor } from "./interop/_peer.ts";
import { nodeYaml, TandemProcess } from "./_gateway_process.ts";
import { ExitCode } from "../lib/cli/exit_codes.ts";

const SESSION = {
  beginString: "FIX.4.4",
  senderCompId: "CLIENT",
  targetCompId: "EXEC",
  heartbeatIntervalS: 1,
  // TestRequest after 0.25 s of silence, disconnect after 0.5 s.
  testRequestDelayMultiplier: 0.25,
  // The fakes and the working acceptor are different counterparties with
  // their own sequence numbers (not the HA pair that shares them).
  resetOnDisconnect: true,
} as const;

function summarize(events: readonly ConnectorEvent[]): string[] {
  return events.flatMap((e) => {
    switch (e.type) {
      case "attempt-failed":
        return [`${e.addressIndex} ${e.failure}`];
      case "logged-on":
        return [`${e.addressIndex} logged-on`];
      case "session-ended":
        return [`${e.addressIndex} ended ${e.failure}`];
      case "failed-over":
        return [`failed-over ${e.fromIndex}->${e.toIndex}`];
      case "fatal-failure":
        return ["fatal"];
      default:
        return [];
    }
  });
}

async function runAgainstBackupList(kind: StrategyKind): Promise<{
  events: ConnectorEvent[];
  attempts: number;
}> {
  await using closer = new FakeAcceptor("close-before-logon");
  await using mute = new FakeAcceptor("never-answer");
  await using silent = new FakeAcceptor("silent-after-logon", { once: true });
  await using working = new Acceptor({
    sessions: [{ beginString: "FIX.4.4", senderCompId: "EXEC", targetCompId: "CLIENT" }],
    logger: () => {},
  }).listen();
  const ports = [freePort(), closer.port, mute.port, silent.port, working.port];
  const events: ConnectorEvent[] = [];
  const { promise: onWorking, resolve } = Promise.withResolvers<void>();
  const strategy: ConnectionStrategy = createStrategy(kind, {
    addressCount: ports.length,
    attemptsPerAddress: 1,
    backoffMs: [0],
    reconnectIntervalMs: 0,
    startOverIntervalMs: 3_600_000,
  });
  await using initiator = new Initiator({
    session: SESSION,
    addresses: ports.map((port) => ({ hostname: "127.0.0.1", port })),
    strategy,
    connectTimeoutMs: 2_000,
    logonTimeoutMs: 600, // the mute acceptor costs this; the working ones answer in a few ms
    logger: () => {},
    onEvent: (e) => {
      events.push(e);
      if (e.type === "logged-on" && e.addressIndex === 4) resolve();
      if (e.type === "fatal-failure") resolve();
    },
  }).start();
  await onWorking;
  const attempts = events.filter((e) => e.type === "connecting").length;
  assert(initiator.host.isLoggedOn, `not logged on: ${summarize(events).join(", ")}`);
  return { events, attempts };
}

const FIRST_PASS = [
  "0 connect-refused",
  "1 closed-before-logon",
  "2 logon-timeout",
  "3 logged-on",
  "3 ended heartbeat-timeout",
];

Deno.test("round-robin reaches the working acceptor in 5 attempts past refused, dropped, mute and silent ones", async () => {
  const { events, attempts } = await runAgainstBackupList("round-robin");
  assertEquals(summarize(events), [...FIRST_PASS, "4 logged-on", "failed-over 3->4"]);
  assertEquals(attempts, 5);
});

for (const kind of ["always-start-on-primary", "priority", "fatal-failure"] as const) {
  Deno.test(`${kind} starts over at the primary after the silent session and reaches the working acceptor in 9 attempts`, async () => {
    const { events, attempts } = await runAgainstBackupList(kind);
    assertEquals(summarize(events), [
      ...FIRST_PASS,
      "0 connect-refused",
      "1 closed-before-logon",
      "2 logon-timeout",
      "3 connect-refused",
      "4 logged-on",
      "failed-over 3->4",
    ]);
    assertEquals(attempts, 9);
  });
}

Deno.test("A custom ConnectionStrategy plugged into the Initiator picks the addresses", async () => {
  await using working = new Acceptor({
    sessions: [{ beginString: "FIX.4.4", senderCompId: "EXEC", targetCompId: "CLIENT" }],
    logger: () => {},
  }).listen();
  const asked: string[] = [];
  // Always the last address first, then walk backwards.
  let index = 2;
  const strategy: ConnectionStrategy = {
    kind: "last-first",
    next: (nowMs) => ({ type: "attempt", addressIndex: index, atMs: nowMs, reason: "custom" }),
    onAttemptFailed: (i, failure) => {
      asked.push(`${i} ${failure}`);
      index = i - 1;
    },
    onLoggedOn: (i) => void asked.push(`${i} logged-on`),
    onSessionEnded: () => {},
    probe: () => undefined,
    onProbeResult: () => false,
  };
  const { promise: loggedOn, resolve } = Promise.withResolvers<void>();
  await using _initiator = new Initiator({
    session: SESSION,
    addresses: [working.port, freePort(), freePort()].map((port) => ({
      hostname: "127.0.0.1",
      port,
    })),
    strategy,
    logger: () => {},
    onEvent: (e) => e.type === "logged-on" && resolve(),
  }).start();
  await loggedOn;
  assertEquals(asked, ["2 connect-refused", "1 connect-refused", "0 logged-on"]);
});

Deno.test("A QuickFIX C++ acceptor as a backup: the initiator fails over to it and trades", async (t) => {
  const build = await ensureQfPeer();
  if (!build.ok) {
    console.warn(`skipped: QuickFIX peer cannot be built (${build.reason})`);
    await t.step({ name: `skipped: ${build.reason}`, ignore: true, fn: () => {} });
    return;
  }
  const dataDir = await Deno.makeTempDir({ prefix: "tandem-gw-qf-" });
  try {
    await using closer = new FakeAcceptor("close-before-logon");
    await using qf = await startQfAcceptor({
      dataDir,
      senderCompId: "VENUE",
      targetCompId: "TANDEM",
      heartbeatIntervalS: 30,
      fileLog: false,
    });
    const events: ConnectorEvent[] = [];
    const reports: FixMessage[] = [];
    const { promise: filled, resolve } = Promise.withResolvers<void>();
    await using initiator = new Initiator({
      session: {
        beginString: "FIX.4.4",
        senderCompId: "TANDEM",
        targetCompId: "VENUE",
        heartbeatIntervalS: 30,
      },
      addresses: [freePort(), closer.port, qf.port].map((port) => ({
        hostname: "127.0.0.1",
        port,
      })),
      strategy: createStrategy("priority", {
        addressCount: 3,
        backoffMs: [0],
        startOverIntervalMs: 3_600_000,
      }),
      logonTimeoutMs: 10_000,
      logger: () => {},
      onEvent: (e) => void events.push(e),
      application: {
        onLogon(s) {
          s.send("D", [
            [11, "GW-1"],
            [21, "1"],
            [55, "IBM"],
            [54, "1"],
            [60, "20261124-12:00:00"],
            [38, "100"],
            [40, "1"],
          ]);
        },
        onMessage(m) {
          reports.push(m);
          if (m.msgType === "8" && m.get(39) === "2") resolve();
        },
      },
    }).start();
    await filled;
    assertEquals(summarize(events), [
      "0 connect-refused",
      "1 closed-before-logon",
      "2 logged-on",
    ]);
    assertEquals(reports.map((r) => [r.msgType, r.get(11)]), [["8", "GW-1"], ["8", "GW-1"]]);
    await initiator.close();
    assertEquals((await qf.waitForEvent("logout")).event, "logout");
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("A gateway with the fatal-failure strategy and exitOnFatal exits with code 3 when no acceptor logs it on", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tandem-gw-fatal-" });
  try {
    await using closer = new FakeAcceptor("close-before-logon");
    await Deno.writeTextFile(
      `${dir}/gateway.yaml`,
      nodeYaml({
        id: "gateway",
        role: "initiator",
        dataDir: `${dir}/data`,
        sessions: [{
          sender: "GW",
          target: "EXEC",
          application: "echo",
          connect: {
            addresses: [`127.0.0.1:${freePort()}`, `127.0.0.1:${closer.port}`],
            extra:
              "strategy: fatal-failure\nattemptsPerAddress: 2\nbackoffMs: [0]\nexitOnFatal: true",
          },
        }],
      }),
    );
    await using gateway = new TandemProcess("gateway", `${dir}/gateway.yaml`);
    const { code } = await gateway.status;
    assertEquals(code, ExitCode.FatalConnection, gateway.lines.slice(-10).join("\n"));
    const fatal = JSON.parse(await gateway.waitFor("connection strategy gave up"));
    assertEquals(fatal.attempts, 4);
    assertEquals(
      gateway.lines.filter((l) => l.includes("connection attempt failed")).map((l) =>
        JSON.parse(l).failure
      ),
      ["connect-refused", "connect-refused", "closed-before-logon", "closed-before-logon"],
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("priority: on a backup, the initiator probes the primary, logs out gracefully and logs on there when it is back", async () => {
  const sessions = [{ beginString: "FIX.4.4", senderCompId: "EXEC", targetCompId: "CLIENT" }];
  await using backup = new Acceptor({ sessions, logger: () => {} }).listen();
  const primaryPort = freePort();
  let primary: Acceptor | undefined;
  const events: ConnectorEvent[] = [];
  const { promise: back, resolve } = Promise.withResolvers<void>();
  try {
    await using _initiator = new Initiator({
      session: SESSION,
      addresses: [primaryPort, backup.port].map((port) => ({ hostname: "127.0.0.1", port })),
      strategy: createStrategy("priority", {
        addressCount: 2,
        backoffMs: [0],
        reconnectIntervalMs: 0,
        startOverIntervalMs: 50,
      }),
      logger: () => {},
      onEvent: (e) => {
        events.push(e);
        if (e.type === "logged-on" && e.addressIndex === 1 && primary === undefined) {
          primary = new Acceptor({ sessions, port: primaryPort, logger: () => {} }).listen();
        }
        if (e.type === "failed-over" && e.toIndex === 0) resolve();
      },
    }).start();
    await back;
  } finally {
    await primary?.close();
  }
  assertEquals(summarize(events), [
    "0 connect-refused",
    "1 logged-on",
    "1 ended logout",
    "0 logged-on",
    "failed-over 1->0",
  ]);
  assert(events.some((e) => e.type === "probe-answered" && e.addressIndex === 0));
});
