import {
  assert,
  assertEquals,
  assertInstanceOf,
  assertRejects,
  assertStringIncludes,
  assertThrows,
} from "../testing/assert.ts";
import {
  ConfigError,
  type ConfigIssue,
  loadConfig,
  type LoadConfigOptions,
  MAX_CONFIG_BYTES,
  MAX_CONFIG_ISSUES,
  readConfigFile,
  redactConfig,
  type TandemConfig,
} from "./mod.ts";

const MINIMAL = `node:
  role: acceptor
fix:
  listen: 127.0.0.1:9876
sessions:
  - beginString: FIX.4.4
    senderCompId: ISLD
    targetCompId: TW44
`;

function load(text: string, options: Partial<LoadConfigOptions> = {}): TandemConfig {
  return loadConfig(text, { source: "t.yaml", env: {}, ...options });
}

/** Loads `text` expecting failure; returns the issues. */
function problems(text: string, options: Partial<LoadConfigOptions> = {}): readonly ConfigIssue[] {
  const e = assertThrows(() => load(text, options), ConfigError);
  return e.issues;
}

function only(text: string, options: Partial<LoadConfigOptions> = {}): ConfigIssue {
  const issues = problems(text, options);
  assertEquals(issues.length, 1, `expected one issue, got ${JSON.stringify(issues)}`);
  return issues[0]!;
}

Deno.test("loadConfig() fills every default of a minimal acceptor configuration", () => {
  const c = load(MINIMAL);
  assertEquals(c.node, { id: "tandem", role: "acceptor", ha: "standalone", dataDir: "data" });
  assertEquals(c.fix, {
    listen: { hostname: "127.0.0.1", port: 9876 },
    maxConnections: 100,
    maxMessageBytes: 1_048_576,
    maxBufferedBytesPerConnection: 16_777_216,
    logonTimeoutS: 10,
    logoutTimeoutS: 2,
    tls: undefined,
    maxPendingConnections: 64,
    maxPendingConnectionsPerAddress: 8,
    allowedRemoteAddresses: undefined,
    refusalLogIntervalS: 10,
  });
  assertEquals(c.journal, {
    syncPolicy: "always",
    syncIntervalMs: 10,
    segmentSizeBytes: 67_108_864,
    rollDailyAt: undefined,
    timeZone: "UTC",
    retention: { maxAgeDays: 7, maxTotalBytes: 0 },
  });
  assertEquals(c.replication, {
    listen: undefined,
    primary: undefined,
    peers: [],
    clusterId: "tandem",
    secret: undefined,
    ackStrategy: "timeout",
    ackTimeoutMs: 500,
    quorum: 1,
    ackStrategyByMsgType: {},
    maxUnackedMessages: 10_000,
    heartbeatIntervalMs: 1_000,
    autoPromoteAfterMs: 0,
    requireContactBeforeAutoPromote: true,
    reconnectDelayMs: 1_000,
    connectTimeoutMs: 5_000,
    readyLagRecords: 0,
    maxBatchBytes: 1_048_576,
    peerIds: [],
    tls: undefined,
    advertise: undefined,
    minInSync: 1,
    maxLagMs: 2_000,
  });
  assertEquals(c.admin, {
    listen: { hostname: "127.0.0.1", port: 9901 },
    token: undefined,
    peers: [],
    pageRefreshMs: 1_000,
    allowedHosts: [],
    allowedOrigins: [],
    maxBodyBytes: 65_536,
  });
  assertEquals(c.api, {
    listen: undefined,
    token: undefined,
    allowedHosts: [],
    allowedOrigins: [],
    maxBodyBytes: 1_048_576,
    maxWebSocketMessageBytes: 4_096,
    memberUrls: {},
  });
  assertEquals(c.log, { level: "info", format: "auto", fixMessages: false, redactTags: [] });
  assertEquals(c.sessions, [{
    beginString: "FIX.4.4",
    senderCompId: "ISLD",
    targetCompId: "TW44",
    defaultApplVerId: undefined,
    heartbeatIntervalS: 30,
    testRequestDelayMultiplier: 0.5,
    sendingTimeToleranceS: 120,
    maxLatencyS: undefined,
    checkLatency: true,
    checkCompId: true,
    resetOnLogon: false,
    resetOnLogout: false,
    resetOnDisconnect: false,
    refreshOnLogon: false,
    useNextExpectedMsgSeqNum: false,
    resendRequestChunkSize: 0,
    maxResendRange: 100_000,
    enableLastMsgSeqNumProcessed: false,
    rejectGarbledMessage: false,
    onCounterpartyAhead: "hold",
    timestampPrecision: 3,
    validation: {
      validateLengthAndChecksum: true,
      checkFieldsOutOfOrder: true,
      checkFieldsHaveValues: true,
      checkUserDefinedFields: true,
      allowUnknownMessageFields: false,
      checkRequiredFields: true,
    },
    dictionary: undefined,
    transportDictionary: undefined,
    schedule: {
      nonStop: true,
      startTime: undefined,
      endTime: undefined,
      days: undefined,
      timeZone: "UTC",
    },
    application: "echo",
    connect: undefined,
    senderSubId: undefined,
    senderLocationId: undefined,
    targetSubId: undefined,
    targetLocationId: undefined,
    sessionQualifier: undefined,
    logonUsername: undefined,
    logonPassword: undefined,
    minHeartbeatIntervalS: undefined,
    maxHeartbeatIntervalS: undefined,
    maxTemplateSessions: 1_000,
    allowedRemoteAddresses: undefined,
  }]);
});

