import { assert, assertEquals } from "../../lib/testing/assert.ts";
import { takeMessage } from "./at_compare.ts";
import { completeMessage, parseScript } from "./at_script.ts";
import { formatResult, runScript, waitForPort } from "./at_runner.ts";

const soh = (s: string) => s.replaceAll("|", "\x01");
const encoder = new TextEncoder();

/** What the fake acceptor does with one message it received on one connection. */
type Handler = (
  message: string,
  peer: { send(body: string): Promise<void>; raw(text: string): Promise<void>; close(): void },
) => Promise<void> | void;

/** A FIX "acceptor" on 127.0.0.1 port 0 that frames what it receives and hands it to `handler`. */
function fakeAcceptor(handler: Handler): { port: number } & AsyncDisposable {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns = new Set<Deno.Conn>();
  const serve = async (conn: Deno.Conn) => {
    conns.add(conn);
    let buffer = new Uint8Array(0);
    const chunk = new Uint8Array(4096);
    const peer = {
      send: async (body: string) => {
        await conn.write(encoder.encode(completeMessage(soh(`8=FIX.4.4|${body}`))));
      },
      raw: async (text: string) => {
        await conn.write(encoder.encode(text));
      },
      close: () => {
        conns.delete(conn);
        conn.close();
      },
    };
    try {
      for (;;) {
        const n = await conn.read(chunk);
        if (n === null) break;
        const next = new Uint8Array(buffer.length + n);
        next.set(buffer);
        next.set(chunk.subarray(0, n), buffer.length);
        buffer = next;
        for (;;) {
          const frame = takeMessage(buffer);
          if (frame.kind !== "message") break;
          buffer = buffer.subarray(frame.bytes);
          await handler(frame.text, peer);
        }
      }
    } catch {
      // closed by the handler or the runner
    } finally {
      if (conns.delete(conn)) conn.close();
    }
  };
  const accepting = (async () => {
    try {
      for await (const conn of listener) serve(conn);
    } catch {
      // listener closed
    }
  })();
  return {
    port: (listener.addr as Deno.NetAddr).port,
    async [Symbol.asyncDispose]() {
      listener.close();
      for (const c of conns) c.close();
      conns.clear();
      await accepting;
    },
  };
}

const fieldOf = (m: string, tag: number) =>
  m.split("\x01").find((f) => f.startsWith(`${tag}=`))?.slice(String(tag).length + 1);
const typeOf = (m: string) => fieldOf(m, 35);
const seqOf = (m: string) => fieldOf(m, 34);

/** Answers Logon with Logon, Logout with Logout then a close, TestRequest with a Heartbeat. */
const polite: Handler = async (m, peer) => {
  const t = typeOf(m);
  if (t === "A") await peer.send(`35=A|34=1|49=ISLD|52=20261124-10:00:00.000|56=TW|98=0|108=30|`);
  if (t === "1") await peer.send(`35=0|34=${seqOf(m)}|49=ISLD|52=20261124-10:00:00|56=TW|112=X|`);
  if (t === "5") {
    await peer.send(`35=5|34=${seqOf(m)}|49=ISLD|52=20261124-10:00:00.000|56=TW|`);
    peer.close();
  }
};

const LOGON = "8=FIX.4.4|35=A|34=1|49=TW|52=<TIME>|56=ISLD|98=0|108=30|";
const LOGON_REPLY =
  "8=FIX.4.4|9=60|35=A|34=1|49=ISLD|52=00000000-00:00:00.000|56=TW|98=0|108=30|10=0|";

function script(lines: string[]) {
  return parseScript(soh(lines.join("\n")), "test.def");
}

