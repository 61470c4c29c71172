/**
 * The journal tools: `journal dump|tail|verify|repair DIR …`.
 *
 * - `dump DIR [--from N] [--session KEY|ID] [--kind K] [--json]`: print records;
 *   FIX messages are shown with `|` for SOH.
 * - `tail DIR [--from N] [--json]`: print records and follow new ones until
 *   SIGINT. It opens the journal read-only and polls the files every 200 ms
 *   (it runs in another process than the writer, so it cannot be woken by
 *   appends).
 * - `verify DIR [--json]`: check every segment and record; exit 1 on
 *   corruption, naming the file, offset and checksums, and on a rewind (the
 *   journal ends before its checkpoint: a missing or cut newest segment). A
 *   torn tail is reported but is not an error (the next open cuts it).
 * - `repair DIR [--yes]`: print what would be quarantined (bytes, records,
 *   index range) and exit 1 without changing anything; with `--yes`, cut the
 *   journal at the first bad record, moving everything from there on into a
 *   quarantine file in DIR (never deleted), accept a rewind, and append an
 *   Audit record describing what was moved. Refuses while a node holds the
 *   data directory's lock.
 *
 * Human output is one line per record; `--json` prints one JSON object per
 * line. Exit codes: 0 ok, 1 corruption or failure, 2 usage error.
 *
 * @module
 */

import { Journal } from "./journal.ts";
import { DataDirLockedError, JournalCorruptionError } from "./errors.ts";
import { FileStorage } from "./file_storage.ts";
import {
  decodeAppCursor,
  decodeAudit,
  decodeEpochChange,
  decodeSequenceChange,
  decodeSessionDefinition,
  decodeSessionReset,
} from "./payloads.ts";
import {
  type JournalRecord,
  parseRecordKind,
  parseSegmentFileName,
  type RecordKind,
  RecordKind as Kind,
  recordKindName,
  SEGMENT_HEADER_BYTES,
} from "./record.ts";
import { readWholeFile } from "./storage.ts";
import { SNAPSHOT_FILE } from "./_snapshot.ts";
import { describePlan, planQuarantine } from "./_repair_plan.ts";
import { DataDirLock } from "./data_dir_lock.ts";

/** Where the commands write, and how `tail` is stopped. */
export interface JournalCommandIo {
  stdout?: (line: string) => void;
  stderr?: (line: string) => void;
  /** Stops `tail`; by default SIGINT does. */
  signal?: AbortSignal;
}

const USAGE = `Usage:
  journal dump DIR [--from N] [--session KEY|ID] [--kind KIND] [--json]
  journal tail DIR [--from N] [--json]
  journal verify DIR [--json]
  journal repair DIR [--yes]`;

interface Parsed {
  command: string;
  dir: string;
  from?: number;
  session?: string;
  kind?: RecordKind;
  json: boolean;
  yes: boolean;
}

function parseArgs(args: string[]): Parsed | string {
  const [command, ...rest] = args;
  if (command === undefined) return "missing command";
  if (!["dump", "tail", "verify", "repair"].includes(command)) {
    return `unknown command "${command}"`;
  }
  let dir: string | undefined;
  const out: Omit<Parsed, "command" | "dir"> = { json: false, yes: false };
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!;
    const value = () => {
      const v = rest[++i];
      if (v === undefined) throw new SyntaxError(`option ${arg} needs a value`);
      return v;
    };
    try {
      if (arg === "--json") out.json = true;
      else if (arg === "--yes" && command === "repair") out.yes = true;
      else if (arg === "--from") {
        const v = value();
        const n = Number(v);
        if (!Number.isSafeInteger(n) || n < 1) return `--from ${v} is not an index`;
        out.from = n;
      } else if (arg === "--session") out.session = value();
      else if (arg === "--kind") {
        const v = value();
        const kind = parseRecordKind(v);
        if (kind === undefined) return `--kind ${v} is not a record kind`;
        out.kind = kind;
      } else if (arg.startsWith("--")) return `unknown option ${arg}`;
      else if (dir === undefined) dir = arg;
      else return `unexpected argument ${arg}`;
    } catch (err) {
      return (err as Error).message;
    }
  }
  if (dir === undefined) return "missing DIR";
  return { command, dir, ...out };
}

const decoder = new TextDecoder();

function showFix(payload: Uint8Array): string {
  return decoder.decode(payload).replaceAll("\x01", "|");
}

