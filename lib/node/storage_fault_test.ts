/**
 * A node whose journal storage fails stops serving through one door
 * (`storage_fault.ts`); recovery at start is never silent; one node per data
 * directory. In-process, with the storage seam's fault injection.
 */
import { assert, assertEquals, assertRejects, assertStringIncludes } from "../testing/assert.ts";
import { AUTO_PROMOTE_MIN_HEARTBEATS, loadConfig } from "../config/mod.ts";
import { createLogger } from "../log/mod.ts";
import { Initiator } from "../engine/initiator.ts";
import { Acceptor } from "../engine/acceptor.ts";
import type { SessionHandle } from "../engine/application.ts";
import type { Field } from "../session/session.ts";
import { DataDirLockedError, Journal, MemoryStorage, RecordKind } from "../journal/mod.ts";
import { ExitCode } from "../cli/exit_codes.ts";
import { HEARTBEAT_TIMEOUT_INTERVALS, TandemNode } from "./node.ts";

function config(dataDir: string) {
  return loadConfig(
    `
node: { id: fault-test, role: acceptor, dataDir: ${JSON.stringify(dataDir)} }
fix: { listen: 127.0.0.1:0 }
admin: { listen: 127.0.0.1:0 }
journal: { syncPolicy: always }
log: { level: info, format: json }
sessions:
  - { beginString: FIX.4.4, senderCompId: VENUE, targetCompId: CLIENT, application: executor }
`,
    { source: "fault.yaml", env: {} },
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

async function get(port: number, path: string): Promise<{ status: number; body: string }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: res.status, body: await res.text() };
}

function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

