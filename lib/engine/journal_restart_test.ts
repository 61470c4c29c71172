import { assertEquals } from "../testing/assert.ts";
import { TestClient } from "./_test_client.ts";

async function startChild(dir: string): Promise<{ port: number; child: Deno.ChildProcess }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("./_journal_acceptor_child.ts", import.meta.url).pathname, dir],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) throw new Error("Cannot start the acceptor child: it exited");
    text += new TextDecoder().decode(value);
  }
  reader.releaseLock();
  await child.stdout.cancel();
  return { port: Number(text.trim()), child };
}

async function kill(child: Deno.ChildProcess): Promise<void> {
  child.kill("SIGKILL");
  await child.status;
}

Deno.test("Acceptor on a journal continues sequence numbers and serves resends after SIGKILL and restart", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const first = await startChild(dir);
    {
      await using c = await TestClient.connect(first.port);
      await c.send("35=A|34=1|98=0|108=30");
      assertEquals((await c.next())?.msgSeqNum, 1);
      await c.send("35=D|34=2|11=ORD1|21=3|40=1|54=1|55=X|60=20261124-12:00:00");
      const echo = await c.next();
      assertEquals([echo?.msgType, echo?.msgSeqNum], ["D", 2]);
      await kill(first.child);
    }
    const second = await startChild(dir);
    try {
      await using c = await TestClient.connect(second.port);
      await c.send("35=A|34=3|98=0|108=30");
      const logon = await c.next();
      assertEquals([logon?.msgType, logon?.msgSeqNum], ["A", 3], "sender numbers continue");
      await c.send("35=2|34=4|7=1|16=0");
      const got = [await c.next(), await c.next(), await c.next()].map((m) =>
        `${m?.msgType}:${m?.msgSeqNum}:${m?.get(43)}:${m?.get(36) ?? m?.get(11)}`
      );
      assertEquals(got, ["4:1:Y:2", "D:2:Y:ORD1", "4:3:Y:4"]);
      await c.send("35=1|34=5|112=alive");
      assertEquals((await c.next())?.get(112), "alive", "target numbers continued too");
    } finally {
      await kill(second.child);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
