/**
 * Runs the QuickFIX acceptance scripts (`tests/conformance/fix42`, `fix44`, `fix50sp2`: see
 * `at_script.ts` for the format) with the project's own runner (`at_runner.ts`). Part of
 * `deno task test`. Without `--port`, it starts Tandem's acceptor from the command line exactly as
 * an operator would:
 *
 *   main.ts --role acceptor --config tests/conformance/at.yaml --listen 127.0.0.1:PORT --data-dir DIR
 *
 * With `--port`, it runs against an engine already listening there (any acceptor configured as
 * `at.yaml` describes). With `--fixat DIR`, it runs another runner (`DIR/main.ts`, the fixat tool
 * some checkouts keep beside the repository) instead of its own, as a cross-check; that runner's
 * lines are printed with a `fixat: ` prefix, so its closing line is not mistaken for this one's.
 *
 * ```sh
 * deno run -A tests/conformance/run_at.ts [--host H --port P] [--timeout-ms 10000] [--strict]
 *     [--fields fields.fmt] [--sequential] [--verbose] [DIR|FILE.def ...]
 * ```
 *
 * Folders run concurrently (each version has its own sessions); the scripts of one folder run one
 * after another, in name order. Prints one line per script, then `N passed, M failed`; exits 0 when
 * all passed, 1 otherwise, 2 on a usage error. A script listed in `deviations.ts` (its expectation
 * contradicts the FIX specification, which Tandem follows) passes only by failing as listed, and
 * is printed as `DEVIATION name: why`.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { parseScript } from "./at_script.ts";
import { type FieldPatterns, parseFieldPatterns } from "./at_compare.ts";
import { formatResult, runScript, type ScriptResult, waitForPort } from "./at_runner.ts";
import { judgeResult } from "./deviations.ts";
import { freePort } from "../../lib/testing/ports.ts";

/** How long the acceptor may take to start listening. */
export const ACCEPTOR_START_TIMEOUT_MS = 60_000;

const here = new URL("./", import.meta.url).pathname;
const repo = new URL("../../", import.meta.url).pathname;

/** The scripts of one folder, run in order. */
interface Group {
  readonly name: string;
  readonly files: readonly string[];
}

async function groupsOf(paths: readonly string[]): Promise<Group[]> {
  const groups: Group[] = [];
  for (const path of paths) {
    const info = await Deno.stat(path);
    if (info.isDirectory) {
      const files: string[] = [];
      for await (const e of Deno.readDir(path)) {
        if (e.isFile && e.name.endsWith(".def")) files.push(`${path.replace(/\/$/, "")}/${e.name}`);
      }
      groups.push({ name: path, files: files.sort() });
    } else {
      groups.push({ name: path, files: [path] });
    }
  }
  return groups;
}

async function fieldPatternsFor(explicit: string | undefined, first: string | undefined) {
  const candidates = explicit ? [explicit] : [];
  if (!explicit && first) {
    const dir = first.replace(/\/[^/]*$/, "");
    candidates.push(`${dir}/fields.fmt`, `${dir}/../fields.fmt`);
  }
  for (const path of candidates) {
    try {
      return parseFieldPatterns(await Deno.readTextFile(path), path);
    } catch (e) {
      if (explicit || !(e instanceof Deno.errors.NotFound)) throw e;
    }
  }
  return undefined;
}

function shortName(path: string): string {
  return path.startsWith(here) ? path.slice(here.length) : path;
}

async function runGroups(
  groups: readonly Group[],
  options: {
    host: string;
    port: number;
    timeoutMs: number;
    strict: boolean;
    patterns: FieldPatterns | undefined;
    verbose: boolean;
    sequential: boolean;
  },
): Promise<ScriptResult[]> {
  const results: ScriptResult[] = [];
  let deviations = 0;
  const runGroup = async (group: Group) => {
    for (const file of group.files) {
      let result: ScriptResult;
      try {
        const script = parseScript(await Deno.readTextFile(file), shortName(file));
        result = await runScript(script, {
          host: options.host,
          port: options.port,
          timeoutMs: options.timeoutMs,
          compare: {
            mode: options.strict ? "strict" : "semantic",
            ...(options.patterns ? { patterns: options.patterns } : {}),
          },
        });
      } catch (e) {
        result = {
          name: shortName(file),
          passed: false,
          durationMs: 0,
          line: 0,
          reason: (e as Error).message,
          transcript: [],
        };
      }
      const judged = judgeResult(result);
      result = judged.result;
      results.push(result);
      if (judged.deviation !== undefined) {
        console.log(`DEVIATION ${result.name}: ${judged.deviation}`);
        deviations++;
      } else {
        console.log(formatResult(result));
      }
      if (!result.passed && options.verbose) {
        for (const line of result.transcript) console.log(`    ${line}`);
      }
    }
  };
  if (options.sequential) {
    for (const g of groups) await runGroup(g);
  } else {
    await Promise.all(groups.map(runGroup));
  }
  if (deviations > 0) {
    console.log(
      `${deviations} of the passes are listed deviations (tests/conformance/deviations.ts): ` +
        "scripts that contradict the FIX specification, failing exactly as listed",
    );
  }
  return results;
}

