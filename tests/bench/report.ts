/**
 * `deno task bench`: runs every benchmark of the project and prints one
 * table, each figure beside its floor measured in the same run, the ratio
 * between them and the target where one exists.
 *
 * Sections, in order: codec (one process per figure, warm-up, then the
 * median of batches interleaved with the floor's), dictionary (same timer),
 * peer (the same messages through QuickFIX C++, `peer_codec_bench.ts`; its
 * "floor" is QuickFIX's time, so the ratio is Tandem's cost relative to
 * QuickFIX's; rows say "peer not installed" when qfcodec is not built),
 * journal, session (two processes), HA (three processes, and failover by ack
 * strategy, `failover_bench.ts`), then every other `*_bench.ts` file of the
 * repository that uses `Deno.bench` (run by `deno bench --json`, figures are
 * its means, no floor).
 *
 * The ratio is a cost relative to the floor: figure time ÷ floor time, or
 * floor rate ÷ figure rate, so 1.0 is "as fast as the floor" and lower is
 * better whatever the unit.
 *
 * Usage: `deno run -A tests/bench/report.ts [--json FILE] [--quick]
 * [--only codec,dictionary,peer,journal,session,ha,other]`. `--quick` cuts the sample counts
 * (for trying the harness; its figures are noisier).
 *
 * @module
 */

import { CODEC_FIGURES } from "./codec_bench.ts";
import { DICTIONARY_CASES } from "./dictionary_bench.ts";
import { runJournalBench } from "./journal_bench.ts";
import { PEER_CODEC_COMPARISONS, runPeerCodecBench } from "./peer_codec_bench.ts";
import { runSessionBench } from "./session_bench.ts";
import { runHaBench } from "./ha_bench.ts";
import { failoverRows, runFailoverBench } from "./failover_bench.ts";
import { runClusterBench } from "./cluster_bench.ts";
import { failedRow, type Row, row, timeInterleaved, type Unit } from "./_stats.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const CODEC_BENCH = new URL("./codec_bench.ts", import.meta.url).pathname;

function arg(name: string): string | undefined {
  const i = Deno.args.indexOf(name);
  return i >= 0 ? Deno.args[i + 1] : undefined;
}

const quick = Deno.args.includes("--quick");
const only = arg("--only")?.split(",");
const wanted = (s: string) => only === undefined || only.includes(s);
const rows: Row[] = [];
const started = performance.now();

function progress(text: string): void {
  console.error(`bench: ${text} (${((performance.now() - started) / 1000).toFixed(0)} s)`);
}

async function section(name: string, run: () => Promise<void> | void): Promise<void> {
  if (!wanted(name)) return;
  progress(name);
  try {
    await run();
  } catch (e) {
    rows.push(failedRow(name, `${name} section`, "ms", e instanceof Error ? e.message : String(e)));
  }
}

await section("codec", async () => {
  // One process per figure: the JIT feedback of one case must not shape another's.
  for (const [k, f] of CODEC_FIGURES.entries()) {
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        "--quiet",
        CODEC_BENCH,
        "--figure",
        String(k),
        "--rounds",
        quick ? "8" : "60",
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!out.success) {
      throw new Error(`codec figure ${k} failed: ${new TextDecoder().decode(out.stderr).trim()}`);
    }
    const r = JSON.parse(new TextDecoder().decode(out.stdout)) as {
      figureNs: number;
      floorNs: number;
    };
    rows.push(row({
      section: "codec",
      figure: f.figure,
      value: r.figureNs,
      unit: "ns",
      floorName: f.floor.replace(/^floor: /, ""),
      floorValue: r.floorNs,
      target: { on: "figure", max: f.maxNs },
    }));
  }
});

await section("dictionary", () => {
  const fast = DICTIONARY_CASES.filter((c) => !c.slow);
  const ns = timeInterleaved(fast, { rounds: quick ? 8 : 20 });
  const slow = timeInterleaved(DICTIONARY_CASES.filter((c) => c.slow), {
    rounds: quick ? 2 : 5,
    batchMs: 20,
  });
  for (const c of DICTIONARY_CASES) {
    if (c.baseline) continue;
    const v = (c.slow ? slow : ns).get(c.name)!;
    const floor = c.floor;
    rows.push(row({
      section: "dictionary",
      figure: c.name,
      value: c.slow ? v / 1e6 : v,
      unit: c.slow ? "ms" : "ns",
      ...(floor === undefined ? {} : { floorName: floor, floorValue: ns.get(floor)! }),
    }));
  }
});

