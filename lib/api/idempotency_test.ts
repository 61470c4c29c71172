import { assertEquals, assertThrows } from "../testing/assert.ts";
import { encodeAudit, type JournalRecord, RecordKind } from "../journal/mod.ts";
import {
  checkClientId,
  ClientIdIndex,
  decodeClientIdNote,
  encodeClientIdNote,
  MAX_CLIENT_ID_LENGTH,
} from "./idempotency.ts";
import { ApiError } from "./server.ts";

/** A journal of records built by hand (the index reads only these fields). */
class Records {
  readonly records: JournalRecord[] = [];
  firstIndex = 1;
  epoch = 1;
  get lastIndex(): number {
    return this.records.length;
  }
  async *tail(from: number): AsyncIterable<JournalRecord> {
    // Like Journal.tail up to the last record (the index stops there on its own).
    for (let i = Math.max(from, this.firstIndex); i <= this.lastIndex; i++) {
      await Promise.resolve();
      yield this.records[i - 1]!;
    }
  }
  #add(kind: RecordKind, sessionId: number, seqNum: number, payload: Uint8Array): number {
    const index = this.records.length + 1;
    this.records.push({
      index,
      epoch: this.epoch,
      kind,
      sessionId,
      seqNum,
      timestampMs: 0,
      payload,
    });
    return index;
  }
  note(clientId: string, sessionId: number, msgSeqNum: number): number {
    const text = encodeClientIdNote({ clientId, session: `S${sessionId}`, msgSeqNum });
    return this.#add(RecordKind.Audit, sessionId, 0, encodeAudit(text));
  }
  outbound(sessionId: number, seqNum: number): number {
    return this.#add(RecordKind.Outbound, sessionId, seqNum, new Uint8Array());
  }
  inbound(sessionId: number, seqNum: number): number {
    return this.#add(RecordKind.Inbound, sessionId, seqNum, new Uint8Array());
  }
}

Deno.test("ClientIdIndex remembers a client id with the Outbound record right after its note", async () => {
  const j = new Records();
  j.inbound(1, 1);
  j.note("order-1", 1, 2);
  const index = j.outbound(1, 2);
  const ids = new ClientIdIndex();
  await ids.catchUp(j, 1);
  assertEquals(ids.get("order-1"), { index, msgSeqNum: 2 });
  assertEquals(ids.get("order-2"), undefined);
});

Deno.test("ClientIdIndex ignores a note whose message never followed it (not sent: a retry sends)", async () => {
  const j = new Records();
  j.note("lost", 1, 5); // the leader died before the message reached this journal
  const ids = new ClientIdIndex();
  await ids.catchUp(j, 1);
  assertEquals(ids.get("lost"), undefined);
  j.inbound(1, 9);
  j.outbound(1, 5); // another message, with the MsgSeqNum the note named: not its message
  await ids.catchUp(j, 1);
  assertEquals(ids.get("lost"), undefined);
  j.note("other-session", 1, 6);
  j.outbound(2, 6);
  j.note("wrong-seq", 1, 7);
  j.outbound(1, 8);
  await ids.catchUp(j, 1);
  assertEquals(ids.get("other-session"), undefined);
  assertEquals(ids.get("wrong-seq"), undefined);
});

Deno.test("ClientIdIndex reads only what was appended since, and rebuilds on a new epoch", async () => {
  const j = new Records();
  j.note("a", 1, 1);
  j.outbound(1, 1);
  const ids = new ClientIdIndex();
  await ids.catchUp(j, 1);
  j.note("b", 1, 2);
  j.outbound(1, 2);
  await ids.catchUp(j, 1);
  assertEquals(ids.size, 2);
  // Promotion after a truncation: the suffix holding "b" was quarantined, "c" took its place.
  j.records.length = 2;
  j.note("c", 1, 2);
  j.outbound(1, 2);
  await ids.catchUp(j, 2);
  assertEquals(ids.get("b"), undefined);
  assertEquals(ids.get("c")?.index, 4);
  assertEquals(ids.get("a")?.index, 2);
});

Deno.test("ClientIdIndex forgets the oldest ids beyond its bound and those retention removed", async () => {
  const j = new Records();
  for (let n = 1; n <= 5; n++) {
    j.note(`id-${n}`, 1, n);
    j.outbound(1, n);
  }
  const ids = new ClientIdIndex(3);
  await ids.catchUp(j, 1);
  assertEquals(ids.size, 3);
  assertEquals(ids.get("id-2"), undefined);
  assertEquals(ids.get("id-3")?.index, 6);
  j.firstIndex = 7; // retention removed the segments up to index 6
  await ids.catchUp(j, 1);
  assertEquals(ids.get("id-3"), undefined);
  assertEquals(ids.get("id-4")?.index, 8);
});

Deno.test("decodeClientIdNote() reads its own notes and no other audit text", () => {
  const text = encodeClientIdNote({ clientId: "x", session: "S", msgSeqNum: 3 });
  assertEquals(decodeClientIdNote(text), { clientId: "x", session: "S", msgSeqNum: 3 });
  assertEquals(decodeClientIdNote('{"action":"set-sequence"}'), undefined);
  assertEquals(decodeClientIdNote("api-client-id but not JSON"), undefined);
});

Deno.test("checkClientId() takes 1 to 128 printable ASCII characters and names the field otherwise", () => {
  assertEquals(checkClientId("ord-1:A/b", "clientId"), "ord-1:A/b");
  assertEquals(checkClientId("x".repeat(MAX_CLIENT_ID_LENGTH), "clientId").length, 128);
  for (const bad of ["", "x".repeat(129), "a b", "a\u0001b", "é", 12]) {
    const err = assertThrows(() => checkClientId(bad, "clientId"), ApiError);
    assertEquals(err.status, 400);
  }
});
