/**
 * Admission control of the FIX port, against a real acceptor process: idle
 * connections never lock a configured session out, refusals are summarised
 * instead of logged one by one, and allow-lists refuse foreign sources (on
 * loopback, 127.0.0.2 is a different source from 127.0.0.1).
 */

import net from "node:net";
import { assert, assertEquals, assertStringIncludes } from "../lib/testing/assert.ts";
import { TestClient } from "../lib/engine/_test_client.ts";
import { encodeMessage } from "../lib/fix/encoder.ts";
import {
  adminGet,
  adminPortOf,
  freePorts,
  nodeYaml,
  TandemProcess,
  until,
} from "./_gateway_process.ts";

interface Venue extends AsyncDisposable {
  readonly fixPort: number;
  readonly venue: TandemProcess;
}

/** A venue (acceptor, sessions EXEC->GW and EXEC->GW2) with extra `fix:` and session lines. */
async function venue(fixExtra: string[], sessionExtra: string[] = []): Promise<Venue> {
  const dir = await Deno.makeTempDir({ prefix: "tandem-admission-" });
  const [fixPort] = freePorts(1);
  let yaml = nodeYaml({
    id: "venue",
    role: "acceptor",
    dataDir: `${dir}/venue`,
    fixPort: fixPort!,
    sessions: [
      { sender: "EXEC", target: "GW", application: "executor" },
      { sender: "EXEC", target: "GW2", application: "executor" },
    ],
  });
  yaml = yaml.replace("fix:\n", `fix:\n${fixExtra.map((l) => `  ${l}\n`).join("")}`);
  if (sessionExtra.length > 0) yaml += sessionExtra.map((l) => `    ${l}\n`).join("");
  await Deno.writeTextFile(`${dir}/venue.yaml`, yaml);
  const p = new TandemProcess("venue", `${dir}/venue.yaml`);
  await p.waitFor("accepting FIX connections");
  return {
    fixPort: fixPort!,
    venue: p,
    async [Symbol.asyncDispose]() {
      await p.crash();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

function logon(target: string): Uint8Array {
  const now = new Date().toISOString().replace(/[-]/g, "").replace("T", "-").slice(0, 21);
  return encodeMessage("FIX.4.4", "A", [[49, target], [56, "EXEC"], [34, 1], [52, now], [
    98,
    0,
  ], [108, 30]]);
}

/** Connects from `localAddress`; resolves with the socket once connected. */
function connectFrom(port: number, localAddress: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: "127.0.0.1", port, localAddress });
    s.on("error", () => {}); // closed by the venue: expected
    s.once("connect", () => resolve(s));
    s.once("error", reject);
  });
}

/** Sends a Logon from `localAddress`; resolves with whatever arrived before the venue closed (or after 10 s). */
function logonFrom(port: number, localAddress: string, target = "GW"): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: "127.0.0.1", port, localAddress });
    let got = "";
    const timer = setTimeout(() => s.destroy(), 10_000);
    s.on("data", (d: Uint8Array) => {
      got += new TextDecoder().decode(d).replaceAll("\x01", "|");
      if (got.includes("|10=")) s.destroy();
    });
    s.once("connect", () => s.write(logon(target)));
    s.once("close", () => {
      clearTimeout(timer);
      resolve(got);
    });
    s.once("error", (e) => {
      if (!("code" in e) || e.code !== "ECONNRESET") reject(e);
    });
  });
}

async function loggedOn(port: number, target = "GW"): Promise<void> {
  await using c = await TestClient.connect(port);
  await c.send("35=A|34=1|98=0|108=30", "FIX.4.4", target, "EXEC");
  const answer = await c.next();
  assertEquals(answer?.msgType, "A", `Logon of ${target} answered with ${answer?.toString()}`);
  await c.send("35=5|34=2", "FIX.4.4", target, "EXEC");
  await c.next();
}

Deno.test("FIX port: a configured session logs on while 1,000 idle connections are held, and the refusals take a bounded number of log lines", async () => {
  await using v = await venue([]);
  const from = v.venue.lines.length;
  const idle: net.Socket[] = [];
  try {
    // 1,000 connections that never send a byte, from 50 source addresses
    for (let i = 0; i < 1_000; i++) {
      idle.push(await connectFrom(v.fixPort, `127.0.0.${2 + i % 50}`));
    }
    // …and a few more from the counterparty's own address
    for (let i = 0; i < 20; i++) idle.push(await connectFrom(v.fixPort, "127.0.0.1"));
    await loggedOn(v.fixPort);
    await loggedOn(v.fixPort, "GW2");
  } finally {
    for (const s of idle) s.destroy();
  }
  const adminPort = await adminPortOf(v.venue);
  await until(
    "the refusals to be counted",
    async () => (await adminGet(adminPort, "/metrics")).includes('reason="pending-limit"'),
  );
  const metrics = await adminGet(adminPort, "/metrics");
  const count = (reason: string) =>
    Number(
      new RegExp(`tandem_connections_refused_total\\{reason="${reason}"\\} (\\d+)`).exec(metrics)
        ?.[1] ?? 0,
    );
  assert(count("pending-limit") + count("address-pending-limit") >= 1_020 - 64, metrics);
  const refusalLines = v.venue.lines.slice(from).filter((l) =>
    /refused|closed before Logon|connection limit/.test(l)
  );
  // one line at the first refusal, then at most one per 10 s interval
  assert(refusalLines.length <= 5, `${refusalLines.length} lines:\n${refusalLines.join("\n")}`);
});

Deno.test("FIX port: fix.allowedRemoteAddresses refuses a foreign source before anything is read", async () => {
  await using v = await venue(["allowedRemoteAddresses: [127.0.0.1/32]"]);
  const foreign = await logonFrom(v.fixPort, "127.0.0.2");
  assertEquals(foreign, "", "no Logon answer to 127.0.0.2");
  await loggedOn(v.fixPort);
  await v.venue.waitFor(["127.0.0.2", "fix.allowedRemoteAddresses"]);
});

Deno.test("FIX port: sessions[].allowedRemoteAddresses refuses the session's Logon from another source", async () => {
  // the second session (GW2) may only connect from 127.0.0.3
  await using v = await venue([], ["allowedRemoteAddresses: [127.0.0.3]"]);
  const wrong = await logonFrom(v.fixPort, "127.0.0.2", "GW2");
  assertEquals(wrong, "", "no Logon answer to GW2 from 127.0.0.2");
  const right = await logonFrom(v.fixPort, "127.0.0.3", "GW2");
  assertStringIncludes(right, "|35=A|");
  await v.venue.waitFor(["may not connect from 127.0.0.2"]);
});
