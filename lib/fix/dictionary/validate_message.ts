/**
 * Validation of a decoded message against its dictionaries, yielding the SessionRejectReason (373)
 * and the tag at fault.
 *
 * The order of checks is QuickFIX C++'s `DataDictionary::validate`, because the QuickFIX
 * acceptance suite asserts which reason and tag come back when a message has a fault:
 *
 * 1. structure, while splitting the message into header, body, trailer and repeating-group
 *    entries: a header field after a body or trailer field, or a body field after a trailer field,
 *    is "out of required order" (14, when `checkFieldsOutOfOrder`); a group entry that does not
 *    start with the group's delimiter, or whose fields do not follow the group's definition order,
 *    is "repeating group fields out of order" (15, RefTagID the first field out of place);
 * 2. MsgType defined by the application dictionary, else 11;
 * 3. required fields (when `checkRequiredFields`): header, trailer, body in ascending tag order,
 *    then each group entry's (1);
 * 4. every field, each through: appears more than once (13), has a value (4, when
 *    `checkFieldsHaveValues`; when not, an empty value still has to pass the next two checks, as
 *    in QuickFIX), format of its type (6), value among its enums (5), then, unless skipped by
 *    `allowUnknownMessageFields` (tags below 5000) or `checkUserDefinedFields` (tags 5000 and
 *    above): defined by the dictionary (0), defined for this message type (2, body fields outside
 *    groups), and for a NumInGroup field, the count equals the number of entries (16). Fields are
 *    taken in the order QuickFIX takes them, because it sorts a message's fields before
 *    validating: the header (transport dictionary) as 8, 9, 35 then ascending tags, the trailer
 *    ascending with CheckSum last, then the body (application dictionary) in ascending tag order;
 *    a NumInGroup field is followed by its entries' fields in wire order.
 *
 * Performance: a valid message takes one pass (`_validate_fast.ts`) over its fields, with
 * per-message-type and per-group tables indexed by tag (membership, member index, required,
 * group) built once per layout, required fields counted on the way, no allocation. Any doubt in
 * that pass hands the message to the checks described here: one pass that splits the message and
 * runs every field check in wire order and, only when a field is faulty, a second in QuickFIX's
 * order, to report the same fault QuickFIX would.
 *
 * Group entries are split the way QuickFIX splits them: the delimiter starts a new entry, so does
 * a member tag that the current entry already holds; the first tag that is not a member ends the
 * group. Unlike QuickFIX C++, fields inside group entries get the same value checks as other
 * fields and nested group counts are checked.
 *
 * FIXT.1.1: the transport dictionary (FIXT11) checks header and trailer and, for admin messages,
 * the body; application messages' bodies are checked by the dictionary of ApplVerID (1128) when the
 * header has one, else by the session's default application dictionary.
 *
 * Reason 3 ("Undefined tag") is never returned: like QuickFIX, a tag the dictionary does not
 * define is reported as 0 ("Invalid tag number").
 *
 * @module
 */

import { bytesToString, type FixMessage } from "../message.ts";
import { checkFormat, TypeCode } from "./_field_types.ts";
import {
  type Dictionary,
  type EnumCheck,
  type GroupDef,
  type GroupMember,
  type Layout,
  type MessageDef,
  packBytes,
  Section,
} from "./dictionary.ts";
import { applVerIdToVersion, builtinDictionary } from "./builtin_dictionary.ts";
import { isPlainlyValid } from "./_validate_fast.ts";

/** SessionRejectReason (373) values. */
export const SessionRejectReason = {
  InvalidTagNumber: 0,
  RequiredTagMissing: 1,
  TagNotDefinedForMessageType: 2,
  UndefinedTag: 3,
  TagSpecifiedWithoutValue: 4,
  ValueIsIncorrect: 5,
  IncorrectDataFormat: 6,
  DecryptionProblem: 7,
  SignatureProblem: 8,
  CompIdProblem: 9,
  SendingTimeAccuracyProblem: 10,
  InvalidMsgType: 11,
  XmlValidationError: 12,
  TagAppearsMoreThanOnce: 13,
  TagSpecifiedOutOfRequiredOrder: 14,
  RepeatingGroupFieldsOutOfOrder: 15,
  IncorrectNumInGroupCount: 16,
  NonDataValueIncludesFieldDelimiter: 17,
  InvalidApplVerId: 18,
  Other: 99,
} as const;

