/**
 * Failover of an acceptor pair, by acknowledgement strategy: SIGKILL of the
 * primary → the counterparty (a real Tandem initiator, the failover tests'
 * `OrderClient`, given both FIX ports) logged on to the promoted secondary.
 * The pair is two `main.ts` processes on the harness of
 * `tests/failover_test.ts` (journal `always`, executor application); the
 * secondary promotes itself after {@linkcode AUTO_PROMOTE_AFTER_MS} of
 * replication silence (heartbeats every {@linkcode REPLICATION_HEARTBEAT_MS});
 * the initiator tries the next address {@linkcode RECONNECT_DELAY_MS} after a
 * failure, which is the floor: no failover can be shorter.
 *
 * Each strategy gets one pair and several kills. Before each kill the client
 * sends orders, waits for their fills and for the secondary to hold every
 * record the primary journaled: otherwise, under `never` and `timeout`, the
 * kill can lose the last outbound messages, the client refuses the promoted
 * node's Logon (MsgSeqNum too low) and the node rightly holds the session
 * for an operator (see the README, "What `never` and `timeout` can lose").
 * After each failover the killed node is started again as the new primary's
 * secondary and the next kill hits the new primary, so the nodes take turns.
 *
 * What each figure includes:
 *
 * - `never`: detection (link silence) and promotion, the initiator's next
 *   attempt at the promoted node, Logon and its answer.
 * - `timeout`: the same, plus `ackTimeoutMs` ({@linkcode ACK_TIMEOUT_MS},
 *   the default): the promoted node has no replica, so its Logon answer is
 *   held until the strategy's bound passes.
 * - `forever`, and `quorum` (1 replica, the only quorum a pair can meet,
 *   which behaves as `forever`): a promoted node with no replica holds every
 *   outbound message, its Logon answer included, until a replica has it
 *   durably. The killed node is therefore started again at once, as a
 *   supervisor would, and rejoins as the secondary; the figure includes that
 *   process start, its catch-up and the first ack.
 *
 * A failover that does not complete becomes a row with what was seen, never a
 * number. Run alone: `./denow run -A tests/bench/failover_bench.ts [--kills N]
 * [--strategies never,timeout]`; `deno task bench` calls
 * {@linkcode runFailoverBench} in its `ha` section.
 *
 * @module
 */

import { OrderClient } from "../_failover_client.ts";
import { Cluster, type NodeName, status, waitUntil } from "../_failover_cluster.ts";
import { failedRow, median, type Row, row } from "./_stats.ts";

/** The initiator's reconnect delay, the floor of the failover time. */
export const RECONNECT_DELAY_MS = 100;
/** Replication heartbeat of the pair. */
export const REPLICATION_HEARTBEAT_MS = 40;
/** The secondary promotes itself after this much replication silence (5 heartbeats). */
export const AUTO_PROMOTE_AFTER_MS = 200;
/** `replication.ackTimeoutMs` of the `timeout` pair (the configuration's default). */
export const ACK_TIMEOUT_MS = 500;

/** The acknowledgement strategies measured, by their configuration names. */
export const FAILOVER_STRATEGIES = ["never", "timeout", "forever", "quorum"] as const;
/** One of {@linkcode FAILOVER_STRATEGIES}. */
export type FailoverStrategy = typeof FAILOVER_STRATEGIES[number];

/** One measured failover, all times from the SIGKILL (wall clock, ms). */
export interface FailoverSample {
  /** The initiator logged on to the promoted node. */
  readonly logonMs: number;
  /** The promoted node accepts FIX connections (from its log). */
  readonly promotedMs: number;
  /** The promoted node received the Logon and logged the session on (its answer registered). */
  readonly logonReceivedMs: number;
}

/** What one strategy's pair measured. */
export interface FailoverResult {
  readonly strategy: FailoverStrategy;
  readonly samples: readonly FailoverSample[];
  /** Why the kills stopped early, if they did. */
  readonly error?: string;
}

/** Options of {@linkcode runFailoverBench}. */
export interface FailoverBenchOptions {
  /** Kills per strategy. Default 5. */
  readonly kills?: number;
  /** Strategies measured. Default all of {@linkcode FAILOVER_STRATEGIES}. */
  readonly strategies?: readonly FailoverStrategy[];
}

const SECTION = "ha";

/** Whether a promoted node of this strategy holds its Logon answer until a replica acks. */
function needsReplica(strategy: FailoverStrategy): boolean {
  return strategy === "forever" || strategy === "quorum";
}

