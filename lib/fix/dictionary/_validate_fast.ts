/**
 * The fast path of validation: one pass over a decoded message that answers "valid" or "look
 * closer", never a reason.
 *
 * {@linkcode isPlainlyValid} returns true only when `validateMessage()` would find no fault: every
 * field defined for where it stands, none repeated, none empty, header before body before
 * trailer, 8, 9, 35 first, each group entry starting with its delimiter with its fields in the
 * group's definition order, every group count right, every required field present, every value of
 * its type and among its enums. On anything else, whatever the validation switches say about it,
 * it returns false and `validateMessage()` runs its full checks, which find the reason in
 * QuickFIX's order (or find the message valid after all, when a switch allows what this pass
 * refused). So this file decides nothing about which reason is reported; it only has to be
 * sound: true ⇒ valid.
 *
 * What makes it fast: the look-ups are per-layout tables indexed by tag, built once per message
 * type and group ({@linkcode Layout.memberTable}), each giving membership, member index, required
 * and group in one number; required fields are counted rather than looked up afterwards (member
 * indices inside an entry must strictly increase, so none is counted twice); top-level repeats are
 * found with a generation-stamped table; nothing is allocated.
 *
 * @module
 */

import type { FixMessage } from "../message.ts";
import { checkFormat, TypeCode } from "./_field_types.ts";
import {
  type Dictionary,
  type EnumCheck,
  type GroupDef,
  type GroupMember,
  type Layout,
  MEMBER_GROUP,
  MEMBER_INDEX_SHIFT,
  MEMBER_REQUIRED,
  type MessageDef,
  packBytes,
  Section,
} from "./dictionary.ts";

// generation-stamped "seen at top level" table; tags at or above its size are left to the full
// checks
const SEEN_TAG_LIMIT = 1 << 16;
const topSeen = new Uint32Array(SEEN_TAG_LIMIT);
let generation = 0;

// group stack; deeper nesting is left to the full checks
const MAX_DEPTH = 16;
const stackLayout: Layout[] = [];
const stackTable: Int32Array[] = [];
const stackLast = new Int32Array(MAX_DEPTH);
const stackEntries = new Int32Array(MAX_DEPTH);
const stackDeclared = new Float64Array(MAX_DEPTH);
const stackRequiredSeen = new Int32Array(MAX_DEPTH);
const stackRequiredTotal = new Int32Array(MAX_DEPTH);
const stackBody = new Uint8Array(MAX_DEPTH);

/**
 * Whether `msg` is valid beyond doubt (see the module doc); false means "run the full checks".
 * `body` is the application dictionary's definition of the message type.
 */