async function startAcceptor(): Promise<{ port: number; stop: () => Promise<void> }> {
  const dataDir = await Deno.makeTempDir({ prefix: "tandem-at-" });
  const port = freePort();
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      `${repo}main.ts`,
      "--role",
      "acceptor",
      "--config",
      `${here}at.yaml`,
      "--listen",
      `127.0.0.1:${port}`,
      "--data-dir",
      dataDir,
    ],
    stdout: "null",
    stderr: "inherit",
  }).spawn();
  return {
    port,
    stop: async () => {
      try {
        child.kill("SIGTERM");
      } catch {
        // already exited
      }
      await child.status;
      await Deno.remove(dataDir, { recursive: true });
    },
  };
}

/**
 * Runs the fixat tool in `dir` on the same scripts; prints its lines prefixed with `fixat: `.
 * Succeeds when every script passed or failed only as a listed deviation (from fixat's JSON report).
 */
async function crossCheck(dir: string, host: string, port: number, paths: readonly string[]) {
  const reportDir = await Deno.makeTempDir({ prefix: "tandem-fixat-" });
  const report = `${reportDir}/report.json`;
  try {
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        `${dir}/main.ts`,
        "--host",
        host,
        "--port",
        String(port),
        "--parallel",
        "--json",
        report,
        ...paths,
      ],
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    let rest = "";
    for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
      const lines = (rest + chunk).split("\n");
      rest = lines.pop()!;
      for (const line of lines) console.log(`fixat: ${line}`);
    }
    if (rest !== "") console.log(`fixat: ${rest}`);
    if ((await child.status).code === 0) return 0;
    const r = JSON.parse(await Deno.readTextFile(report)) as {
      results: { name: string; status: string; reason?: string; expected?: string }[];
    };
    let unexpected = 0;
    for (const t of r.results) {
      const judged = judgeResult({
        name: t.name,
        passed: t.status === "PASS",
        durationMs: 0,
        transcript: [],
        ...(t.reason === undefined ? {} : { reason: t.reason }),
        ...(t.expected === undefined ? {} : { expected: t.expected }),
      });
      if (judged.deviation !== undefined) console.log(`fixat: DEVIATION ${t.name}`);
      else if (!judged.result.passed) unexpected++;
    }
    console.log(`fixat: ${unexpected} failures that are not listed deviations`);
    return unexpected === 0 ? 0 : 1;
  } finally {
    await Deno.remove(reportDir, { recursive: true });
  }
}

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        host: { type: "string", default: "127.0.0.1" },
        port: { type: "string" },
        "timeout-ms": { type: "string", default: "10000" },
        fields: { type: "string" },
        strict: { type: "boolean", default: false },
        sequential: { type: "boolean", default: false },
        verbose: { type: "boolean", default: false },
        fixat: { type: "string" },
      },
    });
  } catch (e) {
    console.error(`Cannot parse the arguments: ${(e as Error).message}`);
    return 2;
  }
  const v = parsed.values;
  const timeoutMs = Number(v["timeout-ms"]);
  if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) {
    console.error(`Cannot use --timeout-ms ${v["timeout-ms"]}: not a positive integer`);
    return 2;
  }
  const paths = parsed.positionals.length > 0
    ? parsed.positionals
    : ["fix42", "fix44", "fix50sp2"].map((d) => `${here}${d}`);
  let groups: Group[];
  let patterns: FieldPatterns | undefined;
  try {
    groups = await groupsOf(paths);
    patterns = await fieldPatternsFor(v.fields, groups[0]?.files[0]);
  } catch (e) {
    console.error(`Cannot read the scripts: ${(e as Error).message}`);
    return 2;
  }

  let port = Number(v.port);
  let stop = async () => {};
  if (v.port === undefined) {
    const acceptor = await startAcceptor();
    port = acceptor.port;
    stop = acceptor.stop;
  } else if (!Number.isInteger(port) || port <= 0 || port > 65535) {
    console.error(`Cannot use --port ${v.port}: not a port number`);
    return 2;
  }
  try {
    if (!await waitForPort(v.host, port, Date.now() + ACCEPTOR_START_TIMEOUT_MS)) {
      console.error(`Cannot reach the acceptor at ${v.host}:${port}: nothing listens there`);
      console.log(`0 passed, ${groups.reduce((n, g) => n + g.files.length, 0)} failed`);
      return 1;
    }
    if (v.fixat !== undefined) return await crossCheck(v.fixat, v.host, port, paths);
    const results = await runGroups(groups, {
      host: v.host,
      port,
      timeoutMs,
      strict: v.strict,
      patterns,
      verbose: v.verbose,
      sequential: v.sequential,
    });
    const failed = results.filter((r) => !r.passed).length;
    console.log(`${results.length - failed} passed, ${failed} failed`);
    return failed === 0 ? 0 : 1;
  } finally {
    await stop();
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
