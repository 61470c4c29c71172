/**
 * `tandem demo --gateway-ha`: the initiator side survives the loss of its
 * host. Starts a venue (an acceptor running the built-in `executor`) and a
 * gateway pair in front of it — two `role: initiator` members replicating one
 * journal under the chosen ack strategy, each serving the application API —
 * then an application ({@linkcode GatewayHaClient}) streams NewOrderSingle
 * through the API with retries and reads the executions back from the
 * stream. Midway the gateway leader is SIGKILLed: the follower promotes itself
 * after {@linkcode GATEWAY_DEMO_AUTO_PROMOTE_MS} of silence and logs on to the
 * venue with the replicated sequence numbers, the killed node comes back as
 * its follower, and the application carries on against the new leader (a
 * follower's 503 names it) with the same client ids, so a send retried across
 * the failover is answered from the journal instead of being sent twice.
 *
 * The summary is measured by the application (executions booked by ClOrdID,
 * ExecID and journal index) and by the venue (its session's sequence
 * numbers against the gateway's).
 *
 * @module
 */

import { Child, reportDemoFailure } from "./_child.ts";
import { formatBookLines } from "./_book.ts";
import type { DemoOptions } from "./demo.ts";
import { freePorts, sleep, until } from "./_wait.ts";
import { GatewayHaClient } from "./_gateway_ha_client.ts";

/** The follower gateway's auto-promotion delay in the demo. */
export const GATEWAY_DEMO_AUTO_PROMOTE_MS = 300;
/**
 * Concurrent sends of the demo's application: a send is answered once durable on both gateways,
 * so throughput comes from many in flight.
 */
export const GATEWAY_DEMO_CONCURRENT_SENDS = 32;

const SESSION = "FIX.4.4:GW->EXEC";
const VENUE_SESSION = "FIX.4.4:EXEC->GW";

interface Ports {
  admin: number;
  api: number;
  replication: number;
}

function venueYaml(dir: string, fix: number, admin: number): string {
  return `node: { id: venue, role: acceptor, dataDir: ${JSON.stringify(`${dir}/venue`)} }
fix: { listen: "127.0.0.1:${fix}", logoutTimeoutS: 1 }
journal: { syncPolicy: interval, syncIntervalMs: 10 }
admin: { listen: "127.0.0.1:${admin}" }
log: { level: warn, format: json }
sessions:
  - { beginString: FIX.4.4, senderCompId: EXEC, targetCompId: GW, application: executor }
`;
}

/** YAML of gateway member `id` (`a` or `b`) as `ha`. */
export function gatewayMemberYaml(
  id: "a" | "b",
  ha: "primary" | "secondary",
  dir: string,
  me: Ports,
  peer: Ports,
  venueFix: number,
  ackStrategy: string,
): string {
  const other = id === "a" ? "b" : "a";
  return `node: { id: ${id}, role: initiator, ha: ${ha}, dataDir: ${
    JSON.stringify(`${dir}/${id}`)
  } }
journal: { syncPolicy: interval, syncIntervalMs: 10 }
replication:
  listen: "127.0.0.1:${me.replication}"
  ${ha === "primary" ? "peers" : "primary"}: ${
    ha === "primary" ? `["127.0.0.1:${peer.replication}"]` : `"127.0.0.1:${peer.replication}"`
  }
  peerIds: [${other}]
  secret: "\${ENV:TANDEM_DEMO_SECRET}"
  ackStrategy: ${ackStrategy}
  ackTimeoutMs: 200
  heartbeatIntervalMs: 100
  reconnectDelayMs: 50
  autoPromoteAfterMs: ${ha === "secondary" ? GATEWAY_DEMO_AUTO_PROMOTE_MS : 0}
admin: { listen: "127.0.0.1:${me.admin}" }
api:
  listen: "127.0.0.1:${me.api}"
  memberUrls: { ${id}: "http://127.0.0.1:${me.api}", ${other}: "http://127.0.0.1:${peer.api}" }
log: { level: warn, format: json }
sessions:
  - beginString: FIX.4.4
    senderCompId: GW
    targetCompId: EXEC
    application: api
    connect:
      addresses: ["127.0.0.1:${venueFix}"]
      reconnectDelayMs: 50
      backoffMs: [50, 100]
`;
}

