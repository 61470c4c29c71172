import { assert, assertEquals } from "../testing/assert.ts";
import { decodeMessage } from "../fix/message.ts";
import { encodeMessage, MessageEncoder } from "../fix/encoder.ts";
import { redactFix, redactionSet } from "./mod.ts";

const SECRET = "hunter2-S3cret";

Deno.test("redactFix() masks Password(554) and NewPassword(925) in SOH and | text", () => {
  assertEquals(
    redactFix("8=FIX.4.4\x0135=A\x01553=alice\x01554=hunter2\x01925=newpass\x0110=000\x01"),
    "8=FIX.4.4|35=A|553=alice|554=***|925=***|10=000|",
  );
  assertEquals(redactFix("35=A|554=hunter2|10=1"), "35=A|554=***|10=1");
  assertEquals(redactFix("554=hunter2"), "554=***");
});

Deno.test("redactFix() masks configured tags besides the always-masked ones", () => {
  assertEquals(redactFix("553=alice|554=p|58=hi|", redactionSet([553])), "553=***|554=***|58=hi|");
});

Deno.test("redactFix() skips length-prefixed encrypted passwords holding SOH and = bytes", () => {
  const enc = new MessageEncoder("FIX.4.4").begin("A").field(49, "A").field(56, "B");
  const secretBytes = new TextEncoder().encode(`a\x01554=b|c\x0110=${SECRET}`);
  enc.dataField(1401, 1402, secretBytes).dataField(1403, 1404, secretBytes).field(58, "after");
  const bytes = enc.finish();
  const out = redactFix(bytes);
  assert(out.includes("1402=***|1403="), out);
  assert(out.includes("1404=***|58=after|"), out);
  assert(!out.includes(SECRET), out);
});

Deno.test("redactFix() keeps a | inside a password masked in |-separated text", () => {
  const out = redactFix(`35=A|554=${SECRET.slice(0, 4)}|${SECRET.slice(4)}|58=x|`);
  assertEquals(out, "35=A|554=***|58=x|");
});

Deno.test("redactFix() never reveals a secret over many message shapes", () => {
  const shapes: (string | Uint8Array | ReturnType<typeof decodeMessage>)[] = [];
  const placements = [
    (v: string) => [[553, "u"], [554, v]] as [number, string][],
    (v: string) => [[554, v], [925, v], [58, "text"]] as [number, string][],
    (v: string) => [[925, v]] as [number, string][],
    (v: string) => [[108, "30"], [554, v], [98, "0"], [925, v]] as [number, string][],
  ];
  const values = [
    SECRET,
    `${SECRET}=x`,
    `=${SECRET}`,
    `${SECRET}|9=1`,
    `x|${SECRET}`,
    `${SECRET} with spaces`,
  ];
  for (const place of placements) {
    for (const v of values) {
      const bytes = encodeMessage("FIX.4.4", "A", place(v));
      shapes.push(bytes);
      const text = new TextDecoder().decode(bytes);
      shapes.push(text, text.replaceAll("\x01", "|"), text.slice(0, -8), text.slice(10));
      if (!v.includes("|") && !v.includes("=")) shapes.push(decodeMessage(bytes));
    }
  }
  assert(shapes.length > 100);
  for (const shape of shapes) {
    const out = redactFix(shape);
    assert(!out.includes(SECRET.slice(0, 8)), `leaked in ${out}`);
    assert(!out.includes(SECRET.slice(-6)), `leaked in ${out}`);
  }
});

Deno.test("redactFix() renders a decoded message field by field", () => {
  const msg = decodeMessage(encodeMessage("FIX.4.2", "A", [[98, "0"], [554, SECRET]]));
  const out = redactFix(msg);
  assert(out.startsWith("8=FIX.4.2|9="), out);
  assert(out.includes("|554=***|10="), out);
});
