/**
 * Structured messages: a decoded message as a plain object keyed by field name (or tag), with
 * repeating groups as arrays of entry objects, and the way back, from such an object (JSON from
 * the gateway API) to fields in dictionary order.
 *
 * ```json
 * {"ClOrdID": "A1", "Side": "1", "NoPartyIDs": [{"PartyID": "X", "PartyRole": "3"}]}
 * ```
 *
 * Keys are field names or tag numbers (`"11"`); values are strings, numbers or booleans (written
 * as `Y`/`N`); a group's value is an array whose length becomes the NumInGroup count. Encoding
 * checks every value against its type and enums and names the field path at fault, e.g.
 * `NoPartyIDs[0].PartyRole`. A DATA field's LENGTH field is written automatically.
 *
 * @module
 */

import type { MessageEncoder } from "../encoder.ts";
import { MessageEncoder as Encoder } from "../encoder.ts";
import type { FixMessage } from "../message.ts";
import { checkFormat, type TypeCode } from "./_field_types.ts";
import { type Dictionary, type GroupDef, type Layout, Section } from "./dictionary.ts";
import { applicationDictionary, type ValidationDictionaries } from "./validate_message.ts";

/** A value in a structured message: a field value, or a group's entries. */
export type FixObjectValue = string | FixObject[];

/** A structured message section or group entry, as {@linkcode decodeFixObject} returns it. */
export interface FixObject {
  /** A field value, or a group's entries, by field name (or tag). */
  [key: string]: FixObjectValue;
}

/** What {@linkcode encodeFixObject} and {@linkcode writeFixObject} accept (e.g. parsed JSON). */
export type FixObjectInput = { readonly [key: string]: unknown };

/** A message split into header, body and trailer objects. */
export interface DecodedFixObject {
  /** MsgType (35). */
  readonly msgType: string;
  /** Header fields other than BeginString, BodyLength and MsgType. */
  readonly header: FixObject;
  /** Body fields and groups. */
  readonly body: FixObject;
  /** Trailer fields other than CheckSum. */
  readonly trailer: FixObject;
}

/** Options for {@linkcode decodeFixObject}. */
export interface DecodeFixObjectOptions {
  /** Key fields by `name` (default; unknown tags by number) or by `tag` number. */
  readonly keys?: "name" | "tag";
}

/** Most entries one repeating group may have in an encoded object, by default. */
export const DEFAULT_MAX_GROUP_ENTRIES = 10_000;

/** Options for {@linkcode writeFixObject} and {@linkcode encodeFixObject}. */
export interface WriteFixObjectOptions {
  /** Most entries one repeating group may have. Default {@linkcode DEFAULT_MAX_GROUP_ENTRIES}. */
  readonly maxGroupEntries?: number;
  /**
   * Accept keys that are tag numbers the layout does not list (written after the known fields,
   * ascending). Default false: they are an error.
   */
  readonly allowUnknownTags?: boolean;
}

/** Thrown when an object cannot be encoded; `path` names the field, e.g. `NoPartyIDs[0].PartyRole`. */
export class FixObjectError extends TypeError {
  /** Path of the field at fault. */
  readonly path: string;
  /** An error at `path` because `why`. */
  constructor(path: string, why: string) {
    super(`Cannot encode field ${path}: ${why}`);
    this.name = "FixObjectError";
    this.path = path;
  }
}

function asDictionaries(d: Dictionary | ValidationDictionaries): ValidationDictionaries {
  return "transport" in d ? d : { transport: d };
}

/**
 * Turns a decoded message into header, body and trailer objects, splitting repeating groups by
 * the dictionary (the same way validation does). Values are strings; when a tag repeats outside
 * a group the first value is kept.
 */
