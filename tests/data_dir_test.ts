/**
 * The data directory with real processes and files: one node per directory
 * (a second refuses, naming the holder's pid; read-only journal tools still
 * work; repair refuses), and no silent rewind (a deleted newest segment stops
 * the next start with exit 4 unless the operator accepts it).
 */
import { assert, assertEquals, assertStringIncludes } from "../lib/testing/assert.ts";
import { ExitCode } from "../lib/cli/exit_codes.ts";
import {
  ACCEPTOR_COMP_ID,
  exitWithin,
  freePorts,
  INITIATOR_COMP_ID,
  NodeProcess,
  status,
} from "./_failover_cluster.ts";
import { OrderClient } from "./_failover_client.ts";

const MAIN = new URL("../main.ts", import.meta.url).pathname;

async function tandem(args: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", MAIN, ...args],
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

async function writeConfig(root: string, name: string, dataDir: string): Promise<string> {
  const [fix, admin] = freePorts(2);
  const path = `${root}/${name}.yaml`;
  await Deno.writeTextFile(
    path,
    `node: { id: ${name}, role: acceptor, dataDir: ${JSON.stringify(dataDir)} }
fix: { listen: 127.0.0.1:${fix}, logoutTimeoutS: 1 }
admin: { listen: 127.0.0.1:${admin} }
journal: { syncPolicy: always, segmentSizeBytes: 64KiB }
log: { level: info, format: json }
sessions:
  - beginString: FIX.4.4
    senderCompId: ${ACCEPTOR_COMP_ID}
    targetCompId: ${INITIATOR_COMP_ID}
    heartbeatIntervalS: 30
    application: executor
`,
  );
  return path;
}

function portsOf(yaml: string): { fix: number; admin: number } {
  return {
    fix: Number(/fix: \{ listen: 127\.0\.0\.1:(\d+)/.exec(yaml)![1]),
    admin: Number(/admin: \{ listen: 127\.0\.0\.1:(\d+)/.exec(yaml)![1]),
  };
}

/**
 * Runs the node of `config` until 400 orders are filled, stops it cleanly,
 * and returns the sorted journal segment names in `data` (at least 3).
 */
async function fillSegments(config: string, fixPort: number, data: string): Promise<string[]> {
  {
    await using node = new NodeProcess("solo", ["--config", config]);
    await node.waitFor("node started");
    await using client = await OrderClient.start({ ports: [fixPort] });
    await client.stream(400, 50);
    await client.until(() => client.filledOrders === 400, "400 fills");
    node.kill("SIGTERM");
    assertEquals((await node.status).code, 0);
  }
  const segments = [...Deno.readDirSync(data)].map((e) => e.name).filter((n) => n.endsWith(".seg"))
    .sort();
  assert(segments.length >= 3, `segments: ${segments}`);
  return segments;
}

Deno.test("a second node on the same data directory refuses to start (exit 6) naming the holder's pid; journal verify and dump still work, repair refuses", async () => {
  const root = await Deno.makeTempDir({ prefix: "tandem-lock-" });
  const data = `${root}/data`;
  await using first = new NodeProcess("first", [
    "--config",
    await writeConfig(root, "first", data),
  ]);
  try {
    await first.waitFor("node started");
    await using second = new NodeProcess("second", [
      "--config",
      await writeConfig(root, "second", data),
    ]);
    const exit = await exitWithin(second, 60_000);
    assertEquals(exit.code, ExitCode.DataDirLocked, second.lines.join("\n"));
    const line = second.lines.find((l) => l.includes("the node refused to start"));
    assert(line !== undefined, second.lines.join("\n"));
    assertStringIncludes(line, `(pid ${first.child.pid})`);
    assertStringIncludes(line, data);
    // The read-only tools work beside the running node.
    const verify = await tandem(["journal", "verify", data]);
    assertEquals(verify.code, 0, verify.stderr);
    assertStringIncludes(verify.stdout, "ok:");
    assertEquals((await tandem(["journal", "dump", data])).code, 0);
    // repair writes, so it refuses while the node holds the directory.
    const repair = await tandem(["journal", "repair", data, "--yes"]);
    assertEquals(repair.code, 1);
    assertStringIncludes(repair.stderr, `locked by another process (pid ${first.child.pid})`);
  } finally {
    await first[Symbol.asyncDispose]();
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("a node whose newest journal segment was deleted refuses to start (exit 4) naming the segment, and starts with --accept-journal-rewind", async () => {
  const root = await Deno.makeTempDir({ prefix: "tandem-rewind-" });
  const data = `${root}/data`;
  const config = await writeConfig(root, "solo", data);
  const ports = portsOf(await Deno.readTextFile(config));
  try {
    const segments = await fillSegments(config, ports.fix, data);
    const newest = segments.at(-1)!;
    await Deno.remove(`${data}/${newest}`);

    const refused = new NodeProcess("refused", ["--config", config]);
    const exit = await exitWithin(refused, 60_000);
    await refused[Symbol.asyncDispose]();
    assertEquals(exit.code, ExitCode.JournalCorrupt, refused.lines.join("\n"));
    const line = refused.lines.find((l) => l.includes("refused to start"));
    assert(line !== undefined, refused.lines.join("\n"));
    assertStringIncludes(line, `segment ${newest} is missing`);
    const verify = await tandem(["journal", "verify", data]);
    assertEquals(verify.code, 1);
    assertStringIncludes(verify.stdout, `rewound: segment ${newest} is missing`);

    await using accepted = new NodeProcess("accepted", [
      "--config",
      config,
      "--accept-journal-rewind",
    ]);
    await accepted.waitFor("node started");
    assert(accepted.lines.some((l) => l.includes("Journal rewind accepted")));
    const s = await status(ports.admin);
    assertStringIncludes(
      String((s?.journal as Record<string, unknown>).acceptedRewind),
      `segment ${newest} is missing`,
    );
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("journal repair of a flipped byte in an older segment changes nothing without --yes, and with --yes quarantines and prints the counts", async () => {
  const root = await Deno.makeTempDir({ prefix: "tandem-repair-" });
  const data = `${root}/data`;
  const config = await writeConfig(root, "solo", data);
  const ports = portsOf(await Deno.readTextFile(config));
  try {
    const segments = await fillSegments(config, ports.fix, data);
    const older = `${data}/${segments[0]}`;
    const bytes = await Deno.readFile(older);
    bytes[bytes.length >> 1] = bytes[bytes.length >> 1]! ^ 0x20;
    await Deno.writeFile(older, bytes);
    const snapshot = async () => {
      const files: Record<string, string> = {};
      for (const e of Deno.readDirSync(data)) {
        if (e.name === "tandem.lock") continue;
        const b = await Deno.readFile(`${data}/${e.name}`);
        files[e.name] = `${b.length}:${b.reduce((h, x) => (h * 31 + x) >>> 0, 7)}`;
      }
      return files;
    };
    const before = await snapshot();

    const dry = await tandem(["journal", "repair", data]);
    assertEquals(dry.code, 1, dry.stderr);
    assertStringIncludes(dry.stdout, "would quarantine");
    assertStringIncludes(dry.stdout, "intact records");
    assertStringIncludes(dry.stdout, "--yes");
    assertEquals(await snapshot(), before, "nothing changed without --yes");
    const refused = new NodeProcess("refused", ["--config", config]);
    assertEquals((await exitWithin(refused, 60_000)).code, ExitCode.JournalCorrupt);
    await refused[Symbol.asyncDispose]();

    const done = await tandem(["journal", "repair", data, "--yes"]);
    assertEquals(done.code, 0, done.stderr);
    const counts = /repaired: quarantined (\d+) intact records, (\d+) bytes/.exec(done.stdout);
    assert(counts !== null, done.stdout);
    assert(Number(counts[1]) > 100 && Number(counts[2]) > 10_000, done.stdout);
    assert([...Deno.readDirSync(data)].some((e) => e.name.endsWith(".quarantine")));
    assertEquals((await tandem(["journal", "verify", data])).code, 0);
    await using again = new NodeProcess("again", ["--config", config]);
    await again.waitFor("node started");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
