import { assert, assertEquals, assertThrows } from "../../testing/assert.ts";
import { decodeMessage } from "../message.ts";
import { BUILTIN_FILES, renderBuiltinModule } from "./_generate.ts";
import { TypeCode, typeCodeOf } from "./_field_types.ts";
import {
  applVerIdToVersion,
  BUILTIN_DICTIONARY_NAMES,
  builtinDictionary,
  versionToApplVerId,
} from "./builtin_dictionary.ts";
import { combinedLengthTags, type Dictionary, type FieldDef, type Layout } from "./dictionary.ts";
import { decodeFixObject, encodeFixObject, type FixObject } from "./fix_object.ts";
import { validateMessage } from "./validate_message.ts";

const SPEC_DIR = `${Deno.cwd()}/spec`;
const BUILTIN_DIR = new URL("./builtin/", import.meta.url);

Deno.test("builtin/*.ts are up to date with spec/ (regenerated in memory)", () => {
  for (const [xml, module] of BUILTIN_FILES) {
    const expected = renderBuiltinModule(xml, Deno.readTextFileSync(`${SPEC_DIR}/${xml}`));
    const actual = Deno.readTextFileSync(new URL(module, BUILTIN_DIR));
    assert(actual === expected, `${module} is stale: run deno task gen:dictionaries`);
  }
});

