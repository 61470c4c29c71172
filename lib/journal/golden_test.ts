/**
 * Golden files: the journal written by format version 1 (in
 * `tests/fixtures/journal/v1/`, made by `tests/_generate_journal_fixtures.ts`)
 * must be read by this and every later version, and this version must still
 * write exactly those bytes.
 */
import { assertEquals } from "../testing/assert.ts";
import { Journal } from "./journal.ts";
import type { JournalRecord } from "./record.ts";
import { buildGoldenJournal, expectationJson } from "../../tests/_generate_journal_fixtures.ts";
import { withTempDir } from "./_test_util.ts";

const FIXTURES = `${Deno.cwd()}/tests/fixtures/journal/v1`;

interface Expected {
  records: (Omit<JournalRecord, "payload"> & { payload: string })[];
  sessions: unknown;
  epoch: number;
  appCursors: [string, number][];
  files: string[];
}

function decodeBase64(text: string): Uint8Array {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

Deno.test("Journal.open() reads the v1 golden files: every record, session, epoch and cursor", async () => {
  const expected = JSON.parse(await Deno.readTextFile(`${FIXTURES}/expected.json`)) as Expected;
  await withTempDir(async (dir) => {
    for (const name of expected.files) await Deno.copyFile(`${FIXTURES}/${name}`, `${dir}/${name}`);
    await using journal = await Journal.open(dir, { syncPolicy: "none" });
    assertEquals(journal.recovered, []);
    assertEquals(journal.segmentNames(), expected.files);
    assertEquals(journal.lastIndex, expected.records.length);
    for (const r of expected.records) {
      assertEquals(journal.read(r.index), { ...r, payload: decodeBase64(r.payload) });
    }
    assertEquals(journal.sessions(), expected.sessions);
    assertEquals(journal.epoch, expected.epoch);
    assertEquals([...journal.appCursors()], expected.appCursors);
    // Resend look-ups work on the old files.
    assertEquals(journal.outbound(1, 1)?.index, expected.records.at(-2)!.index);
  });
});

Deno.test("Journal writes byte-for-byte the v1 golden files from the same input", async () => {
  const golden = await buildGoldenJournal();
  for (const [name, bytes] of golden.files) {
    assertEquals(bytes, await Deno.readFile(`${FIXTURES}/${name}`), `${name} differs`);
  }
  assertEquals(expectationJson(golden), await Deno.readTextFile(`${FIXTURES}/expected.json`));
});
