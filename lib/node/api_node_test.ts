import {
  assertEquals,
  assertRejects,
  assertStringIncludes,
  assertThrows,
} from "../testing/assert.ts";
import { Journal, RecordKind } from "../journal/mod.ts";
import type { SessionHost } from "../engine/mod.ts";
import { ApiError } from "../api/server.ts";
import { ApiSide } from "./api_node.ts";
import { ReleaseGate } from "./release_gate.ts";
import { encodeMessage } from "../fix/encoder.ts";

const KEY = "FIX.4.4:EXEC->CLIENT";

/** A logged-on session that journals what it sends and asks the gate, as a SessionHost does. */
function fakeHost(journal: Journal, gate: () => ReleaseGate | undefined): SessionHost {
  const sessionId = journal.defineSession(KEY);
  const session = { nextSenderSeqNum: 2 };
  return {
    key: KEY,
    sessionId,
    isLoggedOn: true,
    beginString: "FIX.4.4",
    applVerId: undefined,
    senderCompId: "EXEC",
    targetCompId: "CLIENT",
    session,
    send(msgType: string) {
      const seq = session.nextSenderSeqNum++;
      const index = journal.append({
        kind: RecordKind.Outbound,
        sessionId,
        seqNum: seq,
        timestampMs: 0,
        payload: new TextEncoder().encode(`35=${msgType}`),
      });
      gate()?.awaitRelease(index, msgType);
      return seq;
    },
  } as unknown as SessionHost;
}

async function withSide(
  fn: (
    side: ApiSide,
    state: { gate: ReleaseGate | undefined; leading: boolean },
    journal: Journal,
  ) => Promise<void>,
  clustered = false,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "tandem-api-node-" });
  const journal = await Journal.open(dir, { syncPolicy: "none" });
  const state = {
    gate: new ReleaseGate({ policy: { kind: "forever" } }) as ReleaseGate | undefined,
    leading: true,
  };
  const host = fakeHost(journal, () => state.gate);
  const side = new ApiSide({
    journal,
    nodeId: "a",
    memberUrls: { a: "http://127.0.0.1:1", b: "http://127.0.0.1:2" },
    leading: () => state.leading,
    leaderId: () => "b",
    epoch: () => 1,
    gate: () => state.gate,
    host: () => host,
    defaultApplVerId: () => undefined,
    clustered,
  });
  try {
    await fn(side, state, journal);
  } finally {
    state.gate?.[Symbol.dispose]();
    await journal.close();
    await Deno.remove(dir, { recursive: true });
  }
}

const ORDER = {
  kind: "json",
  msgType: "8",
  fields: {
    OrderID: "O1",
    ExecID: "E1",
    ExecType: "0",
    OrdStatus: "0",
    Side: "1",
    Symbol: "TNDM",
    LeavesQty: "100",
    CumQty: "0",
    AvgPx: "0",
  },
} as const;

function settledYet(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  p.then(() => (done = true), () => (done = true));
  return new Promise((r) => setTimeout(() => r(done), 20));
}

Deno.test("ApiSide.send() answers only once the gate released the message", async () => {
  await withSide(async (side, state) => {
    const sent = side.send(KEY, ORDER);
    assertEquals(await settledYet(sent), false, "held until the replica acknowledges");
    state.gate!.onAck("b", 1_000);
    const r = await sent;
    assertEquals(r.msgSeqNum, 2);
    assertEquals(r.duplicate, undefined);
  });
});

Deno.test("ApiSide.send() answers 503 naming the leader when the node stops leading before the release", async () => {
  await withSide(async (side, state, journal) => {
    const before = journal.lastIndex;
    const sent = side.send(KEY, { ...ORDER, clientId: "c-1" });
    const twin = side.send(KEY, { ...ORDER, clientId: "c-1" });
    const late = side.send(KEY, { ...ORDER, clientId: "c-2" });
    while (journal.lastIndex < before + 4) await new Promise((r) => setTimeout(r, 1));
    assertEquals(
      journal.lastIndex,
      before + 4,
      "c-1 and c-2 journaled once each, note and message",
    );
    state.leading = false;
    state.gate![Symbol.dispose](); // stepping down cancels what waits
    state.gate = undefined;
    for (const p of [sent, twin, late]) {
      const err = await assertRejects(() => p, ApiError);
      assertEquals(err.status, 503);
      assertEquals(err.details.leader, { nodeId: "b", api: "http://127.0.0.1:2" });
      assertEquals(err.headers["retry-after"], "1");
    }
  });
});

