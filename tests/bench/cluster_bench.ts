/**
 * Cluster-mode benchmarks (`coordination.kind: etcd`), on the harness of
 * `tests/cluster_test.ts`: a real etcd on loopback and three `main.ts`
 * members (`ackStrategy: forever`, `minInSync: 2`, lease
 * {@linkcode LEASE_TTL_MS} ms), measured by the test's `OrderClient` (a real
 * Tandem initiator given every member's FIX port):
 *
 * - failover on process death: SIGKILL of the leader → the initiator logged
 *   on to the new leader; the killed member is restarted and back in the
 *   in-sync set before the next kill; p50 and max over every kill.
 * - hung host: SIGSTOP of the leader → another member accepts logons (polled
 *   on its admin `/status`; the counterparty itself notices a frozen peer
 *   only by its heartbeats), beside the lease time to live (a frozen leader
 *   is replaced only once its lease expired).
 * - replicated round trip NewOrderSingle → first ExecutionReport through the
 *   leader of 3 members (every report waits for both in-sync followers) and,
 *   for proportion, of 2 members on the same harness; each beside its floor,
 *   a raw relay of plain Deno processes sampled in interleaved blocks: client
 *   → leader → every follower (echo) → leader, which answers once all
 *   followers echoed → client, with the same 200-byte message. (The `ha`
 *   section measures the classic pair, journal `always`, its own initiator.)
 *
 * Figures are reported, never asserted. Without `/usr/bin/etcd` the section
 * is one row saying so. Run alone: `./denow run -A tests/bench/cluster_bench.ts
 * [--kills N]`; `deno task bench` calls {@linkcode runClusterBench}. A relay child
 * is this file run with `--serve echo` or `--serve leader --followers P,P`.
 *
 * @module
 */

import { etcdInstalled } from "../../lib/testing/etcd_server.ts";
import { EtcdCluster } from "../_cluster.ts";
import { OrderClient } from "../_failover_client.ts";
import { status, waitUntil } from "../_failover_cluster.ts";
import { ORDER } from "./codec_bench.ts";
import {
  failedRow,
  median,
  percentile,
  rawRoundTrips,
  type Row,
  row,
  spawnChild,
  WARMUP_ROUND_TRIPS,
} from "./_stats.ts";

const SELF = new URL(import.meta.url).pathname;

/** Lease time to live of the members. */
export const LEASE_TTL_MS = 2_000;
/** The initiator's reconnect delay, the floor of any failover time. */
export const RECONNECT_DELAY_MS = 50;

/** Options for {@linkcode runClusterBench}. */
export interface ClusterBenchOptions {
  /** SIGKILLs of the leader measured. Default 10. */
  readonly kills?: number;
  /** SIGSTOPs of the leader measured. Default 3. */
  readonly stops?: number;
  /** Round trips measured (after {@linkcode WARMUP_ROUND_TRIPS} of warm-up). Default 2000. */
  readonly samples?: number;
}

const SECTION = "cluster";
/** Round trips per interleaved block (relay, then FIX). */
const BLOCK = 250;

// ---- relay children ---------------------------------------------------------

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  for (let o = 0; o < bytes.length;) o += await conn.write(bytes.subarray(o));
}

async function serveEcho(): Promise<void> {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  console.log((listener.addr as Deno.NetAddr).port);
  for await (const conn of listener) {
    conn.setNoDelay(true);
    (async () => {
      const buf = new Uint8Array(65536);
      try {
        for (let n = await conn.read(buf); n !== null; n = await conn.read(buf)) {
          await writeAll(conn, buf.subarray(0, n));
        }
      } catch { /* closed */ }
    })();
  }
}