Deno.test("loadConfig() fills the defaults of an initiator's connect section", () => {
  const c = load(
    MINIMAL.replace("role: acceptor", "role: initiator") +
      "    connect:\n      addresses: [127.0.0.1:9876, '[::1]:9877']\n",
  );
  assertEquals(c.sessions[0]!.connect, {
    addresses: [{ hostname: "127.0.0.1", port: 9876 }, { hostname: "::1", port: 9877 }],
    strategy: "always-start-on-primary",
    connectTimeoutMs: 5_000,
    attemptsPerAddress: 3,
    reconnectDelayMs: 1_000,
    backoffMs: [100, 500, 1_000, 5_000],
    startOverIntervalMs: 60_000,
    logonTimeoutS: 10,
    exitOnFatal: false,
    tls: undefined,
  });
});

Deno.test("loadConfig() reads connect.tls and refuses certFile without keyFile", () => {
  const base = MINIMAL.replace("role: acceptor", "role: initiator") +
    "    connect:\n      addresses: [127.0.0.1:9876]\n      tls:\n        caFile: ca.pem\n";
  assertEquals(load(base).sessions[0]!.connect?.tls?.caFile, "ca.pem");
  const issue = only(base + "        certFile: client.pem\n");
  assertEquals(issue.path, "sessions[0].connect.tls");
  assertStringIncludes(issue.message, "certFile and keyFile go together");
});

Deno.test("loadConfig() suggests the nearest key for a typo and names line and column", () => {
  const issue = only(MINIMAL.replace("listen:", "lsten:") + "  \n", {
    overrides: { listen: "127.0.0.1:1" },
  });
  assertEquals(issue.path, "fix.lsten");
  assertEquals([issue.line, issue.column], [4, 3]);
  assertStringIncludes(issue.message, 'did you mean "listen"?');
});

Deno.test("loadConfig() maps QuickFIX-style key spelling to the camelCase key", () => {
  const issue = only(
    MINIMAL.replace("senderCompId: ISLD", "senderCompId: ISLD\n    HeartbeatIntervalS: 5"),
  );
  assertEquals(issue.path, "sessions[0].HeartbeatIntervalS");
  assertStringIncludes(issue.message, 'did you mean "heartbeatIntervalS"?');
});

Deno.test("loadConfig() refuses a wrong type naming key and line", () => {
  const issue = only(MINIMAL.replace("fix:\n", "fix:\n  maxConnections: lots\n"));
  assertEquals(issue.path, "fix.maxConnections");
  assertEquals(issue.line, 4);
  assertStringIncludes(issue.message, 'Expected an integer, got "lots"');
  assertStringIncludes(
    only(MINIMAL + "log:\n  fixMessages: yes\n").message,
    'Expected true or false, got "yes"',
  );
  assertStringIncludes(only(MINIMAL + "log: [1]\n").message, "Expected a map of keys, got a list");
});

