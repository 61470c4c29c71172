import { assert, assertEquals, assertStringIncludes } from "../testing/assert.ts";
import { etcdInstalled } from "../testing/etcd_server.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;

Deno.test({
  name:
    "tandem demo --cluster: SIGKILL then SIGSTOP of the leader, every order executed exactly once, temp dir removed",
  ignore: !etcdInstalled(),
  async fn() {
    const { code, stdout } = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", MAIN, "demo", "--cluster", "--orders", "90"],
      stdin: "null",
    }).output();
    const out = new TextDecoder().decode(stdout);
    assertEquals(code, 0, out);
    assertStringIncludes(out, "messages lost            0");
    assertStringIncludes(out, "duplicates               0");
    assertStringIncludes(out, "SIGKILL of leader");
    assertStringIncludes(out, "SIGSTOP of leader");
    assertStringIncludes(out, "every order was executed exactly once");
    const dir = /in (\/\S+tandem-cluster-demo-\S+)/.exec(out)?.[1];
    assert(dir !== undefined, out);
    let gone = false;
    await Deno.stat(dir).catch(() => (gone = true));
    assert(gone, `${dir} removed`);
  },
});

Deno.test("tandem demo --cluster names the package to install when etcd is missing", async () => {
  const { code, stdout } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, "demo", "--cluster"],
    env: { ETCD_BIN: "/nonexistent/etcd" },
    stdin: "null",
  }).output();
  const out = new TextDecoder().decode(stdout);
  assertEquals(code, 1);
  assertStringIncludes(out, "apt-get install etcd-server");
});
