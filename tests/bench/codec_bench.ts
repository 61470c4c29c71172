/**
 * Benchmarks of the FIX codec's hot paths on a ~200-byte FIX.4.4
 * NewOrderSingle, each with a floor measured beside it.
 *
 * Run alone: `./denow bench tests/bench/codec_bench.ts` (Deno's harness) or
 * `./denow run -A tests/bench/codec_bench.ts` (the report's timer: warm-up,
 * then the median of interleaved batches). `deno task bench` runs each of
 * {@linkcode CODEC_FIGURES} with its floor in a process of its own.
 *
 * Targets on the 2-core reference machine: frame+decode ≤ 300 ns, decode +
 * read five fields ≤ 600 ns, decode + full validation ≤ 1 µs, encode from
 * values ≤ 500 ns. The floors are plain loops any implementation must at
 * least match:
 * - "sum the bytes": one pass adding every byte — what a framer does anyway
 *   to check CheckSum(10); the floor of frame+decode.
 * - "index the fields": one pass recording the offset of every `=` and SOH
 *   into an Int32Array — the least a decoder that reads fields does; the
 *   floor of decode + reads and of decode + validation.
 * - "TextEncoder.encodeInto": turning the finished message, as a string,
 *   into bytes — the floor of encoding.
 *
 * @module
 */

import { MessageEncoder } from "../../lib/fix/encoder.ts";
import { Framer } from "../../lib/fix/framer.ts";
import { bytesToString, decodeMessage } from "../../lib/fix/message.ts";
import { builtinDictionary, validateMessage } from "../../lib/fix/dictionary/mod.ts";
import { type BenchCase, timeInterleaved } from "./_stats.ts";

const SENDING_TIME_MS = Date.UTC(2026, 10, 24, 5, 30, 0, 123);

/** Encodes the benchmark's NewOrderSingle with `encoder`. */
export function encodeOrder(encoder: MessageEncoder, seqNum: number): Uint8Array {
  return encoder.begin("D")
    .field(34, seqNum)
    .field(49, "CLIENT01")
    .field(56, "BROKER01")
    .utcTimestamp(52, SENDING_TIME_MS, 3)
    .field(11, "ORD-000123456")
    .field(1, "ACCT-7788")
    .field(21, "1")
    .field(55, "MSFT")
    .field(207, "XNAS")
    .field(54, "1")
    .utcTimestamp(60, SENDING_TIME_MS, 3)
    .field(38, 1000)
    .field(40, "2")
    .field(44, "187.250")
    .field(15, "USD")
    .field(59, "0")
    .finish();
}

const encoder = new MessageEncoder("FIX.4.4");
/** The benchmark message: a FIX.4.4 NewOrderSingle of about 200 bytes. */
export const ORDER: Uint8Array = encodeOrder(encoder, 1234);
if (ORDER.length < 180 || ORDER.length > 220) {
  throw new Error(`benchmark message is ${ORDER.length} bytes, expected about 200`);
}
const ORDER_TEXT = bytesToString(ORDER, 0, ORDER.length);
const fix44 = builtinDictionary("FIX.4.4");
const dictionaries = { transport: fix44 };
const lengthTags = fix44.lengthTags;
const invalid = validateMessage(decodeMessage(ORDER, { lengthTags }), dictionaries);
if (invalid !== undefined) {
  throw new Error(`benchmark message does not validate: ${invalid.text}`);
}

const framer = new Framer();
const offsets = new Int32Array(256);
const out = new Uint8Array(512);
const textEncoder = new TextEncoder();
let sink = 0;
let seq = 1;

/** Names of the cases, for {@linkcode CODEC_FIGURES}. */
export const CASE = {
  frameDecode: "frame+decode NewOrderSingle (~200 B)",
  decodeRead5: "decode + read five fields",
  decodeValidate: "decode + full validation (FIX.4.4 dictionary)",
  encode: "encode NewOrderSingle from values",
  floorSum: "floor: sum the bytes (CheckSum pass)",
  floorIndex: "floor: index every '=' and SOH",
  floorEncode: "floor: TextEncoder.encodeInto of the message text",
} as const;

