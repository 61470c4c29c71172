/**
 * The dictionary model: fields, messages, repeating groups, header and trailer of one FIX version,
 * resolved from a {@linkcode DictionarySpec} with components flattened into the messages and
 * groups that use them.
 *
 * Required flags follow QuickFIX's DataDictionary: a field of a component is required when it is
 * marked required and the component reference is marked required; a member of a repeating group
 * is required only when the group itself is marked required; components inside a group add no
 * required fields. Required tags are listed in ascending order, the order QuickFIX checks them in.
 *
 * @module
 */

import { DictionaryError, type DictionarySpec, type MemberSpec } from "./_spec.ts";
import { TypeCode, typeCodeOf } from "./_field_types.ts";

/** A field definition. */
export interface FieldDef {
  /** Tag number. */
  readonly tag: number;
  /** Field name, e.g. `ClOrdID`. */
  readonly name: string;
  /** Type as written in the XML, e.g. `STRING`, `PRICE`, `NUMINGROUP`. */
  readonly type: string;
  /** Allowed values mapped to their descriptions, or undefined when any value is allowed. */
  readonly enums: ReadonlyMap<string, string> | undefined;
}

/** A plain field inside a message, group, header or trailer. */
export interface FieldMember {
  /** Discriminant. */
  readonly kind: "field";
  /** The field's tag. */
  readonly tag: number;
  /** The field's definition. */
  readonly field: FieldDef;
  /** Whether the field must be present (QuickFIX's rules, see the module doc). */
  readonly required: boolean;
}

/** A repeating group inside a message, group, header or trailer; `tag` is its NumInGroup field. */
export interface GroupMember {
  /** Discriminant. */
  readonly kind: "group";
  /** Tag of the NumInGroup field. */
  readonly tag: number;
  /** Definition of the NumInGroup field. */
  readonly field: FieldDef;
  /** Whether the group must be present. */
  readonly required: boolean;
  /** The group's entries' layout. */
  readonly group: GroupDef;
}

/** A member of a {@linkcode Layout}. */
export type MemberDef = FieldMember | GroupMember;

/** {@linkcode Layout.memberBits}: the member is a repeating group. @internal */
export const MEMBER_GROUP = 1;
/** {@linkcode Layout.memberBits}: the member is required. @internal */
export const MEMBER_REQUIRED = 2;
/** {@linkcode Layout.memberBits}: the member's index + 1 is stored from this bit on. @internal */
export const MEMBER_INDEX_SHIFT = 2;
/**
 * Tags at and above this are left out of {@linkcode Layout.memberTable} (looked up by hash), so
 * that a dictionary with a few very high user-defined tags does not get tables of their size.
 */
export const MEMBER_TABLE_TAG_LIMIT = 16384;

/** An ordered list of members (fields and groups) with look-up by tag. */
export class Layout {
  /** Members in dictionary order, components flattened, each tag once. */
  readonly members: readonly MemberDef[];
  /** Tags of the required members, ascending. */
  readonly required: readonly number[];
  /** 1 where `members[i]` is a group. @internal */
  readonly groupFlags: Uint8Array;
  // open-addressing hash of tag → member index (tags are > 0, so 0 marks an empty slot)
  readonly #keys: Int32Array;
  readonly #values: Int32Array;
  readonly #shift: number;
  readonly #mask: number;
  #memberTable: Int32Array | undefined;

