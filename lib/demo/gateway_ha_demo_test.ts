import { assert, assertEquals, assertStringIncludes } from "../testing/assert.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;

Deno.test({
  name:
    "tandem demo --gateway-ha: SIGKILL of the gateway leader, every order at the venue once, every execution at the application once, temp dir removed",
  async fn() {
    const { code, stdout } = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", MAIN, "demo", "--gateway-ha", "--orders", "300"],
      stdin: "null",
    }).output();
    const out = new TextDecoder().decode(stdout);
    assertEquals(code, 0, out);
    assertStringIncludes(out, "orders sent              300");
    assertStringIncludes(out, "executions received      600");
    assertStringIncludes(out, "messages lost            0");
    assertStringIncludes(out, "duplicates               0");
    assertStringIncludes(out, "leader killed at         order 150 (SIGKILL)");
    assertStringIncludes(out, "(the gateway agrees)");
    assertStringIncludes(
      out,
      "every order reached the venue once and every execution the application once",
    );
    const dir = /in (\/\S+tandem-gateway-ha-demo-\S+)/.exec(out)?.[1];
    assert(dir !== undefined, out);
    let gone = false;
    await Deno.stat(dir).catch(() => (gone = true));
    assert(gone, `${dir} removed`);
  },
});
