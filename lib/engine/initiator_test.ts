import { assert, assertEquals } from "../testing/assert.ts";
import type { FixMessage } from "../fix/message.ts";
import { Acceptor } from "./acceptor.ts";
import type { SessionHandle } from "./application.ts";
import { executorApplication } from "./executor_application.ts";
import { Initiator } from "./initiator.ts";

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
  assert(failures.some((f) => f.includes("connect to 127.0.0.1")), failures.join("\n"));
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

Deno.test("Initiator gives up after maxReconnectAttempts failed attempts", async () => {
  const lines: string[] = [];
  await using initiator = new Initiator({
    session: { beginString: "FIX.4.4", senderCompId: "A", targetCompId: "B" },
    addresses: [{ hostname: "127.0.0.1", port: freePort() }],
    reconnectDelayMs: 1,
    maxReconnectAttempts: 3,
    logger: (_l, m) => lines.push(m),
  }).start();
  await initiator.done;
  assert(lines.some((l) => l.includes("giving up after 3 failed attempts")));
});