async function getJson(port: number, path: string): Promise<Record<string, unknown> | undefined> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}${path}`, {
      signal: AbortSignal.timeout(2_000),
    });
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

async function sessionOf(adminPort: number, key: string): Promise<SessionState | undefined> {
  const s = await getJson(adminPort, "/status");
  return (s?.sessions as SessionState[] | undefined)?.find((x) => x.key === key);
}

/** Runs the gateway HA demo; resolves with the exit code. See the module doc. */
export async function runGatewayHaDemo(options: DemoOptions): Promise<number> {
  const out = options.stdout;
  const stop = new AbortController();
  const signal = AbortSignal.any([options.signal, stop.signal]);
  const dir = await Deno.makeTempDir({ prefix: "tandem-gateway-ha-demo-" });
  const children: Child[] = [];
  let client: GatewayHaClient | undefined;
  try {
    out(await gatewayHaDemo(options, dir, children, signal, (c) => (client = c)));
    return 0;
  } catch (e) {
    return reportDemoFailure(e, options.signal, children, out);
  } finally {
    stop.abort();
    await client?.[Symbol.asyncDispose]();
    await Promise.all(children.map((c) => c[Symbol.asyncDispose]()));
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

async function gatewayHaDemo(
  o: DemoOptions,
  dir: string,
  children: Child[],
  signal: AbortSignal,
  setClient: (c: GatewayHaClient) => void,
): Promise<string> {
  const out = o.stdout;
  const p = freePorts(8);
  const venueFix = p[0]!;
  const venueAdmin = p[1]!;
  const a: Ports = { admin: p[2]!, api: p[3]!, replication: p[4]! };
  const b: Ports = { admin: p[5]!, api: p[6]!, replication: p[7]! };
  const env = {
    TANDEM_DEMO_SECRET: Array.from(
      crypto.getRandomValues(new Uint8Array(24)),
      (x) => x.toString(16).padStart(2, "0"),
    ).join(""),
  };
  const write = (name: string, text: string) => Deno.writeTextFile(`${dir}/${name}`, text);
  await write("venue.yaml", venueYaml(dir, venueFix, venueAdmin));
  await write(
    "a-primary.yaml",
    gatewayMemberYaml("a", "primary", dir, a, b, venueFix, o.ackStrategy),
  );
  await write(
    "b-secondary.yaml",
    gatewayMemberYaml("b", "secondary", dir, b, a, venueFix, o.ackStrategy),
  );
  await write(
    "a-secondary.yaml",
    gatewayMemberYaml("a", "secondary", dir, a, b, venueFix, o.ackStrategy),
  );
  const spawn = (name: string, config: string) => {
    const c = new Child(name, ["run", "--config", `${dir}/${config}`], env);
    children.push(c);
    return c;
  };
  const alive = (c: Child) => {
    if (c.exited) {
      throw new Error(
        `Cannot run the demo: ${c.name} exited; its last output:\n${c.lines.slice(-10).join("\n")}`,
      );
    }
  };

  out(
    `Tandem gateway HA demo: ${o.orders} orders, ack strategy ${o.ackStrategy}, in ${dir}\n` +
      `  venue        FIX 127.0.0.1:${venueFix}  admin :${venueAdmin} (acceptor, executor)\n` +
      `  gateway a    API 127.0.0.1:${a.api}  admin :${a.admin} (leader)\n` +
      `  gateway b    API 127.0.0.1:${b.api}  admin :${b.admin} (follower, promotes itself after ${GATEWAY_DEMO_AUTO_PROMOTE_MS} ms of silence)\n`,
  );
  const venue = spawn("venue", "venue.yaml");
  await until(
    async () => (alive(venue), (await getJson(venueAdmin, "/status"))?.acceptingLogons === true),
    "for the venue to accept connections",
    signal,
  );
  const gwA = spawn("gateway a", "a-primary.yaml");
  const gwB = spawn("gateway b", "b-secondary.yaml");
  await until(
    async () => {
      alive(gwA);
      alive(gwB);
      return (await sessionOf(a.admin, SESSION))?.loggedOn === true;
    },
    "for gateway a to log on to the venue",
    signal,
  );

  const client = new GatewayHaClient({
    apiUrls: [`http://127.0.0.1:${a.api}`, `http://127.0.0.1:${b.api}`],
    session: SESSION,
    signal,
  });
  setClient(client);
  client.startStream();

  const t0 = Date.now();
  const killAt = Math.floor(o.orders / 2);
  let acked = 0;
  let n = 0;
  let killedAtMs = 0;
  let failoverMs: number | undefined;
  let promotedAfterMs: number | undefined;
  let lastProgressMs = 0;
  const progress = (final = false) => {
    const now = Date.now();
    if (!final && now - lastProgressMs < (o.isTerminal ? 100 : 2_000)) return;
    lastProgressMs = now;
    const phase = killedAtMs === 0
      ? "leader a"
      : failoverMs === undefined
      ? "gateway a KILLED, failing over"
      : `leader b after ${failoverMs} ms`;
    const line = `  sent ${acked}/${o.orders}  filled ${client.filledOrders}  [${phase}]`;
    out(o.isTerminal ? `\r${line.padEnd(78)}` : `${line}\n`);
  };
  const ids = function* (): Generator<string> {
    while (n < o.orders) yield `C${++n}`;
  };
  let failover: Promise<void> | undefined;
  const seqBefore = await sessionOf(venueAdmin, VENUE_SESSION);
  const doFailover = async () => {
    killedAtMs = Date.now();
    gwA.kill("SIGKILL");
    await gwA.status;
    // The killed node comes back as the follower of b (under `forever`, b releases nothing,
    // its Logon included, without a replica: that is the strategy's promise).
    const rejoined = spawn("gateway a (rejoined as follower)", "a-secondary.yaml");
    await until(
      async () => {
        alive(rejoined);
        if (
          promotedAfterMs === undefined && (await getJson(b.admin, "/status"))?.role === "primary"
        ) {
          promotedAfterMs = Date.now() - killedAtMs;
        }
        return (await sessionOf(b.admin, SESSION))?.loggedOn === true;
      },
      "for gateway b to lead and log on to the venue",
      signal,
      5,
    );
    failoverMs = Date.now() - killedAtMs;
  };
  const sending = client.sendOrders(ids(), GATEWAY_DEMO_CONCURRENT_SENDS, undefined, () => {
    acked++;
    if (acked === killAt && failover === undefined) failover = doFailover();
  });
  let sendError: unknown;
  sending.catch((e) => (sendError = e));
  while (acked < o.orders && sendError === undefined) {
    progress();
    await sleep(20, signal);
  }
  await sending;
  await failover;
  await until(
    () => (progress(), client.filledOrders === o.orders),
    "for every order to be filled",
    signal,
    20,
  );
  progress(true);
  out("\n");
  const seqAfter = await sessionOf(venueAdmin, VENUE_SESSION);
  const gwAfter = await sessionOf(b.admin, SESSION);
  const lost = [...client.orders.values()].reduce(
    (k, x) => k + (x.fresh === 0 ? 1 : 0) + (x.filled === 0 ? 1 : 0),
    0,
  );
  const possDup = [...client.executions.values()].filter((x) => x.possDup).length;
  const agree = seqAfter !== undefined && gwAfter !== undefined &&
    seqAfter.nextTargetSeqNum === gwAfter.nextSenderSeqNum &&
    seqAfter.nextSenderSeqNum === gwAfter.nextTargetSeqNum;
  const ms = (v: number | undefined) => (v === undefined ? "not measured" : `${v} ms`);
  return `
Summary (gateway pair, ack strategy ${o.ackStrategy}, measured by the application and the venue):
${
    formatBookLines({
      sent: client.sent.size,
      reports: client.executions.size,
      possDup,
      filled: client.filledOrders,
      lost,
      duplicates: client.problemCount,
    })
  }  leader killed at         order ${killAt} (SIGKILL)
  gateway b promoted after ${
    ms(promotedAfterMs)
  } (auto-promotion after ${GATEWAY_DEMO_AUTO_PROMOTE_MS} ms of silence)
  failover time            ${ms(failoverMs)} (SIGKILL to gateway b logged on to the venue)
  application              ${client.retries} retries, ${client.redirects} redirected by a follower, ${client.duplicateAnswers} answered as duplicates, stream resumed ${client.streamResumes}×
  venue sequence numbers   before: next in ${seqBefore?.nextTargetSeqNum}, next out ${seqBefore?.nextSenderSeqNum}; after: next in ${seqAfter?.nextTargetSeqNum}, next out ${seqAfter?.nextSenderSeqNum} (${
    agree ? "the gateway agrees" : "the gateway DISAGREES"
  })
  total run time           ${Date.now() - t0} ms
  verdict                  ${
    lost === 0 && client.problemCount === 0 && agree
      ? "every order reached the venue once and every execution the application once"
      : "see lost/duplicates"
  }
`;
}
