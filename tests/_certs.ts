/**
 * Test certificates generated at test time with `openssl` (never checked in).
 *
 * Two independent CAs: the trusted "Tandem Test CA", which issues a server
 * certificate for `localhost` / `127.0.0.1` / `::1` (SAN) and a client
 * certificate (CN `tandem-client`), and a "Rogue CA" whose server and client
 * certificates must be refused. `peer` and `roguePeer` serve both ways (server
 * and client usage, as a replication node presents one certificate as both).
 * All keys are P-256 in PKCS#8 PEM.
 *
 * @module
 */

/** Paths and PEM text of one certificate and its key. */
export interface CertFiles {
  readonly certFile: string;
  readonly keyFile: string;
  readonly cert: string;
  readonly key: string;
}

/** Everything a TLS test needs; `dispose` removes the directory. */
export interface TestCertificates extends AsyncDisposable {
  readonly dir: string;
  readonly ca: CertFiles;
  readonly server: CertFiles;
  readonly client: CertFiles;
  readonly rogueCa: CertFiles;
  readonly rogueServer: CertFiles;
  readonly rogueClient: CertFiles;
  readonly peer: CertFiles;
  readonly roguePeer: CertFiles;
}

async function openssl(dir: string, args: string[]): Promise<void> {
  const out = await new Deno.Command("openssl", {
    args,
    cwd: dir,
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  if (!out.success) {
    throw new Error(
      `Cannot generate test certificate: openssl ${args.join(" ")} failed: ` +
        new TextDecoder().decode(out.stderr),
    );
  }
}

const KEY = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2"];

async function makeCa(dir: string, name: string, cn: string): Promise<CertFiles> {
  await openssl(dir, [
    "req",
    "-x509",
    ...KEY,
    "-keyout",
    `${name}.key`,
    "-out",
    `${name}.pem`,
    "-subj",
    `/CN=${cn}`,
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign",
  ]);
  return await read(dir, name);
}

async function makeLeaf(
  dir: string,
  name: string,
  cn: string,
  ca: string,
  usage: "serverAuth" | "clientAuth" | "serverAuth,clientAuth",
): Promise<CertFiles> {
  const extensions = [
    "-addext",
    "basicConstraints=critical,CA:FALSE",
    "-addext",
    `extendedKeyUsage=${usage}`,
  ];
  if (usage.includes("serverAuth")) {
    extensions.push("-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1");
  }
  await openssl(dir, [
    "req",
    "-x509",
    ...KEY,
    "-keyout",
    `${name}.key`,
    "-out",
    `${name}.pem`,
    "-subj",
    `/CN=${cn}`,
    "-CA",
    `${ca}.pem`,
    "-CAkey",
    `${ca}.key`,
    ...extensions,
  ]);
  return await read(dir, name);
}

async function read(dir: string, name: string): Promise<CertFiles> {
  const certFile = `${dir}/${name}.pem`;
  const keyFile = `${dir}/${name}.key`;
  return {
    certFile,
    keyFile,
    cert: await Deno.readTextFile(certFile),
    key: await Deno.readTextFile(keyFile),
  };
}

/** Generates the CAs and certificates in a fresh temporary directory. */
export async function generateTestCertificates(): Promise<TestCertificates> {
  const dir = await Deno.makeTempDir({ prefix: "tandem-certs-" });
  try {
    const ca = await makeCa(dir, "ca", "Tandem Test CA");
    const rogueCa = await makeCa(dir, "rogue-ca", "Rogue CA");
    const [server, client, rogueServer, rogueClient, peer, roguePeer] = await Promise.all([
      makeLeaf(dir, "server", "localhost", "ca", "serverAuth"),
      makeLeaf(dir, "client", "tandem-client", "ca", "clientAuth"),
      makeLeaf(dir, "rogue-server", "localhost", "rogue-ca", "serverAuth"),
      makeLeaf(dir, "rogue-client", "tandem-client", "rogue-ca", "clientAuth"),
      makeLeaf(dir, "peer", "localhost", "ca", "serverAuth,clientAuth"),
      makeLeaf(dir, "rogue-peer", "localhost", "rogue-ca", "serverAuth,clientAuth"),
    ]);
    return {
      dir,
      ca,
      server,
      client,
      rogueCa,
      rogueServer,
      rogueClient,
      peer,
      roguePeer,
      [Symbol.asyncDispose]: () => Deno.remove(dir, { recursive: true }),
    };
  } catch (error) {
    await Deno.remove(dir, { recursive: true });
    throw error;
  }
}