/** Journal lastIndex of a node, or -1 when its admin endpoint does not answer. */
async function lastIndex(adminPort: number): Promise<number> {
  const s = await status(adminPort);
  return (s?.journal as { lastIndex?: number } | undefined)?.lastIndex ?? -1;
}

/** Time (wall clock) of the first log line of `lines` from `from` on containing `text`. */
function loggedAtMs(lines: readonly string[], from: number, text: string): number | undefined {
  for (let i = from; i < lines.length; i++) {
    const line = lines[i]!;
    if (!line.includes(text) || !line.startsWith("{")) continue;
    try {
      return Date.parse((JSON.parse(line) as { ts: string }).ts);
    } catch { /* not a log line */ }
  }
  return undefined;
}

/** Says why a failover did not complete, from what both sides logged. */
function explain(
  e: unknown,
  client: OrderClient,
  promoted: readonly string[],
  from: number,
): string {
  const what = e instanceof Error ? e.message : String(e);
  const mine = promoted.slice(from);
  const lost = client.log.find((l) =>
    l.includes("MsgSeqNum too low") || l.includes("Session held")
  );
  if (lost !== undefined) {
    return "the promoted node lacks outbound messages the client had seen (lost at the kill), " +
      `so the client refused its Logon or the node holds the session: ${lost}`;
  }
  if (mine.some((l) => l.includes("session logged on"))) {
    return `${what}: the promoted node logged the session on but its Logon answer did not leave ` +
      `(held for a replica's ack?); initiator: ${client.log.at(-1)}`;
  }
  if (!mine.some((l) => l.includes("accepting FIX connections"))) {
    return `${what}: the secondary was not promoted; its last line: ${mine.at(-1)}`;
  }
  return `${what}: the promoted node never logged the session on; initiator: ${client.log.at(-1)}`;
}

/** Kills of one strategy's pair; see the module doc. */
async function measure(strategy: FailoverStrategy, kills: number): Promise<FailoverResult> {
  const samples: FailoverSample[] = [];
  await using cluster = await Cluster.create({
    ackStrategy: strategy,
    ackTimeoutMs: ACK_TIMEOUT_MS,
    heartbeatIntervalMs: REPLICATION_HEARTBEAT_MS,
    syncPolicy: "always",
  });
  const auto = { autoPromoteAfterMs: AUTO_PROMOTE_AFTER_MS };
  try {
    await cluster.start("a", "primary");
    await cluster.start("b", "secondary", auto);
    let logonAtMs = 0;
    await using client = await OrderClient.start({
      ports: [cluster.ports.a.fix, cluster.ports.b.fix],
      reconnectDelayMs: RECONNECT_DELAY_MS,
      // a held session never logs on: stop at once instead of waiting out the timeout
      failOn: ["Session held", "MsgSeqNum too low"],
      onLogon: () => logonAtMs = Date.now(),
    });
    await client.until(() => client.loggedOn, "the first logon");
    let leader: NodeName = "a";
    for (let k = 0; k < kills; k++) {
      const standby = Cluster.other(leader);
      // Quiesce: orders filled, and the standby holds every record the leader journaled.
      for (let i = 0; i < 20; i++) client.sendOrder();
      await client.until(() => client.filledOrders === client.sent, "the orders filled");
      await waitUntil(async () => {
        const [l, s] = await Promise.all([
          lastIndex(cluster.ports[leader].admin),
          lastIndex(cluster.ports[standby].admin),
        ]);
        return l > 0 && l === s;
      }, `${standby} to hold everything ${leader} journaled`);
      const promoted = cluster.procs[standby]!;
      const from = promoted.lines.length;
      const logons = client.logons;
      const killedAtMs = Date.now();
      await cluster.kill(leader); // SIGKILL, then waits for the process to be gone
      const restart = needsReplica(strategy) ? cluster.start(leader, "secondary", auto) : undefined;
      restart?.catch(() => {}); // awaited below
      try {
        await client.until(() => client.logons > logons, "the logon to the promoted node", 20_000);
      } catch (e) {
        const why = explain(e, client, promoted.lines, from);
        await restart?.catch(() => {}); // its process must exist before the pair is disposed
        throw new Error(why);
      }
      const at = (text: string) => (loggedAtMs(promoted.lines, from, text) ?? NaN) - killedAtMs;
      samples.push({
        logonMs: logonAtMs - killedAtMs,
        promotedMs: at("accepting FIX connections"),
        logonReceivedMs: at("session logged on"),
      });
      await (restart ?? cluster.start(leader, "secondary", auto));
      leader = standby;
    }
    return { strategy, samples };
  } catch (e) {
    return { strategy, samples, error: e instanceof Error ? e.message : String(e) };
  }
}