Deno.test("loadConfig() refuses out-of-range numbers", () => {
  const low = only(MINIMAL + "journal:\n  segmentSizeBytes: 1024\n");
  assertEquals(low.path, "journal.segmentSizeBytes");
  assertStringIncludes(low.message, "below the minimum 65536 bytes");
  const high = only(MINIMAL.replace("TW44\n", "TW44\n    heartbeatIntervalS: 2h\n"));
  assertEquals(high.path, "sessions[0].heartbeatIntervalS");
  assertStringIncludes(high.message, "7200 s is above the maximum 3600 s");
});

Deno.test("loadConfig() refuses a bad enum value with a suggestion", () => {
  const issue = only(MINIMAL + "journal:\n  syncPolicy: allways\n");
  assertEquals([issue.path, issue.line, issue.column], ["journal.syncPolicy", 10, 15]);
  assertStringIncludes(
    issue.message,
    '"allways" is not one of none, interval, always; did you mean "always"?',
  );
});

Deno.test("loadConfig() refuses bad HOST:PORT values", () => {
  for (
    const [bad, why] of [
      ["127.0.0.1", "missing :PORT"],
      ["127.0.0.1:99999", "above 65535"],
      ["300.0.0.1:80", "not an IPv4 address"],
      ["::1:80", "brackets"],
      ["host name:80", "not a valid host name"],
      [":80", "missing host"],
    ]
  ) {
    const issue = only(MINIMAL.replace("127.0.0.1:9876", `"${bad}"`));
    assertEquals(issue.path, "fix.listen");
    assertEquals(issue.line, 4);
    assertStringIncludes(issue.message, why!);
  }
});

Deno.test("loadConfig() reads api.memberUrls by node id and refuses what is not an http(s) base URL", () => {
  const ok = load(
    MINIMAL + 'api:\n  memberUrls: { a: "http://10.0.0.1:9902", b: "https://h:1/" }\n',
  );
  assertEquals(ok.api.memberUrls, { a: "http://10.0.0.1:9902", b: "https://h:1/" });
  for (const bad of ["10.0.0.1:9902", "http://h:1/path", "ftp://h:1"]) {
    const issue = only(MINIMAL + `api:\n  memberUrls: { a: "${bad}" }\n`);
    assertEquals(issue.path, "api.memberUrls.a");
  }
  assertEquals(
    only(MINIMAL + 'api:\n  memberUrls: { "a b": "http://h:1" }\n').path,
    "api.memberUrls.a b",
  );
});

Deno.test("loadConfig() accepts durations with units and refuses bad ones", () => {
  const c = load(
    MINIMAL +
      "replication:\n  ackTimeoutMs: 1.5s\n  heartbeatIntervalMs: 250ms\n  autoPromoteAfterMs: 2m\n",
  );
  assertEquals(
    [
      c.replication.ackTimeoutMs,
      c.replication.heartbeatIntervalMs,
      c.replication.autoPromoteAfterMs,
    ],
    [1_500, 250, 120_000],
  );
  assertEquals(
    load(MINIMAL + "journal:\n  retention:\n    maxAgeDays: 2d\n").journal.retention.maxAgeDays,
    2,
  );
  for (const bad of ["5 parsecs", "1.5ms", "-3s", "fast"]) {
    const issue = only(MINIMAL + `replication:\n  ackTimeoutMs: "${bad}"\n`);
    assertEquals([issue.path, issue.line], ["replication.ackTimeoutMs", 10]);
    assertStringIncludes(issue.message, "Cannot parse duration");
  }
});

Deno.test("loadConfig() accepts byte sizes with units", () => {
  assertEquals(
    load(MINIMAL + "journal:\n  segmentSizeBytes: 64MiB\n").journal.segmentSizeBytes,
    67_108_864,
  );
  assertEquals(
    load(MINIMAL.replace("fix:\n", "fix:\n  maxMessageBytes: 4KiB\n")).fix.maxMessageBytes,
    4_096,
  );
  assertStringIncludes(
    only(MINIMAL + "journal:\n  segmentSizeBytes: 64 parsecs\n").message,
    "Cannot parse byte size",
  );
});

