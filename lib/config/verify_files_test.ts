import { assertEquals, assertRejects, assertStringIncludes } from "../testing/assert.ts";
import { ConfigError, readConfigFile } from "./mod.ts";

const FIX44_XML = `${Deno.cwd()}/spec/FIX44.xml`;

function config(dictionary: string, extra = ""): string {
  return `node: { role: acceptor }
fix:
  listen: 127.0.0.1:9876
${extra}sessions:
  - beginString: FIX.4.4
    senderCompId: ISLD
    targetCompId: TW44
    dictionary: ${JSON.stringify(dictionary)}
`;
}

Deno.test("readConfigFile() accepts a readable custom dictionary", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/t.yaml`, config(FIX44_XML));
    const c = await readConfigFile(`${dir}/t.yaml`, { env: {} });
    assertEquals(c.sessions[0]!.dictionary, FIX44_XML);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("readConfigFile() names the key and line of a missing or malformed dictionary", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/t.yaml`;
    await Deno.writeTextFile(path, config(`${dir}/missing.xml`));
    const missing = await assertRejects(() => readConfigFile(path, { env: {} }), ConfigError);
    assertEquals(missing.issues.map((i) => [i.path, i.line]), [["sessions[0].dictionary", 8]]);
    assertStringIncludes(missing.issues[0]!.message, "file not found");
    await Deno.writeTextFile(`${dir}/bad.xml`, "<fix major='4'><header>");
    await Deno.writeTextFile(path, config(`${dir}/bad.xml`));
    const bad = await assertRejects(() => readConfigFile(path, { env: {} }), ConfigError);
    assertEquals(bad.issues[0]!.path, "sessions[0].dictionary");
    assertStringIncludes(bad.issues[0]!.message, "Cannot load dictionary");
    // verifyFiles: false skips the check.
    await readConfigFile(path, { env: {}, verifyFiles: false });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("readConfigFile() refuses unreadable TLS files", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/t.yaml`;
    await Deno.writeTextFile(`${dir}/cert.pem`, "-----BEGIN CERTIFICATE-----\n");
    await Deno.writeTextFile(
      path,
      config(FIX44_XML, `  tls: { certFile: ${dir}/cert.pem, keyFile: ${dir}/key.pem }\n`),
    );
    const e = await assertRejects(() => readConfigFile(path, { env: {} }), ConfigError);
    assertEquals(e.issues.map((i) => [i.path, i.line]), [["fix.tls.keyFile", 4]]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
