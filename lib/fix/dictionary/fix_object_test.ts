import { assertEquals, assertThrows } from "../../testing/assert.ts";
import { MessageEncoder } from "../encoder.ts";
import { builtinDictionary } from "./builtin_dictionary.ts";
import { decodeFixObject, encodeFixObject, FixObjectError, writeFixObject } from "./fix_object.ts";
import { fix, H44, text } from "./_test_helpers.ts";

const fix44 = builtinDictionary("FIX.4.4");
const HEADER = {
  SenderCompID: "CLIENT",
  TargetCompID: "ISLD",
  MsgSeqNum: 2,
  SendingTime: "20261124-10:00:00.000",
};

Deno.test("decodeFixObject() splits header, body, trailer and nested groups, keyed by name", () => {
  const msg = fix(`8=FIX.4.4|35=D|${H44}11=A1|453=2|448=X|452=3|802=1|523=S|448=Y|54=1|55=IBM|`);
  const o = decodeFixObject(msg, fix44);
  assertEquals(o.msgType, "D");
  assertEquals(o.header, {
    MsgSeqNum: "2",
    SenderCompID: "CLIENT",
    SendingTime: "20261124-10:00:00.000",
    TargetCompID: "ISLD",
  });
  assertEquals(o.body, {
    ClOrdID: "A1",
    NoPartyIDs: [{ PartyID: "X", PartyRole: "3", NoPartySubIDs: [{ PartySubID: "S" }] }, {
      PartyID: "Y",
    }],
    Side: "1",
    Symbol: "IBM",
  });
  assertEquals(o.trailer, {});
});

Deno.test("decodeFixObject() keys by tag when asked and keeps unknown tags by number", () => {
  const msg = fix(`8=FIX.4.4|35=D|${H44}11=A1|453=1|448=X|9999=u|`);
  const o = decodeFixObject(msg, fix44, { keys: "tag" });
  assertEquals(o.body, { "11": "A1", "453": [{ "448": "X" }], "9999": "u" });
  assertEquals(decodeFixObject(msg, fix44).body["9999"], "u");
});

Deno.test("encodeFixObject() writes fields in dictionary order whatever the key order", () => {
  const bytes = encodeFixObject(fix44, {
    msgType: "D",
    header: HEADER,
    body: {
      Symbol: "IBM",
      NoPartyIDs: [{ PartyRole: 3, PartyID: "X" }],
      "11": "A1",
      Side: "1",
      Price: 187.25,
      LocateReqd: true,
    },
  });
  assertEquals(
    text(bytes).replace(/\|10=\d{3}\|$/, "|"),
    "8=FIX.4.4|9=105|35=D|49=CLIENT|56=ISLD|34=2|52=20261124-10:00:00.000|11=A1|453=1|448=X|" +
      "452=3|55=IBM|54=1|114=Y|44=187.25|",
  );
});

Deno.test("encodeFixObject() writes a DATA field with its LENGTH, SOH included", () => {
  const bytes = encodeFixObject(fix44, {
    msgType: "D",
    header: HEADER,
    body: { ClOrdID: "A", EncodedText: "a\x01b" },
  });
  const msg = fix(
    text(bytes).replace(/^8=FIX.4.4\|9=\d+\|/, "8=FIX.4.4|").replace(/10=\d+\|$/, ""),
  );
  assertEquals(decodeFixObject(msg, fix44).body, {
    ClOrdID: "A",
    EncodedTextLen: "3",
    EncodedText: "a\x01b",
  });
});

function fails(body: Record<string, unknown>, path: string, includes: string) {
  const e = assertThrows(
    () => encodeFixObject(fix44, { msgType: "D", header: HEADER, body }),
    FixObjectError,
  );
  assertEquals(e.path, path);
  if (!e.message.includes(includes)) throw new Error(`${e.message} lacks ${includes}`);
}

