/**
 * A Tandem node with a small custom application for the gateway failover
 * test (`gateway_app_failover_test.ts`): `hedger` answers every fill the venue
 * reports for an order `GW-…` with two hedge orders `H1-GW-…` and `H2-GW-…`
 * (the other side, same quantity), built from the execution report alone, as
 * the README asks of an application that must survive a failover.
 *
 * Run as `deno run -A tests/_gateway_hedger.ts run --config node.yaml`.
 *
 * @module
 */

import { runNode } from "../mod.ts";
import type { Application } from "../lib/engine/mod.ts";

/** Prefix of the orders the hedger answers (its own hedges are left alone). */
export const HEDGED_PREFIX = "GW-";

/** Answers each fill of a `GW-…` order with two hedge orders; see the module doc. */
export function hedger(): Application {
  return {
    onMessage(m, session) {
      if (m.msgType !== "8" || m.get(39) !== "2") return;
      const clOrdId = m.get(11) ?? "";
      if (!clOrdId.startsWith(HEDGED_PREFIX)) return;
      for (const leg of ["H1", "H2"]) {
        session.send("D", [
          [11, `${leg}-${clOrdId}`],
          [21, "1"],
          [55, m.get(55) ?? "IBM"],
          [54, m.get(54) === "1" ? "2" : "1"],
          [60, m.get(52) ?? "20261124-12:00:00"],
          [38, m.get(32) ?? "100"],
          [40, "1"],
        ]);
      }
    },
  };
}

if (import.meta.main) Deno.exit(await runNode({ applications: { hedger: hedger() } }));
