import { assertEquals } from "../../testing/assert.ts";
import { builtinDictionary } from "./builtin_dictionary.ts";
import { loadDictionary } from "./load_dictionary.ts";
import {
  createMessageValidator,
  SessionRejectReason as R,
  validateMessage,
  type ValidationOptions,
} from "./validate_message.ts";
import { fix, H44 } from "./_test_helpers.ts";

const fix44 = { transport: builtinDictionary("FIX.4.4") };
const NOS = "11=ORD-1|21=1|38=100|40=2|44=187.250|54=1|55=IBM|59=0|60=20261124-10:00:00.000|";

function check(text: string, options?: Partial<ValidationOptions>) {
  const issue = validateMessage(fix(`8=FIX.4.4|${text}`), fix44, options);
  return issue === undefined ? undefined : [issue.reason, issue.tag];
}

Deno.test("validateMessage() accepts a valid FIX.4.4 NewOrderSingle and Heartbeat", () => {
  assertEquals(check(`35=D|${H44}${NOS}`), undefined);
  assertEquals(check(`35=0|${H44}`), undefined);
  assertEquals(check(`35=0|${H44}112=T1|`), undefined);
});

Deno.test("validateMessage() gives 0 (invalid tag number) for tags the dictionary does not define", () => {
  assertEquals(check(`35=0|${H44}999=HI|`), [R.InvalidTagNumber, 999]);
  assertEquals(check(`35=0|${H44}5000=HI|`), [R.InvalidTagNumber, 5000]);
});

Deno.test("validateMessage() gives 1 (required tag missing) for header, body and group fields", () => {
  assertEquals(check(`35=0|34=2|49=CLIENT|52=20261124-10:00:00|`), [R.RequiredTagMissing, 56]);
  assertEquals(check(`35=D|${H44}21=1|40=1|54=1|60=20261124-10:00:00|`), [
    R.RequiredTagMissing,
    11,
  ]);
  // CrossOrderCancelRequest's NoSides is required, so its entries' required fields are too
  const sides = "552=1|54=1|11=C|38=1|"; // OrigClOrdID (41) missing in the entry
  const cross = `35=u|${H44}548=X|551=Y|549=1|550=0|${sides}55=IBM|60=20261124-10:00:00|`;
  assertEquals(check(cross), [R.RequiredTagMissing, 41]);
});

Deno.test("validateMessage() gives 2 (tag not defined for this message type)", () => {
  assertEquals(check(`35=0|${H44}55=MSFT|`), [R.TagNotDefinedForMessageType, 55]);
  // a group member outside its group
  assertEquals(check(`35=D|${H44}${NOS}448=X|`), [R.TagNotDefinedForMessageType, 448]);
});

Deno.test("validateMessage() gives 4 (tag specified without a value)", () => {
  assertEquals(check(`35=0|34=2|49=CLIENT|52=20261124-10:00:00|56=|`), [
    R.TagSpecifiedWithoutValue,
    56,
  ]);
  assertEquals(check(`35=D|${H44}${NOS}58=|`), [R.TagSpecifiedWithoutValue, 58]);
});

Deno.test("validateMessage() gives 5 (value out of range) for enums, multi-value tokens included", () => {
  assertEquals(check(`35=D|${H44}${NOS.replace("21=1", "21=4")}`), [R.ValueIsIncorrect, 21]);
  assertEquals(check(`35=D|${H44}${NOS}167=BOO|`), [R.ValueIsIncorrect, 167]);
  assertEquals(check(`35=D|${H44}${NOS}167=CS|`), undefined);
  assertEquals(check(`35=D|${H44}${NOS}18=1 2|`), undefined);
  assertEquals(check(`35=D|${H44}${NOS}18=1 ~|`), [R.ValueIsIncorrect, 18]);
  assertEquals(check(`35=D|${H44}${NOS}18=1  2|`), [R.ValueIsIncorrect, 18]);
});

