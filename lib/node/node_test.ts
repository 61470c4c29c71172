import { assert, assertEquals } from "../testing/assert.ts";
import { loadConfig } from "../config/mod.ts";
import { createLogger } from "../log/mod.ts";
import { Initiator } from "../engine/initiator.ts";
import type { Field } from "../session/session.ts";
import { parsePrometheusText, type Sample } from "../metrics/prometheus_text.ts";
import { TandemNode } from "./node.ts";
import { hashLogonPassword } from "../engine/logon_policy.ts";

function config(dataDir: string) {
  return loadConfig(
    `
node: { id: metrics-test, role: acceptor, dataDir: ${dataDir} }
fix: { listen: 127.0.0.1:0 }
admin: { listen: 127.0.0.1:0 }
journal: { syncPolicy: always }
log: { level: info, format: json, fixMessages: true }
sessions:
  - { beginString: FIX.4.4, senderCompId: VENUE, targetCompId: CLIENT, application: executor }
`,
    { source: "metrics.yaml", env: {} },
  );
}

const order = (id: string): Field[] => [
  [11, id],
  [21, "1"],
  [55, "IBM"],
  [54, "1"],
  [60, "20260101-00:00:00"],
  [38, 100],
  [40, "1"],
];

function value(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  const want = JSON.stringify(Object.fromEntries(Object.entries(labels).sort()));
  return samples.find((s) => s.name === name && JSON.stringify(s.labels) === want)?.value ?? 0;
}