await section("peer", async () => {
  const s = "vs QuickFIX C++";
  const floorName = "QuickFIX C++ 1.15, same work";
  // issue 14: validation of a message with repeating groups at least 2.4× QuickFIX's speed
  const targets: Record<string, number> = { "parse + validate ExecutionReport": 1 / 2.4 };
  const figures = await runPeerCodecBench({ rounds: quick ? 8 : 30, alternations: quick ? 1 : 3 });
  for (const [k, c] of PEER_CODEC_COMPARISONS.entries()) {
    const key = Object.keys(targets).find((t) => c.figure.startsWith(t));
    const target = key === undefined
      ? undefined
      : { on: "ratio" as const, max: Number(targets[key]!.toFixed(3)) };
    const f = figures?.[k];
    rows.push(
      f === undefined
        ? failedRow(
          s,
          `Tandem ${c.figure}`,
          "ns",
          "peer not installed: bash .ci/install_interop.sh builds tests/interop/build/qfcodec",
          target,
        )
        : row({
          section: s,
          figure: `Tandem ${c.figure} (QuickFIX/Tandem ${(f.quickfixNs / f.tandemNs).toFixed(2)}x)`,
          value: f.tandemNs,
          unit: "ns",
          floorName,
          floorValue: f.quickfixNs,
          ...(target === undefined ? {} : { target }),
        }),
    );
  }
});

await section("journal", async () => {
  const j = await runJournalBench({ records: quick ? 200_000 : 1_000_000 });
  const s = "journal";
  rows.push(
    row({
      section: s,
      figure: "append, policy none, 200-byte records",
      value: j.appendNonePerS,
      unit: "/s",
      floorName: "raw writeSync, 1000 records per call",
      floorValue: j.rawWriteSyncPerS,
      target: { on: "figure", min: 2e6 },
    }),
    row({
      section: s,
      figure: "durable, policy always (group commit), 64/batch, 4 in flight",
      value: j.durablePerS.batch64,
      unit: "/s",
      floorName: "raw write + fdatasync per group the journal formed",
      floorValue: j.rawGroupSyncPerS,
      target: { on: "figure", min: 50e3 },
    }),
    row({
      section: s,
      figure: "durable, policy always (group commit), 1024/batch",
      value: j.durablePerS.batch1024,
      unit: "/s",
    }),
    row({
      section: s,
      figure: "append-to-durable latency p50, always, 1 at a time",
      value: j.appendToDurableMs.p50 * 1000,
      unit: "us",
      floorName: "lone write + fdatasync p50, interleaved blocks",
      floorValue: j.fdatasyncMs.p50 * 1000,
    }),
    row({
      section: s,
      figure: "append-to-durable latency p99, always, 1 at a time",
      value: j.appendToDurableMs.p99 * 1000,
      unit: "us",
      floorName: "lone write + fdatasync p99, interleaved blocks",
      floorValue: j.fdatasyncMs.p99 * 1000,
    }),
    row({
      section: s,
      figure: `index rebuild on open (${j.records / 1e6}M records)`,
      value: j.rebuildPerS,
      unit: "/s",
      floorName: "raw readSync of the segment files",
      floorValue: j.rawReadPerS,
      target: { on: "figure", min: 1e6 },
    }),
    row({
      section: s,
      figure: "CRC-32C slicing-by-16, 248-byte records",
      value: j.crc32cMBps,
      unit: "MB/s",
      floorName: "bytewise CRC-32C (the naive loop)",
      floorValue: j.crc32cBytewiseMBps,
    }),
  );
});