function describePayload(record: JournalRecord): unknown {
  try {
    switch (record.kind) {
      case Kind.Outbound:
      case Kind.Inbound:
        return showFix(record.payload);
      case Kind.SessionDefinition:
        return { sessionKey: decodeSessionDefinition(record.payload) };
      case Kind.SequenceChange:
        return decodeSequenceChange(record.payload);
      case Kind.SessionReset:
        return { reason: decodeSessionReset(record.payload) };
      case Kind.EpochChange:
        return decodeEpochChange(record.payload);
      case Kind.AppCursor:
        return decodeAppCursor(record.payload);
      case Kind.Audit:
        return { text: decodeAudit(record.payload) };
      default: {
        const never: never = record.kind;
        return { unknownKind: never };
      }
    }
  } catch (err) {
    return { undecodable: (err as Error).message };
  }
}

function formatRecord(record: JournalRecord, keys: Map<number, string>, json: boolean): string {
  const session = record.sessionId === 0 ? undefined : keys.get(record.sessionId);
  const payload = describePayload(record);
  const kind = recordKindName(record.kind) ?? String(record.kind);
  const time = new Date(record.timestampMs).toISOString();
  if (json) {
    return JSON.stringify({
      index: record.index,
      epoch: record.epoch,
      kind,
      sessionId: record.sessionId,
      ...(session !== undefined ? { session } : {}),
      seqNum: record.seqNum,
      timestampMs: record.timestampMs,
      timestamp: time,
      payload,
    });
  }
  const who = record.sessionId === 0 ? "-" : `${record.sessionId}:${session ?? "?"}`;
  const body = typeof payload === "string"
    ? payload
    : Object.entries(payload as Record<string, unknown>).map(([k, v]) =>
      `${k}=${JSON.stringify(v)}`
    )
      .join(" ");
  return `${record.index} e${record.epoch} ${time} ${
    kind.padEnd(17)
  } ${who} seq=${record.seqNum} ${body}`;
}

function corruptionJson(err: JournalCorruptionError): Record<string, unknown> {
  return {
    file: err.file,
    offsetBytes: err.offsetBytes,
    reason: err.reason,
    ...(err.expectedCrc !== undefined ? { expectedCrc: err.expectedCrc } : {}),
    ...(err.actualCrc !== undefined ? { actualCrc: err.actualCrc } : {}),
  };
}

/**
 * Runs a journal command; returns the exit code.
 *
 * @example
 * ```ts
 * import { runJournalCommand } from "./cli.ts";
 * const code = await runJournalCommand(["verify", "/var/lib/tandem/journal", "--json"]);
 * ```
 */
export async function runJournalCommand(
  args: string[],
  io: JournalCommandIo = {},
): Promise<number> {
  const out = io.stdout ?? ((line: string) => console.log(line));
  const err = io.stderr ?? ((line: string) => console.error(line));
  const parsed = parseArgs(args);
  if (typeof parsed === "string") {
    err(`journal: ${parsed}\n${USAGE}`);
    return 2;
  }
  try {
    switch (parsed.command) {
      case "dump":
        return await dump(parsed, out);
      case "tail":
        return await tail(parsed, out, io.signal);
      case "verify":
        return await verify(parsed, out);
      case "repair":
        return await repair(parsed, out);
      default:
        return 2;
    }
  } catch (e) {
    if (e instanceof DataDirLockedError) {
      err(`journal ${parsed.command}: ${e.message}`);
      return 1;
    }
    if (e instanceof JournalCorruptionError) {
      err(`journal ${parsed.command}: ${e.message}`);
      if (parsed.json) out(JSON.stringify({ ok: false, error: corruptionJson(e) }));
      return 1;
    }
    err(`journal ${parsed.command}: ${(e as Error).message}`);
    return 1;
  }
}

function sessionKeys(journal: Journal): Map<number, string> {
  return new Map(journal.sessions().map((s) => [s.id, s.key]));
}

function sessionFilter(journal: Journal, session: string | undefined): number | undefined {
  if (session === undefined) return undefined;
  const byKey = journal.sessionId(session);
  if (byKey !== undefined) return byKey;
  const n = Number(session);
  if (Number.isSafeInteger(n) && n > 0) return n;
  throw new RangeError(`Cannot filter by session "${session}": no such session`);
}

async function openReadOnly(dir: string): Promise<Journal> {
  if (!(await exists(dir))) throw new Error(`Cannot open journal ${dir}: no such directory`);
  return await Journal.open(dir, { readOnly: true });
}

async function exists(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isDirectory;
  } catch {
    return false;
  }
}

