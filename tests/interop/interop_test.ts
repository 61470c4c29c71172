/**
 * Tandem ↔ QuickFIX C++ 1.15 interoperability, end to end: Tandem runs from its command line
 * (`main.ts --role … --config … --data-dir …`) in a child process, the counterparty is `qfpeer`
 * (QuickFIX C++, see `README.md` here).
 *
 * - Tandem acceptor (`application: executor`) with a QuickFIX initiator: 10,000 NewOrderSingle /
 *   ExecutionReport pairs on FIX.4.4, 2,000 on FIX.4.2 and on FIXT.1.1/FIX.5.0SP2. The peer drops
 *   the connection once mid-run (`--disconnect-after`) and stores 10 orders while down, so Tandem
 *   must ask for them (ResendRequest) and take them as PossDup resends; the peer logs out cleanly,
 *   and its final sequence numbers must mirror Tandem's (`GET /status` on the admin endpoint).
 * - Tandem initiator (`application: api`) with a QuickFIX acceptor: orders come from Tandem's side
 *   over `POST /sessions/{key}/messages`; ExecutionReports are read from the WebSocket
 *   `GET /stream?from=N` (resumed after restarts) and counted per ClOrdID.
 *   - FIX.4.4, 10,000 orders: after half, QuickFIX is paused (SIGSTOP) while Tandem sends 20 more,
 *     then Tandem is killed with SIGKILL (requests in flight) and QuickFIX resumed: it answers into
 *     the dead connection, so the restarted Tandem (same data directory) must recover those
 *     reports by ResendRequest. Orders whose HTTP request died are never repeated; they must be
 *     answered whole or not at all.
 *   - FIXT.1.1/FIX.5.0SP2, 2,000 orders: QuickFIX drops the connection after half
 *     (`--disconnect-after`); Tandem reconnects by itself, orders refused meanwhile (409) are
 *     retried after its next logon.
 *   Both end with a Logout sent by Tandem (admin `POST /sessions/{key}/logout`) that QuickFIX
 *   answers before exiting; Tandem's sequence numbers after that exchange (from its journal) must
 *   mirror QuickFIX's, and `/status` must report what the journal holds.
 *
 * Ignored, with the reason printed, only when qfpeer cannot be built (no g++ or QuickFIX).
 */

import { assert, assertEquals } from "../../lib/testing/assert.ts";
import {
  ensureQfPeer,
  type QfAcceptorSummary,
  type QfInitiatorSummary,
  runQfInitiator,
  startQfAcceptor,
} from "./_peer.ts";
import {
  ExecReportStream,
  readSessionJournal,
  sendOrders,
  type SendOrdersResult,
  sessionKey,
  startTandem,
  type TandemLogLine,
  type TandemProcess,
  type TandemSessionStatus,
  withTimeout,
} from "./_tandem.ts";

const build = await ensureQfPeer();
if (!build.ok) console.error(`Tandem ↔ QuickFIX interop tests ignored: ${build.reason}`);
const ignore = !build.ok;

/** Orders in the FIX.4.4 runs (both directions). */
const FULL_RUN_ORDERS = 10_000;
/** Orders in the FIX.4.2 and FIXT.1.1 runs. */
const SHORT_RUN_ORDERS = 2_000;
/** Orders Tandem sends while QuickFIX is stopped (SIGSTOP), just before Tandem is killed. */
const ORDERS_WHILE_FROZEN = 20;
/** A reconnect delay longer than any test (the schema's maximum, one hour). */
const NO_RECONNECT_DELAY_MS = 3_600_000;
/** Concurrent HTTP requests the API client keeps in flight. */
const API_CONCURRENCY = 32;

