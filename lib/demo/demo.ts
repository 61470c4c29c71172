/**
 * `tandem demo`: acceptor failover, end to end, in half a minute.
 *
 * Starts three child processes of this same program on 127.0.0.1 — a
 * primary and a secondary acceptor running the built-in `executor`
 * application, and an initiator whose application is the HTTP/WebSocket API
 * — then streams NewOrderSingle through the initiator's API
 * (`POST /sessions/{key}/messages`) and reads the ExecutionReports back from
 * its journal stream (`GET /stream`). Midway it kills the primary with
 * SIGKILL; the secondary promotes itself after the replication link has been
 * silent for {@linkcode DEMO_AUTO_PROMOTE_MS}, the initiator moves to it, and
 * the killed node is restarted as the new secondary (under `forever` the new
 * primary releases nothing without a replica: that is the strategy's promise).
 *
 * The summary is measured, never assumed: executions are booked by ClOrdID
 * and OrdStatus from what the initiator's journal received; "lost" counts
 * executions that never arrived, "duplicates" those that arrived twice.
 *
 * @module
 */

import { Child, reportDemoFailure } from "./_child.ts";
import { formatBookLines, newOrderFix, openExecutionBook } from "./_book.ts";
import { DEMO_PHASE_TIMEOUT_MS, freePorts, sleep, until } from "./_wait.ts";

/** Secondary's auto-promotion delay in the demo. */
export const DEMO_AUTO_PROMOTE_MS = 300;
/** Orders sent but not yet filled, at most. */
export const DEMO_WINDOW = 200;
/** Concurrent HTTP sends, at most. */
export const DEMO_CONCURRENT_SENDS = 8;
export { DEMO_PHASE_TIMEOUT_MS } from "./_wait.ts";

const SESSION = "FIX.4.4:CLIENT->EXEC";

/** Options of {@linkcode runDemo}. */
export interface DemoOptions {
  readonly orders: number;
  readonly ackStrategy: "forever" | "timeout" | "never";
  /** Writes text (newline-terminated, or `\r`-started progress). */
  readonly stdout: (text: string) => void;
  /** Whether to draw a live progress line (`\r`) rather than occasional lines. */
  readonly isTerminal: boolean;
  /** Aborted on Ctrl-C: everything started is stopped and removed. */
  readonly signal: AbortSignal;
}

/** What the demo measured. */
export interface DemoSummary {
  ordersSent: number;
  executionsReceived: number;
  ordersFilled: number;
  lost: number;
  duplicates: number;
  possDup: number;
  killedAtOrder: number;
  seqBefore: { nextSenderSeqNum: number; nextTargetSeqNum: number };
  seqAfter: { nextSenderSeqNum: number; nextTargetSeqNum: number };
  promotedAfterMs: number | undefined;
  failoverMs: number | undefined;
  elapsedMs: number;
  /** Set when the session could not continue on the new primary, with the protocol error. */
  halted: string | undefined;
}

interface Ports {
  fix: number;
  admin: number;
  replication: number;
}

function acceptorYaml(
  id: string,
  ha: "primary" | "secondary",
  dir: string,
  me: Ports,
  peer: Ports,
  ackStrategy: string,
  autoPromoteAfterMs: number,
): string {
  return `node: { id: ${id}, role: acceptor, ha: ${ha}, dataDir: ${JSON.stringify(`${dir}/${id}`)} }
fix: { listen: "127.0.0.1:${me.fix}", logoutTimeoutS: 1 }
journal: { syncPolicy: interval, syncIntervalMs: 10 }
replication:
  listen: "127.0.0.1:${me.replication}"
  ${ha === "primary" ? "peers" : "primary"}: ${
    ha === "primary" ? `["127.0.0.1:${peer.replication}"]` : `"127.0.0.1:${peer.replication}"`
  }
  secret: "\${ENV:TANDEM_DEMO_SECRET}"
  peerIds: [${id === "a" ? "b" : "a"}]
  ackStrategy: ${ackStrategy}
  ackTimeoutMs: 200
  heartbeatIntervalMs: 100
  reconnectDelayMs: 50
  autoPromoteAfterMs: ${autoPromoteAfterMs}
admin: { listen: "127.0.0.1:${me.admin}" }
log: { level: warn, format: json }
sessions:
  - { beginString: FIX.4.4, senderCompId: EXEC, targetCompId: CLIENT, application: executor }
`;
}