  /** Builds the look-up tables for `members` (tags must be distinct). */
  constructor(members: readonly MemberDef[]) {
    this.members = members;
    this.required = members.filter((m) => m.required).map((m) => m.tag).sort((a, b) => a - b);
    this.groupFlags = Uint8Array.from(members, (m) => (m.kind === "group" ? 1 : 0));
    let bits = 3;
    while (1 << bits < members.length * 2) bits++;
    this.#shift = 32 - bits;
    this.#mask = (1 << bits) - 1;
    this.#keys = new Int32Array(1 << bits);
    this.#values = new Int32Array(1 << bits);
    members.forEach((m, index) => {
      let h = Math.imul(m.tag, -1640531535) >>> this.#shift;
      while (this.#keys[h] !== 0) h = (h + 1) & this.#mask;
      this.#keys[h] = m.tag;
      this.#values[h] = index;
    });
  }

  /** Index in {@linkcode members} of the member with `tag`, or -1. */
  indexOf(tag: number): number {
    const keys = this.#keys;
    let h = Math.imul(tag, -1640531535) >>> this.#shift;
    for (;;) {
      const k = keys[h]!;
      if (k === tag) return this.#values[h]!;
      if (k === 0) return -1;
      h = (h + 1) & this.#mask;
    }
  }

  /**
   * What the validator needs to know of each tag, as one number per tag (see
   * {@linkcode memberBits}): a table indexed by tag, built on first use and kept, covering the
   * tags below `min(largest member tag + 1, MEMBER_TABLE_TAG_LIMIT)`; for tags at or above its
   * length call {@linkcode memberBits}. @internal
   */
  memberTable(): Int32Array {
    if (this.#memberTable !== undefined) return this.#memberTable;
    let maxTag = 0;
    for (const m of this.members) if (m.tag > maxTag) maxTag = m.tag;
    const table = new Int32Array(Math.min(maxTag + 1, MEMBER_TABLE_TAG_LIMIT));
    for (let i = 0; i < this.members.length; i++) {
      const tag = this.members[i]!.tag;
      if (tag < table.length) table[tag] = this.memberBits(tag);
    }
    this.#memberTable = table;
    return table;
  }

  /**
   * The member with `tag` as one number: 0 when the tag is not a member, else
   * `(index + 1) << MEMBER_INDEX_SHIFT`, plus {@linkcode MEMBER_REQUIRED} when the member is
   * required and {@linkcode MEMBER_GROUP} when it is a repeating group. @internal
   */
  memberBits(tag: number): number {
    const index = this.indexOf(tag);
    if (index < 0) return 0;
    const m = this.members[index]!;
    return ((index + 1) << MEMBER_INDEX_SHIFT) | (m.required ? MEMBER_REQUIRED : 0) |
      (m.kind === "group" ? MEMBER_GROUP : 0);
  }

  /** The member with `tag`, or undefined when the tag does not belong here. */
  member(tag: number): MemberDef | undefined {
    const i = this.indexOf(tag);
    return i < 0 ? undefined : this.members[i];
  }

  /** Whether `tag` belongs here. */
  has(tag: number): boolean {
    return this.indexOf(tag) >= 0;
  }
}

/** A repeating group: its NumInGroup field, its delimiter (first field) and its members. */
export class GroupDef extends Layout {
  /** Tag of the NumInGroup field, e.g. 453 for NoPartyIDs. */
  readonly countTag: number;
  /** Name of the NumInGroup field. */
  readonly name: string;
  /** Tag that must start every entry (the group's first member). */
  readonly delimiter: number;

  /** A group counted by `countTag` whose entries hold `members` (the first is the delimiter). */
  constructor(countTag: number, name: string, members: readonly MemberDef[]) {
    super(members);
    this.countTag = countTag;
    this.name = name;
    this.delimiter = members[0]!.tag;
  }
}

/** A message type. */
export class MessageDef extends Layout {
  /** MsgType (35) value. */
  readonly msgType: string;
  /** Message name, e.g. `NewOrderSingle`. */
  readonly name: string;
  /** `admin` for session-level messages, `app` for the rest. */
  readonly category: "admin" | "app";

  /** A message type with its members in dictionary order. */
  constructor(
    msgType: string,
    name: string,
    category: "admin" | "app",
    members: readonly MemberDef[],
  ) {
    super(members);
    this.msgType = msgType;
    this.name = name;
    this.category = category;
  }
}

/** Allowed values of an enumerated field, prepared for checking bytes. @internal */
export interface EnumCheck {
  /** Every allowed value. */
  readonly values: ReadonlySet<string>;
  /** Values of at most 4 ASCII bytes packed into numbers, when every value is that short. */
  readonly packed: ReadonlySet<number> | undefined;
  /** When every value is one ASCII byte: 1 at each allowed byte. */
  readonly single: Uint8Array | undefined;
  /** Whether the field holds a space-separated list of values. */
  readonly multiple: boolean;
}

/** Section of a top-level tag. @internal */
export const Section = { Body: 0, Header: 1, Trailer: 2 } as const;

/** Packs up to 4 ASCII bytes into a number, or returns -1. @internal */
export function packBytes(b: Uint8Array, start: number, end: number): number {
  if (end - start > 4 || end === start) return -1;
  let k = 0;
  for (let p = start; p < end; p++) {
    const c = b[p]!;
    if (c >= 0x80) return -1;
    k = k * 256 + c;
  }
  return k;
}

function packString(s: string): number {
  if (s.length > 4 || s.length === 0) return -1;
  let k = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) return -1;
    k = k * 256 + c;
  }
  return k;
}

