/**
 * Throughput of the transports: 4 MiB sent in 4 KiB writes and echoed back,
 * over plain TCP (the floor), TLS (`Deno.listenTls`) and mutual TLS (the
 * `node:tls` adapter). Run: `./denow bench -A lib/transport/net_bench.ts`.
 * Needs `openssl` for the test certificates.
 */

import { generateTestCertificates } from "../../tests/_certs.ts";
import { connect, listen, type NetConn, type Server } from "./net.ts";

const TOTAL_BYTES = 4 * 1024 * 1024;
const WRITE_BYTES = 4096;
const chunk = new Uint8Array(WRITE_BYTES).fill(0x41);

const certs = await generateTestCertificates();
const serverTls = { cert: { pem: certs.server.cert }, key: { pem: certs.server.key } };
const trust = { ca: { pem: certs.ca.cert } };

async function echoServer(server: Server): Promise<void> {
  for await (const conn of server) {
    (async () => {
      const buffer = new Uint8Array(65536);
      try {
        while (true) {
          const n = await conn.read(buffer);
          if (n === null) break;
          let offset = 0;
          while (offset < n) offset += await conn.write(buffer.subarray(offset, n));
        }
      } catch {
        // Closed by the client.
      }
      try {
        conn.close();
      } catch {
        // Already closed.
      }
    })();
  }
}

async function pump(conn: NetConn): Promise<void> {
  const reading = (async () => {
    const buffer = new Uint8Array(65536);
    let received = 0;
    while (received < TOTAL_BYTES) {
      const n = await conn.read(buffer);
      if (n === null) throw new Error("Cannot finish: the echo ended early");
      received += n;
    }
  })();
  for (let sent = 0; sent < TOTAL_BYTES;) {
    let offset = 0;
    while (offset < WRITE_BYTES) offset += await conn.write(chunk.subarray(offset));
    sent += WRITE_BYTES;
  }
  await reading;
}

const tcp = await listen({ host: "127.0.0.1", port: 0 });
const tls = await listen({ host: "127.0.0.1", port: 0, tls: serverTls });
const mtls = await listen({
  host: "127.0.0.1",
  port: 0,
  tls: { ...serverTls, ca: { pem: certs.ca.cert }, requireClientCert: true },
});
for (const server of [tcp, tls, mtls]) echoServer(server);

const tcpConn = await connect({ host: "127.0.0.1", port: tcp.addr.port });
const tlsConn = await connect({ host: "127.0.0.1", port: tls.addr.port, tls: trust });
const mtlsConn = await connect({
  host: "127.0.0.1",
  port: mtls.addr.port,
  tls: { ...trust, cert: { pem: certs.client.cert }, key: { pem: certs.client.key } },
});

Deno.bench("echo 4 MiB over TCP (floor)", { group: "echo", baseline: true }, async () => {
  await pump(tcpConn);
});
Deno.bench("echo 4 MiB over TLS (Deno.listenTls)", { group: "echo" }, async () => {
  await pump(tlsConn);
});
Deno.bench("echo 4 MiB over mutual TLS (node:tls adapter)", { group: "echo" }, async () => {
  await pump(mtlsConn);
});

globalThis.addEventListener("unload", () => {
  for (const conn of [tcpConn, tlsConn, mtlsConn]) conn.close();
  Deno.removeSync(certs.dir, { recursive: true });
});
