import { assertEquals, assertThrows } from "../testing/assert.ts";
import { CliUsageError, parseCliArgs } from "./mod.ts";
import { DEFAULT_DEMO_ORDERS, DEFAULT_GATEWAY_HA_DEMO_ORDERS } from "./cli_args.ts";

Deno.test("parseCliArgs() reads a run with every override flag, in both flag forms", () => {
  assertEquals(
    parseCliArgs([
      "--config",
      "t.yaml",
      "--role=acceptor",
      "--ha",
      "primary",
      "--listen",
      "0.0.0.0:9876",
      "--data-dir",
      "/var/tandem",
      "--admin=127.0.0.1:9901",
    ]),
    {
      kind: "run",
      configPath: "t.yaml",
      overrides: {
        role: "acceptor",
        ha: "primary",
        listen: "0.0.0.0:9876",
        dataDir: "/var/tandem",
        admin: "127.0.0.1:9901",
      },
    },
  );
  assertEquals(parseCliArgs(["run", "--config", "t.yaml"]), {
    kind: "run",
    configPath: "t.yaml",
    overrides: {},
  });
});

Deno.test("parseCliArgs() reads check-config with a positional file and overrides", () => {
  assertEquals(parseCliArgs(["check-config", "t.yaml", "--role", "initiator"]), {
    kind: "check-config",
    configPath: "t.yaml",
    overrides: { role: "initiator" },
  });
});

Deno.test("parseCliArgs() hands everything after journal to the journal tools", () => {
  assertEquals(parseCliArgs(["journal", "dump", "--json", "--help"]), {
    kind: "journal",
    args: ["dump", "--json", "--help"],
  });
});

Deno.test("parseCliArgs() reads promote, taking the token from the environment when not given", () => {
  assertEquals(
    parseCliArgs(["promote", "--admin", "127.0.0.1:9901"], { TANDEM_ADMIN_TOKEN: "t0k" }),
    {
      kind: "promote",
      admin: { hostname: "127.0.0.1", port: 9901 },
      token: "t0k",
      reason: "promote command",
      timeoutMs: 10_000,
    },
  );
  const explicit = parseCliArgs([
    "promote",
    "--admin=[::1]:1",
    "--token",
    "x",
    "--reason",
    "drill",
    "--timeout-ms",
    "50",
  ], {
    TANDEM_ADMIN_TOKEN: "ignored",
  });
  assertEquals(explicit, {
    kind: "promote",
    admin: { hostname: "::1", port: 1 },
    token: "x",
    reason: "drill",
    timeoutMs: 50,
  });
});

Deno.test("parseCliArgs() reads help and version in every spelling", () => {
  assertEquals(parseCliArgs(["--help"]), { kind: "help", topic: undefined });
  assertEquals(parseCliArgs(["-h"]), { kind: "help", topic: undefined });
  assertEquals(parseCliArgs(["help", "promote"]), { kind: "help", topic: "promote" });
  assertEquals(parseCliArgs(["check-config", "--help"]), { kind: "help", topic: "check-config" });
  assertEquals(parseCliArgs(["--config", "x", "--help"]), { kind: "help", topic: "run" });
  assertEquals(parseCliArgs(["--version"]), { kind: "version" });
  assertEquals(parseCliArgs(["-V"]), { kind: "version" });
});

Deno.test("parseCliArgs() refuses bad usage with a precise message", () => {
  const cases: [string[], string][] = [
    [[], "Missing command or --config FILE"],
    [["--role", "acceptor"], "Missing --config FILE"],
    [["--config", "a", "--lsten", "x"], "Unknown flag --lsten; did you mean --listen?"],
    [["--config", "a", "--config", "b"], "Flag --config given twice"],
    [["--config"], "Flag --config needs a value"],
    [["--config", "--role"], "Flag --config needs a value"],
    [["--config", "a", "extra"], "Unexpected argument extra"],
    [["chek-config", "a"], 'Unknown command "chek-config"; did you mean "check-config"?'],
    [["check-config"], "Missing configuration FILE"],
    [["check-config", "a", "b"], "Expected one configuration file"],
    [["promote"], "Missing --admin HOST:PORT"],
    [
      ["promote", "--admin", "nowhere"],
      'Invalid --admin: Cannot parse HOST:PORT "nowhere": missing :PORT',
    ],
    [["promote", "--admin", "127.0.0.1:1", "--timeout-ms", "0"], "Invalid --timeout-ms 0"],
    [["--version", "x"], "Unexpected argument after --version: x"],
  ];
  for (const [args, message] of cases) {
    const e = assertThrows(() => parseCliArgs(args), CliUsageError);
    assertEquals(e.message.startsWith(message), true, `${args.join(" ")}: ${e.message}`);
  }
});

Deno.test("parseCliArgs() reads demo flags and refuses bad ones", () => {
  assertEquals(parseCliArgs(["demo"]), {
    kind: "demo",
    orders: DEFAULT_DEMO_ORDERS,
    ackStrategy: "forever",
    cluster: false,
    gatewayHa: false,
  });
  assertEquals(parseCliArgs(["demo", "--cluster", "--orders", "30"]), {
    kind: "demo",
    orders: 30,
    ackStrategy: "forever",
    cluster: true,
    gatewayHa: false,
  });
  assertEquals(parseCliArgs(["demo", "--orders", "50", "--ack-strategy", "never"]), {
    kind: "demo",
    orders: 50,
    ackStrategy: "never",
    cluster: false,
    gatewayHa: false,
  });
  assertEquals(parseCliArgs(["demo", "--gateway-ha"]), {
    kind: "demo",
    orders: DEFAULT_GATEWAY_HA_DEMO_ORDERS,
    ackStrategy: "forever",
    cluster: false,
    gatewayHa: true,
  });
  assertEquals(parseCliArgs(["demo", "--gateway-ha", "--orders", "40"]), {
    kind: "demo",
    orders: 40,
    ackStrategy: "forever",
    cluster: false,
    gatewayHa: true,
  });
  assertThrows(
    () => parseCliArgs(["demo", "--cluster", "--gateway-ha"]),
    CliUsageError,
    "Cannot combine --cluster and --gateway-ha",
  );
  assertThrows(() => parseCliArgs(["demo", "--orders", "5"]), CliUsageError, "Invalid --orders 5");
  assertThrows(
    () => parseCliArgs(["demo", "--ack-strategy", "quorum"]),
    CliUsageError,
    "Invalid --ack-strategy quorum",
  );
});

Deno.test("parseCliArgs() picks the role's help from --role and --ha, and help ROLE", () => {
  const topic = (args: string[]) => {
    const c = parseCliArgs(args);
    return c.kind === "help" ? c.topic : c.kind;
  };
  assertEquals(topic(["--role", "initiator", "--help"]), "initiator");
  assertEquals(topic(["--config", "x.yaml", "--ha", "secondary", "-h"]), "secondary");
  assertEquals(topic(["run", "--ha=primary", "--help"]), "primary");
  assertEquals(topic(["--role", "acceptor", "--help"]), "acceptor");
  assertEquals(topic(["--config", "x.yaml", "--help"]), "run");
  assertEquals(topic(["help", "initiator"]), "initiator");
  assertEquals(topic(["help", "promote"]), "promote");
});
