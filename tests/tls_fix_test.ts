/**
 * TLS on FIX connections end to end through the CLI, with certificates
 * generated for the test (`_certs.ts`): a Tandem gateway (initiator) and
 * Tandem acceptors configured with `fix.tls` / `connect.tls`.
 */

import { assert, assertEquals } from "../lib/testing/assert.ts";
import { Acceptor } from "../lib/engine/mod.ts";
import type { RejectedConnection } from "../lib/transport/mod.ts";
import { generateTestCertificates } from "./_certs.ts";
import {
  adminGet,
  adminPortOf,
  api,
  freePorts,
  orderJson,
  sessionState,
  TandemProcess,
  writeGatewayYaml,
  writeVenueYaml,
} from "./_gateway_process.ts";

Deno.test("TLS both ways through the CLI: the gateway refuses an acceptor with an untrusted certificate, fails over to the trusted one and trades", async () => {
  await using certs = await generateTestCertificates();
  const dir = await Deno.makeTempDir({ prefix: "tandem-tls-fix-" });
  try {
    // Address 0: an in-process acceptor presenting a certificate of the rogue CA.
    const rejected: RejectedConnection[] = [];
    await using rogue = await new Acceptor({
      sessions: [{ beginString: "FIX.4.4", senderCompId: "EXEC", targetCompId: "GW" }],
      tls: { cert: { file: certs.rogueServer.certFile }, key: { file: certs.rogueServer.keyFile } },
      onRejected: (r) => rejected.push(r),
      logger: () => {},
    }).start();
    const [fixPort, apiPort] = freePorts(2);
    const venueYaml = await writeVenueYaml(dir, fixPort!, {
      fixTls: `certFile: ${certs.server.certFile}\nkeyFile: ${certs.server.keyFile}`,
    });
    const gatewayYaml = await writeGatewayYaml(dir, apiPort!, [{
      sender: "GW",
      target: "EXEC",
      application: "api",
      connect: {
        addresses: [`127.0.0.1:${rogue.port}`, `127.0.0.1:${fixPort}`],
        extra: `attemptsPerAddress: 1\ntls:\n  caFile: ${certs.ca.certFile}`,
      },
    }]);
    await using venue = new TandemProcess("venue", venueYaml);
    await venue.waitFor("accepting FIX connections");
    await using gateway = new TandemProcess("gateway", gatewayYaml);
    await gateway.waitFor(['"logged on"', '"addressIndex":1']);
    const failed = JSON.parse(await gateway.waitFor("connection attempt failed"));
    assertEquals([failed.addressIndex, failed.failure], [0, "connect-error"]);
    assertEquals(rogue.connections, 0, "the rogue acceptor never saw a FIX byte");

    const r = await api(apiPort!, "POST", "/sessions/FIX.4.4:GW-%3EEXEC/messages", orderJson("T1"));
    assertEquals(r.status, 200, JSON.stringify(r.json));
    await venue.waitFor("session logged on");
    // New and Filled came back over TLS: the gateway's next expected MsgSeqNum is 4.
    const deadline = Date.now() + 10_000;
    while ((await sessionState(apiPort!, "FIX.4.4:GW->EXEC")).nextTargetSeqNum < 4) {
      assert(Date.now() < deadline, "no ExecutionReports over TLS");
      await new Promise((res) => setTimeout(res, 20));
    }
    assert(rejected.length >= 1, "the rogue acceptor saw the failed handshake");
    // The events reached the metrics too.
    const metrics = await adminGet(await adminPortOf(gateway), "/metrics");
    for (
      const series of [
        'tandem_connection_events_total{event="attempt-failed",session="FIX.4.4:GW->EXEC"} 1',
        'tandem_connection_events_total{event="logged-on",session="FIX.4.4:GW->EXEC"} 1',
        'tandem_connection_failures_total{failure="connect-error",session="FIX.4.4:GW->EXEC"} 1',
      ]
    ) assert(metrics.includes(series), `${series}\n${metrics}`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("An acceptor requiring client certificates refuses a gateway session without one or with a rogue one and accepts one issued by its CA", async () => {
  await using certs = await generateTestCertificates();
  const dir = await Deno.makeTempDir({ prefix: "tandem-mtls-fix-" });
  try {
    const [fixPort, apiPort] = freePorts(2);
    const venueYaml = await writeVenueYaml(dir, fixPort!, {
      fixTls: [
        `certFile: ${certs.server.certFile}`,
        `keyFile: ${certs.server.keyFile}`,
        `caFile: ${certs.ca.certFile}`,
        "requireClientCert: true",
      ].join("\n"),
      targets: ["NOCERT", "ROGUE", "GOOD"],
    });
    const session = (sender: string, cert?: { certFile: string; keyFile: string }) => ({
      sender,
      target: "EXEC",
      application: "api" as const,
      connect: {
        addresses: [`127.0.0.1:${fixPort}`],
        extra: [
          "tls:",
          `  caFile: ${certs.ca.certFile}`,
          ...(cert ? [`  certFile: ${cert.certFile}`, `  keyFile: ${cert.keyFile}`] : []),
        ].join("\n"),
      },
    });
    const gatewayYaml = await writeGatewayYaml(dir, apiPort!, [
      session("NOCERT"),
      session("ROGUE", certs.rogueClient),
      session("GOOD", certs.client),
    ]);
    await using venue = new TandemProcess("venue", venueYaml);
    await venue.waitFor("accepting FIX connections");
    await using gateway = new TandemProcess("gateway", gatewayYaml);
    await gateway.waitFor(['"logged on"', "FIX.4.4:GOOD->EXEC"]);
    for (const who of ["NOCERT", "ROGUE"]) {
      const line = await gateway.waitFor(["connection attempt failed", `FIX.4.4:${who}->EXEC`]);
      const failure = JSON.parse(line).failure as string;
      // TLS 1.3: the client may finish its handshake before the server checks
      // its certificate, so the refusal shows as a close before Logon.
      assert(
        failure === "connect-error" || failure === "closed-before-logon",
        `${who}: ${failure}`,
      );
      const state = await sessionState(apiPort!, `FIX.4.4:${who}->EXEC`);
      assertEquals(state.loggedOn, false, who);
    }
    assertEquals((await sessionState(apiPort!, "FIX.4.4:GOOD->EXEC")).loggedOn, true);
    await venue.waitFor("connection refused");
    assert(
      !venue.lines.some((l) => l.includes("logged on") && !l.includes("GOOD")),
      "only GOOD logged on at the venue",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
