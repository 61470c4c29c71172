/**
 * Runs the QuickFIX acceptance suite (shared/quickfix-at: fix42, fix44,
 * fix50sp2; 177 scripts) with the fixat runner, in parallel, against the
 * acceptor configured as the suite's README says, and asserts every script
 * passes.
 */

import { assertEquals } from "../../lib/testing/assert.ts";
import { startAtAcceptor } from "./at_acceptor.ts";

const SHARED = `${Deno.cwd()}/../shared`;

Deno.test({
  name: "Acceptor passes the QuickFIX acceptance suite (fix42, fix44, fix50sp2) in parallel",
  async fn() {
    const warnings: string[] = [];
    await using acceptor = startAtAcceptor(0, (level, message) => {
      if (level === "error") warnings.push(message);
    });
    const cmd = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        `${SHARED}/tools/fixat/main.ts`,
        "--host",
        "127.0.0.1",
        "--port",
        String(acceptor.port),
        "--parallel",
        `${SHARED}/quickfix-at/fix42`,
        `${SHARED}/quickfix-at/fix44`,
        `${SHARED}/quickfix-at/fix50sp2`,
      ],
      stdout: "piped",
      stderr: "piped",
    });
    const out = await cmd.output();
    const text = new TextDecoder().decode(out.stdout);
    const failures = text.split("\n").filter((l) => l.startsWith("FAIL"));
    const summary = text.trim().split("\n").at(-1) ?? "";
    assertEquals(failures, [], `fixat failures:\n${failures.join("\n")}`);
    assertEquals(summary, "177 passed, 0 failed", new TextDecoder().decode(out.stderr));
    assertEquals(warnings, []);
  },
});