/** The Text (58) QuickFIX sends with each SessionRejectReason. */
export const SESSION_REJECT_REASON_TEXT: Readonly<Record<number, string>> = {
  0: "Invalid tag number",
  1: "Required tag missing",
  2: "Tag not defined for this message type",
  3: "Undefined Tag",
  4: "Tag specified without a value",
  5: "Value is incorrect (out of range) for this tag",
  6: "Incorrect data format for value",
  7: "Decryption problem",
  8: "Signature problem",
  9: "CompID problem",
  10: "SendingTime accuracy problem",
  11: "Invalid MsgType",
  12: "XML Validation error",
  13: "Tag appears more than once",
  14: "Tag specified out of required order",
  15: "Repeating group fields out of order",
  16: "Incorrect NumInGroup count for repeating group",
  17: "Non Data value includes field delimiter (SOH character)",
  18: "Invalid/Unsupported Application Version",
  99: "Other",
};

/** Why a message is invalid: SessionRejectReason (373), the tag at fault (371), a Text (58). */
export interface ValidationIssue {
  /** SessionRejectReason (373), see {@linkcode SessionRejectReason}. */
  readonly reason: number;
  /** The tag at fault, for RefTagID (371); absent for an invalid MsgType. */
  readonly tag?: number;
  /** QuickFIX's text for the reason, for Text (58). */
  readonly text: string;
}

/** Validation switches, named and defaulted like QuickFIX's session settings. */
export interface ValidationOptions {
  /** CheckFieldsOutOfOrder: reject header/body/trailer fields out of order (14). Default true. */
  readonly checkFieldsOutOfOrder: boolean;
  /** CheckFieldsHaveValues / ValidateFieldsHaveValues: reject empty values (4). Default true. */
  readonly checkFieldsHaveValues: boolean;
  /** CheckUserDefinedFields / ValidateUserDefinedFields: check tags ≥ 5000. Default true. */
  readonly checkUserDefinedFields: boolean;
  /** AllowUnknownMsgFields: skip tag checks for tags < 5000 (0 and 2). Default false. */
  readonly allowUnknownMessageFields: boolean;
  /** Reject messages missing required fields (1). Default true. */
  readonly checkRequiredFields: boolean;
}

/** QuickFIX's defaults. */
export const DEFAULT_VALIDATION_OPTIONS: ValidationOptions = {
  checkFieldsOutOfOrder: true,
  checkFieldsHaveValues: true,
  checkUserDefinedFields: true,
  allowUnknownMessageFields: false,
  checkRequiredFields: true,
};

/** The dictionaries a session validates with. */
export interface ValidationDictionaries {
  /** The session dictionary: FIXT.1.1 for FIX 5 sessions, else the version's dictionary. */
  readonly transport: Dictionary;
  /**
   * The application dictionary: the session's DefaultApplVerID for FIXT.1.1; defaults to
   * `transport` otherwise.
   */
  readonly application?: Dictionary;
  /**
   * Resolves an ApplVerID (1128) value to a dictionary (FIXT.1.1 only). By default: `application`
   * when it is of that version, else the built-in dictionary ("7" → FIX.5.0 … "9" → FIX.5.0SP2).
   */
  readonly applicationFor?: (applVerID: string) => Dictionary | undefined;
}

/** Tags at and above this are user-defined. */
export const USER_DEFINED_TAG_MIN = 5000;

function issue(reason: number, tag?: number): ValidationIssue {
  const text = SESSION_REJECT_REASON_TEXT[reason] ?? "Other";
  return tag === undefined ? { reason, text } : { reason, tag, text };
}