async function dump(p: Parsed, out: (line: string) => void): Promise<number> {
  await using journal = await openReadOnly(p.dir);
  const keys = sessionKeys(journal);
  const sessionId = sessionFilter(journal, p.session);
  for (let i = Math.max(p.from ?? 1, journal.firstIndex); i <= journal.lastIndex; i++) {
    const record = journal.read(i)!;
    if (sessionId !== undefined && record.sessionId !== sessionId) continue;
    if (p.kind !== undefined && record.kind !== p.kind) continue;
    out(formatRecord(record, keys, p.json));
  }
  return 0;
}

async function tail(
  p: Parsed,
  out: (line: string) => void,
  signal: AbortSignal | undefined,
): Promise<number> {
  await using journal = await openReadOnly(p.dir);
  const controller = new AbortController();
  const onSigint = () => controller.abort();
  let listening = false;
  if (signal === undefined) {
    Deno.addSignalListener("SIGINT", onSigint);
    listening = true;
  } else if (signal.aborted) controller.abort();
  else signal.addEventListener("abort", onSigint, { once: true });
  try {
    const from = p.from ?? Math.max(journal.firstIndex, journal.lastIndex - 9);
    for await (const record of journal.tail(from, { signal: controller.signal })) {
      out(formatRecord(record, sessionKeys(journal), p.json));
    }
  } finally {
    if (listening) Deno.removeSignalListener("SIGINT", onSigint);
    signal?.removeEventListener("abort", onSigint);
  }
  return 0;
}

async function verify(p: Parsed, out: (line: string) => void): Promise<number> {
  await using journal = await openReadOnly(p.dir);
  let records = 0;
  for (let i = journal.firstIndex; i <= journal.lastIndex; i++) {
    journal.read(i);
    records++;
  }
  const summary = {
    ok: true,
    segments: journal.segmentNames().length,
    records,
    firstIndex: journal.firstIndex,
    lastIndex: journal.lastIndex,
    epoch: journal.epoch,
    sessions: journal.sessions().length,
    tornTails: journal.recovered,
    rewind: journal.rewind ?? null,
  };
  if (journal.rewind !== undefined) summary.ok = false;
  if (p.json) out(JSON.stringify(summary));
  else {
    out(
      `ok: ${summary.segments} segments, ${records} records (${summary.firstIndex}..${summary.lastIndex}), epoch ${summary.epoch}, ${summary.sessions} sessions`,
    );
    for (const t of journal.recovered) {
      out(
        `torn tail: ${t.file} at offset ${t.offsetBytes}, ${t.droppedBytes} bytes (${t.reason}); the next open cuts it`,
      );
    }
    if (journal.rewind !== undefined) {
      out(`rewound: ${journal.rewind}; a node refuses to start on it (see journal repair)`);
    }
  }
  return journal.rewind === undefined ? 0 : 1;
}

/** Most repair passes (each quarantines from one bad point on). */
const MAX_REPAIR_PASSES = 16;

async function repair(p: Parsed, out: (line: string) => void): Promise<number> {
  if (!(await exists(p.dir))) throw new Error(`Cannot repair journal ${p.dir}: no such directory`);
  using _lock = DataDirLock.acquire(p.dir, "repair the journal in");
  const storage = new FileStorage(p.dir);
  if (!p.yes) return await planOnly(p.dir, storage, out);
  let passes = 0;
  let quarantined = { bytes: 0, records: 0 };
  for (; passes < MAX_REPAIR_PASSES; passes++) {
    let journal: Journal;
    try {
      journal = await Journal.open(p.dir, { storage, acceptRewind: true });
    } catch (e) {
      if (!(e instanceof JournalCorruptionError)) throw e;
      const name = e.file.slice(e.file.lastIndexOf("/") + 1);
      if (name === SNAPSHOT_FILE || parseSegmentFileName(name) === undefined) throw e;
      const plan = planQuarantine(storage, name, e.offsetBytes);
      const pieces = quarantineFrom(storage, name, e.offsetBytes);
      quarantined = {
        bytes: quarantined.bytes + pieces.bytes,
        records: quarantined.records + plan.intactRecords,
      };
      out(
        `quarantined ${
          describePlan(plan, storage.location)
        } (${e.reason}) to ${storage.location}/${pieces.file}`,
      );
      continue;
    }
    await using j = journal;
    for (const t of j.recovered) {
      out(
        `cut torn tail: ${t.file} at offset ${t.offsetBytes}, ${t.droppedBytes} bytes, ${t.droppedRecords} record(s) (${t.reason})`,
      );
    }
    if (j.rewind !== undefined) out(`accepted rewind: ${j.rewind}`);
    if (passes > 0 || j.rewind !== undefined) {
      j.audit(JSON.stringify({
        action: "repair",
        passes,
        lastIndex: j.lastIndex,
        quarantinedBytes: quarantined.bytes,
        quarantinedRecords: quarantined.records,
        ...(j.rewind !== undefined ? { acceptedRewind: j.rewind } : {}),
      }));
      await j.durable(j.lastIndex);
    }
    out(
      passes === 0 && j.rewind === undefined
        ? "journal is sound; nothing to repair"
        : `repaired: quarantined ${quarantined.records} intact records, ${quarantined.bytes} bytes; journal ends at index ${j.lastIndex}`,
    );
    return 0;
  }
  throw new Error(
    `Cannot repair journal ${p.dir}: still damaged after ${MAX_REPAIR_PASSES} passes`,
  );
}

