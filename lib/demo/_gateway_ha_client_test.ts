import { assert, assertEquals, assertRejects } from "../testing/assert.ts";
import { fixField, GatewayHaClient, readStream } from "./_gateway_ha_client.ts";

const SESSION = "FIX.4.4:GW->VENUE";

/** A fake gateway member: `send` answers POSTs, `stream` serves `/stream?from=N`. */
class FakeMember implements AsyncDisposable {
  readonly server: Deno.HttpServer<Deno.NetAddr>;
  readonly posts: { clientId: string; body: Record<string, unknown> }[] = [];
  readonly streamFroms: number[] = [];
  constructor(
    send: (clientId: string, n: number) => Promise<Response> | Response,
    stream: (from: number, ws: WebSocket) => void = () => {},
    leader: () => { leading: boolean; leader: { api: string | null } | null } = () => ({
      leading: true,
      leader: null,
    }),
  ) {
    this.server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen: () => {} },
      async (req) => {
        const url = new URL(req.url);
        if (url.pathname === "/leader") return Response.json(leader());
        if (url.pathname === "/stream") {
          const from = Number(url.searchParams.get("from"));
          this.streamFroms.push(from);
          const { socket, response } = Deno.upgradeWebSocket(req);
          socket.onopen = () => stream(from, socket);
          return response;
        }
        const body = await req.json() as Record<string, unknown>;
        const clientId = String(body.clientId);
        this.posts.push({ clientId, body });
        return await send(clientId, this.posts.length);
      },
    );
  }
  get url(): string {
    return `http://127.0.0.1:${this.server.addr.port}`;
  }
  async [Symbol.asyncDispose](): Promise<void> {
    await this.server.shutdown();
  }
}

const ok = (index: number, duplicate = false) =>
  Response.json({ index, msgSeqNum: index + 1, ...(duplicate ? { duplicate: true } : {}) });

function deadUrl(): string {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = l.addr.port;
  l.close();
  return `http://127.0.0.1:${port}`;
}

function frame(index: number, fix: string, msgType = "8"): string {
  return JSON.stringify({ index, epoch: 1, session: SESSION, msgType, msgSeqNum: index, fix });
}

function exec(clOrdId: string, execId: string, status: "0" | "2"): string {
  return `8=FIX.4.4|35=8|37=O1|11=${clOrdId}|17=${execId}|150=${status}|39=${status}|55=TNDM`;
}

Deno.test("fixField() reads a tag at the start, in the middle and at the end", () => {
  assertEquals(fixField("8=FIX.4.4|35=8|11=A|39=2", 8), "FIX.4.4");
  assertEquals(fixField("8=FIX.4.4|35=8|11=A|39=2", 11), "A");
  assertEquals(fixField("8=FIX.4.4|35=8|11=A|39=2", 39), "2");
  assertEquals(fixField("8=FIX.4.4|35=8|111=A", 11), undefined);
});

Deno.test("GatewayHaClient.send() follows a follower's 503 to the leader it names", async () => {
  await using leader = new FakeMember(() => ok(7));
  await using follower = new FakeMember(() =>
    Response.json({ error: "not the leader", leader: { nodeId: "g1", api: leader.url.slice(7) } }, {
      status: 503,
    })
  );
  await using client = new GatewayHaClient({
    apiUrls: [follower.url, leader.url],
    session: SESSION,
  });
  const out = await client.send("C1", "D", { ClOrdID: "C1" });
  assertEquals([out.index, out.apiUrl, out.attempts, out.duplicate], [7, leader.url, 2, false]);
  assertEquals(client.redirects, 1);
  assertEquals(leader.posts[0]!.body, { msgType: "D", fields: { ClOrdID: "C1" }, clientId: "C1" });
  // The next send goes to the leader directly.
  await client.send("C2", "D", { ClOrdID: "C2" });
  assertEquals(follower.posts.length, 1);
});

Deno.test("GatewayHaClient.send() moves past a dead member and asks again after a 409", async () => {
  await using leader = new FakeMember((_, n) =>
    n < 3 ? Response.json({ error: "not logged on" }, { status: 409 }) : ok(3)
  );
  await using client = new GatewayHaClient({ apiUrls: [deadUrl(), leader.url], session: SESSION });
  const out = await client.send("C1", "D", {});
  assertEquals([out.index, out.attempts], [3, 4]);
  assertEquals(client.retries, 3);
  assertEquals(leader.posts.map((p) => p.clientId), ["C1", "C1", "C1"]);
});

Deno.test("GatewayHaClient.send() retries a timed-out send with the same client id and takes the duplicate answer", async () => {
  const journalled = new Map<string, number>();
  await using leader = new FakeMember(async (clientId, n) => {
    const seen = journalled.get(clientId);
    if (seen !== undefined) return ok(seen, true);
    journalled.set(clientId, 10 + n);
    if (n === 1) await new Promise((r) => setTimeout(r, 400)); // answers after the client gave up
    return ok(10 + n);
  });
  await using client = new GatewayHaClient({
    apiUrls: [leader.url],
    session: SESSION,
    requestTimeoutMs: 100,
  });
  const out = await client.send("C1", "D", {});
  assertEquals([out.index, out.duplicate], [11, true]);
  assertEquals(journalled.size, 1);
  assertEquals(client.duplicateAnswers, 1);
});