/**
 * A FIX data dictionary: one protocol version's fields, messages, groups, header and trailer.
 * Build one with `loadDictionary()` or `builtinDictionary()`.
 */
export class Dictionary {
  /** Where it came from: a file name or `builtin:FIX.4.4`. */
  readonly sourceName: string;
  /** `FIX` or `FIXT` (the transport dictionary of FIX 5). */
  readonly type: "FIX" | "FIXT";
  /** Version name: `FIX.4.4`, `FIXT.1.1`, `FIX.5.0SP2`, … */
  readonly version: string;
  /** The BeginString (8) of messages using this dictionary: `FIX.4.4`, `FIXT.1.1`, `FIX.5.0SP2`. */
  readonly beginString: string;
  /** Fields by tag. */
  readonly fields: ReadonlyMap<number, FieldDef>;
  /** Messages by MsgType. */
  readonly messages: ReadonlyMap<string, MessageDef>;
  /** Header fields and groups (empty for FIX 5 application dictionaries). */
  readonly header: Layout;
  /** Trailer fields (empty for FIX 5 application dictionaries). */
  readonly trailer: Layout;
  /** LENGTH tag → DATA tag, for `decodeMessage(bytes, { lengthTags })`. */
  readonly lengthTags: ReadonlyMap<number, number>;
  /** DATA tag → LENGTH tag. */
  readonly dataTags: ReadonlyMap<number, number>;

  readonly #fieldsByName: Map<string, FieldDef>;
  readonly #messagesByName: Map<string, MessageDef>;
  /** Type code + 1 by tag; 0 for tags the dictionary does not define. @internal */
  readonly typeCodes: Uint8Array;
  /** Enum checks by tag (dense: undefined where a field has no enums). @internal */
  readonly enumChecks: (EnumCheck | undefined)[];
  /** Section by top-level tag (see {@linkcode Section}). @internal */
  readonly sections: Uint8Array;