Deno.test("loadConfig() refuses bad times of day and time zones", () => {
  assertStringIncludes(
    only(MINIMAL + "journal:\n  rollDailyAt: '24:00'\n").message,
    "out of range",
  );
  const tz = only(MINIMAL + "journal:\n  timeZone: Europe/Lndon\n");
  assertEquals(tz.path, "journal.timeZone");
  assertStringIncludes(tz.message, "not a known IANA time zone");
});

Deno.test("loadConfig() substitutes ${ENV:NAME} and refuses a missing variable", () => {
  const text = MINIMAL.replace("role: acceptor", "role: acceptor\n  ha: primary") +
    "replication:\n  listen: 127.0.0.1:9880\n  peerIds: [b]\n  secret: ${ENV:REPL_SECRET}\nadmin:\n  token: tok-$${literal}\n";
  const c = load(text, { env: { REPL_SECRET: "0123456789abcdef0123" } });
  assertEquals(c.replication.secret, "0123456789abcdef0123");
  assertEquals(c.admin.token, "tok-${literal}");
  const missing = only(text, { env: {} });
  assertEquals([missing.path, missing.line], ["replication.secret", 13]);
  assertStringIncludes(missing.message, "environment variable REPL_SECRET is not set");
  assertStringIncludes(
    only(text.replace("${ENV:REPL_SECRET}", "${REPL_SECRET}")).message,
    "only ${ENV:NAME} is supported",
  );
});

Deno.test("loadConfig() warns about a secret written in plain text", () => {
  const warnings: ConfigIssue[] = [];
  load(MINIMAL + "admin:\n  token: plain-text-token\n", { onWarning: (w) => warnings.push(w) });
  assertEquals(warnings.length, 1);
  assertEquals([warnings[0]!.path, warnings[0]!.line], ["admin.token", 10]);
  const none: ConfigIssue[] = [];
  load(MINIMAL + "admin:\n  token: ${ENV:T}\n", {
    env: { T: "x" },
    onWarning: (w) => none.push(w),
  });
  assertEquals(none, []);
});

Deno.test("loadConfig() applies command-line overrides and names the flag in errors", () => {
  const c = load(MINIMAL, {
    overrides: {
      listen: "0.0.0.0:1234",
      dataDir: "/tmp/x",
      admin: "127.0.0.1:0",
      role: "acceptor",
      ha: "standalone",
    },
  });
  assertEquals(c.fix.listen, { hostname: "0.0.0.0", port: 1234 });
  assertEquals(c.node.dataDir, "/tmp/x");
  assertEquals(c.admin.listen.port, 0);
  const bad = only(MINIMAL, { overrides: { listen: "nowhere" } });
  assertEquals([bad.source, bad.path, bad.line], [
    "command line --listen",
    "fix.listen",
    undefined,
  ]);
  const role = only(MINIMAL, { overrides: { role: "acceptr" } });
  assertEquals(role.source, "command line --role");
  assertStringIncludes(role.message, 'did you mean "acceptor"?');
  // The flag fills a key the file lacks; an empty file gets its sections created.
  assertEquals(
    load(MINIMAL.replace("fix:\n  listen: 127.0.0.1:9876\n", ""), {
      overrides: { listen: "127.0.0.1:5" },
    }).fix.listen?.port,
    5,
  );
});

