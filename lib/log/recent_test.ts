import { assert, assertEquals, assertThrows } from "../testing/assert.ts";
import { Logger } from "./logger.ts";
import { RecentLog } from "./recent.ts";

function setup(options: ConstructorParameters<typeof RecentLog>[0] = {}) {
  const recent = new RecentLog(options);
  const lines: string[] = [];
  const log = new Logger({ sink: (l) => lines.push(l), nowMs: () => 0, context: { node: "a" } });
  const untap = log.tap(recent.tap);
  return { recent, log, lines, untap };
}

Deno.test("RecentLog keeps warn and error records of the logger and its children, not info", () => {
  const { recent, log, lines } = setup();
  log.info("started");
  log.warn("slow follower", { lagMs: 900 });
  log.child({ session: "FIX.4.4:EXEC->CLIENT" }).error("Logon refused");
  assertEquals(lines.length, 3, "the sink still gets every line");
  const e = recent.entries();
  assertEquals(e.map((x) => [x.seq, x.level, x.msg]), [[1, "warn", "slow follower"], [
    2,
    "error",
    "Logon refused",
  ]]);
  assertEquals(e[0]!.ts, "1970-01-01T00:00:00.000Z");
  assertEquals(JSON.parse(e[0]!.fields), { node: "a", lagMs: 900 });
  assertEquals(JSON.parse(e[1]!.fields), { node: "a", session: "FIX.4.4:EXEC->CLIENT" });
  assertEquals(recent.entries(1).map((x) => x.seq), [2]);
  assertEquals(recent.lastSeq, 2);
});

Deno.test("RecentLog keeps at most maxEntries, dropping the oldest", () => {
  const { recent, log } = setup({ maxEntries: 3 });
  for (let i = 1; i <= 10; i++) log.warn(`w${i}`);
  assertEquals(recent.entries().map((x) => x.msg), ["w8", "w9", "w10"]);
  assertEquals(recent.lastSeq, 10);
});

Deno.test("RecentLog cuts long messages and fields to maxEntryChars", () => {
  const { recent, log } = setup({ maxEntryChars: 32 });
  log.warn("x".repeat(100), { text: "y".repeat(5_000) });
  const e = recent.entries()[0]!;
  assert(e.msg.startsWith("x".repeat(32) + "… (68 more"), e.msg);
  assert(e.fields.length < 80, e.fields);
});

Deno.test("RecentLog sees redacted records: secrets never reach the ring", () => {
  const { recent, log } = setup();
  log.warn("Logon", { password: "hunter2", fix: "8=FIX.4.4\x0135=A\x01554=hunter2\x01" });
  const e = recent.entries()[0]!;
  assert(!e.fields.includes("hunter2"), e.fields);
});

Deno.test("Logger.tap() returns a remover; a throwing tap is dropped and the line still written", () => {
  const { recent, log, lines, untap } = setup();
  untap();
  log.warn("after untap");
  assertEquals(recent.entries().length, 0);
  let calls = 0;
  log.tap(() => {
    calls++;
    throw new Error("boom");
  });
  log.warn("one");
  log.warn("two");
  assertEquals(calls, 1);
  assertEquals(lines.length, 3);
});

Deno.test("RecentLog refuses limits below one entry or sixteen characters", () => {
  assertThrows(() => new RecentLog({ maxEntries: 0 }), RangeError, "maxEntries");
  assertThrows(() => new RecentLog({ maxEntryChars: 2 }), RangeError, "maxEntryChars");
});