Deno.test("ApiSide.send() sends a client id once: a repeat and a concurrent twin get the original", async () => {
  await withSide(async (side, state) => {
    const first = side.send(KEY, { ...ORDER, clientId: "c-1" });
    const twin = side.send(KEY, { ...ORDER, clientId: "c-1" });
    state.gate!.onAck("b", 1_000);
    const a = await first;
    assertEquals(await twin, { ...a, duplicate: true });
    assertEquals(await side.send(KEY, { ...ORDER, clientId: "c-1" }), { ...a, duplicate: true });
    const other = await side.send(KEY, { ...ORDER, clientId: "c-2" });
    assertEquals(other.msgSeqNum, a.msgSeqNum + 1, "another id is another message");
  });
});

function receiveOrder(journal: Journal, seqNum: number): number {
  return journal.append({
    kind: RecordKind.Inbound,
    sessionId: journal.sessionId(KEY)!,
    seqNum,
    timestampMs: 0,
    payload: encodeMessage("FIX.4.4", "D", [[34, seqNum], [49, "CLIENT"], [56, "EXEC"], [
      11,
      `C${seqNum}`,
    ]]),
  });
}

Deno.test("ApiSide.stream() on a leader emits a received message only once the replica has it, and ends when the node stops leading", async () => {
  await withSide(async (side, state, journal) => {
    const first = receiveOrder(journal, 2);
    const second = receiveOrder(journal, 3);
    const ac = new AbortController();
    const it = side.stream(1, ac.signal)[Symbol.asyncIterator]();
    const next = it.next();
    assertEquals(await settledYet(next), false, "not before the replica's ack");
    state.gate!.onAck("b", first);
    assertEquals((await next).value?.index, first);
    const after = it.next();
    assertEquals(await settledYet(after), false);
    state.leading = false;
    state.gate![Symbol.dispose]();
    state.gate = undefined;
    const err = await assertRejects(() => after, Error);
    assertEquals(err.message.includes(`resume from ${second} on the leader`), true, err.message);
    ac.abort();
  });
});

Deno.test("ApiSide.stream() on a follower follows the replicated tail at once", async () => {
  await withSide(async (side, state, journal) => {
    state.gate![Symbol.dispose]();
    state.gate = undefined; // following: no gate
    state.leading = false;
    const index = receiveOrder(journal, 2);
    const ac = new AbortController();
    const it = side.stream(1, ac.signal)[Symbol.asyncIterator]();
    assertEquals((await it.next()).value?.index, index);
    ac.abort();
    await it.return?.();
  });
});

Deno.test("ApiSide.stream() on an etcd cluster follower answers 503 naming the leader; on its leader it streams", async () => {
  await withSide(async (side, state, journal) => {
    state.gate![Symbol.dispose]();
    state.gate = undefined;
    state.leading = false;
    receiveOrder(journal, 2);
    const refused = assertThrows(() => side.checkStream(), ApiError);
    assertEquals(refused.status, 503);
    assertEquals(refused.details, { leader: { nodeId: "b", api: "http://127.0.0.1:2" } });
    assertStringIncludes(refused.message, "commit point");
    // The stream itself refuses too (a follower that was leader when the check ran).
    const it = side.stream(1, new AbortController().signal)[Symbol.asyncIterator]();
    await assertRejects(() => it.next(), ApiError, "follows in an etcd cluster");
    state.leading = true;
    side.checkStream();
  }, true);
});

Deno.test("ApiSide.send() answers 503 and journals nothing once the node no longer leads", async () => {
  await withSide(async (side, state, journal) => {
    state.leading = false;
    const before = journal.lastIndex;
    const err = await assertRejects(() => side.send(KEY, { ...ORDER, clientId: "c-9" }), ApiError);
    assertEquals(err.status, 503);
    assertEquals(journal.lastIndex, before);
  });
});