// ---- scratch state, reused by every call (validation is synchronous) ----

const SEEN_LIMIT = 1 << 16;
const topSeen = new Uint32Array(SEEN_LIMIT);
const entrySeen = new Uint32Array(SEEN_LIMIT);
const bigTopSeen = new Map<number, number>();
const bigEntrySeen = new Map<number, number>();
let generation = 0;

function nextGeneration(): number {
  if (generation >= 0xfffffff0) {
    topSeen.fill(0);
    entrySeen.fill(0);
    bigTopSeen.clear();
    bigEntrySeen.clear();
    generation = 0;
  }
  return ++generation;
}

/** Marks `tag` seen in generation `gen`; returns whether it already was. */
function mark(small: Uint32Array, big: Map<number, number>, tag: number, gen: number): boolean {
  if (tag < SEEN_LIMIT) {
    if (small[tag] === gen) return true;
    small[tag] = gen;
    return false;
  }
  if (big.get(tag) === gen) return true;
  big.set(tag, gen);
  return false;
}

function seen(small: Uint32Array, big: Map<number, number>, tag: number, gen: number): boolean {
  return tag < SEEN_LIMIT ? small[tag] === gen : big.get(tag) === gen;
}

const REPEATED = 1;
const IN_GROUP = 2;
const MEMBER = 4;
const GROUP = 8;

let secs = new Uint8Array(128);
let flags = new Uint8Array(128);
let counts = new Int32Array(128);
let tags = new Int32Array(128);
// for a NumInGroup field: index just past the last field of its group
let groupEnds = new Int32Array(128);
// field indices in QuickFIX's order of checks (see orderFields)
let order = new Int32Array(128);
// the other of two arrays that take turns as `order` (when groups are expanded into it)
let expandedOrder = new Int32Array(128);
let anyGroup = false;
let headerCount = 0;
let bodyCount = 0;
let trailerCount = 0;

// group stack
const stackGroup: GroupDef[] = [];
const stackCountIndex: number[] = [];
const stackEntries: number[] = [];
const stackEntryGen: number[] = [];
const stackSection: number[] = [];
const stackDeclared: number[] = [];
// index (in the group's definition order) of the last member seen in the current entry
const stackLastMember: number[] = [];

// results of the structure pass
let outOfOrderTag = -1;
let groupOrderTag = -1;
let groupRequiredTag = -1;
let topGen = 0;
// whether some field failed a check (in wire order), or some group count is wrong
let fieldFault = false;
let countFault = false;

function closeEntry(d: number): void {
  const gen = stackEntryGen[d]!;
  if (gen === 0 || groupRequiredTag >= 0) return;
  const required = stackGroup[d]!.required;
  for (let r = 0; r < required.length; r++) {
    const tag = required[r]!;
    if (!seen(entrySeen, bigEntrySeen, tag, gen)) {
      groupRequiredTag = tag;
      return;
    }
  }
}

function openEntry(d: number): void {
  closeEntry(d);
  stackEntries[d] = stackEntries[d]! + 1;
  stackEntryGen[d] = nextGeneration();
  stackLastMember[d] = -1;
}

function pop(depth: number, end: number): number {
  const d = depth - 1;
  closeEntry(d);
  const countIndex = stackCountIndex[d]!;
  const entries = stackEntries[d]!;
  counts[countIndex] = entries;
  groupEnds[countIndex] = end;
  if (entries !== stackDeclared[d]) countFault = true;
  return d;
}

function push(
  depth: number,
  group: GroupDef,
  countIndex: number,
  section: number,
  declared: number,
): number {
  stackGroup[depth] = group;
  stackDeclared[depth] = declared;
  stackCountIndex[depth] = countIndex;
  stackEntries[depth] = 0;
  stackEntryGen[depth] = 0;
  stackLastMember[depth] = -1;
  stackSection[depth] = section;
  counts[countIndex] = 0;
  anyGroup = true;
  return depth + 1;
}

