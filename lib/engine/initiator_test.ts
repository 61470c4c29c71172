import { assert, assertEquals, assertThrows } from "../testing/assert.ts";
import { generateTestCertificates } from "../../tests/_certs.ts";
import type { FixMessage } from "../fix/message.ts";
import { Acceptor } from "./acceptor.ts";
import type { SessionHandle } from "./application.ts";
import { executorApplication } from "./executor_application.ts";
import { classifyEnd, Initiator } from "./initiator.ts";
import { fatalFailure } from "../transport/mod.ts";

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

Deno.test("Initiator moves to the next address after a failed connect, logs on and trades with the executor", async () => {
  await using acceptor = new Acceptor({
    sessions: [{ beginString: "FIX.4.4", senderCompId: "EXEC", targetCompId: "CLIENT" }],
    application: executorApplication(),
    logger: () => {},
  }).listen();
  const reports: FixMessage[] = [];
  let done!: () => void;
  const twoReports = new Promise<void>((r) => done = r);
  const failures: string[] = [];
  await using _initiator = new Initiator({
    session: {
      beginString: "FIX.4.4",
      senderCompId: "CLIENT",
      targetCompId: "EXEC",
      heartbeatIntervalS: 30,
    },
    addresses: [{ hostname: "127.0.0.1", port: freePort() }, {
      hostname: "127.0.0.1",
      port: acceptor.port,
    }],
    reconnectDelayMs: 10,
    logger: (level, m) => {
      if (level === "warn") failures.push(m);
    },
    application: {
      onLogon(session: SessionHandle) {
        session.send("D", [
          [11, "ORD1"],
          [21, "1"],
          [55, "INTC"],
          [54, "1"],
          [38, "100"],
          [40, "2"],
          [
            44,
            "10.5",
          ],
          [60, "20261124-12:00:00"],
        ]);
      },
      onMessage(m: FixMessage) {
        reports.push(m);
        if (reports.length === 2) done();
      },
    },
  }).start();
  await twoReports;
  assert(failures.some((f) => f.includes("failed: connect-refused")), failures.join("\n"));
  assertEquals(reports.map((r) => [r.msgType, r.get(150), r.get(39), r.get(11)]), [
    ["8", "0", "0", "ORD1"],
    ["8", "F", "2", "ORD1"],
  ]);
  assertEquals(reports[1]!.get(31), "10.5");
  assertEquals(reports[1]!.get(14), "100");
  assert(!reports[0]!.has(20), "no ExecTransType on FIX.4.4");
});

Deno.test("Initiator reconnects and logs on again after the connection drops", async () => {
  await using acceptor = new Acceptor({
    sessions: [{ beginString: "FIX.4.2", senderCompId: "EXEC", targetCompId: "CLIENT" }],
    logger: () => {},
  }).listen();
  let logons = 0;
  let second!: () => void;
  const loggedOnTwice = new Promise<void>((r) => second = r);
  await using initiator = new Initiator({
    session: { beginString: "FIX.4.2", senderCompId: "CLIENT", targetCompId: "EXEC" },
    addresses: [{ hostname: "127.0.0.1", port: acceptor.port }],
    reconnectDelayMs: 10,
    logger: () => {},
    application: {
      onLogon(session) {
        logons++;
        if (logons === 1) session.logout("drop me");
        else second();
      },
    },
  }).start();
  await loggedOnTwice;
  assertEquals(logons, 2);
  assertEquals(initiator.host.session.nextSenderSeqNum, 4, "Logon, Logout, Logon");
});

Deno.test("Initiator with the fatal-failure strategy gives up after a full pass and says why", async () => {
  const events: string[] = [];
  await using initiator = new Initiator({
    session: { beginString: "FIX.4.4", senderCompId: "A", targetCompId: "B" },
    addresses: [{ hostname: "127.0.0.1", port: freePort() }, {
      hostname: "127.0.0.1",
      port: freePort(),
    }],
    strategy: fatalFailure({ addressCount: 2, attemptsPerAddress: 2, backoffMs: [1] }),
    onEvent: (e) =>
      events.push(e.type === "attempt-failed" ? `${e.type} ${e.addressIndex}` : e.type),
    logger: () => {},
  }).start();
  await initiator.done;
  assertEquals(events.filter((e) => e.startsWith("attempt-failed")), [
    "attempt-failed 0",
    "attempt-failed 0",
    "attempt-failed 1",
    "attempt-failed 1",
  ]);
  assertEquals(events.at(-1), "fatal-failure");
  assertEquals(initiator.state, "failed");
  assert(initiator.fatalReason?.includes("4 consecutive attempts failed"), initiator.fatalReason);
});

