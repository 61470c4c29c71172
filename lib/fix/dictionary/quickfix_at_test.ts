// Replays the messages of the QuickFIX acceptance scripts (tests/conformance) that the
// acceptor must reject for a dictionary fault, and checks that validateMessage() finds the same
// SessionRejectReason (373) and RefTagID (371) as QuickFIX; and that every NewOrderSingle the
// scripts expect to be echoed back validates cleanly.

import { assert, assertEquals } from "../../testing/assert.ts";
import { decodeMessage } from "../message.ts";
import { checksum } from "../encoder.ts";
import { builtinDictionary } from "./builtin_dictionary.ts";
import { validateMessage, type ValidationDictionaries } from "./validate_message.ts";

const ROOT = `${Deno.cwd()}/tests/conformance`;
const DICTIONARY_REASONS = new Set([0, 1, 2, 4, 5, 6, 11, 13, 14, 15, 16]);

/** Fills in <TIME>, BodyLength and CheckSum as tests/conformance/at_script.ts does. */
function toBytes(line: string): Uint8Array {
  const now = "20261124-10:00:00";
  let text = line.replace(/<TIME[+-]?\d*>/g, now);
  const fields = text.split("\x01").filter((f) => f.length > 0);
  if (!fields.some((f) => f.startsWith("10="))) {
    const begin = fields[0]!;
    const body = fields.filter((f, i) => i > 0 && !f.startsWith("9=")).join("\x01") + "\x01";
    text = `${begin}\x019=${new TextEncoder().encode(body).length}\x01${body}`;
    const bytes = new TextEncoder().encode(text);
    const sum = String(checksum(bytes)).padStart(3, "0");
    text += `10=${sum}\x01`;
  }
  return new TextEncoder().encode(text);
}

function field(line: string, tag: number): string | undefined {
  const m = line.match(new RegExp(`\\x01${tag}=([^\\x01]*)\\x01`));
  return m?.[1];
}

interface Case {
  file: string;
  input: string;
  expect: { reason: number; tag: number | undefined } | "valid";
}

function cases(folder: string): Case[] {
  const out: Case[] = [];
  for (const entry of Deno.readDirSync(`${ROOT}/${folder}`)) {
    if (!entry.name.endsWith(".def")) continue;
    const lines = Deno.readTextFileSync(`${ROOT}/${folder}/${entry.name}`)
      .split(/\r?\n/).filter((l) => l.length > 0 && !l.startsWith("#"));
    for (let i = 0; i + 1 < lines.length; i++) {
      const input = lines[i]!.replace(/^I(\d+,)?/, "");
      const next = lines[i + 1]!.replace(/^E(\d+,)?/, "");
      if (!lines[i]!.startsWith("I") || !lines[i + 1]!.startsWith("E")) continue;
      const reason = field(next, 373);
      const sent = field(`\x01${input}`, 34);
      if (field(next, 35) === "3" && reason !== undefined && field(next, 45) === sent) {
        if (!DICTIONARY_REASONS.has(Number(reason))) continue;
        const tag = field(next, 371);
        if (tag === "0" || tag === "-1") continue; // tag 0 and -1 fail decoding, not validation
        if (tag === undefined && reason !== "11") continue; // session-level (e.g. NewSeqNo too low)
        if (tag === "122") continue; // session rule: PossDupFlag=Y without OrigSendingTime
        out.push({
          file: `${folder}/${entry.name}`,
          input,
          expect: { reason: Number(reason), tag: tag === undefined ? undefined : Number(tag) },
        });
      } else if (field(`\x01${input}`, 35) === "D" && field(next, 35) === "D") {
        out.push({ file: `${folder}/${entry.name}`, input, expect: "valid" });
      }
    }
  }
  return out;
}

function check(folder: string, dictionaries: ValidationDictionaries): number {
  const all = cases(folder);
  const wrong: string[] = [];
  for (const c of all) {
    const issue = validateMessage(decodeMessage(toBytes(c.input)), dictionaries);
    const got = issue === undefined ? "valid" : { reason: issue.reason, tag: issue.tag };
    if (JSON.stringify(got) !== JSON.stringify(c.expect)) {
      wrong.push(
        `${c.file}: ${c.input.replaceAll("\x01", "|")} → ${JSON.stringify(got)}, ` +
          `expected ${JSON.stringify(c.expect)}`,
      );
    }
  }
  assertEquals(wrong, []);
  assert(all.some((c) => c.expect === "valid"), "no accepted message among the cases");
  return all.filter((c) => c.expect !== "valid").length;
}

Deno.test("validateMessage() agrees with the QuickFIX acceptance scripts for FIX.4.2", () => {
  assert(check("fix42", { transport: builtinDictionary("FIX.4.2") }) >= 15);
});

Deno.test("validateMessage() agrees with the QuickFIX acceptance scripts for FIX.4.4", () => {
  assert(check("fix44", { transport: builtinDictionary("FIX.4.4") }) >= 15);
});

Deno.test("validateMessage() agrees with the QuickFIX acceptance scripts for FIX.5.0SP2", () => {
  const dictionaries = {
    transport: builtinDictionary("FIXT.1.1"),
    application: builtinDictionary("FIX.5.0SP2"),
  };
  assert(check("fix50sp2", dictionaries) >= 15);
});
