import { assert, assertEquals, assertStringIncludes } from "../testing/assert.ts";
import { Logger } from "../log/logger.ts";
import { RecentLog } from "../log/recent.ts";
import { type AdminNode, serveAdmin } from "./server.ts";
import { OpsFeed, type PageSnapshot, peerUrl } from "./events.ts";
import { messageRates, messageTotals, type NodeOverview } from "./overview.ts";

const METRICS = `# HELP tandem_fix_messages_total FIX messages
# TYPE tandem_fix_messages_total counter
tandem_fix_messages_total{direction="in",msg_type="D",session="FIX.4.4:EXEC->CLIENT"} 10
tandem_fix_messages_total{direction="in",msg_type="0",session="FIX.4.4:EXEC->CLIENT"} 2
tandem_fix_messages_total{direction="out",msg_type="8",session="FIX.4.4:EXEC->CLIENT"} 20
`;

function fakeNode(nodeId: string, role: string, epoch: number) {
  let metrics = METRICS;
  const node: AdminNode = {
    status: () => ({ nodeId, role, epoch, sessions: [] }),
    ready: () => ({ ready: true, reason: "ok" }),
    metrics: () => metrics,
    promote: () => Promise.resolve({ epoch }),
    setSequence: () => Promise.resolve({}),
    logout: () => Promise.resolve({}),
    logon: () => Promise.resolve({}),
  };
  return { node, setMetrics: (m: string) => (metrics = m) };
}

async function serve(
  node: AdminNode,
  feed: OpsFeed,
  token?: string,
): Promise<{ base: string; stop: () => Promise<void> }> {
  const ac = new AbortController();
  const ready = Promise.withResolvers<number>();
  const server = serveAdmin(node, {
    hostname: "127.0.0.1",
    port: 0,
    token,
    feed,
    signal: ac.signal,
    onListen: (a) => ready.resolve(a.port),
  });
  const port = await ready.promise;
  return {
    base: `http://127.0.0.1:${port}`,
    stop: async () => {
      await feed.close();
      ac.abort();
      await server.finished;
    },
  };
}

/** Reads SSE events from a response until `count` snapshots arrived. */
async function readSnapshots(res: Response, count: number): Promise<PageSnapshot[]> {
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  const out: PageSnapshot[] = [];
  let buf = "";
  while (out.length < count) {
    const { done, value } = await reader.read();
    if (done) break;
    buf += value;
    let at;
    while ((at = buf.indexOf("\n\n")) >= 0) {
      const block = buf.slice(0, at);
      buf = buf.slice(at + 2);
      const data = block.split("\n").find((l) => l.startsWith("data: "));
      if (block.startsWith("event: snapshot") && data) out.push(JSON.parse(data.slice(6)));
    }
  }
  await reader.cancel();
  return out;
}

Deno.test("messageTotals() sums tandem_fix_messages_total by session and direction", () => {
  assertEquals(messageTotals(METRICS), { "FIX.4.4:EXEC->CLIENT": { in: 12, out: 20 } });
  assertEquals(messageTotals("garbage {"), {});
});

Deno.test("messageRates() divides the growth by the interval; a restarted counter gives none", () => {
  const o = (atMs: number, i: number, out: number): NodeOverview => ({
    atMs,
    status: {},
    messages: { s: { in: i, out } },
    warnings: [],
  });
  assertEquals(messageRates(undefined, o(1000, 1, 1)), {});
  assertEquals(messageRates(o(1000, 10, 20), o(3000, 30, 60)), { s: { inPerS: 10, outPerS: 20 } });
  assertEquals(messageRates(o(1000, 10, 20), o(3000, 5, 60)), {});
  assertEquals(messageRates(o(1000, 10, 20), o(1000, 30, 60)), {});
});

