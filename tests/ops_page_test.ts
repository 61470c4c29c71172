/**
 * The operator's page in a real browser: a failover pair of `main.ts` processes (admin token
 * set, each listing the other under `admin.peers`), an initiator streaming orders, and headless
 * Chromium watching the secondary's page. The test reads what the page shows — roles, epochs,
 * sequence numbers moving, message rates, a counterparty's hostile CompID in the warnings shown
 * as text — then SIGKILLs the primary and watches the page report the failover: the dead node
 * unreachable, the other one primary at a higher epoch with the session logged on again.
 *
 * Screenshots are kept in `tests/artifacts/` (ignored by git); their paths are printed.
 * Without Chromium the test is skipped with a message, unless `CI` is set: then it fails.
 *
 * @module
 */

import { assert, assertEquals } from "../lib/testing/assert.ts";
import { encodeMessage } from "../lib/fix/encoder.ts";
import { formatUtcTimestamp } from "../lib/fix/values.ts";
import type { Browser, Page } from "playwright-core";
import { browserPlan, launch } from "./_browser.ts";
import { ACCEPTOR_COMP_ID, Cluster, freePorts, waitUntil } from "./_failover_cluster.ts";
import { type AdminNode, serveAdmin } from "../lib/admin/server.ts";
import { OpsFeed } from "../lib/admin/events.ts";
import { RecentLog } from "../lib/log/recent.ts";
import { OrderClient } from "./_failover_client.ts";

const TOKEN = "operator page test token";
const SESSION = "FIX.4.4:EXEC->CLIENT";
const HOSTILE = `<img src=x id=pwned onerror="document.title='pwned'">`;
const ARTIFACTS = new URL("./artifacts/", import.meta.url).pathname;
const plan = browserPlan();

interface CardView {
  role: string | null;
  epoch: string | null;
  unreachable: boolean;
  error: string | null;
  replState: string | null;
  lastFailover: string | null;
  ready: string | null;
  sessions: {
    key: string;
    state: string | null;
    nextSenderSeqNum: number;
    nextTargetSeqNum: number;
    inPerS: number;
  }[];
}

interface PageView {
  conn: string;
  login: boolean;
  cards: Record<string, CardView>;
  warnings: string[];
  images: number;
  title: string;
}

/** Reads what the page shows, from its DOM (the text a person sees). */
const READ_PAGE = `(() => {
  const cards = {};
  for (const sec of document.querySelectorAll("section.node")) {
    const get = (k) => { const e = sec.querySelector('[data-k="' + k + '"]'); return e ? e.textContent : null; };
    const sessions = [...sec.querySelectorAll("tr[data-session]")].map((tr) => {
      const g = (k) => { const e = tr.querySelector('[data-k="' + k + '"]'); return e ? e.textContent : null; };
      return { key: tr.getAttribute("data-session"), state: g("state"),
        nextSenderSeqNum: Number(g("nextSenderSeqNum")), nextTargetSeqNum: Number(g("nextTargetSeqNum")),
        inPerS: Number(g("inPerS")) };
    });
    cards[sec.getAttribute("data-node")] = { role: get("role"), epoch: get("epoch"),
      unreachable: sec.classList.contains("unreachable"), error: get("error"), replState: get("replState"),
      lastFailover: get("lastFailover"), ready: get("ready"), sessions };
  }
  return { conn: document.getElementById("conn").textContent,
    login: !document.getElementById("login").classList.contains("hidden"),
    cards, warnings: [...document.querySelectorAll('[data-k="warning"]')].map((e) => e.textContent),
    images: document.querySelectorAll("img").length, title: document.title };
})()`;

async function view(page: Page): Promise<PageView> {
  return await page.evaluate(READ_PAGE) as PageView;
}

