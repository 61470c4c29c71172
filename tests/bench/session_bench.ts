/**
 * Session round-trip benchmark: NewOrderSingle → first ExecutionReport between
 * two processes on loopback, against a raw TCP echo floor measured in the
 * same run.
 *
 * The child process (`--serve fix|echo`) runs either the Tandem acceptor with
 * the executor application (in-memory store) or a plain TCP echo server; the
 * parent is a minimal FIX client on a raw socket that sends one order at a
 * time (latency) and then a window of orders (throughput).
 *
 * Run: `deno run -A tests/bench/session_bench.ts [--orders N]`.
 *
 * @module
 */

import { encodeMessage } from "../../lib/fix/encoder.ts";
import { Framer } from "../../lib/fix/framer.ts";
import { Acceptor } from "../../lib/engine/acceptor.ts";
import { executorApplication } from "../../lib/engine/executor_application.ts";

/** Figures from one run. */
export interface SessionBenchResult {
  readonly orders: number;
  readonly fixRoundTripUs: { p50: number; p99: number };
  readonly echoRoundTripUs: { p50: number; p99: number };
  readonly fixOrdersPerSecond: number;
  readonly echoMessagesPerSecond: number;
}

function pct(sorted: number[], p: number): number {
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]! * 1000);
}

function stamp(): string {
  return new Date().toISOString().replace(/[-]/g, "").replace("T", "-").slice(0, 21);
}

async function serve(kind: string): Promise<void> {
  if (kind === "echo") {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    console.log((listener.addr as Deno.NetAddr).port);
    for await (const conn of listener) {
      conn.setNoDelay(true);
      (async () => {
        const buf = new Uint8Array(65536);
        try {
          for (let n = await conn.read(buf); n !== null; n = await conn.read(buf)) {
            for (let o = 0; o < n;) o += await conn.write(buf.subarray(o, n));
          }
        } catch { /* closed */ }
      })();
    }
    return;
  }
  const acceptor = new Acceptor({
    sessions: [{
      beginString: "FIX.4.4",
      senderCompId: "EXEC",
      targetCompId: "BENCH",
      checkLatency: false,
    }],
    application: executorApplication(),
    logger: () => {},
  }).listen();
  console.log(acceptor.port);
  await new Promise(() => {});
}

async function startChild(kind: string): Promise<{ port: number; child: Deno.ChildProcess }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL(import.meta.url).pathname, "--serve", kind],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`Cannot start ${kind} server: it exited`);
    text += new TextDecoder().decode(value);
  }
  reader.releaseLock();
  child.stdout.cancel().catch(() => {});
  return { port: Number(text.trim()), child };
}

class Client {
  readonly framer = new Framer();
  readonly buf = new Uint8Array(65536);
  constructor(readonly conn: Deno.TcpConn) {}
  async write(b: Uint8Array) {
    for (let o = 0; o < b.length;) o += await this.conn.write(b.subarray(o));
  }
  async nextMessageType(): Promise<string> {
    while (true) {
      const f = this.framer.next();
      if (f?.kind === "message") return f.message.msgType;
      if (f !== undefined) continue;
      const n = await this.conn.read(this.buf);
      if (n === null) throw new Error("Connection closed");
      this.framer.push(this.buf.subarray(0, n));
    }
  }
}

/** Runs the benchmark and returns its figures. */
export async function runSessionBench(orders = 2000): Promise<SessionBenchResult> {
  const fix = await startChild("fix");
  const echo = await startChild("echo");
  try {
    const c = new Client(await Deno.connect({ hostname: "127.0.0.1", port: fix.port }));
    c.conn.setNoDelay(true);
    let seq = 1;
    const msg = (type: string, fields: [number, string][]) =>
      encodeMessage("FIX.4.4", type, [
        [34, seq++],
        [49, "BENCH"],
        [52, stamp()],
        [56, "EXEC"],
        ...fields,
      ]);
    await c.write(msg("A", [[98, "0"], [108, "30"]]));
    await c.nextMessageType();
    const order = () =>
      msg("D", [[11, `O${seq}`], [21, "1"], [55, "INTC"], [54, "1"], [38, "100"], [40, "2"], [
        44,
        "10",
      ], [
        60,
        stamp(),
      ]]);
    const fixRtt: number[] = [];
    for (let i = 0; i < orders; i++) {
      const t0 = performance.now();
      await c.write(order());
      await c.nextMessageType();
      fixRtt.push(performance.now() - t0);
      await c.nextMessageType();
    }
    const window = 50;
    const tp0 = performance.now();
    let sent = 0;
    let received = 0;
    const reading = (async () => {
      while (received < orders * 2) {
        await c.nextMessageType();
        received++;
      }
    })();
    while (sent < orders) {
      while (sent < orders && sent - received / 2 < window) {
        await c.write(order());
        sent++;
      }
      await new Promise((r) => setTimeout(r, 0));
    }
    await reading;
    const fixTput = orders / ((performance.now() - tp0) / 1000);
    c.conn.close();

    const e = await Deno.connect({ hostname: "127.0.0.1", port: echo.port });
    e.setNoDelay(true);
    const payload = order();
    const buf = new Uint8Array(65536);
    const echoRtt: number[] = [];
    for (let i = 0; i < orders; i++) {
      const t0 = performance.now();
      for (let o = 0; o < payload.length;) o += await e.write(payload.subarray(o));
      let got = 0;
      while (got < payload.length) got += (await e.read(buf)) ?? Infinity;
      echoRtt.push(performance.now() - t0);
    }
    const et0 = performance.now();
    const total = payload.length * orders;
    const reader = (async () => {
      let got = 0;
      while (got < total) got += (await e.read(buf)) ?? Infinity;
    })();
    for (let i = 0; i < orders; i++) {
      for (let o = 0; o < payload.length;) o += await e.write(payload.subarray(o));
    }
    await reader;
    const echoTput = orders / ((performance.now() - et0) / 1000);
    e.close();
    fixRtt.sort((a, b) => a - b);
    echoRtt.sort((a, b) => a - b);
    return {
      orders,
      fixRoundTripUs: { p50: pct(fixRtt, 0.5), p99: pct(fixRtt, 0.99) },
      echoRoundTripUs: { p50: pct(echoRtt, 0.5), p99: pct(echoRtt, 0.99) },
      fixOrdersPerSecond: Math.round(fixTput),
      echoMessagesPerSecond: Math.round(echoTput),
    };
  } finally {
    for (const s of [fix, echo]) {
      s.child.kill("SIGKILL");
      await s.child.status;
    }
  }
}

if (import.meta.main) {
  const serveIdx = Deno.args.indexOf("--serve");
  if (serveIdx >= 0) {
    await serve(Deno.args[serveIdx + 1] ?? "fix");
  } else {
    const ordersIdx = Deno.args.indexOf("--orders");
    const orders = ordersIdx >= 0 ? Number(Deno.args[ordersIdx + 1]) : 2000;
    const r = await runSessionBench(orders);
    console.log(
      `session round trip (NOS -> first ER), ${r.orders} orders, loopback, two processes`,
    );
    console.log(
      `  tandem   p50 ${r.fixRoundTripUs.p50} us  p99 ${r.fixRoundTripUs.p99} us  ${r.fixOrdersPerSecond} orders/s (window 50)`,
    );
    console.log(
      `  tcp echo p50 ${r.echoRoundTripUs.p50} us  p99 ${r.echoRoundTripUs.p99} us  ${r.echoMessagesPerSecond} msgs/s (streamed)`,
    );
  }
}
