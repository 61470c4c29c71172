/**
 * End-to-end tests of the `tandem` command: `main.ts` run as a real child process.
 */
import { assert, assertEquals, assertStringIncludes } from "../lib/testing/assert.ts";
import { EXIT_CODE_MEANINGS, ExitCode } from "../lib/cli/mod.ts";
import { VERSION } from "../lib/version.ts";

const MAIN = new URL("../main.ts", import.meta.url).pathname;
const EXAMPLE = new URL("../config.example.yaml", import.meta.url).pathname;

async function tandem(args: string[], env: Record<string, string> = {}) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", MAIN, ...args],
    env: { NO_COLOR: "1", ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

Deno.test("tandem --version prints the version and exits 0", async () => {
  const r = await tandem(["--version"]);
  assertEquals([r.code, r.stdout], [0, `tandem ${VERSION}\n`]);
});

Deno.test("tandem --help and COMMAND --help print usage with the exit codes and exit 0", async () => {
  const main = await tandem(["--help"]);
  assertEquals(main.code, 0);
  for (const [code, meaning] of Object.entries(EXIT_CODE_MEANINGS)) {
    assertStringIncludes(main.stdout, `${code}  ${meaning}`);
  }
  for (
    const [args, usage] of [
      [["--role", "acceptor", "--help"], "Usage: tandem --role acceptor --config FILE"],
      [["--role", "acceptor", "--ha", "primary", "--help"], "--ha primary"],
      [["--role", "acceptor", "--ha", "secondary", "--help"], "--ha secondary"],
      [["--role", "initiator", "--help"], "Usage: tandem --role initiator --config FILE"],
    ] as const
  ) {
    const role = await tandem([...args]);
    assertEquals(role.code, 0);
    assertStringIncludes(role.stdout, usage);
    assertStringIncludes(role.stdout, "Exit codes:");
  }
  const promote = await tandem(["promote", "--help"]);
  assertEquals(promote.code, 0);
  assertStringIncludes(promote.stdout, "Usage: tandem promote --admin HOST:PORT");
});

Deno.test("tandem exits 2 with the usage on stderr for an unknown flag", async () => {
  const r = await tandem(["--config", "x.yaml", "--lsten", "1"]);
  assertEquals(r.code, ExitCode.Usage);
  assertStringIncludes(r.stderr, "Unknown flag --lsten; did you mean --listen?");
  assertEquals(r.stdout, "");
});

Deno.test("tandem check-config exits 0 for a valid file and 1 naming file:line for an invalid one", async () => {
  const ok = await tandem(["check-config", EXAMPLE]);
  assertEquals(ok.code, 0, ok.stderr);
  assertStringIncludes(ok.stdout, "OK");
  assertStringIncludes(ok.stdout, "session FIX.4.4:ISLD->TW44");
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/bad.yaml`;
    await Deno.writeTextFile(
      path,
      (await Deno.readTextFile(EXAMPLE)).replace("  maxConnections: 100", "  maxConnectoins: 100"),
    );
    const bad = await tandem(["check-config", path]);
    assertEquals(bad.code, 1);
    assertMatchLine(
      bad.stderr,
      `${path}:\\d+:3: fix.maxConnectoins: Unknown key "maxConnectoins"; did you mean "maxConnections"\\?`,
    );
    const missing = await tandem(["check-config", `${dir}/nope.yaml`]);
    assertEquals(missing.code, 1);
    assertStringIncludes(missing.stderr, `${dir}/nope.yaml: Cannot read config: file not found`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("tandem check-config applies override flags and takes secrets from the environment", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/t.yaml`;
    await Deno.writeTextFile(
      path,
      "replication:\n  primary: 127.0.0.1:9880\n  peerIds: [a]\n  secret: ${ENV:REPL_SECRET}\n" +
        "sessions: [{ beginString: FIX.4.2, senderCompId: ISLD, targetCompId: TW42 }]\n",
    );
    const flags = [
      "--role",
      "acceptor",
      "--ha",
      "secondary",
      "--listen",
      "127.0.0.1:0",
      "--data-dir",
      dir,
    ];
    const missing = await tandem(["check-config", path, ...flags]);
    assertEquals(missing.code, 1);
    assertStringIncludes(missing.stderr, "environment variable REPL_SECRET is not set");
    const ok = await tandem(["check-config", path, ...flags], { REPL_SECRET: "s".repeat(32) });
    assertEquals(ok.code, 0, ok.stderr);
    assertStringIncludes(ok.stdout, `acceptor, ha secondary, data ${dir}`);
    assert(!ok.stdout.includes("s".repeat(32)) && !ok.stderr.includes("s".repeat(32)));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("tandem run refuses a bad flag value, then runs a node until SIGTERM and exits 0", async () => {
  const bad = await tandem(["--config", EXAMPLE, "--listen", "bogus"]);
  assertEquals(bad.code, ExitCode.Usage);
  assertStringIncludes(bad.stderr, "command line --listen: fix.listen: Cannot parse HOST:PORT");
  const dataDir = await Deno.makeTempDir();
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--quiet",
      MAIN,
      "--config",
      EXAMPLE,
      "--listen",
      "127.0.0.1:0",
      "--admin",
      "127.0.0.1:0",
      "--data-dir",
      dataDir,
    ],
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stdoutText = new Response(child.stdout).text();
  try {
    // the JSON log line "node started" carries the ports
    const lines = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
    let buffered = "";
    let started: Record<string, unknown> | undefined;
    while (started === undefined) {
      const { value, done } = await lines.read();
      if (done) throw new Error(`node exited before starting:\n${buffered}`);
      buffered += value;
      for (const line of buffered.split("\n")) {
        if (line.includes('"node started"')) started = JSON.parse(line);
      }
    }
    const health = await fetch(`http://127.0.0.1:${started.adminPort}/health`);
    assertEquals(await health.json(), { ok: true });
    const status = await (await fetch(`http://127.0.0.1:${started.adminPort}/status`)).json();
    assertEquals([status.role, status.fixPort], ["standalone", started.fixPort]);
    child.kill("SIGTERM");
    let rest = "";
    for (;;) {
      const { value, done } = await lines.read();
      if (done) break;
      rest += value;
    }
    assertStringIncludes(await stdoutText, "node tandem: acceptor, ha standalone");
    assertEquals((await child.status).code, 0, rest);
  } finally {
    try {
      child.kill("SIGKILL");
    } catch { /* already exited */ }
    await child.status;
    await stdoutText.catch(() => "");
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("tandem journal delegates to the journal tools", async () => {
  const r = await tandem(["journal"]);
  assertEquals(r.code === 0, false);
  assertStringIncludes(r.stderr, "journal dump");
});

function assertMatchLine(text: string, pattern: string): void {
  const re = new RegExp(`^\\s*${pattern}$`, "m");
  assert(re.test(text), `no line matching ${re} in:\n${text}`);
}

Deno.test("tandem run exits 4 naming the file and offset when the journal is corrupt", async () => {
  const dataDir = await Deno.makeTempDir();
  try {
    const { Journal, RecordKind } = await import("../lib/journal/mod.ts");
    const j = await Journal.open(dataDir, { syncPolicy: "always" });
    for (let i = 0; i < 3; i++) {
      j.append({
        kind: RecordKind.Audit,
        sessionId: 0,
        seqNum: 0,
        timestampMs: 0,
        payload: new Uint8Array(32),
      });
    }
    await j.durable(j.lastIndex);
    await j.close();
    // flip one payload byte of the first record: valid records follow, so this is corruption
    const [segment] = [...Deno.readDirSync(dataDir)].filter((e) => e.name.endsWith(".seg"));
    const path = `${dataDir}/${segment!.name}`;
    const bytes = Deno.readFileSync(path);
    bytes[40 + 48 + 5]! ^= 0xff;
    Deno.writeFileSync(path, bytes);
    const r = await tandem([
      "--config",
      EXAMPLE,
      "--listen",
      "127.0.0.1:0",
      "--admin",
      "127.0.0.1:0",
      "--data-dir",
      dataDir,
    ]);
    assertEquals(r.code, ExitCode.JournalCorrupt, r.stderr);
    assertStringIncludes(r.stderr, segment!.name);
    assertStringIncludes(r.stderr, "journal repair");
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});
