/**
 * Crash test with real processes: a child appends with sync policy `always`
 * and reports each index once it is durable; the parent kills it with SIGKILL
 * at random moments, then checks the journal opens, verifies, and holds every
 * reported record intact.
 */
import { assert, assertEquals } from "../lib/testing/assert.ts";
import { Journal, RecordKind, runJournalCommand } from "../lib/journal/mod.ts";
import { crashPayload } from "./_journal_crash_child.ts";
import { readLines } from "../lib/io/read_lines.ts";

const CHILD = new URL("./_journal_crash_child.ts", import.meta.url).pathname;
const TRIALS = 24;

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Runs the child until it has reported `killAfter` durable indices, then SIGKILLs it. */
async function runAndKill(dir: string, killAfter: number): Promise<number[]> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--no-check", CHILD, dir],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const reported: number[] = [];
  let killed = false;
  const stderr = child.stderr.text();
  for await (const line of readLines(child.stdout)) {
    if (line.startsWith("ok ")) reported.push(Number(line.slice(3)));
    if (!killed && reported.length >= killAfter) {
      child.kill("SIGKILL");
      killed = true;
    }
  }
  const status = await child.status;
  const errors = await stderr;
  assert(killed, `the child exited by itself (code ${status.code}): ${errors}`);
  assertEquals(status.signal, "SIGKILL");
  return reported;
}

Deno.test("Journal survives SIGKILL at random moments: every index reported durable is present and intact", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tandem-crash-" });
  const rand = mulberry32(Number(Deno.env.get("JOURNAL_CRASH_SEED") ?? 7));
  const everReported = new Set<number>();
  let torn = 0;
  try {
    for (let trial = 0; trial < TRIALS; trial++) {
      const killAfter = trial % 6 === 0 ? 0 : 1 + Math.floor(rand() * 1500);
      const reported = await runAndKill(dir, killAfter);
      for (const i of reported) everReported.add(i);
      const verifyOut: string[] = [];
      const code = await runJournalCommand(["verify", dir, "--json"], {
        stdout: (l) => verifyOut.push(l),
        stderr: (l) => verifyOut.push(l),
      });
      assertEquals(code, 0, `trial ${trial}: verify failed: ${verifyOut.join("\n")}`);
      await using journal = await Journal.open(dir, { syncPolicy: "none" });
      torn += journal.recovered.length;
      for (const index of everReported) {
        const record = journal.read(index);
        assert(
          record !== undefined,
          `trial ${trial}: reported index ${index} is missing (last ${journal.lastIndex})`,
        );
        assertEquals(record.kind, RecordKind.Outbound);
        assertEquals(record.seqNum, index);
        assertEquals(record.payload, crashPayload(index), `trial ${trial}: index ${index} differs`);
      }
      const session = journal.sessionId("FIX.4.4:CRASH->TEST");
      if (session !== undefined && journal.lastIndex > 1) {
        assertEquals(journal.sessionState(session).nextSenderSeqNum, journal.lastIndex + 1);
      }
    }
    assert(everReported.size > 1000, `only ${everReported.size} indices were reported`);
    console.log(
      `${TRIALS} kills, ${everReported.size} durable indices checked, ${torn} torn tails cut`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
