import { assertEquals } from "../testing/assert.ts";
import { globMatch, sessionFromTemplate, templateTargetOf } from "./session_template.ts";

Deno.test("globMatch() matches * and ? and nothing else specially", () => {
  const cases: [string, string, boolean][] = [
    ["*", "ANY", true],
    ["CLIENT-*", "CLIENT-7", true],
    ["CLIENT-*", "CLIENT", false],
    ["C?IENT", "CLIENT", true],
    ["*-EU-*", "BANK-EU-1", true],
    ["*-EU-*", "BANK-US-1", false],
    ["A.B", "AxB", false],
  ];
  for (const [p, t, want] of cases) assertEquals(globMatch(p, t), want, `${p} ~ ${t}`);
});

Deno.test("templateTargetOf() finds the counterparty of a key its template created, and only those", () => {
  const t = { beginString: "FIX.4.4", senderCompId: "EXEC", targetCompId: "CLIENT-*" };
  assertEquals(templateTargetOf(t, "FIX.4.4:EXEC->CLIENT-7"), "CLIENT-7");
  assertEquals(templateTargetOf(t, "FIX.4.4:EXEC->OTHER"), undefined);
  assertEquals(templateTargetOf(t, "FIX.4.2:EXEC->CLIENT-7"), undefined);
  const q = { ...t, targetSubId: "DESK", sessionQualifier: "x" };
  assertEquals(templateTargetOf(q, "FIX.4.4:EXEC->CLIENT-9/DESK:x"), "CLIENT-9");
  assertEquals(templateTargetOf(q, "FIX.4.4:EXEC->CLIENT-9:x"), undefined);
  assertEquals(sessionFromTemplate(t, "CLIENT-*"), undefined, "a pattern is not a CompID");
  assertEquals(sessionFromTemplate(t, "CLIENT-1/X"), undefined, "/ delimits sub IDs in keys");
  assertEquals(sessionFromTemplate(t, "CLIENT-1:X"), undefined, ": delimits the qualifier");
  assertEquals(sessionFromTemplate(t, "CLIENT-7")?.targetCompId, "CLIENT-7");
});
