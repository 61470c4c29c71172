/**
 * `tandem demo --cluster`: a three-member cluster coordinated by a local
 * etcd, end to end. Starts etcd (Debian's `etcd-server`; the demo says how to
 * install it when it is missing), three acceptor members with the `executor`
 * application and an initiator whose application is the HTTP/WebSocket API,
 * streams NewOrderSingle through the initiator, SIGKILLs the leader a third of
 * the way (the members elect a new one, the dead node stays down), then
 * freezes the next leader with SIGSTOP two thirds of the way (a hung host:
 * replaced after its lease) and lets it run again (it fences and rejoins).
 * The summary is measured by the initiator, as in the pair demo.
 *
 * @module
 */

import { Child, reportDemoFailure } from "./_child.ts";
import { formatBookLines, newOrderFix, openExecutionBook } from "./_book.ts";
import { DEMO_WINDOW, type DemoOptions } from "./demo.ts";
import { freePorts, sleep, until } from "./_wait.ts";
import { ETCD_BIN, etcdInstalled, EtcdServer } from "../testing/etcd_server.ts";

/** Lease of the demo's leader: a hung leader is replaced within about this. */
export const CLUSTER_DEMO_LEASE_TTL_MS = 2_000;

const SESSION = "FIX.4.4:CLIENT->EXEC";

interface Ports {
  fix: number;
  admin: number;
  replication: number;
}

export function memberYaml(
  i: number,
  dir: string,
  all: Ports[],
  etcd: string,
  ack: string,
): string {
  const me = all[i]!;
  return `node: { id: n${i + 1}, role: acceptor, ha: secondary, dataDir: ${
    JSON.stringify(`${dir}/n${i + 1}`)
  } }
fix: { listen: "127.0.0.1:${me.fix}", logoutTimeoutS: 1 }
journal: { syncPolicy: interval, syncIntervalMs: 10 }
replication:
  listen: "127.0.0.1:${me.replication}"
  peers: [${all.map((p) => `"127.0.0.1:${p.replication}"`).join(", ")}]
  peerIds: [${all.map((_, k) => `n${k + 1}`).filter((_, k) => k !== i).join(", ")}]
  secret: "\${ENV:TANDEM_DEMO_SECRET}"
  ackStrategy: ${ack}
  heartbeatIntervalMs: 100
  reconnectDelayMs: 50
  connectTimeoutMs: 500
  minInSync: 2
  maxLagMs: 1000
coordination:
  kind: etcd
  etcd: { endpoints: ["${etcd}"], leaseTtlMs: ${CLUSTER_DEMO_LEASE_TTL_MS}, pollIntervalMs: 50 }
admin: { listen: "127.0.0.1:${me.admin}" }
log: { level: warn, format: json }
sessions:
  - { beginString: FIX.4.4, senderCompId: EXEC, targetCompId: CLIENT, application: executor }
`;
}

function initiatorYaml(dir: string, admin: number, api: number, all: Ports[]): string {
  return `node: { id: initiator, role: initiator, dataDir: ${JSON.stringify(`${dir}/initiator`)} }
journal: { syncPolicy: interval, syncIntervalMs: 10 }
admin: { listen: "127.0.0.1:${admin}" }
api: { listen: "127.0.0.1:${api}" }
log: { level: info, format: json }
sessions:
  - beginString: FIX.4.4
    senderCompId: CLIENT
    targetCompId: EXEC
    heartbeatIntervalS: 1
    application: api
    connect:
      addresses: [${all.map((p) => `"127.0.0.1:${p.fix}"`).join(", ")}]
      strategy: round-robin
      reconnectDelayMs: 50
      attemptsPerAddress: 1
      backoffMs: [50]
`;
}

async function getJson(port: number, path: string): Promise<Record<string, unknown> | undefined> {
  try {
    // A frozen member accepts connections and never answers: bound every call.
    const res = await fetch(`http://127.0.0.1:${port}${path}`, {
      signal: AbortSignal.timeout(1_000),
    });
    const text = await res.text();
    return res.ok ? JSON.parse(text) : undefined;
  } catch {
    return undefined;
  }
}

