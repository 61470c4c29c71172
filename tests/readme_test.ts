/**
 * Runs the README as a reader would, so that it cannot drift from the code.
 *
 * Every fenced block is handled by its language (see `tests/_readme.ts` for the markers):
 *
 * - `yaml`: written to the working directory (under the name of its first-line comment,
 *   `# venue.yaml`) and validated with `main.ts check-config`; a block marked `fragment` must
 *   only parse.
 * - `sh`: every command runs with bash in the working directory, in order. A command that exits
 *   must exit 0 (while a long-running command of the same section is starting up, a failing one
 *   is retried for up to {@linkcode RETRY_FOR_MS}), and must not hold a `>` or `<` glued to a word
 *   outside quotes (`--session FIX.4.4:VENUE->CLIENT` redirects to a file `CLIENT`). A command still running once it has printed something and
 *   then {@linkcode SETTLE_MS} passed, or after {@linkcode LONG_RUNNING_AFTER_MS} in silence, is a
 *   long-running one (a node, a follower): it keeps running, and at the end of its `## ` section
 *   it must still be running (or have exited 0) and must stop on SIGINT with status 0 or 130.
 *   `export NAME=…` lines are evaluated once, before anything runs, so that every block sees the
 *   same values.
 * - `ts`: written to the working directory (name from a first-line `// name.ts` comment) and run
 *   with `deno run -A` like a shell command.
 * - anything else (output samples): not run.
 *
 * The working directory is a temporary one holding symbolic links to the repository's top-level
 * files (`main.ts`, `mod.ts`, `lib/`, `deno.json`, `denow`, …), so `./denow run -A main.ts …`
 * works there as in a clone, and data directories land in the temporary directory. Every port the
 * README names as `127.0.0.1:PORT` is replaced by a free one in every block, so two runs of this
 * test (or a developer's node on 9876) never collide.
 *
 * @module
 */

import { parse as parseYaml } from "yaml";
import { assert, assertEquals } from "../lib/testing/assert.ts";
import {
  type Block,
  blockFileName,
  gluedRedirections,
  isAssignment,
  readmeBlocks,
  readmePorts,
  remapPorts,
  shellCommands,
} from "./_readme.ts";
import { freePorts } from "../lib/testing/ports.ts";

/** A command still running this long after its first output is a long-running one. */
export const SETTLE_MS = 4_000;
/** A command still running this long without any output is a long-running one. */
export const LONG_RUNNING_AFTER_MS = 30_000;
/** How long a failing command is retried while a long-running command of its section starts. */
export const RETRY_FOR_MS = 60_000;
/** How long a long-running command may take to stop after SIGINT. */
export const STOP_TIMEOUT_MS = 20_000;
/** How much of a command's output is kept for error messages. */
const OUTPUT_KEEP_CHARS = 4_000;

const REPO = new URL("../", import.meta.url).pathname;
const NOT_LINKED = new Set([".git", "data", ".demo", "tandem", "node_modules"]);

// ---------------------------------------------------------------------------------------------
// The parser (tests/_readme.ts)

Deno.test("readmeBlocks() reads fences, sections and the marker right before a block", () => {
  const md = [
    "# Title",
    "## One",
    "<!-- readme-test: skip (needs the network) -->",
    "",
    "```sh",
    "./denow task compile",
    "```",
    "text",
    "<!-- readme-test: fragment -->",
    "text in between cancels the marker",
    "```yaml",
    "# a.yaml",
    "a: 1",
    "```",
    "## Two",
    "```",
    "output",
    "```",
  ].join("\n");
  const blocks = readmeBlocks(md);
  assertEquals(blocks.map((b) => [b.kind, b.line, b.section, b.marker?.kind, b.marker?.arg]), [
    ["sh", 5, "One", "skip", "needs the network"],
    ["yaml", 11, "One", undefined, undefined],
    ["other", 16, "Two", undefined, undefined],
  ]);
  assertEquals(blockFileName(blocks[1]!), "a.yaml");
  assertEquals(blockFileName(blocks[0]!), "readme-line-5.txt");
});

