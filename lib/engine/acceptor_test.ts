import { assert, assertEquals } from "../testing/assert.ts";
import { Acceptor, type AcceptorSessionConfig } from "./acceptor.ts";
import type { Logger } from "./application.ts";
import { echoApplication } from "./echo_application.ts";
import { MemorySessionStore } from "./store.ts";
import { TestClient } from "./_test_client.ts";

const SESSIONS: AcceptorSessionConfig[] = [
  { beginString: "FIX.4.4", senderCompId: "ISLD", targetCompId: "TW" },
  { beginString: "FIX.4.2", senderCompId: "ISLD", targetCompId: "TW42" },
];

function recorder(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  return { lines, logger: (level, m) => lines.push(`${level} ${m}`) };
}

Deno.test("Acceptor logs on a configured session and echoes NewOrderSingle", async () => {
  await using acceptor = new Acceptor({
    sessions: SESSIONS,
    application: echoApplication(),
    logger: () => {},
  }).listen();
  await using c = await TestClient.connect(acceptor.port);
  await c.send("35=A|34=1|98=0|108=30");
  const logon = await c.next();
  assertEquals(logon?.msgType, "A");
  assertEquals(logon?.get(56), "TW");
  await c.send("35=D|34=2|11=ID1|21=3|40=1|54=1|55=INTC|60=20261124-12:00:00");
  const echo = await c.next();
  assertEquals(echo?.msgType, "D");
  assertEquals(echo?.get(11), "ID1");
  assertEquals(echo?.msgSeqNum, 2);
  await c.send("35=5|34=3");
  assertEquals((await c.next())?.msgType, "5");
  assert(await c.closedByPeer());
});

Deno.test("Acceptor stores each outbound message before any byte of it reaches the socket", async () => {
  const store = new MemorySessionStore();
  const order: string[] = [];
  let release!: () => void;
  const held = new Promise<void>((r) => release = r);
  let called!: () => void;
  const hookCalled = new Promise<void>((r) => called = r);
  await using acceptor = new Acceptor({
    sessions: SESSIONS,
    store,
    logger: () => {},
    awaitRelease: (index) => {
      order.push(
        `stored ${index === store.lastIndex}: ${
          store.outbound(1, 1) === undefined ? "missing" : "present"
        }`,
      );
      called();
      return held.then(() => {
        order.push("released");
      });
    },
  }).listen();
  await using c = await TestClient.connect(acceptor.port);
  await c.send("35=A|34=1|98=0|108=30");
  await hookCalled;
  const reading = c.next().then((m) => {
    order.push(`received ${m?.msgType}`);
  });
  await new Promise((r) => setTimeout(r, 0));
  release();
  await reading;
  assertEquals(order, ["stored true: present", "released", "received A"]);
});

Deno.test("Acceptor refuses an unknown session with a log line and leaves other sessions undisturbed", async () => {
  const { logger, lines } = recorder();
  await using acceptor = new Acceptor({ sessions: SESSIONS, logger }).listen();
  await using good = await TestClient.connect(acceptor.port);
  await good.send("35=A|34=1|98=0|108=30");
  assertEquals((await good.next())?.msgType, "A");
  await using bad = await TestClient.connect(acceptor.port);
  await bad.send("35=A|34=1|98=0|108=30", "FIX.4.4", "NOBODY");
  assert(await bad.closedByPeer());
  assert(lines.some((l) => l.includes("unknown session FIX.4.4:ISLD->NOBODY")), lines.join("\n"));
  await good.send("35=1|34=2|112=still-here");
  assertEquals((await good.next())?.get(112), "still-here");
});

Deno.test("Acceptor refuses a second connection for a logged-on session and keeps the first", async () => {
  const { logger, lines } = recorder();
  await using acceptor = new Acceptor({ sessions: SESSIONS, logger }).listen();
  await using first = await TestClient.connect(acceptor.port);
  await first.send("35=A|34=1|98=0|108=30");
  assertEquals((await first.next())?.msgType, "A");
  await using second = await TestClient.connect(acceptor.port);
  await second.send("35=A|34=1|98=0|108=30");
  assert(await second.closedByPeer());
  assert(lines.some((l) => l.includes("already connected")));
  await first.send("35=1|34=2|112=ok");
  assertEquals((await first.next())?.get(112), "ok");
});

Deno.test("Acceptor disconnects a connection that sends half a message and stalls", async () => {
  const { logger, lines } = recorder();
  await using acceptor = new Acceptor({ sessions: SESSIONS, logger, logonTimeoutMs: 100 }).listen();
  await using c = await TestClient.connect(acceptor.port);
  await c.write("8=FIX.4.4|9=70|35=A|34=1|49=TW|");
  assert(await c.closedByPeer());
  assert(lines.some((l) => l.includes("no Logon within 100 ms")));
});

