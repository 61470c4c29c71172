/**
 * The gateway's application API end to end, through the CLI: a Tandem
 * gateway process (`role: initiator`, application `api`) connected to a
 * Tandem acceptor process running the `executor` application. Orders go in
 * over HTTP; ExecutionReports come out of the `/stream` WebSocket, which a
 * client resumes by journal index — across its own reconnect and across a
 * SIGKILL and restart of the gateway — with nothing lost and nothing twice.
 */

import { assert, assertEquals, assertStringIncludes } from "../lib/testing/assert.ts";
import {
  adminPortOf,
  api,
  freePorts,
  journalLastIndex,
  orderJson,
  sessionState,
  StreamClient,
  type Streamed,
  TandemProcess,
  writeGatewayYaml,
  writeVenueYaml,
} from "./_gateway_process.ts";

const KEY = "FIX.4.4:GW->EXEC";
const PATH = `/sessions/${encodeURIComponent(KEY)}/messages`;

function field(fix: string, tag: number): string | undefined {
  return fix.split("|").find((f) => f.startsWith(`${tag}=`))?.slice(String(tag).length + 1);
}

interface Setup extends AsyncDisposable {
  readonly dir: string;
  readonly apiPort: number;
  readonly gatewayYaml: string;
  venue: TandemProcess;
  gateway: TandemProcess;
}

async function setup(extraSessions = false): Promise<Setup> {
  const dir = await Deno.makeTempDir({ prefix: "tandem-gw-api-" });
  const [fixPort, apiPort, deadPort] = freePorts(3);
  const venueYaml = await writeVenueYaml(dir, fixPort!);
  const gatewayYaml = await writeGatewayYaml(dir, apiPort!, [
    {
      sender: "GW",
      target: "EXEC",
      application: "api",
      connect: { addresses: [`127.0.0.1:${fixPort}`] },
    },
    ...(extraSessions
      ? [{
        sender: "GW",
        target: "NOBODY",
        application: "api" as const,
        connect: { addresses: [`127.0.0.1:${deadPort}`], extra: "backoffMs: [10000]" },
      }]
      : []),
  ]);
  const venue = new TandemProcess("venue", venueYaml);
  await venue.waitFor("accepting FIX connections");
  const gateway = new TandemProcess("gateway", gatewayYaml);
  await gateway.waitFor(['"logged on"', KEY]);
  const setup: Setup = {
    dir,
    apiPort: apiPort!,
    gatewayYaml,
    venue,
    gateway,
    async [Symbol.asyncDispose]() {
      await setup.gateway.crash();
      await setup.venue.crash();
      await Deno.remove(dir, { recursive: true });
    },
  };
  return setup;
}

function checkReports(received: readonly Streamed[], clOrdIds: readonly string[]): void {
  const indices = received.map((m) => m.index);
  assertEquals(indices, [...indices].sort((a, b) => a - b), "journal order");
  assertEquals(new Set(indices).size, indices.length, "no index twice");
  const execIds = received.map((m) => field(m.fix, 17));
  assertEquals(new Set(execIds).size, execIds.length, "no ExecutionReport twice");
  const got = received.map((m) => `${field(m.fix, 11)} ${field(m.fix, 39)}`).sort();
  const want = clOrdIds.flatMap((id) => [`${id} 0`, `${id} 2`]).sort();
  assertEquals(got, want, "a New and a Filled for every order, nothing else");
  for (const m of received) assertEquals([m.session, m.msgType], [KEY, "8"]);
  for (const m of received) assert(Number.isInteger(m.epoch), "every message names its epoch");
}

