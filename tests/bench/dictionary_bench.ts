/**
 * Benchmarks of dictionary validation, structured objects and dictionary loading on a ~200-byte
 * FIX.4.4 NewOrderSingle and a 552-byte FIX.4.4 ExecutionReport with 10 parties (a repeating
 * group). Run alone: `./denow bench tests/bench/dictionary_bench.ts`; `deno task bench` runs
 * {@linkcode DICTIONARY_CASES} through its interleaved timer.
 *
 * Target on the 2-core reference machine: decode + full validation ≤ 1 µs (QuickFIX C++ takes
 * about 2.4 µs to parse and validate the same message). Each validation case has its "decode
 * only" floor measured in the same run; the difference is the cost of validation. The report also
 * compares these with QuickFIX C++ (`peer_codec_bench.ts`).
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

const parties: [number, string][] = [];
for (let p = 0; p < 10; p++) parties.push([448, `PTY-00${p}`], [447, "D"], [452, String(p + 1)]);
/** A FIX.4.4 ExecutionReport (Filled) with 10 parties (NoPartyIDs, 453): 552 bytes. */
export const EXECUTION_REPORT: Uint8Array = encodeMessage("FIX.4.4", "8", [
  [34, 2],
  [49, "BROKER01"],
  [52, TIME],
  [56, "CLIENT01"],
  [37, "OID-000987654"],
  [11, "ORD-000123456"],
  [17, "EXEC-0000001234"],
  [150, "F"],
  [39, "2"],
  [1, "ACCT-7788"],
  [453, 10],
  ...parties,
  [55, "MSFT"],
  [207, "XNAS"],
  [54, "1"],
  [38, 1000],
  [40, "2"],
  [44, "187.250"],
  [15, "USD"],
  [59, "0"],
  [32, 1000],
  [31, "187.250"],
  [151, 0],
  [14, 1000],
  [6, "187.250"],
  [60, TIME],
  [58, "Filled in full.."],
]);
if (EXECUTION_REPORT.length !== 552) {
  throw new Error(`benchmark ExecutionReport is ${EXECUTION_REPORT.length} bytes, expected 552`);
}
/** The benchmark NewOrderSingle (FIX.4.4, about 200 bytes). */
export const NEW_ORDER_SINGLE: Uint8Array = ORDER;

const lengthTags = fix44.lengthTags;
if (validateMessage(decodeMessage(EXECUTION_REPORT, { lengthTags }), dictionaries) !== undefined) {
  throw new Error("benchmark ExecutionReport does not validate");
}
if (validateMessage(decodeMessage(ORDER, { lengthTags }), dictionaries) !== undefined) {
  throw new Error("benchmark message does not validate");
}
const BODY = decodeFixObject(decodeMessage(ORDER), fix44).body;
let sink = 0;

/** A dictionary benchmark case; `slow` ones take milliseconds per call. */
export interface DictionaryCase {
  readonly name: string;
  readonly group: string;
  readonly slow?: boolean;
  readonly baseline?: boolean;
  /** The case measured beside this one as its floor. */
  readonly floor?: string;
  /** Runs the case `n` times (the loop inside, so each case's call sites stay its own). */
  readonly run: (n: number) => void;
}

const DECODE_ORDER = "decode only NewOrderSingle (~200 B)";
const DECODE_REPORT = "decode only ExecutionReport, 10 parties (552 B)";

/** Every dictionary case; each "decode only" is the floor of its message's validation. */
export const DICTIONARY_CASES: readonly DictionaryCase[] = [
  {
    name: DECODE_ORDER,
    group: "validate",
    baseline: true,
    run(n) {
      for (let i = 0; i < n; i++) {
        sink += decodeMessage(ORDER, { lengthTags }).size;
      }
    },
  },

  {
    name: "decode + validate NewOrderSingle (~200 B)",
    group: "validate",
    floor: DECODE_ORDER,
    run(n) {
      for (let i = 0; i < n; i++) {
        const msg = decodeMessage(ORDER, { lengthTags });
        if (validateMessage(msg, dictionaries) !== undefined) throw new Error("invalid");
        sink += msg.size;
      }
    },
  },

  {
    name: DECODE_REPORT,
    group: "validate groups",
    baseline: true,
    run(n) {
      for (let i = 0; i < n; i++) {
        sink += decodeMessage(EXECUTION_REPORT, { lengthTags }).size;
      }
    },
  },

  {
    name: "decode + validate ExecutionReport, 10 parties (552 B)",
    group: "validate groups",
    floor: DECODE_REPORT,
    run(n) {
      for (let i = 0; i < n; i++) {
        const msg = decodeMessage(EXECUTION_REPORT, { lengthTags });
        if (validateMessage(msg, dictionaries) !== undefined) throw new Error("invalid");
        sink += msg.size;
      }
    },
  },

  {
    name: "decode + validate + structured object NewOrderSingle",
    group: "structured",
    floor: DECODE_ORDER,
    run(n) {
      for (let i = 0; i < n; i++) {
        const msg = decodeMessage(ORDER, { lengthTags });
        if (validateMessage(msg, dictionaries) !== undefined) throw new Error("invalid");
        sink += Object.keys(decodeFixObject(msg, fix44).body).length;
      }
    },
  },

  {
    name: "encode NewOrderSingle from a structured object",
    group: "structured",
    floor: DECODE_ORDER,
    run(n) {
      for (let i = 0; i < n; i++) {
        sink += encodeFixObject(fix44, { msgType: "D", body: BODY }).length;
      }
    },
  },

  {
    name: "JSON.parse of the generated FIX.5.0SP2 spec",
    group: "load",
    slow: true,
    run(n) {
      for (let i = 0; i < n; i++) {
        const spec = JSON.parse(SP2_SPEC);
        sink += spec.fields.length;
      }
    },
  },

  {
    name: "JSON.parse + Dictionary model of FIX.5.0SP2 (first builtinDictionary() call)",
    group: "load",
    slow: true,
    run(n) {
      for (let i = 0; i < n; i++) {
        sink += new Dictionary(JSON.parse(SP2_SPEC), "bench").fields.size;
      }
    },
  },
];

let ran = false;
for (const c of DICTIONARY_CASES) {
  Deno.bench({
    name: c.name,
    group: c.group,
    baseline: c.baseline ?? false,
    ...(c.slow ? { n: 5 } : {}),
    fn: () => {
      ran = true;
      c.run(1);
    },
  });
}

// Keeps the results observable so the JIT cannot drop the work; says so only if the cases ran.
globalThis.addEventListener("unload", () => {
  if (sink === 0 && ran) console.log("unreachable");
});
