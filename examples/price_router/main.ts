// A Tandem node with the price router inside: `deno run -A main.ts run --config router.yaml`,
// or one binary: `deno compile -A --output price-router main.ts`.
import { runNode } from "../../mod.ts";
import { priceRouter } from "./router.ts";

const limits = {
  TNDM: { minPx: 9, maxPx: 11, maxQty: 1_000 },
  ACME: { minPx: 95, maxPx: 105, maxQty: 500 },
};

if (import.meta.main) Deno.exit(await runNode({ applications: { router: priceRouter(limits) } }));
