/**
 * The whole `tandem` command for a program of your own: your `main.ts` registers its
 * applications by name and hands the process to {@linkcode runNode}, which runs the same command
 * line as the `tandem` binary (`run`, `check-config`, `journal`, `promote`, …). Compile it with
 * `deno compile -A --output my-node main.ts` and you have one binary with your code inside.
 *
 * @example A node running a router application
 * ```ts ignore
 * import { runNode } from "../tandem/mod.ts"; // the path to Tandem's mod.ts
 * import { priceRouter } from "./router.ts";
 *
 * if (import.meta.main) {
 *   Deno.exit(await runNode({ applications: { router: priceRouter() } }));
 * }
 * ```
 *
 * @module
 */

import type { Application } from "../engine/application.ts";
import { processIo, runCli } from "./run_cli.ts";

/** Options of {@linkcode runNode}. */
export interface RunNodeOptions {
  /**
   * Applications by name: a session with `application: <name>` in the YAML is served by
   * `applications[name]`, besides the built-in echo, executor and api.
   */
  readonly applications?: Readonly<Record<string, Application>>;
  /** The command line; default `Deno.args`. */
  readonly args?: readonly string[];
}

/**
 * Runs the `tandem` command line in this process with your applications registered, stopping
 * gracefully on SIGINT/SIGTERM; resolves with the exit code (pass it to `Deno.exit`).
 */
export async function runNode(options: RunNodeOptions = {}): Promise<number> {
  const controller = new AbortController();
  const stop = () => controller.abort();
  Deno.addSignalListener("SIGINT", stop);
  if (Deno.build.os !== "windows") Deno.addSignalListener("SIGTERM", stop);
  try {
    return await runCli(
      options.args ?? Deno.args,
      processIo(controller.signal),
      options.applications ? { applications: options.applications } : {},
    );
  } finally {
    Deno.removeSignalListener("SIGINT", stop);
    if (Deno.build.os !== "windows") Deno.removeSignalListener("SIGTERM", stop);
  }
}
