/**
 * The failover demo behind `tandem demo` (`deno task demo`): a primary, a
 * secondary and an initiator as child processes of this program, orders
 * streamed through the initiator's API, the primary killed midway, and a
 * measured summary. See `demo.ts`.
 *
 * @module
 */

export {
  DEMO_AUTO_PROMOTE_MS,
  DEMO_CONCURRENT_SENDS,
  DEMO_PHASE_TIMEOUT_MS,
  DEMO_WINDOW,
  type DemoOptions,
  type DemoSummary,
  formatSummary,
  runDemo,
} from "./demo.ts";