/** Forwards the client's bytes to every follower; answers as many bytes as all have echoed. */
async function serveLeader(followers: readonly number[]): Promise<void> {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  console.log((listener.addr as Deno.NetAddr).port);
  for await (const client of listener) {
    client.setNoDelay(true);
    const links = await Promise.all(
      followers.map((port) => Deno.connect({ hostname: "127.0.0.1", port })),
    );
    const echoed = links.map(() => 0);
    let answered = 0;
    links.forEach((link, k) => {
      link.setNoDelay(true);
      (async () => {
        const buf = new Uint8Array(65536);
        try {
          for (let n = await link.read(buf); n !== null; n = await link.read(buf)) {
            echoed[k]! += n;
            const all = Math.min(...echoed);
            if (all > answered) {
              const bytes = buf.slice(0, all - answered); // only the count matters to the client
              answered = all;
              await writeAll(client, bytes);
            }
          }
        } catch { /* closed */ }
      })();
    });
    (async () => {
      const buf = new Uint8Array(65536);
      try {
        for (let n = await client.read(buf); n !== null; n = await client.read(buf)) {
          const bytes = buf.slice(0, n);
          await Promise.all(links.map((l) => writeAll(l, bytes)));
        }
      } catch { /* closed */ }
    })();
  }
}