Deno.test("classifyEnd tells a heartbeat timeout, a Logout and an EOF apart", () => {
  assertEquals(classifyEnd(false, "peer closed the connection"), "closed-before-logon");
  assertEquals(classifyEnd(false, "Logon timeout"), "logon-timeout");
  assertEquals(classifyEnd(false, "Logout"), "logout");
  assertEquals(classifyEnd(true, "Heartbeat timeout: TestRequest unanswered"), "heartbeat-timeout");
  assertEquals(classifyEnd(true, "Logout"), "logout");
  assertEquals(classifyEnd(true, "peer closed the connection"), "eof-after-logon");
  assertEquals(classifyEnd(true, "read failed: connection reset"), "eof-after-logon");
});

Deno.test("Initiator calls a class-based application with its own this", async () => {
  await using acceptor = new Acceptor({
    sessions: [{ beginString: "FIX.4.4", senderCompId: "EXEC", targetCompId: "CLIENT" }],
    application: executorApplication(),
    logger: () => {},
  }).listen();
  class Orders {
    readonly reports: string[] = [];
    readonly #done = Promise.withResolvers<void>();
    get done(): Promise<void> {
      return this.#done.promise;
    }
    onLogon(s: SessionHandle): void {
      s.send("D", [[11, "C1"], [21, "1"], [55, "X"], [54, "1"], [60, "20261124-12:00:00"], [
        38,
        "1",
      ], [40, "1"]]);
    }
    onMessage(m: FixMessage): void {
      this.reports.push(m.get(39) ?? "");
      if (this.reports.length === 2) this.#done.resolve();
    }
  }
  const app = new Orders();
  await using _initiator = new Initiator({
    session: { beginString: "FIX.4.4", senderCompId: "CLIENT", targetCompId: "EXEC" },
    addresses: [{ hostname: "127.0.0.1", port: acceptor.port }],
    application: app,
    logger: () => {},
  }).start();
  await app.done;
  assertEquals(app.reports, ["0", "2"]);
});

Deno.test("Initiator logs on over TLS to an Acceptor started with TLS, which listen() refuses", async () => {
  await using certs = await generateTestCertificates();
  const tls = { cert: { pem: certs.server.cert }, key: { pem: certs.server.key } };
  const sessions = [{ beginString: "FIX.4.4", senderCompId: "EXEC", targetCompId: "CLIENT" }];
  assertThrows(
    () => new Acceptor({ sessions, tls, logger: () => {} }).listen(),
    TypeError,
    "await acceptor.start()",
  );
  await using acceptor = await new Acceptor({ sessions, tls, logger: () => {} }).start();
  const { promise: loggedOn, resolve } = Promise.withResolvers<void>();
  await using initiator = new Initiator({
    session: { beginString: "FIX.4.4", senderCompId: "CLIENT", targetCompId: "EXEC" },
    addresses: [{ hostname: "127.0.0.1", port: acceptor.port }],
    tls: { ca: { pem: certs.ca.cert } },
    logger: () => {},
    onEvent: (e) => e.type === "logged-on" && resolve(),
  }).start();
  await loggedOn;
  assert(initiator.host.isLoggedOn);
  assert(acceptor.sessions.get("FIX.4.4:EXEC->CLIENT")?.isLoggedOn);
});

Deno.test("Initiator.logout() keeps the session down until logon() starts it again", async () => {
  await using acceptor = new Acceptor({
    sessions: [{ beginString: "FIX.4.4", senderCompId: "EXEC", targetCompId: "CLIENT" }],
    logger: () => {},
  }).listen();
  let logons = 0;
  let logouts = 0;
  let wake = Promise.withResolvers<void>();
  await using initiator = new Initiator({
    session: { beginString: "FIX.4.4", senderCompId: "CLIENT", targetCompId: "EXEC" },
    addresses: [{ hostname: "127.0.0.1", port: acceptor.port }],
    reconnectDelayMs: 10,
    logger: () => {},
    application: {
      onLogon() {
        logons++;
        wake.resolve();
      },
      onLogout() {
        logouts++;
        wake.resolve();
      },
    },
  }).start();
  await wake.promise;
  wake = Promise.withResolvers<void>();
  initiator.logout("end of day");
  await wake.promise;
  // far longer than the 10 ms reconnect delay: a reconnect would have happened by now
  await new Promise((r) => setTimeout(r, 300));
  assertEquals([logons, logouts, initiator.isHeld, initiator.state], [1, 1, true, "stopped"]);
  wake = Promise.withResolvers<void>();
  initiator.logon();
  await wake.promise;
  assertEquals([logons, initiator.isHeld], [2, false]);
});

