/**
 * Runs the QuickFIX acceptance suite (../shared/quickfix-at: fix42, fix44,
 * fix50sp2) with ../shared/tools/fixat, in parallel, against Tandem's acceptor
 * started from the command line exactly as an operator would:
 *
 *   main.ts --role acceptor --config tests/conformance/at.yaml --listen 127.0.0.1:PORT --data-dir DIR
 *
 * Prints fixat's output (one line per script, then `N passed, M failed`) and
 * exits with fixat's status. Part of `deno task test`.
 *
 * @module
 */

const repo = new URL("../../", import.meta.url).pathname;
const shared = `${repo}../shared`;
const dirs = Deno.args.length > 0 ? Deno.args : ["fix42", "fix44", "fix50sp2"];

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

const dataDir = await Deno.makeTempDir({ prefix: "tandem-at-" });
const port = freePort();
const acceptor = new Deno.Command(Deno.execPath(), {
  args: [
    "run",
    "-A",
    `${repo}main.ts`,
    "--role",
    "acceptor",
    "--config",
    `${repo}tests/conformance/at.yaml`,
    "--listen",
    `127.0.0.1:${port}`,
    "--data-dir",
    dataDir,
  ],
  stdout: "null",
  stderr: "inherit",
}).spawn();
let code = 1;
try {
  const fixat = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      `${shared}/tools/fixat/main.ts`,
      "--host",
      "127.0.0.1",
      "--port",
      String(port),
      "--parallel",
      ...dirs.map((d) => `${shared}/quickfix-at/${d}`),
    ],
    stdout: "inherit",
    stderr: "inherit",
  });
  code = (await fixat.output()).code;
} finally {
  acceptor.kill("SIGTERM");
  await acceptor.status;
  await Deno.remove(dataDir, { recursive: true });
}
Deno.exit(code);