Deno.test("GET / serves the page with a strict CSP, without the token; /events and /overview need it", async () => {
  const { node } = fakeNode("a", "primary", 1);
  const feed = new OpsFeed({ self: node, recent: new RecentLog(), refreshMs: 100 });
  const { base, stop } = await serve(node, feed, "s3cret-token-for-tests");
  try {
    const page = await fetch(`${base}/`);
    assertEquals(page.status, 200);
    assertStringIncludes(page.headers.get("content-type")!, "text/html");
    const csp = page.headers.get("content-security-policy")!;
    assertStringIncludes(csp, "default-src 'none'");
    assertStringIncludes(csp, "connect-src 'self'");
    assert(!csp.includes("unsafe-inline") && !csp.includes("unsafe-eval"), csp);
    assertStringIncludes(csp, "script-src 'sha256-");
    assertEquals(page.headers.get("x-frame-options"), "DENY");
    const html = await page.text();
    assert(!html.includes("innerHTML") && !html.includes("outerHTML"), "renders with textContent");
    assert(!/\b(src|href)=["']?https?:/.test(html), "no external assets");
    // The hash in the CSP is the hash of the inline script actually served.
    const script = html.slice(html.indexOf("<script>") + 8, html.indexOf("</script>"));
    const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(script));
    const b64 = btoa(String.fromCharCode(...new Uint8Array(digest)));
    assertStringIncludes(csp, `'sha256-${b64}'`);

    for (const path of ["/events", "/overview"]) {
      const denied = await fetch(`${base}${path}`);
      assertEquals(denied.status, 401, path);
      await denied.body?.cancel();
      const wrong = await fetch(`${base}${path}`, { headers: { authorization: "Bearer nope" } });
      assertEquals(wrong.status, 401, path);
      await wrong.body?.cancel();
    }
    const ok = await fetch(`${base}/events`, {
      headers: { authorization: "Bearer s3cret-token-for-tests" },
    });
    assertEquals(ok.status, 200);
    assertStringIncludes(ok.headers.get("content-type")!, "text/event-stream");
    const [snap] = await readSnapshots(ok, 1);
    assertEquals((snap!.nodes[0]!.status as { nodeId: string }).nodeId, "a");
  } finally {
    await stop();
  }
});

Deno.test("GET /events streams snapshots with the node's recent warnings", async () => {
  const { node } = fakeNode("a", "primary", 3);
  const recent = new RecentLog();
  const log = new Logger({ sink: () => {} });
  log.tap(recent.tap);
  log.warn("Logon refused", { senderCompId: "<img src=x>" });
  const feed = new OpsFeed({ self: node, recent, refreshMs: 50 });
  const { base, stop } = await serve(node, feed);
  try {
    const res = await fetch(`${base}/events`);
    const [first, second] = await readSnapshots(res, 2);
    assertEquals(first!.nodes.length, 1);
    assertEquals(first!.nodes[0]!.url, null);
    assertEquals(first!.warnings.map((w) => [w.level, w.msg]), [["warn", "Logon refused"]]);
    assertStringIncludes(first!.warnings[0]!.fields, "<img src=x>");
    assert(second!.atMs >= first!.atMs, "a second snapshot follows");
  } finally {
    await stop();
  }
});

Deno.test("OpsFeed.snapshot() gives message rates from the growth since the previous snapshot", async () => {
  const { node, setMetrics } = fakeNode("a", "primary", 3);
  let now = 10_000;
  const feed = new OpsFeed({ self: node, recent: new RecentLog(), nowMs: () => now });
  const before = await feed.snapshot();
  assertEquals(before.nodes[0]!.rates, {}, "no rate from a single reading");
  now += 2_000;
  setMetrics(METRICS.replace("} 10", "} 50").replace("} 20", "} 60"));
  const after = await feed.snapshot();
  assertEquals(after.nodes[0]!.rates, { "FIX.4.4:EXEC->CLIENT": { inPerS: 20, outPerS: 20 } });
  await feed.close();
});

Deno.test("OpsFeed shows each peer's overview, and a peer that stops answering as unreachable with what it last said", async () => {
  const b = fakeNode("b", "primary", 1);
  const feedB = new OpsFeed({ self: b.node, recent: new RecentLog() });
  const peer = await serve(b.node, feedB, "pair-token-123456");
  const a = fakeNode("a", "secondary", 1);
  const feedA = new OpsFeed({
    self: a.node,
    recent: new RecentLog(),
    peers: [peer.base],
    token: "pair-token-123456",
  });
  try {
    const snap = await feedA.snapshot();
    assertEquals(snap.nodes.map((n) => [n.url, n.reachable]), [[null, true], [peer.base, true]]);
    assertEquals((snap.nodes[1]!.status as { nodeId: string }).nodeId, "b");
    await peer.stop();
    const after = await feedA.snapshot();
    const gone = after.nodes[1]!;
    assertEquals(gone.reachable, false);
    assertStringIncludes(gone.error!, `Cannot read ${peer.base}/overview`);
    assertEquals((gone.status as { role: string }).role, "primary", "last known status kept");
    assert(gone.seenAtMs !== null);
  } finally {
    await feedA.close();
    await peer.stop();
  }
});

Deno.test("OpsFeed never holds a snapshot for a hung peer; the peer turns unreachable when its read times out", async () => {
  // Accepts connections and never answers, like a SIGSTOPped node.
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const held: Deno.Conn[] = [];
  const accepting = (async () => {
    try {
      for await (const c of listener) held.push(c);
    } catch { /* closed */ }
  })();
  const url = `http://127.0.0.1:${listener.addr.port}`;
  const { node } = fakeNode("a", "primary", 1);
  const feed = new OpsFeed({ self: node, recent: new RecentLog(), peers: [url], refreshMs: 100 });
  try {
    const first = await feed.snapshot();
    assertEquals(first.nodes[0]!.reachable, true, "this node is shown");
    assertEquals(first.nodes[1]!.error, "not read yet", "did not wait for the peer's timeout");
    let last = first;
    while (last.nodes[1]!.error === "not read yet") {
      await new Promise((r) => setTimeout(r, 100));
      last = await feed.snapshot();
    }
    assertEquals(last.nodes[1]!.reachable, false);
    assertStringIncludes(last.nodes[1]!.error!, `Cannot read ${url}/overview`);
  } finally {
    await feed.close();
    listener.close();
    await accepting;
    for (const c of held) c.close();
  }
});

Deno.test("OpsFeed refuses event streams beyond maxStreams with 503", async () => {
  const { node } = fakeNode("a", "primary", 1);
  const feed = new OpsFeed({ self: node, recent: new RecentLog(), maxStreams: 2 });
  const { base, stop } = await serve(node, feed);
  try {
    const s1 = await fetch(`${base}/events`);
    const s2 = await fetch(`${base}/events`);
    const s3 = await fetch(`${base}/events`);
    assertEquals([s1.status, s2.status, s3.status], [200, 200, 503]);
    assertStringIncludes(await s3.text(), "2 are open already");
    await s1.body!.cancel();
    await s2.body!.cancel();
  } finally {
    await stop();
  }
});

Deno.test("OpsFeed.close() ends open streams so the server can shut down", async () => {
  const { node } = fakeNode("a", "primary", 1);
  const feed = new OpsFeed({ self: node, recent: new RecentLog(), refreshMs: 50 });
  const { base, stop } = await serve(node, feed);
  const res = await fetch(`${base}/events`);
  await readSnapshots(res.clone(), 1);
  await stop(); // would wait forever on the open stream without close()
  await res.body?.cancel();
});

Deno.test("peerUrl() brackets IPv6 hosts", () => {
  assertEquals(peerUrl("127.0.0.1", 9901), "http://127.0.0.1:9901");
  assertEquals(peerUrl("::1", 9901), "http://[::1]:9901");
});
