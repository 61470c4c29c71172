/**
 * Finding, among a journal's sessions, those an acceptor template created (see
 * `lib/engine/session_template.ts`): their SessionDefinition records are all a node needs to serve
 * them again after a restart or a promotion.
 *
 * @module
 */

import type { Journal } from "../journal/mod.ts";
import type { AcceptorSessionConfig } from "../engine/acceptor.ts";
import { type AcceptorSessionTemplate, templateTargetOf } from "../engine/session_template.ts";

/** A session created from a template, recovered from the journal. */
export interface TemplateSession {
  readonly key: string;
  readonly config: AcceptorSessionConfig;
  readonly template: AcceptorSessionTemplate;
}

/**
 * The journal's sessions not in `known` whose key one of `templates` creates, in definition
 * order, each with its configuration (the template's, with the counterparty's CompID).
 */
export function templateSessionsIn(
  journal: Pick<Journal, "sessions">,
  templates: Iterable<AcceptorSessionTemplate>,
  known: ReadonlyMap<string, unknown>,
): TemplateSession[] {
  const list = [...templates];
  const out: TemplateSession[] = [];
  if (list.length === 0) return out;
  for (const { key } of journal.sessions()) {
    if (known.has(key)) continue;
    for (const template of list) {
      const target = templateTargetOf(template.config, key);
      if (target === undefined) continue;
      out.push({ key, config: { ...template.config, targetCompId: target }, template });
      break;
    }
  }
  return out;
}
