import { assert, assertEquals, assertRejects } from "../testing/assert.ts";
import type { ReleasedMessage } from "../replication/mod.ts";
import { ReleaseCancelledError, ReleaseGate } from "./release_gate.ts";

function settled(p: Promise<void> | undefined): Promise<boolean> {
  if (p === undefined) return Promise.resolve(true);
  let done = false;
  p.then(() => (done = true));
  // Two macrotask-free turns are enough for an already-resolved promise.
  return Promise.resolve().then(() => Promise.resolve()).then(() => done);
}

Deno.test("ReleaseGate under never lets every message go at once", () => {
  using gate = new ReleaseGate({ policy: { kind: "never" } });
  assertEquals(gate.awaitRelease(1, "8"), undefined);
  assertEquals(gate.waitingCount, 0);
});

Deno.test("ReleaseGate under forever releases in order as acks arrive, and not before", async () => {
  const released: ReleasedMessage[] = [];
  using gate = new ReleaseGate({
    policy: { kind: "forever" },
    onRelease: (r) => released.push(r),
  });
  const p1 = gate.awaitRelease(1, "8");
  const p2 = gate.awaitRelease(2, "8");
  assertEquals(await settled(p1), false);
  assertEquals(gate.waitingCount, 2);
  gate.onAck("b", 1);
  assertEquals(await settled(p1), true);
  assertEquals(await settled(p2), false);
  gate.onAck("b", 2);
  assertEquals(await settled(p2), true);
  assertEquals(released.map((r) => [r.index, r.reason]), [[1, "ack"], [2, "ack"]]);
});

Deno.test("ReleaseGate under timeout releases after the bound without an ack and says so", async () => {
  const released: ReleasedMessage[] = [];
  using gate = new ReleaseGate({
    policy: { kind: "timeout", timeoutMs: 20 },
    onRelease: (r) => released.push(r),
  });
  const t0 = Date.now();
  await gate.awaitRelease(1, "8");
  assert(Date.now() - t0 >= 19, "not before the bound");
  assertEquals(released.map((r) => r.reason), ["timeout"]);
});

Deno.test("ReleaseGate queues beyond maxUnackedMessages and drains as acks arrive", async () => {
  using gate = new ReleaseGate({ policy: { kind: "forever" }, maxUnackedMessages: 2 });
  const ps = [1, 2, 3].map((i) => gate.awaitRelease(i, "8"));
  assertEquals(gate.waitingCount, 3);
  gate.onAck("b", 2);
  assertEquals(await settled(ps[1]), true);
  assertEquals(await settled(ps[2]), false, "registered only once there was room");
  gate.onAck("b", 3);
  assertEquals(await settled(ps[2]), true);
});

Deno.test("ReleaseGate cancels what waits, and everything offered later, when disposed", async () => {
  const gate = new ReleaseGate({ policy: { kind: "forever" }, maxUnackedMessages: 1 });
  const ps = [1, 2].map((i) => gate.awaitRelease(i, "8")!);
  gate[Symbol.dispose]();
  await assertRejects(() => ps[0]!, ReleaseCancelledError, "index 1");
  await assertRejects(() => ps[1]!, ReleaseCancelledError, "index 2");
  const later = gate.awaitRelease(3, "8");
  assert(later !== undefined, "a closed gate lets nothing through");
  await assertRejects(() => later, ReleaseCancelledError, "index 3");
});

Deno.test("ReleaseGate cancellations never surface as unhandled rejections", async () => {
  const gate = new ReleaseGate({ policy: { kind: "forever" } });
  gate.awaitRelease(1, "8"); // a session without a connection never waits on it
  gate[Symbol.dispose]();
  gate.awaitRelease(2, "8");
  // An unhandled rejection would fail this test (Deno reports it at the next turn).
  await new Promise((r) => setTimeout(r, 0));
});

Deno.test("ReleaseGate.whenReleased() resolves only once the message is released", async () => {
  using gate = new ReleaseGate({ policy: { kind: "forever" } });
  gate.awaitRelease(3, "8");
  const sent = gate.whenReleased(3);
  assertEquals(await settled(sent), false, "not before the replica's ack");
  gate.onAck("b", 2);
  assertEquals(await settled(sent), false, "an ack below the index releases nothing");
  gate.onAck("b", 3);
  assertEquals(await settled(sent), true);
  assertEquals(await settled(gate.whenReleased(3)), true, "already released");
});

Deno.test("ReleaseGate.whenCommitted() waits for the replica's ack of a record never registered", async () => {
  using gate = new ReleaseGate({ policy: { kind: "forever" } });
  const inbound = gate.whenCommitted(5); // an Inbound record: the sessions register only outbound
  assertEquals(await settled(inbound), false);
  gate.onAck("b", 4);
  assertEquals(await settled(inbound), false);
  gate.onAck("b", 5);
  assertEquals(await settled(inbound), true);
});

Deno.test("ReleaseGate.whenCommitted() is immediate under never", async () => {
  using gate = new ReleaseGate({ policy: { kind: "never" } });
  assertEquals(await settled(gate.whenCommitted(9)), true);
});

Deno.test("ReleaseGate.whenReleased() and whenCommitted() reject when the gate is disposed", async () => {
  const gate = new ReleaseGate({ policy: { kind: "forever" } });
  gate.awaitRelease(1, "D");
  const sent = gate.whenReleased(1);
  const streamed = gate.whenCommitted(2);
  gate[Symbol.dispose]();
  await assertRejects(() => sent, ReleaseCancelledError);
  await assertRejects(() => streamed, ReleaseCancelledError);
  await assertRejects(() => gate.whenCommitted(3), ReleaseCancelledError);
});

Deno.test("ReleaseGate.whenCommitted() under timeout lets a record go after the bound without an ack", async () => {
  using gate = new ReleaseGate({ policy: { kind: "timeout", timeoutMs: 20 } });
  const inbound = gate.whenCommitted(4);
  assertEquals(await settled(inbound), false);
  const t0 = Date.now();
  await inbound;
  assert(Date.now() - t0 >= 10, "not at once");
});

Deno.test("ReleaseGate releases thousands of waiting messages in order, acks arriving in steps", async () => {
  using gate = new ReleaseGate({ policy: { kind: "forever" } });
  const order: number[] = [];
  const all: Promise<void>[] = [];
  for (let i = 1; i <= 5000; i++) {
    const p = gate.awaitRelease(i, "8")!;
    all.push(p.then(() => void order.push(i)));
  }
  for (let acked = 700; acked < 5000; acked += 700) {
    gate.onAck("b", acked);
    await Promise.all(all.slice(0, acked));
    assertEquals(gate.waitingCount, 5000 - acked);
    assertEquals(await settled(all[acked]), false, `${acked + 1} released before its ack`);
  }
  gate.onAck("b", 5000);
  await Promise.all(all);
  assertEquals(order, Array.from({ length: 5000 }, (_, i) => i + 1));
  assertEquals(gate.waitingCount, 0);
});
