/**
 * Benchmarks of the FIX codec's hot paths on a ~200-byte FIX.4.4
 * NewOrderSingle. Run: `./denow bench tests/bench/codec_bench.ts`.
 *
 * Targets on the 2-core reference machine: frame+decode ≤ 300 ns,
 * decode + read five fields ≤ 600 ns, encode from values ≤ 500 ns. The
 * "floor" case (one pass summing the bytes, what any framer must at least do
 * for the CheckSum) puts the figures in proportion on a given machine; the
 * averages include GC pauses and, on a shared machine, other processes, so
 * read the min and p75 columns too.
 *
 * @module
 */

import { MessageEncoder } from "../../lib/fix/encoder.ts";
import { Framer } from "../../lib/fix/framer.ts";
import { decodeMessage } from "../../lib/fix/message.ts";

const SENDING_TIME_MS = Date.UTC(2026, 10, 24, 5, 30, 0, 123);

/** Encodes the benchmark's NewOrderSingle with `encoder`. */
function encodeOrder(encoder: MessageEncoder, seqNum: number): Uint8Array {
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
const ORDER = encodeOrder(encoder, 1234);
if (ORDER.length < 180 || ORDER.length > 220) {
  throw new Error(`benchmark message is ${ORDER.length} bytes, expected about 200`);
}

const framer = new Framer();
let sink = 0;

Deno.bench({
  name: "frame+decode NewOrderSingle (~200 B)",
  group: "codec",
  baseline: true,
  fn() {
    framer.push(ORDER);
    const f = framer.next();
    if (f?.kind !== "message") throw new Error("benchmark message did not frame");
    sink += f.message.size;
  },
});

Deno.bench({
  name: "decode + read five fields",
  group: "codec",
  fn() {
    const m = decodeMessage(ORDER);
    sink += m.msgSeqNum + m.getInt(38)! + m.get(11)!.length + m.get(55)!.length +
      m.get(49)!.length;
  },
});

let seq = 1;
Deno.bench({
  name: "encode NewOrderSingle from values",
  group: "codec",
  fn() {
    sink += encodeOrder(encoder, seq++).length;
  },
});

// Decode + full dictionary validation: added by the dictionary engineer here,
// in group "codec", on the same ORDER bytes.

Deno.bench({
  name: "floor: sum the message's bytes once",
  group: "codec",
  fn() {
    let sum = 0;
    for (let i = 0; i < ORDER.length; i++) sum += ORDER[i]!;
    sink += sum;
  },
});

globalThis.addEventListener("unload", () => {
  if (sink === 0.5) console.log(sink);
});
