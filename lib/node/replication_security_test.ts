import { assertEquals, assertRejects } from "../testing/assert.ts";
import { Logger } from "../log/mod.ts";
import { refusalLogger, replicationTlsOptions } from "./replication_security.ts";

Deno.test("refusalLogger() writes one line per reason per interval and counts the suppressed ones", () => {
  const lines: string[] = [];
  let now = 0;
  const log = new Logger({ sink: (l) => lines.push(l), nowMs: () => now });
  const counted: string[] = [];
  const refused = refusalLogger(log, (r) => counted.push(r), 10_000, () => now);
  for (let i = 0; i < 1000; i++) refused("peer-refused", "own id", "127.0.0.1:1");
  refused("authentication-failed", "bad proof", "127.0.0.1:2");
  now = 10_000;
  refused("peer-refused", "own id", "127.0.0.1:1");
  const parsed = lines.map((l) => JSON.parse(l));
  assertEquals(parsed.map((p) => [p.level, p.msg, p.reason, p.suppressed]), [
    ["warn", "replication handshake refused", "peer-refused", undefined],
    ["warn", "replication handshake refused", "authentication-failed", undefined],
    ["warn", "replication handshake refused", "peer-refused", 999],
  ]);
  assertEquals(counted.length, 1002, "every refusal is counted");
});

Deno.test("replicationTlsOptions() names the file it cannot read", async () => {
  await assertRejects(
    () =>
      replicationTlsOptions({
        certFile: "/nonexistent/node.pem",
        keyFile: "/nonexistent/node.key",
        caFile: "/nonexistent/ca.pem",
        requireClientCert: true,
      }),
    Error,
    `Cannot read replication.tls.certFile "/nonexistent/node.pem"`,
  );
  assertEquals(await replicationTlsOptions(undefined), undefined);
});
