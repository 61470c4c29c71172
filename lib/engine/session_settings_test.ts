/**
 * The session settings a QuickFIX user expects, over real sockets: sub and location IDs sent and
 * checked, Logon Username/Password checked by the acceptor (plain and scrypt-hashed), HeartBtInt
 * bounds, and an acceptor template creating a session on the first valid Logon.
 */
import { assert, assertEquals } from "../testing/assert.ts";
import { Acceptor, type AcceptorSessionConfig } from "./acceptor.ts";
import { echoApplication } from "./echo_application.ts";
import { Initiator } from "./initiator.ts";
import { hashLogonPassword, INVALID_CREDENTIALS_TEXT, logonChecker } from "./logon_policy.ts";
import { MemorySessionStore } from "./store.ts";
import { TestClient } from "./_test_client.ts";
import type { FixMessage } from "../fix/message.ts";

const IDS = {
  senderSubId: "DESK1",
  senderLocationId: "LDN",
  targetSubId: "TRADER7",
  targetLocationId: "NYC",
} as const;

Deno.test("Sub and location IDs: an initiator and an acceptor configured as mirrors log on, send them on every message and key the session by them", async () => {
  const received: FixMessage[] = [];
  await using acceptor = new Acceptor({
    sessions: [{ beginString: "FIX.4.4", senderCompId: "ISLD", targetCompId: "TW", ...IDS }],
    application: {
      onMessage: (m, s) => {
        received.push(m);
        s.send("D", [[11, m.get(11)!], [21, "1"], [55, "X"], [54, "1"], [60, "20260101-00:00:00"], [
          40,
          "1",
        ]]);
      },
    },
    logger: () => {},
  }).listen();
  const key = "FIX.4.4:ISLD/DESK1/LDN->TW/TRADER7/NYC";
  assertEquals([...acceptor.sessions.keys()], [key]);
  const answers: FixMessage[] = [];
  const answered = Promise.withResolvers<void>();
  await using initiator = new Initiator({
    session: {
      beginString: "FIX.4.4",
      senderCompId: "TW",
      targetCompId: "ISLD",
      senderSubId: "TRADER7",
      senderLocationId: "NYC",
      targetSubId: "DESK1",
      targetLocationId: "LDN",
      heartbeatIntervalS: 30,
    },
    addresses: [{ hostname: "127.0.0.1", port: acceptor.port }],
    logger: () => {},
    application: {
      onLogon: (s) =>
        s.send("D", [[11, "A1"], [21, "1"], [55, "X"], [54, "1"], [60, "20260101-00:00:00"], [
          40,
          "1",
        ]]),
      onMessage: (m) => {
        answers.push(m);
        answered.resolve();
      },
    },
  }).start();
  assertEquals(initiator.host.key, "FIX.4.4:TW/TRADER7/NYC->ISLD/DESK1/LDN");
  await answered.promise;
  const ids = (m: FixMessage) => [m.get(50), m.get(142), m.get(57), m.get(143)];
  assertEquals(ids(received[0]!), ["TRADER7", "NYC", "DESK1", "LDN"]);
  assertEquals(ids(answers[0]!), ["DESK1", "LDN", "TRADER7", "NYC"]);
});

Deno.test("Sub and location IDs: a Logon with the wrong TargetSubID finds no session, and a wrong SenderSubID after Logon is rejected", async () => {
  await using acceptor = new Acceptor({
    sessions: [{ beginString: "FIX.4.4", senderCompId: "ISLD", targetCompId: "TW", ...IDS }],
    application: echoApplication(),
    logger: () => {},
  }).listen();
  {
    await using c = await TestClient.connect(acceptor.port);
    await c.send("35=A|34=1|98=0|108=30|50=TRADER7|142=NYC|57=OTHER|143=LDN");
    assert(await c.closedByPeer(), "no session for TargetSubID OTHER");
  }
  await using c = await TestClient.connect(acceptor.port);
  await c.send("35=A|34=1|98=0|108=30|50=TRADER7|142=NYC|57=DESK1|143=LDN");
  const logon = await c.next();
  assertEquals([logon?.msgType, logon?.get(50), logon?.get(57)], ["A", "DESK1", "TRADER7"]);
  await c.send(
    "35=D|34=2|50=INTRUDER|142=NYC|57=DESK1|143=LDN|11=X|21=1|55=X|54=1|60=20260101-00:00:00|40=1",
  );
  const reject = await c.next();
  assertEquals([reject?.msgType, reject?.get(373)], ["3", "9"]); // CompID problem
});

Deno.test("SessionQualifier tells apart two initiator sessions with the same CompIDs", () => {
  const store = new MemorySessionStore();
  const make = (q: string) =>
    new Initiator({
      session: {
        beginString: "FIX.4.4",
        senderCompId: "TW",
        targetCompId: "ISLD",
        sessionQualifier: q,
      },
      addresses: [{ hostname: "127.0.0.1", port: 1 }],
      store,
      logger: () => {},
    });
  const orders = make("orders");
  const prices = make("prices");
  assertEquals([orders.host.key, prices.host.key], [
    "FIX.4.4:TW->ISLD:orders",
    "FIX.4.4:TW->ISLD:prices",
  ]);
  assert(orders.host.sessionId !== prices.host.sessionId, "separate sequence numbers");
});

