/**
 * A highly available gateway under repeated SIGKILLs of its leader (issue 16).
 *
 * Real processes: gateway members (`role: initiator`, a static pair or a 3-member etcd cluster,
 * `ackStrategy: forever`) in front of a QuickFIX C++ acceptor (`tests/interop/build/qfpeer`).
 * An application ({@linkcode GatewayHaClient}) streams NewOrderSingle through the members' API
 * with retries (same client id = ClOrdID on every retry) and reads the execution stream, resuming
 * on another member by journal index. Meanwhile the leader is SIGKILLed at random moments, ten
 * times or more. Then:
 *
 * - every order reached the venue exactly once (QuickFIX counts ClOrdIDs: none twice, one per
 *   order the application sent);
 * - every execution reached the application exactly once, by journal index (no index twice, none
 *   missing against a fresh read of every member's journal) and by ExecID (one per ExecID the
 *   venue issued);
 * - the venue's sequence numbers stayed continuous: no "MsgSeqNum too low", no SequenceReset
 *   other than GapFill, no ResetSeqNumFlag Logon, no reject, and the numbers agree at the end;
 * - the venue never saw two Logons without a disconnect between them.
 *
 * The random choices come from a seed printed at the start (`GATEWAY_HA_SEED=n` replays one).
 * Needs g++ and libquickfix-dev (`.ci/install_interop.sh`), and etcd for the cluster; without
 * them the tests are ignored with the reason printed.
 */

import { assert, assertEquals, assertMatch } from "../lib/testing/assert.ts";
import { etcdInstalled } from "../lib/testing/etcd_server.ts";
import { Journal, RecordKind } from "../lib/journal/mod.ts";
import { decodeMessage } from "../lib/fix/message.ts";
import { GatewayHaClient, readStream } from "../lib/demo/_gateway_ha_client.ts";
import { ensureQfPeer, type QfAcceptorSummary, startQfAcceptor } from "./interop/_peer.ts";
import {
  GATEWAY_COMP_ID,
  GATEWAY_SESSION,
  GatewayHa,
  seededRandom,
  VENUE_COMP_ID,
} from "./_gateway_ha_chaos.ts";
import { exitWithin, freePorts, waitUntil } from "./_failover_cluster.ts";
import { TandemProcess, writeGatewayYaml } from "./_gateway_process.ts";

const build = await ensureQfPeer();
if (!build.ok) console.error(`gateway HA tests ignored: ${build.reason}`);

/** SIGKILLs of the leader per test. */
const KILLS = 10;
/** Concurrent sends of the application. */
const CONCURRENT_SENDS = 4;

/**
 * Index → message text (as the API stream gives it) of the received application messages in
 * the journal at `dataDir` up to `lastIndex`, read from its files (the member keeps running).
 */
async function receivedInJournal(dataDir: string, lastIndex: number): Promise<Map<number, string>> {
  await using j = await Journal.open(dataDir, { readOnly: true });
  const out = new Map<number, string>();
  for (let i = j.firstIndex; i <= Math.min(lastIndex, j.lastIndex); i++) {
    const r = j.read(i);
    if (r?.kind !== RecordKind.Inbound) continue;
    const m = decodeMessage(r.payload);
    if (!ADMIN_MSG_TYPES.has(m.msgType)) out.set(i, m.toString());
  }
  return out;
}

const ADMIN_MSG_TYPES = new Set(["0", "1", "2", "3", "4", "5", "A"]);

interface ChaosReport {
  orders: number;
  failoverMs: number[];
  venue: QfAcceptorSummary;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
}

