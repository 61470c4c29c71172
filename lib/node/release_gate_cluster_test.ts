import { assertEquals } from "../testing/assert.ts";
import { ReleaseGate } from "./release_gate.ts";

Deno.test("ReleaseGate.recheck() releases what a custom strategy now allows without a new ack", async () => {
  let commit = 0;
  using gate = new ReleaseGate({
    policy: {
      kind: "custom",
      strategy: {
        name: "commit",
        deadlineAtMs: () => undefined,
        isSatisfied: (c) => c.index <= commit,
      },
    },
  });
  let done = 0;
  gate.awaitRelease(1, "8")?.then(() => done++);
  gate.awaitRelease(2, "8")?.then(() => done++);
  await Promise.resolve();
  assertEquals(done, 0);
  commit = 1;
  gate.recheck();
  await Promise.resolve();
  assertEquals(done, 1);
  commit = 5;
  gate.recheck();
  await Promise.resolve();
  assertEquals(done, 2);
  assertEquals(gate.waitingCount, 0);
});