Deno.test("loadConfig() runs the cross-field checks", () => {
  const cases: [string, string, string][] = [
    [
      MINIMAL.replace("fix:\n  listen: 127.0.0.1:9876\n", ""),
      "fix.listen",
      "An acceptor needs fix.listen",
    ],
    [MINIMAL.replace("node:\n  role: acceptor\n", ""), "node.role", "--role"],
    [
      MINIMAL.replace("role: acceptor", "role: acceptor\n  ha: secondary") +
      "replication:\n  peerIds: [a]\n  secret: 0123456789abcdef\n",
      "replication.primary",
      "A secondary needs replication.primary",
    ],
    [
      MINIMAL.replace("FIX.4.4", "FIXT.1.1"),
      "sessions[0].defaultApplVerId",
      "required for FIXT.1.1",
    ],
    [
      MINIMAL.replace("TW44\n", "TW44\n    defaultApplVerId: FIX.5.0\n"),
      "sessions[0].defaultApplVerId",
      "only to FIXT.1.1",
    ],
    [
      MINIMAL + "  - { beginString: FIX.4.4, senderCompId: ISLD, targetCompId: TW44 }\n",
      "sessions[1]",
      "Duplicate session FIX.4.4:ISLD->TW44",
    ],
    [
      MINIMAL.replace("role: acceptor", "role: initiator"),
      "sessions[0].connect",
      "An initiator session needs connect.addresses",
    ],
    [MINIMAL + "admin:\n  listen: 0.0.0.0:9901\n", "admin.token", "needs a token"],
    [
      MINIMAL.replace("TW44\n", "TW44\n    application: api\n"),
      "sessions[0].application",
      "needs api.listen",
    ],
    [
      MINIMAL.replace("FIX.4.4", "FIX.4.1").replace("TW44\n", "TW44\n    timestampPrecision: 3\n"),
      "sessions[0].timestampPrecision",
      "use 0",
    ],
    [
      MINIMAL.replace(
        "TW44\n",
        "TW44\n    schedule: { nonStop: true, startTime: '08:00:00', endTime: '17:00:00' }\n",
      ),
      "sessions[0].schedule.nonStop",
      "cannot have startTime",
    ],
    [
      MINIMAL.replace("TW44\n", "TW44\n    sendingTimeToleranceS: 5\n    maxLatencyS: 6\n"),
      "sessions[0].maxLatencyS",
      "not both",
    ],
    [
      MINIMAL.replace("fix:\n", "fix:\n  tls: { certFile: a.pem }\n"),
      "fix.tls",
      "certFile and keyFile",
    ],
    [
      MINIMAL.replace(
        "fix:\n",
        "fix:\n  tls: { certFile: a.pem, keyFile: k.pem, caFile: ca.pem }\n",
      ),
      "fix.tls.caFile",
      "only used with requireClientCert",
    ],
  ];
  for (const [text, path, message] of cases) {
    const issue = only(text);
    assertEquals(issue.path, path, text);
    assertStringIncludes(issue.message, message);
    assert(issue.line !== undefined, `${path} has a line`);
  }
});

const SECONDARY = MINIMAL.replace("role: acceptor", "role: acceptor\n  ha: secondary") +
  "replication:\n  primary: 127.0.0.1:9880\n  peerIds: [a]\n  secret: 0123456789abcdef\n";

Deno.test("loadConfig() refuses replication.autoPromoteAfterMs below 3 heartbeat intervals, naming both keys (the README's old 1000 ms with a 1000 ms heartbeat)", () => {
  const issue = only(SECONDARY + "  autoPromoteAfterMs: 1000\n");
  assertEquals(issue.path, "replication.autoPromoteAfterMs");
  assertStringIncludes(issue.message, "replication.autoPromoteAfterMs 1000 ms");
  assertStringIncludes(issue.message, "replication.heartbeatIntervalMs (1000 ms)");
  assertStringIncludes(issue.message, "at least 3000 ms");
  assertEquals(
    only(SECONDARY + "  heartbeatIntervalMs: 500\n  autoPromoteAfterMs: 1499\n").path,
    "replication.autoPromoteAfterMs",
  );
  const safe = load(SECONDARY + "  heartbeatIntervalMs: 500\n  autoPromoteAfterMs: 1500\n");
  assertEquals(safe.replication.autoPromoteAfterMs, 1500);
  assertEquals(
    load(SECONDARY + "  autoPromoteAfterMs: 5000\n").replication.autoPromoteAfterMs,
    5000,
  );
  assertEquals(
    load(SECONDARY).replication.autoPromoteAfterMs,
    0,
    "0 (by command only) is always allowed",
  );
  assertEquals(
    load(SECONDARY + "  requireContactBeforeAutoPromote: false\n").replication
      .requireContactBeforeAutoPromote,
    false,
  );
});

