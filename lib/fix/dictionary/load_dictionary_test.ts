import { assert, assertEquals, assertThrows } from "../../testing/assert.ts";
import { DictionaryError } from "./_spec.ts";
import { loadDictionary } from "./load_dictionary.ts";

const FIELDS = `<fields>
  <field number='8' name='BeginString' type='STRING'/>
  <field number='9' name='BodyLength' type='LENGTH'/>
  <field number='35' name='MsgType' type='STRING'/>
  <field number='49' name='SenderCompID' type='STRING'/>
  <field number='10' name='CheckSum' type='STRING'/>
  <field number='11' name='ClOrdID' type='STRING'/>
  <field number='54' name='Side' type='CHAR'><value enum='1' description='BUY'/><value enum='2' description='SELL'/></field>
  <field number='55' name='Symbol' type='STRING'/>
  <field number='453' name='NoPartyIDs' type='NUMINGROUP'/>
  <field number='448' name='PartyID' type='STRING'/>
  <field number='452' name='PartyRole' type='INT'/>
  <field number='802' name='NoPartySubIDs' type='NUMINGROUP'/>
  <field number='523' name='PartySubID' type='STRING'/>
  <field number='95' name='RawDataLength' type='LENGTH'/>
  <field number='96' name='RawData' type='DATA'/>
  <field number='627' name='NoHops' type='NUMINGROUP'/>
  <field number='628' name='HopCompID' type='STRING'/>
</fields>`;

const HEADER = `<header>
  <field name='BeginString' required='Y'/><field name='BodyLength' required='Y'/>
  <field name='MsgType' required='Y'/><field name='SenderCompID' required='Y'/>
  <group name='NoHops' required='N'><field name='HopCompID' required='N'/></group>
</header><trailer><field name='CheckSum' required='Y'/></trailer>`;

const COMPONENTS = `<components>
  <component name='Parties'>
    <group name='NoPartyIDs' required='Y'>
      <field name='PartyID' required='Y'/>
      <field name='PartyRole' required='Y'/>
      <component name='PtysSubGrp' required='N'/>
    </group>
  </component>
  <component name='PtysSubGrp'>
    <group name='NoPartySubIDs' required='N'><field name='PartySubID' required='Y'/></group>
  </component>
  <component name='Instrument'><field name='Symbol' required='Y'/></component>
</components>`;

function xml(messages: string, extra = { fields: FIELDS, components: COMPONENTS }) {
  return `<?xml version='1.0'?>
<fix type='FIX' major='4' minor='4' servicepack='0'>${HEADER}
<messages>${messages}</messages>${extra.components}${extra.fields}</fix>`;
}

const ORDER = `<message name='Order' msgtype='D' msgcat='app'>
  <field name='ClOrdID' required='Y'/>
  <component name='Parties' required='N'/>
  <component name='Instrument' required='Y'/>
  <field name='Side' required='Y'/>
  <field name='RawDataLength' required='N'/><field name='RawData' required='N'/>
</message>
<message name='Ping' msgtype='0' msgcat='admin'/>`;

Deno.test("loadDictionary() reads fields, enums, messages, components and nested groups", () => {
  const d = loadDictionary(xml(ORDER), "tiny.xml");
  assertEquals(d.sourceName, "tiny.xml");
  assertEquals(d.version, "FIX.4.4");
  assertEquals(d.field(54)?.enums?.get("2"), "SELL");
  assertEquals(d.field("Symbol")?.tag, 55);
  const order = d.message("D")!;
  assertEquals(order.name, "Order");
  assertEquals(order.members.map((m) => m.tag), [11, 453, 55, 54, 95, 96]);
  assertEquals(order.required, [11, 54, 55]); // Instrument is required, so Symbol is
  const parties = order.member(453);
  assert(parties?.kind === "group");
  assertEquals(parties.group.delimiter, 448);
  assertEquals(parties.group.members.map((m) => m.tag), [448, 452, 802]);
  assertEquals(parties.group.required, [448, 452]); // the group is marked required
  assertEquals(parties.required, false); // but Parties is not
  const sub = parties.group.member(802);
  assert(sub?.kind === "group");
  assertEquals(sub.group.required, []); // NoPartySubIDs is not required, so neither is PartySubID
  assertEquals(d.isAdminMessage("0"), true);
  assertEquals(d.isAdminMessage("D"), false);
  assertEquals(d.message("0")!.members, []);
  assertEquals(d.header.member(627)?.kind, "group");
  assertEquals(d.header.required, [8, 9, 35, 49]);
  assertEquals([...d.lengthTags], [[95, 96]]);
  assertEquals(d.dataTags.get(96), 95);
});

