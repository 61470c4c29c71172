/**
 * `sessions[].application` names either a built-in application or one the program that runs the
 * node registered (`runNode({ applications: { router } })` in a user's own `main.ts`). The schema
 * only checks the form of the name; this check, run once the registered names are known, refuses
 * a name nobody registered before any socket opens.
 *
 * @module
 */

import { configOrigins } from "./_origins.ts";
import type { ConfigIssue } from "./schema.ts";
import { closestMatch } from "./suggest.ts";
import { BUILTIN_APPLICATIONS, type TandemConfig } from "./tandem_schema.ts";

/**
 * Issues for every session whose `application` is neither built in nor in `registered`, with a
 * "did you mean" suggestion for a likely typo.
 */
export function checkApplicationNames(
  config: TandemConfig,
  source: string,
  registered: Iterable<string>,
): ConfigIssue[] {
  const known = [...BUILTIN_APPLICATIONS, ...registered];
  const origins = configOrigins(config);
  const issues: ConfigIssue[] = [];
  config.sessions.forEach((s, i) => {
    if (known.includes(s.application)) return;
    const path = `sessions[${i}].application`;
    const o = origins?.get(path);
    const guess = closestMatch(s.application, known);
    issues.push({
      source: o?.source ?? source,
      path,
      ...(o?.line !== undefined ? { line: o.line } : {}),
      ...(o?.column !== undefined ? { column: o.column } : {}),
      message: `Unknown application "${s.application}"${
        guess ? ` (did you mean "${guess}"?)` : ""
      }; known: ${known.join(", ")}. Register your own with runNode({ applications })`,
    });
  });
  return issues;
}
