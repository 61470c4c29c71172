/**
 * The configuration the QuickFIX acceptance scripts expect (see tests/conformance/at.yaml)
 * written as a Tandem configuration: proves the schema can express it, and documents it.
 */
import { assertEquals } from "../lib/testing/assert.ts";
import { loadConfig, sessionKeyOf } from "../lib/config/mod.ts";

const QUICKFIX_AT_CONFIG = `
node: { id: quickfix-at, role: acceptor, dataDir: data/quickfix-at }
fix: { listen: 127.0.0.1:0 }
x-session: &session
  senderCompId: ISLD
  resetOnLogon: true
  application: echo
sessions:
  - { <<: *session, beginString: FIX.4.0, targetCompId: TW40 }
  - { <<: *session, beginString: FIX.4.1, targetCompId: TW41 }
  - { <<: *session, beginString: FIX.4.2, targetCompId: TW42 }
  - { <<: *session, beginString: FIX.4.3, targetCompId: TW43 }
  - { <<: *session, beginString: FIX.4.4, targetCompId: TW44 }
  - { <<: *session, beginString: FIX.4.4, targetCompId: TW }
  - <<: *session
    beginString: FIX.4.4
    targetCompId: NO_CHECK_FIELDS_HAVE_VALUES
    validation: { checkFieldsHaveValues: false }
  - { <<: *session, beginString: FIXT.1.1, targetCompId: TW50, defaultApplVerId: FIX.5.0 }
  - { <<: *session, beginString: FIXT.1.1, targetCompId: TW50SP1, defaultApplVerId: FIX.5.0SP1 }
  - { <<: *session, beginString: FIXT.1.1, targetCompId: TW50SP2, defaultApplVerId: FIX.5.0SP2 }
`;

Deno.test("loadConfig() expresses the QuickFIX acceptance-test acceptor configuration", () => {
  const c = loadConfig(QUICKFIX_AT_CONFIG, { source: "quickfix-at.yaml", env: {} });
  assertEquals(c.sessions.length, 10);
  assertEquals(c.sessions.map(sessionKeyOf).slice(0, 2), [
    "FIX.4.0:ISLD->TW40",
    "FIX.4.1:ISLD->TW41",
  ]);
  assertEquals(c.sessions.every((s) => s.resetOnLogon && s.schedule.nonStop), true);
  assertEquals(c.sessions.map((s) => s.timestampPrecision), [0, 0, 3, 3, 3, 3, 3, 3, 3, 3]);
  assertEquals(
    c.sessions.filter((s) => !s.validation.checkFieldsHaveValues).map((s) => s.targetCompId),
    ["NO_CHECK_FIELDS_HAVE_VALUES"],
  );
});
