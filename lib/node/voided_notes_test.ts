import { assertEquals } from "../testing/assert.ts";
import { decodeVoidedOutbound, Journal, RecordKind } from "../journal/mod.ts";
import { encodeMessage } from "../fix/mod.ts";
import type { Application, SessionHost } from "../engine/mod.ts";
import { Logger } from "../log/mod.ts";
import { cursoredApplication, cursorName } from "./app_cursor.ts";
import { recoverApplications, withVoidedResends } from "./app_recovery.ts";
import { decodeMessage } from "../fix/message.ts";
import { journaledVoids, voidedCursorName } from "./voided_notes.ts";

const KEY = "FIX.4.4:EXEC->CLIENT";

function order(seq: number, msgType: string): Uint8Array {
  return encodeMessage("FIX.4.4", msgType, [[34, seq], [49, "CLIENT"], [56, "EXEC"], [
    11,
    `C${seq}`,
  ]]);
}

function append(j: Journal, kind: RecordKind, id: number, seq: number, msgType: string): number {
  return j.append({
    kind,
    sessionId: id,
    seqNum: seq,
    timestampMs: 1,
    payload: order(seq, msgType),
  });
}

/**
 * What one leader does on promotion, as the node does it: fresh voided sets
 * (or those `withVoidedResends` registered in `voided`), then
 * `recoverApplications` with an application that answers each order with one
 * execution report journaled with the next outbound MsgSeqNum.
 */
function recover(
  j: Journal,
  id: number,
  voided = new Map([[KEY, new Set<number>()]]),
): Set<number> {
  const answer: Application = {
    onMessage: () => {
      const seq = j.sessionState(id).nextSenderSeqNum;
      append(j, RecordKind.Outbound, id, seq, "8");
    },
  };
  recoverApplications(() => ({ key: KEY, sessionId: id }) as SessionHost, {
    journal: j,
    log: new Logger({ sink: () => {} }),
    appNames: new Map([[KEY, "executor"]]),
    apps: new Map([[KEY, cursoredApplication(answer, j, "executor")]]),
    voided,
    nowMs: () => 5,
  });
  return voided.get(KEY)!;
}

/** A journal whose old leader died half-way through answering order 2: answer 3 is cut short. */
function cutShortRun(j: Journal): number {
  const id = j.defineSession(KEY);
  const name = cursorName("executor", KEY);
  const i1 = append(j, RecordKind.Inbound, id, 1, "D");
  j.recordAppCursor("begin:" + name, i1);
  append(j, RecordKind.Outbound, id, 1, "8");
  append(j, RecordKind.Outbound, id, 2, "8");
  j.recordAppCursor(name, i1);
  const i2 = append(j, RecordKind.Inbound, id, 2, "D");
  j.recordAppCursor("begin:" + name, i2);
  append(j, RecordKind.Outbound, id, 3, "8");
  return id;
}

