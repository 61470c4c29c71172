import { assert, assertEquals, assertStringIncludes } from "../testing/assert.ts";
import { runJournalCommand } from "./cli.ts";
import { Journal } from "./journal.ts";
import { RecordKind, SEGMENT_HEADER_BYTES, segmentFileName } from "./record.ts";
import { fixPayload, until, withTempDir } from "./_test_util.ts";

async function run(args: string[], signal?: AbortSignal) {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const code = await runJournalCommand(args, {
    stdout: (l) => stdout.push(l),
    stderr: (l) => stderr.push(l),
    ...(signal !== undefined ? { signal } : {}),
  });
  return { code, stdout, stderr };
}

async function writeSample(dir: string, count = 30): Promise<void> {
  await using journal = await Journal.open(dir, { syncPolicy: "none", segmentSizeBytes: 2048 });
  const a = journal.defineSession("FIX.4.4:A->B");
  const b = journal.defineSession("FIX.4.4:C->D");
  for (let i = 1; i <= count; i++) {
    journal.append({
      kind: i % 2 ? RecordKind.Outbound : RecordKind.Inbound,
      sessionId: i % 3 ? a : b,
      seqNum: i,
      timestampMs: Date.UTC(2026, 0, 1) + i,
      payload: fixPayload(i, 100),
    });
  }
  journal.setSequenceNumbers(a, { nextSenderSeqNum: 5, nextTargetSeqNum: 6, reason: "admin" });
}

Deno.test("runJournalCommand(dump) prints records with | for SOH and filters by session and kind", async () => {
  await withTempDir(async (dir) => {
    await writeSample(dir);
    const all = await run(["dump", dir]);
    assertEquals(all.code, 0);
    assertEquals(all.stdout.length, 33);
    assertStringIncludes(all.stdout[2]!, "8=FIX.4.4|9=0|35=D|34=1|");
    assertStringIncludes(all.stdout[2]!, "Outbound");
    assertStringIncludes(all.stdout[2]!, "1:FIX.4.4:A->B");
    const filtered = await run([
      "dump",
      dir,
      "--session",
      "FIX.4.4:C->D",
      "--kind",
      "inbound",
      "--json",
    ]);
    assertEquals(filtered.code, 0);
    const lines = filtered.stdout.map((l) => JSON.parse(l));
    assert(lines.length > 0);
    for (const l of lines) {
      assertEquals([l.kind, l.session], ["Inbound", "FIX.4.4:C->D"]);
      assert(String(l.payload).startsWith("8=FIX.4.4|"));
    }
    const from = await run(["dump", dir, "--from", "32", "--json"]);
    assertEquals(from.stdout.map((l) => JSON.parse(l).index), [32, 33]);
    assertEquals(JSON.parse(from.stdout[1]!).payload, {
      nextSenderSeqNum: 5,
      nextTargetSeqNum: 6,
      reason: "admin",
    });
  });
});

Deno.test("runJournalCommand() rejects bad usage with exit code 2", async () => {
  assertEquals((await run([])).code, 2);
  assertEquals((await run(["frobnicate", "x"])).code, 2);
  assertEquals((await run(["dump"])).code, 2);
  assertEquals((await run(["dump", "x", "--kind", "nope"])).code, 2);
  assertEquals((await run(["dump", "/nonexistent/journal"])).code, 1);
});

Deno.test("runJournalCommand(verify) passes a sound journal and fails a corrupt one naming file, offset and CRCs", async () => {
  await withTempDir(async (dir) => {
    await writeSample(dir);
    const ok = await run(["verify", dir, "--json"]);
    assertEquals(ok.code, 0);
    assertEquals(JSON.parse(ok.stdout[0]!).records, 33);
    const file = `${dir}/${segmentFileName(1)}`;
    const bytes = await Deno.readFile(file);
    bytes[SEGMENT_HEADER_BYTES + 100] = bytes[SEGMENT_HEADER_BYTES + 100]! ^ 0x10;
    await Deno.writeFile(file, bytes);
    const bad = await run(["verify", dir, "--json"]);
    assertEquals(bad.code, 1);
    assertStringIncludes(bad.stderr[0]!, file);
    assertStringIncludes(bad.stderr[0]!, "expected CRC 0x");
    const json = JSON.parse(bad.stdout[0]!);
    assertEquals([json.ok, json.error.file], [false, file]);
    assert(json.error.offsetBytes <= SEGMENT_HEADER_BYTES + 100);
  });
});

