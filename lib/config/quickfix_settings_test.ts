import { assertEquals, assertStringIncludes, assertThrows } from "../testing/assert.ts";
import { ConfigError, loadConfig } from "./load_config.ts";
import { sessionKeyOf } from "./tandem_schema.ts";

const session = (role: string, extra: string) =>
  `node:
  role: ${role}
fix:
  listen: 127.0.0.1:9876
sessions:
  - beginString: FIX.4.4
    senderCompId: VENUE
    targetCompId: CLIENT
${extra}`;
const CONNECT = "    connect:\n      addresses: [127.0.0.1:9876]\n";

function issues(text: string): string[] {
  const e = assertThrows(() => loadConfig(text, { source: "t.yaml", env: {} }), ConfigError);
  return e.issues.map((i) => `${i.path}: ${i.message}`);
}

Deno.test("loadConfig() reads the QuickFIX/J identity settings into the session id", () => {
  const c = loadConfig(
    session(
      "initiator",
      CONNECT +
        "    senderSubId: D1\n    targetLocationId: NYC\n    sessionQualifier: md\n" +
        "    logonUsername: alice\n    logonPassword: ${ENV:PW}\n",
    ),
    { source: "t.yaml", env: { PW: "secret" } },
  );
  const s = c.sessions[0]!;
  assertEquals(sessionKeyOf(s), "FIX.4.4:VENUE/D1->CLIENT//NYC:md");
  assertEquals([s.logonUsername, s.logonPassword], ["alice", "secret"]);
});

Deno.test("loadConfig() points QuickFIX/J setting names to the Tandem keys", () => {
  const found = issues(session("acceptor", "    AcceptorTemplate: Y\n    LogonTag: 553=alice\n"));
  assertEquals(found.length, 2);
  assertStringIncludes(found[0]!, "sessions[].targetCompId with a glob");
  assertStringIncludes(found[1]!, "sessions[].logonUsername (553)");
  assertEquals(issues(session("acceptor", "    SenderSubID: D1\n")), [
    'sessions[0].SenderSubID: Unknown key "SenderSubID"; did you mean "senderSubId"?',
  ]);
});

Deno.test("loadConfig() refuses inverted HeartBtInt bounds, a pattern on an initiator and a malformed scrypt hash", () => {
  assertEquals(
    issues(session("acceptor", "    minHeartbeatIntervalS: 60\n    maxHeartbeatIntervalS: 30\n")),
    ["sessions[0].minHeartbeatIntervalS: minHeartbeatIntervalS exceeds maxHeartbeatIntervalS"],
  );
  assertEquals(
    issues(session("initiator", CONNECT).replace("targetCompId: CLIENT", "targetCompId: C*")),
    [
      "sessions[0].targetCompId: A CompID pattern (* or ?) makes an acceptor template; an initiator needs the real CompID",
    ],
  );
  const bad = issues(session("acceptor", '    logonPassword: "scrypt:14:8:1:nope"\n'));
  assertEquals(bad.length, 1);
  assertStringIncludes(bad[0]!, "sessions[0].logonPassword: Cannot use scrypt password hash");
});

Deno.test("loadConfig() refuses two acceptor sessions that differ only by qualifier (not on the wire)", () => {
  const two = session("acceptor", "    sessionQualifier: a\n") +
    "  - beginString: FIX.4.4\n    senderCompId: VENUE\n    targetCompId: CLIENT\n    sessionQualifier: b\n";
  assertEquals(issues(two), [
    "sessions[1]: Duplicate session FIX.4.4:VENUE->CLIENT (also sessions[0])",
  ]);
});
