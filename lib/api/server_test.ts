import { assertEquals, assertStringIncludes } from "../testing/assert.ts";
import {
  ApiError,
  type ApiNode,
  notLeaderError,
  serveApi,
  type StreamedMessage,
} from "./server.ts";
import { rawRequest } from "../admin/_raw_http.ts";

class FakeNode implements ApiNode {
  readonly log: StreamedMessage[] = [];
  readonly sent: unknown[] = [];
  #wake = Promise.withResolvers<void>();
  add(n: number) {
    for (let i = 0; i < n; i++) {
      const index = this.log.length + 1;
      this.log.push({
        index,
        epoch: 0,
        session: "S",
        msgType: "8",
        msgSeqNum: index,
        fix: `8=FIX.4.4|${index}`,
      });
    }
    this.#wake.resolve();
    this.#wake = Promise.withResolvers<void>();
  }
  leading = true;
  sessions() {
    return [{ key: "S", loggedOn: true }];
  }
  leader() {
    return {
      nodeId: this.leading ? "a" : "b",
      leading: this.leading,
      leader: { nodeId: "a", api: "http://127.0.0.1:1" },
    };
  }
  send(session: string, request: unknown) {
    if (session !== "S") throw new ApiError(404, `Cannot send: unknown session ${session}`);
    this.sent.push(request);
    return Promise.resolve({ index: 99, msgSeqNum: 7 });
  }
  async *stream(from: number, signal: AbortSignal) {
    let next = from;
    while (!signal.aborted) {
      while (next <= this.log.length) yield this.log[next++ - 1]!;
      const aborted = new Promise<void>((r) =>
        signal.addEventListener("abort", () => r(), { once: true })
      );
      await Promise.race([this.#wake.promise, aborted]);
    }
  }
}

async function withApi(node: FakeNode, fn: (base: string) => Promise<void>) {
  const ac = new AbortController();
  const ready = Promise.withResolvers<number>();
  const server = serveApi(node, {
    hostname: "127.0.0.1",
    port: 0,
    signal: ac.signal,
    onListen: (a) => ready.resolve(a.port),
  });
  const port = await ready.promise;
  try {
    await fn(`127.0.0.1:${port}`);
  } finally {
    ac.abort();
    await server.finished;
  }
}

function collect(url: string, count: number): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    const got: number[] = [];
    ws.onmessage = (e) => {
      if (got.length === count) return; // in flight before our close: a client would ignore them
      got.push(JSON.parse(e.data).index);
      if (got.length === count) ws.close();
    };
    ws.onclose = () => resolve(got);
    ws.onerror = (e) => reject(e);
  });
}

Deno.test("serveApi() streams over WebSocket and resumes by index with nothing lost or repeated", async () => {
  const node = new FakeNode();
  node.add(5);
  await withApi(node, async (base) => {
    const first = await collect(`ws://${base}/stream?from=1`, 3);
    assertEquals(first, [1, 2, 3]);
    const later = collect(`ws://${base}/stream?from=${first.at(-1)! + 1}`, 5);
    setTimeout(() => node.add(3), 20); // live messages arrive while the client is connected
    assertEquals(await later, [4, 5, 6, 7, 8]);
  });
});

const JSON_TYPE = { "content-type": "application/json" };

Deno.test("serveApi() sends JSON and raw messages and answers bad input with 4xx", async () => {
  const node = new FakeNode();
  await withApi(node, async (base) => {
    const ok = await fetch(`http://${base}/sessions/S/messages`, {
      method: "POST",
      headers: JSON_TYPE,
      body: JSON.stringify({ msgType: "D", fields: { ClOrdID: "A" } }),
    });
    assertEquals(await ok.json(), { index: 99, msgSeqNum: 7 });
    const raw = await fetch(`http://${base}/sessions/S/messages`, {
      method: "POST",
      headers: { "content-type": "application/fix" },
      body: "8=FIX.4.4|35=D|11=B|",
    });
    assertEquals(raw.status, 200);
    await raw.body?.cancel();
    const badJson = await fetch(`http://${base}/sessions/S/messages`, {
      method: "POST",
      headers: JSON_TYPE,
      body: "{x",
    });
    assertEquals(badJson.status, 400);
    assertStringIncludes((await badJson.json()).error, "Cannot parse request body as JSON");
    const noType = await fetch(`http://${base}/sessions/S/messages`, {
      method: "POST",
      headers: JSON_TYPE,
      body: '{"fields":{}}',
    });
    assertEquals(noType.status, 400);
    await noType.body?.cancel();
    const unknown = await fetch(`http://${base}/sessions/X/messages`, {
      method: "POST",
      headers: JSON_TYPE,
      body: '{"msgType":"D","fields":{}}',
    });
    assertEquals(unknown.status, 404);
    assertStringIncludes((await unknown.json()).error, "unknown session X");
    const sessions = await fetch(`http://${base}/sessions`);
    assertEquals(await sessions.json(), [{ key: "S", loggedOn: true }]);
    assertEquals(node.sent, [
      { kind: "json", msgType: "D", fields: { ClOrdID: "A" } },
      { kind: "raw", fix: "8=FIX.4.4|35=D|11=B|" },
    ]);
  });
});

Deno.test("serveApi() refuses a stream without upgrade or with a bad from", async () => {
  await withApi(new FakeNode(), async (base) => {
    const plain = await fetch(`http://${base}/stream`);
    assertEquals(plain.status, 426);
    await plain.body?.cancel();
    const bad = await fetch(`http://${base}/stream?from=0`, { headers: { upgrade: "websocket" } });
    assertEquals(bad.status, 400);
    await bad.body?.cancel();
  });
});

