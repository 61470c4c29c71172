import { assertEquals } from "../testing/assert.ts";
import { SessionSchedule } from "../session/schedule.ts";
import { SessionHost } from "./session_host.ts";
import { MemorySessionStore } from "./store.ts";

const DAY1 = Date.UTC(2026, 10, 24, 10);
const DAY2 = Date.UTC(2026, 10, 25, 9);
const conn = () => ({ enqueue() {}, close() {}, reschedule() {} });

function hostAt(store: MemorySessionStore, nowMs: number) {
  return new SessionHost({
    config: {
      beginString: "FIX.4.4",
      senderCompId: "ISLD",
      targetCompId: "TW",
      role: "acceptor",
      schedule: new SessionSchedule({ startTime: "08:00", endTime: "17:00" }),
    },
    store,
    logger: () => {},
    clock: () => nowMs,
  });
}

Deno.test("SessionHost resets sequence numbers at start-up when the stored ones belong to an earlier period", () => {
  const store = new MemorySessionStore({ clock: () => DAY1 });
  const id = store.defineSession("FIX.4.4:ISLD->TW");
  store.appendOutbound(id, 1, new Uint8Array(1), DAY1);
  store.appendOutbound(id, 2, new Uint8Array(1), DAY1);
  const host = hostAt(store, DAY2);
  assertEquals(host.session.nextSenderSeqNum, 3);
  host.attach(conn());
  assertEquals(host.session.nextSenderSeqNum, 1);
  assertEquals(store.sequenceNumbers(id), { nextSenderSeqNum: 1, nextTargetSeqNum: 1 });
});

Deno.test("SessionHost keeps sequence numbers at start-up within the same period", () => {
  const store = new MemorySessionStore({ clock: () => DAY1 });
  const id = store.defineSession("FIX.4.4:ISLD->TW");
  store.appendOutbound(id, 1, new Uint8Array(1), DAY1);
  const host = hostAt(store, DAY1 + 3600_000);
  host.attach(conn());
  assertEquals(host.session.nextSenderSeqNum, 2);
});

Deno.test("SessionHost.send() reads the fields during the call: changing them afterwards changes nothing sent", () => {
  const store = new MemorySessionStore({ clock: () => DAY1 });
  const host = new SessionHost({
    config: { beginString: "FIX.4.4", senderCompId: "ISLD", targetCompId: "TW", role: "acceptor" },
    store,
    logger: () => {},
    clock: () => DAY1,
  });
  const written: Uint8Array[] = [];
  host.attach({ enqueue: (b: Uint8Array) => void written.push(b), close() {}, reschedule() {} });
  const pair: [number, string] = [11, "FIRST"];
  const fields = [pair, [55, "X"] as const];
  const first = host.send("D", fields);
  pair[1] = "SECOND";
  fields.push([58, "later"]);
  const second = host.send("D", fields);
  const text = (b: Uint8Array | undefined) => new TextDecoder().decode(b).replaceAll("\x01", "|");
  const stored = text(store.outbound(host.sessionId, first));
  assertEquals([stored.includes("|11=FIRST|"), stored.includes("58=")], [true, false]);
  assertEquals(
    text(store.outbound(host.sessionId, second)).includes("|11=SECOND|55=X|58=later|"),
    true,
  );
});