Deno.test("Acceptor refuses a Logon beyond maxConnections logged-on sessions, not idle connections", async () => {
  const { logger, lines } = recorder();
  await using acceptor = new Acceptor({ sessions: SESSIONS, logger, maxConnections: 1 }).listen();
  await using _idle = await TestClient.connect(acceptor.port);
  await using first = await TestClient.connect(acceptor.port);
  await first.send("35=A|34=1|98=0|108=30");
  assertEquals((await first.next())?.msgType, "A");
  await using second = await TestClient.connect(acceptor.port);
  await second.send("35=A|34=1|98=0|108=30", "FIX.4.2", "TW42", "ISLD");
  assert(await second.closedByPeer());
  assertEquals(acceptor.refusedConnections, 1);
  assert(lines.some((l) => l.includes("(fix.maxConnections)")), lines.join("\n"));
  assertEquals(acceptor.pendingConnections, 1);
  await first.send("35=1|34=2|112=ok");
  assertEquals((await first.next())?.get(112), "ok");
});

Deno.test("Acceptor discards an oversized message without consuming its sequence number", async () => {
  const { logger, lines } = recorder();
  await using acceptor = new Acceptor({ sessions: SESSIONS, logger, maxMessageBytes: 256 })
    .listen();
  await using c = await TestClient.connect(acceptor.port);
  await c.send("35=A|34=1|98=0|108=30");
  assertEquals((await c.next())?.msgType, "A");
  await c.send(`35=1|34=2|112=${"x".repeat(400)}`);
  await c.send("35=1|34=2|112=small");
  const hb = await c.next();
  assertEquals(hb?.get(112), "small");
  assert(lines.some((l) => l.includes("Garbled message ignored")), lines.join("\n"));
});

Deno.test("Acceptor logs an oversized message once, however large it is", async () => {
  const { logger, lines } = recorder();
  await using acceptor = new Acceptor({ sessions: SESSIONS, logger, maxMessageBytes: 1024 })
    .listen();
  await using c = await TestClient.connect(acceptor.port);
  await c.send("35=A|34=1|98=0|108=30");
  assertEquals((await c.next())?.msgType, "A");
  await c.send(`35=1|34=2|112=${"x".repeat(4 * 1024 * 1024)}`);
  await c.send("35=1|34=2|112=small");
  assertEquals((await c.next())?.get(112), "small");
  const garbled = lines.filter((l) => l.includes("Garbled message ignored"));
  assertEquals(garbled.length, 1, garbled.slice(0, 3).join("\n"));
});

Deno.test("Acceptor quotes a large refused first message in part only", async () => {
  const { logger, lines } = recorder();
  await using acceptor = new Acceptor({ sessions: SESSIONS, logger }).listen();
  await using c = await TestClient.connect(acceptor.port);
  await c.send(`35=1|34=1|112=${"x".repeat(100_000)}`);
  assert(await c.closedByPeer());
  const refused = lines.filter((l) => l.includes("is not a Logon"));
  assertEquals(refused.length, 1, lines.join("\n").slice(0, 2000));
  assert(refused[0]!.length < 1_000, `${refused[0]!.length} characters`);
});

Deno.test("Acceptor ignores a message with a bad checksum and accepts the same MsgSeqNum next", async () => {
  await using acceptor = new Acceptor({ sessions: SESSIONS, logger: () => {} }).listen();
  await using c = await TestClient.connect(acceptor.port);
  await c.send("35=A|34=1|98=0|108=30");
  assertEquals((await c.next())?.msgType, "A");
  await c.write("8=FIX.4.4|9=5|35=0|10=999|");
  await c.send("35=1|34=2|112=after");
  assertEquals((await c.next())?.get(112), "after");
});

Deno.test("Acceptor disconnects a connection whose first frame is garbled", async () => {
  const { logger, lines } = recorder();
  await using acceptor = new Acceptor({ sessions: SESSIONS, logger }).listen();
  await using c = await TestClient.connect(acceptor.port);
  await c.write("8=FIX.4.4|9=40|35=A|34=1|49=TW|52=20261124-12:00:00|56=ISLD|98=0|108=30|10=000|");
  assert(await c.closedByPeer());
  assert(lines.some((l) => l.includes("garbled")));
});

Deno.test("Acceptor refuses a Logon with Logout and text when canAcceptLogon says no (standby)", async () => {
  await using acceptor = new Acceptor({
    sessions: SESSIONS,
    logger: () => {},
    canAcceptLogon: () => "Standby node: not accepting Logons",
  }).listen();
  await using c = await TestClient.connect(acceptor.port);
  await c.send("35=A|34=1|98=0|108=30");
  const logout = await c.next();
  assertEquals(logout?.msgType, "5");
  assertEquals(logout?.get(58), "Standby node: not accepting Logons");
  assert(await c.closedByPeer());
});

