import { assertEquals, assertRejects } from "../testing/assert.ts";
import { Journal, RecordKind } from "../journal/mod.ts";
import type { SessionHost } from "../engine/mod.ts";
import { ApiError } from "../api/server.ts";
import { ApiSide } from "./api_node.ts";
import { ReleaseGate } from "./release_gate.ts";

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
  fn: (side: ApiSide, state: { gate: ReleaseGate | undefined; leading: boolean }) => Promise<void>,
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
  });
  try {
    await fn(side, state);
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
  await withSide(async (side, state) => {
    const sent = side.send(KEY, { ...ORDER, clientId: "c-1" });
    const twin = side.send(KEY, { ...ORDER, clientId: "c-1" });
    state.leading = false;
    state.gate![Symbol.dispose](); // stepping down cancels what waits
    state.gate = undefined;
    for (const p of [sent, twin]) {
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