Deno.test("loadConfig() derives defaults that depend on other keys", () => {
  const old = load(MINIMAL.replace("FIX.4.4", "FIX.4.0"));
  assertEquals(old.sessions[0]!.timestampPrecision, 0);
  const timed = load(
    MINIMAL.replace(
      "TW44\n",
      "TW44\n    schedule: { startTime: '08:00:00', endTime: '17:00:00', days: [mon, fri] }\n",
    ),
  );
  assertEquals(timed.sessions[0]!.schedule.nonStop, false);
  assertEquals(timed.sessions[0]!.schedule.days, ["mon", "fri"]);
  assertEquals(
    load(MINIMAL.replace("TW44\n", "TW44\n    maxLatencyS: 7\n")).sessions[0]!
      .sendingTimeToleranceS,
    7,
  );
  const fixt = load(
    MINIMAL.replace("FIX.4.4", "FIXT.1.1").replace(
      "TW44\n",
      "TW44\n    defaultApplVerId: FIX.5.0SP2\n",
    ),
  );
  assertEquals(fixt.sessions[0]!.defaultApplVerId, "FIX.5.0SP2");
});

Deno.test("loadConfig() reads per-MsgType ack strategies with numeric keys", () => {
  const c = load(
    MINIMAL + 'replication:\n  ackStrategyByMsgType:\n    8: forever\n    "AE": never\n',
  );
  assertEquals(c.replication.ackStrategyByMsgType, { "8": "forever", AE: "never" });
  const bad = only(MINIMAL + "replication:\n  ackStrategyByMsgType:\n    8: sometimes\n");
  assertEquals(bad.path, "replication.ackStrategyByMsgType.8");
});

Deno.test("loadConfig() reports YAML syntax errors with line and column", () => {
  const issue = only("node:\n  role: [acceptor\nfix: 1\n");
  assertEquals(issue.path, "");
  assert(issue.line !== undefined && issue.line >= 2, `line ${issue.line}`);
  assertStringIncludes(issue.message, "Cannot parse YAML");
  assertStringIncludes(
    only(MINIMAL + "fix:\n  maxConnections: 5\n").message,
    "Map keys must be unique",
  );
});

Deno.test("loadConfig() refuses an empty value instead of silently using the default", () => {
  const issue = only(MINIMAL + "journal:\n  syncPolicy:\n");
  assertEquals(issue.path, "journal.syncPolicy");
  assertStringIncludes(issue.message, "remove the key to use the default");
  // An empty section (all keys commented out) means its defaults.
  assertEquals(load(MINIMAL + "api:\n  # listen: 127.0.0.1:1\n").api.listen, undefined);
});

Deno.test("loadConfig() refuses an empty or non-map document", () => {
  const issues = problems("");
  assert(issues.some((i) => i.path === "sessions" && i.message === "Missing required key"));
  assertStringIncludes(only("- a\n- b\n").message, "Expected a map of keys");
});

Deno.test("loadConfig() enforces its limits: file size, issues, sessions, list lengths", () => {
  assertStringIncludes(only("#".repeat(MAX_CONFIG_BYTES + 1)).message, "above the limit");
  const many = MINIMAL + Array.from({ length: 80 }, (_, i) => `k${i}: 1\n`).join("");
  const issues = problems(many);
  assertEquals(issues.length, MAX_CONFIG_ISSUES + 1);
  assertStringIncludes(issues.at(-1)!.message, "Too many problems");
  const longBackoff = only(
    MINIMAL.replace("role: acceptor", "role: initiator") +
      `    connect: { addresses: [127.0.0.1:1], backoffMs: [${Array(33).fill(1).join(",")}] }\n`,
  );
  assertStringIncludes(longBackoff.message, "at most 32 items");
  assertStringIncludes(
    only(MINIMAL.replace(/sessions:[^]*/, "sessions: []\n")).message,
    "at least 1 item",
  );
});

Deno.test("ConfigError message lists each problem as file:line:column: path: message", () => {
  const e = assertThrows(
    () =>
      load(MINIMAL.replace("listen:", "lsten:") + "log:\n  level: loud\n", {
        overrides: { listen: "127.0.0.1:1" },
      }),
    ConfigError,
  );
  assertEquals(e.message.split("\n"), [
    "Cannot load config t.yaml: 2 problems",
    '  t.yaml:4:3: fix.lsten: Unknown key "lsten"; did you mean "listen"?',
    '  t.yaml:10:10: log.level: Value "loud" is not one of debug, info, warn, error',
  ]);
  assertInstanceOf(e, SyntaxError);
});

