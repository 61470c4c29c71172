/**
 * Admission control of a TLS listener (lib/transport `listen` with `tls`):
 * connections that never complete their handshake cannot keep a client out,
 * with or without client certificates, and an allow-list refuses a foreign
 * source before any handshake work (127.0.0.2 is another source than
 * 127.0.0.1 on loopback).
 */

import net from "node:net";
import { assertEquals } from "../lib/testing/assert.ts";
import { connect, listen, type RejectedConnection } from "../lib/transport/mod.ts";
import { generateTestCertificates, type TestCertificates } from "./_certs.ts";

function silent(port: number, localAddress: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: "127.0.0.1", port, localAddress });
    s.on("error", () => {}); // closed by the server: expected
    s.once("connect", () => resolve(s));
    s.once("error", reject);
  });
}

/** `promise`, or a rejection after `ms` (a listener that never answers fails, not hangs). */
async function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) =>
        timer = setTimeout(() => reject(new Error(`${what}: nothing within ${ms} ms`)), ms)
      ),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

async function echoed(server: { accept(): Promise<Deno.Conn> }, client: Deno.Conn) {
  const accepted = await within(30_000, "accept", server.accept());
  await client.write(new TextEncoder().encode("ok"));
  const buf = new Uint8Array(8);
  const n = await accepted.read(buf);
  accepted.close();
  return n;
}

Deno.test("TLS listen: 200 connections silent in their handshake do not keep a client out", async (t) => {
  await using certs: TestCertificates = await generateTestCertificates();
  const serverTls = { cert: { file: certs.server.certFile }, key: { file: certs.server.keyFile } };
  const trustCa = { ca: { pem: certs.ca.cert } };
  const clientCert = { cert: { pem: certs.client.cert }, key: { pem: certs.client.key } };
  for (
    const [name, tls, client] of [
      ["server certificate", serverTls, trustCa],
      [
        "client certificates",
        { ...serverTls, ca: { file: certs.ca.certFile }, requireClientCert: true },
        { ...trustCa, ...clientCert },
      ],
    ] as const
  ) {
    await t.step(name, async () => {
      const rejected: RejectedConnection[] = [];
      await using server = await listen({
        host: "127.0.0.1",
        port: 0,
        tls,
        handshakeTimeoutMs: 60_000,
        onRejected: (r) => rejected.push(r),
      });
      const idle: net.Socket[] = [];
      try {
        for (let i = 0; i < 200; i++) {
          idle.push(await silent(server.addr.port, `127.0.0.${2 + i % 20}`));
        }
        using conn = await connect({
          host: "127.0.0.1",
          port: server.addr.port,
          tls: client,
          timeoutMs: 10_000,
        });
        assertEquals(await echoed(server, conn), 2);
      } finally {
        for (const s of idle) s.destroy();
      }
      assertEquals(rejected.some((r) => r.reason.includes("to make room")), true);
    });
  }
});

Deno.test("TLS listen: allowRemote refuses a foreign source before its handshake", async () => {
  await using certs: TestCertificates = await generateTestCertificates();
  const rejected: RejectedConnection[] = [];
  await using server = await listen({
    host: "127.0.0.1",
    port: 0,
    tls: { cert: { file: certs.server.certFile }, key: { file: certs.server.keyFile } },
    allowRemote: (r) => r.host === "127.0.0.1",
    onRejected: (r) => rejected.push(r),
  });
  const foreign = await silent(server.addr.port, "127.0.0.2");
  while (rejected.length === 0) await new Promise((r) => setTimeout(r, 10));
  foreign.destroy();
  assertEquals(rejected.map((r) => [r.remote?.host, r.reason]), [[
    "127.0.0.2",
    "address not allowed",
  ]]);
  using conn = await connect({
    host: "127.0.0.1",
    port: server.addr.port,
    tls: { ca: { pem: certs.ca.cert } },
  });
  assertEquals(await echoed(server, conn), 2);
});