/** Splits the message into sections and group entries; records structure faults. */
function structure(
  msg: FixMessage,
  transport: Dictionary,
  application: Dictionary,
  body: MessageDef | undefined,
  o: ValidationOptions,
): void {
  const n = msg.size;
  if (secs.length < n) {
    const size = Math.max(n, secs.length * 2);
    secs = new Uint8Array(size);
    flags = new Uint8Array(size);
    counts = new Int32Array(size);
    tags = new Int32Array(size);
    groupEnds = new Int32Array(size);
    order = new Int32Array(size);
    expandedOrder = new Int32Array(size);
  }
  groupRequiredTag = -1;
  anyGroup = false;
  countFault = false;
  topGen = nextGeneration();
  // module-level bindings copied to locals: V8 checks `let` bindings on every access
  const gen = topGen;
  const seenTop = topSeen;
  const tagsL = tags;
  const flagsL = flags;
  const secsL = secs;
  let outOfOrder = -1;
  let groupOrder = -1;
  let faulty = false;
  const sections = transport.sections;
  const sectionsLength = sections.length;
  let current: number = Section.Header;
  let depth = 0;
  for (let i = 0; i < n; i++) {
    const tag = msg.tagAt(i);
    tagsL[i] = tag;
    if (i < 3) {
      if (tag !== (i === 0 ? 8 : i === 1 ? 9 : 35) && outOfOrder < 0) outOfOrder = tag;
      secsL[i] = Section.Header;
      const f = mark(seenTop, bigTopSeen, tag, gen) ? REPEATED : 0;
      flagsL[i] = f;
      if (!faulty) faulty = checkField(msg, i, tag, f, transport, false, o) >= 0;
      continue;
    }
    let index = -1;
    while (depth > 0) {
      const d = depth - 1;
      const group = stackGroup[d]!;
      index = group.indexOf(tag);
      if (tag === group.delimiter) {
        openEntry(d);
        break;
      }
      if (index >= 0) {
        const entryGen = stackEntryGen[d]!;
        if (entryGen === 0 || seen(entrySeen, bigEntrySeen, tag, entryGen)) {
          openEntry(d);
          if (groupOrder < 0) groupOrder = tag;
        } else if (index < stackLastMember[d]! && groupOrder < 0) {
          // inside an entry, fields follow the group's definition order (FIX: reason 15)
          groupOrder = tag;
        }
        break;
      }
      depth = pop(depth, i);
    }
    if (depth > 0) {
      const d = depth - 1;
      const group = stackGroup[d]!;
      const section = stackSection[d]!;
      secsL[i] = section;
      mark(entrySeen, bigEntrySeen, tag, stackEntryGen[d]!);
      stackLastMember[d] = index;
      let f = IN_GROUP | MEMBER;
      if (group.groupFlags[index] === 1) {
        f |= GROUP;
        const member = group.members[index] as GroupMember;
        depth = push(depth, member.group, i, section, msg.intAt(i));
      }
      flagsL[i] = f;
      if (!faulty) {
        const isBody = section === Section.Body;
        faulty = checkField(msg, i, tag, f, isBody ? application : transport, isBody, o) >= 0;
      }
      continue;
    }
    const section = tag < sectionsLength ? sections[tag]! : Section.Body;
    let layout: Layout | undefined;
    if (section === Section.Header) {
      if (current !== Section.Header && outOfOrder < 0) outOfOrder = tag;
      layout = transport.header;
    } else if (section === Section.Trailer) {
      current = Section.Trailer;
      layout = transport.trailer;
    } else {
      if (current === Section.Trailer && outOfOrder < 0) outOfOrder = tag;
      current = Section.Body;
      layout = body;
    }
    secsL[i] = section;
    let f = mark(seenTop, bigTopSeen, tag, gen) ? REPEATED : 0;
    index = layout === undefined ? -1 : layout.indexOf(tag);
    if (index >= 0) {
      f |= MEMBER;
      if (layout!.groupFlags[index] === 1) {
        f |= GROUP;
        const member = layout!.members[index] as GroupMember;
        depth = push(depth, member.group, i, section, msg.intAt(i));
      }
    }
    flagsL[i] = f;
    if (!faulty) {
      const isBody = section === Section.Body;
      faulty = checkField(msg, i, tag, f, isBody ? application : transport, isBody, o) >= 0;
    }
  }
  while (depth > 0) depth = pop(depth, n);
  outOfOrderTag = outOfOrder;
  groupOrderTag = groupOrder;
  fieldFault = faulty;
}

