import { assert, assertEquals } from "../../testing/assert.ts";
import { encodeMessage } from "../encoder.ts";
import { decodeMessage, type FixMessage } from "../message.ts";
import { builtinDictionary } from "./builtin_dictionary.ts";
import { isPlainlyValid } from "./_validate_fast.ts";
import {
  applicationDictionary,
  validateMessage,
  validateMessageFully,
  type ValidationDictionaries,
  type ValidationOptions,
} from "./validate_message.ts";

type Fields = [number, string][];

const TIME = "20261124-10:00:00.000";
const fix44 = builtinDictionary("FIX.4.4");
const fixt = builtinDictionary("FIXT.1.1");
const sp2 = builtinDictionary("FIX.5.0SP2");

function parties(n: number): Fields {
  const out: Fields = [[453, String(n)]];
  for (let p = 0; p < n; p++) {
    out.push([448, `PTY-00${p}`], [447, "D"], [452, String(p + 1)]);
    // nested NoPartySubIDs in some entries
    if (p % 3 === 1) out.push([802, "2"], [523, "DESK"], [803, "1"], [523, "X"], [803, "2"]);
  }
  return out;
}

const HEADER: Fields = [[34, "2"], [49, "BROKER01"], [52, TIME], [56, "CLIENT01"]];
const EXECUTION_REPORT: Fields = [
  ...HEADER,
  [37, "OID-1"],
  [11, "ORD-1"],
  [17, "EXEC-1"],
  [150, "F"],
  [39, "2"],
  [1, "ACCT-7788"],
  ...parties(4),
  [55, "MSFT"],
  [54, "1"],
  [38, "1000"],
  [40, "2"],
  [44, "187.250"],
  [32, "1000"],
  [31, "187.250"],
  [151, "0"],
  [14, "1000"],
  [6, "187.250"],
  [60, TIME],
  [58, "Filled in full"],
];
const NEW_ORDER: Fields = [
  ...HEADER,
  [11, "ORD-1"],
  [21, "1"],
  [55, "IBM"],
  [54, "1"],
  [60, TIME],
  [38, "100"],
  [40, "2"],
  [44, "187.250"],
  [59, "0"],
];
// CrossOrderCancelRequest: NoSides (552) is required, so its entries' required fields are too
const CROSS_CANCEL: Fields = [
  ...HEADER,
  [548, "X"],
  [551, "Y"],
  [549, "1"],
  [550, "0"],
  [552, "2"],
  [54, "1"],
  [41, "O1"],
  [11, "C1"],
  [38, "1"],
  [54, "2"],
  [41, "O2"],
  [11, "C2"],
  [38, "1"],
  [55, "IBM"],
  [60, TIME],
];

interface Base {
  readonly name: string;
  readonly begin: string;
  readonly msgType: string;
  readonly fields: Fields;
  readonly dictionaries: ValidationDictionaries;
}

const BASES: readonly Base[] = [
  {
    name: "FIX.4.4 ExecutionReport with parties",
    begin: "FIX.4.4",
    msgType: "8",
    fields: EXECUTION_REPORT,
    dictionaries: { transport: fix44 },
  },
  {
    name: "FIX.4.4 NewOrderSingle",
    begin: "FIX.4.4",
    msgType: "D",
    fields: NEW_ORDER,
    dictionaries: { transport: fix44 },
  },
  {
    name: "FIX.4.4 CrossOrderCancelRequest",
    begin: "FIX.4.4",
    msgType: "u",
    fields: CROSS_CANCEL,
    dictionaries: { transport: fix44 },
  },
  {
    name: "FIXT.1.1 / FIX.5.0SP2 ExecutionReport with parties",
    begin: "FIXT.1.1",
    msgType: "8",
    fields: EXECUTION_REPORT,
    dictionaries: { transport: fixt, application: sp2 },
  },
  {
    name: "FIXT.1.1 Heartbeat",
    begin: "FIXT.1.1",
    msgType: "0",
    fields: [...HEADER, [112, "T1"]],
    dictionaries: { transport: fixt, application: sp2 },
  },
];

const VALUES = ["", "X", "-1", "0", "7", "1.5", "ABCDEFG", "20261124-10:00:00", "Y", "2 3"];
const STRANGERS: Fields = [[9999, "X"], [5001, "X"], [448, "X"], [523, "X"], [49, "X"]];

/** Every message one small fault away from `fields` (and some that stay valid). */
function* mutants(fields: Fields): Generator<Fields> {
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i]!;
    yield fields.filter((_, k) => k !== i);
    yield [...fields.slice(0, i + 1), f, ...fields.slice(i + 1)];
    if (i + 1 < fields.length) {
      yield [...fields.slice(0, i), fields[i + 1]!, f, ...fields.slice(i + 2)];
    }
    yield [...fields.filter((_, k) => k !== i), f];
    yield [f, ...fields.filter((_, k) => k !== i)];
    for (const v of VALUES) yield fields.map((g, k) => (k === i ? [g[0], v] : g));
    for (const s of STRANGERS) yield [...fields.slice(0, i), s, ...fields.slice(i)];
  }
}

const OPTIONS: readonly Partial<ValidationOptions>[] = [
  {},
  { checkFieldsOutOfOrder: false },
  { checkFieldsHaveValues: false },
  { allowUnknownMessageFields: true },
  { checkUserDefinedFields: false },
  { checkRequiredFields: false },
];

function encode(base: Base, fields: Fields): FixMessage | undefined {
  try {
    return decodeMessage(encodeMessage(base.begin, base.msgType, fields));
  } catch {
    return undefined; // a mutant the encoder refuses (an empty value) is not a message
  }
}

Deno.test("isPlainlyValid() takes the benchmark's valid messages (the fast path is used)", () => {
  for (const base of BASES) {
    const msg = encode(base, base.fields)!;
    const transport = base.dictionaries.transport;
    const application = applicationDictionary(msg, base.dictionaries)!;
    assertEquals(validateMessageFully(msg, base.dictionaries), undefined, base.name);
    assert(
      isPlainlyValid(msg, transport, application, application.message(base.msgType)!),
      base.name,
    );
  }
});

Deno.test("validateMessage() gives the full checks' answer for every one-fault mutant, whatever the switches", () => {
  let plainlyValid = 0;
  let faulty = 0;
  for (const base of BASES) {
    const transport = base.dictionaries.transport;
    for (const fields of mutants(base.fields)) {
      const msg = encode(base, fields);
      if (msg === undefined) continue;
      const application = applicationDictionary(msg, base.dictionaries)!;
      const def = application.message(base.msgType)!;
      if (isPlainlyValid(msg, transport, application, def)) plainlyValid++;
      for (const options of OPTIONS) {
        const full = validateMessageFully(msg, base.dictionaries, options);
        if (full !== undefined) faulty++;
        assertEquals(
          validateMessage(msg, base.dictionaries, options),
          full,
          `${base.name}: ${fields.map(([t, v]) => `${t}=${v}`).join("|")} ${
            JSON.stringify(options)
          }`,
        );
      }
    }
  }
  // both answers occur, so the comparison tested something
  assert(plainlyValid > 100, `only ${plainlyValid} mutants were plainly valid`);
  assert(faulty > 1000, `only ${faulty} faults found`);
});