Deno.test("loadDictionary() shares one GroupDef between messages using the same component", () => {
  const two = ORDER + `<message name='Cancel' msgtype='F' msgcat='app'>
    <component name='Parties' required='Y'/></message>`;
  const d = loadDictionary(xml(two), "tiny.xml");
  const a = d.message("D")!.member(453);
  const b = d.message("F")!.member(453);
  assert(a?.kind === "group" && b?.kind === "group");
  assert(a.group === b.group);
  assertEquals([a.required, b.required], [false, true]);
});

function rejects(text: string, element: string, includes: string) {
  const e = assertThrows(() => loadDictionary(text, "venue.xml"), DictionaryError);
  assertEquals(e.source, "venue.xml");
  assertEquals(e.element, element);
  assert(e.message.includes(includes), e.message);
  assert(e.message.startsWith("Cannot load dictionary venue.xml"), e.message);
}

Deno.test("loadDictionary() names the source and element of an undefined field", () => {
  rejects(
    xml(
      `<message name='Order' msgtype='D' msgcat='app'><field name='Nope' required='Y'/></message>`,
    ),
    "messages/message[Order]/field[Nope]",
    "field Nope is not defined in <fields>",
  );
  rejects(
    xml(
      `<message name='Order' msgtype='D'><group name='NoPartyIDs'><field name='X'/></group></message>`,
    ),
    "messages/message[Order]/group[NoPartyIDs]/field[X]",
    "not defined",
  );
});

Deno.test("loadDictionary() names an undefined component and a component cycle", () => {
  rejects(
    xml(`<message name='Order' msgtype='D'><component name='Ghost' required='N'/></message>`),
    "messages/message[Order]/component[Ghost]",
    "component Ghost is not defined",
  );
  const cyclic = `<components><component name='A'><component name='B'/></component>
    <component name='B'><component name='A'/></component></components>`;
  rejects(xml(ORDER, { fields: FIELDS, components: cyclic }), "components/component[A]", "cycle");
});

Deno.test("loadDictionary() rejects bad XML with its line", () => {
  const e = assertThrows(
    () => loadDictionary("<fix major='4' minor='4'>\n<fields>\n</fix>", "bad.xml"),
    DictionaryError,
  );
  assertEquals(e.line, 3);
  assert(e.message.includes("not well formed"), e.message);
});

Deno.test("loadDictionary() rejects missing sections, attributes and duplicates", () => {
  rejects("<other/>", "", "no <fix> root element");
  rejects("<fix major='4'><fields/></fix>", "fix", "attribute minor is missing");
  rejects("<fix major='4' minor='4' type='XYZ'/>", "fix", "type must be FIX or FIXT");
  rejects(`<fix major='4' minor='4'>${HEADER}<messages/></fix>`, "fields", "missing");
  rejects(xml(ORDER).replace(/<header>[^]*<\/header>/, ""), "header", "missing");
  rejects(
    xml(ORDER).replace("<messages>", "<nomessages>").replace("</messages>", "</nomessages>"),
    "messages",
    "missing",
  );
  rejects(
    xml(ORDER).replace("number='55'", "number='11'"),
    "fields/field[Symbol]",
    "tag 11 is defined twice",
  );
  rejects(xml(ORDER).replace("number='55'", "number='x'"), "fields/field[Symbol]", "not a tag");
  rejects(
    xml(ORDER).replace("number='55'", "number='2000000'"),
    "fields/field[Symbol]",
    "not a tag",
  );
  rejects(
    xml(ORDER).replace(" type='CHAR'", ""),
    "fields/field[Side]",
    "attribute type is missing",
  );
  rejects(xml(ORDER).replace("msgtype='D' ", ""), "messages/message[Order]", "msgtype is missing");
  rejects(
    xml(ORDER + ORDER.replace("name='Order'", "name='Again'")),
    "messages/message[Again]",
    "defined twice",
  );
});

Deno.test("loadDictionary() refuses XML larger than maxXmlBytes", () => {
  const text = xml(ORDER);
  const e = assertThrows(
    () => loadDictionary(text, "big.xml", { maxXmlBytes: 100 }),
    DictionaryError,
  );
  assert(e.message.includes("more than the limit of 100"), e.message);
  assertEquals(loadDictionary(text, "ok.xml", { maxXmlBytes: text.length }).version, "FIX.4.4");
});

Deno.test("loadDictionary() reads a FIXT transport dictionary and a FIX 5 application one", () => {
  const fixt = loadDictionary(
    xml(ORDER).replace("type='FIX' major='4' minor='4'", "type='FIXT' major='1' minor='1'"),
    "t.xml",
  );
  assertEquals([fixt.type, fixt.version], ["FIXT", "FIXT.1.1"]);
  const app = loadDictionary(
    xml(ORDER).replace("major='4' minor='4' servicepack='0'", "major='5' minor='0' servicepack='2'")
      .replace(/<header>[^]*<\/trailer>/, "<header/><trailer/>"),
    "a.xml",
  );
  assertEquals(app.version, "FIX.5.0SP2");
  assertEquals(app.header.members, []);
});