await section("session", async () => {
  const f = await runSessionBench({
    samples: quick ? 500 : 5000,
    orders: quick ? 50_000 : 200_000,
  });
  const s = "session";
  const echo = "raw TCP echo, 2 processes";
  rows.push(
    row({
      section: s,
      figure: "round trip NOS->ER p50, journal off",
      value: f.journalOffUs.p50,
      unit: "us",
      floorName: `${echo}, p50`,
      floorValue: f.echoUs.p50,
      target: { on: "ratio", max: 1.25 },
    }),
    row({
      section: s,
      figure: "round trip NOS->ER p50, journal on (syncPolicy none)",
      value: f.journalOnUs.p50,
      unit: "us",
      floorName: `${echo}, p50`,
      floorValue: f.echoUs.p50,
      target: { on: "ratio", max: 1.4 },
    }),
    row({
      section: s,
      figure: "round trip NOS->ER p99, journal off",
      value: f.journalOffUs.p99,
      unit: "us",
      floorName: `${echo}, p99`,
      floorValue: f.echoUs.p99,
      target: { on: "ratio", max: 2 },
    }),
    row({
      section: s,
      figure: "round trip NOS->ER p99, journal on (syncPolicy none)",
      value: f.journalOnUs.p99,
      unit: "us",
      floorName: `${echo}, p99`,
      floorValue: f.echoUs.p99,
      target: { on: "ratio", max: 2 },
    }),
    // `always` on both sides; the session sends right after the write, the fdatasync runs beside it
    row({
      section: s,
      figure: "round trip NOS->ER p50, journal always (send not held for fdatasync)",
      value: f.journalAlwaysUs.p50,
      unit: "us",
      floorName: `${echo}, p50`,
      floorValue: f.echoUs.p50,
    }),
    row({
      section: s,
      figure: "round trip NOS->ER p99, journal always (send not held for fdatasync)",
      value: f.journalAlwaysUs.p99,
      unit: "us",
      floorName: `${echo}, p99`,
      floorValue: f.echoUs.p99,
    }),
    row({
      section: s,
      figure: "one-way NOS throughput, journal on (syncPolicy none)",
      value: f.oneWayPerS,
      unit: "/s",
      floorName: "raw TCP stream of the same bytes",
      floorValue: f.rawOneWayPerS,
      target: { on: "figure", min: 300e3 },
    }),
    row({
      section: s,
      figure: "  of which the initiator's send() alone (encode+journal+queue)",
      value: f.initiatorSendPerS,
      unit: "/s",
    }),
  );
  // the same initiator against QuickFIX C++ as the acceptor, sampled in the same blocks
  const q = f.quickfixAcceptorUs;
  for (const p of ["p50", "p99"] as const) {
    const figure = `round trip NOS->ER ${p}, Tandem acceptor (journal off) vs QuickFIX C++`;
    rows.push(
      typeof q === "string" ? failedRow("vs QuickFIX C++", figure, "us", q) : row({
        section: "vs QuickFIX C++",
        figure,
        value: f.journalOffUs[p],
        unit: "us",
        floorName: `QuickFIX C++ acceptor (memory store), ${p}`,
        floorValue: q[p],
      }),
    );
  }
  // heap bytes allocated per round trip (NOS + 2 ER), V8's cumulative allocation counter
  const a = f.allocatedPerRoundTrip;
  const echoClient = "raw TCP echo client, per round trip";
  for (
    const [figure, value] of [
      ["heap allocated per round trip, initiator, journal off", a.initiatorJournalOffBytes],
      ["heap allocated per round trip, initiator, journal on (none)", a.initiatorJournalOnBytes],
      ["heap allocated per round trip, acceptor, journal off", a.acceptorJournalOffBytes],
      ["heap allocated per round trip, acceptor, journal on (none)", a.acceptorJournalOnBytes],
    ] as const
  ) {
    rows.push(row({
      section: s,
      figure,
      value,
      unit: "B",
      floorName: echoClient,
      floorValue: a.echoClientBytes,
    }));
  }
});

