import { assert, assertEquals, assertMatch } from "../testing/assert.ts";
import { encodeMessage } from "../fix/encoder.ts";
import { createLogger, Logger, MAX_LOG_STRING_CHARS } from "./mod.ts";

const SECRET = "Tr0ub4dor-and-3";

function capture(options: ConstructorParameters<typeof Logger>[0] = {}) {
  const lines: string[] = [];
  const log = new Logger({
    nowMs: () => Date.UTC(2026, 10, 24, 5, 30),
    sink: (l) => lines.push(l),
    ...options,
  });
  return { log, lines };
}

Deno.test("Logger writes one JSON object per line with ts, level, msg, context and fields", () => {
  const { log, lines } = capture();
  log.child({ session: "FIX.4.4:ISLD->TW44" }).info("Logon accepted", { heartbeatIntervalS: 30 });
  assertEquals(lines.length, 1);
  assertEquals(JSON.parse(lines[0]!), {
    ts: "2026-11-24T05:30:00.000Z",
    level: "info",
    msg: "Logon accepted",
    session: "FIX.4.4:ISLD->TW44",
    heartbeatIntervalS: 30,
  });
});

Deno.test("Logger skips disabled levels without building their fields", () => {
  const { log, lines } = capture({ level: "warn" });
  let built = 0;
  log.debug("d", () => ({ n: ++built }));
  log.info("i", () => ({ n: ++built }));
  log.warn("w", () => ({ n: ++built }));
  assertEquals(built, 1);
  assertEquals(lines.map((l) => JSON.parse(l).level), ["warn"]);
  assert(!log.enabled("info"));
  log.level = "debug"; // shared with children
  log.child({ a: 1 }).debug("now");
  assertEquals(lines.length, 2);
});

Deno.test("Logger writes readable text lines, one per record", () => {
  const { log, lines } = capture({ format: "text" });
  log.child({ session: "FIX.4.4:ISLD->TW44" }).warn("Gap detected", {
    expected: 5,
    text: "two\nlines",
  });
  assertEquals(
    lines[0],
    '2026-11-24T05:30:00.000Z WARN  Gap detected session=FIX.4.4:ISLD->TW44 expected=5 text="two\\nlines"',
  );
});

Deno.test("Logger.fix() logs FIX messages only when switched on, with secrets masked", () => {
  const bytes = encodeMessage("FIX.4.4", "A", [[553, "bob"], [554, SECRET], [925, SECRET]]);
  const off = capture();
  off.log.fix("in", bytes);
  assertEquals(off.lines, []);
  const on = capture({ fixMessages: true, redactTags: [553] });
  on.log.fix("in", bytes, { session: "s" });
  const rec = JSON.parse(on.lines[0]!);
  assertEquals([rec.msg, rec.dir, rec.session], ["FIX in", "in", "s"]);
  assertMatch(rec.fix, /\|553=\*\*\*\|554=\*\*\*\|925=\*\*\*\|10=\d{3}\|$/);
});

Deno.test("Logger never writes a secret, whatever field or message carries it", () => {
  const { log, lines } = capture({ level: "debug", fixMessages: true });
  const fixText = new TextDecoder().decode(encodeMessage("FIX.4.4", "A", [[554, SECRET]]));
  log.info("plain", {
    password: SECRET,
    adminToken: SECRET,
    replicationSecret: SECRET,
    apiKey: SECRET,
  });
  log.info("nested", { peer: { auth: { Password: SECRET }, list: [{ token: SECRET }] } });
  log.info("map", { m: new Map([["secret", SECRET]]) });
  log.warn(`message with FIX ${fixText}`);
  log.error("in error", { error: new Error(`bad logon ${fixText.replaceAll("\x01", "|")}`) });
  log.debug("raw", { raw: encodeMessage("FIX.4.2", "A", [[925, SECRET]]) });
  log.child({ token: SECRET }).info("child context");
  log.fix("out", fixText);
  const text = capture({ format: "text" });
  text.log.info("t", { password: SECRET, fix: fixText });
  const all = [...lines, ...text.lines];
  assertEquals(all.length, 9);
  for (const line of all) assert(!line.includes(SECRET), `leaked: ${line}`);
  assert(lines[0]!.includes('"password":"***"'));
});

Deno.test("Logger keeps reserved keys, cuts long strings and stops at a depth limit", () => {
  const { log, lines } = capture();
  type Deep = { next?: Deep };
  const deep: Deep = {};
  let cur = deep;
  for (let i = 0; i < 20; i++) cur = cur.next = {};
  log.info("m", { msg: "field", long: "x".repeat(MAX_LOG_STRING_CHARS + 10), deep, big: 10n });
  const rec = JSON.parse(lines[0]!);
  assertEquals([rec.msg, rec.msg_, rec.big], ["m", "field", "10"]);
  assert(rec.long.endsWith("…(+10 chars)"));
  assert(lines[0]!.includes('"[…]"'));
});

Deno.test("createLogger() picks text on a terminal and JSON otherwise for format auto", () => {
  const settings = { level: "info", format: "auto", fixMessages: false, redactTags: [] } as const;
  const a: string[] = [];
  createLogger(settings, { sink: (l) => a.push(l), isTerminal: true }).info("x");
  const b: string[] = [];
  createLogger(settings, { sink: (l) => b.push(l), isTerminal: false, context: { node: "n1" } })
    .info("x");
  assert(!a[0]!.startsWith("{"));
  assertEquals(JSON.parse(b[0]!).node, "n1");
});
