/**
 * The dictionary specification: a compact, JSON-serialisable form of a QuickFIX-format XML data
 * dictionary, and the parser that produces it from XML.
 *
 * The form keeps the XML's structure (components stay components) but resolves every field name
 * to its tag and every component reference to an index, so that it is small and needs no
 * look-ups by name when a {@linkcode Dictionary} is built from it. The built-in dictionaries are
 * stored in this form (see `_generate.ts`).
 *
 * Layout of {@linkcode DictionarySpec}:
 * - `fields`: `[tag, name, type, enums?]`, enums as `[value, description]` pairs, in XML order;
 * - `header`, `trailer`, each message's and component's members: a list of
 *   {@linkcode MemberSpec} tuples: `[0, tag, required]` a field, `[1, countTag, required, members]`
 *   a repeating group (the NumInGroup field's tag, then its members), `[2, componentIndex,
 *   required]` a component reference; `required` is 1 or 0;
 * - `messages`: `[msgType, name, category, members]`;
 * - `components`: `[name, members]`.
 *
 * @module
 */

import { XMLParser, XMLValidator } from "fast-xml-parser";

/** A member of a message, component, group, header or trailer (see the module doc). */
export type MemberSpec =
  | readonly [0, number, 0 | 1]
  | readonly [1, number, 0 | 1, readonly MemberSpec[]]
  | readonly [2, number, 0 | 1];

/** A field: tag, name, XML type, optional enum `[value, description]` pairs. */
export type FieldSpec =
  | readonly [number, string, string]
  | readonly [number, string, string, readonly (readonly [string, string])[]];

/** The compact form of a dictionary (see the module doc). */
export interface DictionarySpec {
  /** `FIX`, or `FIXT` for the FIX 5 transport dictionary. */
  readonly type: "FIX" | "FIXT";
  /** Major version (4 in FIX.4.4). */
  readonly major: number;
  /** Minor version. */
  readonly minor: number;
  /** Service pack (2 in FIX.5.0SP2), 0 when none. */
  readonly servicepack: number;
  /** Every field, in XML order. */
  readonly fields: readonly FieldSpec[];
  /** Header members. */
  readonly header: readonly MemberSpec[];
  /** Trailer members. */
  readonly trailer: readonly MemberSpec[];
  /** Messages: `[msgType, name, category, members]`. */
  readonly messages: readonly (readonly [string, string, "admin" | "app", readonly MemberSpec[]])[];
  /** Components: `[name, members]`, referenced by index from `[2, index, required]` members. */
  readonly components: readonly (readonly [string, readonly MemberSpec[]])[];
}

/** Largest dictionary XML accepted by {@linkcode parseDictionaryXml}, in bytes (UTF-16 units). */
export const DEFAULT_MAX_DICTIONARY_XML_BYTES = 64 * 1024 * 1024;
/** Largest tag number a dictionary may define. */
export const MAX_DICTIONARY_TAG = 1_000_000;

/**
 * Thrown when a dictionary cannot be loaded: bad XML, a missing section or attribute, a reference
 * to an undefined field or component, a cycle of components.
 */
export class DictionaryError extends SyntaxError {
  /** Name of the source (file name or other label given by the caller). */
  readonly source: string;
  /** Path of the element at fault, e.g. `messages/message[NewOrderSingle]/field[Foo]`. */
  readonly element: string;
  /** Line in the XML text, when known. */
  readonly line: number | undefined;
  /** An error in `source` at `element` (a path such as `messages/message[X]`) because `why`. */
  constructor(source: string, element: string, why: string, line?: number) {
    const where = line === undefined ? "" : ` line ${line}`;
    super(`Cannot load dictionary ${source}${where} at ${element || "<root>"}: ${why}`);
    this.name = "DictionaryError";
    this.source = source;
    this.element = element;
    this.line = line;
  }
}

// fast-xml-parser's preserveOrder node: { tagName: children[], ":@"?: attributes }
type XmlNode = Record<string, unknown>;