function initiatorYaml(dir: string, admin: number, api: number, a: Ports, b: Ports): string {
  return `node: { id: initiator, role: initiator, dataDir: ${JSON.stringify(`${dir}/initiator`)} }
journal: { syncPolicy: interval, syncIntervalMs: 10 }
admin: { listen: "127.0.0.1:${admin}" }
api: { listen: "127.0.0.1:${api}" }
log: { level: info, format: json }
sessions:
  - beginString: FIX.4.4
    senderCompId: CLIENT
    targetCompId: EXEC
    application: api
    connect:
      addresses: ["127.0.0.1:${a.fix}", "127.0.0.1:${b.fix}"]
      reconnectDelayMs: 100
      attemptsPerAddress: 1
      backoffMs: [100]
`;
}

async function getJson(port: number, path: string): Promise<Record<string, unknown> | undefined> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}${path}`);
    const text = await res.text();
    return res.ok ? JSON.parse(text) : undefined;
  } catch {
    return undefined;
  }
}

interface SessionState {
  key: string;
  loggedOn: boolean;
  nextSenderSeqNum: number;
  nextTargetSeqNum: number;
}

async function sessionState(adminPort: number): Promise<SessionState | undefined> {
  const s = await getJson(adminPort, "/status");
  return (s?.sessions as SessionState[] | undefined)?.find((x) => x.key === SESSION);
}

async function logons(adminPort: number): Promise<number> {
  try {
    const res = await fetch(`http://127.0.0.1:${adminPort}/metrics`);
    const text = await res.text();
    for (const line of text.split("\n")) {
      if (line.startsWith("tandem_logons_total{")) return Number(line.split(" ").pop());
    }
  } catch {
    // not up yet
  }
  return 0;
}