Deno.test("validateMessage() gives 6 (incorrect data format) per field type", () => {
  const bad = (tag: number, value: string) => check(`35=D|${H44}${NOS}${tag}=${value}|`);
  const nos = (from: string, to: string) => check(`35=D|${H44}${NOS.replace(from, to)}`);
  assertEquals(nos("38=100", "38=+200.00"), [R.IncorrectDataFormat, 38]);
  assertEquals(nos("38=100", "38=1e3"), [R.IncorrectDataFormat, 38]);
  assertEquals(nos("60=20261124-10:00:00.000", "60=20040415"), [R.IncorrectDataFormat, 60]);
  assertEquals(nos("60=20261124-10:00:00.000", "60=20261324-10:00:00"), [
    R.IncorrectDataFormat,
    60,
  ]);
  assertEquals(nos("54=1", "54=12"), [R.IncorrectDataFormat, 54]); // CHAR is one character
  assertEquals(bad(110, "1.5"), undefined); // MinQty is a QTY
  assertEquals(bad(110, "1."), undefined);
  assertEquals(bad(110, "-"), [R.IncorrectDataFormat, 110]);
  assertEquals(bad(114, "y"), [R.IncorrectDataFormat, 114]); // BOOLEAN is Y or N
  assertEquals(bad(200, "2026"), [R.IncorrectDataFormat, 200]); // MONTHYEAR
  assertEquals(bad(200, "202611w2"), undefined);
  assertEquals(bad(432, "2026-11-24"), [R.IncorrectDataFormat, 432]); // LOCALMKTDATE
  assertEquals(bad(386, "x"), [R.IncorrectDataFormat, 386]); // NUMINGROUP is an int
});

Deno.test("validateMessage() gives 11 (invalid MsgType) for a MsgType the dictionary lacks", () => {
  assertEquals(check(`35=*|${H44}`), [R.InvalidMsgType, undefined]);
});

Deno.test("validateMessage() gives 13 (tag appears more than once), also when not adjacent", () => {
  assertEquals(check(`35=D|${H44}${NOS.replace("40=2", "40=1|40=2")}`), [
    R.TagAppearsMoreThanOnce,
    40,
  ]);
  assertEquals(check(`35=D|${H44}${NOS}11=X|`), [R.TagAppearsMoreThanOnce, 11]);
  assertEquals(check(`35=0|${H44}49=X|`), [R.TagAppearsMoreThanOnce, 49]);
});

Deno.test("validateMessage() gives 14 (out of required order) for header/body/trailer disorder", () => {
  const body = "11=id|21=3|40=1|54=1|55=MSFT|60=20261124-10:00:00|";
  assertEquals(check(`35=D|${body}${H44}`), [R.TagSpecifiedOutOfRequiredOrder, 34]);
  assertEquals(check(`35=D|55=MSFT|${H44}${body.replace("55=MSFT|", "")}`), [14, 34]);
  // a body field after the trailer's SignatureLength/Signature
  assertEquals(check(`35=D|${H44}${body}93=1|89=s|58=late|`), [14, 58]);
  // body fields in any order are fine
  assertEquals(check(`35=D|${H44}60=20261124-10:00:00|55=MSFT|54=1|40=1|21=3|11=id|`), undefined);
});

Deno.test("validateMessage() gives 15 when a group entry does not start with its delimiter", () => {
  assertEquals(check(`35=D|${H44}${NOS}453=1|452=3|448=X|`), [
    R.RepeatingGroupFieldsOutOfOrder,
    452,
  ]);
  // a member repeated within an entry starts an entry without the delimiter
  assertEquals(check(`35=D|${H44}${NOS}453=1|448=X|452=3|452=4|`), [15, 452]);
});

Deno.test("validateMessage() gives 15 when fields inside a group entry leave the definition order", () => {
  // FIX.4.4 NoAllocs: AllocAccount (79), AllocAcctIDSource (661), …, AllocQty (80)
  assertEquals(check(`35=D|${H44}${NOS}78=1|79=ACC|661=1|80=10|`), undefined);
  assertEquals(check(`35=D|${H44}${NOS}78=1|79=ACC|80=10|661=1|`), [
    R.RepeatingGroupFieldsOutOfOrder,
    661,
  ]);
  // an entry that starts with AllocQty instead of AllocAccount
  assertEquals(check(`35=D|${H44}${NOS}78=2|79=A|80=10|80=5|79=B|`), [15, 80]);
  // a nested group in between keeps the order of the outer entry: PartyRole after PartyID's group
  assertEquals(check(`35=D|${H44}${NOS}453=1|448=X|447=D|452=3|802=1|523=A|`), undefined);
  assertEquals(check(`35=D|${H44}${NOS}453=1|448=X|452=3|447=D|`), [15, 447]);
});

