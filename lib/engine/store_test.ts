// One contract suite, run against every SessionStore implementation.
import { assertEquals, assertThrows } from "../testing/assert.ts";
import { Journal } from "../journal/mod.ts";
import { encodeMessage } from "../fix/encoder.ts";
import { JournalSessionStore } from "./journal_store.ts";
import { MemorySessionStore, type SessionStore } from "./store.ts";

const msg = (seq: number) => encodeMessage("FIX.4.4", "D", [[34, seq], [11, `O${seq}`]]);

interface Subject {
  readonly name: string;
  open(): Promise<
    { store: SessionStore; reopen?: () => Promise<SessionStore>; close(): Promise<void> }
  >;
}

const subjects: Subject[] = [
  {
    name: "MemorySessionStore",
    open() {
      const store = new MemorySessionStore();
      return Promise.resolve({ store, close: () => Promise.resolve() });
    },
  },
  {
    name: "JournalSessionStore",
    async open() {
      const dir = await Deno.makeTempDir();
      let journal = await Journal.open(dir, { syncPolicy: "none" });
      return {
        store: new JournalSessionStore(journal),
        async reopen() {
          await journal.close();
          journal = await Journal.open(dir, { syncPolicy: "none" });
          return new JournalSessionStore(journal);
        },
        async close() {
          await journal.close();
          await Deno.remove(dir, { recursive: true });
        },
      };
    },
  },
];

for (const subject of subjects) {
  Deno.test(`${subject.name}.defineSession() returns the same id for the same key and 1/1 numbers`, async () => {
    const s = await subject.open();
    try {
      const a = s.store.defineSession("FIX.4.4:A->B");
      const b = s.store.defineSession("FIX.4.4:A->C");
      assertEquals(s.store.defineSession("FIX.4.4:A->B"), a);
      assertEquals(a === b, false);
      assertEquals(s.store.sequenceNumbers(a), { nextSenderSeqNum: 1, nextTargetSeqNum: 1 });
    } finally {
      await s.close();
    }
  });

  Deno.test(`${subject.name} tracks sequence numbers from appends and finds outbound messages by MsgSeqNum`, async () => {
    const s = await subject.open();
    try {
      const id = s.store.defineSession("FIX.4.4:A->B");
      const i1 = s.store.appendOutbound(id, 1, msg(1), 0);
      const i2 = s.store.appendOutbound(id, 2, msg(2), 0);
      const i3 = s.store.appendInbound(id, 1, msg(1), 0);
      assertEquals(i1 < i2 && i2 < i3, true, "indices increase");
      assertEquals(s.store.sequenceNumbers(id), { nextSenderSeqNum: 3, nextTargetSeqNum: 2 });
      assertEquals(s.store.outbound(id, 2), msg(2));
      assertEquals(s.store.outbound(id, 3), undefined);
      s.store.appendSequenceChange(id, { nextSenderSeqNum: 3, nextTargetSeqNum: 10 }, false, 0);
      assertEquals(s.store.sequenceNumbers(id), { nextSenderSeqNum: 3, nextTargetSeqNum: 10 });
      if (s.reopen !== undefined) {
        const again = await s.reopen();
        const id2 = again.defineSession("FIX.4.4:A->B");
        assertEquals(id2, id);
        assertEquals(again.sequenceNumbers(id2), { nextSenderSeqNum: 3, nextTargetSeqNum: 10 });
        assertEquals(again.outbound(id2, 1), msg(1));
      }
    } finally {
      await s.close();
    }
  });

  Deno.test(`${subject.name} forgets resend history on reset`, async () => {
    const s = await subject.open();
    try {
      const id = s.store.defineSession("FIX.4.4:A->B");
      s.store.appendOutbound(id, 1, msg(1), 0);
      s.store.appendSequenceChange(id, { nextSenderSeqNum: 1, nextTargetSeqNum: 1 }, true, 123_000);
      assertEquals(s.store.sequenceNumbers(id), { nextSenderSeqNum: 1, nextTargetSeqNum: 1 });
      assertEquals(s.store.outbound(id, 1), undefined);
      assertEquals(s.store.resetAtMs?.(id), 123_000);
    } finally {
      await s.close();
    }
  });
}

Deno.test("MemorySessionStore keeps at most maxMessagesPerSession outbound messages", () => {
  const store = new MemorySessionStore({ maxMessagesPerSession: 2 });
  const id = store.defineSession("k");
  for (let i = 1; i <= 3; i++) store.appendOutbound(id, i, msg(i), 0);
  assertEquals(store.outbound(id, 1), undefined);
  assertEquals(store.outbound(id, 3), msg(3));
  assertThrows(() => new MemorySessionStore({ maxMessagesPerSession: 0 }), RangeError);
  assertThrows(() => store.sequenceNumbers(99), RangeError);
});

Deno.test("JournalSessionStore keeps each message's own fields and bytes when the caller reuses its buffer", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await using journal = await Journal.open(dir, { syncPolicy: "none" });
    const store = new JournalSessionStore(journal);
    const s = store.defineSession("FIX.4.4:A->B");
    const buffer = new Uint8Array(msg(1).length + 8);
    buffer.set(msg(1));
    const first = store.appendOutbound(s, 1, buffer.subarray(0, msg(1).length), 1_000);
    buffer.fill(0x7c);
    buffer.set(msg(2));
    const second = store.appendInbound(s, 7, buffer.subarray(0, msg(2).length), 2_000);
    buffer.fill(0);
    assertEquals(store.outbound(s, 1), msg(1));
    const r1 = journal.read(first)!;
    const r2 = journal.read(second)!;
    assertEquals([r1.kind, r1.seqNum, r1.timestampMs], [1, 1, 1_000]);
    assertEquals([r2.kind, r2.seqNum, r2.timestampMs, r2.payload], [2, 7, 2_000, msg(2)]);
    assertEquals(store.sequenceNumbers(s), { nextSenderSeqNum: 2, nextTargetSeqNum: 8 });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
