import { assertEquals } from "../testing/assert.ts";
import { Journal, RecordKind } from "../journal/mod.ts";
import { encodeMessage, type FixMessage } from "../fix/mod.ts";
import { decodeMessage } from "../fix/message.ts";
import { MessageContext, type SessionHandle } from "../engine/application.ts";
import { cursoredApplication, cursorName, openRunAckLimit, unfinishedWork } from "./app_cursor.ts";

const KEY = "FIX.4.4:EXEC->CLIENT";

async function withJournal(fn: (j: Journal, sessionId: number) => Promise<void> | void) {
  const dir = await Deno.makeTempDir({ prefix: "tandem-cursor-" });
  try {
    await using j = await Journal.open(dir, { syncPolicy: "none" });
    await fn(j, j.defineSession(KEY));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function order(seq: number, msgType = "D"): Uint8Array {
  return encodeMessage("FIX.4.4", msgType, [[34, seq], [49, "CLIENT"], [56, "EXEC"], [
    11,
    `C${seq}`,
  ]]);
}

function inbound(j: Journal, sessionId: number, seq: number, msgType = "D"): number {
  return j.append({
    kind: RecordKind.Inbound,
    sessionId,
    seqNum: seq,
    timestampMs: 1,
    payload: order(seq, msgType),
  });
}

function outbound(j: Journal, sessionId: number, seq: number): number {
  return j.append({
    kind: RecordKind.Outbound,
    sessionId,
    seqNum: seq,
    timestampMs: 1,
    payload: order(seq, "8"),
  });
}

Deno.test("cursoredApplication() brackets the answers to one message with begin and closing cursors", async () => {
  await withJournal((j, id) => {
    let out = 1;
    const app = cursoredApplication(
      {
        onMessage: () => {
          outbound(j, id, out++);
          outbound(j, id, out++);
        },
      },
      j,
      "executor",
    );
    const i = inbound(j, id, 1);
    app.onMessage!(
      decodeMessage(order(1)),
      { key: KEY } as SessionHandle,
      new MessageContext(i, 0),
    );
    const kinds = [];
    for (let k = i; k <= j.lastIndex; k++) kinds.push(j.read(k)!.kind);
    assertEquals(kinds, [
      RecordKind.Inbound,
      RecordKind.AppCursor,
      RecordKind.Outbound,
      RecordKind.Outbound,
      RecordKind.AppCursor,
    ]);
    const name = cursorName("executor", KEY);
    assertEquals(j.appCursors().get(name), i);
    assertEquals(j.appCursors().get("begin:" + name), i);
  });
});

Deno.test("cursoredApplication() closes the run even when the application throws", async () => {
  await withJournal((j, id) => {
    const app = cursoredApplication(
      {
        onMessage: () => {
          throw new Error("boom");
        },
      },
      j,
      "executor",
    );
    const i = inbound(j, id, 1);
    try {
      app.onMessage!(
        decodeMessage(order(1)),
        { key: KEY } as SessionHandle,
        new MessageContext(i, 0),
      );
    } catch { /* the engine logs it */ }
    assertEquals(j.appCursors().get(cursorName("executor", KEY)), i);
  });
});

Deno.test("openRunAckLimit() holds acks at the Inbound record of an open run, and only then", async () => {
  await withJournal((j, id) => {
    const name = cursorName("executor", KEY);
    const i = inbound(j, id, 1);
    j.recordAppCursor("begin:" + name, i);
    outbound(j, id, 1);
    assertEquals(openRunAckLimit(j, j.lastIndex), i, "open run: ack no answer");
    assertEquals(openRunAckLimit(j, i - 1), i - 1, "below the run: the durable index");
    j.recordAppCursor(name, i);
    assertEquals(openRunAckLimit(j, j.lastIndex), j.lastIndex, "closed run: everything");
  });
});

Deno.test("openRunAckLimit() holds acks at the earliest open run of several sessions and applications", async () => {
  await withJournal((j, a) => {
    const b = j.defineSession("FIX.4.4:EXEC->OTHER");
    const exec = cursorName("executor", KEY);
    const echo = cursorName("echo", "FIX.4.4:EXEC->OTHER");
    // A finished run on a: it holds nothing back, even below the open ones.
    const done = inbound(j, a, 1);
    j.recordAppCursor("begin:" + exec, done);
    outbound(j, a, 1);
    j.recordAppCursor(exec, done);
    // b opens a run, then a opens a later one: the earlier (b's) is the limit, wherever it is in the map.
    const first = inbound(j, b, 1);
    j.recordAppCursor("begin:" + echo, first);
    const second = inbound(j, a, 2);
    j.recordAppCursor("begin:" + exec, second);
    outbound(j, a, 2);
    assertEquals(openRunAckLimit(j, j.lastIndex), first, "two open runs: the earlier one");
    assertEquals(openRunAckLimit(j, first - 1), first - 1, "below both runs: the durable index");
    j.recordAppCursor(echo, first);
    assertEquals(openRunAckLimit(j, j.lastIndex), second, "b closed: a's open run");
    j.recordAppCursor(exec, second);
    assertEquals(openRunAckLimit(j, j.lastIndex), j.lastIndex, "both closed: everything");
    // The view is the journal's own: a later begin shows in the next query, with no stale copy.
    const third = inbound(j, b, 2);
    j.recordAppCursor("begin:" + echo, third);
    assertEquals(openRunAckLimit(j, j.lastIndex), third, "a new open run after the last query");
  });
});

Deno.test("unfinishedWork() voids the answers of a cut-short run and replays its message and later ones", async () => {
  await withJournal((j, id) => {
    j.beginEpoch(3, "a promotion");
    const name = cursorName("executor", KEY);
    // A finished run: nothing to do for it.
    const i1 = inbound(j, id, 1);
    j.recordAppCursor("begin:" + name, i1);
    outbound(j, id, 1);
    outbound(j, id, 2);
    j.recordAppCursor(name, i1);
    // A run cut short after one answer, then a message the application never saw.
    const i2 = inbound(j, id, 2);
    j.recordAppCursor("begin:" + name, i2);
    outbound(j, id, 3);
    const i3 = inbound(j, id, 3);
    inbound(j, id, 4, "0"); // a Heartbeat: session-level, never replayed
    const work = unfinishedWork(j, "executor", { key: KEY, sessionId: id });
    assertEquals([...work.voided], [3]);
    assertEquals(work.replay.map((m: FixMessage) => m.msgSeqNum), [2, 3]);
    // Replayed with the identity of their Inbound records: the ids of the first delivery.
    assertEquals(work.contexts.map((c) => c.id), [`3-${i2}`, `3-${i3}`]);
  });
});

Deno.test("unfinishedWork() finds nothing when every run closed", async () => {
  await withJournal((j, id) => {
    const name = cursorName("executor", KEY);
    const i = inbound(j, id, 1);
    j.recordAppCursor("begin:" + name, i);
    outbound(j, id, 1);
    j.recordAppCursor(name, i);
    const work = unfinishedWork(j, "executor", { key: KEY, sessionId: id });
    assertEquals(work.voided.size, 0);
    assertEquals(work.replay.length, 0);
  });
});

Deno.test("unfinishedWork() does not replay a message the session answered with a Reject", async () => {
  await withJournal((j, id) => {
    inbound(j, id, 1); // rejected by the session (e.g. a missing required field): never delivered
    j.append({
      kind: RecordKind.Outbound,
      sessionId: id,
      seqNum: 1,
      timestampMs: 1,
      payload: encodeMessage("FIX.4.4", "3", [[34, 1], [49, "EXEC"], [56, "CLIENT"], [45, 1]]),
    });
    inbound(j, id, 2); // delivered but the primary died before the application ran
    const work = unfinishedWork(j, "executor", { key: KEY, sessionId: id });
    assertEquals(work.replay.map((m) => m.msgSeqNum), [2]);
  });
});

Deno.test("cursoredApplication() closes a replayed message's run at its own Inbound record, so the messages after it stay unfinished", async () => {
  await withJournal((j, id) => {
    const i1 = inbound(j, id, 1);
    const i2 = inbound(j, id, 2);
    let out = 1;
    const app = cursoredApplication(
      { onMessage: () => void outbound(j, id, out++) },
      j,
      "executor",
    );
    // The new primary hands the first message over again, then dies before the second.
    const work = unfinishedWork(j, "executor", { key: KEY, sessionId: id });
    assertEquals(work.replay.map((m) => m.msgSeqNum), [1, 2]);
    app.onMessage!(work.replay[0]!, { key: KEY } as SessionHandle, work.contexts[0]!);
    assertEquals(j.appCursors().get(cursorName("executor", KEY)), i1);
    const left = unfinishedWork(j, "executor", { key: KEY, sessionId: id });
    assertEquals(left.replay.map((m) => m.msgSeqNum), [2]);
    assertEquals(left.contexts.map((c) => c.index), [i2]);
    assertEquals(left.voided.size, 0, "the replayed run's answer is not voided");
  });
});
