/**
 * Tandem's codec beside QuickFIX C++ 1.15 on the same messages: parse, parse + validate and
 * encode of the codec bench's NewOrderSingle, parse and parse + validate of the dictionary bench's
 * 552-byte ExecutionReport with 10 parties.
 *
 * The QuickFIX side is `tests/interop/build/qfcodec` (built from `tests/interop/qfcodec.cpp` by
 * `bash .ci/install_interop.sh`), which times its cases with the same method as
 * `timeInterleaved()` (calibrated batches, warm-up, median of interleaved rounds). The two sides
 * run in turn, `alternations` times each, in one run of the bench, and each figure is the median
 * of its alternations, so a busy moment of the machine is unlikely to hit only one side.
 *
 * What each side does per operation:
 * - parse: Tandem `decodeMessage()` (a view with field offsets); QuickFIX `Message::setString()`
 *   with the data dictionary (fields copied into field maps, groups read), no CheckSum check.
 * - parse + validate: the same, then Tandem `validateMessage()` / QuickFIX
 *   `DataDictionary::validate()` with the FIX.4.4 dictionary and default switches.
 * - encode from values: Tandem `MessageEncoder` from typed values (numbers and a millisecond
 *   timestamp formatted on the way); QuickFIX a fresh `Message` filled from prepared strings, then
 *   `toString()` into a reused string.
 *
 * Run alone: `./denow run -A tests/bench/peer_codec_bench.ts [--rounds N]`.
 *
 * @module
 */

import { MessageEncoder } from "../../lib/fix/encoder.ts";
import { bytesToString, decodeMessage } from "../../lib/fix/message.ts";
import { builtinDictionary, validateMessage } from "../../lib/fix/dictionary/mod.ts";
import { encodeOrder, ORDER } from "./codec_bench.ts";
import { EXECUTION_REPORT } from "./dictionary_bench.ts";
import { type BenchCase, median, timeInterleaved } from "./_stats.ts";

/** The QuickFIX codec benchmark program. */
export const QFCODEC_PATH: string = new URL("../interop/build/qfcodec", import.meta.url).pathname;
/** The QuickFIX FIX.4.4 dictionary it validates with (the one the interop tests use). */
export const QUICKFIX_FIX44_XML: string = new URL("../../spec/FIX44.xml", import.meta.url).pathname;

/** One comparison: Tandem's and QuickFIX's ns per operation for the same work. */
export interface PeerCodecFigure {
  readonly figure: string;
  readonly tandemNs: number;
  readonly quickfixNs: number;
}

const fix44 = builtinDictionary("FIX.4.4");
const dictionaries = { transport: fix44 };
const lengthTags = fix44.lengthTags;
const encoder = new MessageEncoder("FIX.4.4");
let sink = 0;
let seq = 1;

interface Comparison {
  readonly figure: string;
  /** Input line name and mode of the QuickFIX case. */
  readonly message: "NOS" | "ER";
  readonly mode: "parse" | "validate" | "encode";
  readonly tandem: BenchCase;
}

function decodeCase(name: string, bytes: Uint8Array): BenchCase {
  return {
    name,
    run(n) {
      for (let i = 0; i < n; i++) sink += decodeMessage(bytes, { lengthTags }).size;
    },
  };
}

function validateCase(name: string, bytes: Uint8Array): BenchCase {
  return {
    name,
    run(n) {
      for (let i = 0; i < n; i++) {
        const m = decodeMessage(bytes, { lengthTags });
        if (validateMessage(m, dictionaries) !== undefined) throw new Error("invalid");
        sink += m.size;
      }
    },
  };
}

const NOS = "NewOrderSingle (~200 B)";
const ER = "ExecutionReport, 10 parties (552 B)";