Deno.test("shellCommands() joins continuation lines and open quotes, drops comments", () => {
  const code = [
    "# comment",
    "curl -s -X POST 'http://x/y' \\",
    '  -d \'{"a":',
    "       1}'",
    "",
    "echo 'it''s' # trailing comment with a ' quote",
    "echo done",
  ].join("\n");
  assertEquals(shellCommands(code, 10), [
    { text: "curl -s -X POST 'http://x/y' \\\n  -d '{\"a\":\n       1}'", line: 12 },
    { text: "echo 'it''s' # trailing comment with a ' quote", line: 16 },
    { text: "echo done", line: 17 },
  ]);
});

Deno.test("isAssignment() tells environment settings from commands", () => {
  assert(isAssignment('export SECRET="$(openssl rand -hex 16)" # 32 characters'));
  assert(isAssignment("A=1"));
  assert(!isAssignment("A=1 ./denow run -A main.ts"));
  assert(!isAssignment("./denow task test"));
});

Deno.test("gluedRedirections() finds an unquoted session id, not fd redirections or quoted ones", () => {
  assertEquals(gluedRedirections("tandem journal dump d --session FIX.4.4:VENUE->CLIENT"), [
    "FIX.4.4:VENUE->CLIENT",
  ]);
  assertEquals(gluedRedirections("tandem journal dump d --session 'FIX.4.4:VENUE->CLIENT'"), []);
  assertEquals(gluedRedirections('curl "http://x/FIX.4.4:A->B" 2>&1 > out.json &> all'), []);
  assertEquals(gluedRedirections("echo a # comment with A->B"), []);
});

Deno.test("readmePorts() and remapPorts() move every named port, nothing else", () => {
  const md =
    "fix: { listen: 127.0.0.1:9876 }\ncurl http://localhost:8080/x\nport: 9876, 19876, 1.9876";
  assertEquals(readmePorts(md), [8080, 9876]);
  const map = new Map([[8080, 40001], [9876, 40002]]);
  assertEquals(
    remapPorts(md, map),
    "fix: { listen: 127.0.0.1:40002 }\ncurl http://localhost:40001/x\nport: 40002, 19876, 1.9876",
  );
});

// ---------------------------------------------------------------------------------------------
// The run

/** Output of a child, kept as a bounded tail, with the time of its first byte. */
class Output {
  text = "";
  firstAtMs: number | undefined;
  readonly done: Promise<void>;

  constructor(streams: ReadableStream<Uint8Array>[]) {
    this.done = Promise.all(streams.map((s) => this.#drain(s))).then(() => {});
  }

  async #drain(stream: ReadableStream<Uint8Array>): Promise<void> {
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      this.firstAtMs ??= Date.now();
      this.text = (this.text + chunk).slice(-OUTPUT_KEEP_CHARS);
    }
  }
}

/** A command started with bash in its own process group. */
interface Started {
  readonly label: string;
  readonly child: Deno.ChildProcess;
  readonly output: Output;
  status?: Deno.CommandStatus;
}