Deno.test("serveApi() answers a stream the node refuses with 503 naming the leader, before any upgrade", async () => {
  const node = new (class extends FakeNode {
    checkStream() {
      throw notLeaderError(this.leader(), "Cannot stream: node b follows in an etcd cluster");
    }
  })();
  node.leading = false;
  node.add(2);
  await withApi(node, async (base) => {
    const r = await fetch(`http://${base}/stream?from=1`, { headers: { upgrade: "websocket" } });
    assertEquals(r.status, 503);
    assertEquals(r.headers.get("retry-after"), "1");
    const body = await r.json();
    assertStringIncludes(body.error, "follows in an etcd cluster");
    assertEquals(body.leader, { nodeId: "a", api: "http://127.0.0.1:1" });
  });
});

Deno.test("serveApi() refuses text/plain and cross-origin POSTs, foreign hosts and URL tokens", async () => {
  const node = new FakeNode();
  await withApi(node, async (base) => {
    const port = Number(base.split(":")[1]);
    const post = (headers: Record<string, string>) =>
      fetch(`http://${base}/sessions/S/messages`, {
        method: "POST",
        headers,
        body: JSON.stringify({ msgType: "D", fields: { ClOrdID: "A" } }),
      });
    const plain = await post({ "content-type": "text/plain" });
    assertEquals(plain.status, 415);
    assertStringIncludes((await plain.json()).error, "application/json");
    const cross = await post({ ...JSON_TYPE, origin: "http://evil.example" });
    assertEquals(cross.status, 403);
    await cross.body?.cancel();
    const query = await fetch(`http://${base}/sessions?token=x`);
    assertEquals(query.status, 400);
    await query.body?.cancel();
    const rebound = await rawRequest(port, "GET /sessions HTTP/1.1\r\nhost: evil.example");
    assertEquals(rebound.status, 421);
    const ws = await rawRequest(
      port,
      "GET /stream?from=1 HTTP/1.1\r\nhost: 127.0.0.1:" + port +
        "\r\nupgrade: websocket\r\nconnection: upgrade\r\nsec-websocket-version: 13" +
        "\r\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\norigin: http://evil.example",
    );
    assertEquals(ws.status, 403, ws.text);
    assertEquals(node.sent, []);
  });
});

Deno.test("serveApi() closes a stream whose client sends a message beyond the limit", async () => {
  await withApi(new FakeNode(), async (base) => {
    const ws = new WebSocket(`ws://${base}/stream?from=1`);
    const closed = new Promise<number>((r) => ws.onclose = (e) => r(e.code));
    await new Promise((r) => ws.onopen = r);
    ws.send("small"); // ignored
    ws.send("x".repeat(100_000));
    let timer: ReturnType<typeof setTimeout> | undefined;
    const code = await Promise.race([
      closed,
      new Promise<string>((r) => timer = setTimeout(() => r("still open after 10 s"), 10_000)),
    ]);
    clearTimeout(timer);
    if (code !== 1009) ws.close();
    assertEquals(code, 1009);
  });
});

Deno.test("serveApi() answers a send on a member that does not lead with 503, the leader and Retry-After", async () => {
  const node = new FakeNode();
  node.leading = false;
  await withApi(node, async (base) => {
    const res = await fetch(`http://${base}/sessions/S/messages`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ msgType: "D", fields: {}, clientId: "c-1" }),
    });
    assertEquals(res.status, 503);
    assertEquals(res.headers.get("retry-after"), "1");
    const body = await res.json();
    assertStringIncludes(body.error, "does not lead");
    assertEquals(body.leader, { nodeId: "a", api: "http://127.0.0.1:1" });
    assertEquals(node.sent, [], "nothing sent");
    const leader = await (await fetch(`http://${base}/leader`)).json();
    assertEquals(leader.leading, false);
    assertEquals(leader.nodeId, "b");
  });
});

Deno.test("serveApi() passes the client id from the JSON body or the Idempotency-Key header", async () => {
  const node = new FakeNode();
  await withApi(node, async (base) => {
    const post = (body: string, headers: Record<string, string>) =>
      fetch(`http://${base}/sessions/S/messages`, { method: "POST", headers, body });
    let res = await post(JSON.stringify({ msgType: "D", fields: {}, clientId: "order-1" }), {
      "content-type": "application/json",
    });
    assertEquals(res.status, 200);
    await res.body?.cancel();
    res = await post("8=FIX.4.4|35=D|", {
      "content-type": "application/fix",
      "idempotency-key": "order-2",
    });
    assertEquals(res.status, 200);
    await res.body?.cancel();
    assertEquals(node.sent.map((r) => (r as { clientId?: string }).clientId), [
      "order-1",
      "order-2",
    ]);
    for (
      const [body, headers, what] of [
        [JSON.stringify({ msgType: "D", fields: {}, clientId: "has space" }), {}, "printable"],
        [JSON.stringify({ msgType: "D", fields: {}, clientId: "x".repeat(129) }), {}, "1 to 128"],
        [JSON.stringify({ msgType: "D", fields: {}, clientId: 7 }), {}, "must be a string"],
        [JSON.stringify({ msgType: "D", fields: {}, clientId: "a" }), {
          "idempotency-key": "b",
        }, "differ"],
      ] as const
    ) {
      res = await post(body, { "content-type": "application/json", ...headers });
      assertEquals(res.status, 400, what);
      assertStringIncludes((await res.json()).error, what);
    }
    assertEquals(node.sent.length, 2, "nothing sent for a bad client id");
  });
});