export function isPlainlyValid(
  msg: FixMessage,
  transport: Dictionary,
  application: Dictionary,
  body: MessageDef,
): boolean {
  if (generation >= 0xfffffff0) {
    topSeen.fill(0);
    generation = 0;
  }
  const gen = ++generation;
  const seen = topSeen;
  const bytes = msg.bytes;
  const n = msg.size;
  const sections = transport.sections;
  const header = transport.header;
  const trailer = transport.trailer;
  const headerTable = header.memberTable();
  const trailerTable = trailer.memberTable();
  const bodyTable = body.memberTable();
  const requiredTotal = header.required.length + trailer.required.length + body.required.length;
  let requiredSeen = 0;
  let current: number = Section.Header;
  let depth = 0;
  for (let i = 0; i < n; i++) {
    const tag = msg.tagAt(i);
    const start = msg.valueStartAt(i);
    const end = msg.valueEndAt(i);
    if (start === end) return false;
    if (i < 3 && tag !== (i === 0 ? 8 : i === 1 ? 9 : 35)) return false;
    let member = 0;
    while (depth > 0) {
      const d = depth - 1;
      const table = stackTable[d]!;
      member = tag < table.length ? table[tag]! : stackLayout[d]!.memberBits(tag);
      if (member !== 0) break;
      // the group ends: its last entry complete, its count right
      if (stackRequiredSeen[d] !== stackRequiredTotal[d]) return false;
      if (stackEntries[d] !== stackDeclared[d]) return false;
      depth = d;
    }
    let isBody: boolean;
    if (depth > 0) {
      const d = depth - 1;
      const index = member >>> MEMBER_INDEX_SHIFT;
      if (index === 1) {
        // the delimiter opens an entry; the one before must be complete
        if (stackEntries[d]! > 0 && stackRequiredSeen[d] !== stackRequiredTotal[d]) return false;
        stackEntries[d] = stackEntries[d]! + 1;
        stackRequiredSeen[d] = 0;
      } else if (stackEntries[d] === 0 || index <= stackLast[d]!) {
        // an entry not started by its delimiter, a field out of order or repeated in an entry
        return false;
      }
      stackLast[d] = index;
      if ((member & MEMBER_REQUIRED) !== 0) stackRequiredSeen[d] = stackRequiredSeen[d]! + 1;
      isBody = stackBody[d] === 1;
    } else {
      const section = tag < sections.length ? sections[tag]! : Section.Body;
      if (section === Section.Header) {
        if (current !== Section.Header) return false;
        member = tag < headerTable.length ? headerTable[tag]! : header.memberBits(tag);
      } else if (section === Section.Trailer) {
        current = Section.Trailer;
        member = tag < trailerTable.length ? trailerTable[tag]! : trailer.memberBits(tag);
      } else {
        if (current === Section.Trailer) return false;
        current = Section.Body;
        member = tag < bodyTable.length ? bodyTable[tag]! : body.memberBits(tag);
      }
      // not defined for this message type (or not at all), or repeated
      if (member === 0 || tag >= SEEN_TAG_LIMIT || seen[tag] === gen) return false;
      seen[tag] = gen;
      if ((member & MEMBER_REQUIRED) !== 0) requiredSeen++;
      isBody = section === Section.Body;
    }
    if (!valueOk(isBody ? application : transport, bytes, tag, start, end)) return false;
    if ((member & MEMBER_GROUP) !== 0) {
      if (depth >= MAX_DEPTH) return false;
      const layout = depth > 0
        ? stackLayout[depth - 1]!
        : isBody
        ? body
        : (current === Section.Header ? header : trailer);
      const group = (layout.members[(member >>> MEMBER_INDEX_SHIFT) - 1] as GroupMember)
        .group as GroupDef;
      stackLayout[depth] = group;
      stackTable[depth] = group.memberTable();
      stackLast[depth] = 0;
      stackEntries[depth] = 0;
      stackDeclared[depth] = msg.intAt(i);
      stackRequiredSeen[depth] = 0;
      stackRequiredTotal[depth] = group.required.length;
      stackBody[depth] = isBody ? 1 : 0;
      depth++;
    }
  }
  while (depth > 0) {
    const d = depth - 1;
    if (stackRequiredSeen[d] !== stackRequiredTotal[d]) return false;
    if (stackEntries[d] !== stackDeclared[d]) return false;
    depth = d;
  }
  return requiredSeen === requiredTotal;
}

/** Whether the value of `tag` at `[start, end)` is defined, of its type and among its enums. */
function valueOk(
  dict: Dictionary,
  bytes: Uint8Array,
  tag: number,
  start: number,
  end: number,
): boolean {
  const typeCodes = dict.typeCodes;
  const code = tag < typeCodes.length ? typeCodes[tag]! : 0;
  if (code === 0) return false;
  // the commonest types inline, the rest through checkFormat
  if (code === TypeCode.Char + 1) {
    if (end - start !== 1) return false;
  } else if (code === TypeCode.Int + 1) {
    let p = start;
    if (bytes[p] === 0x2d) p++;
    if (p >= end) return false;
    for (; p < end; p++) {
      const digit = bytes[p]! - 0x30;
      if (digit < 0 || digit > 9) return false;
    }
  } else if (code > TypeCode.Any + 1 && !checkFormat((code - 1) as TypeCode, bytes, start, end)) {
    return false;
  }
  const check = dict.enumChecks[tag];
  if (check === undefined) return true;
  const single = check.single;
  if (single !== undefined) {
    return end - start === 1 && bytes[start]! < 0x80 && single[bytes[start]!] === 1;
  }
  return enumOk(check, bytes, start, end);
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
    return end - start === 1 && b[start]! < 0x80 && single[b[start]!] === 1;
  }
  const packed = check.packed;
  if (packed !== undefined) {
    const k = packBytes(b, start, end);
    return k >= 0 && packed.has(k);
  }
  // values longer than 4 bytes: rare, leave them to the full checks
  return false;
}
