import { assert, assertEquals, assertThrows } from "../testing/assert.ts";
import { loadConfig } from "../config/mod.ts";
import { Logger } from "../log/mod.ts";
import { Registry } from "../metrics/registry.ts";
import { acceptorTlsOptions, connectionEvents, initiatorConnectOptions } from "./gateway.ts";

const GATEWAY = `node:
  role: initiator
sessions:
  - beginString: FIX.4.4
    senderCompId: GW
    targetCompId: EXEC
    connect:
      addresses: [127.0.0.1:9876, 127.0.0.1:9877]
      strategy: fatal-failure
      attemptsPerAddress: 2
      backoffMs: [0]
      logonTimeoutS: 3
      connectTimeoutMs: 700
      tls: { caFile: ca.pem, serverName: fix.example.com }
`;

Deno.test("initiatorConnectOptions() builds the configured strategy, timeouts and TLS of a session", () => {
  const config = loadConfig(GATEWAY, { source: "gw.yaml", env: {} });
  const o = initiatorConnectOptions(config.sessions[0]!);
  assertEquals(o.strategy.kind, "fatal-failure");
  assertEquals([o.connectTimeoutMs, o.logonTimeoutMs], [700, 3000]);
  assertEquals(o.tls, { ca: { file: "ca.pem" }, serverName: "fix.example.com" });
  assertEquals(o.addresses.length, 2);
  // fatal-failure after 2 attempts on each of 2 addresses.
  for (const i of [0, 0, 1]) {
    o.strategy.onAttemptFailed(i, "connect-refused", 0);
    assertEquals(o.strategy.next(0).type, "attempt");
  }
  o.strategy.onAttemptFailed(1, "connect-refused", 0);
  assertEquals(o.strategy.next(0).type, "fatal");
});

Deno.test("initiatorConnectOptions() refuses a session without a connect section", () => {
  const config = loadConfig(GATEWAY.replace("initiator", "acceptor").split("    connect:")[0]!, {
    source: "a.yaml",
    env: {},
    overrides: { listen: "127.0.0.1:1" },
  });
  assertThrows(() => initiatorConnectOptions(config.sessions[0]!), TypeError, "no connect section");
});

Deno.test("acceptorTlsOptions() maps fix.tls to transport options", () => {
  assertEquals(acceptorTlsOptions(undefined), undefined);
  assertEquals(
    acceptorTlsOptions({
      certFile: "c.pem",
      keyFile: "k.pem",
      caFile: "ca.pem",
      requireClientCert: true,
    }),
    {
      tls: {
        cert: { file: "c.pem" },
        key: { file: "k.pem" },
        ca: { file: "ca.pem" },
        requireClientCert: true,
      },
    },
  );
  assertThrows(
    () =>
      acceptorTlsOptions({
        certFile: "c.pem",
        keyFile: undefined,
        caFile: undefined,
        requireClientCert: false,
      }),
    TypeError,
    "certFile and keyFile",
  );
});

Deno.test("connectionEvents() counts events and failures per session and logs them", () => {
  const registry = new Registry();
  const lines: string[] = [];
  const sink = connectionEvents(
    registry,
    new Logger({ sink: (l) => lines.push(l), format: "json" }),
  )(
    "FIX.4.4:GW->EXEC",
  );
  const address = { host: "127.0.0.1", port: 9876 };
  sink({ type: "waiting", addressIndex: 1, attemptAtMs: 0, reason: "r" });
  sink({ type: "connecting", attempt: 1, addressIndex: 1, address });
  sink({ type: "attempt-failed", attempt: 1, addressIndex: 1, failure: "logon-timeout" });
  sink({ type: "logged-on", attempt: 2, addressIndex: 0 });
  sink({ type: "failed-over", fromIndex: 1, toIndex: 0 });
  sink({ type: "fatal-failure", reason: "gave up", attempts: 9 });
  const text = registry.render();
  const s = 'session="FIX.4.4:GW->EXEC"';
  for (
    const series of [
      `tandem_connection_events_total{event="connecting",${s}} 1`,
      `tandem_connection_events_total{event="attempt-failed",${s}} 1`,
      `tandem_connection_events_total{event="logged-on",${s}} 1`,
      `tandem_connection_events_total{event="failed-over",${s}} 1`,
      `tandem_connection_events_total{event="fatal-failure",${s}} 1`,
      `tandem_connection_failures_total{failure="logon-timeout",${s}} 1`,
      `tandem_connection_address_index{${s}} 1`,
    ]
  ) assert(text.includes(series), `${series} in\n${text}`);
  assertEquals(lines.length, 5, lines.join("\n"));
  assert(lines.some((l) => l.includes('"failed over"') && l.includes('"toIndex":0')));
});