/** Polls the page until `pred` holds; the error shows what the page showed last. */
async function untilPage(
  page: Page,
  what: string,
  pred: (v: PageView) => boolean,
  timeoutMs = 60_000,
): Promise<PageView> {
  let last: PageView | undefined;
  try {
    await waitUntil(async () => pred(last = await view(page)), what, timeoutMs);
  } catch (e) {
    throw new Error(`${(e as Error).message}; the page showed ${JSON.stringify(last)}`);
  }
  return last!;
}

async function statusOf(port: number): Promise<Record<string, unknown> | undefined> {
  try {
    const r = await fetch(`http://127.0.0.1:${port}/status`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    return r.status === 200 ? await r.json() : (await r.body?.cancel(), undefined);
  } catch {
    return undefined;
  }
}

/** A Logon for a session nobody configured, with HTML in its SenderCompID: logged as a warning. */
async function sendHostileLogon(port: number): Promise<void> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(encodeMessage("FIX.4.4", "A", [
      [49, HOSTILE],
      [56, ACCEPTOR_COMP_ID],
      [34, "1"],
      [52, formatUtcTimestamp(Date.now(), 3)],
      [98, "0"],
      [108, "30"],
    ]));
    const buf = new Uint8Array(1024);
    while ((await conn.read(buf)) !== null) { /* until the node closes it */ }
  } catch {
    // closed by the node
  } finally {
    try {
      conn.close();
    } catch { /* closed */ }
  }
}

async function screenshot(page: Page, name: string): Promise<string> {
  await Deno.mkdir(ARTIFACTS, { recursive: true });
  const path = `${ARTIFACTS}${name}`;
  await page.screenshot({ path, fullPage: true });
  console.log(`screenshot: ${path}`);
  return path;
}

Deno.test({
  name:
    "Operator's page in Chromium: live values, a hostile CompID shown as text, and a SIGKILL failover seen on the page",
  ignore: plan.ignore,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    // First, so that a missing browser fails at once (in CI) rather than after a pair started.
    const browser = await launch(plan.executable);
    try {
      await watchFailover(browser);
    } finally {
      await browser.close();
    }
  },
});

