/**
 * The acceptor configured as the QuickFIX acceptance suite expects
 * (`shared/quickfix-at/README.md`): one port, SenderCompID ISLD, one session per
 * version (TW40 … TW50SP2) plus FIX.4.4 TW and NO_CHECK_FIELDS_HAVE_VALUES,
 * ResetOnLogon, dictionary validation, the echo application.
 *
 * Run alone (`deno run -A tests/conformance/at_acceptor.ts [port]`) to point the
 * fixat runner at it by hand.
 *
 * @module
 */

import { Acceptor } from "../../lib/engine/acceptor.ts";
import { echoApplication } from "../../lib/engine/echo_application.ts";
import { dictionaryValidator } from "../../lib/engine/validation.ts";
import type { AcceptorSessionConfig } from "../../lib/engine/acceptor.ts";
import type { Logger } from "../../lib/engine/application.ts";

/** The sessions of the acceptance suite. */
export function atSessions(): AcceptorSessionConfig[] {
  const plain: [string, string][] = [
    ["FIX.4.0", "TW40"],
    ["FIX.4.1", "TW41"],
    ["FIX.4.2", "TW42"],
    ["FIX.4.3", "TW43"],
    ["FIX.4.4", "TW44"],
    ["FIX.4.4", "TW"],
    ["FIX.4.4", "NO_CHECK_FIELDS_HAVE_VALUES"],
  ];
  const sessions: AcceptorSessionConfig[] = plain.map(([beginString, target]) => ({
    beginString,
    senderCompId: "ISLD",
    targetCompId: target,
    resetOnLogon: true,
    validate: dictionaryValidator(beginString, {
      options: { checkFieldsHaveValues: target !== "NO_CHECK_FIELDS_HAVE_VALUES" },
    }),
  }));
  for (
    const [target, applVerId] of [["TW50", "FIX.5.0"], ["TW50SP1", "FIX.5.0SP1"], [
      "TW50SP2",
      "FIX.5.0SP2",
    ]] as const
  ) {
    sessions.push({
      beginString: "FIXT.1.1",
      senderCompId: "ISLD",
      targetCompId: target,
      defaultApplVerId: applVerId,
      resetOnLogon: true,
      validate: dictionaryValidator("FIXT.1.1"),
    });
  }
  return sessions;
}

/** Starts the acceptance-test acceptor on 127.0.0.1. */
export function startAtAcceptor(port = 0, logger?: Logger): Acceptor {
  return new Acceptor({
    port,
    sessions: atSessions(),
    application: echoApplication(),
    ...(logger === undefined ? {} : { logger }),
  }).listen();
}

if (import.meta.main) {
  const verbose = Deno.args.includes("-v");
  const port = Number(Deno.args.find((a) => /^\d+$/.test(a)) ?? 0);
  const acceptor = startAtAcceptor(port, (level, message) => {
    if (verbose || level === "warn" || level === "error") console.error(`${level} ${message}`);
  });
  console.log(`listening on ${acceptor.port}`);
}
