/**
 * Turns an application API request (JSON or raw FIX) into the MsgType and body
 * fields a session sends, checked against the session's dictionary first so
 * that a message the dictionary rejects is refused with a 400 and never sent.
 *
 * @module
 */

import { ApiError, type SendRequest } from "../api/server.ts";
import { findControlCharacter, parseRawFix, RawFixError } from "../api/input_checks.ts";
import {
  applVerIdToVersion,
  builtinDictionary,
  isBuiltinDictionaryName,
} from "../fix/dictionary/builtin_dictionary.ts";
import { encodeFixObject, FixObjectError } from "../fix/dictionary/fix_object.ts";
import {
  validateMessage,
  type ValidationDictionaries,
} from "../fix/dictionary/validate_message.ts";
import { decodeMessage } from "../fix/message.ts";
import { MessageEncoder } from "../fix/encoder.ts";
import type { Field } from "../session/session.ts";

const PLACEHOLDER_HEADER = {
  SenderCompID: "S",
  TargetCompID: "T",
  MsgSeqNum: "1",
  SendingTime: "20000101-00:00:00.000",
};
const ALWAYS_HEADER = new Set([8, 9, 35, 10]);

/** The built-in dictionaries of a session (FIXT: transport plus the application version). */
export function dictionariesFor(
  beginString: string,
  applVerId: string | undefined,
): ValidationDictionaries {
  const transport = builtinDictionary(beginString);
  if (transport.type !== "FIXT") return { transport };
  const id = applVerId ?? "9";
  const version = applVerIdToVersion(id) ?? (isBuiltinDictionaryName(id) ? id : "FIX.5.0SP2");
  return { transport, application: builtinDictionary(version) };
}

function bodyFields(
  bytes: Uint8Array,
  dicts: ValidationDictionaries,
): { msgType: string; fields: Field[] } {
  const m = decodeMessage(bytes);
  const issue = validateMessage(m, dicts);
  if (issue !== undefined) {
    throw new ApiError(
      400,
      `Cannot send ${m.msgType}: ${issue.text}${
        issue.tag === undefined ? "" : ` (tag ${issue.tag})`
      }`,
    );
  }
  const t = dicts.transport;
  const fields: Field[] = [];
  for (let i = 0; i < m.size; i++) {
    const tag = m.tagAt(i);
    if (ALWAYS_HEADER.has(tag) || t.header.has(tag) || t.trailer.has(tag)) continue;
    fields.push([tag, m.bytesAt(i).slice()]);
  }
  return { msgType: m.msgType, fields };
}

/** The session a message is for: its CompIDs, which a raw message may repeat but not change. */
export interface SendingSession {
  readonly senderCompId: string;
  readonly targetCompId: string;
}

function dataTagsOf(dicts: ValidationDictionaries): Map<number, number> {
  const lengthTags = new Map(dicts.transport.lengthTags);
  for (const [k, v] of dicts.application?.lengthTags ?? []) lengthTags.set(k, v);
  return lengthTags;
}

/**
 * See the module doc. Values holding control characters are refused (except
 * in data fields), and a raw message must be exactly one message for this
 * session (lib/api/input_checks.ts).
 *
 * @throws {ApiError} (400) naming what is wrong and where
 */
export function fixToFields(
  request: SendRequest,
  beginString: string,
  applVerId: string | undefined,
  session?: SendingSession,
): { msgType: string; fields: Field[] } {
  const dicts = dictionariesFor(beginString, applVerId);
  const lengthTags = dataTagsOf(dicts);
  if (request.kind === "json") {
    const dataTags = new Set(lengthTags.values());
    const app = dicts.application ?? dicts.transport;
    const problem = findControlCharacter(request.msgType, "msgType", () => false) ??
      findControlCharacter(request.fields, "fields", (key) => {
        const tag = /^[1-9]\d{0,8}$/.test(key) ? Number(key) : app.field(key)?.tag;
        return tag !== undefined && dataTags.has(tag);
      });
    if (problem !== undefined) {
      throw new ApiError(400, `Cannot send ${request.msgType}: ${problem.path}: ${problem.why}`);
    }
    let bytes: Uint8Array;
    try {
      bytes = encodeFixObject(dicts, {
        msgType: request.msgType,
        header: PLACEHOLDER_HEADER,
        body: request.fields,
      });
    } catch (err) {
      if (err instanceof FixObjectError) {
        throw new ApiError(400, `Cannot send ${request.msgType}: ${err.message}`);
      }
      throw err;
    }
    return bodyFields(bytes, dicts);
  }
  // raw: exactly one message; the session writes its own header and trailer
  let raw;
  try {
    raw = parseRawFix(request.fix, lengthTags);
  } catch (err) {
    if (err instanceof RawFixError) throw new ApiError(400, err.message);
    throw err;
  }
  const text = (v: Uint8Array) => new TextDecoder().decode(v);
  const expect: [number, string | undefined, string][] = [
    [8, beginString, "BeginString"],
    [49, session?.senderCompId, "SenderCompID"],
    [56, session?.targetCompId, "TargetCompID"],
  ];
  for (const [tag, value] of raw.fields) {
    const want = expect.find(([t]) => t === tag);
    if (want !== undefined && want[1] !== undefined && text(value) !== want[1]) {
      throw new ApiError(
        400,
        `Cannot send raw FIX message: ${want[2]} (${tag}) is "${text(value)}", ` +
          `but this session's is "${want[1]}"`,
      );
    }
  }
  const encoder = new MessageEncoder(beginString);
  encoder.begin(raw.msgType);
  for (const [k, v] of Object.entries(PLACEHOLDER_HEADER)) {
    encoder.field(dicts.transport.field(k)!.tag, v);
  }
  for (const [tag, value] of raw.fields) {
    if (!ALWAYS_HEADER.has(tag) && !dicts.transport.header.has(tag)) encoder.field(tag, value);
  }
  return bodyFields(encoder.finish().slice(), dicts);
}
