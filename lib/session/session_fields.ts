/**
 * The tags and codes the session layer owns: protocol versions, ApplVerIDs,
 * reject reason texts, which message types are admin messages, and which tags
 * of an outbound message belong in the header.
 *
 * @module
 */

import { ApplVerId } from "../fix/tags.ts";
import { SESSION_REJECT_REASON_TEXT } from "../fix/dictionary/validate_message.ts";
import type { Field } from "./session_config.ts";

/** Rank of each supported BeginString (FIX.4.4 → 44, FIXT.1.1 → 50), for version checks. */
export const VERSION_RANK: Readonly<Record<string, number>> = {
  "FIX.4.0": 40,
  "FIX.4.1": 41,
  "FIX.4.2": 42,
  "FIX.4.3": 43,
  "FIX.4.4": 44,
  "FIXT.1.1": 50,
};

/** ApplVerID (1128/1137) codes by name. */
export const APPL_VER_IDS: Readonly<Record<string, string>> = ApplVerId;

/** Normalises an ApplVerID given as a name (`FIX.5.0SP2`) or a code (`9`) to its code. */
export function applVerIdCode(value: string): string {
  return APPL_VER_IDS[value] ?? value;
}

/** SessionRejectReason (373) texts, as QuickFIX writes them. */
export const SESSION_REJECT_TEXTS: Readonly<Record<number, string>> = SESSION_REJECT_REASON_TEXT;

/** BusinessRejectReason (380) texts. */
export const BUSINESS_REJECT_TEXTS: Readonly<Record<number, string>> = {
  0: "Other",
  1: "Unknown ID",
  2: "Unknown Security",
  3: "Unsupported Message Type",
  4: "Application not available",
  5: "Conditionally Required Field Missing",
  6: "Not authorized",
  7: "DeliverTo firm not available at this time",
};

const ADMIN_TYPES = new Set(["0", "1", "2", "3", "4", "5", "A"]);

/** Whether a MsgType is a session-level (admin) message. */
export function isAdminMsgType(msgType: string): boolean {
  return ADMIN_TYPES.has(msgType);
}

/** Standard header tags other than 8, 9, 35, 34, 49, 52, 56 (written right after the header). */
export const HEADER_TAGS: ReadonlySet<number> = new Set([
  43,
  50,
  57,
  90,
  91,
  97,
  115,
  116,
  122,
  128,
  129,
  142,
  143,
  144,
  145,
  212,
  213,
  347,
  369,
  370,
  627,
  628,
  629,
  630,
  1128,
  1129,
  1156,
]);

const SESSION_TAGS = new Set([8, 9, 10, 34, 35, 49, 52, 56]);

/** Where `Session.send` puts a caller's field: the body, the header, or nowhere. */
const ROUTE_BODY = 0;
const ROUTE_HEADER = 1;
/** Tags the session writes itself (and PossDupFlag/OrigSendingTime, which only resends set). */
const ROUTE_SKIP = 2;

/**
 * The route of every tag up to the largest header tag, by index: one typed-array
 * read per field instead of two set look-ups. Other tags (larger, or not
 * integers) read undefined: the body.
 */
const TAG_ROUTES: Uint8Array = (() => {
  let max = 0;
  for (const t of [...HEADER_TAGS, ...SESSION_TAGS]) max = Math.max(max, t);
  const routes = new Uint8Array(max + 1);
  for (const t of HEADER_TAGS) routes[t] = ROUTE_HEADER;
  for (const t of [...SESSION_TAGS, 43, 122]) routes[t] = ROUTE_SKIP;
  return routes;
})();

/** The route of `tag`; typed-array reads would also accept numeric strings, hence the check. */
function routeOf(tag: number): number {
  return typeof tag === "number" ? TAG_ROUTES[tag] ?? ROUTE_BODY : ROUTE_BODY;
}

/** Whether `fields` is an array of body fields only (sent as given, without copies). */
export function isPlainBody(fields: Iterable<Field>): fields is readonly Field[] {
  if (!Array.isArray(fields)) return false;
  const list = fields as readonly Field[];
  for (let i = 0; i < list.length; i++) if (routeOf(list[i]![0]) !== ROUTE_BODY) return false;
  return true;
}

/**
 * Sorts a caller's `fields` into `header` and `body`, dropping the tags the session writes
 * itself (and PossDupFlag/OrigSendingTime, which only resends set).
 */
export function splitFields(fields: Iterable<Field>, header: Field[], body: Field[]): void {
  for (const f of fields) {
    const route = routeOf(f[0]);
    if (route === ROUTE_SKIP) continue;
    (route === ROUTE_HEADER ? header : body).push(f);
  }
}
