/**
 * Application continuity on a replicated gateway: a gateway pair under
 * `forever` whose session runs a custom application (`hedger`, in
 * `_gateway_hedger.ts`: two hedge orders for every fill the venue reports),
 * in front of a real QuickFIX C++ venue. The leader dies while its
 * application's answer to one fill is half replicated: the secondary holds the
 * fill and the first hedge order, not the second one nor the cursor that
 * closes the run. The promoted secondary must void that first hedge (the venue
 * never saw it: `forever` held it back) and hand the fill to its own copy of
 * the application before it connects out, so that the venue receives both
 * hedges exactly once, with continuous sequence numbers.
 *
 * A {@linkcode RunCuttingRelay} in front of the primary's replication port
 * makes the cut deterministic: it forwards the primary's records up to and
 * including the first outbound message of the run that answers the marked
 * fill, then forwards nothing more.
 *
 * @module
 */

import { assert, assertEquals } from "../lib/testing/assert.ts";
import { decodeAppCursor, RecordKind } from "../lib/journal/mod.ts";
import { encodeFrame, FrameDecoder, type ReplicatedRecord } from "../lib/replication/protocol.ts";
import { ensureQfPeer, startQfAcceptor } from "./interop/_peer.ts";
import {
  admin,
  freePorts,
  isStreaming,
  type NodeName,
  type NodePorts,
  NodeProcess,
  status,
  waitUntil,
} from "./_failover_cluster.ts";
import {
  assertVenueHistoryClean,
  gatewayPairYaml,
  gatewaySession,
  sendOrder,
  waitLoggedOn,
} from "./_gateway_ha.ts";

const build = await ensureQfPeer();
const ignore = !build.ok;
if (!build.ok) {
  console.error(`gateway_app_failover_test: QuickFIX peer not available: ${build.reason}`);
}

const HEDGER_MAIN = new URL("./_gateway_hedger.ts", import.meta.url).pathname;
const MARK = "GW-MARK";
const encoder = new TextEncoder();

/** Whether `bytes` contains `needle`. */
function contains(bytes: Uint8Array, needle: Uint8Array): boolean {
  outer: for (let i = 0; i + needle.length <= bytes.length; i++) {
    for (let k = 0; k < needle.length; k++) if (bytes[i + k] !== needle[k]) continue outer;
    return true;
  }
  return false;
}

/**
 * A relay in front of a leader's replication port that passes every frame
 * until the leader streams the fill of order {@linkcode MARK}; from then on it
 * passes records only up to the first outbound message after the "begin"
 * application cursor of that fill's run, and then nothing more (new
 * connections are closed at once).
 */
class RunCuttingRelay implements AsyncDisposable {
  readonly port: number;
  /** Index of the last record passed once the cut happened. */
  cutAfterIndex: number | undefined;
  readonly #listener: Deno.TcpListener;
  readonly #target: number;
  readonly #conns = new Set<Deno.TcpConn>();
  readonly #loop: Promise<void>;
  /** 0: looking for the fill, 1: for its begin cursor, 2: for the first answer. */
  #stage = 0;

  constructor(targetPort: number) {
    this.#target = targetPort;
    this.#listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    this.port = (this.#listener.addr as Deno.NetAddr).port;
    this.#loop = this.#accept();
  }