/** Runs the cluster demo; resolves with the exit code. See the module doc. */
export async function runClusterDemo(options: DemoOptions): Promise<number> {
  const out = options.stdout;
  if (!etcdInstalled()) {
    out(
      `The cluster demo needs etcd at ${ETCD_BIN}: install it with \`apt-get install etcd-server\` ` +
        "(or bash .ci/install_etcd.sh), or set ETCD_BIN to its path.\n",
    );
    return 1;
  }
  const stop = new AbortController();
  const signal = AbortSignal.any([options.signal, stop.signal]);
  const dir = await Deno.makeTempDir({ prefix: "tandem-cluster-demo-" });
  const children: (Child | undefined)[] = [];
  let etcd: EtcdServer | undefined;
  let ws: WebSocket | undefined;
  try {
    etcd = await EtcdServer.start();
    const text = await clusterDemo(options, dir, etcd.endpoint, children, signal, (w) => (ws = w));
    out(text);
    return 0;
  } catch (e) {
    return reportDemoFailure(e, options.signal, children, out);
  } finally {
    stop.abort();
    ws?.close();
    for (const c of children) c?.kill("SIGCONT");
    await Promise.all(children.map((c) => c?.[Symbol.asyncDispose]()));
    await etcd?.[Symbol.asyncDispose]();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

async function clusterDemo(
  o: DemoOptions,
  dir: string,
  etcd: string,
  children: (Child | undefined)[],
  signal: AbortSignal,
  setWs: (ws: WebSocket) => void,
): Promise<string> {
  const out = o.stdout;
  const p = freePorts(11);
  const members: Ports[] = [0, 1, 2].map((i) => ({
    fix: p[3 * i]!,
    admin: p[3 * i + 1]!,
    replication: p[3 * i + 2]!,
  }));
  const initAdmin = p[9]!;
  const initApi = p[10]!;
  const env = {
    TANDEM_DEMO_SECRET: Array.from(
      crypto.getRandomValues(new Uint8Array(24)),
      (x) => x.toString(16).padStart(2, "0"),
    ).join(""),
  };
  for (let i = 0; i < 3; i++) {
    await Deno.writeTextFile(
      `${dir}/n${i + 1}.yaml`,
      memberYaml(i, dir, members, etcd, o.ackStrategy),
    );
  }
  await Deno.writeTextFile(
    `${dir}/initiator.yaml`,
    initiatorYaml(dir, initAdmin, initApi, members),
  );
  out(
    `Tandem cluster demo: ${o.orders} orders, ack strategy ${o.ackStrategy}, etcd ${etcd}, in ${dir}\n` +
      members.map((m, i) => `  member n${i + 1}  FIX 127.0.0.1:${m.fix}  admin :${m.admin}\n`)
        .join("") +
      `  initiator  API 127.0.0.1:${initApi} admin :${initAdmin}\n`,
  );
  for (let i = 0; i < 3; i++) {
    children[i] = new Child(`member n${i + 1}`, ["run", "--config", `${dir}/n${i + 1}.yaml`], env);
  }
  const leader = async (skip = -1): Promise<number> => {
    for (let i = 0; i < 3; i++) {
      if (i === skip || !children[i] || children[i]!.exited) continue;
      const s = await getJson(members[i]!.admin, "/status");
      if (s?.role === "primary" && s.acceptingLogons === true) return i;
    }
    return -1;
  };
  await until(async () => (await leader()) >= 0, "for an elected leader", signal);
  children[3] = new Child("initiator", ["run", "--config", `${dir}/initiator.yaml`], env);
  const sessionOf = async () =>
    ((await getJson(initAdmin, "/status"))?.sessions as
      | { key: string; loggedOn: boolean; nextSenderSeqNum: number; nextTargetSeqNum: number }[]
      | undefined)?.find((x) => x.key === SESSION);
  await until(async () => (await sessionOf())?.loggedOn === true, "for the initiator", signal);

  const book = await openExecutionBook(initApi, setWs);

  const events: string[] = [];
  const logons = async (): Promise<number> => {
    try {
      const res = await fetch(`http://127.0.0.1:${initAdmin}/metrics`, {
        signal: AbortSignal.timeout(1_000),
      });
      for (const line of (await res.text()).split("\n")) {
        if (line.startsWith("tandem_logons_total{")) return Number(line.split(" ").pop());
      }
    } catch {
      // not up
    }
    return 0;
  };
  const failover = async (how: "SIGKILL" | "SIGSTOP") => {
    const victim = await leader();
    if (victim < 0) return;
    const logonsBefore = await logons();
    const t0 = Date.now();
    children[victim]!.kill(how);
    let next = -1;
    await until(async () => (next = await leader(victim)) >= 0, "for a new leader", signal);
    const electedMs = Date.now() - t0;
    // A frozen leader comes back now: it fences itself and rejoins (under `forever` with
    // minInSync 2 the new leader may need it back in sync before it answers the Logon).
    if (how === "SIGSTOP") children[victim]!.kill("SIGCONT");
    await until(async () => (await logons()) > logonsBefore, "for the initiator's logon", signal);
    events.push(
      `${how} of leader n${victim + 1}: n${next + 1} elected after ${electedMs} ms, ` +
        `initiator logged on after ${Date.now() - t0} ms` +
        (how === "SIGKILL" ? ` (n${victim + 1} stays down)` : ` (resumed after the election)`),
    );
  };

  const url = `http://127.0.0.1:${initApi}/sessions/${encodeURIComponent(SESSION)}/messages`;
  const t0 = Date.now();
  let sent = 0;
  const seqBefore = await sessionOf();
  const sendOne = async (n: number) => {
    const id = `C${n}`;
    book.expect(id);
    const body = newOrderFix(id);
    while (true) {
      signal.throwIfAborted();
      const res = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/fix" },
        body,
        signal,
      });
      await res.text();
      if (res.ok) return;
      if (res.status !== 409) throw new Error(`Cannot send order ${id}: ${res.status}`);
      await sleep(10, signal);
    }
  };
  const phases = [Math.floor(o.orders / 3), Math.floor((2 * o.orders) / 3)];
  while (sent < o.orders) {
    signal.throwIfAborted();
    if (sent - book.filled >= DEMO_WINDOW) {
      await sleep(2, signal);
      continue;
    }
    if (sent === phases[0] || sent === phases[1]) {
      await until(() => book.filled === sent, "for the orders in flight", signal);
      await failover(sent === phases[0] ? "SIGKILL" : "SIGSTOP");
    }
    await sendOne(++sent);
    if (o.isTerminal) out(`\r  sent ${sent}/${o.orders}  filled ${book.filled}`.padEnd(60));
  }
  await until(() => book.filled === sent, "for every order to be filled", signal);
  const seqAfter = await sessionOf();
  const lost = book.lost();
  return `
Summary (cluster of 3 with etcd, ack strategy ${o.ackStrategy}, measured by the initiator):
${
    formatBookLines({
      sent,
      reports: book.reports,
      possDup: book.possDup,
      filled: book.filled,
      lost,
      duplicates: book.duplicates,
    })
  }  sequence numbers before  next out ${seqBefore?.nextSenderSeqNum}, next in ${seqBefore?.nextTargetSeqNum}
  sequence numbers after   next out ${seqAfter?.nextSenderSeqNum}, next in ${seqAfter?.nextTargetSeqNum}
${events.map((e) => `  ${e}\n`).join("")}  total run time           ${Date.now() - t0} ms
  verdict                  ${
    lost === 0 && book.duplicates === 0
      ? "every order was executed exactly once"
      : "see lost/duplicates"
  }
`;
}