Deno.test("validateMessage() gives 16 (NumInGroup count wrong), nested groups included", () => {
  const sessions = "386=3|336=PRE-OPEN|336=AFTER-HOURS|";
  assertEquals(check(`35=D|${H44}${NOS}${sessions}`), [R.IncorrectNumInGroupCount, 386]);
  assertEquals(check(`35=D|${H44}${NOS}386=2|336=PRE-OPEN|336=AFTER-HOURS|`), undefined);
  assertEquals(check(`35=D|${H44}${NOS}453=2|448=X|`), [16, 453]);
  assertEquals(check(`35=D|${H44}${NOS}453=1|448=X|802=2|523=A|`), [16, 802]);
  assertEquals(check(`35=D|${H44}${NOS}453=1|448=X|802=1|523=A|`), undefined);
  assertEquals(check(`35=d|${H44}320=R|322=1|323=6|55=TBS|454=0|`), undefined); // count 0
});

Deno.test("validateMessage() checks values inside group entries", () => {
  assertEquals(check(`35=D|${H44}${NOS}453=1|448=X|452=999|`), [R.ValueIsIncorrect, 452]);
  assertEquals(check(`35=D|${H44}${NOS}453=1|448=|`), [R.TagSpecifiedWithoutValue, 448]);
});

Deno.test("validateMessage() follows QuickFIX's order of checks", () => {
  // out of order beats everything else
  assertEquals(check(`35=D|21=9|${H44}`), [14, 34]);
  // an unknown MsgType beats missing fields
  assertEquals(check(`35=*|34=2|`), [11, undefined]);
  // a missing required field beats a bad value
  assertEquals(check(`35=D|${H44}21=9|40=1|54=1|55=X|60=20261124-10:00:00|`), [1, 11]);
  // required fields are reported in ascending tag order
  assertEquals(check(`35=D|${H44}21=1|55=X|`), [1, 11]);
  // header fields are checked before body fields (QuickFIX's ReverseRoute scripts)
  assertEquals(check(`35=D|${H44}115=|${NOS.replace("40=2", "40=w")}`), [4, 115]);
  // within a field: repeated, then empty, then format, then enum, then tag checks
  assertEquals(check(`35=D|${H44}${NOS}9999=|`), [4, 9999]);
  assertEquals(check(`35=0|${H44}55=|`), [4, 55]);
  // like QuickFIX, which sorts a message's fields before validating, body fields are checked in
  // ascending tag order whatever their order on the wire
  assertEquals(check(`35=D|${H44}${NOS.replace("21=1", "21=4")}999=1|`), [5, 21]);
  assertEquals(check(`35=D|${H44}999=1|${NOS.replace("21=1", "21=4")}`), [5, 21]);
  assertEquals(check(`35=D|${H44}${NOS.replace("54=1", "54=x")}18=1 ~|`), [5, 18]);
  // a group's entries are checked right after its NumInGroup field, in wire order
  const parties = "453=2|448=X|452=999|448=Y|447=?|";
  assertEquals(check(`35=D|${H44}${NOS.replace("59=0", "59=x")}${parties}`), [5, 59]);
  assertEquals(check(`35=D|${H44}${NOS}528=Z|${parties}`), [5, 452]); // 453 < 528
  // the header is checked 8, 9, 35, then ascending; the trailer ascending, CheckSum last
  assertEquals(check(`35=0|${H44.replace("56=ISLD", "56=")}43=x|`), [6, 43]);
  assertEquals(check(`35=0|${H44.replace("56=ISLD", "56=")}97=x|`), [4, 56]);
});

Deno.test("validateMessage() honours checkFieldsOutOfOrder", () => {
  const text = `35=D|11=id|21=3|40=1|54=1|55=MSFT|60=20261124-10:00:00|${H44}`;
  assertEquals(check(text, { checkFieldsOutOfOrder: false }), undefined);
});

Deno.test("validateMessage() honours checkFieldsHaveValues", () => {
  assertEquals(check(`35=D|${H44}${NOS}58=|`, { checkFieldsHaveValues: false }), undefined);
  // as in QuickFIX, an allowed empty value must still suit the field's type and enums
  assertEquals(check(`35=D|${H44}${NOS}110=|`, { checkFieldsHaveValues: false }), [6, 110]);
  assertEquals(check(`35=D|${H44}${NOS}167=|`, { checkFieldsHaveValues: false }), [5, 167]);
  assertEquals(check(`35=0|${H44}55=|`, { checkFieldsHaveValues: false }), [2, 55]);
});

