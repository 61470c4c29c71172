/**
 * The gateway's application API as an attacker sees it, against real
 * processes (a Tandem gateway with application `api` and a Tandem venue):
 * tag injection through JSON values and raw messages, requests from web
 * pages (cross-origin POST and WebSocket, DNS rebinding, text/plain), tokens
 * in URLs, a 300 MB body and an oversized WebSocket message. Each is refused,
 * nothing reaches the venue and no MsgSeqNum is used.
 */

import { assert, assertEquals, assertStringIncludes } from "../lib/testing/assert.ts";
import { rawRequest } from "../lib/admin/_raw_http.ts";
import {
  adminPortOf,
  api,
  freePorts,
  journalLastIndex,
  orderJson,
  sessionState,
  StreamClient,
  TandemProcess,
  writeGatewayYaml,
  writeVenueYaml,
} from "./_gateway_process.ts";

const KEY = "FIX.4.4:GW->EXEC";
const PATH = `/sessions/${encodeURIComponent(KEY)}/messages`;

interface Setup extends AsyncDisposable {
  readonly apiPort: number;
  readonly venueAdmin: number;
  readonly gatewayAdmin: number;
  readonly gateway: TandemProcess;
}

async function setup(): Promise<Setup> {
  const dir = await Deno.makeTempDir({ prefix: "tandem-gw-edge-" });
  const [fixPort, apiPort] = freePorts(2);
  const venueYaml = await writeVenueYaml(dir, fixPort!);
  const gatewayYaml = await writeGatewayYaml(dir, apiPort!, [{
    sender: "GW",
    target: "EXEC",
    application: "api",
    connect: { addresses: [`127.0.0.1:${fixPort}`] },
  }]);
  const venue = new TandemProcess("venue", venueYaml);
  await venue.waitFor("accepting FIX connections");
  const gateway = new TandemProcess("gateway", gatewayYaml);
  await gateway.waitFor(['"logged on"', KEY]);
  return {
    apiPort: apiPort!,
    venueAdmin: await adminPortOf(venue),
    gatewayAdmin: await adminPortOf(gateway),
    gateway,
    async [Symbol.asyncDispose]() {
      await gateway.crash();
      await venue.crash();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/** What must not move while requests are refused: our sequence numbers and both journals. */
async function snapshot(s: Setup): Promise<unknown> {
  return {
    session: await sessionState(s.apiPort, KEY),
    venueJournal: await journalLastIndex(s.venueAdmin),
    gatewayJournal: await journalLastIndex(s.gatewayAdmin),
  };
}

async function nextOrderTakes(s: Setup, expected: number): Promise<void> {
  const ok = await api(s.apiPort, "POST", PATH, orderJson("OK1"));
  assertEquals(ok.status, 200, JSON.stringify(ok.json));
  assertEquals(ok.json["msgSeqNum"], expected, "the next accepted order takes the next number");
}

Deno.test("Gateway API refuses control characters and multi-message raw FIX: 400 naming the field, nothing sent, no MsgSeqNum used", async () => {
  await using s = await setup();
  await using ws = new StreamClient(s.apiPort, 1);
  await ws.opened();
  const before = await snapshot(s);
  const cases: [string, string, string, string][] = [
    [
      "SOH in a JSON value",
      "application/json",
      orderJson("X1", { Symbol: "IBM\u00011=VICTIM-ACCT" }),
      "fields.Symbol",
    ],
    [
      "NUL in a JSON value",
      "application/json",
      orderJson("X2", { Symbol: "IBM\u0000" }),
      "fields.Symbol",
    ],
    ["LF in a JSON value", "application/json", orderJson("X3\n"), "fields.ClOrdID"],
    [
      "two raw messages",
      "application/fix",
      "8=FIX.4.4|35=D|11=X4|21=1|55=IBM|54=1|60=20261124-12:00:00|38=1|40=1|10=000|" +
      "8=FIX.4.4|35=D|11=X5|21=1|55=IBM|54=1|60=20261124-12:00:00|38=1|40=1|10=000|",
      "exactly one message",
    ],
    [
      "two raw messages without CheckSum",
      "application/fix",
      "35=D|11=X6|21=1|55=IBM|54=1|60=20261124-12:00:00|38=1|40=1|35=D|11=X7|",
      "exactly one message",
    ],
    ["NUL in a raw value", "application/fix", "35=D|11=X8|21=1|55=IBM\u0000|54=1|", "tag 55"],
    [
      "another session's CompID",
      "application/fix",
      "35=D|49=OTHER|11=X9|21=1|55=IBM|54=1|",
      "SenderCompID",
    ],
  ];
  for (const [what, type, body, where] of cases) {
    const r = await api(s.apiPort, "POST", PATH, body, type);
    assertEquals(r.status, 400, `${what}: ${JSON.stringify(r.json)}`);
    assertStringIncludes(String(r.json["error"]), where, what);
  }
  assertEquals(await snapshot(s), before, "nothing sent, nothing journaled");
  const { session } = before as { session: { nextSenderSeqNum: number } };
  await nextOrderTakes(s, session.nextSenderSeqNum);
  await ws.waitFor(2); // New and Filled of OK1: the venue saw exactly one order
  assertEquals(ws.received.map((m) => /\|11=([^|]*)/.exec(m.fix)?.[1]), ["OK1", "OK1"]);
  assert(ws.received.every((m) => !m.fix.includes("VICTIM")));
});

Deno.test("Gateway API refuses web pages: cross-origin POST and WebSocket, foreign Host, text/plain, token in the URL", async () => {
  await using s = await setup();
  const before = await snapshot(s);
  const url = `http://127.0.0.1:${s.apiPort}${PATH}`;
  const post = (headers: Record<string, string>) =>
    fetch(url, { method: "POST", headers, body: orderJson("EVIL") });
  const cross = await post({ "content-type": "application/json", origin: "http://evil.example" });
  assertEquals(cross.status, 403);
  assertStringIncludes((await cross.json()).error, "origin");
  const plain = await post({ "content-type": "text/plain" });
  assertEquals(plain.status, 415);
  await plain.body?.cancel();
  const plainCross = await post({ "content-type": "text/plain", origin: "http://evil.example" });
  assertEquals(plainCross.status, 403);
  await plainCross.body?.cancel();
  const rebound = await rawRequest(
    s.apiPort,
    `POST ${PATH} HTTP/1.1\r\nhost: evil.example:${s.apiPort}\r\ncontent-type: application/json`,
    orderJson("EVIL"),
  );
  assertEquals(rebound.status, 421, rebound.text);
  const query = await fetch(`http://127.0.0.1:${s.apiPort}/sessions?token=abc`);
  assertEquals(query.status, 400);
  await query.body?.cancel();
  const ws = await rawRequest(
    s.apiPort,
    `GET /stream?from=1 HTTP/1.1\r\nhost: 127.0.0.1:${s.apiPort}\r\nupgrade: websocket\r\n` +
      "connection: upgrade\r\nsec-websocket-version: 13\r\n" +
      "sec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\norigin: http://evil.example",
  );
  assertEquals(ws.status, 403, ws.text);
  const wsRebound = await rawRequest(
    s.apiPort,
    `GET /stream?from=1 HTTP/1.1\r\nhost: evil.example\r\nupgrade: websocket\r\n` +
      "connection: upgrade\r\nsec-websocket-version: 13\r\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==",
  );
  assertEquals(wsRebound.status, 421, wsRebound.text);
  assertEquals(await snapshot(s), before, "nothing sent, nothing journaled");
});

function rssKiB(pid: number): number {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1]);
}

/** Streams `totalBytes` of body (chunked, or with a Content-Length) until the answer arrives. */
async function hugeUpload(port: number, totalBytes: number, chunked: boolean): Promise<number> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const enc = new TextEncoder();
  const head = `POST ${PATH} HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\n` +
    "content-type: application/json\r\n" +
    (chunked ? "transfer-encoding: chunked\r\n" : `content-length: ${totalBytes}\r\n`) + "\r\n";
  let answered = false;
  const answer = (async () => {
    const buf = new Uint8Array(4096);
    let text = "";
    while (!/^HTTP\/1\.1 \d{3}/.test(text)) {
      const n = await conn.read(buf).catch(() => null);
      if (n === null) break;
      text += new TextDecoder().decode(buf.subarray(0, n));
    }
    answered = true;
    return Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
  })();
  const mib = new Uint8Array(1024 * 1024).fill(0x20); // JSON whitespace
  const chunk = chunked
    ? new Uint8Array([...enc.encode("100000\r\n"), ...mib, ...enc.encode("\r\n")])
    : mib;
  try {
    await conn.write(enc.encode(head));
    for (let sent = 0; sent < totalBytes && !answered; sent += mib.length) {
      for (let o = 0; o < chunk.length;) o += await conn.write(chunk.subarray(o));
    }
    if (chunked && !answered) await conn.write(enc.encode("0\r\n\r\n"));
  } catch {
    // the gateway stopped reading and closed: expected
  }
  const status = await answer;
  try {
    conn.close();
  } catch {
    // closed
  }
  return status;
}

