/**
 * Turns an application API request (JSON or raw FIX) into the MsgType and body
 * fields a session sends, checked against the session's dictionary first so
 * that a message the dictionary rejects is refused with a 400 and never sent.
 *
 * @module
 */

import { ApiError, type SendRequest } from "../api/server.ts";
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

/** See the module doc. @throws {ApiError} (400) naming what is wrong and where */
export function fixToFields(
  request: SendRequest,
  beginString: string,
  applVerId: string | undefined,
): { msgType: string; fields: Field[] } {
  const dicts = dictionariesFor(beginString, applVerId);
  if (request.kind === "json") {
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
  // raw: `|` or SOH delimited; the session writes its own header and trailer
  const text = request.fix.replaceAll("|", "\u0001");
  const parts = text.split("\u0001").filter((p) => p !== "");
  let msgType: string | undefined;
  const encoder = new MessageEncoder(beginString);
  const body: [number, string][] = [];
  for (const [n, part] of parts.entries()) {
    const eq = part.indexOf("=");
    const tag = Number(part.slice(0, eq));
    if (eq <= 0 || !Number.isInteger(tag) || tag <= 0) {
      throw new ApiError(
        400,
        `Cannot parse raw FIX message: field ${n + 1} "${part}" is not tag=value`,
      );
    }
    if (tag === 35) msgType = part.slice(eq + 1);
    else if (!ALWAYS_HEADER.has(tag)) body.push([tag, part.slice(eq + 1)]);
  }
  if (msgType === undefined) {
    throw new ApiError(400, "Cannot parse raw FIX message: no MsgType (35)");
  }
  encoder.begin(msgType);
  for (const [k, v] of Object.entries(PLACEHOLDER_HEADER)) {
    encoder.field(dicts.transport.field(k)!.tag, v);
  }
  for (const [tag, value] of body) {
    if (!dicts.transport.header.has(tag)) encoder.field(tag, value);
  }
  return bodyFields(encoder.finish().slice(), dicts);
}
