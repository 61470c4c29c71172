import { assert, assertEquals } from "./assert.ts";
import { freePort, freePorts, freePortsFrom, MIN_TEST_PORT, RESERVATION_DIR } from "./ports.ts";

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

/**
 * A script for `deno eval` that prints the `n` ports `freePortsFrom(start, n)` hands it (as JSON),
 * then, with `untilStdinCloses`, stays until its stdin closes.
 */
function reservingScript(start: number, n: number, untilStdinCloses: boolean): string {
  const ports = JSON.stringify(new URL("./ports.ts", import.meta.url).href);
  return `import { freePortsFrom } from ${ports};
console.log(JSON.stringify(freePortsFrom(${start}, ${n})));
${untilStdinCloses ? "for await (const _ of Deno.stdin.readable) { /* until closed */ }" : ""}`;
}

/** Whether a reservation file for `port` exists. */
function reservedNow(port: number): boolean {
  try {
    Deno.statSync(`${RESERVATION_DIR}/${port}`);
    return true;
  } catch {
    return false;
  }
}

Deno.test("freePorts() never hands out a port another process reserved and has not bound yet", async () => {
  // A child reserves ports from a fixed start, binds none of them and waits; this process then
  // looks from the same start: every port is bindable, only the reservations keep them apart.
  const start = MIN_TEST_PORT + 1000 + Math.floor(Math.random() * 10_000);
  const child = new Deno.Command(Deno.execPath(), {
    args: ["eval", reservingScript(start, 5, true)],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  try {
    const reader = child.stdout.getReader();
    let text = "";
    while (!text.includes("\n")) {
      const { value, done } = await reader.read();
      if (done) throw new Error("the child ended before printing its ports");
      text += new TextDecoder().decode(value);
    }
    reader.releaseLock();
    const theirs: number[] = JSON.parse(text);
    assertEquals(theirs.length, 5);
    for (const p of theirs) assert(reservedNow(p), `${p} is not reserved`);
    const mine = freePortsFrom(start, 5);
    for (const p of mine) assert(!theirs.includes(p), `${p} was handed out to both processes`);
  } finally {
    await child.stdin.close(); // the child ends and removes its reservations
    await child.stdout.cancel().catch(() => {});
    await child.status;
  }
});

Deno.test("a process's reservations end with it", async () => {
  const start = MIN_TEST_PORT + 1000 + Math.floor(Math.random() * 10_000);
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", reservingScript(start, 3, false)],
  }).output();
  assert(out.success);
  const theirs: number[] = JSON.parse(new TextDecoder().decode(out.stdout));
  for (const p of theirs) assert(!reservedNow(p), `the reservation of ${p} outlived its process`);
});