/**
 * Lists the fields in the order QuickFIX checks them (header, trailer, body; each sorted as
 * QuickFIX sorts it, every NumInGroup field followed by its group's fields in wire order) into
 * `order`, with `headerCount`, `trailerCount` and `bodyCount`.
 */
function orderFields(n: number): void {
  const flagsL = flags;
  const secsL = secs;
  const tagsL = tags;
  // top-level fields by section: header, then trailer, then body
  let headers = 0;
  let trailers = 0;
  let bodies = 0;
  for (let i = 0; i < n; i++) {
    if ((flagsL[i]! & IN_GROUP) !== 0) continue;
    const s = secsL[i]!;
    if (s === Section.Header) headers++;
    else if (s === Section.Trailer) trailers++;
    else bodies++;
  }
  headerCount = headers;
  trailerCount = trailers;
  bodyCount = bodies;
  const orderL = order;
  let h = 0;
  let t = headers;
  let b = headers + trailers;
  for (let i = 0; i < n; i++) {
    if ((flagsL[i]! & IN_GROUP) !== 0) continue;
    const s = secsL[i]!;
    if (s === Section.Header) orderL[h++] = i;
    else if (s === Section.Trailer) orderL[t++] = i;
    else orderL[b++] = i;
  }
  sortRange(orderL, tagsL, 0, headers, HEADER);
  sortRange(orderL, tagsL, headers, headers + trailers, TRAILER);
  sortRange(orderL, tagsL, headers + trailers, headers + trailers + bodies, BODY);
  if (!anyGroup) return;
  // follow every NumInGroup field with the fields of its entries, in wire order
  const expanded = expandedOrder;
  const afterHeader = expand(orderL, expanded, 0, headers, 0);
  const afterTrailer = expand(orderL, expanded, headers, headers + trailers, afterHeader);
  const total = expand(
    orderL,
    expanded,
    headers + trailers,
    headers + trailers + bodies,
    afterTrailer,
  );
  headerCount = afterHeader;
  trailerCount = afterTrailer - afterHeader;
  bodyCount = total - afterTrailer;
  order = expanded;
  expandedOrder = orderL;
}

/** Copies `orderL[from, to)` to `expanded` from `out`, each NumInGroup followed by its group. */
function expand(
  orderL: Int32Array,
  expanded: Int32Array,
  from: number,
  to: number,
  out: number,
): number {
  const flagsL = flags;
  const groupEndsL = groupEnds;
  for (let k = from; k < to; k++) {
    const i = orderL[k]!;
    expanded[out++] = i;
    if ((flagsL[i]! & GROUP) !== 0) {
      const end = groupEndsL[i]!;
      for (let j = i + 1; j < end; j++) expanded[out++] = j;
    }
  }
  return out;
}

// QuickFIX sorts a decoded message's fields before validating them: the header as 8, 9, 35,
// then ascending tags; the trailer ascending with CheckSum last; the body ascending.
const HEADER = 0;
const TRAILER = 1;
const BODY = 2;

function rank(tag: number, section: number): number {
  if (section === HEADER) return tag === 8 ? -3 : tag === 9 ? -2 : tag === 35 ? -1 : tag;
  if (section === TRAILER) return tag === 10 ? 0x7fffffff : tag;
  return tag;
}