async function withTempDir(f: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "tandem-interop-" });
  try {
    await f(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/**
 * Warnings a forced disconnect legitimately causes: the socket died under a read or write, the
 * initiator's connection ended or a reconnect attempt failed (the counterparty was down).
 */
function isConnectionLoss(line: TandemLogLine): boolean {
  return /(write|read) failed: .*(reset by peer|broken pipe|os error (32|104))/i.test(line.msg) ||
    line.msg === "session ended" && line["failure"] !== undefined ||
    line.msg === "connection attempt failed";
}

/** Fails when Tandem logged an error, or a warning other than the `allowed` ones. */
function assertNoProblems(
  tandem: TandemProcess,
  allowed: (line: TandemLogLine) => boolean = () => false,
): void {
  const problems = tandem.problems().filter((l) => l.level === "error" || !allowed(l));
  assertEquals(
    problems.map((l) => `${l.level}: ${JSON.stringify(l)}`),
    [],
    "Tandem logged unexpected warnings or errors",
  );
}

// ------------------------------------------------------------ Tandem acceptor, QuickFIX initiator

interface AcceptorRun {
  beginString: string;
  defaultApplVerId?: string;
  orders: number;
  disconnectAfter: number;
}

async function tandemAcceptorWithQuickFixInitiator(run: AcceptorRun): Promise<void> {
  await withTempDir(async (dir) => {
    const key = sessionKey(run.beginString, "TANDEM", "CLIENT");
    await using tandem = await startTandem({
      dir,
      role: "acceptor",
      config: {
        sessions: [{
          beginString: run.beginString,
          senderCompId: "TANDEM",
          targetCompId: "CLIENT",
          ...(run.defaultApplVerId ? { defaultApplVerId: run.defaultApplVerId } : {}),
          application: "executor",
        }],
      },
    });
    const init: QfInitiatorSummary = await runQfInitiator({
      dataDir: `${dir}/quickfix`,
      port: tandem.fixPort!,
      beginString: run.beginString,
      ...(run.defaultApplVerId ? { applVerId: run.defaultApplVerId } : {}),
      senderCompId: "CLIENT",
      targetCompId: "TANDEM",
      orders: run.orders,
      disconnectAfterOrders: run.disconnectAfter,
      timeoutS: 60,
    });
    assert(init.ok, `QuickFIX initiator reported an anomaly: ${init.reason}`);
    assertEquals(init.ordersSent, run.orders);
    assertEquals(init.ordersCompleted, run.orders);
    assertEquals(init.execsReceived, 2 * run.orders);
    assertEquals(init.duplicates, 0);
    assertEquals(init.rejectsSeen + init.rejectsSent, 0, "no session-level Reject either way");
    // One forced drop: two logons, the first ended by the drop, the second by the Logout QuickFIX
    // sent and Tandem answered (qfpeer reports ok: false without that answer).
    assertEquals(init.logons, 2);
    // The orders QuickFIX stored while down reached Tandem only through its ResendRequest.
    assert(init.resendRequestsSeen >= 1, "Tandem asked QuickFIX for the orders sent while down");
    assert(init.appMessagesResent >= 1, "QuickFIX resent orders as PossDup");
    // Tandem (its admin endpoint, then its journal) and QuickFIX agree on where the session stands.
    await tandem.waitForLog(
      (l) => l.msg === "session ended" && l["session"] === key && l["reason"] === "Logout",
      "the end of the session by Logout",
    );
    const s = await tandem.session(key);
    assertEquals(s.loggedOn, false);
    assertEquals(
      { nextSenderSeqNum: s.nextSenderSeqNum, nextTargetSeqNum: s.nextTargetSeqNum },
      { nextSenderSeqNum: init.nextTargetSeq, nextTargetSeqNum: init.nextSenderSeq },
      "Tandem's next sequence numbers mirror QuickFIX's",
    );
    const exit = await tandem.stop();
    assertEquals(exit.code, 0, "Tandem exits 0 on SIGTERM");
    const journal = await readSessionJournal(`${dir}/data`, key);
    assertEquals(journal.final, {
      nextSenderSeqNum: init.nextTargetSeq,
      nextTargetSeqNum: init.nextSenderSeq,
    });
    assertNoProblems(tandem, isConnectionLoss);
    console.log(
      `${run.beginString}: ${run.orders} orders in ${init.elapsedMs} ms; ` +
        `QuickFIX resend requests sent ${init.resendRequestsSent}, seen ${init.resendRequestsSeen}, ` +
        `PossDup received ${init.possDupReceived}, resent ${init.appMessagesResent}`,
    );
  });
}

Deno.test({
  name:
    "Tandem acceptor fills 10,000 FIX.4.4 orders from a QuickFIX initiator across a forced disconnect, resend and clean logout",
  ignore,
  fn: () =>
    tandemAcceptorWithQuickFixInitiator({
      beginString: "FIX.4.4",
      orders: FULL_RUN_ORDERS,
      disconnectAfter: FULL_RUN_ORDERS / 2,
    }),
});

Deno.test({
  name:
    "Tandem acceptor fills FIX.4.2 orders from a QuickFIX initiator across a forced disconnect and resend",
  ignore,
  fn: () =>
    tandemAcceptorWithQuickFixInitiator({
      beginString: "FIX.4.2",
      orders: SHORT_RUN_ORDERS,
      disconnectAfter: SHORT_RUN_ORDERS / 2,
    }),
});

Deno.test({
  name:
    "Tandem acceptor fills FIXT.1.1/FIX.5.0SP2 orders from a QuickFIX initiator across a forced disconnect and resend",
  ignore,
  fn: () =>
    tandemAcceptorWithQuickFixInitiator({
      beginString: "FIXT.1.1",
      defaultApplVerId: "FIX.5.0SP2",
      orders: SHORT_RUN_ORDERS,
      disconnectAfter: SHORT_RUN_ORDERS / 2,
    }),
});

// ------------------------------------------------------------ Tandem initiator, QuickFIX acceptor

interface InitiatorRun {
  beginString: string;
  defaultApplVerId?: string;
  /** Orders the API must accept in all. */
  orders: number;
  /**
   * The forced disconnect: `kill` SIGKILLs Tandem after half the orders (QuickFIX paused, requests
   * in flight) and restarts it on the same data directory, then logs out by the admin endpoint;
   * `venue` has the QuickFIX acceptor drop the connection after half the orders, Tandem reconnects
   * by itself and finally logs out by a graceful shutdown (SIGTERM).
   */
  drop: "kill" | "venue";
}

Deno.test({
  name:
    "Tandem initiator sends 10,000 FIX.4.4 orders over its API to a QuickFIX acceptor, survives SIGKILL and restart on its journal, and logs out cleanly",
  ignore,
  fn: () =>
    tandemInitiatorWithQuickFixAcceptor({
      beginString: "FIX.4.4",
      orders: FULL_RUN_ORDERS,
      drop: "kill",
    }),
});

Deno.test({
  name:
    "Tandem initiator sends FIXT.1.1/FIX.5.0SP2 orders over its API to a QuickFIX acceptor, reconnects after the acceptor drops it, and logs out cleanly",
  ignore,
  fn: () =>
    tandemInitiatorWithQuickFixAcceptor({
      beginString: "FIXT.1.1",
      defaultApplVerId: "FIX.5.0SP2",
      orders: SHORT_RUN_ORDERS,
      drop: "venue",
    }),
});

async function tandemInitiatorWithQuickFixAcceptor(run: InitiatorRun): Promise<void> {
  await withTempDir(async (dir) => {
    const key = sessionKey(run.beginString, "TANDEM", "VENUE");
    const half = run.orders / 2;
    await using venue = await startQfAcceptor({
      dataDir: `${dir}/quickfix`,
      beginString: run.beginString,
      ...(run.defaultApplVerId ? { applVerId: run.defaultApplVerId } : {}),
      senderCompId: "VENUE",
      targetCompId: "TANDEM",
      exitOnLogout: true,
      ...(run.drop === "venue" ? { disconnectAfterOrders: half } : {}),
    });
    const config = {
      api: { listen: "127.0.0.1:0" },
      sessions: [{
        beginString: run.beginString,
        senderCompId: "TANDEM",
        targetCompId: "VENUE",
        ...(run.defaultApplVerId ? { defaultApplVerId: run.defaultApplVerId } : {}),
        application: "api",
        connect: {
          addresses: [`127.0.0.1:${venue.port}`],
          // Each process's first attempt is immediate. After the kill nothing else must
          // reconnect: Tandem's initiator reconnects even after an operator Logout, which would
          // move its numbers past QuickFIX's final ones while /status is read.
          reconnectDelayMs: run.drop === "kill" ? NO_RECONNECT_DELAY_MS : 100,
        },
      }],
      fix: { logoutTimeoutS: 10 },
    };
    const dataDir = `${dir}/tandem-data`;
    const loggedOn = (t: TandemProcess, count = 1) =>
      t.waitForLog((l) => l.msg === "session logged on" && l["session"] === key, "logon", {
        count,
      });
    await using reports = new ExecReportStream(key);
    const ids = Array.from({ length: run.orders }, (_, i) => `T-${i + 1}`);

    const first = await startTandem({ dir, role: "initiator", config, dataDir });
    let tandem = first;
    let accepted: string[];
    let uncertain: string[] = [];
    let gaps: { tandemMissed: boolean; venueMissed: boolean } | undefined;
    try {
      await loggedOn(first);
      await reports.connect(first.apiPort!);
      if (run.drop === "kill") {
        // Phase 1: half the orders, answered as they come.
        const phase1 = await sendOrders(first.apiPort!, key, ids.slice(0, half), {
          concurrency: API_CONCURRENCY,
        });
        assertEquals(phase1.accepted.length, half);
        // Then QuickFIX stops reading (SIGSTOP) while Tandem goes on sending, and Tandem is
        // killed with requests in flight. QuickFIX, resumed, reads the orders Tandem wrote before
        // it died and answers into the dead connection: those reports are lost with it.
        Deno.kill(venue.pid, "SIGSTOP");
        let killing: Promise<Deno.CommandStatus> | undefined;
        let frozen: SendOrdersResult;
        try {
          frozen = await sendOrders(first.apiPort!, key, ids.slice(half), {
            concurrency: API_CONCURRENCY,
            onAccepted: (n) => {
              if (n === ORDERS_WHILE_FROZEN) killing = first.kill();
            },
          });
          assert(killing, `the API accepted ${ORDERS_WHILE_FROZEN} orders before the kill`);
          assertEquals((await killing).signal, "SIGKILL");
        } finally {
          Deno.kill(venue.pid, "SIGCONT");
        }
        await reports.closed;
        const atDrop = await withTimeout(venue.waitForEvent("disconnect"), 30_000, "the drop");
        // What each side had when the connection died decides who must ask for a resend.
        const { final } = await readSessionJournal(dataDir, key);
        gaps = {
          tandemMissed: final.nextTargetSeqNum < atDrop.nextSenderSeq,
          venueMissed: atDrop.nextTargetSeq < final.nextSenderSeqNum,
        };
        assert(gaps.tandemMissed, "QuickFIX answered orders after Tandem died");
        // Phase 2: a new process on the same journal; orders whose requests died are not
        // repeated (QuickFIX may have them), new ones make up the total.
        uncertain = frozen.uncertain;
        tandem = await startTandem({ dir, role: "initiator", config, dataDir });
        await loggedOn(tandem);
        await withTimeout(venue.waitForEvent("logon", 2), 30_000, "QuickFIX's second logon");
        await reports.connect(tandem.apiPort!);
        const topUp = uncertain.map((_, i) => `T-${run.orders + i + 1}`);
        const phase2 = await sendOrders(tandem.apiPort!, key, [...frozen.unsent, ...topUp], {
          concurrency: API_CONCURRENCY,
        });
        assertEquals(phase2.uncertain, [], "no request failed after the restart");
        accepted = [...phase1.accepted, ...frozen.accepted, ...phase2.accepted];
      } else {
        // The venue drops the link after `half` orders; orders refused meanwhile are retried
        // once Tandem has reconnected and logged on again.
        const result = await sendOrders(first.apiPort!, key, ids, {
          concurrency: API_CONCURRENCY,
          onNotLoggedOn: () => loggedOn(first, 2).then(() => {}),
        });
        assertEquals(result.uncertain, []);
        accepted = result.accepted;
        await loggedOn(first, 2);
      }
      assertEquals(accepted.length, run.orders, "the API accepted every order");
      // QuickFIX takes orders in sequence order and answers each at once, so once every accepted
      // order is filled, any earlier one that reached it was answered too.
      const unanswered = new Set(accepted);
      await reports.waitUntil(() => {
        for (const id of unanswered) {
          if (!reports.isComplete(id)) return false;
          unanswered.delete(id);
        }
        return true;
      }, "both ExecutionReports of every accepted order");

      // A clean logout initiated by Tandem, which QuickFIX answers before it exits: by the admin
      // endpoint after the kill, by a graceful shutdown (SIGTERM) after the venue's drop.
      let s: TandemSessionStatus | undefined;
      if (run.drop === "kill") await tandem.logout(key, "interop run done");
      else void tandem.stop();
      const acc: QfAcceptorSummary = await withTimeout(venue.summary, 30_000, "QuickFIX summary");
      await tandem.waitForLog(
        (l) => l.msg === "session ended" && l["session"] === key && l["reason"] === "Logout",
        "the end of the session by Logout",
      ).catch((e) => {
        if (!tandem.exited) throw e;
      });
      if (run.drop === "kill") s = await tandem.session(key);
      const exit = await tandem.stop();
      assertEquals(exit.code, 0, "Tandem exits 0 after SIGTERM");
      const journal = await readSessionJournal(dataDir, key);

      assert(acc.ok, `QuickFIX acceptor reported an anomaly: ${acc.reason}`);
      assertEquals(reports.anomalies, [], "the API stream delivered each report once, in order");
      // Orders whose request died with the node were delivered whole or not at all.
      const uncertainDelivered = uncertain.filter((id) => reports.flags.has(id));
      for (const id of uncertainDelivered) assert(reports.isComplete(id), `${id} half answered`);
      assertEquals(acc.ordersReceived, accepted.length + uncertainDelivered.length);
      assertEquals(reports.completed, acc.ordersReceived);
      assertEquals(acc.execsSent, 2 * acc.ordersReceived);
      assertEquals(reports.reports, acc.execsSent);
      assertEquals(acc.duplicates, 0, "QuickFIX never got an order twice");
      assertEquals(acc.rejectsSeen + acc.rejectsSent, 0, "no session-level Reject either way");
      assertEquals(acc.logons, 2);
      assertEquals(acc.logouts, 2);
      if (gaps) {
        // The side that lost messages with the killed connection asked for them again; the
        // reports Tandem lost came back as PossDup resends.
        assertEquals(acc.resendRequestsSeen > 0, gaps.tandemMissed, "Tandem's ResendRequest");
        assertEquals(acc.resendRequestsSent > 0, gaps.venueMissed, "QuickFIX's ResendRequest");
        assert(reports.possDups > 0, "ExecutionReports resent as PossDup");
      }
      // Tandem's journal, its admin endpoint and QuickFIX's store agree on where the session
      // stands after the Logout exchange.
      const mirrored = { nextSenderSeqNum: acc.nextTargetSeq, nextTargetSeqNum: acc.nextSenderSeq };
      assertEquals(
        journal.atLastLogout,
        mirrored,
        "Tandem's journal at the Logout mirrors QuickFIX",
      );
      assertEquals(journal.final, mirrored, "nothing was sent after the Logout exchange");
      if (s) {
        assertEquals(s.loggedOn, false);
        assertEquals(
          { nextSenderSeqNum: s.nextSenderSeqNum, nextTargetSeqNum: s.nextTargetSeqNum },
          mirrored,
          "Tandem's /status mirrors QuickFIX's final sequence numbers",
        );
      }
      assertNoProblems(tandem, isConnectionLoss);
      console.log(
        `${run.beginString}: ${accepted.length} orders accepted by the API, ${uncertain.length} requests cut by the kill (${uncertainDelivered.length} delivered); gaps ${
          JSON.stringify(gaps ?? null)
        }; QuickFIX resend requests sent ${acc.resendRequestsSent}, seen ${acc.resendRequestsSeen}; ` +
          `PossDup reports ${reports.possDups}, QuickFIX got ${acc.possDupReceived} PossDup`,
      );
    } catch (e) {
      // What Tandem said last is the first thing to read when this fails.
      const status = tandem.exited ? JSON.stringify(await tandem.exit) : "running";
      console.error(`Tandem (${status}) stderr tail:\n${tandem.stderrText}`);
      throw e;
    } finally {
      await first.kill();
      await tandem.kill();
    }
  });
}