/** Runs the cluster figures; returns the report's rows. */
export async function runClusterBench(options: ClusterBenchOptions = {}): Promise<Row[]> {
  if (!etcdInstalled()) {
    return [failedRow(SECTION, "cluster figures", "ms", "etcd not installed")];
  }
  const kills = options.kills ?? 10;
  const stops = options.stops ?? 3;
  const samples = options.samples ?? 2000;
  const rows: Row[] = [];
  const message = (e: unknown) => (e instanceof Error ? e.message : String(e));
  await using echo1 = await spawnChild(SELF, ["--serve", "echo"]);
  await using echo2 = await spawnChild(SELF, ["--serve", "echo"]);
  await using fanOut2 = await spawnChild(SELF, [
    "--serve",
    "leader",
    "--followers",
    `${echo1.firstLine},${echo2.firstLine}`,
  ]);
  await using fanOut1 = await spawnChild(SELF, [
    "--serve",
    "leader",
    "--followers",
    echo1.firstLine,
  ]);
  // 2 members first (round trip only), then 3 (round trip, then the failovers).
  for (const nodes of [2, 3] as const) {
    const relayChild = nodes === 3 ? fanOut2 : fanOut1;
    using relay = await Deno.connect({ hostname: "127.0.0.1", port: Number(relayChild.firstLine) });
    relay.setNoDelay(true);
    await using c = await EtcdCluster.create({
      nodes,
      ackStrategy: "forever",
      minInSync: 2,
      maxLagMs: 1_000,
      leaseTtlMs: LEASE_TTL_MS,
    });
    await Promise.all(Array.from({ length: nodes }, (_, i) => c.start(i)));
    let lastLogonAtMs = 0;
    await using client = await OrderClient.start({
      ports: c.fixPorts,
      reconnectDelayMs: RECONNECT_DELAY_MS,
      onLogon: () => lastLogonAtMs = performance.now(),
    });
    await client.until(() => client.loggedOn, "first logon");
    const allInSync = async () => {
      const leader = await c.leader();
      await waitUntil(
        async () => (await c.inSync(leader)).length === nodes,
        `${nodes} members in sync`,
      );
    };
    await allInSync();
    const fixRoundTrips = async (n: number, out: number[]) => {
      for (let i = 0; i < n; i++) {
        const t0 = performance.now();
        const id = client.sendOrder();
        await client.until(() => (client.orders.get(id)?.fresh ?? 0) > 0, "an ExecutionReport");
        out.push(performance.now() - t0);
        await client.until(() => (client.orders.get(id)?.filled ?? 0) > 0, "the fill");
      }
    };
    try {
      await rawRoundTrips(relay, ORDER, WARMUP_ROUND_TRIPS, [], "Relay");
      await fixRoundTrips(WARMUP_ROUND_TRIPS, []);
      const fixMs: number[] = [];
      const relayMs: number[] = [];
      for (let done = 0; done < samples; done += BLOCK) {
        await rawRoundTrips(relay, ORDER, BLOCK, relayMs, "Relay");
        await fixRoundTrips(BLOCK, fixMs);
      }
      fixMs.sort((a, b) => a - b);
      relayMs.sort((a, b) => a - b);
      for (const [p, q] of [["p50", 0.5], ["p99", 0.99]] as const) {
        rows.push(row({
          section: SECTION,
          figure: `replicated round trip ${p}, ${nodes} members, ack forever`,
          value: percentile(fixMs, q) * 1000,
          unit: "us",
          floorName: `raw relay to ${nodes - 1} follower${nodes > 2 ? "s" : ""}, ${p}`,
          floorValue: percentile(relayMs, q) * 1000,
          note: `${fixMs.length} samples; journal syncPolicy none`,
        }));
      }
    } catch (e) {
      rows.push(failedRow(SECTION, `replicated round trip, ${nodes} members`, "us", message(e)));
    }
    if (nodes === 2) continue;

    // Failover on process death.
    const killMs: number[] = [];
    try {
      for (let k = 0; k < kills; k++) {
        const leader = await c.leader();
        const logons = client.logons;
        const t0 = performance.now();
        c.procs[leader]!.kill("SIGKILL");
        await c.kill(leader);
        await client.until(() => client.logons > logons, "logon to the new leader");
        killMs.push(lastLogonAtMs - t0);
        await c.start(leader);
        await allInSync();
      }
    } catch (e) {
      rows.push(failedRow(SECTION, "failover SIGKILL->logon, 3 members", "ms", message(e)));
    }
    if (killMs.length > 0) {
      const sorted = [...killMs].sort((a, b) => a - b);
      for (const [name, v] of [["p50", median(sorted)], ["max", sorted.at(-1)!]] as const) {
        rows.push(row({
          section: SECTION,
          figure: `failover SIGKILL->logon ${name}, 3 members, forever (${killMs.length} kills)`,
          value: v,
          unit: "ms",
          floorName: "initiator reconnect delay",
          floorValue: RECONNECT_DELAY_MS,
          note: `lease ${LEASE_TTL_MS} ms; the follower revokes a dead leader's lease`,
        }));
      }
    }

    // Hung host: the lease must expire first.
    const stopMs: number[] = [];
    try {
      for (let k = 0; k < stops; k++) {
        const leader = await c.leader();
        const logons = client.logons;
        const t0 = performance.now();
        c.procs[leader]!.kill("SIGSTOP");
        // The client stays connected to the frozen leader until its heartbeats tell: time the
        // election, i.e. until another member accepts logons.
        await waitUntil(
          async () => {
            for (let i = 0; i < 3; i++) {
              if (i === leader) continue;
              const s = await status(c.ports[i]!.admin);
              if (s?.role === "primary" && s.acceptingLogons === true) return true;
            }
            return false;
          },
          "a new leader",
          60_000,
        );
        stopMs.push(performance.now() - t0);
        await c.kill(leader); // SIGCONT then SIGKILL: the client reconnects to the new leader
        await client.until(() => client.logons > logons, "logon to the new leader");
        await c.start(leader);
        await allInSync();
      }
    } catch (e) {
      rows.push(
        failedRow(
          SECTION,
          "hung leader SIGSTOP->new leader accepting, 3 members",
          "ms",
          message(e),
        ),
      );
    }
    if (stopMs.length > 0) {
      const sorted = [...stopMs].sort((a, b) => a - b);
      for (const [name, v] of [["p50", median(sorted)], ["max", sorted.at(-1)!]] as const) {
        rows.push(row({
          section: SECTION,
          figure:
            `hung leader SIGSTOP->new leader accepting ${name}, 3 members (${stopMs.length} stops)`,
          value: v,
          unit: "ms",
          floorName: "leaseTtlMs",
          floorValue: LEASE_TTL_MS,
          note: "replaced once its lease expired (counted from its last renewal, before the stop)",
        }));
      }
    }
  }
  return rows;
}

if (import.meta.main && Deno.args.includes("--serve")) {
  const arg = (name: string) => Deno.args[Deno.args.indexOf(name) + 1];
  if (arg("--serve") === "echo") await serveEcho();
  else await serveLeader((arg("--followers") ?? "").split(",").map(Number));
} else if (import.meta.main) {
  const i = Deno.args.indexOf("--kills");
  const kills = i >= 0 ? Number(Deno.args[i + 1]) : undefined;
  const rows = await runClusterBench(kills === undefined ? {} : { kills });
  for (const r of rows) {
    console.log(
      `${r.figure}: ${Number.isNaN(r.value) ? "-" : r.value.toFixed(1)} ${r.unit}` +
        (r.floorName ? ` (${r.floorName} ${r.floorValue?.toFixed(1)})` : "") +
        (r.note ? ` — ${r.note}` : ""),
    );
  }
}