await section("ha", async () => {
  const f = await runHaBench({ samples: quick ? 500 : 3000 });
  const s = "ha";
  const relay = "raw 3-process relay";
  // Journal `always` on both sides: the floor is the relay whose secondary writes and fdatasyncs
  // (the plain relay when that was not measured). The 1.4x goal is on the parts row below.
  const floor = f.relayWriteSyncUs ?? f.relayUs;
  const floorName = f.relayWriteSyncUs ? "raw relay + follower write + fdatasync" : relay;
  for (const [p, name] of [["p50", "p50"], ["p99", "p99"]] as const) {
    const figure = `replicated round trip ${name}, ack forever, journal always`;
    rows.push(
      typeof f.replicatedUs === "string" ? failedRow(s, figure, "us", f.replicatedUs) : row({
        section: s,
        figure,
        value: f.replicatedUs[p],
        unit: "us",
        floorName: `${floorName}, ${name}`,
        floorValue: floor[p],
      }),
    );
  }
  if (f.unreplicated !== undefined) {
    rows.push(row({
      section: s,
      figure: "  same through a primary with ack never, p50",
      value: f.unreplicated.fixUs.p50,
      unit: "us",
      floorName: "raw echo (2 processes), p50",
      floorValue: f.unreplicated.echoUs.p50,
    }));
  }
  if (f.parts !== undefined) {
    // the replicated round trip in parts (issue 14), sampled in interleaved blocks
    const p = f.parts;
    const write = "raw relay + follower write, p50";
    const sync = "raw relay + follower write + fdatasync, p50";
    rows.push(
      row({
        section: s,
        figure: "parts: + follower write (relay secondary writeSync), p50",
        value: p.relayWriteUs.p50,
        unit: "us",
        floorName: `${relay}, p50`,
        floorValue: p.relayUs.p50,
      }),
      row({
        section: s,
        figure: "parts: + follower fsync (relay secondary fdatasync), p50",
        value: p.relayWriteSyncUs.p50,
        unit: "us",
        floorName: write,
        floorValue: p.relayWriteUs.p50,
      }),
    );
    for (
      const [policy, result, floorName, floorValue, target] of [
        ["none", p.followerNoneUs, write, p.relayWriteUs.p50, { on: "ratio" as const, max: 1.4 }],
        ["always", p.followerAlwaysUs, sync, p.relayWriteSyncUs.p50, undefined],
      ] as const
    ) {
      const figure = `parts: replicated p50, ack forever, follower syncPolicy ${policy}`;
      if (typeof result === "string") {
        rows.push(failedRow(s, figure, "us", result, target));
        continue;
      }
      rows.push(
        row({
          section: s,
          figure: `${figure} (primary none)`,
          value: result.p50,
          unit: "us",
          floorName,
          floorValue,
          ...(target === undefined ? {} : { target }),
        }),
        row({
          section: s,
          figure: `parts:   + ack path and engine (the difference), follower ${policy}`,
          value: result.p50 - floorValue,
          unit: "us",
        }),
      );
    }
    // Which part of the engine's part is replication: the FIX path alone (ack never) beside a
    // raw echo, and forever minus never beside the relay's extra hop with its write.
    const echo = "raw echo (2 processes), p50";
    if (typeof p.neverUs === "string") {
      rows.push(failedRow(s, "parts: FIX path alone, primary ack never, p50", "us", p.neverUs));
    } else {
      rows.push(row({
        section: s,
        figure: "parts: FIX path alone, primary ack never (both none), p50",
        value: p.neverUs.p50,
        unit: "us",
        floorName: echo,
        floorValue: p.echoUs.p50,
      }));
      if (typeof p.followerNoneUs !== "string") {
        rows.push(row({
          section: s,
          figure: "parts:   replication's own part (forever none - never), p50",
          value: p.followerNoneUs.p50 - p.neverUs.p50,
          unit: "us",
          floorName: "(relay + follower write) - echo, p50",
          floorValue: p.relayWriteUs.p50 - p.echoUs.p50,
        }));
      }
    }
  }
  // failover by ack strategy, p50 and max over several kills (failover_bench.ts)
  rows.push(...failoverRows(await runFailoverBench({ kills: quick ? 2 : 5 })));
});

await section(
  "cluster",
  async () => void rows.push(...await runClusterBench(quick ? { kills: 2 } : {})),
);

/** Every `*_bench.ts` outside tests/bench that registers `Deno.bench`. */
async function otherBenchFiles(): Promise<string[]> {
  const found: string[] = [];
  async function walk(dir: string): Promise<void> {
    for await (const e of Deno.readDir(dir)) {
      const path = `${dir}/${e.name}`;
      if (e.isDirectory && !e.name.startsWith(".") && e.name !== "node_modules") await walk(path);
      else if (e.isFile && e.name.endsWith("_bench.ts") && !path.includes("/tests/bench/")) {
        if ((await Deno.readTextFile(path)).includes("Deno.bench(")) found.push(path);
      }
    }
  }
  for (const top of ["lib", "tests"]) await walk(`${ROOT}${top}`);
  return found.sort();
}