/** Stable insertion sort of `order[from, to)` by the rank of each field's tag. */
function sortRange(
  orderL: Int32Array,
  tagsL: Int32Array,
  from: number,
  to: number,
  section: number,
): void {
  for (let k = from + 1; k < to; k++) {
    const i = orderL[k]!;
    const r = rank(tagsL[i]!, section);
    let j = k - 1;
    while (j >= from && rank(tagsL[orderL[j]!]!, section) > r) {
      orderL[j + 1] = orderL[j]!;
      j--;
    }
    orderL[j + 1] = i;
  }
}

function enumOk(check: EnumCheck, b: Uint8Array, start: number, end: number): boolean {
  if (!check.multiple) return tokenOk(check, b, start, end);
  let p = start;
  for (;;) {
    let q = p;
    while (q < end && b[q] !== 0x20) q++;
    if (!tokenOk(check, b, p, q)) return false;
    if (q >= end) return true;
    p = q + 1;
  }
}

function tokenOk(check: EnumCheck, b: Uint8Array, start: number, end: number): boolean {
  const single = check.single;
  if (single !== undefined) {
    return end - start === 1 && single[b[start]! & 0x7f] === 1 && b[start]! < 0x80;
  }
  const packed = check.packed;
  if (packed !== undefined) {
    const k = packBytes(b, start, end);
    return k >= 0 && packed.has(k);
  }
  return check.values.has(bytesToString(b, start, end));
}

/**
 * Checks one field's value and tag: appears more than once (13), has a value (4), format (6),
 * enum (5), defined (0), defined for the message type (2). Returns the reason, or -1.
 */
function checkField(
  msg: FixMessage,
  i: number,
  tag: number,
  f: number,
  dict: Dictionary,
  isBody: boolean,
  o: ValidationOptions,
): number {
  if ((f & REPEATED) !== 0) return SessionRejectReason.TagAppearsMoreThanOnce;
  const start = msg.valueStartAt(i);
  const end = msg.valueEndAt(i);
  // like QuickFIX, an empty value that is allowed (checkFieldsHaveValues off) still goes
  // through the format and enum checks: empty is a fine STRING but not an INT or an enum
  if (start === end && o.checkFieldsHaveValues) {
    return SessionRejectReason.TagSpecifiedWithoutValue;
  }
  const typeCodes = dict.typeCodes;
  const code = tag < typeCodes.length ? typeCodes[tag]! : 0;
  const bytes = msg.bytes;
  // the commonest types inline, the rest through checkFormat
  if (code === TypeCode.Char + 1) {
    if (end - start !== 1) return SessionRejectReason.IncorrectDataFormat;
  } else if (code > 1 && !checkFormat((code - 1) as TypeCode, bytes, start, end)) {
    return SessionRejectReason.IncorrectDataFormat;
  }
  const check = dict.enumChecks[tag];
  if (check !== undefined) {
    const single = check.single;
    const ok = single !== undefined
      ? end - start === 1 && bytes[start]! < 0x80 && single[bytes[start]!] === 1
      : enumOk(check, bytes, start, end);
    if (!ok) return SessionRejectReason.ValueIsIncorrect;
  }
  if (tag < USER_DEFINED_TAG_MIN ? !o.allowUnknownMessageFields : o.checkUserDefinedFields) {
    if (code === 0) return SessionRejectReason.InvalidTagNumber;
    if (isBody && (f & MEMBER) === 0) return SessionRejectReason.TagNotDefinedForMessageType;
  }
  return -1;
}

/** Checks the fields at `order[from, to)` one by one, in that order. */
function iterate(
  msg: FixMessage,
  dict: Dictionary,
  from: number,
  to: number,
  isBody: boolean,
  o: ValidationOptions,
): ValidationIssue | undefined {
  const orderL = order;
  const tagsL = tags;
  const flagsL = flags;
  const countsL = counts;
  for (let k = from; k < to; k++) {
    const i = orderL[k]!;
    const tag = tagsL[i]!;
    const f = flagsL[i]!;
    const reason = checkField(msg, i, tag, f, dict, isBody, o);
    if (reason >= 0) return issue(reason, tag);
    // QuickFIX skips the count check with the tag checks; it is kept here whatever the switches,
    // because a wrong count means the groups were not read as the sender meant.
    if ((f & GROUP) !== 0 && msg.intAt(i) !== countsL[i]) {
      return issue(SessionRejectReason.IncorrectNumInGroupCount, tag);
    }
  }
  return undefined;
}

