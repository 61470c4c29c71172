import { assertEquals } from "../testing/assert.ts";
import { SeqNumBytes } from "./_seq_num_bytes.ts";

const bytesOf = (text: string) => new TextEncoder().encode(text);
const textOf = (bytes: Uint8Array | undefined) =>
  bytes === undefined ? undefined : new TextDecoder().decode(bytes);

Deno.test("SeqNumBytes holds, replaces and forgets bytes by sequence number like a Map", () => {
  const m = new SeqNumBytes();
  const reference = new Map<number, string>();
  // across chunk boundaries, with gaps, replacements, deletions and an empty message
  const ops: [number, string | undefined][] = [
    [1, "a"],
    [1023, "b"],
    [1024, "c"],
    [1, "a2"],
    [5000, "d"],
    [9, ""],
    [1023, undefined],
    [2048 * 3 + 7, "e"],
    [1, undefined],
    [1024, undefined],
    [77, undefined],
  ];
  for (const [seq, value] of ops) {
    if (value === undefined) {
      m.delete(seq);
      reference.delete(seq);
    } else {
      m.set(seq, bytesOf(value));
      reference.set(seq, value);
    }
    assertEquals(m.size, reference.size);
    for (const probe of [0, 1, 9, 77, 1023, 1024, 1025, 5000, 2048 * 3 + 7]) {
      assertEquals(textOf(m.get(probe)), reference.get(probe), `get(${probe}) after ${seq}`);
    }
  }
  m.clear();
  assertEquals(m.size, 0);
  assertEquals(m.get(5000), undefined);
});

Deno.test("SeqNumBytes copies what it is given: the caller may reuse its buffer", () => {
  const m = new SeqNumBytes();
  const buffer = bytesOf("first");
  m.set(1, buffer);
  buffer.set(bytesOf("XXXXX"));
  m.set(2, buffer);
  assertEquals([textOf(m.get(1)), textOf(m.get(2))], ["first", "XXXXX"]);
});

Deno.test("SeqNumBytes never writes over a view it returned, through replacements and moves to bigger buffers", () => {
  const m = new SeqNumBytes();
  const message = (seq: number, round: number) => `${seq}:${round}:${"x".repeat(seq % 300)}`;
  const held: [Uint8Array, string][] = [];
  // enough bytes in one chunk to move it to new buffers several times, replacing as it goes
  for (let round = 0; round < 4; round++) {
    for (let seq = 0; seq < 1024; seq++) {
      m.set(seq, bytesOf(message(seq, round)));
      if (seq % 97 === 0) held.push([m.get(seq)!, message(seq, round)]);
      if (seq % 5 === 0) m.delete(seq);
    }
  }
  for (const [view, text] of held) assertEquals(textOf(view), text);
  for (let seq = 0; seq < 1024; seq++) {
    assertEquals(textOf(m.get(seq)), seq % 5 === 0 ? undefined : message(seq, 3));
  }
});
