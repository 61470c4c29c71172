/**
 * The deployment examples in `deploy/` (see "Deploying" in README.md) stay valid: the systemd
 * unit has the settings an operator relies on and passes `systemd-analyze verify`, and the
 * configuration it runs passes `check-config` with the secrets of the example environment file.
 */
import { assert, assertEquals, assertStringIncludes } from "../lib/testing/assert.ts";
import { parse as parseYaml } from "yaml";

const DEPLOY = new URL("../deploy/", import.meta.url).pathname;
const MAIN = new URL("../main.ts", import.meta.url).pathname;

/** `[Section]` → key → values (a key may repeat), comments and blank lines dropped. */
function parseUnit(text: string): Map<string, Map<string, string[]>> {
  const sections = new Map<string, Map<string, string[]>>();
  let current: Map<string, string[]> | undefined;
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      current = new Map();
      sections.set(header[1]!, current);
      continue;
    }
    const eq = line.indexOf("=");
    assert(current !== undefined && eq > 0, `unit line outside a section or without '=': ${line}`);
    const key = line.slice(0, eq);
    current.set(key, [...(current.get(key) ?? []), line.slice(eq + 1)]);
  }
  return sections;
}

const unitText = Deno.readTextFileSync(`${DEPLOY}tandem.service`);
const unit = parseUnit(unitText);
const service = unit.get("Service")!;
const one = (key: string) => {
  const v = service.get(key);
  assertEquals(v?.length, 1, `[Service] ${key} is set once`);
  return v![0]!;
};

Deno.test("deploy/tandem.service restarts on failure, but not on a bad config or a corrupt journal", () => {
  assertEquals(one("Restart"), "on-failure");
  assert(/^\d+(ms|s)?$/.test(one("RestartSec")) && parseInt(one("RestartSec")) >= 1);
  assertEquals(one("RestartPreventExitStatus").split(/\s+/).sort(), ["2", "4"]);
  assertEquals(one("KillSignal"), "SIGTERM");
  assert(unit.get("Unit")!.has("StartLimitBurst"), "a restart loop is bounded");
});

Deno.test("deploy/tandem.service runs as its own user with file limits, secrets and a data directory", () => {
  assertEquals(one("User"), "tandem");
  assert(Number(one("LimitNOFILE")) >= 65_536);
  assertEquals(one("EnvironmentFile"), "/etc/tandem/tandem.env");
  assertEquals(one("StateDirectory"), "tandem");
  assert(!service.has("MemoryDenyWriteExecute"), "V8 needs executable memory");
  const exec = one("ExecStart").split(/\s+/);
  assertEquals(exec, ["/usr/local/bin/tandem", "--config", "/etc/tandem/tandem.yaml"]);
  const config = parseYaml(Deno.readTextFileSync(`${DEPLOY}tandem.yaml`)) as {
    node: { dataDir: string };
  };
  assertEquals(config.node.dataDir, `/var/lib/${one("StateDirectory")}`);
  assertEquals(one("WorkingDirectory"), config.node.dataDir);
});

Deno.test({
  name: "deploy/tandem.service passes systemd-analyze verify",
  ignore: !(() => {
    try {
      return Deno.statSync("/usr/bin/systemd-analyze").isFile;
    } catch {
      return false;
    }
  })(),
  fn: async () => {
    const dir = await Deno.makeTempDir();
    try {
      // The binary is not installed here: verify the unit with an executable that exists.
      await Deno.writeTextFile(
        `${dir}/tandem.service`,
        unitText.replaceAll("/usr/local/bin/tandem", "/bin/true"),
      );
      const out = await new Deno.Command("systemd-analyze", {
        args: ["verify", `${dir}/tandem.service`],
        stdout: "piped",
        stderr: "piped",
      }).output();
      const stderr = new TextDecoder().decode(out.stderr);
      assertEquals([out.code, stderr], [0, ""]);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("deploy/tandem.yaml passes check-config with the secrets of tandem.env.example", async () => {
  const env: Record<string, string> = { NO_COLOR: "1" };
  for (const line of Deno.readTextFileSync(`${DEPLOY}tandem.env.example`).split("\n")) {
    const m = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line);
    if (m) env[m[1]!] = m[2]!;
  }
  assertEquals(Object.keys(env).sort(), [
    "NO_COLOR",
    "TANDEM_ADMIN_TOKEN",
    "TANDEM_REPLICATION_SECRET",
  ]);
  const dataDir = await Deno.makeTempDir();
  try {
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        "--quiet",
        MAIN,
        "check-config",
        `${DEPLOY}tandem.yaml`,
        "--data-dir",
        dataDir,
      ],
      env,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const dec = new TextDecoder();
    assertEquals(out.code, 0, dec.decode(out.stderr));
    assertStringIncludes(dec.decode(out.stdout), "node venue-a: acceptor, ha primary");
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});
