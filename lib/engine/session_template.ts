/**
 * Acceptor session templates (QuickFIX/J's `AcceptorTemplate=Y` with a wildcard TargetCompID):
 * a session whose `targetCompId` is a glob (`*` any run of characters, `?` one character)
 * stands for every counterparty whose SenderCompID matches. The first valid Logon from such a
 * counterparty creates a real session from the template, with the counterparty's CompID as the
 * target. Creating it defines the session in the store — for the journal a SessionDefinition
 * record, which the secondary replicates like any other — so a created session survives a
 * restart and a failover: {@linkcode templateTargetOf} recognises its key among the journal's
 * sessions and the node serves it again from the same template.
 *
 * @module
 */

import { sessionKeyOf } from "../session/session_id.ts";
import type { AcceptorSessionConfig } from "./acceptor.ts";

/** Default for {@linkcode AcceptorSessionTemplate.maxSessions}. */
export const DEFAULT_MAX_TEMPLATE_SESSIONS = 1_000;

/** A session template (see the module doc). */
export interface AcceptorSessionTemplate {
  /**
   * The settings of the sessions created; `targetCompId` is the glob. Its `allowedRemoteAddresses`
   * is checked before a session is created, and the created session keeps it.
   */
  readonly config: AcceptorSessionConfig;
  /** Most sessions the template creates; Logons beyond are refused. Default 1,000. */
  readonly maxSessions?: number;
}

/**
 * CompIDs a template accepts: printable ASCII up to 64 characters, without `/` and `:`, which
 * delimit the parts of a session key (so a created session's key always reads back unambiguously).
 */
const TEMPLATE_COMP_ID = /^[\x21-\x2e\x30-\x39\x3b-\x7e]{1,64}$/;

/** Whether a configured TargetCompID is a template glob. */
export function isTemplateCompId(compId: string): boolean {
  return compId.includes("*") || compId.includes("?");
}

/** Whether `text` matches the glob `pattern` (`*` any run, `?` one character, nothing else special). */
export function globMatch(pattern: string, text: string): boolean {
  // Iterative matcher with backtracking to the last star: linear for patterns with one star.
  let p = 0;
  let t = 0;
  let star = -1;
  let mark = 0;
  while (t < text.length) {
    if (p < pattern.length && (pattern[p] === "?" || pattern[p] === text[t])) {
      p++;
      t++;
    } else if (p < pattern.length && pattern[p] === "*") {
      star = p++;
      mark = t;
    } else if (star >= 0) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.length && pattern[p] === "*") p++;
  return p === pattern.length;
}

/**
 * The configuration of the session `template` creates for counterparty `targetCompId`, or
 * undefined when the CompID does not match the template's glob.
 */
export function sessionFromTemplate(
  template: AcceptorSessionConfig,
  targetCompId: string,
): AcceptorSessionConfig | undefined {
  if (
    !TEMPLATE_COMP_ID.test(targetCompId) || isTemplateCompId(targetCompId) ||
    !globMatch(template.targetCompId, targetCompId)
  ) {
    return undefined;
  }
  return { ...template, targetCompId };
}

/**
 * The counterparty CompID of a session key created from `template` (a key read back from the
 * journal), or undefined when the key is not one of the template's sessions.
 */
export function templateTargetOf(template: AcceptorSessionConfig, key: string): string | undefined {
  // The key of a created session differs from the template's only in the TargetCompID: cut the
  // known prefix and suffix off and check the rest.
  const marker = "\u0000";
  const shape = sessionKeyOf(template.beginString, template.senderCompId, marker, template);
  const at = shape.indexOf(marker);
  const prefix = shape.slice(0, at);
  const suffix = shape.slice(at + 1);
  if (!key.startsWith(prefix) || !key.endsWith(suffix)) return undefined;
  const target = key.slice(prefix.length, key.length - suffix.length);
  if (target === "" || !sessionFromTemplate(template, target)) return undefined;
  return sessionKeyOf(template.beginString, template.senderCompId, target, template) === key
    ? target
    : undefined;
}