Deno.test("API stream resumes by index across a client reconnect and a gateway SIGKILL and restart, with no loss and no duplicate", async () => {
  await using s = await setup();
  const sent: string[] = [];
  const post = async (id: string) => {
    const r = await api(s.apiPort, "POST", PATH, orderJson(id));
    assertEquals(r.status, 200, JSON.stringify(r.json));
    sent.push(id);
  };
  const all: Streamed[] = [];

  // 1. A client reads the first three orders' reports, then goes away.
  {
    await using ws = new StreamClient(s.apiPort, 1);
    await ws.opened();
    for (const id of ["A1", "A2", "A3"]) await post(id);
    await ws.waitFor(6);
    all.push(...ws.received);
  }
  // 2. Orders while no client listens; the client comes back from last index + 1.
  for (const id of ["B1", "B2", "B3"]) await post(id);
  {
    await using ws = new StreamClient(s.apiPort, all.at(-1)!.index + 1);
    await ws.waitFor(6);
    all.push(...ws.received);
  }
  const before = await sessionState(s.apiPort, KEY);

  // 3. A client is connected when the gateway is killed right after sending orders.
  const ws3 = new StreamClient(s.apiPort, all.at(-1)!.index + 1);
  await ws3.opened();
  for (const id of ["C1", "C2", "C3"]) await post(id);
  await s.gateway.crash();
  await ws3.closed();
  all.push(...ws3.received);

  // 4. The restarted gateway resumes the session without a reset; the client resumes too.
  s.gateway = new TandemProcess("gateway", s.gatewayYaml);
  await s.gateway.waitFor(['"logged on"', KEY]);
  const after = await sessionState(s.apiPort, KEY);
  assert(
    after.nextSenderSeqNum > before.nextSenderSeqNum + 3,
    `sequence numbers continue: before ${JSON.stringify(before)}, after ${JSON.stringify(after)}`,
  );
  for (const id of ["D1"]) await post(id);
  {
    await using ws = new StreamClient(s.apiPort, (all.at(-1)?.index ?? 0) + 1);
    const expected = sent.length * 2 - all.length;
    await ws.waitFor(expected);
    all.push(...ws.received);
  }
  checkReports(all, sent);

  // A fresh client from index 1 sees exactly the same messages.
  {
    await using ws = new StreamClient(s.apiPort, 1);
    await ws.waitFor(all.length);
    assertEquals(ws.received.map((m) => m.index), all.map((m) => m.index));
  }
});

Deno.test("API refuses bad input with a 4xx naming what and where, and sends nothing", async () => {
  await using s = await setup(true);
  const state = () => sessionState(s.apiPort, KEY);
  const before = await state();
  const adminPort = await adminPortOf(s.gateway);
  const lastIndex = await journalLastIndex(adminPort);
  const cases: [string, string, string, number, string][] = [
    ["invalid JSON", PATH, "{not json", 400, "Cannot parse request body as JSON"],
    [
      "unknown session",
      "/sessions/FIX.4.4:GW-%3ENOPE/messages",
      orderJson("X1"),
      404,
      "Unknown session FIX.4.4:GW->NOPE",
    ],
    [
      "a message the dictionary rejects (Side missing)",
      PATH,
      JSON.stringify({
        msgType: "D",
        fields: {
          ClOrdID: "X2",
          HandlInst: "1",
          Symbol: "IBM",
          TransactTime: "20261124-12:00:00",
          OrdType: "1",
        },
      }),
      400,
      "54",
    ],
    [
      "a session that is not logged on",
      `/sessions/${encodeURIComponent("FIX.4.4:GW->NOBODY")}/messages`,
      orderJson("X3"),
      409,
      "not logged on",
    ],
  ];
  for (const [what, path, body, status, text] of cases) {
    const r = await api(s.apiPort, "POST", path, body);
    assertEquals(r.status, status, `${what}: ${JSON.stringify(r.json)}`);
    assertStringIncludes(String(r.json["error"]), text, what);
  }
  assertEquals(await state(), before, "sequence numbers did not move");
  assertEquals(await journalLastIndex(adminPort), lastIndex, "nothing was journaled");
  const nobody = await sessionState(s.apiPort, "FIX.4.4:GW->NOBODY");
  assertEquals([nobody.loggedOn, nobody.nextSenderSeqNum], [false, 1]);
  // The venue received nothing but the Logon: its next expected MsgSeqNum from GW is 2.
  const ok = await api(s.apiPort, "POST", PATH, orderJson("OK1"));
  assertEquals(
    ok.json["msgSeqNum"],
    before.nextSenderSeqNum,
    "the first good order takes the next number",
  );
});