Deno.test("TandemNode counts messages, resends, gap fills and journal syncs in /metrics and logs FIX messages", async () => {
  const dir = await Deno.makeTempDir();
  const lines: string[] = [];
  const logger = createLogger(config(dir).log, { sink: (l) => lines.push(l), isTerminal: false });
  const node = await TandemNode.start(config(dir), { logger });
  const filled = Promise.withResolvers<void>();
  let fills = 0;
  const initiator = new Initiator({
    session: {
      beginString: "FIX.4.4",
      senderCompId: "CLIENT",
      targetCompId: "VENUE",
      heartbeatIntervalS: 30,
    },
    addresses: [{ hostname: "127.0.0.1", port: node.fixPort! }],
    logger: () => {},
    application: {
      onLogon(s) {
        for (let i = 0; i < 3; i++) s.send("D", order(`ORD-${i}`));
        // a ResendRequest for everything: resends the reports, gap-fills the admin messages
        s.send("2", [[7, 1], [16, 0]]);
      },
      onMessage(m) {
        if (m.msgType === "8" && m.get(39) === "2" && m.get(43) !== "Y" && ++fills === 3) {
          filled.resolve();
        }
      },
    },
  }).start();
  try {
    await filled.promise;
    // wait until the resends went out
    let samples: Sample[] = [];
    for (let i = 0; i < 100; i++) {
      const text = await (await fetch(`http://127.0.0.1:${node.adminPort}/metrics`)).text();
      samples = parsePrometheusText(text);
      if (
        value(samples, "tandem_resent_messages_total", {
          msg_type: "8",
          session: "FIX.4.4:VENUE->CLIENT",
        }) >= 6
      ) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const session = "FIX.4.4:VENUE->CLIENT";
    assertEquals(
      value(samples, "tandem_fix_messages_total", { direction: "in", msg_type: "D", session }),
      3,
    );
    assert(
      value(samples, "tandem_fix_messages_total", { direction: "out", msg_type: "8", session }) >=
        6,
    );
    assertEquals(value(samples, "tandem_resent_messages_total", { msg_type: "8", session }), 6);
    assert(value(samples, "tandem_gap_fills_total", { session }) >= 1, "the Logon is gap-filled");
    assertEquals(value(samples, "tandem_logons_total", { session }), 1);
    assert(value(samples, "tandem_journal_sync_seconds_count") > 0, "syncs are timed");
    assert(value(samples, "tandem_journal_last_index") > 10);
    // FIX messages are logged, both ways
    const fixLines = lines.filter((l) => l.includes('"fix"') || l.includes("35=D"));
    assert(fixLines.some((l) => l.includes("35=D")), "inbound orders are logged");
    assert(fixLines.some((l) => l.includes("35=8")), "outbound reports are logged");
  } finally {
    await initiator.close();
    await node.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("TandemNode as a gateway lists each session's address and last failover", async () => {
  const dir = await Deno.makeTempDir();
  const logger = createLogger(config(dir).log, { sink: () => {}, isTerminal: false });
  const venue = await TandemNode.start(config(`${dir}/venue`), { logger });
  const refused = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const deadPort = (refused.addr as Deno.NetAddr).port;
  refused.close();
  const gatewayConfig = loadConfig(
    `
node: { id: gw, role: initiator, dataDir: ${dir}/gw }
admin: { listen: 127.0.0.1:0 }
api: { listen: 127.0.0.1:0 }
sessions:
  - beginString: FIX.4.4
    senderCompId: CLIENT
    targetCompId: VENUE
    application: api
    connect:
      addresses: [127.0.0.1:${deadPort}, 127.0.0.1:${venue.fixPort}]
      strategy: round-robin
      backoffMs: [10]
      reconnectDelayMs: 10
`,
    { source: "gw.yaml", env: {} },
  );
  const events: string[] = [];
  const gateway = await TandemNode.start(gatewayConfig, {
    logger,
    onConnectionEvent: (session, e) => events.push(`${session} ${e.type}`),
  });
  try {
    type Row = { loggedOn: boolean; address: string | null; lastFailover: unknown };
    let row: Row | undefined;
    for (let i = 0; i < 200 && !row?.loggedOn; i++) {
      await new Promise((r) => setTimeout(r, 10));
      row = gateway.sessions()[0] as Row;
    }
    assertEquals(row?.loggedOn, true);
    assertEquals(row?.address, `127.0.0.1:${venue.fixPort}`);
    const key = "FIX.4.4:CLIENT->VENUE";
    assert(events.includes(`${key} attempt-failed`), events.join(", "));
    assert(events.includes(`${key} logged-on`), events.join(", "));
    const admin = await fetch(`http://127.0.0.1:${gateway.adminPort}/status`);
    assertEquals((await admin.json()).sessions[0].address, `127.0.0.1:${venue.fixPort}`);
    // an order through the API, its executions back as structured fields on the stream
    const sent = await gateway.send(key, {
      kind: "json",
      msgType: "D",
      fields: {
        ClOrdID: "API-1",
        HandlInst: "1",
        Symbol: "IBM",
        Side: "1",
        TransactTime: "20260101-00:00:00",
        OrderQty: 100,
        OrdType: "1",
      },
    });
    assertEquals(sent.msgSeqNum > 1, true);
    const ac = new AbortController();
    const reports: { msgType: string; fields?: unknown }[] = [];
    for await (const m of gateway.stream(1, ac.signal)) {
      reports.push(m);
      if (reports.length === 2) ac.abort();
    }
    assertEquals(
      reports.map((r) => [r.msgType, (r.fields as Record<string, unknown>).ClOrdID]),
      [["8", "API-1"], ["8", "API-1"]],
    );
  } finally {
    await gateway.close();
    await venue.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("TandemNode serves a session with sub IDs under its QuickFIX/J-style id, and an own application by name", async () => {
  const dir = await Deno.makeTempDir();
  const cfg = loadConfig(
    `
node: { id: ids-test, role: acceptor, dataDir: ${dir} }
fix: { listen: 127.0.0.1:0 }
admin: { listen: 127.0.0.1:0 }
sessions:
  - beginString: FIX.4.4
    senderCompId: VENUE
    senderSubId: DESK1
    targetCompId: CLIENT
    application: mine
`,
    { source: "ids.yaml", env: {} },
  );
  const seen: string[] = [];
  const node = await TandemNode.start(cfg, {
    logger: createLogger(cfg.log, { sink: () => {}, isTerminal: false }),
    applications: {
      mine: { onMessage: (m, s, c) => seen.push(`${s.key} ${m.get(11)} ${c.id}`) },
    },
  });
  const initiator = new Initiator({
    session: {
      beginString: "FIX.4.4",
      senderCompId: "CLIENT",
      targetCompId: "VENUE",
      targetSubId: "DESK1",
      heartbeatIntervalS: 30,
    },
    addresses: [{ hostname: "127.0.0.1", port: node.fixPort! }],
    logger: () => {},
    application: { onLogon: (s) => s.send("D", order("MINE-1")) },
  }).start();
  try {
    for (let i = 0; i < 200 && seen.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    const key = "FIX.4.4:VENUE/DESK1->CLIENT";
    assertEquals(seen.length, 1);
    assert(seen[0]!.startsWith(`${key} MINE-1 0-`), seen[0]);
    const sessions = await (await fetch(`http://127.0.0.1:${node.adminPort}/status`)).json();
    assertEquals(sessions.sessions.map((s: { key: string }) => s.key), [key]);
    // The id holds a `/`: written %2F in a URL it still names the session.
    const res = await fetch(
      `http://127.0.0.1:${node.adminPort}/sessions/${encodeURIComponent(key)}/sequence`,
      {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ nextTargetSeqNum: 50 }),
      },
    );
    assertEquals(res.status, 200, await res.text());
  } finally {
    await initiator.close();
    await node.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("TandemNode.start() refuses an application name that is built in", async () => {
  const cfg = config("unused-dir-never-created");
  let error: unknown;
  try {
    await TandemNode.start(cfg, {
      logger: createLogger(cfg.log, { sink: () => {}, isTerminal: false }),
      applications: { executor: {} },
    });
  } catch (e) {
    error = e;
  }
  assertEquals(
    (error as Error).message,
    'Cannot register application "executor": the name is built in',
  );
});

Deno.test("TandemNode from YAML: an initiator sends its sub IDs, Username and Password from ${ENV:…}; the acceptor checks them against a scrypt hash, and its qualifier names the session", async () => {
  const dir = await Deno.makeTempDir();
  const hash = hashLogonPassword("gw password", { log2N: 10 });
  const venueConfig = loadConfig(
    `
node: { id: venue, role: acceptor, dataDir: ${dir}/venue }
fix: { listen: 127.0.0.1:0 }
admin: { listen: 127.0.0.1:0 }
sessions:
  - beginString: FIX.4.4
    senderCompId: VENUE
    targetCompId: CLIENT
    targetSubId: GW1
    logonUsername: gw
    logonPassword: \${ENV:PW_HASH}
    minHeartbeatIntervalS: 10
    maxHeartbeatIntervalS: 60
    application: executor
`,
    { source: "venue.yaml", env: { PW_HASH: hash } },
  );
  const logger = createLogger(venueConfig.log, { sink: () => {}, isTerminal: false });
  const venue = await TandemNode.start(venueConfig, { logger });
  const gatewayYaml = (password: string) =>
    loadConfig(
      `
node: { id: gw, role: initiator, dataDir: ${dir}/gw-${password.length} }
admin: { listen: 127.0.0.1:0 }
sessions:
  - beginString: FIX.4.4
    senderCompId: CLIENT
    senderSubId: GW1
    targetCompId: VENUE
    sessionQualifier: orders
    heartbeatIntervalS: 30
    logonUsername: gw
    logonPassword: \${ENV:PW}
    connect:
      addresses: [127.0.0.1:${venue.fixPort}]
      reconnectDelayMs: 60000
      backoffMs: [60000]
`,
      { source: "gw.yaml", env: { PW: password } },
    );
  const wrong = await TandemNode.start(gatewayYaml("not the password"), { logger });
  const events: string[] = [];
  const right = await TandemNode.start(gatewayYaml("gw password"), {
    logger,
    onConnectionEvent: (session, e) => events.push(`${session} ${e.type}`),
  });
  try {
    const venueRow = () => venue.sessions()[0] as { key: string; loggedOn: boolean };
    const loggedOnEvent = "FIX.4.4:CLIENT/GW1->VENUE:orders logged-on";
    for (let i = 0; i < 500 && !(venueRow().loggedOn && events.includes(loggedOnEvent)); i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    assertEquals(venueRow(), { ...venueRow(), key: "FIX.4.4:VENUE->CLIENT/GW1", loggedOn: true });
    assert(events.includes(loggedOnEvent), events.join(", "));
    assertEquals((wrong.sessions()[0] as { loggedOn: boolean }).loggedOn, false);
  } finally {
    await right.close();
    await wrong.close();
    await venue.close();
    await Deno.remove(dir, { recursive: true });
  }
});