Deno.test("recoverApplications() keeps the voided MsgSeqNums across a second recovery, also after the journal is reopened from disk", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tandem-voided-" });
  try {
    let id: number;
    {
      await using j = await Journal.open(dir, { syncPolicy: "none" });
      id = cutShortRun(j);
      // First new leader: voids answer 3, replays order 2 (its answer goes out as 4).
      assertEquals([...recover(j, id)], [3]);
      assertEquals(j.outbound(id, 4)?.kind, RecordKind.Outbound, "the replayed answer");
      const at = j.appCursors().get(voidedCursorName(KEY))!;
      const note = j.read(at)!;
      assertEquals(note.kind, RecordKind.Audit);
      assertEquals(note.sessionId, id);
      assertEquals(decodeVoidedOutbound(note.payload), { session: KEY, seqNums: [3] });
      assert4IsAfterNote(j, id, at);
      // Second new leader on the same journal: the run is closed, the voiding stays.
      assertEquals([...recover(j, id)], [3]);
      assertEquals(j.appCursors().get(voidedCursorName(KEY)), at, "no second note");
    }
    // A restart (or a member that replicated the journal): from the files alone.
    await using j = await Journal.open(dir, { syncPolicy: "none" });
    assertEquals([...recover(j, id)], [3]);
    assertEquals(j.outbound(id, 5), undefined, "order 2 was not answered again");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** The note precedes the replayed answer: whoever has the answer has the note. */
function assert4IsAfterNote(j: Journal, id: number, noteIndex: number): void {
  const answer = j.outbound(id, 4)!;
  assertEquals(answer.index > noteIndex, true);
}

Deno.test("recoverApplications() notes every number voided since the reset when a later leader voids more", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tandem-voided-" });
  try {
    await using j = await Journal.open(dir, { syncPolicy: "none" });
    const id = cutShortRun(j);
    recover(j, id); // voids 3, answers order 2 as 4
    // That leader dies half-way through answering order 3: answer 5 is cut short.
    const name = cursorName("executor", KEY);
    const i3 = append(j, RecordKind.Inbound, id, 3, "D");
    j.recordAppCursor("begin:" + name, i3);
    append(j, RecordKind.Outbound, id, 5, "8");
    assertEquals([...recover(j, id)].sort(), [3, 5]);
    assertEquals([...journaledVoids(j, { key: KEY, sessionId: id })].sort(), [3, 5]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("recoverApplications() voids nothing of the numbers before a session reset", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tandem-voided-" });
  try {
    let id: number;
    {
      await using j = await Journal.open(dir, { syncPolicy: "none" });
      id = cutShortRun(j);
      assertEquals([...recover(j, id)], [3]);
      j.resetSession(id, "end of day");
      append(j, RecordKind.Outbound, id, 1, "0");
      append(j, RecordKind.Outbound, id, 2, "0");
      append(j, RecordKind.Outbound, id, 3, "0"); // a new message 3, to be resent as itself
      assertEquals(recover(j, id).size, 0);
    }
    await using j = await Journal.open(dir, { syncPolicy: "none" });
    assertEquals(recover(j, id).size, 0);
    assertEquals(journaledVoids(j, { key: KEY, sessionId: id }).size, 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("recoverApplications() restores noted voids on a session served with application: api", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tandem-voided-" });
  try {
    await using j = await Journal.open(dir, { syncPolicy: "none" });
    const id = cutShortRun(j);
    recover(j, id);
    const voided = new Map([[KEY, new Set<number>()]]);
    recoverApplications(() => ({ key: KEY, sessionId: id }) as SessionHost, {
      journal: j,
      log: new Logger({ sink: () => {} }),
      appNames: new Map([[KEY, "api"]]),
      apps: new Map(),
      voided,
    });
    assertEquals([...voided.get(KEY)!], [3]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("withVoidedResends() resends a number voided by the recovery as itself once the session is reset", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tandem-voided-" });
  try {
    await using j = await Journal.open(dir, { syncPolicy: "none" });
    const id = cutShortRun(j);
    const voided = new Map<string, Set<number>>();
    const config = withVoidedResends(voided, KEY, {});
    recoverApplications(() => ({ key: KEY, sessionId: id }) as SessionHost, {
      journal: j,
      log: new Logger({ sink: () => {} }),
      appNames: new Map([[KEY, "executor"]]),
      apps: new Map(),
      voided,
    });
    const third = decodeMessage(order(3, "8"));
    assertEquals(config.shouldResend(third), false, "the cut-short answer is gap-filled");
    assertEquals(config.shouldResend(decodeMessage(order(2, "8"))), true);
    j.resetSession(id, "end of day"); // while this leader still leads
    assertEquals(config.shouldResend(third), true, "the new message 3 is resent");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("A voided number that an operator's lower NextSenderSeqNum gives a new message is resent as that message, by this leader and every later one", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tandem-voided-" });
  try {
    let id: number;
    {
      await using j = await Journal.open(dir, { syncPolicy: "none" });
      id = cutShortRun(j);
      const voided = new Map<string, Set<number>>();
      const config = withVoidedResends(voided, KEY, {});
      recover(j, id, voided);
      const cutShort = decodeMessage(order(3, "8"));
      assertEquals(config.shouldResend(cutShort), false, "the cut-short answer is gap-filled");
      // The operator sets the next outbound number back to 3 (agreed with the counterparty)
      // and the session sends a new message 3.
      j.setSequenceNumbers(id, {
        nextSenderSeqNum: 3,
        nextTargetSeqNum: j.sessionState(id).nextTargetSeqNum,
        reason: "operator",
      });
      append(j, RecordKind.Outbound, id, 3, "D");
      append(j, RecordKind.Outbound, id, 4, "D");
      const newThird = decodeMessage(j.outbound(id, 3)!.payload);
      assertEquals(newThird.msgType, "D");
      assertEquals(config.shouldResend(newThird), true, "the new message 3 is resent");
      // A later leader on the same journal does not void it either.
      assertEquals([...recover(j, id)], []);
    }
    // Nor does one that starts from the files.
    await using j = await Journal.open(dir, { syncPolicy: "none" });
    assertEquals([...recover(j, id)], []);
    assertEquals(journaledVoids(j, { key: KEY, sessionId: id }).size, 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