async function chaos(
  coordination: "static" | "etcd",
): Promise<ChaosReport> {
  const seed = Number(Deno.env.get("GATEWAY_HA_SEED") ?? Math.floor(Math.random() * 2 ** 31));
  const random = seededRandom(seed);
  console.log(
    `gateway HA chaos (${coordination}): seed ${seed} (GATEWAY_HA_SEED=${seed} replays it)`,
  );
  const dir = await Deno.makeTempDir({ prefix: "tandem-gateway-chaos-" });
  try {
    await using venue = await startQfAcceptor({
      dataDir: `${dir}/venue`,
      senderCompId: VENUE_COMP_ID,
      targetCompId: GATEWAY_COMP_ID,
    });
    await using gw = await GatewayHa.create({
      coordination,
      members: coordination === "static" ? 2 : 3,
      venuePort: venue.port,
      ackStrategy: "forever",
      // Ten heartbeats: a loaded machine must not promote a live leader's follower.
      autoPromoteAfterMs: 1_000,
      minInSync: 2,
    });
    if (coordination === "static") {
      await gw.start(0, "primary");
      await gw.start(1, "secondary");
    } else {
      await Promise.all([gw.start(0), gw.start(1), gw.start(2)]);
    }
    const first = await gw.leader();
    for (const i of gw.alive) {
      if (i !== first) await gw.waitCaughtUp(i, first);
    }
    await venue.waitForEvent("logon", 1);

    await using client = new GatewayHaClient({
      apiUrls: gw.apiUrls,
      session: GATEWAY_SESSION,
      ...(Deno.env.get("FAILOVER_DEBUG")
        ? { onEvent: (l: string) => console.error(`[app] ${l}`) }
        : {}),
    });
    client.startStream();
    let acked = 0;
    let stopAt = Infinity;
    let n = 0;
    const ids = function* (): Generator<string> {
      while (acked < stopAt) yield `ORD-${++n}`;
    };
    const producing = client.sendOrders(ids(), CONCURRENT_SENDS, undefined, () => acked++);
    let producerError: unknown;
    producing.catch((e) => (producerError = e));
    const progress = async (target: number, what: string) =>
      await waitUntil(
        () => {
          if (producerError !== undefined) throw producerError;
          return acked >= target;
        },
        what,
        90_000,
      );

    const failoverMs: number[] = [];
    let dead = -1; // cluster: a member left dead while two remain
    for (let k = 1; k <= KILLS; k++) {
      await progress(acked + 5 + Math.floor(random() * 30), `orders before kill ${k}`);
      let leader = await gw.leader();
      if (dead >= 0) {
        // Two remain: bring the third back (in sync) before the next kill leaves one.
        await gw.start(dead);
        await gw.waitCaughtUp(dead, leader);
        dead = -1;
        leader = await gw.leader();
      }
      await sleep(Math.floor(random() * 200));
      const victim = await gw.leader();
      const logonsBefore = venue.events.filter((e) => e.event === "logon").length;
      const t0 = Date.now();
      await gw.kill(victim);
      if (coordination === "static") {
        // The killed node comes back as the follower of the other (under `forever` the promoted
        // node releases nothing until it has a replica again).
        await gw.start(victim, "secondary");
      }
      const next = await gw.leader(90_000, victim);
      await venue.waitForEvent("logon", logonsBefore + 1);
      failoverMs.push(Date.now() - t0);
      if (coordination === "static" || random() < 0.5) {
        if (coordination === "etcd") await gw.start(victim);
        await gw.waitCaughtUp(victim, next);
      } else {
        dead = victim;
      }
    }
    stopAt = acked + 30;
    await producing;
    if (dead >= 0) await gw.start(dead);
    await client.waitFor(
      () => client.filledOrders === client.orders.size,
      "every order filled",
      90_000,
    );
    const leader = await gw.leader();

    // The journal, read fresh from every member, is exactly what the resumed stream delivered:
    // through its stream, or, for a cluster's follower (which refuses to stream: it may hold
    // records past the leader's commit point), from its journal files.
    for (const i of gw.alive) {
      await waitUntil(
        async () => (await gw.lastIndex(i)) >= client.lastIndex,
        `member ${i} caught up`,
      );
      let journal: Map<number, string>;
      if (coordination === "etcd" && i !== leader) {
        const refused = await fetch(`${gw.apiUrls[i]!}/stream?from=1`, {
          headers: { upgrade: "websocket" },
        });
        assertEquals(refused.status, 503, `member ${gw.names[i]} streams as a follower`);
        await refused.body?.cancel();
        journal = await receivedInJournal(gw.dataDir(i), client.lastIndex);
      } else {
        journal = await readStream(gw.apiUrls[i]!, client.lastIndex);
      }
      assertEquals(client.compareStreamed(journal).slice(0, 10), [], `member ${gw.names[i]}`);
    }
    const before = await gw.session(leader);
    const venueSummary = await venue.stop();
    // After the venue's Logout exchange both sides name the same next numbers.
    await waitUntil(
      async () => {
        const s = await gw.session(leader);
        return s?.nextSenderSeqNum === venueSummary.nextTargetSeq &&
          s.nextTargetSeqNum === venueSummary.nextSenderSeq;
      },
      `gateway numbers (${JSON.stringify(before)}) to agree with the venue's ${
        JSON.stringify(venueSummary)
      }`,
      15_000,
    );

    const orders = client.orders.size;
    assertEquals(client.problems, [], "stream problems");
    assertEquals(client.incompleteOrders(), []);
    assertEquals(client.sent.size, orders);
    // Orders: each exactly once at the venue.
    assert(venueSummary.ok, `venue: ${venueSummary.reason}`);
    assertEquals(venueSummary.duplicates, 0);
    assertEquals(venueSummary.ordersReceived, orders);
    // Executions: each exactly once at the application, by index and by ExecID.
    assertEquals(client.executions.size, 2 * orders);
    assertEquals(client.execIds.size, venueSummary.execsSent);
    // Sequence numbers: continuous on the venue's side, never reset by hand.
    assertEquals(venueSummary.seqTooLow, 0, venueSummary.seqTooLowText);
    assertEquals(venueSummary.hardSequenceResetsSeen, 0);
    assertEquals(venueSummary.resetLogonsSeen, 0);
    assertEquals(venueSummary.rejectsSeen + venueSummary.rejectsSent, 0);
    // One venue session at a time: a Logon only after the previous connection ended.
    const kinds = venue.events.map((e) => e.event);
    for (let i = 1; i < kinds.length; i++) {
      assert(!(kinds[i] === "logon" && kinds[i - 1] === "logon"), `two logons: ${kinds.join(",")}`);
    }
    assert(venueSummary.logons >= KILLS + 1, `${venueSummary.logons} logons for ${KILLS} kills`);
    console.log(
      `gateway HA chaos (${coordination}): ${orders} orders, ${KILLS} SIGKILLs of the leader, ` +
        `kill → venue logon min ${Math.min(...failoverMs)} / median ${median(failoverMs)} / max ${
          Math.max(...failoverMs)
        } ms; application: ${client.retries} retries, ${client.redirects} redirects, ` +
        `${client.duplicateAnswers} duplicate answers, ${client.streamResumes} stream resumptions; ` +
        `venue: ${venueSummary.logons} logons, ${venueSummary.resendRequestsSent} resend requests sent, ` +
        `${venueSummary.possDupReceived} PossDup received, ${venueSummary.gapFillsSeen} gap fills`,
    );
    return { orders, failoverMs, venue: venueSummary };
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

Deno.test({
  name:
    "gateway pair (static, forever): 10 SIGKILLs of the leader, every order at the venue once, every execution at the application once, venue numbers continuous",
  ignore: !build.ok,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await chaos("static");
  },
});

Deno.test({
  name:
    "gateway cluster (3 members, etcd, forever): 10 SIGKILLs of the leader, every order at the venue once, every execution at the application once, venue numbers continuous",
  ignore: !build.ok || !etcdInstalled(),
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await chaos("etcd");
  },
});

