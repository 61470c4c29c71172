/**
 * The `tandem` command: one binary for every role (acceptor, initiator, primary, secondary) and
 * the operator tools. All logic lives in `lib/cli/run_cli.ts`; this file only binds it to the
 * process. Run `tandem --help` for usage and exit codes.
 *
 * @module
 */

import { processIo, runCli } from "./lib/cli/run_cli.ts";

if (import.meta.main) {
  const controller = new AbortController();
  const stop = () => controller.abort();
  Deno.addSignalListener("SIGINT", stop);
  if (Deno.build.os !== "windows") Deno.addSignalListener("SIGTERM", stop);
  const code = await runCli(Deno.args, processIo(controller.signal));
  Deno.exit(code);
}