Deno.test("Acceptor routes by BeginString as well as CompIDs", async () => {
  await using acceptor = new Acceptor({ sessions: SESSIONS, logger: () => {} }).listen();
  await using c = await TestClient.connect(acceptor.port);
  await c.send("35=A|34=1|98=0|108=30", "FIX.4.2", "TW42");
  const logon = await c.next();
  assertEquals(logon?.beginString, "FIX.4.2");
  await using wrong = await TestClient.connect(acceptor.port);
  await wrong.send("35=A|34=1|98=0|108=30", "FIX.4.2", "TW");
  assert(await wrong.closedByPeer());
});

Deno.test("Acceptor answers a ResendRequest from the store after a reconnect", async () => {
  const store = new MemorySessionStore();
  await using acceptor = new Acceptor({
    sessions: SESSIONS,
    store,
    application: echoApplication(),
    logger: () => {},
  }).listen();
  {
    await using c = await TestClient.connect(acceptor.port);
    await c.send("35=A|34=1|98=0|108=30");
    await c.next();
    await c.send("35=D|34=2|11=A|21=3|40=1|54=1|55=X|60=20261124-12:00:00");
    await c.next();
    await c.send("35=5|34=3");
    await c.next();
    assert(await c.closedByPeer());
  }
  await using c = await TestClient.connect(acceptor.port);
  await c.send("35=A|34=4|98=0|108=30");
  const logon = await c.next();
  assertEquals(logon?.msgSeqNum, 4);
  await c.send("35=2|34=5|7=1|16=0");
  const gap = await c.next();
  assertEquals([gap?.msgType, gap?.get(36)], ["4", "2"]);
  const resent = await c.next();
  assertEquals([resent?.msgType, resent?.get(43), resent?.get(11)], ["D", "Y", "A"]);
  const gap2 = await c.next();
  assertEquals([gap2?.msgType, gap2?.msgSeqNum, gap2?.get(36)], ["4", 3, "5"]);
});

Deno.test("Acceptor.close() logs out logged-on sessions before closing", async () => {
  const acceptor = new Acceptor({ sessions: SESSIONS, logger: () => {}, closeTimeoutMs: 5_000 })
    .listen();
  await using c = await TestClient.connect(acceptor.port);
  await c.send("35=A|34=1|98=0|108=30");
  assertEquals((await c.next())?.msgType, "A");
  const closing = acceptor.close();
  const logout = await c.next();
  assertEquals([logout?.msgType, logout?.get(58)], ["5", "Acceptor closing"]);
  await c.send("35=5|34=2");
  assert(await c.closedByPeer());
  await closing;
});

Deno.test("Acceptor.send() delivers an application message to the logged-on session by key", async () => {
  await using acceptor = new Acceptor({ sessions: SESSIONS, logger: () => {} }).listen();
  await using c = await TestClient.connect(acceptor.port);
  await c.send("35=A|34=1|98=0|108=30");
  assertEquals((await c.next())?.msgType, "A");
  const seq = acceptor.send("FIX.4.4:ISLD->TW", "B", [[148, "Hello"], [33, "1"], [58, "line"]]);
  const news = await c.next();
  assertEquals([seq, news?.msgType, news?.msgSeqNum, news?.get(148)], [2, "B", 2, "Hello"]);
  let threw = false;
  try {
    acceptor.send("FIX.4.4:ISLD->NOBODY", "B", []);
  } catch (e) {
    threw = e instanceof RangeError;
  }
  assert(threw);
});

Deno.test("Acceptor survives random bytes on other connections without disturbing a logged-on session", async () => {
  await using acceptor = new Acceptor({ sessions: SESSIONS, logger: () => {}, logonTimeoutMs: 200 })
    .listen();
  await using good = await TestClient.connect(acceptor.port);
  await good.send("35=A|34=1|98=0|108=30");
  assertEquals((await good.next())?.msgType, "A");
  let seed = 7;
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const pieces = [
    "8=FIX.4.4\x01",
    "9=12\x01",
    "35=A\x01",
    "10=000\x01",
    "=",
    "\x01",
    "8=FIX",
    "49=TW\x01",
  ];
  for (let round = 0; round < 5; round++) {
    await using noisy = await TestClient.connect(acceptor.port);
    let junk = "";
    for (let i = 0; i < 200; i++) {
      junk += rand(2) === 0 ? pieces[rand(pieces.length)]! : String.fromCharCode(rand(256));
    }
    await noisy.write(new Uint8Array([...junk].map((c) => c.charCodeAt(0))));
    assert(await noisy.closedByPeer());
  }
  await good.send("35=1|34=2|112=unharmed");
  assertEquals((await good.next())?.get(112), "unharmed");
});