async function watchFailover(browser: Browser): Promise<void> {
  await using cluster = await Cluster.create({
    ackStrategy: "timeout",
    ackTimeoutMs: 300,
    adminToken: TOKEN,
    adminPeers: true,
    pageRefreshMs: 250,
  });
  const { a, b } = cluster.ports;
  await cluster.start("a", "primary");
  // Promotion by command after the kill (as an operator would), never on its own: on a loaded
  // machine a stalled primary could make an auto-promoting standby take over before the kill.
  await cluster.start("b", "secondary", { waitStreaming: false });
  await waitUntil(async () => {
    const repl = (await statusOf(b.admin))?.replication as
      | { follower?: { state?: string } }
      | undefined;
    return repl?.follower?.state === "streaming";
  }, "b to stream from a");

  await using client = await OrderClient.start({ ports: [a.fix, b.fix], reconnectDelayMs: 100 });
  await client.until(() => client.loggedOn, "first logon");
  const streaming = client.stream(Number.MAX_SAFE_INTEGER, 20);
  streaming.catch(() => {}); // ended by client.stop(); only the page is under test

  const problems: string[] = [];
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
    page.on("console", (m) => {
      // A CSP violation (inline code not covered by the policy) is reported on the console.
      if (/Content Security Policy|Refused to/i.test(m.text())) problems.push(m.text());
    });
    await page.goto(`http://127.0.0.1:${b.admin}/`);

    // A token is configured: the page asks for it, then streams with it.
    await untilPage(page, "the token prompt", (v) => v.login);
    await page.fill("#token", TOKEN);
    await page.click("#loginform button[type=submit]");

    // The whole pair at a glance. On a loaded machine a stall past the link's silence timeout
    // (three 100 ms heartbeats) drops it, and the page then rightly shows a backoff until the
    // secondary reconnects: wait for the streaming state rather than catch it at one instant.
    let v = await untilPage(
      page,
      "both nodes, a primary and b secondary streaming from it, the session logged on at a",
      (v) =>
        v.cards.a?.role === "primary" && v.cards.b?.role === "secondary" &&
        (v.cards.b.replState?.startsWith("following a: streaming") ?? false) &&
        v.cards.a.sessions.some((s) => s.key === SESSION && s.state === "logged on"),
    );
    const epochOf = (c: CardView | undefined) => Number(c?.epoch?.replace("epoch ", "") ?? NaN);
    const epoch = epochOf(v.cards.a);
    assert(Number.isSafeInteger(epoch), `an epoch number: ${v.cards.a!.epoch}`);
    assertEquals(epochOf(v.cards.b), epoch, "the secondary follows the primary's epoch");
    assertEquals(v.cards.a!.ready, "yes — accepting");

    // Live: the sequence numbers move on their own and the rate is shown.
    const seqAt = (v: PageView) =>
      v.cards.a?.sessions.find((s) => s.key === SESSION)?.nextTargetSeqNum ?? 0;
    const before = seqAt(v);
    v = await untilPage(
      page,
      "a's inbound sequence number to grow and a message rate to show",
      (v) =>
        seqAt(v) > before + 20 &&
        (v.cards.a?.sessions.find((s) => s.key === SESSION)?.inPerS ?? 0) > 0,
    );

    // Counterparty text is shown as text, never parsed as HTML.
    await sendHostileLogon(a.fix); // the secondary does not listen: a warning of the peer
    v = await untilPage(
      page,
      "the hostile Logon among the warnings",
      (v) => v.warnings.some((w) => w.includes(HOSTILE)),
    );
    assertEquals(v.images, 0, "no element was made from counterparty text");
    assert(v.title !== "pwned");
    await screenshot(page, "ops_page_live.png");

    // SIGKILL the primary and promote the secondary: the page shows the failover.
    v = await view(page);
    assertEquals([v.cards.a?.role, v.cards.b?.role], ["primary", "secondary"], "before the kill");
    await cluster.kill("a");
    await untilPage(page, "a unreachable", (v) => v.cards.a?.unreachable === true);
    const promoted = await fetch(`http://127.0.0.1:${b.admin}/promote`, {
      method: "POST",
      headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({ reason: "operator page test: a was killed" }),
    });
    assertEquals(promoted.status, 200, await promoted.text());
    v = await untilPage(
      page,
      "a unreachable, b primary at a higher epoch with the session logged on again",
      (v) =>
        v.cards.a?.unreachable === true && v.cards.b?.role === "primary" &&
        epochOf(v.cards.b) > epoch &&
        v.cards.b.sessions.some((s) => s.key === SESSION && s.state === "logged on"),
    );
    assert(
      v.cards.b!.lastFailover!.startsWith(`epoch ${epochOf(v.cards.b)} at `),
      v.cards.b!.lastFailover!,
    );
    assertEquals(v.cards.a!.role, "unreachable");
    assert(v.cards.a!.error!.includes("/overview"), v.cards.a!.error!);
    const afterFailover = v.cards.b!.sessions.find((s) => s.key === SESSION)!.nextTargetSeqNum;
    v = await untilPage(
      page,
      "orders to flow through b",
      (v) =>
        (v.cards.b?.sessions.find((s) => s.key === SESSION)?.nextTargetSeqNum ?? 0) >
          afterFailover + 20,
    );
    const path = await screenshot(page, "ops_page_failover.png");
    assert((await Deno.stat(path)).size > 10_000, "a screenshot with content");
    assertEquals(problems, [], "no CSP violations or script errors");
  } finally {
    client.stop();
  }
}