Deno.test("validateMessage() honours checkUserDefinedFields", () => {
  assertEquals(check(`35=0|${H44}5000=HI|`, { checkUserDefinedFields: false }), undefined);
  assertEquals(check(`35=0|${H44}999=HI|`, { checkUserDefinedFields: false }), [0, 999]);
  // repeated tags are still caught, also for tags beyond the fast look-up table
  const options = { checkUserDefinedFields: false };
  assertEquals(check(`35=0|${H44}70000=a|70000=b|`, options), [13, 70000]);
  assertEquals(check(`35=0|${H44}70000=a|70001=b|`, options), undefined);
});

Deno.test("validateMessage() honours allowUnknownMessageFields", () => {
  const options = { allowUnknownMessageFields: true };
  assertEquals(check(`35=0|${H44}55=MSFT|`, options), undefined);
  assertEquals(check(`35=0|${H44}999=HI|`, options), undefined);
  assertEquals(check(`35=0|${H44}5000=HI|`, options), [0, 5000]);
  assertEquals(check(`35=0|${H44}55=|`, options), [4, 55]);
});

Deno.test("validateMessage() honours checkRequiredFields", () => {
  const text = `35=D|${H44}21=1|40=1|54=1|60=20261124-10:00:00|`;
  assertEquals(check(text, { checkRequiredFields: false }), undefined);
});

// ---- FIXT.1.1 ----

const fixt = {
  transport: builtinDictionary("FIXT.1.1"),
  application: builtinDictionary("FIX.5.0SP2"),
};
const HT = "34=2|49=CLIENT|52=20261124-10:00:00.000|56=ISLD|";

function checkT(text: string, dictionaries = fixt) {
  const issue = validateMessage(fix(`8=FIXT.1.1|${text}`), dictionaries);
  return issue === undefined ? undefined : [issue.reason, issue.tag];
}

Deno.test("validateMessage() checks FIXT.1.1 admin messages with the transport dictionary", () => {
  assertEquals(checkT(`35=A|${HT}98=0|108=30|1137=9|`), undefined);
  assertEquals(checkT(`35=0|${HT}58=Text|`), [R.TagNotDefinedForMessageType, 58]);
  assertEquals(checkT(`35=A|${HT}98=7|108=30|1137=9|`), [R.ValueIsIncorrect, 98]);
  assertEquals(checkT(`35=A|${HT}98=0|108=30|`), [R.RequiredTagMissing, 1137]);
});

Deno.test("validateMessage() checks FIXT.1.1 application messages with the default ApplVerID", () => {
  const nos = "11=id|21=3|38=100|40=1|54=1|55=INTC|60=20261124-10:00:00|";
  assertEquals(checkT(`35=D|${HT}${nos}`), undefined);
  assertEquals(checkT(`35=D|${HT}${nos}1724=1|`), undefined); // OrderOrigination, SP2 only
  assertEquals(checkT(`35=D|${HT}${nos}40=w|`), [13, 40]);
  assertEquals(checkT(`35=D|${HT}${nos.replace("40=1", "40=w")}`), [R.ValueIsIncorrect, 40]);
});

Deno.test("validateMessage() uses the dictionary of the header's ApplVerID (1128)", () => {
  const nos = "11=id|21=3|38=100|40=1|54=1|55=INTC|60=20261124-10:00:00|";
  // FIX.4.4 has no OrderOrigination (1724)
  assertEquals(checkT(`35=D|${HT}1128=6|${nos}1724=1|`), [R.InvalidTagNumber, 1724]);
  assertEquals(checkT(`35=D|${HT}1128=9|${nos}1724=1|`), undefined);
  assertEquals(checkT(`35=D|${HT}1128=Z|${nos}`), [R.InvalidApplVerId, 1128]);
  const custom = {
    ...fixt,
    applicationFor: (id: string) => (id === "9" ? undefined : builtinDictionary("FIX.5.0")),
  };
  assertEquals(checkT(`35=D|${HT}1128=9|${nos}`, custom), [R.InvalidApplVerId, 1128]);
  assertEquals(checkT(`35=D|${HT}1128=7|${nos}`, custom), undefined);
});

