import { assertEquals } from "../testing/assert.ts";
import { expectedInboundIdentity, identityHeader, sessionKeyOf } from "./session_id.ts";

Deno.test("sessionKeyOf() keeps the plain key when no sub/location ID or qualifier is set", () => {
  assertEquals(sessionKeyOf("FIX.4.4", "VENUE", "CLIENT"), "FIX.4.4:VENUE->CLIENT");
  assertEquals(sessionKeyOf("FIX.4.4", "VENUE", "CLIENT", {}), "FIX.4.4:VENUE->CLIENT");
});

Deno.test("sessionKeyOf() writes sub/location IDs and the qualifier as QuickFIX/J writes a SessionID", () => {
  assertEquals(
    sessionKeyOf("FIX.4.4", "VENUE", "CLIENT", {
      senderSubId: "D1",
      targetSubId: "T7",
      targetLocationId: "NYC",
      sessionQualifier: "md",
    }),
    "FIX.4.4:VENUE/D1->CLIENT/T7/NYC:md",
  );
  assertEquals(
    sessionKeyOf("FIX.4.4", "VENUE", "CLIENT", { senderLocationId: "LDN" }),
    "FIX.4.4:VENUE//LDN->CLIENT",
  );
});

Deno.test("identityHeader() and expectedInboundIdentity() mirror each other", () => {
  const parts = {
    senderSubId: "A",
    senderLocationId: "B",
    targetSubId: "C",
    targetLocationId: "D",
  };
  assertEquals(identityHeader(parts), [[50, "A"], [142, "B"], [57, "C"], [143, "D"]]);
  assertEquals(expectedInboundIdentity(parts), [[50, "C"], [142, "D"], [57, "A"], [143, "B"]]);
});