Deno.test({
  name:
    "venue check: a gateway replaced by one with an empty data directory is refused with MsgSeqNum too low (what the HA gateway prevents)",
  ignore: !build.ok,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "tandem-gateway-lost-" });
    try {
      await using venue = await startQfAcceptor({
        dataDir: `${dir}/venue`,
        senderCompId: VENUE_COMP_ID,
        targetCompId: GATEWAY_COMP_ID,
      });
      const session = {
        sender: GATEWAY_COMP_ID,
        target: VENUE_COMP_ID,
        application: "api" as const,
        connect: { addresses: [`127.0.0.1:${venue.port}`] },
      };
      const [apiPort] = freePorts(1);
      await Deno.mkdir(`${dir}/first`);
      await Deno.mkdir(`${dir}/replacement`);
      {
        await using gw = new TandemProcess(
          "gateway",
          await writeGatewayYaml(`${dir}/first`, apiPort!, [session]),
        );
        await venue.waitForEvent("logon");
        await using client = new GatewayHaClient({
          apiUrls: [`http://127.0.0.1:${apiPort}`],
          session: GATEWAY_SESSION,
        });
        client.startStream();
        await client.sendOrders(["A-1", "A-2", "A-3"], 1);
        await client.waitFor(() => client.filledOrders === 3, "3 fills");
        await gw.crash();
      }
      // The replacement starts from nothing: it logs on with MsgSeqNum 1.
      await using replacement = new TandemProcess(
        "replacement gateway",
        await writeGatewayYaml(`${dir}/replacement`, apiPort!, [session]),
      );
      await replacement.waitFor("MsgSeqNum too low");
      const summary = await venue.stop();
      assert(summary.seqTooLow >= 1, JSON.stringify(summary));
      assertMatch(summary.seqTooLowText, /MsgSeqNum too low, expecting \d+ but received 1/);
      assertEquals(summary.logons, 1);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "a gateway leader under forever whose follower is gone still stops on SIGINT within the logout timeout",
  ignore: !build.ok,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "tandem-gateway-stop-" });
    try {
      await using venue = await startQfAcceptor({
        dataDir: `${dir}/venue`,
        senderCompId: VENUE_COMP_ID,
        targetCompId: GATEWAY_COMP_ID,
      });
      await using gw = await GatewayHa.create({
        coordination: "static",
        members: 2,
        venuePort: venue.port,
        ackStrategy: "forever",
      });
      const leader = await gw.start(0, "primary");
      await gw.start(1, "secondary");
      await gw.leader();
      await gw.kill(1);
      // Its Logout to the venue now waits for an ack that cannot come: the default logout
      // timeout (2 s) bounds the wait, then what is held back is cancelled.
      leader.kill("SIGINT");
      const exit = await exitWithin(leader, 10_000);
      assertEquals(exit.code, 0, leader.lines.slice(-10).join("\n"));
    } finally {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});