interface Workspace {
  readonly dir: string;
  readonly env: Record<string, string>;
  readonly ports: ReadonlyMap<number, number>;
  /** Long-running commands of the current section. */
  running: Started[];
  /** Every process ever started, for the final cleanup. */
  readonly all: Started[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function start(ws: Workspace, label: string, script: string): Started {
  const child = new Deno.Command("setsid", {
    args: ["bash", "-c", script],
    cwd: ws.dir,
    env: ws.env,
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const started: Started = { label, child, output: new Output([child.stdout, child.stderr]) };
  child.status.then((s) => started.status = s);
  ws.all.push(started);
  return started;
}

function signalGroup(p: Started, signal: Deno.Signal): void {
  try {
    Deno.kill(-p.child.pid, signal);
  } catch {
    // the group is gone
  }
}

/** Runs one command; returns the failure, or undefined. */
async function runCommand(ws: Workspace, label: string, text: string): Promise<string | undefined> {
  const retryUntilMs = Date.now() + RETRY_FOR_MS;
  const glued = gluedRedirections(text);
  if (glued.length > 0) {
    return `${label}: unquoted > or < inside ${glued.join(", ")} redirects the shell: quote it`;
  }
  for (let attempt = 1;; attempt++) {
    const p = start(ws, label, text);
    const startedMs = Date.now();
    for (;;) {
      await sleep(100);
      if (p.status !== undefined) break;
      const first = p.output.firstAtMs;
      const settled = first !== undefined && Date.now() - first >= SETTLE_MS;
      if (settled || Date.now() - startedMs >= LONG_RUNNING_AFTER_MS) {
        ws.running.push(p);
        console.log(`  ${label}: long-running, started`);
        return undefined;
      }
    }
    await p.output.done;
    if (p.status.code === 0) {
      console.log(`  ${label}: exit 0${attempt > 1 ? ` (attempt ${attempt})` : ""}`);
      return undefined;
    }
    if (ws.running.length > 0 && Date.now() < retryUntilMs) {
      await sleep(500); // a node of this section may still be starting
      continue;
    }
    return `${label}: exit ${p.status.code}\n${p.output.text}`;
  }
}

/**
 * Stops the section's long-running commands with SIGINT, the last started first, each once the
 * one after it stopped (as a reader would: the nodes before the etcd they use); returns the
 * failures.
 */
async function stopSection(ws: Workspace): Promise<string[]> {
  const failures: string[] = [];
  const running = ws.running.toReversed();
  ws.running = [];
  for (const p of running) {
    if (p.status !== undefined) {
      if (p.status.code !== 0) {
        failures.push(`${p.label}: exited on its own with ${p.status.code}\n${p.output.text}`);
      }
      continue;
    }
    signalGroup(p, "SIGINT");
    const stopped = await Promise.race([p.child.status, sleep(STOP_TIMEOUT_MS).then(() => null)]);
    if (stopped === null) {
      signalGroup(p, "SIGKILL");
      await p.child.status;
      failures.push(`${p.label}: did not stop within ${STOP_TIMEOUT_MS} ms of SIGINT`);
    } else if (stopped.code !== 0 && stopped.code !== 130) {
      failures.push(`${p.label}: stopped with status ${stopped.code}\n${p.output.text}`);
    }
    await p.output.done;
    console.log(`  ${p.label}: stopped (${stopped?.code ?? "killed"})`);
  }
  return failures;
}

async function checkYaml(ws: Workspace, block: Block, label: string): Promise<string | undefined> {
  const code = remapPorts(block.code, ws.ports);
  if (block.marker?.kind === "fragment") {
    try {
      parseYaml(code);
      return undefined;
    } catch (e) {
      return `${label}: not YAML: ${(e as Error).message}`;
    }
  }
  const name = blockFileName(block);
  await Deno.remove(`${ws.dir}/${name}`).catch(() => {}); // never write through a link
  await Deno.writeTextFile(`${ws.dir}/${name}`, code);
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", "main.ts", "check-config", name],
    cwd: ws.dir,
    env: ws.env,
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  if (out.code === 0) {
    console.log(`  ${label}: check-config ${name}: OK`);
    return undefined;
  }
  return `${label}: check-config ${name} exited ${out.code}\n${dec.decode(out.stderr)}`;
}

/** Evaluates every `export` of the README's runnable shell blocks once, in order. */
async function evaluateAssignments(ws: Workspace, blocks: readonly Block[]): Promise<void> {
  for (const b of blocks) {
    if (b.kind !== "sh" || b.marker?.kind === "skip") continue;
    for (const c of shellCommands(b.code, b.line)) {
      if (!isAssignment(c.text)) continue;
      const out = await new Deno.Command("bash", {
        args: ["-c", `${c.text}\nenv -0`],
        cwd: ws.dir,
        env: ws.env,
        clearEnv: true,
        stdout: "piped",
        stderr: "inherit",
      }).output();
      assertEquals(out.code, 0, `README.md:${c.line}: ${c.text}`);
      const name = /^(?:export\s+)?([A-Za-z_]\w*)=/.exec(c.text.trim())![1]!;
      for (const entry of new TextDecoder().decode(out.stdout).split("\0")) {
        if (entry.startsWith(`${name}=`)) ws.env[name] = entry.slice(name.length + 1);
      }
    }
  }
}

async function workspace(): Promise<Workspace> {
  const dir = await Deno.makeTempDir({ prefix: "tandem-readme-" });
  for await (const e of Deno.readDir(REPO)) {
    if (!NOT_LINKED.has(e.name)) await Deno.symlink(`${REPO}${e.name}`, `${dir}/${e.name}`);
  }
  const readme = await Deno.readTextFile(`${REPO}README.md`);
  const written = readmePorts(readme);
  const free = freePorts(written.length);
  const ports = new Map(written.map((p, i) => [p, free[i]!]));
  const denoDir = Deno.execPath().replace(/\/[^/]*$/, "");
  const env: Record<string, string> = {
    ...Deno.env.toObject(),
    PATH: `${denoDir}:${Deno.env.get("PATH") ?? "/usr/bin:/bin"}`,
    NO_COLOR: "1",
    DENO_NO_UPDATE_CHECK: "1",
  };
  return { dir, env, ports, running: [], all: [] };
}

Deno.test("README.md: every YAML, shell and TypeScript block works as written", async (t) => {
  const blocks = readmeBlocks(await Deno.readTextFile(`${REPO}README.md`));
  const ws = await workspace();
  const skipped: string[] = [];
  const failures: string[] = [];
  let ran = 0;
  try {
    await evaluateAssignments(ws, blocks);
    let section: string | undefined;
    for (const block of blocks) {
      if (block.section !== section) {
        failures.push(...await stopSection(ws));
        section = block.section;
      }
      const label = `README.md:${block.line} (${block.lang || "no language"}, ${block.section})`;
      if (block.kind === "other") continue;
      if (block.marker?.kind === "skip") {
        skipped.push(`${label}: ${block.marker.arg || "no reason given"}`);
        continue;
      }
      ran++;
      await t.step(label, async () => {
        const problems: string[] = [];
        if (block.kind === "yaml") {
          const p = await checkYaml(ws, block, label);
          if (p) problems.push(p);
        } else if (block.kind === "ts") {
          const name = blockFileName(block);
          await Deno.remove(`${ws.dir}/${name}`).catch(() => {});
          await Deno.writeTextFile(`${ws.dir}/${name}`, remapPorts(block.code, ws.ports));
          const p = await runCommand(ws, `${label} ${name}`, `exec deno run -A ${name}`);
          if (p) problems.push(p);
        } else {
          for (const c of shellCommands(block.code, block.line)) {
            if (isAssignment(c.text)) continue; // evaluated once, up front
            const p = await runCommand(
              ws,
              `README.md:${c.line} ${c.text.split("\n")[0]}`,
              remapPorts(c.text, ws.ports),
            );
            if (p) {
              problems.push(p);
              break;
            }
          }
        }
        failures.push(...problems);
        assertEquals(problems, [], problems.join("\n\n"));
      });
    }
    failures.push(...await stopSection(ws));
  } finally {
    for (const p of ws.all) {
      if (p.status === undefined) signalGroup(p, "SIGKILL");
    }
    for (const p of ws.all) {
      await p.child.status;
      await p.output.done;
    }
    await Deno.remove(ws.dir, { recursive: true }).catch(() => {});
  }
  console.log(`README.md: ${ran} blocks run, ${skipped.length} skipped:`);
  for (const s of skipped) console.log(`  skipped ${s}`);
  assertEquals(failures, [], failures.join("\n\n"));
  assert(ran > 0, "the README has runnable blocks");
});