Deno.test("runScript() passes a script of sends, expectations and an expected disconnect", async () => {
  await using acceptor = fakeAcceptor(polite);
  const result = await runScript(
    script([
      "# log on, test request, log out",
      "iCONNECT",
      `I${LOGON}`,
      `E${LOGON_REPLY}`,
      "I8=FIX.4.4|35=1|34=2|49=TW|52=<TIME>|56=ISLD|112=X|",
      "E8=FIX.4.4|9=1|35=0|34=2|49=ISLD|52=00000000-00:00:00.000|56=TW|112=X|10=0|",
      "I8=FIX.4.4|35=5|34=3|49=TW|52=<TIME>|56=ISLD|",
      "E8=FIX.4.4|9=1|35=5|34=3|49=ISLD|52=00000000-00:00:00.000|56=TW|10=0|",
      "eDISCONNECT",
    ]),
    { host: "127.0.0.1", port: acceptor.port, timeoutMs: 5_000 },
  );
  assertEquals(result.passed, true, formatResult(result));
  assert(formatResult(result).startsWith("PASS test.def ("));
  assertEquals(result.transcript.filter((l) => l.includes(" 1> ")).length, 3);
});

Deno.test("runScript() keeps numbered connections apart", async () => {
  await using acceptor = fakeAcceptor(polite);
  const result = await runScript(
    script([
      "i1,CONNECT",
      "i2,CONNECT",
      `I2,${LOGON}`,
      `E2,${LOGON_REPLY}`,
      `I1,${LOGON}`,
      `E1,${LOGON_REPLY}`,
      "i2,DISCONNECT",
      "I1,8=FIX.4.4|35=5|34=2|49=TW|52=<TIME>|56=ISLD|",
      "E1,8=FIX.4.4|9=1|35=5|34=2|49=ISLD|52=00000000-00:00:00.000|56=TW|10=0|",
      "e1,DISCONNECT",
    ]),
    { host: "127.0.0.1", port: acceptor.port, timeoutMs: 5_000 },
  );
  assertEquals(result.passed, true, formatResult(result));
});

Deno.test("runScript() fails at the first line whose message differs, saying what differs", async () => {
  await using acceptor = fakeAcceptor(polite);
  const result = await runScript(
    script([
      "iCONNECT",
      `I${LOGON}`,
      "E8=FIX.4.4|9=60|35=A|34=1|49=ISLD|52=00000000-00:00:00.000|56=TW|98=0|108=60|10=0|",
      "eDISCONNECT",
    ]),
    { host: "127.0.0.1", port: acceptor.port, timeoutMs: 5_000 },
  );
  assertEquals(result.passed, false);
  assertEquals(result.line, 3);
  assertEquals(result.reason, "108 should be 60 but is 30");
  assert(
    formatResult(result).startsWith(
      "FAIL test.def: line 3: 108 should be 60 but is 30 | expected: 8=FIX.4.4|",
    ),
  );
  assert(result.received!.includes("|108=30|"));
});

Deno.test("runScript() fails eDISCONNECT when the engine sends data or stays connected", async () => {
  await using acceptor = fakeAcceptor(polite);
  const port = acceptor.port;
  const talks = await runScript(
    script(["iCONNECT", `I${LOGON}`, "eDISCONNECT"]),
    { host: "127.0.0.1", port, timeoutMs: 5_000 },
  );
  assertEquals([talks.passed, talks.line, talks.reason], [
    false,
    3,
    "expected a disconnect, received data",
  ]);
  const silent = await runScript(
    script(["iCONNECT", "eDISCONNECT"]),
    { host: "127.0.0.1", port, timeoutMs: 300 },
  );
  assertEquals(silent.reason, "the engine did not disconnect within 300 ms");
});