Deno.test("Initiator stops reconnecting when the counterparty says its MsgSeqNum is too low, until an operator acts", async () => {
  const { MemorySessionStore } = await import("./store.ts");
  const store = new MemorySessionStore();
  const id = store.defineSession("FIX.4.4:EXEC->CLIENT");
  // the acceptor has seen 299 messages from CLIENT: the initiator's 1 is too low
  store.appendSequenceChange(id, { nextSenderSeqNum: 1, nextTargetSeqNum: 300 }, false, 0);
  let refusals = 0;
  await using acceptor = new Acceptor({
    sessions: [{ beginString: "FIX.4.4", senderCompId: "EXEC", targetCompId: "CLIENT" }],
    store,
    logger: (_level, m) => {
      if (m.includes("Logout sent: MsgSeqNum too low")) refusals++;
    },
  }).listen();
  const warnings: string[] = [];
  let logons = 0;
  await using initiator = new Initiator({
    session: { beginString: "FIX.4.4", senderCompId: "CLIENT", targetCompId: "EXEC" },
    addresses: [{ hostname: "127.0.0.1", port: acceptor.port }],
    reconnectDelayMs: 10,
    logger: (level, m) => {
      if (level === "warn") warnings.push(m);
    },
    application: { onLogon: () => void logons++ },
  }).start();
  const until = async (pred: () => boolean, what: string) => {
    for (let i = 0; !pred(); i++) {
      if (i > 3_000) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  await until(() => initiator.isHeld, "the hold");
  assert(warnings.some((w) => w.includes("Received Logout request: MsgSeqNum too low")));
  assertEquals(initiator.host.lostOutbound.map((r) => [r.fromSeqNum, r.toSeqNum]), [[1, 299]]);
  // a loop would reconnect every 10 ms; held, it stays down
  await new Promise((r) => setTimeout(r, 300));
  assertEquals(refusals, 1);
  initiator.host.setSequenceNumbers({ nextSenderSeqNum: 300, nextTargetSeqNum: 2 }, "operator");
  initiator.logon();
  await until(() => logons === 1, "the logon after the operator set the numbers");
});

Deno.test("Initiator.abort() drops a logged-on session without a Logout and does not reconnect", async () => {
  const received: string[] = [];
  const acceptorEnded = Promise.withResolvers<void>();
  await using acceptor = new Acceptor({
    sessions: [{ beginString: "FIX.4.4", senderCompId: "EXEC", targetCompId: "CLIENT" }],
    logger: () => {},
    application: {
      onAdmin: (m) => void received.push(m.msgType),
      onLogout: () => acceptorEnded.resolve(),
    },
  }).listen();
  const loggedOn = Promise.withResolvers<void>();
  let logons = 0;
  const initiator = new Initiator({
    session: { beginString: "FIX.4.4", senderCompId: "CLIENT", targetCompId: "EXEC" },
    addresses: [{ hostname: "127.0.0.1", port: acceptor.port }],
    reconnectDelayMs: 10,
    logger: () => {},
    application: {
      onLogon: () => {
        logons++;
        loggedOn.resolve();
      },
    },
  }).start();
  await loggedOn.promise;
  const before = initiator.host.session.nextSenderSeqNum;
  await initiator.abort("stepped down");
  await acceptorEnded.promise;
  await new Promise((r) => setTimeout(r, 200)); // a reconnect (10 ms) would have happened
  assertEquals(received.filter((t) => t === "5"), [], "no Logout reached the acceptor");
  assertEquals(initiator.host.session.nextSenderSeqNum, before, "no sequence number used");
  assertEquals(logons, 1);
});

Deno.test("Initiator with mayConnect refusing never opens a connection", async () => {
  let accepted = 0;
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepting = (async () => {
    for await (const c of listener) {
      accepted++;
      c.close();
    }
  })();
  let asked = 0;
  const initiator = new Initiator({
    session: { beginString: "FIX.4.4", senderCompId: "CLIENT", targetCompId: "EXEC" },
    addresses: [{ hostname: "127.0.0.1", port: listener.addr.port }],
    reconnectDelayMs: 10,
    logger: () => {},
    mayConnect: () => (asked++, "not the leader"),
  }).start();
  while (asked < 3) await new Promise((r) => setTimeout(r, 10));
  await initiator.close();
  listener.close();
  await accepting.catch(() => {});
  assertEquals(accepted, 0);
});
