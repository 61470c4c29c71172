import { assertEquals, assertThrows } from "../../lib/testing/assert.ts";
import {
  checksumOf,
  completeMessage,
  formatScriptTime,
  parseScript,
  renderMessage,
  ScriptSyntaxError,
  substituteTimes,
} from "./at_script.ts";

const S = "\x01";
const soh = (s: string) => s.replaceAll("|", S);

Deno.test("parseScript() reads every directive, numbered connections, comments and CRLF lines", () => {
  const text = [
    "# a comment",
    "",
    "iCONNECT",
    soh("I8=FIX.4.4|35=A|34=1|"),
    soh("E8=FIX.4.4|9=5|35=A|10=0|"),
    "i2,CONNECT",
    soh("I2,8=FIX.4.4|35=0|"),
    soh("E2,8=FIX.4.4|35=0|"),
    "e2,DISCONNECT",
    "i1,DISCONNECT",
    "eCONNECT",
    "eDISCONNECT",
    "   ",
  ].join("\r\n");
  const { name, steps } = parseScript(text, "t.def");
  assertEquals(name, "t.def");
  assertEquals(steps.map((s) => [s.kind, s.connection, s.line]), [
    ["connect", 1, 3],
    ["send", 1, 4],
    ["expect", 1, 5],
    ["connect", 2, 6],
    ["send", 2, 7],
    ["expect", 2, 8],
    ["expect-disconnect", 2, 9],
    ["disconnect", 1, 10],
    ["expect-connect", 1, 11],
    ["expect-disconnect", 1, 12],
  ]);
  assertEquals(steps[1]!.message, soh("8=FIX.4.4|35=A|34=1|"));
  assertEquals(
    steps[4]!.message,
    soh("8=FIX.4.4|35=0|"),
    "the connection prefix is not part of it",
  );
});

Deno.test("parseScript() keeps a message that does not start with BeginString (sent as garbage)", () => {
  const { steps } = parseScript(soh("I35=0|8=FIX.4.4|9=29|10=121|\n"), "t.def");
  assertEquals(steps[0]!.message, soh("35=0|8=FIX.4.4|9=29|10=121|"));
});

Deno.test("parseScript() refuses an unknown directive, naming the script and line", () => {
  const e = assertThrows(() => parseScript("iCONNECT\nX8=FIX.4.4\n", "bad.def"), ScriptSyntaxError);
  assertEquals(e.message, 'Cannot parse bad.def line 2: unknown directive "X"');
  assertEquals(e.lineNumber, 2);
  assertThrows(
    () => parseScript("iLISTEN\n", "bad.def"),
    ScriptSyntaxError,
    "CONNECT or DISCONNECT",
  );
  assertThrows(() => parseScript("i0,CONNECT\n", "bad.def"), ScriptSyntaxError, "1 or more");
});

Deno.test("substituteTimes() replaces <TIME>, <TIME+N> and <TIME-N> with UTC seconds", () => {
  const now = Date.UTC(2026, 0, 31, 23, 59, 58, 765);
  assertEquals(formatScriptTime(now), "20260131-23:59:58");
  assertEquals(
    substituteTimes("52=<TIME>|122=<TIME-121>|60=<TIME+10>|42=<TIME>|", now),
    "52=20260131-23:59:58|122=20260131-23:57:57|60=20260201-00:00:08|42=20260131-23:59:58|",
  );
  assertEquals(substituteTimes("58=<TIMEOUT>", now), "58=<TIMEOUT>");
});

Deno.test("completeMessage() adds BodyLength after BeginString and the CheckSum at the end", () => {
  const done = completeMessage(soh("8=FIX.4.4|35=0|34=2|"));
  assertEquals(done, soh("8=FIX.4.4|9=10|35=0|34=2|10=166|"));
  const bytes = new TextEncoder().encode(done.slice(0, done.indexOf("10=")));
  assertEquals(checksumOf(bytes), 166);
});

Deno.test("completeMessage() keeps a given BodyLength and computes only the CheckSum", () => {
  const done = completeMessage(soh("8=FIX.4.4|9=99|35=0|"));
  assertEquals(done.startsWith(soh("8=FIX.4.4|9=99|35=0|10=")), true);
});

Deno.test("completeMessage() keeps a wrong CheckSum given on purpose and counts BodyLength up to it", () => {
  assertEquals(
    completeMessage(soh("8=FIX.4.4|35=0|34=2|10=256|")),
    soh("8=FIX.4.4|9=10|35=0|34=2|10=256|"),
  );
});

Deno.test("completeMessage() leaves a message with both fields, or without BeginString, as written", () => {
  const full = soh("8=FIX.4.4|9=1|35=0|10=000|");
  assertEquals(completeMessage(full), full);
  const garbage = soh("35=0|8=FIX.4.4|");
  assertEquals(completeMessage(garbage), garbage);
});

Deno.test("renderMessage() substitutes the time before computing BodyLength and CheckSum", () => {
  const now = Date.UTC(2026, 10, 24, 10, 0, 0);
  assertEquals(
    renderMessage(soh("8=FIX.4.2|52=<TIME>|"), now),
    completeMessage(soh("8=FIX.4.2|52=20261124-10:00:00|")),
  );
  assertEquals(renderMessage(soh("8=FIX.4.2|52=<TIME>|"), now).includes("9=21"), true);
});