  async #accept(): Promise<void> {
    try {
      for await (const follower of this.#listener) {
        if (this.cutAfterIndex !== undefined) {
          follower.close();
          continue;
        }
        void this.#pipe(follower);
      }
    } catch {
      // listener closed
    }
  }

  async #pipe(follower: Deno.TcpConn): Promise<void> {
    let leader: Deno.TcpConn;
    try {
      leader = await Deno.connect({ hostname: "127.0.0.1", port: this.#target });
    } catch {
      follower.close();
      return;
    }
    this.#conns.add(follower);
    this.#conns.add(leader);
    const up = async () => {
      const buf = new Uint8Array(16 * 1024);
      try {
        for (let n = await follower.read(buf); n !== null; n = await follower.read(buf)) {
          if (this.cutAfterIndex !== undefined) continue;
          for (let o = 0; o < n;) o += await leader.write(buf.subarray(o, n));
        }
      } catch { /* closed */ }
    };
    const down = async () => {
      const buf = new Uint8Array(64 * 1024);
      let pending = new Uint8Array(0);
      try {
        for (let n = await leader.read(buf); n !== null; n = await leader.read(buf)) {
          const all = new Uint8Array(pending.length + n);
          all.set(pending);
          all.set(buf.subarray(0, n), pending.length);
          let at = 0;
          while (all.length - at >= 4) {
            const len = new DataView(all.buffer, all.byteOffset + at).getUint32(0);
            if (all.length - at < 4 + len) break;
            const frame = all.subarray(at, at + 4 + len);
            at += 4 + len;
            const out = this.#filter(frame);
            for (let o = 0; out !== undefined && o < out.length;) {
              o += await follower.write(out.subarray(o));
            }
          }
          pending = all.slice(at);
        }
      } catch { /* closed */ }
    };
    await Promise.all([up(), down()]);
    this.#close(follower);
    this.#close(leader);
  }

  /** The bytes to pass for one frame from the leader (undefined: none). */
  #filter(frame: Uint8Array): Uint8Array | undefined {
    if (this.cutAfterIndex !== undefined) return undefined;
    const decoder = new FrameDecoder();
    decoder.push(frame);
    const r = decoder.next();
    if (r?.kind !== "message" || r.message.type !== "records") return frame;
    const records = r.message.records;
    const cut = this.#cutAt(records);
    if (cut === undefined) return frame;
    this.cutAfterIndex = records[cut]!.index;
    return encodeFrame({ type: "records", records: records.slice(0, cut + 1) });
  }

  /** Position in `records` of the record after which to cut, if it is in this batch. */
  #cutAt(records: readonly ReplicatedRecord[]): number | undefined {
    const fill = encoder.encode(`\x0111=${MARK}\x01`);
    const filled = encoder.encode("\x0139=2\x01");
    for (let i = 0; i < records.length; i++) {
      const rec = records[i]!;
      if (this.#stage === 0) {
        if (
          rec.kind === RecordKind.Inbound && contains(rec.payload, fill) &&
          contains(rec.payload, filled)
        ) {
          this.#stage = 1;
        }
      } else if (this.#stage === 1) {
        if (
          rec.kind === RecordKind.AppCursor &&
          decodeAppCursor(rec.payload).name.startsWith("begin:")
        ) {
          this.#stage = 2;
        }
      } else if (rec.kind === RecordKind.Outbound) {
        return i;
      }
    }
    return undefined;
  }

  #close(c: Deno.TcpConn): void {
    this.#conns.delete(c);
    try {
      c.close();
    } catch { /* closed */ }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.cutAfterIndex ??= 0;
    this.#listener.close();
    for (const c of [...this.#conns]) this.#close(c);
    await this.#loop;
  }
}

/** A gateway node running the hedger, as `ha`, following `peerPort` when secondary. */
async function startGateway(
  dir: string,
  name: NodeName,
  ha: "primary" | "secondary",
  ports: NodePorts,
  peerPort: number,
  venuePort: number,
): Promise<NodeProcess> {
  const path = `${dir}/${name}-${ha}-${Date.now()}.yaml`;
  const yaml = gatewayPairYaml(name, ha, `${dir}/${name}-data`, ports, peerPort, venuePort, {
    ackStrategy: "forever",
    heartbeatIntervalMs: 1000,
  });
  assert(yaml.includes("application: api"), "the pair's YAML names its application");
  await Deno.writeTextFile(path, yaml.replace("application: api", "application: hedger"));
  const p = new NodeProcess(
    name,
    ["run", "--config", path],
    Deno.env.get("FAILOVER_DEBUG") !== undefined,
    HEDGER_MAIN,
  );
  await p.waitFor("node started", 60_000);
  if (ha === "secondary") await waitUntil(() => isStreaming(ports.admin), `${name} streaming`);
  return p;
}

/** `journal.lastIndex` of the node on `adminPort` (0 when unreachable). */
async function lastIndex(adminPort: number): Promise<number> {
  const s = await status(adminPort);
  return Number((s?.journal as { lastIndex?: number } | undefined)?.lastIndex ?? 0);
}