// a complete options object is used as it is (no allocation per message)
function isComplete(options: Partial<ValidationOptions>): options is ValidationOptions {
  return options === DEFAULT_VALIDATION_OPTIONS ||
    (options.checkFieldsOutOfOrder !== undefined && options.checkFieldsHaveValues !== undefined &&
      options.checkUserDefinedFields !== undefined &&
      options.allowUnknownMessageFields !== undefined &&
      options.checkRequiredFields !== undefined);
}

function missingRequired(required: readonly number[]): number | undefined {
  for (let r = 0; r < required.length; r++) {
    const tag = required[r]!;
    if (!seen(topSeen, bigTopSeen, tag, topGen)) return tag;
  }
  return undefined;
}

/**
 * The dictionary that defines the body of `msg`: for FIXT.1.1 admin messages the transport
 * dictionary, for FIXT.1.1 application messages the one of `applVerID` or of the header's
 * ApplVerID (1128), else the default application dictionary; for other versions the application
 * dictionary or, when none is given, the transport one. Undefined when the ApplVerID is not
 * supported.
 */
export function applicationDictionary(
  msg: FixMessage | undefined,
  dictionaries: ValidationDictionaries,
  applVerID?: string,
): Dictionary | undefined {
  const transport = dictionaries.transport;
  const fallback = dictionaries.application ?? transport;
  if (transport.type !== "FIXT") return fallback;
  if (msg !== undefined && transport.isAdminMessage(msg.msgType)) return transport;
  let id = applVerID;
  if (id === undefined && msg !== undefined) {
    const i = msg.indexOf(1128);
    if (i >= 0) id = msg.stringAt(i);
  }
  if (id === undefined) return fallback;
  if (dictionaries.applicationFor !== undefined) return dictionaries.applicationFor(id);
  const version = applVerIdToVersion(id);
  if (version === undefined) return undefined;
  // a custom application dictionary of the same version wins over the built-in one
  return fallback.version === version ? fallback : builtinDictionary(version);
}

/**
 * Validates a decoded message; returns the first fault found (in QuickFIX's order, see the
 * module doc) or undefined when the message is valid.
 *
 * Framing (BodyLength, CheckSum, BeginString value) is the framer's and the session's concern,
 * not checked here.
 *
 * @example
 * ```ts
 * import { decodeMessage } from "../message.ts";
 * import { builtinDictionary } from "./builtin_dictionary.ts";
 * import { validateMessage } from "./validate_message.ts";
 * const fix44 = builtinDictionary("FIX.4.4");
 * const msg = decodeMessage(new TextEncoder().encode(
 *   "8=FIX.4.4\x019=5\x0135=0\x0134=2\x0149=A\x0152=20261124-10:00:00\x0156=B\x0155=X\x0110=000\x01"));
 * validateMessage(msg, { transport: fix44 }); // { reason: 2, tag: 55, text: "Tag not defined…" }
 * ```
 */
export function validateMessage(
  msg: FixMessage,
  dictionaries: ValidationDictionaries,
  options: Partial<ValidationOptions> = DEFAULT_VALIDATION_OPTIONS,
): ValidationIssue | undefined {
  return validate(msg, dictionaries, options, true);
}

/**
 * {@linkcode validateMessage} without its fast path: every message through the full checks.
 * For the tests that hold the fast path to the same answers. @internal
 */
export function validateMessageFully(
  msg: FixMessage,
  dictionaries: ValidationDictionaries,
  options: Partial<ValidationOptions> = DEFAULT_VALIDATION_OPTIONS,
): ValidationIssue | undefined {
  return validate(msg, dictionaries, options, false);
}

