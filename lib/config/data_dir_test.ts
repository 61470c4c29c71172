import { assertEquals, assertRejects, assertStringIncludes } from "../testing/assert.ts";
import { ConfigError, readConfigFile } from "./mod.ts";
import { checkDataDir } from "./verify_files.ts";

const config = (dataDir: string) =>
  `node:\n  role: acceptor\n  dataDir: ${JSON.stringify(dataDir)}\nfix: { listen: 127.0.0.1:0 }\n` +
  "sessions: [{ beginString: FIX.4.4, senderCompId: VENUE, targetCompId: CLIENT }]\n";

Deno.test("readConfigFile() names node.dataDir and its line when the data directory is a file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/file`, "");
    await Deno.writeTextFile(`${dir}/t.yaml`, config(`${dir}/file`));
    const e = await assertRejects(() => readConfigFile(`${dir}/t.yaml`, { env: {} }), ConfigError);
    assertEquals(e.issues.map((i) => [i.path, i.line]), [["node.dataDir", 3]]);
    assertEquals(
      e.issues[0]!.message,
      `Cannot use ${dir}/file as the data directory: not a directory`,
    );
    await Deno.writeTextFile(`${dir}/t.yaml`, config(`${dir}/file/data`));
    const under = await assertRejects(
      () => readConfigFile(`${dir}/t.yaml`, { env: {} }),
      ConfigError,
    );
    assertStringIncludes(under.issues[0]!.message, `${dir}/file is not a directory`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("checkDataDir() accepts an existing or creatable directory without creating it", async () => {
  const dir = await Deno.makeTempDir();
  try {
    assertEquals(await checkDataDir(dir), undefined);
    assertEquals(await checkDataDir(`${dir}/a/b/c`), undefined);
    assertEquals(await checkDataDir("relative-data-dir-that-does-not-exist"), undefined);
    const left = [];
    for await (const e of Deno.readDir(dir)) left.push(e.name);
    assertEquals(left, [], "neither the directory nor a probe file is left behind");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "checkDataDir() refuses a directory it cannot write to",
  ignore: Deno.uid() === 0, // root writes anywhere
  fn: async () => {
    const dir = await Deno.makeTempDir();
    try {
      await Deno.mkdir(`${dir}/ro`);
      await Deno.chmod(`${dir}/ro`, 0o555);
      assertEquals(
        await checkDataDir(`${dir}/ro`),
        `Cannot write to the data directory ${dir}/ro: permission denied`,
      );
      assertEquals(
        await checkDataDir(`${dir}/ro/data`),
        `Cannot create the data directory ${dir}/ro/data in ${dir}/ro: permission denied`,
      );
    } finally {
      await Deno.chmod(`${dir}/ro`, 0o755);
      await Deno.remove(dir, { recursive: true });
    }
  },
});