async function logonWith(
  port: number,
  fields: [number, string][],
  heartbeatIntervalS = 30,
): Promise<{ loggedOn: boolean; logoutText: string | undefined }> {
  const result = Promise.withResolvers<{ loggedOn: boolean; logoutText: string | undefined }>();
  let logoutText: string | undefined;
  await using _initiator = new Initiator({
    session: {
      beginString: "FIX.4.4",
      senderCompId: "TW",
      targetCompId: "ISLD",
      heartbeatIntervalS,
      logonFields: fields,
      resetOnLogon: true, // a fresh store each time: ResetSeqNumFlag=Y
    },
    addresses: [{ hostname: "127.0.0.1", port }],
    logger: () => {},
    reconnectDelayMs: 60_000,
    application: {
      onLogon: () => result.resolve({ loggedOn: true, logoutText }),
      onAdmin: (m) => {
        if (m.msgType === "5") {
          logoutText = m.get(58);
          result.resolve({ loggedOn: false, logoutText });
        }
      },
    },
  }).start();
  return await result.promise;
}

function credentialsAcceptor(config: Partial<AcceptorSessionConfig>, lines: string[]) {
  return new Acceptor({
    sessions: [{ beginString: "FIX.4.4", senderCompId: "ISLD", targetCompId: "TW", ...config }],
    logger: (level, m) => lines.push(`${level} ${m}`),
  }).listen();
}

Deno.test("Logon Username/Password: the acceptor refuses a wrong password or username with the same Logout text and never logs the password", async () => {
  const lines: string[] = [];
  const checkLogon = logonChecker({ username: "alice", password: "correct horse" })!;
  await using acceptor = credentialsAcceptor({ checkLogon }, lines);
  assertEquals(await logonWith(acceptor.port, [[553, "alice"], [554, "wrong horse"]]), {
    loggedOn: false,
    logoutText: INVALID_CREDENTIALS_TEXT,
  });
  assertEquals(await logonWith(acceptor.port, [[553, "mallory"], [554, "correct horse"]]), {
    loggedOn: false,
    logoutText: INVALID_CREDENTIALS_TEXT,
  });
  assertEquals(await logonWith(acceptor.port, [[553, "alice"]]), {
    loggedOn: false,
    logoutText: INVALID_CREDENTIALS_TEXT,
  });
  assertEquals(
    (await logonWith(acceptor.port, [[553, "alice"], [554, "correct horse"]])).loggedOn,
    true,
  );
  assert(!lines.some((l) => l.includes("horse")), "no password in the log");
});

Deno.test("Logon Password: an acceptor configured with a scrypt hash accepts the password and refuses others", async () => {
  const hash = hashLogonPassword("s3cret-for-tests", { log2N: 10 });
  assert(hash.startsWith("scrypt:10:8:1:"), hash);
  const checkLogon = logonChecker({ password: hash })!;
  await using acceptor = credentialsAcceptor({ checkLogon }, []);
  assertEquals(
    (await logonWith(acceptor.port, [[554, "s3cret-for-test"]])).logoutText,
    INVALID_CREDENTIALS_TEXT,
  );
  assertEquals((await logonWith(acceptor.port, [[554, "s3cret-for-tests"]])).loggedOn, true);
});

Deno.test("HeartBtInt bounds: the acceptor refuses a Logon whose HeartBtInt is out of range", async () => {
  const checkLogon = logonChecker({ minHeartbeatIntervalS: 10, maxHeartbeatIntervalS: 60 })!;
  await using acceptor = credentialsAcceptor({ checkLogon }, []);
  assertEquals(await logonWith(acceptor.port, [], 5), {
    loggedOn: false,
    logoutText: "HeartBtInt 5 outside the accepted range 10-60 seconds",
  });
  assertEquals((await logonWith(acceptor.port, [], 61)).loggedOn, false);
  assertEquals((await logonWith(acceptor.port, [], 30)).loggedOn, true);
});

Deno.test("Acceptor template: the first valid Logon from a matching CompID creates the session; a refused one creates nothing", async () => {
  const created: string[] = [];
  const template: AcceptorSessionConfig = {
    beginString: "FIX.4.4",
    senderCompId: "ISLD",
    targetCompId: "T*",
    checkLogon: logonChecker({ password: "pw" })!,
  };
  await using acceptor = new Acceptor({
    sessions: [],
    templates: [{ config: template, maxSessions: 1 }],
    onSessionCreated: (h) => created.push(h.key),
    application: echoApplication(),
    logger: () => {},
  }).listen();
  assertEquals(
    (await logonWith(acceptor.port, [[554, "nope"]])).logoutText,
    INVALID_CREDENTIALS_TEXT,
  );
  assertEquals(created, [], "a refused Logon creates no session");
  assertEquals((await logonWith(acceptor.port, [[554, "pw"]])).loggedOn, true);
  assertEquals(created, ["FIX.4.4:ISLD->TW"]);
  // Logged on again: the session exists, nothing is created.
  assertEquals((await logonWith(acceptor.port, [[554, "pw"]])).loggedOn, true);
  assertEquals(created.length, 1);
  // A CompID the glob does not match is unknown.
  await using c = await TestClient.connect(acceptor.port);
  await c.send("35=A|34=1|98=0|108=30|554=pw", "FIX.4.4", "XW", "ISLD");
  assert(await c.closedByPeer());
  // The limit: a second matching counterparty is refused with a Logout saying so.
  await using d = await TestClient.connect(acceptor.port);
  await d.send("35=A|34=1|98=0|108=30|554=pw", "FIX.4.4", "TX", "ISLD");
  const refusal = await d.next();
  assertEquals(refusal?.get(58), "No more sessions: the limit of 1 is reached");
});
