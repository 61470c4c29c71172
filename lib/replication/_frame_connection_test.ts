import { assertEquals } from "../testing/assert.ts";
import { FrameConnection } from "./_frame_connection.ts";
import { DEFAULT_PROTOCOL_LIMITS, FrameDecoder } from "./protocol.ts";

/** A connection whose writes are recorded as they are called (and complete at once). */
function recordingConn(): { conn: Deno.Conn; writes: Uint8Array[] } {
  const writes: Uint8Array[] = [];
  const conn = {
    remoteAddr: { transport: "tcp", hostname: "127.0.0.1", port: 1 },
    write: (b: Uint8Array) => {
      writes.push(b.slice());
      return Promise.resolve(b.length);
    },
    read: () => new Promise<number | null>(() => {}),
    close: () => {},
  } as unknown as Deno.Conn;
  return { conn, writes };
}

function decodeAll(writes: Uint8Array[]) {
  const d = new FrameDecoder(DEFAULT_PROTOCOL_LIMITS);
  for (const w of writes) d.push(w);
  const out = [];
  for (let r = d.next(); r?.kind === "message"; r = d.next()) out.push(r.message);
  return out;
}

Deno.test("FrameConnection.send with now starts the socket write before it returns", async () => {
  const { conn, writes } = recordingConn();
  const fc = new FrameConnection(conn, DEFAULT_PROTOCOL_LIMITS);
  fc.send({ type: "ack", durableIndex: 7 }, true);
  assertEquals(writes.length, 1, "the ack waited for the end of the turn");
  await fc.flush();
  assertEquals(decodeAll(writes), [{ type: "ack", durableIndex: 7 }]);
});

Deno.test("FrameConnection.send coalesces the frames of one turn into one write", async () => {
  const { conn, writes } = recordingConn();
  const fc = new FrameConnection(conn, DEFAULT_PROTOCOL_LIMITS);
  fc.send({ type: "heartbeat", lastIndex: 1, timestampMs: 2 });
  fc.send({ type: "ack", durableIndex: 3 });
  assertEquals(writes.length, 0);
  await fc.flush();
  assertEquals(writes.length, 1);
  assertEquals(decodeAll(writes), [
    { type: "heartbeat", lastIndex: 1, timestampMs: 2 },
    { type: "ack", durableIndex: 3 },
  ]);
});

Deno.test("FrameConnection.send with now queues behind a write in flight, in order", async () => {
  const { conn, writes } = recordingConn();
  const fc = new FrameConnection(conn, DEFAULT_PROTOCOL_LIMITS);
  fc.send({ type: "ack", durableIndex: 1 }, true);
  fc.send({ type: "ack", durableIndex: 2 }, true);
  fc.send({ type: "ack", durableIndex: 3 }, true);
  await fc.flush();
  assertEquals(decodeAll(writes).map((m) => m.type === "ack" && m.durableIndex), [1, 2, 3]);
  assertEquals(writes.length, 2, "the second and third shared the write after the first");
});