Deno.test("runScript() fails an expectation when the engine disconnects or sends garbage", async () => {
  await using closer = fakeAcceptor((_, peer) => peer.close());
  const closed = await runScript(
    script(["iCONNECT", `I${LOGON}`, `E${LOGON_REPLY}`]),
    { host: "127.0.0.1", port: closer.port, timeoutMs: 5_000 },
  );
  assertEquals(closed.reason, "the engine disconnected instead of sending a message");
  await using garbler = fakeAcceptor(async (_, peer) => {
    await peer.raw("HELLO\x01");
  });
  const garbage = await runScript(
    script(["iCONNECT", `I${LOGON}`, `E${LOGON_REPLY}`]),
    { host: "127.0.0.1", port: garbler.port, timeoutMs: 5_000 },
  );
  assertEquals(
    garbage.reason,
    "received bytes are not a valid message: data does not start with BeginString (8=)",
  );
  assertEquals(garbage.received, "HELLO|");
});

Deno.test("runScript() fails on a wrong CheckSum from the engine", async () => {
  await using acceptor = fakeAcceptor(async (_, peer) => {
    await peer.send("35=A|34=1|49=ISLD|52=20261124-10:00:00.000|56=TW|98=0|108=30|10=001|");
  });
  const r = await runScript(
    script(["iCONNECT", `I${LOGON}`, `E${LOGON_REPLY}`]),
    { host: "127.0.0.1", port: acceptor.port, timeoutMs: 5_000 },
  );
  assertEquals(r.passed, false);
  assert(r.reason!.startsWith("received bytes are not a valid message"), r.reason);
});

Deno.test("runScript() waits for a Heartbeat as long as the Logon's HeartBtInt needs", async () => {
  await using acceptor = fakeAcceptor(async (m, peer) => {
    if (typeOf(m) !== "A") return;
    await peer.send("35=A|34=1|49=ISLD|52=20261124-10:00:00.000|56=TW|98=0|108=1|");
    await new Promise((r) => setTimeout(r, 1_000));
    await peer.send("35=0|34=2|49=ISLD|52=20261124-10:00:00.000|56=TW|");
  });
  const r = await runScript(
    script([
      "iCONNECT",
      "I8=FIX.4.4|35=A|34=1|49=TW|52=<TIME>|56=ISLD|98=0|108=1|",
      "E8=FIX.4.4|9=1|35=A|34=1|49=ISLD|52=00000000-00:00:00.000|56=TW|98=0|108=1|10=0|",
      "E8=FIX.4.4|9=1|35=0|34=2|49=ISLD|52=00000000-00:00:00.000|56=TW|10=0|",
    ]),
    { host: "127.0.0.1", port: acceptor.port, timeoutMs: 200 },
  );
  assertEquals(r.passed, true, formatResult(r));
});

Deno.test("runScript() times out an expectation nothing answers", async () => {
  await using acceptor = fakeAcceptor(() => {});
  const r = await runScript(
    script(["iCONNECT", "I8=FIX.4.4|35=D|34=2|", "E8=FIX.4.4|9=1|35=D|34=2|10=0|"]),
    { host: "127.0.0.1", port: acceptor.port, timeoutMs: 200 },
  );
  assertEquals([r.line, r.reason], [3, "no message within 200 ms"]);
});

Deno.test("runScript() fails a send on a connection that was never opened, and eCONNECT alone", async () => {
  await using acceptor = fakeAcceptor(polite);
  const port = acceptor.port;
  const r = await runScript(script(["iCONNECT", `I2,${LOGON}`]), { host: "127.0.0.1", port });
  assertEquals([r.line, r.reason], [2, "connection 2 is not open"]);
  const e = await runScript(script(["eCONNECT"]), { host: "127.0.0.1", port });
  assertEquals(e.passed, false);
  assert(e.reason!.startsWith("eCONNECT before iCONNECT"));
});

Deno.test("runScript() fails iCONNECT when nothing listens, naming the address", async () => {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  const r = await runScript(script(["iCONNECT"]), { host: "127.0.0.1", port });
  assert(r.reason!.startsWith(`cannot connect to 127.0.0.1:${port}`), r.reason);
  assertEquals(await waitForPort("127.0.0.1", port, Date.now() + 200), false);
});