Deno.test({
  name:
    "gateway pair under forever: a fill whose hedges the dead leader half replicated is hedged exactly once by the promoted secondary, with continuous sequence numbers at the venue",
  ignore,
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "tandem-gwapp-" });
    const procs: NodeProcess[] = [];
    try {
      await using venue = await startQfAcceptor({
        dataDir: `${dir}/venue`,
        senderCompId: "VENUE",
        targetCompId: "TANDEM",
        heartbeatIntervalS: 30,
      });
      const p = freePorts(6);
      const ports: Record<NodeName, NodePorts> = {
        a: { fix: p[0]!, admin: p[1]!, replication: p[2]! },
        b: { fix: p[3]!, admin: p[4]!, replication: p[5]! },
      };
      await using relay = new RunCuttingRelay(ports.a.replication);
      const a = await startGateway(dir, "a", "primary", ports.a, ports.b.replication, venue.port);
      procs.push(a);
      procs.push(await startGateway(dir, "b", "secondary", ports.b, relay.port, venue.port));
      await waitLoggedOn(ports.a.admin);

      // Three orders, each filled and hedged twice, all through the relay.
      for (const id of ["GW-1", "GW-2", "GW-3"]) await sendOrder(ports.a.fix, id);
      // Logon + 9 orders × (New, Filled).
      await waitUntil(
        async () => Number((await gatewaySession(ports.a.admin))?.nextTargetSeqNum) >= 20,
        "three orders and their hedges filled",
      );
      assertEquals(relay.cutAfterIndex, undefined);

      // The marked order: its fill reaches b with only the first of its two hedges.
      await sendOrder(ports.a.fix, MARK);
      await waitUntil(() => relay.cutAfterIndex !== undefined, "the hedging run cut");
      await waitUntil(
        async () => (await lastIndex(ports.b.admin)) >= relay.cutAfterIndex!,
        "b holds the records up to the cut",
      );
      a.child.kill("SIGKILL");
      await a.status;
      await venue.waitForEvent("disconnect");

      const promoted = await admin(ports.b.admin, "/promote", "POST");
      assertEquals(promoted?.status, 200, promoted?.body);
      // Under forever the new leader releases nothing until a replica has it: a rejoins.
      procs.push(
        await startGateway(dir, "a", "secondary", ports.a, ports.b.replication, venue.port),
      );
      await waitLoggedOn(ports.b.admin);
      await sendOrder(ports.b.fix, "GW-4");
      // 5 orders and 10 hedges, a New and a Filled each, and two Logons: 32 from the venue.
      await waitUntil(
        async () => Number((await gatewaySession(ports.b.admin))?.nextTargetSeqNum) >= 33,
        "every order after the failover filled",
        60_000,
      );
      const ours = await gatewaySession(ports.b.admin);
      const summary = await venue.stop();
      assert(summary.ok, `${summary.reason} ${JSON.stringify(summary)}`);
      assertEquals(
        [summary.ordersReceived, summary.duplicates, summary.logons],
        [15, 0, 2],
        JSON.stringify(summary),
      );
      // The venue asked for what it lacked: a GapFill over the voided first hedge, then both
      // hedges of the replayed fill as PossDup resends; nothing rejected.
      const s = summary;
      assert(s.resendRequestsSent >= 1 && s.sequenceResetsSeen >= 1, JSON.stringify(s));
      assert(s.possDupReceived >= 2 && s.rejectsSent === 0, JSON.stringify(s));
      assertVenueHistoryClean(venue.events);
      assert(summary.nextTargetSeq >= Number(ours?.nextSenderSeqNum), JSON.stringify(summary));
      const recovered = procs[1]!.lines.find((l) =>
        l.includes("finishing application work left by the previous primary")
      );
      assert(recovered?.includes('"replayed":1'), recovered);
      assert(/"voidedSeqNums":\[\d+\]/.test(recovered ?? ""), recovered);
    } finally {
      for (const proc of procs) await proc[Symbol.asyncDispose]();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