function validate(
  msg: FixMessage,
  dictionaries: ValidationDictionaries,
  options: Partial<ValidationOptions>,
  fast: boolean,
): ValidationIssue | undefined {
  const o = isComplete(options) ? options : { ...DEFAULT_VALIDATION_OPTIONS, ...options };
  const transport = dictionaries.transport;
  const msgType = msg.msgType;
  const application = applicationDictionary(msg, dictionaries);
  if (application === undefined) return issue(SessionRejectReason.InvalidApplVerId, 1128);
  const body = application.message(msgType);
  // most messages are valid: one pass with per-layout tables says so, or hands over to the
  // checks below, which find the fault and report it as QuickFIX would
  if (fast && body !== undefined && isPlainlyValid(msg, transport, application, body)) {
    return undefined;
  }
  structure(msg, transport, application, body, o);
  if (o.checkFieldsOutOfOrder && outOfOrderTag >= 0) {
    return issue(SessionRejectReason.TagSpecifiedOutOfRequiredOrder, outOfOrderTag);
  }
  if (groupOrderTag >= 0) {
    return issue(SessionRejectReason.RepeatingGroupFieldsOutOfOrder, groupOrderTag);
  }
  if (body === undefined) return issue(SessionRejectReason.InvalidMsgType);
  if (o.checkRequiredFields) {
    const missing = missingRequired(transport.header.required) ??
      missingRequired(transport.trailer.required) ?? missingRequired(body.required);
    if (missing !== undefined) return issue(SessionRejectReason.RequiredTagMissing, missing);
    if (groupRequiredTag >= 0) {
      return issue(SessionRejectReason.RequiredTagMissing, groupRequiredTag);
    }
  }
  // The fields were checked in wire order by the structure pass; a valid message passes every
  // check in any order, so only when one failed are they checked again in QuickFIX's order, to
  // report the fault QuickFIX would.
  if (!fieldFault && !countFault) return undefined;
  orderFields(msg.size);
  const afterHeader = headerCount;
  const afterTrailer = headerCount + trailerCount;
  return iterate(msg, transport, 0, afterHeader, false, o) ??
    iterate(msg, transport, afterHeader, afterTrailer, false, o) ??
    iterate(msg, application, afterTrailer, afterTrailer + bodyCount, true, o);
}

/** A validator bound to a session's dictionaries and switches; see {@linkcode createMessageValidator}. */
export type BoundValidator = (
  message: FixMessage,
  context?: { readonly applVerId?: string | undefined },
) => ValidationIssue | undefined;

/**
 * Binds {@linkcode validateMessage} to a session's dictionaries and switches, in the shape the
 * session layer calls (`MessageValidator` in `lib/session/session.ts`). For FIXT.1.1 sessions
 * `context.applVerId` (the session's DefaultApplVerID, e.g. from Logon's 1137) picks the default
 * application dictionary; a message's own ApplVerID (1128) still wins. An unsupported
 * `applVerId` gives reason 18 on application messages.
 */
export function createMessageValidator(
  dictionaries: ValidationDictionaries,
  options: Partial<ValidationOptions> = {},
): BoundValidator {
  const o: ValidationOptions = { ...DEFAULT_VALIDATION_OPTIONS, ...options };
  const byApplVerId = new Map<string, ValidationDictionaries | undefined>();
  return (message, context) => {
    const id = context?.applVerId;
    if (id === undefined || dictionaries.transport.type !== "FIXT") {
      return validateMessage(message, dictionaries, o);
    }
    let bound = byApplVerId.get(id);
    if (bound === undefined && !byApplVerId.has(id)) {
      const application = applicationDictionary(undefined, dictionaries, id);
      bound = application === undefined ? undefined : { ...dictionaries, application };
      byApplVerId.set(id, bound);
    }
    if (bound === undefined) {
      if (dictionaries.transport.isAdminMessage(message.msgType)) {
        return validateMessage(message, dictionaries, o);
      }
      return issue(SessionRejectReason.InvalidApplVerId, 1128);
    }
    return validateMessage(message, bound, o);
  };
}