/** `repair` without `--yes`: says what would be done; changes nothing. */
async function planOnly(
  dir: string,
  storage: FileStorage,
  out: (line: string) => void,
): Promise<number> {
  let journal: Journal;
  try {
    journal = await Journal.open(dir, { readOnly: true });
  } catch (e) {
    if (!(e instanceof JournalCorruptionError)) throw e;
    const name = e.file.slice(e.file.lastIndexOf("/") + 1);
    if (name === SNAPSHOT_FILE || parseSegmentFileName(name) === undefined) throw e;
    const plan = planQuarantine(storage, name, e.offsetBytes);
    out(`damaged: ${e.message}`);
    out(`would quarantine ${describePlan(plan, storage.location)}`);
    out("nothing was changed; run again with --yes to quarantine it");
    return 1;
  }
  await using j = journal;
  for (const t of j.recovered) {
    out(
      `would cut torn tail: ${t.file} at offset ${t.offsetBytes}, ${t.droppedBytes} bytes, ${t.droppedRecords} record(s) (${t.reason})`,
    );
  }
  if (j.rewind !== undefined) out(`would accept rewind: ${j.rewind}`);
  if (j.recovered.length === 0 && j.rewind === undefined) {
    out("journal is sound; nothing to repair");
    return 0;
  }
  out("nothing was changed; run again with --yes to do it");
  return 1;
}

/**
 * Moves bytes `[offset, end)` of segment `name` and every later segment into
 * a new quarantine file (raw bytes, concatenated in order; a `.json` manifest
 * beside it says where each piece came from), then cuts the segment.
 */
function quarantineFrom(
  storage: FileStorage,
  name: string,
  offset: number,
): { file: string; bytes: number } {
  const first = parseSegmentFileName(name)!;
  const later = storage.list()
    .map((n) => ({ n, first: parseSegmentFileName(n) }))
    .filter((s): s is { n: string; first: number } => s.first !== undefined && s.first > first)
    .sort((a, b) => a.first - b.first).map((s) => s.n);
  const stamp = new Date().toISOString().replaceAll(":", "").replaceAll(".", "");
  let file = `repair-${stamp}.quarantine`;
  for (let k = 1; storage.exists(file); k++) file = `repair-${stamp}-${k}.quarantine`;
  const manifest: { file: string; fromOffset: number; bytes: number }[] = [];
  const q = storage.openWriter(file, { create: true });
  let total = 0;
  try {
    const cutAt = offset < SEGMENT_HEADER_BYTES ? 0 : offset;
    for (const [n, from] of [[name, cutAt] as const, ...later.map((n) => [n, 0] as const)]) {
      const data = readWholeFile(storage, n).subarray(from);
      q.append(data);
      manifest.push({ file: n, fromOffset: from, bytes: data.length });
      total += data.length;
    }
    q.syncSync();
  } finally {
    q.close();
  }
  const m = storage.openWriter(`${file}.json`, { create: true });
  try {
    m.append(new TextEncoder().encode(JSON.stringify({ pieces: manifest }, null, 2) + "\n"));
    m.syncSync();
  } finally {
    m.close();
  }
  storage.syncDirectory();
  for (const n of later.reverse()) storage.remove(n);
  if (offset < SEGMENT_HEADER_BYTES) storage.remove(name);
  else {
    const w = storage.openWriter(name, { create: false });
    try {
      w.truncate(offset);
      w.syncSync();
    } finally {
      w.close();
    }
  }
  storage.syncDirectory();
  return { file, bytes: total };
}

if (import.meta.main) {
  Deno.exit(await runJournalCommand(Deno.args));
}