/** An initiator node in-process: its admin endpoint with a feed over a fake status. */
async function serveFakeInitiator(port: number, deadPeer: string) {
  const node: AdminNode = {
    status: () => ({
      nodeId: "gw",
      role: "initiator",
      epoch: 0,
      acceptingLogons: false,
      fixPort: null,
      sessions: [{
        key: `FIX.4.4:CLIENT->${HOSTILE}`,
        id: 1,
        served: true,
        loggedOn: true,
        connected: true,
        nextSenderSeqNum: 42,
        nextTargetSeqNum: 17,
        address: "127.0.0.1:9877",
        lastFailover: { atMs: Date.UTC(2026, 0, 2, 3, 4, 5), fromIndex: 0, toIndex: 1 },
        heldByOperator: false,
      }],
      replication: null,
      journal: { lastIndex: 99 },
    }),
    ready: () => ({ ready: true, reason: "running" }),
    metrics: () => "",
    promote: () => Promise.reject(new Error("not a secondary")),
    setSequence: () => Promise.resolve({}),
    logout: () => Promise.resolve({}),
    logon: () => Promise.resolve({}),
  };
  const feed = new OpsFeed({
    self: node,
    recent: new RecentLog(),
    peers: [deadPeer],
    token: TOKEN,
    refreshMs: 200,
  });
  const ac = new AbortController();
  const ready = Promise.withResolvers<number>();
  const server = serveAdmin(node, {
    hostname: "127.0.0.1",
    port,
    token: TOKEN,
    feed,
    signal: ac.signal,
    onListen: (a) => ready.resolve(a.port),
  });
  return {
    port: await ready.promise,
    async [Symbol.asyncDispose]() {
      await feed.close();
      ac.abort();
      await server.finished;
    },
  };
}

Deno.test({
  name:
    "Operator's page in Chromium: a refused token is asked again, an initiator's failover column, and the page reconnects when its node comes back",
  ignore: plan.ignore,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const browser = await launch(plan.executable);
    try {
      const [deadPort] = freePorts(1);
      const deadPeer = `http://127.0.0.1:${deadPort}`;
      let node = await serveFakeInitiator(0, deadPeer);
      const port = node.port;
      try {
        const page = await browser.newPage({ viewport: { width: 1200, height: 700 } });
        const problems: string[] = [];
        page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
        await page.goto(`http://127.0.0.1:${port}/`);
        await untilPage(page, "the token prompt", (v) => v.login);
        await page.fill("#token", "not the token");
        await page.click("#loginform button[type=submit]");
        await waitUntil(
          async () => (await page.textContent("#loginmsg"))?.includes("refused") ?? false,
          "the page to say the token was refused",
        );
        await page.fill("#token", TOKEN);
        await page.click("#loginform button[type=submit]");
        const v = await untilPage(
          page,
          "the initiator and its dead peer",
          (v) => v.cards.gw?.role === "initiator" && v.cards[deadPeer]?.unreachable === true,
        );
        const s = v.cards.gw!.sessions[0]!;
        assertEquals(s.key, `FIX.4.4:CLIENT->${HOSTILE}`, "a hostile session key as text");
        assertEquals([s.state, s.nextSenderSeqNum, s.nextTargetSeqNum], ["logged on", 42, 17]);
        assertEquals(v.images, 0);
        assertEquals(
          await page.textContent('[data-k="sessionFailover"]'),
          "2026-01-02 03:04:05 UTC (address 0 → 1)",
        );
        assert(v.cards[deadPeer]!.error!.includes(`Cannot read ${deadPeer}/overview`));
        await screenshot(page, "ops_page_initiator.png");

        // The node goes away: the page says so; it comes back: the page follows by itself.
        await node[Symbol.asyncDispose]();
        await untilPage(
          page,
          "the page to show it lost its node",
          (v) => v.conn.startsWith("disconnected"),
        );
        node = await serveFakeInitiator(port, deadPeer);
        await untilPage(
          page,
          "the page to reconnect",
          (v) => v.conn.startsWith("live") && v.cards.gw?.role === "initiator",
        );

        // Forgetting the token asks for it again.
        await page.click("#forget");
        await untilPage(page, "the token prompt after forget", (v) => v.login);
        assertEquals(problems, []);
      } finally {
        await node[Symbol.asyncDispose]();
      }
    } finally {
      await browser.close();
    }
  },
});
