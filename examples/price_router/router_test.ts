/**
 * The price router example end to end: its own `main.ts` as a child process (the YAML next to
 * it, with ports and data directory overridden), a real FIX initiator over TCP, and a SIGKILL
 * restart in the middle to show that the router's ids continue instead of starting again.
 *
 * @module
 */

import { assert, assertEquals } from "../../lib/testing/assert.ts";
import { Initiator } from "../../lib/engine/mod.ts";
import type { FixMessage } from "../../lib/fix/message.ts";
import { formatUtcTimestamp } from "../../lib/fix/values.ts";
import { readLines } from "../../lib/io/read_lines.ts";

const HERE = new URL(".", import.meta.url).pathname;

/** Starts examples/price_router/main.ts; resolves with the child and its FIX port. */
async function startRouter(dataDir: string) {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      `${HERE}main.ts`,
      "run",
      "--config",
      `${HERE}router.yaml`,
      "--listen",
      "127.0.0.1:0",
      "--admin",
      "127.0.0.1:0",
      "--data-dir",
      dataDir,
    ],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const lines: string[] = [];
  const port = Promise.withResolvers<number>();
  const pump = (async () => {
    for await (const line of readLines(child.stderr)) {
      lines.push(line);
      if (line.includes('"node started"')) port.resolve(JSON.parse(line).fixPort);
    }
    port.reject(new Error(`router exited before starting:\n${lines.join("\n")}`));
  })();
  const timer = setTimeout(() => port.reject(new Error("router did not start in 60 s")), 60_000);
  try {
    return { child, pump, lines, port: await port.promise };
  } finally {
    clearTimeout(timer);
  }
}

/** A FIX.4.4 client of the router that collects ExecutionReports by ClOrdID. */
function client(port: number) {
  const reports = new Map<string, FixMessage[]>();
  const waiters: (() => void)[] = [];
  const loggedOn = Promise.withResolvers<void>();
  const initiator = new Initiator({
    session: {
      beginString: "FIX.4.4",
      senderCompId: "CLIENT",
      targetCompId: "ROUTER",
      heartbeatIntervalS: 30,
      resetOnLogon: true,
    },
    addresses: [{ hostname: "127.0.0.1", port }],
    logger: () => {},
    application: {
      onLogon: () => loggedOn.resolve(),
      onMessage(m) {
        if (m.msgType !== "8") return;
        const id = m.get(11) ?? "";
        reports.set(id, [...(reports.get(id) ?? []), m]);
        for (const w of waiters.splice(0)) w();
      },
    },
  }).start();
  const order = (clOrdId: string, symbol: string, qty: number, px: number) =>
    initiator.send("D", [
      [11, clOrdId],
      [21, "1"],
      [55, symbol],
      [54, "1"],
      [60, formatUtcTimestamp(Date.now(), 3)],
      [38, qty],
      [40, "2"],
      [44, px],
    ]);
  const answered = async (ids: string[], count: (id: string) => number) => {
    const deadline = Date.now() + 30_000;
    while (!ids.every((id) => (reports.get(id)?.length ?? 0) >= count(id))) {
      if (Date.now() > deadline) throw new Error(`no answers for ${ids.join(", ")}`);
      await new Promise<void>((r) => {
        waiters.push(r);
        setTimeout(r, 200);
      });
    }
  };
  return { initiator, reports, loggedOn: loggedOn.promise, order, answered };
}

Deno.test("price router example: fills orders within the limit table, rejects the rest with reasons, and keeps its ids unique across a SIGKILL restart", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tandem-router-" });
  try {
    const first = await startRouter(`${dir}/data`);
    const c = client(first.port);
    await c.loggedOn;
    c.order("fill", "TNDM", 100, 10);
    c.order("too-dear", "TNDM", 100, 12);
    c.order("too-big", "ACME", 600, 100);
    c.order("unknown", "XYZ", 1, 1);
    await c.answered(["fill", "too-dear", "too-big", "unknown"], (id) => id === "fill" ? 2 : 1);
    const fill = c.reports.get("fill")!;
    assertEquals(fill.map((m) => m.get(39)), ["0", "2"]);
    assertEquals([fill[1]!.get(32), fill[1]!.get(31)], ["100", "10"]);
    const rejected = (id: string) => {
      const m = c.reports.get(id)![0]!;
      return [m.get(39), m.get(103), m.get(58)];
    };
    assertEquals(rejected("too-dear"), ["8", "3", "Price 12 outside 9–11 for TNDM"]);
    assertEquals(rejected("too-big"), ["8", "3", "OrderQty 600 above the limit of 500 for ACME"]);
    assertEquals(rejected("unknown"), ["8", "1", "Unknown symbol XYZ"]);
    await c.initiator.close();

    // SIGKILL and start again on the same data directory: the ids continue.
    first.child.kill("SIGKILL");
    await first.child.status;
    await first.pump;
    const second = await startRouter(`${dir}/data`);
    const d = client(second.port);
    await d.loggedOn;
    d.order("after-restart", "TNDM", 5, 9.5);
    await d.answered(["after-restart"], () => 2);
    await d.initiator.close();
    second.child.kill("SIGTERM");
    assertEquals((await second.child.status).code, 0);
    await second.pump;

    const all = [...c.reports.values(), ...d.reports.values()].flat();
    const execIds = all.map((m) => m.get(17));
    assertEquals(new Set(execIds).size, execIds.length, `ExecIDs repeat: ${execIds}`);
    const orderIds = new Set(all.map((m) => `${m.get(11)} ${m.get(37)}`));
    assertEquals(new Set([...orderIds].map((x) => x.split(" ")[1])).size, orderIds.size);
    assert(d.reports.get("after-restart")!.every((m) => m.get(39) !== "8"), "filled");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
