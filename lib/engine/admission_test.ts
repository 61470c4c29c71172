import { assert, assertEquals, assertThrows } from "../testing/assert.ts";
import { formatRefusalLine, PendingConnections, RefusalSummary } from "./admission.ts";

Deno.test("PendingConnections.admit() evicts the same address's oldest at its bound", () => {
  const p = new PendingConnections<string>({ maxPendingConnections: 10, maxPendingPerAddress: 2 });
  assertEquals(p.admit("a1", "A"), {});
  assertEquals(p.admit("a2", "A"), {});
  assertEquals(p.admit("a3", "A"), { evict: { conn: "a1", reason: "address-pending-limit" } });
  assertEquals([p.size, p.countFrom("A")], [2, 2]);
});

Deno.test("PendingConnections.admit() evicts from the fullest address when all are full", () => {
  const p = new PendingConnections<string>({ maxPendingConnections: 4, maxPendingPerAddress: 8 });
  for (const c of ["x1", "x2", "x3"]) p.admit(c, "X");
  p.admit("y1", "Y");
  // a newcomer from Y evicts the flood's oldest, never Y's own connection
  assertEquals(p.admit("y2", "Y"), { evict: { conn: "x1", reason: "pending-limit" } });
  assertEquals([p.countFrom("X"), p.countFrom("Y")], [2, 2]);
});

Deno.test("PendingConnections.remove() frees the slot of a connection that logged on", () => {
  const p = new PendingConnections<string>({ maxPendingConnections: 1, maxPendingPerAddress: 1 });
  p.admit("a", "A");
  assert(p.remove("a"));
  assert(!p.remove("a"));
  assertEquals(p.admit("b", "A"), {});
  assertThrows(
    () => new PendingConnections({ maxPendingConnections: 0, maxPendingPerAddress: 1 }),
    RangeError,
  );
});

Deno.test("RefusalSummary logs the first refusal, then one line per interval with counts", () => {
  const s = new RefusalSummary(1000);
  const first = s.record("logon-timeout", "10.0.0.1", "no Logon", 0);
  assertEquals(first?.detail, "no Logon");
  for (let i = 1; i <= 5000; i++) {
    assertEquals(
      s.record(i % 2 ? "pending-limit" : "address-not-allowed", `10.0.0.${i % 7}`, "", i / 10),
      undefined,
    );
  }
  assertEquals(s.wakeAtMs, 1000);
  const line = s.flush(1000)!;
  assertEquals(line.counts, { "pending-limit": 2500, "address-not-allowed": 2500 });
  assertEquals([line.total, line.addresses, line.topAddresses.length], [5000, 7, 5]);
  assert(formatRefusalLine(line, 1000).startsWith("5000 connections refused in the last 1000 ms"));
  assertEquals(s.flush(2000), undefined, "a quiet interval ends the summary");
  assertEquals(s.wakeAtMs, undefined);
  assertEquals(s.record("transport", "x", "tls", 3000)?.detail, "tls");
});
