/**
 * Helpers shared by the CLI's tests: a fake admin server and an in-memory
 * {@link CliIo}.
 *
 * @module
 */
import type { CliIo } from "./mod.ts";

/** Serves `handler` on a free loopback port for the duration of `body`. */
export async function withAdmin(
  handler: (req: Request) => Response | Promise<Response>,
  body: (port: number) => Promise<void>,
): Promise<void> {
  await using server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, handler);
  await body(server.addr.port);
}

/** A {@link CliIo} that collects what is printed in `out` and `err`. */
export function memoryIo(env: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    stdout: (t) => out.push(t),
    stderr: (t) => err.push(t),
    env,
    stderrIsTerminal: false,
    signal: new AbortController().signal,
  };
  return { io, out, err };
}
