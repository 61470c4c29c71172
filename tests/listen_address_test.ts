/**
 * A node started on a port that is already taken says which listener and which address, so an
 * operator running two nodes on one host can tell which setting collided.
 */
import { assertEquals, assertStringIncludes } from "../lib/testing/assert.ts";
import { freePort } from "../lib/testing/ports.ts";

const MAIN = new URL("../main.ts", import.meta.url).pathname;

async function runNode(dir: string, yaml: string, env: Record<string, string> = {}) {
  await Deno.writeTextFile(`${dir}/node.yaml`, yaml);
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", MAIN, "--config", `${dir}/node.yaml`],
    env: { NO_COLOR: "1", ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
}

const free = freePort;

const SESSION = "sessions: [{ beginString: FIX.4.4, senderCompId: VENUE, targetCompId: CLIENT }]\n";

for (
  const [what, purpose, yaml] of [
    [
      "admin",
      "the admin endpoint",
      (taken: number, dir: string) =>
        `node: { id: b, role: acceptor, dataDir: ${dir}/data }\nfix: { listen: 127.0.0.1:${free()} }\n` +
        `admin: { listen: 127.0.0.1:${taken} }\n${SESSION}`,
    ],
    [
      "FIX",
      "FIX sessions",
      (taken: number, dir: string) =>
        `node: { id: b, role: acceptor, dataDir: ${dir}/data }\nfix: { listen: 127.0.0.1:${taken} }\n` +
        `admin: { listen: 127.0.0.1:${free()} }\n${SESSION}`,
    ],
    [
      "replication",
      "replication",
      (taken: number, dir: string) =>
        `node: { id: a, role: acceptor, ha: primary, dataDir: ${dir}/data }\n` +
        `fix: { listen: 127.0.0.1:${free()} }\nadmin: { listen: 127.0.0.1:${free()} }\n` +
        `replication: { listen: 127.0.0.1:${taken}, peers: [127.0.0.1:${free()}], peerIds: [b], ` +
        `secret: "\${ENV:SECRET}" }\n${SESSION}`,
    ],
  ] as const
) {
  Deno.test(`tandem names the address when its ${what} port is taken`, async () => {
    const dir = await Deno.makeTempDir();
    using taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    try {
      const r = await runNode(dir, yaml(taken.addr.port, dir), { SECRET: "0123456789abcdef0123" });
      assertEquals(r.code === 0, false, r.stderr);
      assertStringIncludes(
        r.stderr,
        `Cannot listen on 127.0.0.1:${taken.addr.port} for ${purpose}: address already in use`,
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}