/** Every codec case, subjects and floors. */
export const CODEC_CASES: readonly BenchCase[] = [
  {
    name: CASE.frameDecode,
    run(n) {
      for (let i = 0; i < n; i++) {
        framer.push(ORDER);
        const f = framer.next();
        if (f?.kind !== "message") throw new Error("benchmark message did not frame");
        sink += f.message.size;
      }
    },
  },
  {
    name: CASE.decodeRead5,
    run(n) {
      for (let i = 0; i < n; i++) {
        const m = decodeMessage(ORDER);
        sink += m.msgSeqNum + m.getInt(38)! + m.get(11)!.length + m.get(55)!.length +
          m.get(49)!.length;
      }
    },
  },
  {
    name: CASE.decodeValidate,
    run(n) {
      for (let i = 0; i < n; i++) {
        const m = decodeMessage(ORDER, { lengthTags });
        if (validateMessage(m, dictionaries) !== undefined) throw new Error("invalid");
        sink += m.size;
      }
    },
  },
  {
    name: CASE.encode,
    run(n) {
      for (let i = 0; i < n; i++) {
        sink += encodeOrder(encoder, seq++).length;
      }
    },
  },
  {
    name: CASE.floorSum,
    run(n) {
      for (let i = 0; i < n; i++) {
        let sum = 0;
        for (let j = 0; j < ORDER.length; j++) sum += ORDER[j]!;
        sink += sum;
      }
    },
  },
  {
    name: CASE.floorIndex,
    run(n) {
      for (let i = 0; i < n; i++) {
        let k = 0;
        for (let j = 0; j < ORDER.length; j++) {
          const b = ORDER[j]!;
          if (b === 0x3d || b === 0x01) offsets[k++] = j;
        }
        sink += k;
      }
    },
  },
  {
    name: CASE.floorEncode,
    run(n) {
      for (let i = 0; i < n; i++) {
        sink += textEncoder.encodeInto(ORDER_TEXT, out).written;
      }
    },
  },
];

/** How the report pairs the cases: figure, floor, target in ns. */
export const CODEC_FIGURES: readonly { figure: string; floor: string; maxNs: number }[] = [
  { figure: CASE.frameDecode, floor: CASE.floorSum, maxNs: 300 },
  { figure: CASE.decodeRead5, floor: CASE.floorIndex, maxNs: 600 },
  { figure: CASE.decodeValidate, floor: CASE.floorIndex, maxNs: 1000 },
  { figure: CASE.encode, floor: CASE.floorEncode, maxNs: 500 },
];

for (const c of CODEC_CASES) {
  Deno.bench({
    name: c.name,
    group: "codec",
    baseline: c.name === CASE.floorSum,
    fn: () => c.run(1),
  });
}

/** Times figure `k` of {@linkcode CODEC_FIGURES} beside its floor, in this process. */
export function timeCodecFigure(
  k: number,
  rounds = 30,
): { figureNs: number; floorNs: number } {
  const f = CODEC_FIGURES[k];
  if (f === undefined) throw new RangeError(`Cannot time codec figure ${k}: there is none`);
  const cases = CODEC_CASES.filter((c) => c.name === f.figure || c.name === f.floor);
  const ns = timeInterleaved(cases, { rounds });
  return { figureNs: ns.get(f.figure)!, floorNs: ns.get(f.floor)! };
}

if (import.meta.main) {
  // `--figure K [--rounds N]`: one figure and its floor, as a JSON line (what
  // `deno task bench` runs, one process per figure so that no figure's JIT
  // feedback shapes another's); without it, every figure in turn.
  const arg = (name: string) => {
    const i = Deno.args.indexOf(name);
    return i >= 0 ? Number(Deno.args[i + 1]) : undefined;
  };
  const one = arg("--figure");
  const rounds = arg("--rounds") ?? 30;
  if (one !== undefined) {
    console.log(JSON.stringify(timeCodecFigure(one, rounds)));
  } else {
    CODEC_FIGURES.forEach((f, k) => {
      const r = timeCodecFigure(k, rounds);
      console.log(
        `${f.figure}: ${r.figureNs.toFixed(0)} ns (${f.floor}: ${r.floorNs.toFixed(0)} ns)`,
      );
    });
  }
}

globalThis.addEventListener("unload", () => {
  if (sink === 0.5) console.log(sink);
});
