import { assert, assertEquals } from "../testing/assert.ts";
import { brief, Script } from "./_script_test_util.ts";
import type { SessionAction } from "./session.ts";

const sentOf = (actions: readonly SessionAction[]) =>
  actions.flatMap((a) => a.type === "send" ? [brief(a.bytes)] : []);

Deno.test("Session returns a new array of actions from every call when none is handed back", () => {
  const s = new Script();
  s.logon();
  const first = s.session.send("D", [[11, "A"]], s.now);
  const second = s.session.send("D", [[11, "B"]], s.now);
  assert(first !== second);
  assertEquals(sentOf(first), ["35=D|34=2|11=A"]);
  assertEquals(sentOf(second), ["35=D|34=3|11=B"]);
});

Deno.test("Session.releaseActions() lets a later call reuse the array, holding only its own actions", () => {
  const s = new Script();
  s.logon();
  const first = s.session.send("D", [[11, "A"]], s.now);
  assertEquals(sentOf(first), ["35=D|34=2|11=A"]);
  s.session.releaseActions(first);
  assertEquals(first.length, 0, "handed back emptied");
  s.session.send("D", [[11, "B"]], s.now); // filled in the array after the released one
  const third = s.session.send("D", [[11, "C"]], s.now);
  assert(third === first, "the released array is reused");
  assertEquals(sentOf(third), ["35=D|34=4|11=C"]);
});

Deno.test("Session.releaseActions() ignores an array handed back twice, so no two results share it", () => {
  const s = new Script();
  s.logon();
  const a = s.session.send("D", [[11, "A"]], s.now);
  s.session.releaseActions(a);
  s.session.releaseActions(a);
  s.session.send("D", [[11, "B"]], s.now); // the array being filled already
  const results: SessionAction[][] = [];
  for (const id of ["C", "D", "E"]) results.push(s.session.send("D", [[11, id]], s.now));
  assertEquals(new Set(results).size, 3);
  assertEquals(results.map(sentOf), [
    ["35=D|34=4|11=C"],
    ["35=D|34=5|11=D"],
    ["35=D|34=6|11=E"],
  ]);
});

Deno.test("Session.releaseActions() keeps nested results apart (a send while a delivery is carried out)", () => {
  const s = new Script();
  s.logon();
  const outer = s.session.receive(s.message("35=D|34=2|11=X"), s.now);
  const seen: string[] = [];
  for (const a of outer) {
    seen.push(a.type);
    if (a.type === "deliver") {
      const inner = s.session.send("8", [[11, "X"]], s.now);
      assert(inner !== outer);
      assertEquals(sentOf(inner), ["35=8|34=2|11=X"]);
      s.session.releaseActions(inner);
    }
  }
  assertEquals(seen, ["accepted", "deliver"]);
  s.session.releaseActions(outer);
});
