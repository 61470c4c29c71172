import { assertEquals, assertThrows } from "../testing/assert.ts";
import {
  decodeAppCursor,
  decodeAudit,
  decodeEpochChange,
  decodeLostOutbound,
  decodeSequenceChange,
  decodeSessionDefinition,
  decodeSessionReset,
  decodeVoidedOutbound,
  encodeAppCursor,
  encodeAudit,
  encodeEpochChange,
  encodeLostOutbound,
  encodeSequenceChange,
  encodeSessionDefinition,
  encodeSessionReset,
  encodeVoidedOutbound,
  JournalPayloadError,
} from "./payloads.ts";

Deno.test("payload helpers round-trip every non-message record kind", () => {
  assertEquals(decodeSessionDefinition(encodeSessionDefinition("FIX.4.4:A->B")), "FIX.4.4:A->B");
  const change = { nextSenderSeqNum: 2 ** 40, nextTargetSeqNum: 7, reason: "admin – set" };
  assertEquals(decodeSequenceChange(encodeSequenceChange(change)), change);
  assertEquals(decodeSessionReset(encodeSessionReset("daily")), "daily");
  assertEquals(decodeEpochChange(encodeEpochChange({ epoch: 9, reason: "promote" })), {
    epoch: 9,
    reason: "promote",
  });
  assertEquals(decodeAppCursor(encodeAppCursor({ name: "executor", index: 123 })), {
    name: "executor",
    index: 123,
  });
  assertEquals(decodeAudit(encodeAudit('{"a":1}')), '{"a":1}');
});

Deno.test("AppCursor payloads decode their whole index range, also inside a larger buffer", () => {
  for (const index of [0, 255, 2 ** 31, 2 ** 32 + 7, Number.MAX_SAFE_INTEGER]) {
    const payload = encodeAppCursor({ name: "executor@FIX.4.4:EXEC->BENCH", index });
    const inside = new Uint8Array(payload.length + 5);
    inside.set(payload, 3);
    const view = inside.subarray(3, 3 + payload.length);
    assertEquals(decodeAppCursor(view), { name: "executor@FIX.4.4:EXEC->BENCH", index });
  }
  // names of the same length that differ in one byte are not taken for each other
  assertEquals(decodeAppCursor(encodeAppCursor({ name: "app@A", index: 1 })).name, "app@A");
  assertEquals(decodeAppCursor(encodeAppCursor({ name: "app@B", index: 1 })).name, "app@B");
  assertEquals(decodeAppCursor(encodeAppCursor({ name: "app@A", index: 2 })).name, "app@A");
  const beyondSafe = encodeAppCursor({ name: "x", index: 1 });
  beyondSafe[6] = 0x20; // high word 0x200000: index 2^53 and more
  assertThrows(() => decodeAppCursor(beyondSafe), JournalPayloadError, "out of range");
});

Deno.test("payload helpers reject short, out-of-range and non-UTF-8 payloads", () => {
  assertThrows(() => decodeSequenceChange(new Uint8Array(15)), JournalPayloadError, "need 16");
  assertThrows(() => decodeSequenceChange(new Uint8Array(16)), JournalPayloadError, "out of range");
  assertThrows(() => decodeEpochChange(new Uint8Array(3)), JournalPayloadError);
  assertThrows(() => decodeAppCursor(new Uint8Array(8)), JournalPayloadError);
  assertThrows(() => decodeSessionDefinition(new Uint8Array(0)), JournalPayloadError, "empty");
  assertThrows(() => decodeAudit(Uint8Array.of(0xff, 0xfe)), JournalPayloadError, "UTF-8");
  assertThrows(
    () => encodeSequenceChange({ nextSenderSeqNum: 0, nextTargetSeqNum: 1, reason: "" }),
    RangeError,
  );
  assertThrows(() => encodeEpochChange({ epoch: -1, reason: "" }), RangeError);
  assertThrows(() => encodeAppCursor({ name: "", index: 1 }), RangeError);
});

Deno.test("encodeLostOutbound() writes an Audit note that decodeLostOutbound() reads back", () => {
  const lost = {
    session: "FIX.4.4:EXEC->CLIENT",
    fromSeqNum: 120,
    toSeqNum: 299,
    source: "logout-text",
    policy: "hold",
  };
  const payload = encodeLostOutbound(lost);
  assertEquals(decodeLostOutbound(payload), lost);
  // an Audit payload like any other: readers that know nothing of it see JSON text
  assertEquals(JSON.parse(decodeAudit(payload)).event, "lost-outbound");
  assertEquals(decodeLostOutbound(encodeAudit('{"action":"set-sequence"}')), undefined);
  assertEquals(decodeLostOutbound(encodeAudit("free text")), undefined);
  assertThrows(() => encodeLostOutbound({ ...lost, toSeqNum: 100 }), RangeError, "empty");
  assertThrows(
    () => decodeLostOutbound(encodeAudit('{"event":"lost-outbound","fromSeqNum":"x"}')),
    JournalPayloadError,
    "lost-outbound",
  );
});

Deno.test("encodeVoidedOutbound() writes an Audit note, numbers sorted and unique, that decodeVoidedOutbound() reads back", () => {
  const payload = encodeVoidedOutbound({ session: "FIX.4.4:EXEC->CLIENT", seqNums: [7, 3, 7] });
  assertEquals(decodeVoidedOutbound(payload), {
    session: "FIX.4.4:EXEC->CLIENT",
    seqNums: [3, 7],
  });
  assertEquals(JSON.parse(decodeAudit(payload)).event, "voided-outbound");
  const lost = encodeLostOutbound({
    session: "S",
    fromSeqNum: 1,
    toSeqNum: 2,
    source: "logout-text",
    policy: "hold",
  });
  assertEquals(decodeVoidedOutbound(lost), undefined);
  assertEquals(decodeLostOutbound(payload), undefined);
  assertEquals(decodeVoidedOutbound(encodeAudit("free text")), undefined);
  assertThrows(() => encodeVoidedOutbound({ session: "S", seqNums: [0] }), RangeError, "0");
  assertThrows(
    () => decodeVoidedOutbound(encodeAudit('{"event":"voided-outbound","seqNums":["x"]}')),
    JournalPayloadError,
    "voided-outbound",
  );
});