export function decodeFixObject(
  msg: FixMessage,
  dictionaries: Dictionary | ValidationDictionaries,
  options: DecodeFixObjectOptions = {},
): DecodedFixObject {
  const dicts = asDictionaries(dictionaries);
  const transport = dicts.transport;
  const msgType = msg.msgType;
  const application = applicationDictionary(msg, dicts) ?? dicts.application ?? transport;
  const layout = application.message(msgType);
  const byTag = options.keys === "tag";
  const key = (dict: Dictionary, tag: number) =>
    byTag ? String(tag) : dict.field(tag)?.name ?? String(tag);
  const header: FixObject = {};
  const body: FixObject = {};
  const trailer: FixObject = {};
  const stack: { group: GroupDef; entries: FixObject[]; entry: FixObject | undefined }[] = [];
  for (let i = 0; i < msg.size; i++) {
    const tag = msg.tagAt(i);
    if (i < 3 && (tag === 8 || tag === 9 || tag === 35)) continue;
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      if (tag === top.group.delimiter) {
        top.entry = {};
        top.entries.push(top.entry);
        break;
      }
      if (top.group.has(tag)) {
        const k = key(application, tag);
        if (top.entry === undefined || Object.hasOwn(top.entry, k)) {
          top.entry = {};
          top.entries.push(top.entry);
        }
        break;
      }
      stack.pop();
    }
    const top = stack[stack.length - 1];
    if (top !== undefined) {
      const member = top.group.member(tag)!;
      const k = key(application, tag);
      if (member.kind === "group") {
        const entries: FixObject[] = [];
        top.entry![k] = entries;
        stack.push({ group: member.group, entries, entry: undefined });
      } else {
        top.entry![k] = msg.stringAt(i);
      }
      continue;
    }
    const section = transport.isHeaderTag(tag)
      ? Section.Header
      : transport.isTrailerTag(tag)
      ? Section.Trailer
      : Section.Body;
    if (section === Section.Trailer && tag === 10) continue;
    const dict = section === Section.Body ? application : transport;
    const target = section === Section.Header
      ? header
      : section === Section.Trailer
      ? trailer
      : body;
    const member = section === Section.Header
      ? transport.header.member(tag)
      : section === Section.Trailer
      ? transport.trailer.member(tag)
      : layout?.member(tag);
    const k = key(dict, tag);
    if (Object.hasOwn(target, k)) continue;
    if (member !== undefined && member.kind === "group") {
      const entries: FixObject[] = [];
      target[k] = entries;
      stack.push({ group: member.group, entries, entry: undefined });
    } else {
      target[k] = msg.stringAt(i);
    }
  }
  return { msgType, header, body, trailer };
}

const utf8 = new TextEncoder();
let scratch = new Uint8Array(256);

function valueText(value: unknown, path: string): string {
  if (typeof value === "string") return value;
  if (typeof value === "boolean") return value ? "Y" : "N";
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new FixObjectError(path, `value ${value} is not finite`);
    return String(value);
  }
  if (typeof value === "bigint") return String(value);
  throw new FixObjectError(path, `value must be a string, number or boolean, not ${typeof value}`);
}

function joinPath(prefix: string, key: string): string {
  return prefix === "" ? key : `${prefix}.${key}`;
}

/**
 * Writes the fields of `object` into `encoder` in the order of `layout` (a message, group,
 * header or trailer of `dict`), checking every value's type and enums; groups are written as
 * their count followed by each entry.
 *
 * @throws {FixObjectError} naming the field path at fault
 */
export function writeFixObject(
  encoder: MessageEncoder,
  dict: Dictionary,
  layout: Layout,
  object: FixObjectInput,
  options: WriteFixObjectOptions = {},
  path = "",
  skipTags?: ReadonlySet<number>,
): void {
  if (object === null || typeof object !== "object" || Array.isArray(object)) {
    throw new FixObjectError(path || "<message>", "expected an object of fields");
  }
  // resolve keys to tags and positions in the layout, then write in layout order
  const present = new Set<number>();
  const known: { index: number; tag: number; key: string; value: unknown }[] = [];
  const unknown: { tag: number; key: string; value: unknown }[] = [];
  for (const key in object) {
    const value = object[key];
    const here = joinPath(path, key);
    const tag = isTagKey(key) ? Number(key) : dict.field(key)?.tag;
    if (tag === undefined) {
      throw new FixObjectError(here, `no field of that name in ${dict.version}`);
    }
    if (present.has(tag)) {
      throw new FixObjectError(here, `tag ${tag} is given twice (by name and by number)`);
    }
    present.add(tag);
    if (value === undefined || skipTags?.has(tag)) continue;
    const index = layout.indexOf(tag);
    if (index >= 0) known.push({ index, tag, key, value });
    else unknown.push({ tag, key, value });
  }
  known.sort((a, b) => a.index - b.index);
  for (const { index, tag, key, value } of known) {
    const member = layout.members[index]!;
    const here = joinPath(path, key);
    if (member.kind === "group") {
      writeGroup(encoder, dict, member.group, value, options, here);
      continue;
    }
    const dataTag = dict.lengthTags.get(tag);
    if (dataTag !== undefined && present.has(dataTag) && layout.has(dataTag)) {
      continue; // written with its DATA field
    }
    const lengthTag = dict.dataTags.get(tag);
    if (lengthTag !== undefined && layout.has(lengthTag)) {
      const bytes = value instanceof Uint8Array ? value : utf8.encode(valueText(value, here));
      encoder.dataField(lengthTag, tag, bytes);
      continue;
    }
    encoder.field(tag, checkedValue(dict, tag, value, here));
  }
  if (unknown.length > 0) {
    unknown.sort((a, b) => a.tag - b.tag);
    for (const { tag, key, value } of unknown) {
      const here = joinPath(path, key);
      if (!options.allowUnknownTags || !isTagKey(key)) {
        throw new FixObjectError(here, "field is not defined here by the dictionary");
      }
      encoder.field(tag, valueText(value, here));
    }
  }
}

function isTagKey(key: string): boolean {
  const c = key.charCodeAt(0);
  if (c < 0x31 || c > 0x39 || key.length > 9) return false;
  for (let i = 1; i < key.length; i++) {
    const d = key.charCodeAt(i);
    if (d < 0x30 || d > 0x39) return false;
  }
  return true;
}

