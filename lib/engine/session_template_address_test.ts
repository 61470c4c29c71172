/**
 * A template's `allowedRemoteAddresses` over real loopback sockets: the Logon that would create a
 * session is held to it (refused, nothing created, nothing counted against the template's limit),
 * and the session it creates keeps it.
 */
import { assert, assertEquals, assertStringIncludes } from "../testing/assert.ts";
import { Acceptor, type AcceptorSessionConfig } from "./acceptor.ts";
import { echoApplication } from "./echo_application.ts";
import { TestClient } from "./_test_client.ts";

const LOGON = "35=A|34=1|98=0|108=30|141=Y";

function templateAcceptor(allowedRemoteAddresses: string[], maxSessions: number) {
  const created: string[] = [];
  const refused: string[] = [];
  const lines: string[] = [];
  const template: AcceptorSessionConfig = {
    beginString: "FIX.4.4",
    senderCompId: "ISLD",
    targetCompId: "T*",
    allowedRemoteAddresses,
  };
  const acceptor = new Acceptor({
    sessions: [],
    templates: [{ config: template, maxSessions }],
    onSessionCreated: (h) => created.push(h.key),
    onRefused: (reason, address) => refused.push(`${reason} ${address}`),
    application: echoApplication(),
    logger: (level, m) => lines.push(`${level} ${m}`),
  }).listen();
  return { acceptor, created, refused, lines };
}

Deno.test("Acceptor template allowedRemoteAddresses: a Logon from outside the template's blocks is refused like a fixed session's and creates nothing", async () => {
  const { acceptor, created, refused, lines } = templateAcceptor(["10.0.0.0/8"], 1);
  await using _ = acceptor;
  for (const sender of ["TW", "TX"]) {
    await using c = await TestClient.connect(acceptor.port);
    await c.send(LOGON, "FIX.4.4", sender, "ISLD");
    assert(await c.closedByPeer(), `${sender}: closed without a Logon answer`);
  }
  assertEquals(created, [], "no session is created");
  assertEquals([...acceptor.sessions.keys()], [], "nothing is stored for a refused creation");
  assertEquals(refused, [
    "session-address-not-allowed 127.0.0.1",
    "session-address-not-allowed 127.0.0.1",
  ]);
  assertStringIncludes(
    lines.join("\n"),
    "FIX.4.4:ISLD->TW may not connect from 127.0.0.1 (sessions[].allowedRemoteAddresses",
  );
});

Deno.test("Acceptor template allowedRemoteAddresses: a Logon from inside the blocks creates the session once, which logs on again later", async () => {
  const { acceptor, created, refused } = templateAcceptor(["127.0.0.0/8"], 1);
  await using _ = acceptor;
  for (let round = 0; round < 2; round++) {
    const host = acceptor.sessions.get("FIX.4.4:ISLD->TW");
    while (host?.isConnected) await new Promise((r) => setTimeout(r, 10));
    await using c = await TestClient.connect(acceptor.port);
    await c.send(LOGON, "FIX.4.4", "TW", "ISLD");
    assertEquals((await c.next())?.msgType, "A", `round ${round}: logged on`);
  }
  assertEquals(created, ["FIX.4.4:ISLD->TW"], "created once, then reconnected");
  assertEquals(refused, []);
});

Deno.test("Acceptor template: a Logon that would create a session beyond maxConnections logged-on sessions is refused and creates nothing", async () => {
  const created: string[] = [];
  const refused: string[] = [];
  await using acceptor = new Acceptor({
    sessions: [],
    templates: [{ config: { beginString: "FIX.4.4", senderCompId: "ISLD", targetCompId: "T*" } }],
    maxConnections: 1,
    onSessionCreated: (h) => created.push(h.key),
    onRefused: (reason) => refused.push(reason),
    application: echoApplication(),
    logger: () => {},
  }).listen();
  await using first = await TestClient.connect(acceptor.port);
  await first.send(LOGON, "FIX.4.4", "TW", "ISLD");
  assertEquals((await first.next())?.msgType, "A");
  await using second = await TestClient.connect(acceptor.port);
  await second.send(LOGON, "FIX.4.4", "TX", "ISLD");
  assert(await second.closedByPeer(), "the second Logon is refused");
  assertEquals(created, ["FIX.4.4:ISLD->TW"], "no session is created beyond the limit");
  assertEquals(refused, ["max-connections"]);
});