/** Runs the failovers of every strategy asked for, one pair each. */
export async function runFailoverBench(
  options: FailoverBenchOptions = {},
): Promise<FailoverResult[]> {
  const kills = options.kills ?? 5;
  const out: FailoverResult[] = [];
  for (const s of options.strategies ?? FAILOVER_STRATEGIES) out.push(await measure(s, kills));
  return out;
}

/** What a strategy's figure includes beyond detection, promotion and reconnection. */
function includes(strategy: FailoverStrategy): { short: string; long: string } {
  switch (strategy) {
    case "never":
      return { short: "", long: "" };
    case "timeout":
      return {
        short: `; incl. ackTimeoutMs ${ACK_TIMEOUT_MS}`,
        long: `; + the Logon answer held ackTimeoutMs ${ACK_TIMEOUT_MS} ms (no replica)`,
      };
    case "forever":
    case "quorum":
      return {
        short: "; incl. restart of the killed node",
        long: "; + restart of the killed node as secondary, its catch-up and ack " +
          "(no replica: the Logon answer waits for it)",
      };
  }
}

/** The report's rows: p50 and max per strategy, or one row saying why it was not measured. */
export function failoverRows(results: readonly FailoverResult[]): Row[] {
  const rows: Row[] = [];
  for (const r of results) {
    const name = r.strategy === "quorum" ? "quorum (1 replica)" : r.strategy;
    // Never and timeout need no replica to answer the Logon: the target is the failover path
    // itself, plus the configured hold for timeout. Forever and quorum include a restart.
    const target = r.strategy === "never"
      ? { on: "figure" as const, max: 500 }
      : r.strategy === "timeout"
      ? { on: "figure" as const, max: 500 + ACK_TIMEOUT_MS }
      : undefined;
    if (r.error !== undefined) {
      rows.push(failedRow(
        SECTION,
        `failover SIGKILL->logon, ack ${name}`,
        "ms",
        `after ${r.samples.length} kill(s): ${r.error}`,
        target,
      ));
    }
    if (r.samples.length === 0) continue;
    const logon = r.samples.map((s) => s.logonMs).sort((a, b) => a - b);
    const parts = `median parts: promoted at ${
      median(r.samples.map((s) => s.promotedMs)).toFixed(0)
    } ms, ` +
      `Logon received at ${median(r.samples.map((s) => s.logonReceivedMs)).toFixed(0)} ms`;
    for (const [p, v] of [["p50", median(logon)], ["max", logon.at(-1)!]] as const) {
      rows.push(row({
        section: SECTION,
        figure: `failover SIGKILL->logon ${p}, ack ${name} (${logon.length} kills${
          includes(r.strategy).short
        })`,
        value: v,
        unit: "ms",
        floorName: "initiator reconnect delay",
        floorValue: RECONNECT_DELAY_MS,
        ...(target === undefined ? {} : { target }),
        note: `auto-promote after ${AUTO_PROMOTE_AFTER_MS} ms${
          includes(r.strategy).long
        }; ${parts}`,
      }));
    }
  }
  return rows;
}

if (import.meta.main) {
  const arg = (name: string) => {
    const i = Deno.args.indexOf(name);
    return i >= 0 ? Deno.args[i + 1] : undefined;
  };
  const kills = arg("--kills");
  const strategies = arg("--strategies")?.split(",") as FailoverStrategy[] | undefined;
  const results = await runFailoverBench({
    ...(kills === undefined ? {} : { kills: Number(kills) }),
    ...(strategies === undefined ? {} : { strategies }),
  });
  for (const r of results) {
    console.log(`ack ${r.strategy}:${r.error === undefined ? "" : ` FAILED: ${r.error}`}`);
    for (const s of r.samples) {
      console.log(
        `  logon ${s.logonMs.toFixed(0)} ms (promoted ${s.promotedMs.toFixed(0)} ms, ` +
          `Logon received ${s.logonReceivedMs.toFixed(0)} ms)`,
      );
    }
  }
  for (const r of failoverRows(results)) {
    console.log(
      `${r.figure}: ${Number.isNaN(r.value) ? "-" : r.value.toFixed(0)} ${r.unit}` +
        (r.note ? ` — ${r.note}` : ""),
    );
  }
}