Deno.test("TandemNode whose journal write fails (disk full) fails /health and /ready naming the file and OS error, drops the FIX connection, and stops with StorageFailed", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tandem-fault-" });
  const lines: string[] = [];
  const logger = createLogger(config(dir).log, { sink: (l) => lines.push(l), isTerminal: false });
  const storage = new MemoryStorage();
  const node = await TandemNode.start(config(dir), { logger, journalStorage: storage });
  const fills: string[] = [];
  const first = Promise.withResolvers<void>();
  const ended = Promise.withResolvers<void>();
  const initiator = new Initiator({
    session: {
      beginString: "FIX.4.4",
      senderCompId: "CLIENT",
      targetCompId: "VENUE",
      heartbeatIntervalS: 30,
    },
    addresses: [{ hostname: "127.0.0.1", port: node.fixPort! }],
    reconnectDelayMs: 60_000,
    logger: () => {},
    application: {
      onLogon(s) {
        s.send("D", order("ORD-1"));
      },
      onLogout() {
        ended.resolve();
      },
      onMessage(m) {
        if (m.msgType === "8" && m.get(39) === "2") {
          fills.push(m.get(11)!);
          first.resolve();
        }
      },
    },
  }).start();
  try {
    await within(first.promise, 20_000, "the first fill");
    assertEquals((await get(node.adminPort!, "/health")).status, 200);
    storage.diskFull = true;
    initiator.host.send("D", order("ORD-2"));
    assertEquals(await within(node.fatal, 20_000, "the node to stop"), ExitCode.StorageFailed);
    await within(ended.promise, 20_000, "the FIX connection to drop");
    const health = await get(node.adminPort!, "/health");
    assertEquals(health.status, 503);
    assertStringIncludes(health.body, "No space left on device (os error 28)");
    assertStringIncludes(health.body, "memory:/00000000000000000001.seg");
    const ready = await get(node.adminPort!, "/ready");
    assertEquals(ready.status, 503);
    assertStringIncludes(ready.body, "storage failed");
    const status = JSON.parse((await get(node.adminPort!, "/status")).body);
    assertEquals(status.acceptingLogons, false);
    assertStringIncludes(status.journal.storageFailure.osError, "No space left on device");
    assertStringIncludes(
      (await get(node.adminPort!, "/metrics")).body,
      "tandem_storage_failed 1",
    );
    assertEquals(fills, ["ORD-1"], "nothing that could not be journaled was answered");
    const logged = lines.find((l) => l.includes("Journal storage failed"));
    assert(logged !== undefined, lines.join("\n"));
    assertStringIncludes(logged, "No space left on device");
  } finally {
    await initiator.close();
    await node.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("TandemNode warns about a torn tail cut at start and shows it on /status and in tandem_journal_recovered_truncated_bytes", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tandem-torn-" });
  const lines: string[] = [];
  const logger = createLogger(config(dir).log, { sink: (l) => lines.push(l), isTerminal: false });
  {
    await using journal = await Journal.open(dir);
    const s = journal.defineSession("FIX.4.4:VENUE->CLIENT");
    journal.append({
      kind: RecordKind.Audit,
      sessionId: s,
      seqNum: 0,
      timestampMs: 1,
      payload: new TextEncoder().encode("x"),
    });
  }
  const seg = `${dir}/00000000000000000001.seg`;
  const f = await Deno.open(seg, { append: true });
  await f.write(new Uint8Array(120).fill(9));
  f.close();
  const node = await TandemNode.start(config(dir), { logger });
  try {
    const warning = lines.find((l) => l.includes("Journal recovery cut a torn tail"));
    assert(warning !== undefined, lines.join("\n"));
    assertStringIncludes(warning, '"droppedBytes":120');
    assertStringIncludes(warning, '"droppedRecords":1');
    const status = JSON.parse((await get(node.adminPort!, "/status")).body);
    assertEquals(status.journal.recoveredAtStart[0].droppedBytes, 120);
    const metrics = (await get(node.adminPort!, "/metrics")).body;
    assertStringIncludes(metrics, "tandem_journal_recovered_truncated_bytes 120");
    assertStringIncludes(metrics, "tandem_journal_recovered_truncated_records 1");
  } finally {
    await node.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("TandemNode.start() refuses a data directory another node holds, naming the holder's pid", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tandem-lock-" });
  const logger = createLogger(config(dir).log, { sink: () => {}, isTerminal: false });
  const node = await TandemNode.start(config(dir), { logger });
  try {
    const err = await assertRejects(
      () => TandemNode.start(config(dir), { logger }),
      DataDirLockedError,
    );
    assertStringIncludes(err.message, `(pid ${Deno.pid})`);
  } finally {
    await node.close();
  }
  // Released at close: the directory can be used again.
  await (await TandemNode.start(config(dir), { logger })).close();
  await Deno.remove(dir, { recursive: true });
});

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

function pairConfig(
  id: string,
  ha: "primary" | "secondary",
  dataDir: string,
  listen: number,
  peer: number,
) {
  return loadConfig(
    `
node: { id: ${id}, role: acceptor, ha: ${ha}, dataDir: ${JSON.stringify(dataDir)} }
fix: { listen: 127.0.0.1:0 }
admin: { listen: 127.0.0.1:0 }
journal: { syncPolicy: always }
replication:
  listen: 127.0.0.1:${listen}
  ${ha === "primary" ? `peers: [127.0.0.1:${peer}]` : `primary: 127.0.0.1:${peer}`}
  peerIds: [${id === "p" ? "s" : "p"}]
  secret: "storage fault test secret, long enough"
  heartbeatIntervalMs: 100
  autoPromoteAfterMs: ${ha === "secondary" ? 600 : 0}
  reconnectDelayMs: 50
log: { level: info, format: json }
sessions:
  - { beginString: FIX.4.4, senderCompId: VENUE, targetCompId: CLIENT, application: executor }
`,
    { source: `${id}.yaml`, env: {} },
  );
}

Deno.test("TandemNode as a secondary whose replicated append fails stops following (exit StorageFailed) instead of promoting, and fails /health", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tandem-fault-pair-" });
  const lines: string[] = [];
  const [pPort, sPort] = [freePort(), freePort()];
  const pc = pairConfig("p", "primary", `${dir}/p`, pPort, sPort);
  const logger = createLogger(pc.log, { sink: (l) => lines.push(l), isTerminal: false });
  const primary = await TandemNode.start(pc, { logger });
  const storage = new MemoryStorage();
  const secondary = await TandemNode.start(
    pairConfig("s", "secondary", `${dir}/s`, sPort, pPort),
    { logger, journalStorage: storage },
  );
  try {
    for (let i = 0; i < 500 && !secondary.ready().ready; i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    assert(secondary.ready().ready, secondary.ready().reason);
    storage.diskFull = true;
    primary.journal.audit("replicated into a full disk");
    assertEquals(
      await within(secondary.fatal, 20_000, "the secondary to stop"),
      ExitCode.StorageFailed,
    );
    assertEquals(secondary.role, "secondary", "it never promoted itself");
    const health = await get(secondary.adminPort!, "/health");
    assertEquals(health.status, 503);
    assertStringIncludes(health.body, "No space left on device");
    // Well past autoPromoteAfterMs: still no promotion.
    await new Promise((r) => setTimeout(r, 1_000));
    assertEquals([secondary.role, primary.role], ["secondary", "primary"]);
  } finally {
    await secondary.close();
    await primary.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("config's AUTO_PROMOTE_MIN_HEARTBEATS matches the node's HEARTBEAT_TIMEOUT_INTERVALS", () => {
  assertEquals(AUTO_PROMOTE_MIN_HEARTBEATS, HEARTBEAT_TIMEOUT_INTERVALS);
});

Deno.test("TandemNode as a gateway whose journal write fails drops its venue connection without a Logout and stops with StorageFailed", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tandem-fault-gw-" });
  const admins: string[] = [];
  const logon = Promise.withResolvers<SessionHandle>();
  const ended = Promise.withResolvers<string>();
  const venue = await new Acceptor({
    sessions: [{
      beginString: "FIX.4.4",
      senderCompId: "VENUE",
      targetCompId: "TANDEM",
      heartbeatIntervalS: 30,
    }],
    logger: () => {},
    application: {
      onLogon: (s) => logon.resolve(s),
      onAdmin: (m) => void admins.push(m.msgType),
      onLogout: (_, reason) => ended.resolve(reason),
    },
  }).start();
  const cfg = loadConfig(
    `
node: { id: fault-gw, role: initiator, dataDir: ${JSON.stringify(dir)} }
admin: { listen: 127.0.0.1:0 }
journal: { syncPolicy: always }
fix: { logoutTimeoutS: 30 }
log: { level: info, format: json }
sessions:
  - beginString: FIX.4.4
    senderCompId: TANDEM
    targetCompId: VENUE
    heartbeatIntervalS: 30
    application: echo
    connect: { addresses: [127.0.0.1:${venue.port}], reconnectDelayMs: 60000 }
`,
    { source: "fault-gw.yaml", env: {} },
  );
  const lines: string[] = [];
  const logger = createLogger(cfg.log, { sink: (l) => lines.push(l), isTerminal: false });
  const storage = new MemoryStorage();
  const node = await TandemNode.start(cfg, { logger, journalStorage: storage });
  try {
    const session = await within(logon.promise, 20_000, "the gateway's Logon");
    storage.diskFull = true;
    session.send("B", [[148, "disk full now"]]);
    // Well inside fix.logoutTimeoutS: nothing waits for a Logout answer.
    assertEquals(await within(node.fatal, 10_000, "the node to stop"), ExitCode.StorageFailed);
    const reason = await within(ended.promise, 10_000, "the venue connection to drop");
    assert(!admins.includes("5"), `the venue got a Logout (${reason}): ${admins.join(",")}`);
    const failedStep = lines.find((l) => l.includes("after the storage failure, could not"));
    assertEquals(failedStep, undefined);
  } finally {
    await node.close();
    await venue.close();
    await Deno.remove(dir, { recursive: true });
  }
});
