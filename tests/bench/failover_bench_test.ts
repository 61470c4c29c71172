import { assert, assertEquals } from "../../lib/testing/assert.ts";
import { ACK_TIMEOUT_MS, failoverRows, RECONNECT_DELAY_MS } from "./failover_bench.ts";

const sample = (logonMs: number) => ({ logonMs, promotedMs: 200, logonReceivedMs: 300 });

Deno.test("failoverRows() gives p50 and max per strategy, named, beside the reconnect delay", () => {
  const rows = failoverRows([
    { strategy: "never", samples: [340, 320, 330, 360, 325].map(sample) },
    { strategy: "forever", samples: [900, 700].map(sample) },
  ]);
  assertEquals(rows.map((r) => [r.figure, r.value]), [
    ["failover SIGKILL->logon p50, ack never (5 kills)", 330],
    ["failover SIGKILL->logon max, ack never (5 kills)", 360],
    ["failover SIGKILL->logon p50, ack forever (2 kills; incl. restart of the killed node)", 700],
    ["failover SIGKILL->logon max, ack forever (2 kills; incl. restart of the killed node)", 900],
  ]);
  for (const r of rows) {
    assertEquals(r.floorValue, RECONNECT_DELAY_MS);
    assert(r.note?.includes("auto-promote after"), r.note);
  }
  assertEquals(rows[0]!.pass, true); // never: <= 500 ms
  assertEquals(rows[2]!.target, undefined); // forever includes a restart: no target
});

Deno.test("failoverRows() names the timeout strategy's hold in the figure and in its target", () => {
  const [p50] = failoverRows([{ strategy: "timeout", samples: [sample(830)] }]);
  assert(p50!.figure.includes(`incl. ackTimeoutMs ${ACK_TIMEOUT_MS}`), p50!.figure);
  assertEquals(p50!.target, { on: "figure", max: 500 + ACK_TIMEOUT_MS });
  assertEquals(p50!.pass, true);
});

Deno.test("failoverRows() reports a failed strategy as a row with the reason, never a number", () => {
  const rows = failoverRows([
    { strategy: "quorum", samples: [], error: "the secondary was not promoted" },
    { strategy: "never", samples: [sample(330)], error: "Session held" },
  ]);
  assertEquals(rows.length, 4); // the failed strategy, then the failure and p50, max of the other
  assert(Number.isNaN(rows[0]!.value));
  assertEquals(rows[0]!.figure, "failover SIGKILL->logon, ack quorum (1 replica)");
  assertEquals(rows[0]!.note, "after 0 kill(s): the secondary was not promoted");
  assert(Number.isNaN(rows[1]!.value));
  assertEquals(rows[1]!.note, "after 1 kill(s): Session held");
  assertEquals(rows[2]!.value, 330);
});