function hasTag(object: FixObjectInput, dict: Dictionary, tag: number): boolean {
  if (object[String(tag)] !== undefined) return true;
  const name = dict.field(tag)?.name;
  return name !== undefined && object[name] !== undefined;
}

function checkedValue(dict: Dictionary, tag: number, value: unknown, path: string): string {
  const text = valueText(value, path);
  const code = tag < dict.typeCodes.length ? dict.typeCodes[tag]! : 0;
  if (text.length === 0) throw new FixObjectError(path, "value is empty");
  if (code > 1) {
    if (scratch.length < text.length * 3) scratch = new Uint8Array(text.length * 3);
    const { written } = utf8.encodeInto(text, scratch);
    if (!checkFormat((code - 1) as TypeCode, scratch, 0, written)) {
      throw new FixObjectError(
        path,
        `value "${text}" is not a valid ${dict.field(tag)?.type ?? "value"}`,
      );
    }
  }
  if (!dict.isValidEnum(tag, text)) {
    throw new FixObjectError(
      path,
      `value "${text}" is not one of the values the dictionary allows`,
    );
  }
  return text;
}

function writeGroup(
  encoder: MessageEncoder,
  dict: Dictionary,
  group: GroupDef,
  value: unknown,
  options: WriteFixObjectOptions,
  path: string,
): void {
  if (!Array.isArray(value)) {
    throw new FixObjectError(path, "a repeating group must be an array of entries");
  }
  const max = options.maxGroupEntries ?? DEFAULT_MAX_GROUP_ENTRIES;
  if (value.length > max) {
    throw new FixObjectError(
      path,
      `group has ${value.length} entries, more than the limit of ${max}`,
    );
  }
  encoder.field(group.countTag, value.length);
  for (let i = 0; i < value.length; i++) {
    const entry = value[i] as FixObjectInput;
    const here = `${path}[${i}]`;
    if (entry === null || typeof entry !== "object" || Array.isArray(entry)) {
      throw new FixObjectError(here, "a group entry must be an object");
    }
    if (!hasTag(entry, dict, group.delimiter)) {
      const name = dict.field(group.delimiter)?.name ?? String(group.delimiter);
      throw new FixObjectError(
        `${here}.${name}`,
        "every group entry must have the group's first field",
      );
    }
    writeFixObject(encoder, dict, group, entry, options, here);
  }
}

/** A structured message to encode. */
export interface FixObjectMessage {
  /** MsgType (35). */
  readonly msgType: string;
  /** Header fields (SenderCompID, MsgSeqNum, SendingTime, …); 8, 9 and 35 are written anyway. */
  readonly header?: FixObjectInput;
  /** Body fields and groups. */
  readonly body: FixObjectInput;
  /** Trailer fields other than CheckSum. */
  readonly trailer?: FixObjectInput;
}

const HEADER_SKIP = new Set([8, 9, 35]);
const TRAILER_SKIP = new Set([10]);

/**
 * Encodes a whole message from objects: header in header order, body in the message type's order,
 * trailer; BeginString, BodyLength and CheckSum are computed. For FIXT.1.1 pass
 * `{transport, application}`; the body is written with the application dictionary (the one of
 * the header's ApplVerID when it has one).
 *
 * @throws {FixObjectError} naming the field path at fault, or the MsgType when it is unknown
 */
export function encodeFixObject(
  dictionaries: Dictionary | ValidationDictionaries,
  message: FixObjectMessage,
  options: WriteFixObjectOptions = {},
): Uint8Array {
  const dicts = asDictionaries(dictionaries);
  const transport = dicts.transport;
  let application = dicts.application ?? transport;
  if (transport.type === "FIXT" && transport.isAdminMessage(message.msgType)) {
    application = transport;
  } else if (transport.type === "FIXT" && message.header !== undefined) {
    const applVerID = message.header["ApplVerID"] ?? message.header["1128"];
    if (applVerID !== undefined) {
      const resolved = applicationDictionary(undefined, dicts, String(applVerID));
      if (resolved === undefined) {
        throw new FixObjectError("ApplVerID", `unsupported ApplVerID "${applVerID}"`);
      }
      application = resolved;
    }
  }
  const layout = application.message(message.msgType);
  if (layout === undefined) {
    throw new FixObjectError(
      "MsgType",
      `${message.msgType} is not a message type of ${application.version}`,
    );
  }
  const encoder = new Encoder(transport.beginString);
  encoder.begin(message.msgType);
  if (message.header) {
    writeFixObject(encoder, transport, transport.header, message.header, options, "", HEADER_SKIP);
  }
  writeFixObject(encoder, application, layout, message.body, options);
  if (message.trailer) {
    writeFixObject(
      encoder,
      transport,
      transport.trailer,
      message.trailer,
      options,
      "",
      TRAILER_SKIP,
    );
  }
  return encoder.finish();
}
