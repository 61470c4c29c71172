import { assertEquals } from "../testing/assert.ts";
import { AdminMsgType, Tag } from "./tags.ts";

const SPEC_DIR = `${Deno.cwd()}/spec`;

/** Field name → number, read from QuickFIX dictionaries. */
async function fieldNumbers(files: string[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const file of files) {
    const xml = await Deno.readTextFile(`${SPEC_DIR}/${file}`);
    for (const m of xml.matchAll(/<field\s+number=['"](\d+)['"]\s+name=['"](\w+)['"]/g)) {
      out.set(m[2]!, Number(m[1]));
    }
  }
  return out;
}

Deno.test("Tag numbers match the FIX 4.4 and FIXT 1.1 dictionaries", async () => {
  const spec = await fieldNumbers(["FIX44.xml", "FIXT11.xml", "FIX50SP2.xml"]);
  const wrong: string[] = [];
  for (const [name, number] of Object.entries(Tag)) {
    if (spec.get(name) !== number) wrong.push(`${name}=${number} (spec: ${spec.get(name)})`);
  }
  assertEquals(wrong, []);
});

Deno.test("AdminMsgType values match the FIXT 1.1 dictionary", async () => {
  const xml = await Deno.readTextFile(`${SPEC_DIR}/FIXT11.xml`);
  const spec = new Map<string, string>();
  for (const m of xml.matchAll(/<message\s+name=['"](\w+)['"]\s+msgtype=['"](\w+)['"]/g)) {
    spec.set(m[1]!, m[2]!);
  }
  for (const [name, msgType] of Object.entries(AdminMsgType)) {
    assertEquals(spec.get(name), msgType, name);
  }
});