Deno.test("encodeFixObject() names the field path of a bad value", () => {
  fails(
    { NoPartyIDs: [{ PartyID: "X", PartyRole: "nope" }] },
    "NoPartyIDs[0].PartyRole",
    "not a valid INT",
  );
  fails(
    { NoPartyIDs: [{ PartyID: "X" }, { PartyID: "Y", PartyRole: 999 }] },
    "NoPartyIDs[1].PartyRole",
    "not one of",
  );
  fails({ Side: "Z" }, "Side", "not one of");
  fails({ OrderQty: Number.NaN }, "OrderQty", "not finite");
  fails({ OrderQty: "" }, "OrderQty", "empty");
  fails({ OrderQty: { x: 1 } }, "OrderQty", "string, number or boolean");
  fails({ TransactTime: "yesterday" }, "TransactTime", "UTCTIMESTAMP");
});

Deno.test("encodeFixObject() names the path of a bad structure", () => {
  fails({ Nope: "1" }, "Nope", "no field of that name in FIX.4.4");
  fails({ TestReqID: "1" }, "TestReqID", "not defined here");
  fails({ "9999": "1" }, "9999", "not defined here");
  fails({ NoPartyIDs: { PartyID: "X" } }, "NoPartyIDs", "must be an array");
  fails({ NoPartyIDs: ["X"] }, "NoPartyIDs[0]", "must be an object");
  fails({ NoPartyIDs: [{ PartyRole: 3 }] }, "NoPartyIDs[0].PartyID", "first field");
  fails(
    { NoPartyIDs: [{ PartyID: "X", Symbol: "IBM" }] },
    "NoPartyIDs[0].Symbol",
    "not defined here",
  );
  // integer-like keys come first in a JS object, so the name is the second one seen
  fails({ ClOrdID: "A", "11": "B" }, "ClOrdID", "given twice");
  assertThrows(
    () => encodeFixObject(fix44, { msgType: "ZZ", body: {} }),
    FixObjectError,
    "ZZ is not a message type of FIX.4.4",
  );
});

Deno.test("writeFixObject() appends unknown numeric tags when allowUnknownTags is set", () => {
  const encoder = new MessageEncoder("FIX.4.4");
  encoder.begin("D");
  writeFixObject(encoder, fix44, fix44.message("D")!, { "9999": "u", "5001": 1, ClOrdID: "A" }, {
    allowUnknownTags: true,
  });
  assertEquals(
    text(encoder.finish()).replace(/10=\d+\|$/, ""),
    "8=FIX.4.4|9=24|35=D|11=A|5001=1|9999=u|",
  );
});

Deno.test("encodeFixObject() uses FIXT.1.1 for the header and the ApplVerID's dictionary for the body", () => {
  const dicts = {
    transport: builtinDictionary("FIXT.1.1"),
    application: builtinDictionary("FIX.5.0SP2"),
  };
  const sp2 = encodeFixObject(dicts, {
    msgType: "D",
    header: HEADER,
    body: { ClOrdID: "A", OrderOrigination: 1 },
  });
  assertEquals(text(sp2).slice(0, 16), "8=FIXT.1.1|9=65|");
  assertThrows(
    () =>
      encodeFixObject(dicts, {
        msgType: "D",
        header: { ...HEADER, ApplVerID: "6" },
        body: { ClOrdID: "A", OrderOrigination: 1 },
      }),
    FixObjectError,
    "no field of that name in FIX.4.4",
  );
  assertThrows(
    () => encodeFixObject(dicts, { msgType: "D", header: { ApplVerID: "Q" }, body: {} }),
    FixObjectError,
    "unsupported ApplVerID",
  );
  const logon = encodeFixObject(dicts, {
    msgType: "A",
    body: { EncryptMethod: 0, HeartBtInt: 30, DefaultApplVerID: "9" },
  });
  assertEquals(text(logon).replace(/10=\d+\|$/, ""), "8=FIXT.1.1|9=24|35=A|98=0|108=30|1137=9|");
});

Deno.test("encodeFixObject() refuses a group with more entries than maxGroupEntries", () => {
  const entries = [{ PartyID: "A" }, { PartyID: "B" }, { PartyID: "C" }];
  const message = { msgType: "D", header: HEADER, body: { NoPartyIDs: entries } };
  const e = assertThrows(
    () => encodeFixObject(fix44, message, { maxGroupEntries: 2 }),
    FixObjectError,
    "3 entries, more than the limit of 2",
  );
  assertEquals(e.path, "NoPartyIDs");
  assertEquals(
    text(encodeFixObject(fix44, message, { maxGroupEntries: 3 })).includes("453=3|"),
    true,
  );
});