async function segmentBytes(dir: string): Promise<number> {
  let total = 0;
  for await (const e of Deno.readDir(dir)) {
    if (e.name.endsWith(".seg")) total += (await Deno.stat(`${dir}/${e.name}`)).size;
  }
  return total;
}

async function filesOf(dir: string): Promise<Map<string, Uint8Array>> {
  const files = new Map<string, Uint8Array>();
  for await (const e of Deno.readDir(dir)) {
    files.set(e.name, await Deno.readFile(`${dir}/${e.name}`));
  }
  return files;
}

Deno.test("runJournalCommand(repair) without --yes prints what it would quarantine, changes nothing and exits 1", async () => {
  await withTempDir(async (dir) => {
    await writeSample(dir);
    const file = `${dir}/${segmentFileName(1)}`;
    const bytes = await Deno.readFile(file);
    bytes[SEGMENT_HEADER_BYTES + 200] = bytes[SEGMENT_HEADER_BYTES + 200]! ^ 0x01;
    await Deno.writeFile(file, bytes);
    const before = await filesOf(dir);
    const dry = await run(["repair", dir]);
    assertEquals(dry.code, 1, dry.stdout.join("\n"));
    const text = dry.stdout.join("\n");
    assertStringIncludes(text, "would quarantine");
    assertStringIncludes(text, "records 3 to 33 (30 intact records)");
    assertStringIncludes(text, "--yes");
    const after = await filesOf(dir);
    after.delete("tandem.lock"); // repair takes the data directory's lock
    assertEquals([...after.keys()].sort(), [...before.keys()].sort());
    for (const [name, data] of before) {
      if (name !== "tandem.lock") assertEquals(after.get(name), data, `${name} changed`);
    }
  });
});

Deno.test("runJournalCommand(repair --yes) cuts at the first bad record, keeps the rest in a quarantine file and prints the counts", async () => {
  await withTempDir(async (dir) => {
    await writeSample(dir);
    const total = await segmentBytes(dir);
    const file = `${dir}/${segmentFileName(1)}`;
    const bytes = await Deno.readFile(file);
    bytes[SEGMENT_HEADER_BYTES + 200] = bytes[SEGMENT_HEADER_BYTES + 200]! ^ 0x01;
    await Deno.writeFile(file, bytes);
    const repaired = await run(["repair", dir, "--yes"]);
    assertEquals(repaired.code, 0, repaired.stderr.join("\n"));
    const text = repaired.stdout.join("\n");
    assertStringIncludes(text, "quarantined");
    assertStringIncludes(text, "repaired: quarantined 30 intact records");
    const after = (await Array.fromAsync(Deno.readDir(dir))).map((e) => e.name);
    const quarantine = after.find((n) => n.endsWith(".quarantine"))!;
    assert(quarantine !== undefined, after.join(","));
    // Nothing is lost: what is left plus what was quarantined covers every byte.
    const left = Number(/offset (\d+)/.exec(repaired.stdout[0]!)![1]);
    assert(left <= SEGMENT_HEADER_BYTES + 200);
    const moved = (await Deno.stat(`${dir}/${quarantine}`)).size;
    assertEquals(left + moved, total);
    assertEquals((await run(["verify", dir])).code, 0);
    const dump = await run(["dump", dir, "--kind", "audit", "--json"]);
    assertStringIncludes(dump.stdout.at(-1)!, "quarantinedRecords");
    assertEquals((await run(["repair", dir])).stdout, ["journal is sound; nothing to repair"]);
  });
});

Deno.test("runJournalCommand(tail) prints existing records then follows another writer until stopped", async () => {
  await withTempDir(async (dir) => {
    await writeSample(dir, 3);
    await using writer = await Journal.open(dir, { syncPolicy: "none" });
    const controller = new AbortController();
    const stdout: string[] = [];
    const tailing = runJournalCommand(["tail", dir, "--from", "1", "--json"], {
      stdout: (l) => stdout.push(l),
      signal: controller.signal,
    });
    await until(() => stdout.length === 6, "the existing records are printed");
    writer.audit("new record");
    writer.flush();
    await until(() => stdout.length === 7, "the new record is printed");
    controller.abort();
    assertEquals(await tailing, 0);
    assertEquals(JSON.parse(stdout[6]!).payload, { text: "new record" });
  });
});

Deno.test("lib/journal/cli.ts runs as a program: verify exits 0 on a sound journal", async () => {
  await withTempDir(async (dir) => {
    await writeSample(dir, 5);
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        "--no-check",
        new URL("./cli.ts", import.meta.url).pathname,
        "verify",
        dir,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
    assertStringIncludes(new TextDecoder().decode(out.stdout), "ok: 1 segments, 8 records");
  });
});