  /** Builds the model from a spec; see `loadDictionary()` for XML. */
  constructor(spec: DictionarySpec, sourceName: string) {
    this.sourceName = sourceName;
    this.type = spec.type;
    const sp = spec.servicepack > 0 ? `SP${spec.servicepack}` : "";
    this.version = `${spec.type}.${spec.major}.${spec.minor}${sp}`;
    this.beginString = this.version;
    const legacyChar = spec.type === "FIX" && this.version < "FIX.4.2";

    const fields = new Map<number, FieldDef>();
    const byName = new Map<string, FieldDef>();
    let maxTag = 0;
    for (const f of spec.fields) {
      const enums = f[3] === undefined ? undefined : new Map(f[3].map(([v, d]) => [v, d]));
      const def: FieldDef = { tag: f[0], name: f[1], type: f[2], enums };
      fields.set(def.tag, def);
      byName.set(def.name, def);
      if (def.tag > maxTag) maxTag = def.tag;
    }
    this.fields = fields;
    this.#fieldsByName = byName;

    this.typeCodes = new Uint8Array(maxTag + 1);
    this.enumChecks = Array.from({ length: maxTag + 1 }, () => undefined);
    for (const def of fields.values()) {
      const code = typeCodeOf(def.type, legacyChar);
      this.typeCodes[def.tag] = code + 1;
      if (def.enums !== undefined && def.enums.size > 0) {
        const values = new Set(def.enums.keys());
        const packed = new Set<number>();
        let allPacked = true;
        let single: Uint8Array | undefined = new Uint8Array(128);
        for (const v of values) {
          const k = packString(v);
          if (k < 0) allPacked = false;
          else packed.add(k);
          if (single === undefined) continue;
          if (v.length === 1 && k >= 0 && k < 128) single[k] = 1;
          else single = undefined;
        }
        this.enumChecks[def.tag] = {
          values,
          packed: allPacked ? packed : undefined,
          single: code === TypeCode.Multiple ? undefined : single,
          multiple: code === TypeCode.Multiple,
        };
      }
    }

    const field = (tag: number, where: string): FieldDef => {
      const def = fields.get(tag);
      if (!def) throw new DictionaryError(sourceName, where, `tag ${tag} is not a defined field`);
      return def;
    };

    // Groups are shared between every message that uses them: memoised by spec identity and
    // by whether the group is marked required (which decides whether its members are).
    const groupMemo = [new WeakMap<object, GroupDef>(), new WeakMap<object, GroupDef>()];
    const buildGroup = (m: readonly [1, number, 0 | 1, readonly MemberSpec[]], where: string) => {
      const memo = groupMemo[m[2]]!;
      const cached = memo.get(m[3]);
      if (cached) return cached;
      const countField = field(m[1], where);
      const out: MemberDef[] = [];
      collect(m[3], out, m[2] === 1, "group", `${where}/group[${countField.name}]`, new Set());
      if (out.length === 0) {
        throw new DictionaryError(sourceName, where, `group ${countField.name} has no members`);
      }
      const g = new GroupDef(m[1], countField.name, out);
      memo.set(m[3], g);
      return g;
    };
    // mode: "message" (component required flags apply), "group" (members required only when the
    // group is), "component-in-group" (no required fields)
    const collect = (
      list: readonly MemberSpec[],
      out: MemberDef[],
      parentRequired: boolean,
      mode: "message" | "group" | "component-in-group",
      where: string,
      seen: Set<number>,
    ): void => {
      for (const m of list) {
        if (m[0] === 2) {
          const component = spec.components[m[1]];
          if (!component) {
            throw new DictionaryError(sourceName, where, `component index ${m[1]} is not defined`);
          }
          const inner = mode === "message" ? "message" : "component-in-group";
          collect(
            component[1],
            out,
            m[2] === 1,
            inner,
            `${where}/component[${component[0]}]`,
            seen,
          );
          continue;
        }
        if (seen.has(m[1])) continue;
        seen.add(m[1]);
        const required = mode !== "component-in-group" && m[2] === 1 && parentRequired;
        if (m[0] === 0) {
          out.push({ kind: "field", tag: m[1], field: field(m[1], where), required });
        } else {
          const group = buildGroup(m, where);
          out.push({ kind: "group", tag: m[1], field: field(m[1], where), required, group });
        }
      }
    };
    const layout = (list: readonly MemberSpec[], where: string): MemberDef[] => {
      const out: MemberDef[] = [];
      collect(list, out, true, "message", where, new Set());
      return out;
    };

    this.header = new Layout(layout(spec.header, "header"));
    this.trailer = new Layout(layout(spec.trailer, "trailer"));
    const messages = new Map<string, MessageDef>();
    const messagesByName = new Map<string, MessageDef>();
    for (const [msgType, name, category, list] of spec.messages) {
      const def = new MessageDef(
        msgType,
        name,
        category,
        layout(list, `messages/message[${name}]`),
      );
      messages.set(msgType, def);
      if (name) messagesByName.set(name, def);
    }
    this.messages = messages;
    this.#messagesByName = messagesByName;

    let maxSectionTag = 0;
    for (const m of [...this.header.members, ...this.trailer.members]) {
      if (m.tag > maxSectionTag) maxSectionTag = m.tag;
    }
    this.sections = new Uint8Array(maxSectionTag + 1);
    for (const m of this.header.members) this.sections[m.tag] = Section.Header;
    for (const m of this.trailer.members) this.sections[m.tag] = Section.Trailer;

    const [lengthTags, dataTags] = pairDataFields(spec, fields);
    this.lengthTags = lengthTags;
    this.dataTags = dataTags;
  }