Deno.test("_generate.ts writes the same modules when run as the gen:dictionaries task does", async () => {
  const out = await Deno.makeTempDir();
  try {
    const script = new URL("./_generate.ts", import.meta.url).pathname;
    const { code, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["run", `--allow-read=${SPEC_DIR}`, `--allow-write=${out}`, script, SPEC_DIR, out],
      stdout: "null",
      stderr: "piped",
    }).output();
    assertEquals(code, 0, new TextDecoder().decode(stderr));
    for (const [, module] of BUILTIN_FILES) {
      const written = Deno.readTextFileSync(`${out}/${module}`);
      assert(written === Deno.readTextFileSync(new URL(module, BUILTIN_DIR)), module);
    }
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("builtinDictionary() knows every version and caches it", () => {
  assertEquals(BUILTIN_DICTIONARY_NAMES.length, 9);
  for (const name of BUILTIN_DICTIONARY_NAMES) {
    const d = builtinDictionary(name);
    assertEquals(d.version, name);
    assert(builtinDictionary(name) === d);
    assert(d.messages.size > 0 && d.fields.size > 0);
  }
  assertThrows(() => builtinDictionary("FIX.9.9"), RangeError, "FIX.9.9");
});

Deno.test("builtinDictionary() models FIX.4.4 NewOrderSingle, Logon and the header", () => {
  const d = builtinDictionary("FIX.4.4");
  const nos = d.message("D")!;
  assertEquals(nos.name, "NewOrderSingle");
  assertEquals(nos.category, "app");
  assertEquals(nos.required, [11, 40, 54, 60]);
  const parties = nos.member(453);
  assert(parties?.kind === "group");
  assertEquals(parties.group.delimiter, 448);
  const sub = parties.group.member(802);
  assert(sub?.kind === "group");
  assertEquals(sub.group.delimiter, 523);
  assertEquals(d.messageByName("Logon")?.msgType, "A");
  assert(d.isAdminMessage("A") && d.isAdminMessage("0") && !d.isAdminMessage("D"));
  assertEquals(d.header.required, [8, 9, 34, 35, 49, 52, 56]);
  assert(d.isHeaderTag(49) && d.isTrailerTag(10) && !d.isHeaderTag(55));
  assertEquals(d.field("Side")?.tag, 54);
  assertEquals(d.field(54)?.enums?.get("1"), "BUY");
  assertEquals(d.lengthTags.get(95), 96);
  assertEquals(d.lengthTags.get(354), 355);
  assertEquals(d.lengthTags.has(9), false);
});

Deno.test("builtinDictionary() treats FIX.4.0/4.1 CHAR as strings, like QuickFIX", () => {
  assertEquals(typeCodeOf("CHAR", true), TypeCode.Any);
  assertEquals(typeCodeOf("CHAR", false), TypeCode.Char);
  const fix41 = builtinDictionary("FIX.4.1");
  assertEquals(fix41.typeCodes[21], TypeCode.Any + 1);
  assertEquals(builtinDictionary("FIX.4.2").typeCodes[21], TypeCode.Char + 1);
});

Deno.test("applVerIdToVersion() maps ApplVerID values both ways", () => {
  assertEquals(applVerIdToVersion("2"), "FIX.4.0");
  assertEquals(applVerIdToVersion("7"), "FIX.5.0");
  assertEquals(applVerIdToVersion("8"), "FIX.5.0SP1");
  assertEquals(applVerIdToVersion("9"), "FIX.5.0SP2");
  assertEquals(applVerIdToVersion("10"), undefined);
  assertEquals(applVerIdToVersion("toString"), undefined);
  assertEquals(versionToApplVerId("FIX.4.4"), "6");
});

// ---- round trip of every message type of every built-in dictionary ----

const TIMESTAMP = "20261124-10:00:00.000";

function sample(d: Dictionary, f: FieldDef): string {
  const code = typeCodeOf(f.type, d.version < "FIX.4.2" && d.type === "FIX");
  if (f.enums && f.enums.size > 0) {
    const values = [...f.enums.keys()];
    return code === TypeCode.Multiple && values.length > 1
      ? `${values[0]} ${values[1]}`
      : values[0]!;
  }
  switch (code) {
    case TypeCode.Char:
      return "C";
    case TypeCode.Int:
      return "7";
    case TypeCode.Float:
      return "-12.5";
    case TypeCode.Boolean:
      return "Y";
    case TypeCode.UtcTimestamp:
      return TIMESTAMP;
    case TypeCode.UtcTimeOnly:
      return "10:00:00.123";
    case TypeCode.UtcDateOnly:
    case TypeCode.LocalMktDate:
      return "20261124";
    case TypeCode.MonthYear:
      return "202611w2";
    default:
      return f.type.toUpperCase() === "DATA" ? `d\x01${f.tag}` : `s${f.tag}`;
  }
}

/** Fills every field of `layout`; groups get two entries. */
function fill(d: Dictionary, layout: Layout, skip: (tag: number) => boolean): FixObject {
  const out: FixObject = {};
  for (const m of layout.members) {
    if (skip(m.tag)) continue;
    if (m.kind === "group") {
      out[m.field.name] = [fill(d, m.group, () => false), fill(d, m.group, () => false)];
      continue;
    }
    const dataTag = d.lengthTags.get(m.tag);
    if (dataTag !== undefined && layout.has(dataTag)) {
      out[m.field.name] = String(new TextEncoder().encode(sample(d, d.field(dataTag)!)).length);
      continue;
    }
    out[m.field.name] = sample(d, m.field);
  }
  return out;
}

function roundTrip(transport: Dictionary, application: Dictionary): number {
  const fixt = transport.type === "FIXT";
  const dicts = { transport, application };
  const lengthTags = combinedLengthTags(transport, application);
  const header = fill(transport, transport.header, (t) => t === 8 || t === 9 || t === 35);
  Object.assign(header, { SenderCompID: "S", TargetCompID: "T", MsgSeqNum: "2" });
  const trailer = fill(transport, transport.trailer, (t) => t === 10);
  const problems: string[] = [];
  let count = 0;
  for (const def of application.messages.values()) {
    const h = { ...header };
    if (fixt) {
      if (application === transport) delete h.ApplVerID;
      else h.ApplVerID = versionToApplVerId(application.version)!;
    }
    const body = fill(
      application,
      def,
      (t) => transport.isHeaderTag(t) || transport.isTrailerTag(t),
    );
    const bytes = encodeFixObject(dicts, { msgType: def.msgType, header: h, body, trailer });
    const msg = decodeMessage(bytes, { lengthTags });
    const issue = validateMessage(msg, dicts);
    if (issue) {
      problems.push(`${def.name}: ${issue.text} (${issue.reason}) tag ${issue.tag}`);
      continue;
    }
    const back = decodeFixObject(msg, dicts);
    try {
      assertEquals(back.body, body);
      assertEquals(back.header, h);
      assertEquals(back.trailer, trailer);
    } catch (e) {
      problems.push(
        `${def.name}: structured object differs: ${(e as Error).message.slice(0, 300)}`,
      );
    }
    count++;
  }
  assertEquals(problems, [], `${application.version}`);
  return count;
}

for (const name of BUILTIN_DICTIONARY_NAMES) {
  Deno.test(`${name}: every message type round-trips (encode, decode, validate, structured object)`, () => {
    const application = builtinDictionary(name);
    const transport = name.startsWith("FIX.5") ? builtinDictionary("FIXT.1.1") : application;
    const count = roundTrip(transport, application);
    assertEquals(count, application.messages.size);
  });
}