/** The comparisons, in report order. */
export const PEER_CODEC_COMPARISONS: readonly Comparison[] = [
  { figure: `parse ${NOS}`, message: "NOS", mode: "parse", tandem: decodeCase("p NOS", ORDER) },
  {
    figure: `parse + validate ${NOS}`,
    message: "NOS",
    mode: "validate",
    tandem: validateCase("v NOS", ORDER),
  },
  {
    figure: `encode ${NOS} from values`,
    message: "NOS",
    mode: "encode",
    tandem: {
      name: "e NOS",
      run(n) {
        for (let i = 0; i < n; i++) sink += encodeOrder(encoder, seq++).length;
      },
    },
  },
  {
    figure: `parse ${ER}`,
    message: "ER",
    mode: "parse",
    tandem: decodeCase("p ER", EXECUTION_REPORT),
  },
  {
    figure: `parse + validate ${ER}`,
    message: "ER",
    mode: "validate",
    tandem: validateCase("v ER", EXECUTION_REPORT),
  },
];

/** Whether the QuickFIX side is built. */
export function quickfixCodecInstalled(): boolean {
  try {
    return Deno.statSync(QFCODEC_PATH).isFile;
  } catch {
    return false;
  }
}

/** Runs qfcodec once; ns per operation by `message/mode`. */
async function runQuickfix(rounds: number): Promise<Map<string, number>> {
  const input = [
    `NOS\tpve\t${bytesToString(ORDER, 0, ORDER.length)}`,
    `ER\tpv\t${bytesToString(EXECUTION_REPORT, 0, EXECUTION_REPORT.length)}`,
  ].join("\n") + "\n";
  const child = new Deno.Command(QFCODEC_PATH, {
    args: ["--dictionary", QUICKFIX_FIX44_XML, "--rounds", String(rounds)],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(input));
  await writer.close();
  const out = await child.output();
  if (!out.success) {
    throw new Error(
      `Cannot time QuickFIX C++: qfcodec failed: ${new TextDecoder().decode(out.stderr).trim()}`,
    );
  }
  const ns = new Map<string, number>();
  for (const line of new TextDecoder().decode(out.stdout).split("\n")) {
    if (line.trim() === "") continue;
    const r = JSON.parse(line) as { name: string; mode: string; ns: number };
    ns.set(`${r.name}/${r.mode}`, r.ns);
  }
  return ns;
}

/**
 * Times every comparison, Tandem and QuickFIX in turn `alternations` times; undefined when
 * qfcodec is not built.
 */
export async function runPeerCodecBench(
  { rounds = 30, alternations = 3 }: { rounds?: number; alternations?: number } = {},
): Promise<PeerCodecFigure[] | undefined> {
  if (!quickfixCodecInstalled()) return undefined;
  const tandem = PEER_CODEC_COMPARISONS.map((): number[] => []);
  const quickfix = PEER_CODEC_COMPARISONS.map((): number[] => []);
  for (let a = 0; a < alternations; a++) {
    const q = await runQuickfix(rounds);
    const t = timeInterleaved(PEER_CODEC_COMPARISONS.map((c) => c.tandem), { rounds });
    PEER_CODEC_COMPARISONS.forEach((c, k) => {
      const qNs = q.get(`${c.message}/${c.mode}`);
      if (qNs === undefined) throw new Error(`Cannot time ${c.figure}: qfcodec did not report it`);
      quickfix[k]!.push(qNs);
      tandem[k]!.push(t.get(c.tandem.name)!);
    });
  }
  return PEER_CODEC_COMPARISONS.map((c, k) => ({
    figure: c.figure,
    tandemNs: median(tandem[k]!),
    quickfixNs: median(quickfix[k]!),
  }));
}

if (import.meta.main) {
  const i = Deno.args.indexOf("--rounds");
  const rounds = i >= 0 ? Number(Deno.args[i + 1]) : 20;
  const figures = await runPeerCodecBench({ rounds });
  if (figures === undefined) {
    console.log(`QuickFIX C++ peer not installed (${QFCODEC_PATH}): bash .ci/install_interop.sh`);
  } else {
    for (const f of figures) {
      console.log(
        `${f.figure}: Tandem ${f.tandemNs.toFixed(0)} ns, QuickFIX C++ ${
          f.quickfixNs.toFixed(0)
        } ns, QuickFIX/Tandem ${(f.quickfixNs / f.tandemNs).toFixed(2)}x`,
      );
    }
  }
}

globalThis.addEventListener("unload", () => {
  if (sink === 0.5) console.log(sink);
});