Deno.test("readConfigFile() gives a clear error for a missing file", async () => {
  const e = await assertRejects(
    () => readConfigFile("/nonexistent/tandem.yaml", { env: {} }),
    ConfigError,
  );
  assertEquals(
    e.message,
    "Cannot load config /nonexistent/tandem.yaml: 1 problem\n  /nonexistent/tandem.yaml: Cannot read config: file not found",
  );
});

Deno.test("readConfigFile() reads and validates a real file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/tandem.yaml`;
    await Deno.writeTextFile(path, MINIMAL.replace("ISLD", "${ENV:SENDER}"));
    const c = await readConfigFile(path, { env: { SENDER: "FROMENV" } });
    assertEquals(c.sessions[0]!.senderCompId, "FROMENV");
    await Deno.writeTextFile(path, MINIMAL + "fix:\n  bogus: 1\n");
    const e = await assertRejects(() => readConfigFile(path, { env: {} }), ConfigError);
    assertEquals(e.issues[0]!.source, path);
    await assertRejects(() => readConfigFile(dir, { env: {} }), ConfigError, "not a file");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("redactConfig() masks secrets and writes addresses as HOST:PORT", () => {
  const c = load(MINIMAL + "admin:\n  token: ${ENV:T}\n", { env: { T: "super-secret-token" } });
  const r = redactConfig(c) as { admin: { token: string; listen: string } };
  assertEquals(r.admin, {
    listen: "127.0.0.1:9901",
    token: "***",
    peers: [],
    pageRefreshMs: 1000,
    allowedHosts: [],
    allowedOrigins: [],
    maxBodyBytes: 65_536,
  });
  assert(!JSON.stringify(r).includes("super-secret-token"));
});

Deno.test("TandemConfig types follow the schema (checked by the compiler)", () => {
  const c = load(MINIMAL);
  const maxConnections: number = c.fix.maxConnections;
  const role: "acceptor" | "initiator" = c.node.role;
  const precision: 0 | 3 | 6 | 9 = c.sessions[0]!.timestampPrecision;
  // @ts-expect-error fix.listen is optional, so it may be undefined
  const port: number = c.fix.listen.port;
  // @ts-expect-error a session's beginString is one of the listed values
  const begin: "FIX.9.9" = c.sessions[0]!.beginString;
  assertEquals([maxConnections, role, precision, port, begin], [
    100,
    "acceptor",
    3,
    9876,
    "FIX.4.4",
  ]);
});

Deno.test("loadConfig() shares session settings through x- anchors and << merges", () => {
  const c = load(`node: { role: acceptor }
fix: { listen: 127.0.0.1:9876 }
x-session: &session
  senderCompId: ISLD
  resetOnLogon: true
  validation: { checkFieldsHaveValues: false }
x-fixt: &fixt
  beginString: FIXT.1.1
  defaultApplVerId: FIX.5.0
sessions:
  - { <<: *session, beginString: FIX.4.2, targetCompId: TW42 }
  - { <<: [*fixt, *session], targetCompId: TW50, resetOnLogon: false }
`);
  assertEquals(
    c.sessions.map((s) => [s.beginString, s.senderCompId, s.targetCompId, s.resetOnLogon]),
    [
      ["FIX.4.2", "ISLD", "TW42", true],
      ["FIXT.1.1", "ISLD", "TW50", false],
    ],
  );
  assertEquals(c.sessions[1]!.validation.checkFieldsHaveValues, false);
  assertEquals(c.sessions[1]!.defaultApplVerId, "FIX.5.0");
  // A typo inside an anchor is reported where it is written.
  const issue = only(`node: { role: acceptor }
fix: { listen: 127.0.0.1:9876 }
x-session: &session
  senderCompID: ISLD
sessions:
  - { <<: *session, beginString: FIX.4.2, senderCompId: A, targetCompId: TW42 }
`);
  assertEquals([issue.path, issue.line], ["sessions[0].senderCompID", 4]);
});

Deno.test("loadConfig() tells where a QuickFIX setting lives in Tandem's configuration", () => {
  const issue = only(MINIMAL.replace("TW44\n", "TW44\n    HeartBtInt: 30\n"));
  assertEquals(issue.path, "sessions[0].HeartBtInt");
  assertStringIncludes(issue.message, "that setting is sessions[].heartbeatIntervalS here");
  assertStringIncludes(
    only(MINIMAL + "SocketAcceptPort: 9876\n").message,
    "that setting is fix.listen here",
  );
});

Deno.test("loadConfig() points QuickFIX/J's session settings of the same meaning to Tandem's keys", () => {
  for (
    const [name, key] of [
      ["EnableLastMsgSeqNumProcessed", '"enableLastMsgSeqNumProcessed"'],
      ["RejectGarbledMessage", '"rejectGarbledMessage"'],
      ["EnableNextExpectedMsgSeqNum", '"useNextExpectedMsgSeqNum"'],
    ] as const
  ) {
    const issue = only(MINIMAL.replace("TW44\n", `TW44\n    ${name}: Y\n`));
    assertStringIncludes(issue.message, key);
  }
});

Deno.test("loadConfig() skips cross-field checks of parts that hold errors, even past the issue limit", () => {
  const noise = Array.from({ length: 60 }, (_, i) => `k${i}: 1\n`).join("");
  const text = noise +
    MINIMAL.replace("TW44\n", "TW44\n    schedule: { startTime: 99, endTime: '17:00:00' }\n");
  const issues = problems(text);
  assertEquals(issues.length, MAX_CONFIG_ISSUES + 1);
});

Deno.test("loadConfig() reads replication.peerIds and replication.tls and refuses own id or tls without caFile", () => {
  const base = `node:
  id: a
  role: acceptor
fix:
  listen: 127.0.0.1:9876
replication:
  peerIds: [b]
  tls:
    certFile: /n.pem
    keyFile: /n.key
    caFile: /ca.pem
sessions:
  - beginString: FIX.4.4
    senderCompId: ISLD
    targetCompId: TW44
`;
  const c = load(base);
  assertEquals(c.replication.peerIds, ["b"]);
  assertEquals(c.replication.tls, {
    certFile: "/n.pem",
    keyFile: "/n.key",
    caFile: "/ca.pem",
    requireClientCert: true,
  });
  const own = only(base.replace("peerIds: [b]", "peerIds: [b, a]"));
  assertEquals(own.path, "replication.peerIds");
  assertStringIncludes(own.message, `this node's own id "a"`);
  const noCa = only(base.replace("    caFile: /ca.pem\n", ""));
  assertEquals(noCa.path, "replication.tls.caFile");
});

Deno.test("loadConfig() refuses a primary or secondary without replication.peerIds: membership is what the handshake proves", () => {
  const issue = only(SECONDARY.replace("  peerIds: [a]\n", ""));
  assertEquals(issue.path, "replication.peerIds");
  assertStringIncludes(issue.message, "A secondary needs replication.peerIds");
});

Deno.test("loadConfig() takes a replicated gateway (initiator with node.ha or etcd) and refuses fix.listen on it", () => {
  const gateway = `node:
  id: gw-a
  role: initiator
  ha: primary
replication:
  listen: 127.0.0.1:9101
  peers: [127.0.0.1:9102]
  peerIds: [gw-b]
  secret: a secret long enough for the test
sessions:
  - beginString: FIX.4.4
    senderCompId: TANDEM
    targetCompId: VENUE
    connect:
      addresses: [127.0.0.1:9876]
`;
  const c = load(gateway);
  assertEquals([c.node.role, c.node.ha], ["initiator", "primary"]);
  const cluster = gateway.replace("ha: primary", "ha: secondary") +
    "coordination:\n  kind: etcd\n  etcd:\n    endpoints: [http://127.0.0.1:2379]\n";
  assertEquals(load(cluster).coordination.kind, "etcd");
  const issue = only(gateway + "fix:\n  listen: 127.0.0.1:9876\n");
  assertEquals(issue.path, "fix.listen");
  assertStringIncludes(issue.message, "never listens for FIX");
});