await section("other", async () => {
  for (const path of await otherBenchFiles()) {
    const rel = path.slice(ROOT.length);
    progress(`deno bench ${rel}`);
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["bench", "-A", "--no-check", "--json", path],
      cwd: ROOT,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout);
    const start = text.indexOf("{");
    try {
      const json = JSON.parse(text.slice(start)) as {
        benches: {
          name: string;
          group: string | null;
          results: { ok?: { avg: number } }[];
        }[];
      };
      for (const b of json.benches) {
        const ok = b.results[0]?.ok;
        const figure = `${rel}: ${b.name}`;
        rows.push(
          ok === undefined ? failedRow("other", figure, "ns", "failed") : row({
            section: "other",
            figure,
            value: ok.avg >= 1e6 ? ok.avg / 1e6 : ok.avg >= 1e4 ? ok.avg / 1e3 : ok.avg,
            unit: (ok.avg >= 1e6 ? "ms" : ok.avg >= 1e4 ? "us" : "ns") as Unit,
            note: "mean of deno bench",
          }),
        );
      }
    } catch {
      const err = new TextDecoder().decode(out.stderr).trim().split("\n").at(-1) ?? "";
      rows.push(failedRow("other", rel, "ns", `deno bench failed: ${err.slice(0, 120)}`));
    }
  }
});

// ---- the table ------------------------------------------------------------------

function fmt(v: number | undefined, unit: Unit): string {
  if (v === undefined) return "";
  if (!Number.isFinite(v)) return "n/a";
  if (unit === "/s") {
    return v >= 1e6 ? `${(v / 1e6).toFixed(2)}M/s` : `${(v / 1e3).toFixed(1)}k/s`;
  }
  const digits = v >= 100 ? 0 : v >= 10 ? 1 : 2;
  return `${v.toFixed(digits)} ${unit}`;
}

function fmtTarget(r: Row): string {
  const t = r.target;
  if (t === undefined) return "";
  const bound = t.max !== undefined ? `<= ${t.max}` : `>= ${t.min}`;
  if (t.on === "ratio") return `ratio ${bound}`;
  const v = (t.max ?? t.min)!;
  return `${t.max !== undefined ? "<=" : ">="} ${fmt(v, r.unit)}`;
}

const table = rows.map((r) => [
  r.section,
  r.figure,
  fmt(r.value, r.unit),
  r.floorName ?? "",
  fmt(r.floorValue, r.unit),
  r.ratio === undefined ? "" : `${r.ratio.toFixed(2)}x`,
  fmtTarget(r),
  r.pass === undefined
    ? (r.target && !Number.isFinite(r.value) ? "n/a" : "")
    : r.pass
    ? "ok"
    : "MISS",
]);
const header = ["section", "figure", "value", "floor", "floor value", "ratio", "target", ""];
const widths = header.map((h, i) => Math.max(h.length, ...table.map((t) => t[i]!.length)));
const line = (cells: string[]) =>
  cells.map((
    c,
    i,
  ) => (i === 2 || i === 4 || i === 5 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
    .join("  ").trimEnd();
console.log(line(header));
console.log(widths.map((w) => "-".repeat(w)).join("  "));
for (const t of table) console.log(line(t));
const notes = rows.filter((r) => r.note !== undefined && !Number.isFinite(r.value));
for (const r of notes) console.log(`n/a ${r.figure}: ${r.note}`);
const elapsedS = (performance.now() - started) / 1000;
console.log(
  `${rows.filter((r) => r.pass === true).length} targets met, ${
    rows.filter((r) => r.pass === false).length
  } missed, ${rows.filter((r) => r.target && r.pass === undefined).length} not measured; ${
    elapsedS.toFixed(0)
  } s; ratio = cost relative to the floor (lower is better); ${Deno.build.target}, ${navigator.hardwareConcurrency} CPUs`,
);

const jsonPath = arg("--json");
if (jsonPath !== undefined) {
  await Deno.writeTextFile(
    jsonPath,
    JSON.stringify(
      {
        date: new Date().toISOString(),
        deno: Deno.version.deno,
        target: Deno.build.target,
        cpus: navigator.hardwareConcurrency,
        quick,
        elapsedS,
        rows: rows.map((r) => ({ ...r, value: Number.isFinite(r.value) ? r.value : null })),
      },
      null,
      2,
    ) + "\n",
  );
}