function nodeName(node: XmlNode): string | undefined {
  for (const key in node) if (key !== ":@" && key !== "#text") return key;
  return undefined;
}
function children(node: XmlNode): XmlNode[] {
  const name = nodeName(node);
  const c = name === undefined ? undefined : node[name];
  return Array.isArray(c) ? (c as XmlNode[]) : [];
}
function attrs(node: XmlNode): Record<string, string> {
  const a = node[":@"];
  return (a && typeof a === "object" ? a : {}) as Record<string, string>;
}
function elements(list: XmlNode[]): XmlNode[] {
  return list.filter((n) => {
    const name = nodeName(n);
    return name !== undefined && !name.startsWith("?") && !name.startsWith("#");
  });
}

/**
 * Parses a QuickFIX-format XML data dictionary into a {@linkcode DictionarySpec}.
 *
 * @throws {DictionaryError} naming `sourceName` and the element at fault
 */
export function parseDictionaryXml(
  xmlText: string,
  sourceName: string,
  maxXmlBytes = DEFAULT_MAX_DICTIONARY_XML_BYTES,
): DictionarySpec {
  const fail = (element: string, why: string, line?: number): never => {
    throw new DictionaryError(sourceName, element, why, line);
  };
  if (xmlText.length > maxXmlBytes) {
    fail("", `text is ${xmlText.length} bytes, more than the limit of ${maxXmlBytes}`);
  }
  const valid = XMLValidator.validate(xmlText);
  if (valid !== true) {
    fail("", `XML is not well formed: ${valid.err.msg}`, valid.err.line);
  }
  const parser = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: "",
    preserveOrder: true,
    parseAttributeValue: false,
    parseTagValue: false,
    trimValues: true,
  });
  const doc = parser.parse(xmlText) as XmlNode[];
  const root = elements(doc).find((n) => nodeName(n) === "fix");
  if (!root) return fail("", "no <fix> root element");
  const rootAttrs = attrs(root);
  const typeAttr = rootAttrs.type ?? "FIX";
  if (typeAttr !== "FIX" && typeAttr !== "FIXT") {
    fail("fix", `type must be FIX or FIXT, not "${typeAttr}"`);
  }
  const type = typeAttr as "FIX" | "FIXT";
  const num = (name: string): number => {
    const v = rootAttrs[name];
    if (v === undefined) {
      if (name === "servicepack") return 0;
      return fail("fix", `attribute ${name} is missing`);
    }
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) fail("fix", `attribute ${name} is not a number: "${v}"`);
    return n;
  };
  const major = num("major");
  const minor = num("minor");
  const servicepack = num("servicepack");

  const sections = new Map<string, XmlNode>();
  for (const n of elements(children(root))) sections.set(nodeName(n)!, n);

  // FIELDS
  const fieldsNode = sections.get("fields");
  if (!fieldsNode) fail("fields", "<fields> section is missing");
  const fields: FieldSpec[] = [];
  const tagByName = new Map<string, number>();
  const seenTags = new Set<number>();
  for (const f of elements(children(fieldsNode!))) {
    if (nodeName(f) !== "field") continue;
    const a = attrs(f);
    const name = a.name;
    if (!name) fail("fields/field", "attribute name is missing");
    const path = `fields/field[${name}]`;
    const tag = Number(a.number);
    if (a.number === undefined || !Number.isInteger(tag) || tag <= 0 || tag > MAX_DICTIONARY_TAG) {
      fail(
        path,
        `attribute number is not a tag between 1 and ${MAX_DICTIONARY_TAG}: "${a.number}"`,
      );
    }
    if (!a.type) fail(path, "attribute type is missing");
    if (tagByName.has(name!)) fail(path, "field name is defined twice");
    if (seenTags.has(tag)) fail(path, `tag ${tag} is defined twice`);
    tagByName.set(name!, tag);
    seenTags.add(tag);
    const enums: [string, string][] = [];
    for (const v of elements(children(f))) {
      if (nodeName(v) !== "value") continue;
      const va = attrs(v);
      if (va.enum === undefined) fail(`${path}/value`, "attribute enum is missing");
      enums.push([va.enum!, va.description ?? ""]);
    }
    fields.push(enums.length > 0 ? [tag, name!, a.type!, enums] : [tag, name!, a.type!]);
  }
  if (fields.length === 0) fail("fields", "no fields are defined");

  // COMPONENTS: names first, so that references may come before definitions
  const componentIndex = new Map<string, number>();
  const componentNodes: XmlNode[] = [];
  const componentsNode = sections.get("components");
  if (componentsNode) {
    for (const c of elements(children(componentsNode))) {
      if (nodeName(c) !== "component") continue;
      const name = attrs(c).name;
      if (!name) fail("components/component", "attribute name is missing");
      if (componentIndex.has(name!)) fail(`components/component[${name}]`, "defined twice");
      componentIndex.set(name!, componentNodes.length);
      componentNodes.push(c);
    }
  }

  const members = (node: XmlNode, path: string): MemberSpec[] => {
    const out: MemberSpec[] = [];
    for (const m of elements(children(node))) {
      const kind = nodeName(m)!;
      const a = attrs(m);
      const name = a.name;
      const required = a.required === "Y" || a.required === "y" ? 1 : 0;
      if (kind !== "field" && kind !== "group" && kind !== "component") continue;
      if (!name) fail(`${path}/${kind}`, "attribute name is missing");
      const here = `${path}/${kind}[${name}]`;
      if (kind === "component") {
        const index = componentIndex.get(name!);
        if (index === undefined) fail(here, `component ${name} is not defined in <components>`);
        out.push([2, index!, required]);
        continue;
      }
      const tag = tagByName.get(name!);
      if (tag === undefined) fail(here, `field ${name} is not defined in <fields>`);
      if (kind === "field") out.push([0, tag!, required]);
      else {
        const inner = members(m, here);
        if (inner.length === 0) fail(here, "group has no members");
        out.push([1, tag!, required, inner]);
      }
    }
    return out;
  };

  const components = componentNodes.map((c) => {
    const name = attrs(c).name!;
    return [name, members(c, `components/component[${name}]`)] as const;
  });
  // reject cycles of components (a component that includes itself)
  const state = new Uint8Array(components.length); // 0 new, 1 visiting, 2 done
  const visit = (index: number, path: string): void => {
    if (state[index] === 2) return;
    const name = components[index]![0];
    if (state[index] === 1) fail(`components/component[${name}]`, `component cycle via ${path}`);
    state[index] = 1;
    const walk = (list: readonly MemberSpec[]): void => {
      for (const m of list) {
        if (m[0] === 2) visit(m[1], `${path} > ${components[m[1]]![0]}`);
        else if (m[0] === 1) walk(m[3]);
      }
    };
    walk(components[index]![1]);
    state[index] = 2;
  };
  for (let i = 0; i < components.length; i++) visit(i, components[i]![0]);

  // HEADER, TRAILER (FIX 5 application dictionaries have empty ones)
  const headerNode = sections.get("header");
  const trailerNode = sections.get("trailer");
  if (!headerNode) fail("header", "<header> section is missing");
  if (!trailerNode) fail("trailer", "<trailer> section is missing");
  const header = members(headerNode!, "header");
  const trailer = members(trailerNode!, "trailer");

  // MESSAGES
  const messagesNode = sections.get("messages");
  if (!messagesNode) fail("messages", "<messages> section is missing");
  const messages: [string, string, "admin" | "app", MemberSpec[]][] = [];
  const seenTypes = new Set<string>();
  for (const m of elements(children(messagesNode!))) {
    if (nodeName(m) !== "message") continue;
    const a = attrs(m);
    const name = a.name ?? "";
    const path = `messages/message[${name || a.msgtype}]`;
    if (!a.msgtype) fail(path, "attribute msgtype is missing");
    if (seenTypes.has(a.msgtype!)) fail(path, `MsgType ${a.msgtype} is defined twice`);
    seenTypes.add(a.msgtype!);
    const category = a.msgcat === "admin" ? "admin" : "app";
    messages.push([a.msgtype!, name, category, members(m, path)]);
  }
  return { type, major, minor, servicepack, fields, header, trailer, messages, components };
}
