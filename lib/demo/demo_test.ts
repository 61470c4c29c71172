import { assert, assertEquals } from "../testing/assert.ts";
import { formatSummary } from "./mod.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;

/** Runs `main.ts demo …`; `onLine` may return true to send SIGINT. */
async function demo(
  args: string[],
  onLine: (line: string) => boolean = () => false,
): Promise<{ code: number; out: string }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, "demo", ...args],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let out = "";
  const dec = new TextDecoder();
  const stderr = new Response(child.stderr).text();
  for await (const chunk of child.stdout) {
    const text = dec.decode(chunk, { stream: true });
    out += text;
    if (text.split("\n").some(onLine)) child.kill("SIGINT");
  }
  const { code } = await child.status;
  await stderr;
  return { code, out };
}

async function gone(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return false;
  } catch (e) {
    return e instanceof Deno.errors.NotFound;
  }
}

async function refused(port: number): Promise<boolean> {
  try {
    (await Deno.connect({ hostname: "127.0.0.1", port })).close();
    return false;
  } catch {
    return true;
  }
}

function portsOf(out: string): number[] {
  return [...out.matchAll(/:(\d{4,5})/g)].map((m) => Number(m[1]));
}

Deno.test("tandem demo kills the primary midway, loses nothing under forever and cleans up", async () => {
  const { code, out } = await demo(["--orders", "400"]);
  assertEquals(code, 0, out);
  assert(out.includes("messages lost            0"), out);
  assert(out.includes("duplicates               0"), out);
  assert(out.includes("orders filled            400"), out);
  assert(/failover time +\d+ ms/.test(out), out);
  const dir = /in (\S+tandem-demo-\S+)/.exec(out)![1]!;
  assert(await gone(dir), `${dir} removed`);
  for (const port of portsOf(out)) assert(await refused(port), `port ${port} closed`);
});

Deno.test("tandem demo stops its children and removes its directory on SIGINT", async () => {
  const { code, out } = await demo(["--orders", "1000000"], (l) => l.includes("sent "));
  assertEquals(code, 130, out);
  assert(out.includes("Interrupted"), out);
  const dir = /in (\S+tandem-demo-\S+)/.exec(out)![1]!;
  assert(await gone(dir), `${dir} removed`);
  for (const port of portsOf(out)) assert(await refused(port), `port ${port} closed`);
});

Deno.test("formatSummary() says when the session could not continue on the new primary", () => {
  const text = formatSummary({
    ordersSent: 100,
    executionsReceived: 150,
    ordersFilled: 75,
    lost: 50,
    duplicates: 0,
    possDup: 0,
    killedAtOrder: 50,
    seqBefore: { nextSenderSeqNum: 52, nextTargetSeqNum: 101 },
    seqAfter: { nextSenderSeqNum: 101, nextTargetSeqNum: 151 },
    promotedAfterMs: 310,
    failoverMs: undefined,
    elapsedMs: 2_000,
    halted: "MsgSeqNum too low, expecting 151 but received 120",
  }, { ackStrategy: "never" });
  assert(text.includes("refused the new primary"), text);
  assert(text.includes("messages lost            50"), text);
  assert(text.includes("no logon (see verdict)"), text);
});
