/**
 * Benchmarks of dictionary validation on a ~200-byte FIX.4.4 NewOrderSingle.
 * Run: `./denow bench tests/bench/dictionary_bench.ts`.
 *
 * Target on the 2-core reference machine: decode + full validation ≤ 1 µs (QuickFIX C++ takes
 * about 2.4 µs to parse and validate the same message). "decode only" is the floor measured in the
 * same run; the difference is the cost of validation.
 *
 * @module
 */

import { encodeMessage } from "../../lib/fix/encoder.ts";
import { decodeMessage } from "../../lib/fix/message.ts";
import {
  builtinDictionary,
  decodeFixObject,
  Dictionary,
  encodeFixObject,
  validateMessage,
} from "../../lib/fix/dictionary/mod.ts";
import { SPEC as SP2_SPEC } from "../../lib/fix/dictionary/builtin/fix50sp2.ts";

const fix44 = builtinDictionary("FIX.4.4");
const dictionaries = { transport: fix44 };
const TIME = "20261124-10:00:00.000";

const ORDER = encodeMessage("FIX.4.4", "D", [
  [34, 2],
  [49, "CLIENT01"],
  [52, TIME],
  [56, "ISLD"],
  [11, "ORD-000123456"],
  [1, "ACCT-7788"],
  [21, "1"],
  [55, "IBM"],
  [207, "XNAS"],
  [54, "1"],
  [60, TIME],
  [38, 100],
  [40, "2"],
  [44, "187.250"],
  [15, "USD"],
  [59, "0"],
]);
if (ORDER.length < 180 || ORDER.length > 220) {
  throw new Error(`benchmark message is ${ORDER.length} bytes, expected about 200`);
}
const lengthTags = fix44.lengthTags;
if (validateMessage(decodeMessage(ORDER, { lengthTags }), dictionaries) !== undefined) {
  throw new Error("benchmark message does not validate");
}
const BODY = decodeFixObject(decodeMessage(ORDER), fix44).body;
let sink = 0;

Deno.bench({
  name: "decode only NewOrderSingle (~200 B)",
  group: "validate",
  baseline: true,
  fn() {
    sink += decodeMessage(ORDER, { lengthTags }).size;
  },
});

Deno.bench({
  name: "decode + validate NewOrderSingle (~200 B)",
  group: "validate",
  fn() {
    const msg = decodeMessage(ORDER, { lengthTags });
    if (validateMessage(msg, dictionaries) !== undefined) throw new Error("invalid");
    sink += msg.size;
  },
});

Deno.bench({
  name: "decode + validate + structured object NewOrderSingle",
  group: "structured",
  fn() {
    const msg = decodeMessage(ORDER, { lengthTags });
    if (validateMessage(msg, dictionaries) !== undefined) throw new Error("invalid");
    sink += Object.keys(decodeFixObject(msg, fix44).body).length;
  },
});

Deno.bench({
  name: "encode NewOrderSingle from a structured object",
  group: "structured",
  fn() {
    sink += encodeFixObject(fix44, { msgType: "D", body: BODY }).length;
  },
});

Deno.bench({
  name: "JSON.parse of the generated FIX.5.0SP2 spec",
  group: "load",
  n: 5,
  fn() {
    const spec = JSON.parse(SP2_SPEC);
    sink += spec.fields.length;
  },
});

Deno.bench({
  name: "JSON.parse + Dictionary model of FIX.5.0SP2 (first builtinDictionary() call)",
  group: "load",
  n: 5,
  fn() {
    sink += new Dictionary(JSON.parse(SP2_SPEC), "bench").fields.size;
  },
});

globalThis.addEventListener("unload", () => {
  if (sink === 0) console.log("unreachable");
});