Deno.test("GatewayHaClient.send() throws a 400 at once and gives up after its deadline", async () => {
  await using bad = new FakeMember(() =>
    Response.json({ error: "Required tag missing" }, { status: 400 })
  );
  await using client = new GatewayHaClient({ apiUrls: [bad.url], session: SESSION });
  await assertRejects(() => client.send("C1", "D", {}), Error, "Cannot send C1: ");
  assertEquals(bad.posts.length, 1);
  await using nobody = new GatewayHaClient({
    apiUrls: [deadUrl()],
    session: SESSION,
    sendDeadlineMs: 200,
  });
  await assertRejects(
    () => nobody.send("C2", "D", {}),
    Error,
    "no member accepted it within 200 ms",
  );
});

Deno.test("GatewayHaClient stream resumes on the next member from the last index + 1", async () => {
  await using first = new FakeMember(() => ok(1), (_from, ws) => {
    ws.send(frame(2, exec("A", "E1", "0")));
    ws.send(frame(3, "8=FIX.4.4|35=j|58=other", "j"));
    ws.send(frame(5, exec("A", "E2", "2")));
    setTimeout(() => ws.close(), 50); // the member dies
  });
  await using second = new FakeMember(() => ok(1), (_from, ws) => {
    ws.send(frame(8, exec("B", "E3", "0")));
    ws.send(frame(9, exec("B", "E4", "2")));
  });
  await using client = new GatewayHaClient({ apiUrls: [first.url, second.url], session: SESSION });
  client.expect("A");
  client.expect("B");
  client.startStream();
  await client.waitFor(() => client.filledOrders === 2, "both orders filled", 10_000);
  assertEquals(second.streamFroms, [6]);
  assertEquals([...client.executions.keys()], [2, 5, 8, 9]);
  assertEquals(client.streamResumes, 1);
  assertEquals(client.problems, []);
  assertEquals(client.incompleteOrders(), []);
  const journal = new Map([
    [2, exec("A", "E1", "0")],
    [3, "8=FIX.4.4|35=j|58=other"],
    [5, exec("A", "E2", "2")],
    [7, "8=FIX.4.4|35=j|58=never streamed"],
    [8, exec("B", "E3", "0")],
    [9, exec("B", "E4", "2")],
  ]);
  assertEquals(client.compareStreamed(journal), ["index 7 never reached the client"]);
  journal.delete(7);
  assertEquals(client.compareStreamed(journal), []);
  journal.set(9, exec("B", "E5", "2"));
  journal.delete(8);
  assertEquals(client.compareStreamed(journal), [
    `index 9 differs: ${exec("B", "E4", "2")} vs ${exec("B", "E5", "2")}`,
    "index 8 streamed but not in the journal",
  ]);
});

Deno.test("GatewayHaClient books a repeated index, a repeated ExecID and a second Filled as problems", async () => {
  await using first = new FakeMember(() => ok(1), (_from, ws) => {
    ws.send(frame(2, exec("A", "E1", "0")));
    ws.send(frame(3, exec("A", "E2", "2")));
    setTimeout(() => ws.close(), 50);
  });
  await using second = new FakeMember(() => ok(1), (_from, ws) => {
    ws.send(frame(3, exec("A", "E2", "2"))); // a member that repeats what the client had
    ws.send(frame(4, exec("A", "E2", "2"))); // the same ExecID under a new index
    ws.send(frame(6, exec("A", "E9", "2"))); // a second fill
  });
  await using client = new GatewayHaClient({ apiUrls: [first.url, second.url], session: SESSION });
  client.expect("A");
  client.startStream();
  await client.waitFor(() => client.lastIndex === 6, "index 6", 10_000);
  assertEquals(client.problems, [
    `index 3 from ${second.url} after index 3 (repeated)`,
    "ExecID E2 at index 4 and at index 3",
    "second Filled for A at index 4",
    "second Filled for A at index 6",
  ]);
  assertEquals(client.filledOrders, 1);
});

Deno.test("readStream() collects a member's stream up to an index", async () => {
  await using m = new FakeMember(() => ok(1), (from, ws) => {
    for (let i = from; i <= 4; i++) ws.send(frame(i, `35=8|17=E${i}`));
  });
  const got = await readStream(m.url, 4, 5_000, 2);
  assertEquals([...got.keys()], [2, 3, 4]);
  assert(got.get(4)!.includes("E4"));
});

Deno.test("GatewayHaClient streams from the member that leads, or the leader a follower names", async () => {
  await using leader = new FakeMember(() => ok(1), (_from, ws) => {
    ws.send(frame(2, exec("A", "E1", "0")));
  });
  const follower = (_from: number, ws: WebSocket) => ws.send(frame(2, exec("A", "X", "0")));
  await using f1 = new FakeMember(() => ok(1), follower, () => ({ leading: false, leader: null }));
  await using f2 = new FakeMember(
    () => ok(1),
    follower,
    () => ({ leading: false, leader: { api: leader.url } }),
  );
  // The leader is not in the list: only f2's answer names it.
  await using client = new GatewayHaClient({ apiUrls: [f1.url, f2.url], session: SESSION });
  client.expect("A");
  client.startStream();
  await client.waitFor(() => client.lastIndex === 2, "index 2", 10_000);
  assertEquals(client.executions.get(2)?.execId, "E1");
  assertEquals([f1.streamFroms, f2.streamFroms, leader.streamFroms], [[], [], [1]]);
});