  /** The field with this tag or name. */
  field(tagOrName: number | string): FieldDef | undefined {
    return typeof tagOrName === "number"
      ? this.fields.get(tagOrName)
      : this.#fieldsByName.get(tagOrName);
  }

  /** The message with this MsgType. */
  message(msgType: string): MessageDef | undefined {
    return this.messages.get(msgType);
  }

  /** The message with this name, e.g. `NewOrderSingle`. */
  messageByName(name: string): MessageDef | undefined {
    return this.#messagesByName.get(name);
  }

  /** Whether the dictionary defines a message of this MsgType with category `admin`. */
  isAdminMessage(msgType: string): boolean {
    return this.messages.get(msgType)?.category === "admin";
  }

  /** Whether `tag` is a top-level header field of this dictionary. */
  isHeaderTag(tag: number): boolean {
    return tag < this.sections.length && this.sections[tag] === Section.Header;
  }

  /** Whether `tag` is a top-level trailer field of this dictionary. */
  isTrailerTag(tag: number): boolean {
    return tag < this.sections.length && this.sections[tag] === Section.Trailer;
  }

  /** Whether `value` is allowed for `tag` (true when the field has no enums). */
  isValidEnum(tag: number, value: string): boolean {
    const check = this.enumChecks[tag];
    if (check === undefined) return true;
    if (!check.multiple) return check.values.has(value);
    return value.split(" ").every((v) => check.values.has(v));
  }
}

/**
 * Pairs each DATA field with the LENGTH field that gives its size: first by adjacency (a LENGTH
 * member directly followed by a DATA member anywhere in the spec), then by name
 * (`RawData` ↔ `RawDataLength`, `EncodedText` ↔ `EncodedTextLen`).
 */
function pairDataFields(
  spec: DictionarySpec,
  fields: Map<number, FieldDef>,
): [Map<number, number>, Map<number, number>] {
  const lengthTags = new Map<number, number>();
  const dataTags = new Map<number, number>();
  const isType = (tag: number, type: string) => fields.get(tag)?.type.toUpperCase() === type;
  const pair = (length: number, data: number) => {
    if (lengthTags.has(length) || dataTags.has(data)) return;
    lengthTags.set(length, data);
    dataTags.set(data, length);
  };
  const walk = (list: readonly MemberSpec[]) => {
    for (let i = 0; i < list.length; i++) {
      const m = list[i]!;
      const next = list[i + 1];
      if (m[0] === 1) walk(m[3]);
      if (m[0] === 0 && next?.[0] === 0 && isType(m[1], "LENGTH") && isType(next[1], "DATA")) {
        pair(m[1], next[1]);
      }
    }
  };
  walk(spec.header);
  walk(spec.trailer);
  for (const c of spec.components) walk(c[1]);
  for (const m of spec.messages) walk(m[3]);
  const byName = new Map<string, FieldDef>();
  for (const f of fields.values()) byName.set(f.name, f);
  for (const f of fields.values()) {
    if (f.type.toUpperCase() !== "DATA" && f.type.toUpperCase() !== "XMLDATA") continue;
    if (dataTags.has(f.tag)) continue;
    for (const suffix of ["Len", "Length"]) {
      const length = byName.get(f.name + suffix);
      if (length && length.type.toUpperCase() === "LENGTH") {
        pair(length.tag, f.tag);
        break;
      }
    }
  }
  return [lengthTags, dataTags];
}

/**
 * The LENGTH → DATA tag pairs of several dictionaries together (e.g. FIXT.1.1's and FIX.5.0SP2's),
 * for `decodeMessage(bytes, { lengthTags })`.
 */
export function combinedLengthTags(...dictionaries: Dictionary[]): Map<number, number> {
  const out = new Map<number, number>();
  for (const d of dictionaries) for (const [length, data] of d.lengthTags) out.set(length, data);
  return out;
}
