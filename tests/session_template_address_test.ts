/**
 * A template's `allowedRemoteAddresses` in a real `main.ts` acceptor: the session CLIENT-7 creates
 * is restored from the journal after a SIGKILL and a restart, and is held to the template's list
 * of the restarted node (here one that no longer includes 127.0.0.1), as is a new counterparty.
 *
 * @module
 */

import { assert, assertEquals, assertStringIncludes } from "../lib/testing/assert.ts";
import { TestClient } from "../lib/engine/_test_client.ts";
import {
  adminGet,
  adminPortOf,
  freePorts,
  nodeYaml,
  TandemProcess,
  until,
} from "./_gateway_process.ts";

const KEY = "FIX.4.4:EXEC->CLIENT-7";
const LOGON = "35=A|34=1|98=0|108=30|141=Y";

async function writeYaml(path: string, dataDir: string, fixPort: number, cidrs: string) {
  const yaml = nodeYaml({
    id: "venue",
    role: "acceptor",
    dataDir,
    fixPort,
    sessions: [{ sender: "EXEC", target: '"CLIENT-*"', application: "executor" }],
  }) + `    allowedRemoteAddresses: [${cidrs}]\n`;
  await Deno.writeTextFile(path, yaml);
}

async function start(path: string): Promise<{ p: TandemProcess; adminPort: number }> {
  const p = new TandemProcess("venue", path);
  await p.waitFor("accepting FIX connections");
  return { p, adminPort: await adminPortOf(p) };
}

/** The acceptor's first answer to a Logon of `sender` from 127.0.0.1 (undefined: closed). */
async function logonAnswer(port: number, sender: string): Promise<string | undefined> {
  await using c = await TestClient.connect(port);
  await c.send(LOGON, "FIX.4.4", sender, "EXEC");
  return (await c.next())?.msgType;
}

Deno.test("acceptor template allowedRemoteAddresses: a created session restored after a restart is refused from an address the template no longer allows", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tandem-template-address-" });
  const [fixPort] = freePorts(1);
  const path = `${dir}/venue.yaml`;
  let venue: TandemProcess | undefined;
  try {
    await writeYaml(path, `${dir}/data`, fixPort!, "127.0.0.0/8");
    let { p, adminPort } = await start(path);
    venue = p;
    assertEquals(await logonAnswer(fixPort!, "CLIENT-7"), "A", "created from 127.0.0.1");
    await p.waitFor(["session created from template", KEY]);

    await p.crash();
    await writeYaml(path, `${dir}/data`, fixPort!, "10.0.0.0/8");
    ({ p, adminPort } = await start(path));
    venue = p;
    assertStringIncludes(await adminGet(adminPort, "/status"), KEY, "restored from the journal");
    assertEquals(await logonAnswer(fixPort!, "CLIENT-7"), undefined, "restored: refused");
    await p.waitFor([`${KEY} may not connect from 127.0.0.1`]);
    assertEquals(await logonAnswer(fixPort!, "CLIENT-8"), undefined, "new: refused");
    await until(
      "both refusals to be counted",
      async () =>
        (await adminGet(adminPort, "/metrics")).includes(
          'tandem_connections_refused_total{reason="session-address-not-allowed"} 2',
        ),
    );
    assert(!(await adminGet(adminPort, "/status")).includes("CLIENT-8"), "CLIENT-8 not created");
    assert(!p.lines.some((l) => l.includes("session created from template")));
  } finally {
    await venue?.crash();
    await Deno.remove(dir, { recursive: true });
  }
});