Deno.test("validateMessage() prefers a custom application dictionary of the header's ApplVerID", () => {
  const xml = Deno.readTextFileSync(`${Deno.cwd()}/spec/FIX50SP2.xml`)
    .replace(
      "msgtype='D' msgcat='app'>\n   <field name='ClOrdID' required='Y' />",
      "msgtype='D' msgcat='app'>\n   <field name='ClOrdID' required='N' />",
    );
  const custom = { ...fixt, application: loadDictionary(xml, "venue-FIX50SP2.xml") };
  const nos = "21=3|38=100|40=1|54=1|55=INTC|60=20261124-10:00:00|"; // no ClOrdID
  assertEquals(checkT(`35=D|${HT}1128=9|${nos}`), [R.RequiredTagMissing, 11]);
  assertEquals(checkT(`35=D|${HT}1128=9|${nos}`, custom), undefined);
  assertEquals(checkT(`35=D|${HT}${nos}`, custom), undefined);
});

Deno.test("validateMessage() validates against a custom dictionary with user-defined fields", () => {
  const venue = loadDictionary(
    `<fix major='4' minor='4'>
      <header><field name='BeginString' required='Y'/><field name='BodyLength' required='Y'/>
        <field name='MsgType' required='Y'/></header>
      <trailer><field name='CheckSum' required='Y'/></trailer>
      <messages><message name='Ping' msgtype='U1' msgcat='app'>
        <field name='VenueTag' required='Y'/></message></messages>
      <fields><field number='8' name='BeginString' type='STRING'/>
        <field number='9' name='BodyLength' type='LENGTH'/>
        <field number='35' name='MsgType' type='STRING'/>
        <field number='10' name='CheckSum' type='STRING'/>
        <field number='5001' name='VenueTag' type='INT'/></fields></fix>`,
    "venue.xml",
  );
  const v = (text: string) => {
    const issue = validateMessage(fix(`8=FIX.4.4|${text}`), { transport: venue });
    return issue === undefined ? undefined : [issue.reason, issue.tag];
  };
  assertEquals(v("35=U1|5001=7|"), undefined);
  assertEquals(v("35=U1|5001=x|"), [6, 5001]);
  assertEquals(v("35=U1|"), [1, 5001]);
});

Deno.test("createMessageValidator() binds dictionaries, switches and the session's ApplVerID", () => {
  const validate = createMessageValidator(fixt, { checkUserDefinedFields: false });
  const nos = "11=id|21=3|38=100|40=1|54=1|55=INTC|60=20261124-10:00:00|";
  const sp2Only = fix(`8=FIXT.1.1|35=D|${HT}${nos}1724=1|`);
  assertEquals(validate(sp2Only), undefined);
  assertEquals(validate(sp2Only, { applVerId: "9" }), undefined);
  assertEquals(validate(sp2Only, { applVerId: "6" })?.tag, 1724); // FIX.4.4 lacks 1724
  assertEquals(validate(sp2Only, { applVerId: "Q" })?.reason, R.InvalidApplVerId);
  assertEquals(validate(fix(`8=FIXT.1.1|35=0|${HT}`), { applVerId: "Q" }), undefined);
  assertEquals(validate(fix(`8=FIXT.1.1|35=0|${HT}5000=x|`)), undefined); // switch applied
  const fix44Validate = createMessageValidator(fix44);
  assertEquals(fix44Validate(fix(`8=FIX.4.4|35=0|${H44}`), { applVerId: "9" }), undefined);
});

Deno.test("validateMessage() keeps no state between calls", () => {
  const bad = fix(`8=FIX.4.4|35=D|${H44}${NOS.replace("21=1", "21=4")}`);
  const good = fix(`8=FIX.4.4|35=D|${H44}${NOS}453=1|448=X|`);
  const badCount = fix(`8=FIX.4.4|35=D|${H44}${NOS}453=2|448=X|`);
  for (let round = 0; round < 3; round++) {
    assertEquals(validateMessage(bad, fix44)?.tag, 21);
    assertEquals(validateMessage(good, fix44), undefined);
    assertEquals(validateMessage(badCount, fix44)?.reason, R.IncorrectNumInGroupCount);
  }
});
