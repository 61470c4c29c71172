/**
 * Writes the journal golden files in `tests/fixtures/journal/v1/`: a small
 * journal (three segments, every record kind, two epochs) and `expected.json`
 * describing its records and state. Deterministic: fixed clock and payloads.
 *
 * Run: `./denow run -A tests/_generate_journal_fixtures.ts`
 *
 * These files are frozen: `lib/journal/golden_test.ts` requires every later
 * version of the journal to read them. When the format changes, add a `v2`
 * directory beside them; never regenerate `v1`.
 *
 * @module
 */

import {
  CHECKPOINT_FILE,
  encodeEpochChange,
  Journal,
  type JournalRecord,
  MemoryStorage,
  RecordKind,
} from "../lib/journal/mod.ts";

const encoder = new TextEncoder();

function fix(text: string): Uint8Array {
  return encoder.encode(text.replaceAll("|", "\x01"));
}

/** Builds the golden journal in memory; returns its files and the records written. */
export async function buildGoldenJournal(): Promise<{
  files: Map<string, Uint8Array>;
  records: JournalRecord[];
  sessions: unknown;
  epoch: number;
  appCursors: [string, number][];
}> {
  const storage = new MemoryStorage();
  let now = Date.UTC(2026, 10, 24, 12, 0, 0);
  const clock = () => now;
  await using journal = await Journal.open("golden", {
    storage,
    syncPolicy: "none",
    segmentSizeBytes: 768,
    clock,
  });
  const a = journal.defineSession("FIX.4.4:TANDEM->CLIENT");
  const b = journal.defineSession("FIXT.1.1:TANDEM->VENUE");
  const t = () => (now += 250);
  for (let seq = 1; seq <= 4; seq++) {
    journal.append({
      kind: RecordKind.Inbound,
      sessionId: a,
      seqNum: seq,
      timestampMs: t(),
      payload: fix(`8=FIX.4.4|9=0|35=D|34=${seq}|49=CLIENT|56=TANDEM|11=ORD${seq}|10=000|`),
    });
    journal.append({
      kind: RecordKind.Outbound,
      sessionId: a,
      seqNum: seq,
      timestampMs: t(),
      payload: fix(`8=FIX.4.4|9=0|35=8|34=${seq}|49=TANDEM|56=CLIENT|11=ORD${seq}|150=0|10=000|`),
    });
  }
  journal.recordAppCursor("executor", journal.lastIndex, t());
  journal.append({
    kind: RecordKind.Outbound,
    sessionId: b,
    seqNum: 1,
    timestampMs: t(),
    payload: fix("8=FIXT.1.1|9=0|35=A|34=1|49=TANDEM|56=VENUE|98=0|108=30|1137=9|10=000|"),
  });
  journal.setSequenceNumbers(b, {
    nextSenderSeqNum: 50,
    nextTargetSeqNum: 70,
    reason: "admin set-sequence",
  }, t());
  journal.audit(
    JSON.stringify({ action: "set-sequence", session: "FIXT.1.1:TANDEM->VENUE" }),
    b,
    t(),
  );
  journal.append({
    kind: RecordKind.EpochChange,
    sessionId: 0,
    seqNum: 0,
    timestampMs: t(),
    payload: encodeEpochChange({ epoch: 2, reason: "promoted by admin" }),
  });
  journal.resetSession(a, "daily reset", t());
  journal.append({
    kind: RecordKind.Outbound,
    sessionId: a,
    seqNum: 1,
    timestampMs: t(),
    payload: fix("8=FIX.4.4|9=0|35=A|34=1|49=TANDEM|56=CLIENT|98=0|108=30|141=Y|10=000|"),
  });
  journal.append({
    kind: RecordKind.Inbound,
    sessionId: b,
    seqNum: 70,
    timestampMs: t(),
    payload: fix("8=FIXT.1.1|9=0|35=0|34=70|49=VENUE|56=TANDEM|10=000|"),
  });
  journal.flush();
  const records: JournalRecord[] = [];
  for (let i = 1; i <= journal.lastIndex; i++) records.push(journal.read(i)!);
  const files = new Map(
    // The v1 golden files predate the checkpoint file, which holds a wall-clock time.
    storage.list().filter((name) => name !== CHECKPOINT_FILE).sort().map((
      name,
    ) => [name, storage.fileBytes(name)] as const),
  );
  return {
    files,
    records,
    sessions: journal.sessions(),
    epoch: journal.epoch,
    appCursors: [...journal.appCursors()],
  };
}

/** The JSON form of the expectations. */
export function expectationJson(golden: Awaited<ReturnType<typeof buildGoldenJournal>>): string {
  return JSON.stringify(
    {
      records: golden.records.map((r) => ({
        ...r,
        payload: btoa(String.fromCharCode(...r.payload)),
      })),
      sessions: golden.sessions,
      epoch: golden.epoch,
      appCursors: golden.appCursors,
      files: [...golden.files.keys()],
    },
    null,
    2,
  ) + "\n";
}

if (import.meta.main) {
  const dir = new URL("./fixtures/journal/v1/", import.meta.url).pathname;
  await Deno.mkdir(dir, { recursive: true });
  const golden = await buildGoldenJournal();
  for (const [name, bytes] of golden.files) await Deno.writeFile(`${dir}${name}`, bytes);
  await Deno.writeTextFile(`${dir}expected.json`, expectationJson(golden));
  console.log(`wrote ${golden.files.size} segments and expected.json to ${dir}`);
}
