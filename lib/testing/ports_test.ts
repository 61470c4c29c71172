import { assert, assertEquals } from "./assert.ts";
import { freePort, freePorts, MIN_TEST_PORT } from "./ports.ts";

Deno.test("freePorts() gives distinct bindable ports below the ephemeral range, never one twice", () => {
  const range = Deno.readTextFileSync("/proc/sys/net/ipv4/ip_local_port_range");
  const ephemeral = Number(range.trim().split(/\s+/)[0]);
  const a = freePorts(20);
  const b = [...freePorts(20), freePort()];
  const all = [...a, ...b];
  assertEquals(new Set(all).size, all.length, "no port handed out twice");
  for (const p of all) {
    assert(p >= MIN_TEST_PORT && p < ephemeral, `${p} lies outside ${MIN_TEST_PORT}-${ephemeral}`);
    Deno.listen({ hostname: "127.0.0.1", port: p }).close();
  }
});

Deno.test("freePorts() skips a port that is taken", () => {
  const [p] = freePorts(1);
  using _taken = Deno.listen({ hostname: "127.0.0.1", port: p! });
  for (let i = 0; i < 50; i++) assert(!freePorts(1).includes(p!));
});