/** Runs the demo; resolves with the exit code. See the module doc. */
export async function runDemo(options: DemoOptions): Promise<number> {
  const out = options.stdout;
  const stop = new AbortController();
  const signal = AbortSignal.any([options.signal, stop.signal]);
  const dir = await Deno.makeTempDir({ prefix: "tandem-demo-" });
  const children: Child[] = [];
  let ws: WebSocket | undefined;
  try {
    const summary = await demo(options, dir, children, signal, (w) => (ws = w));
    out(formatSummary(summary, options));
    return 0;
  } catch (e) {
    return reportDemoFailure(e, options.signal, children, out);
  } finally {
    stop.abort();
    ws?.close();
    await Promise.all(children.map((c) => c[Symbol.asyncDispose]()));
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

async function demo(
  o: DemoOptions,
  dir: string,
  children: Child[],
  signal: AbortSignal,
  setWs: (ws: WebSocket) => void,
): Promise<DemoSummary> {
  const out = o.stdout;
  const p = freePorts(8);
  const a: Ports = { fix: p[0]!, admin: p[1]!, replication: p[2]! };
  const b: Ports = { fix: p[3]!, admin: p[4]!, replication: p[5]! };
  const initAdmin = p[6]!;
  const initApi = p[7]!;
  const env = {
    TANDEM_DEMO_SECRET: Array.from(
      crypto.getRandomValues(new Uint8Array(24)),
      (x) => x.toString(16).padStart(2, "0"),
    ).join(""),
  };
  const write = (name: string, text: string) => Deno.writeTextFile(`${dir}/${name}`, text);
  await write("a-primary.yaml", acceptorYaml("a", "primary", dir, a, b, o.ackStrategy, 0));
  await write(
    "b-secondary.yaml",
    acceptorYaml("b", "secondary", dir, b, a, o.ackStrategy, DEMO_AUTO_PROMOTE_MS),
  );
  await write("a-secondary.yaml", acceptorYaml("a", "secondary", dir, a, b, o.ackStrategy, 0));
  await write("initiator.yaml", initiatorYaml(dir, initAdmin, initApi, a, b));
  const spawn = (name: string, config: string) => {
    const c = new Child(name, ["run", "--config", `${dir}/${config}`], env);
    children.push(c);
    return c;
  };

  out(
    `Tandem failover demo: ${o.orders} orders, ack strategy ${o.ackStrategy}, in ${dir}\n` +
      `  primary a   FIX 127.0.0.1:${a.fix}  admin :${a.admin}\n` +
      `  secondary b FIX 127.0.0.1:${b.fix}  admin :${b.admin} (promotes itself after ${DEMO_AUTO_PROMOTE_MS} ms of silence)\n` +
      `  initiator   API 127.0.0.1:${initApi} admin :${initAdmin}\n`,
  );
  const primary = spawn("primary a", "a-primary.yaml");
  const secondary = spawn("secondary b", "b-secondary.yaml");
  const alive = (c: Child) => {
    if (c.exited) {
      throw new Error(
        `Cannot run the demo: ${c.name} exited; its last output:\n${c.lines.slice(-10).join("\n")}`,
      );
    }
  };
  await until(
    async () => (alive(primary), (await getJson(a.admin, "/status"))?.acceptingLogons === true),
    "for the primary to accept connections",
    signal,
  );
  await until(
    async () => {
      alive(secondary);
      const s = await getJson(b.admin, "/status");
      const f = (s?.replication as { follower?: { state?: string } } | undefined)?.follower;
      return f?.state === "streaming";
    },
    "for the secondary to follow the primary",
    signal,
  );
  const initiator = spawn("initiator", "initiator.yaml");
  await until(
    async () => (alive(initiator), (await sessionState(initAdmin))?.loggedOn === true),
    "for the initiator to log on",
    signal,
  );

  // Executions, booked from the initiator's journal stream.
  const book = await openExecutionBook(initApi, setWs);

  const t0 = Date.now();
  const killAt = Math.floor(o.orders / 2);
  let sent = 0;
  let killedAtMs = 0;
  let seqBefore: SessionState | undefined;
  let promotedAfterMs: number | undefined;
  let failoverMs: number | undefined;
  let failover: Promise<void> | undefined;
  /** Why the session cannot continue (the initiator refused the new primary), if so. */
  let halted: string | undefined;
  let lastProgressMs = 0;
  const progress = (final = false) => {
    const now = Date.now();
    if (!final && now - lastProgressMs < (o.isTerminal ? 100 : 2_000)) return;
    lastProgressMs = now;
    const phase = killedAtMs === 0
      ? "primary a up"
      : failoverMs === undefined
      ? "primary a KILLED, failing over"
      : `on b after ${failoverMs} ms`;
    const line =
      `  sent ${sent}/${o.orders}  filled ${book.filled}  reports ${book.reports}  [${phase}]`;
    out(o.isTerminal ? `\r${line.padEnd(78)}` : `${line}\n`);
  };

  const doFailover = async () => {
    const logonsBefore = await logons(initAdmin);
    killedAtMs = Date.now();
    primary.kill("SIGKILL");
    await primary.status;
    const promoted = until(
      async () => (await getJson(b.admin, "/status"))?.role === "primary",
      "for the secondary's promotion",
      signal,
      5,
    ).then(() => (promotedAfterMs = Date.now() - killedAtMs));
    const loggedOn = until(
      async () => {
        const refusal = initiator.lines.find((l) => l.includes("MsgSeqNum too low"));
        if (refusal !== undefined) {
          halted = /MsgSeqNum too low[^"]*/.exec(refusal)?.[0] ?? "MsgSeqNum too low";
          return true;
        }
        return (await logons(initAdmin)) > logonsBefore;
      },
      "for the initiator to log on to the promoted node",
      signal,
      5,
    ).then(() => {
      if (halted === undefined) failoverMs = Date.now() - killedAtMs;
    });
    await promoted;
    // The killed node comes back as the new primary's secondary (its replica).
    const rejoined = spawn("a (rejoined as secondary)", "a-secondary.yaml");
    await until(
      async () => (alive(rejoined), (await getJson(a.admin, "/status")) !== undefined),
      "for the killed node to rejoin",
      signal,
    );
    await loggedOn;
  };

  const url = `http://127.0.0.1:${initApi}/sessions/${encodeURIComponent(SESSION)}/messages`;
  const sendOne = async (n: number) => {
    const id = `C${n}`;
    book.expect(id);
    const body = newOrderFix(id);
    while (halted === undefined) {
      signal.throwIfAborted();
      const res = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/fix" },
        body,
        signal,
      });
      const text = await res.text();
      if (res.ok) return;
      if (res.status !== 409) throw new Error(`Cannot send order ${id}: ${res.status} ${text}`);
      await sleep(10, signal); // not logged on (failing over): try again
    }
  };

  const inFlight = new Set<Promise<void>>();
  while (sent < o.orders && halted === undefined) {
    signal.throwIfAborted();
    progress();
    if (sent - book.filled >= DEMO_WINDOW || inFlight.size >= DEMO_CONCURRENT_SENDS) {
      await Promise.race([...inFlight, sleep(2, signal)]);
      continue;
    }
    if (sent === killAt && failover === undefined) {
      seqBefore = await sessionState(initAdmin);
      failover = doFailover();
    }
    const p = sendOne(++sent);
    inFlight.add(p);
    p.finally(() => inFlight.delete(p)).catch(() => {});
  }
  await Promise.all(inFlight);
  await failover;
  const deadline = Date.now() + DEMO_PHASE_TIMEOUT_MS;
  while (book.filled < sent && halted === undefined && Date.now() < deadline) {
    progress();
    await sleep(20, signal);
  }
  progress(true);
  out("\n");
  const seqAfter = await sessionState(initAdmin);
  return {
    ordersSent: sent,
    executionsReceived: book.reports,
    ordersFilled: book.filled,
    lost: book.lost(),
    duplicates: book.duplicates,
    possDup: book.possDup,
    killedAtOrder: killAt,
    seqBefore: {
      nextSenderSeqNum: seqBefore?.nextSenderSeqNum ?? 0,
      nextTargetSeqNum: seqBefore?.nextTargetSeqNum ?? 0,
    },
    seqAfter: {
      nextSenderSeqNum: seqAfter?.nextSenderSeqNum ?? 0,
      nextTargetSeqNum: seqAfter?.nextTargetSeqNum ?? 0,
    },
    promotedAfterMs,
    failoverMs,
    elapsedMs: Date.now() - t0,
    halted,
  };
}

/** The summary as printed. */
export function formatSummary(s: DemoSummary, o: Pick<DemoOptions, "ackStrategy">): string {
  const ms = (v: number | undefined) =>
    v === undefined ? (s.halted ? "no logon (see verdict)" : "not measured") : `${v} ms`;
  const verdict = s.halted !== undefined
    ? `the initiator refused the new primary: "${s.halted}" — the secondary lacked messages the initiator had already seen (the risk ${o.ackStrategy} takes); the session needs an operator`
    : s.lost === 0 && s.duplicates === 0
    ? "every order was executed exactly once"
    : o.ackStrategy === "forever"
    ? "UNEXPECTED under forever: see lost/duplicates"
    : `expected risk of the ${o.ackStrategy} strategy`;
  return `
Summary (ack strategy ${o.ackStrategy}, measured by the initiator):
${
    formatBookLines({
      sent: s.ordersSent,
      reports: s.executionsReceived,
      possDup: s.possDup,
      filled: s.ordersFilled,
      lost: s.lost,
      duplicates: s.duplicates,
    })
  }  primary killed at order  ${s.killedAtOrder} (SIGKILL)
  sequence numbers before  next out ${s.seqBefore.nextSenderSeqNum}, next in ${s.seqBefore.nextTargetSeqNum}
  sequence numbers after   next out ${s.seqAfter.nextSenderSeqNum}, next in ${s.seqAfter.nextTargetSeqNum}
  secondary promoted after ${
    ms(s.promotedAfterMs)
  } (auto-promotion after ${DEMO_AUTO_PROMOTE_MS} ms of silence)
  failover time            ${
    ms(s.failoverMs)
  } (SIGKILL to the initiator logged on to the new primary)
  total run time           ${s.elapsedMs} ms
  verdict                  ${verdict}
`;
}