Deno.test("Gateway API answers a 300 MB body with 413 without holding it (memory stays flat)", async () => {
  await using s = await setup();
  const before = await snapshot(s);
  const rssBefore = rssKiB(s.gateway.pid);
  const chunked = await hugeUpload(s.apiPort, 300 * 1024 * 1024, true);
  const declared = await hugeUpload(s.apiPort, 300 * 1024 * 1024, false);
  const grownMiB = (rssKiB(s.gateway.pid) - rssBefore) / 1024;
  assert(grownMiB < 100, `the gateway grew by ${grownMiB.toFixed(0)} MiB`);
  assertEquals([chunked, declared], [413, 413]);
  assertEquals(await snapshot(s), before, "nothing sent, nothing journaled");
});

Deno.test("Gateway API closes a stream whose client sends an oversized WebSocket message", async () => {
  await using s = await setup();
  const ws = new WebSocket(`ws://127.0.0.1:${s.apiPort}/stream?from=1`);
  const closed = new Promise<number>((r) => ws.onclose = (e) => r(e.code));
  await new Promise((r) => ws.onopen = r);
  ws.send("x".repeat(1024 * 1024));
  let timer: ReturnType<typeof setTimeout> | undefined;
  const code = await Promise.race([
    closed,
    new Promise<string>((r) => timer = setTimeout(() => r("still open after 30 s"), 30_000)),
  ]);
  clearTimeout(timer);
  if (code !== 1009) ws.close();
  assertEquals(code, 1009);
});
