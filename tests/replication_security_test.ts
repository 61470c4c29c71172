/**
 * Issue 11, item 1, against real `main.ts` processes: an attacker that holds
 * the secondary's replication address while the secondary is down and plays
 * the primary's own probes back to the primary's listener (rewriting ids and
 * epochs, or replaying the probe's nonce to enrol itself as a follower) must
 * achieve nothing: no step-down, no record, no release under `forever`, and a
 * log line that names the refusal. And replication over mutual TLS works and
 * refuses a peer without a valid client certificate.
 */

import { assert, assertEquals } from "../lib/testing/assert.ts";
import { encodeFrame, FrameDecoder, type ReplicationMessage } from "../lib/replication/mod.ts";
import { admin, Cluster, metricValue, status, waitUntil } from "./_failover_cluster.ts";
import { OrderClient } from "./_failover_client.ts";
import { generateTestCertificates } from "./_certs.ts";

/** Replication frames over one TCP connection, as an attacker speaks them. */
class Frames {
  readonly #conn: Deno.Conn;
  readonly #decoder = new FrameDecoder();
  readonly #buf = new Uint8Array(64 * 1024);
  constructor(conn: Deno.Conn) {
    this.#conn = conn;
  }
  async send(m: ReplicationMessage): Promise<void> {
    const f = encodeFrame(m);
    let o = 0;
    while (o < f.length) o += await this.#conn.write(f.subarray(o));
  }
  /** The next message, or undefined at end of stream, error or after `timeoutMs`. */
  async receive(timeoutMs = 5_000): Promise<ReplicationMessage | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const r = this.#decoder.next();
      if (r?.kind === "message") return r.message;
      if (r?.kind === "error") return undefined;
      const left = deadline - Date.now();
      if (left <= 0) return undefined;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const n = await Promise.race([
        this.#conn.read(this.#buf).catch(() => null),
        new Promise<null>((res) => timer = setTimeout(() => res(null), left)),
      ]);
      clearTimeout(timer);
      if (n === null) return undefined;
      this.#decoder.push(this.#buf.subarray(0, n));
    }
  }
  close(): void {
    try {
      this.#conn.close();
    } catch { /* closed */ }
  }
}

/**
 * Listens on `port` (the absent secondary's replication address) and turns
 * every probe of the primary against the primary's own listener at
 * `primaryPort`, with one of two attacks:
 *
 * - `reflect`: relay the probe to the primary's listener as if it came from
 *   `peerId`, announcing an epoch 5 higher (a step-down, in protocol 1);
 * - `enrol`: open a follower connection to the primary with the probe's
 *   nonce, have the prober answer the primary's Challenge, then ack far
 *   ahead (a journal leak and forged releases, in protocol 1).
 */
class ReflectingAttacker implements AsyncDisposable {
  readonly #listener: Deno.TcpListener;
  readonly #loop: Promise<void>;
  readonly #primaryPort: number;
  readonly #peerId: string;
  readonly #mode: "reflect" | "enrol";
  /** Every message the primary sent to the attacker on its own connections. */
  readonly fromPrimary: ReplicationMessage[] = [];
  probes = 0;

  constructor(mode: "reflect" | "enrol", port: number, primaryPort: number, peerId: string) {
    this.#listener = Deno.listen({ hostname: "127.0.0.1", port });
    this.#mode = mode;
    this.#primaryPort = primaryPort;
    this.#peerId = peerId;
    this.#loop = this.#run();
  }

  async #run(): Promise<void> {
    for (;;) {
      let conn: Deno.Conn;
      try {
        conn = await this.#listener.accept();
      } catch {
        return;
      }
      this.probes++;
      const probe = new Frames(conn);
      let primary: Frames;
      try {
        primary = new Frames(
          await Deno.connect({ hostname: "127.0.0.1", port: this.#primaryPort }),
        );
      } catch {
        probe.close(); // the primary's listener is gone (it stepped down)
        continue;
      }
      try {
        if (this.#mode === "reflect") await this.#reflect(probe, primary);
        else await this.#enrol(probe, primary);
      } catch {
        // a closed socket ends one attempt
      } finally {
        probe.close();
        primary.close();
      }
    }
  }

  async #reflect(probe: Frames, primary: Frames): Promise<void> {
    const hello = await probe.receive();
    if (hello?.type !== "hello") return;
    await primary.send({ ...hello, nodeId: this.#peerId, nodeEpoch: hello.nodeEpoch + 5 });
    for (;;) {
      const m = await primary.receive();
      if (m === undefined) return;
      await probe.send(m.type === "challenge" ? { ...m, nodeId: this.#peerId } : m);
      if (m.type === "close") return;
      const r = await probe.receive();
      if (r === undefined) return;
      await primary.send(r);
    }
  }

  async #enrol(probe: Frames, primary: Frames): Promise<void> {
    const hello = await probe.receive();
    if (hello?.type !== "hello") return;
    await primary.send({
      ...hello,
      role: "follower",
      nodeId: this.#peerId,
      lastIndex: 0,
      lastEpoch: 0,
      nodeEpoch: 0,
    });
    const challenge = await primary.receive();
    if (challenge) this.fromPrimary.push(challenge);
    if (challenge?.type !== "challenge") return;
    await probe.send({ ...challenge, nodeId: this.#peerId });
    const response = await probe.receive();
    if (response?.type !== "response") return;
    await primary.send(response);
    for (let i = 0; i < 20; i++) {
      await primary.send({ type: "ack", durableIndex: 1_000_000 });
      const m = await primary.receive(100);
      if (m === undefined) continue;
      this.fromPrimary.push(m);
      if (m.type === "close") return;
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.#listener.close();
    await this.#loop;
  }
}

async function reflectionAttack(mode: "reflect" | "enrol"): Promise<void> {
  await using cluster = await Cluster.create({ ackStrategy: "forever" });
  const a = await cluster.start("a", "primary");
  await cluster.start("b", "secondary");
  await using client = await OrderClient.start({ ports: [cluster.ports.a.fix] });
  await client.until(() => client.loggedOn, "first logon");
  await client.stream(10, 10);
  await client.until(() => client.filledOrders === 10, "10 orders filled");
  await cluster.kill("b");
  const reportsBefore = client.reports;
  // Held under `forever`: only a real replica's ack may release its execution.
  client.sendOrder();
  {
    await using attacker = new ReflectingAttacker(
      mode,
      cluster.ports.b.replication,
      cluster.ports.a.replication,
      "b",
    );
    await waitUntil(() => attacker.probes >= 3, "three probes of the primary turned back on it");
    // Give an effect (step-down, release) time to show before looking.
    await new Promise((r) => setTimeout(r, 1_500));
    assertEquals(
      attacker.fromPrimary.filter((m) => m.type !== "close").map((m) => m.type),
      [],
      "the attacker got no challenge, welcome or records",
    );
  }
  const metrics = (await admin(cluster.ports.a.admin, "/metrics"))!.body;
  assert(!a.lines.some((l) => l.includes("stepping down")), "no step-down in the log");
  assert(!a.lines.some((l) => l.includes("stopped accepting FIX connections")));
  assertEquals(metricValue(metrics, "tandem_accepting_logons"), 1, "no step-down");
  assertEquals(client.reports, reportsBefore, "no execution released by a forged ack");
  const refused = a.lines.find((l) => l.includes("replication handshake refused"));
  assert(refused !== undefined && /reflected|own/.test(refused), `log line: ${refused}`);
  assert(metricValue(metrics, "tandem_replication_refusals_total") > 0, "refusals counted");
  // The real secondary comes back: its acks release the held execution.
  await cluster.start("b", "secondary");
  await client.until(() => client.filledOrders === 11, "the held order filled once b acked");
  assertEquals(client.wrongOrders(), []);
}

Deno.test("replication: the primary's own probe reflected to its listener with a raised epoch makes it step down no more", async () => {
  await reflectionAttack("reflect");
});

Deno.test("replication: an attacker replaying the primary's probe nonce to enrol as follower gets no record and releases nothing", async () => {
  await reflectionAttack("enrol");
});

Deno.test("replication: over mutual TLS the pair replicates, and a peer without a valid client certificate is refused", async () => {
  await using certs = await generateTestCertificates();
  await using cluster = await Cluster.create({
    ackStrategy: "forever",
    replicationTls: {
      certFile: certs.peer.certFile,
      keyFile: certs.peer.keyFile,
      caFile: certs.ca.certFile,
    },
  });
  const a = await cluster.start("a", "primary");
  await cluster.start("b", "secondary"); // waits until b streams over TLS
  await using client = await OrderClient.start({ ports: [cluster.ports.a.fix] });
  await client.until(() => client.loggedOn, "logon");
  await client.stream(20, 10);
  await client.until(() => client.filledOrders === 20, "20 orders filled (acked over TLS)");
  const aLast = ((await status(cluster.ports.a.admin))!.journal as { lastIndex: number })
    .lastIndex;
  await waitUntil(async () => {
    const b = (await status(cluster.ports.b.admin))!.journal as { lastIndex: number };
    return b.lastIndex === aLast;
  }, "b holds a's journal");

  const port = cluster.ports.a.replication;
  // A rogue CA's certificate, no certificate, and plain TCP: all refused before a frame.
  for (const cert of [certs.roguePeer, undefined]) {
    let refused = false;
    try {
      const conn = await Deno.connectTls({
        hostname: "127.0.0.1",
        port,
        caCerts: [certs.ca.cert],
        ...(cert ? { cert: cert.cert, key: cert.key } : {}),
      });
      try {
        await conn.handshake();
        const n = await conn.read(new Uint8Array(64));
        refused = n === null;
      } catch {
        refused = true;
      } finally {
        try {
          conn.close();
        } catch { /* closed */ }
      }
    } catch {
      refused = true;
    }
    assert(refused, `a peer with ${cert ? "a rogue" : "no"} certificate was served`);
  }
  const plain = await Deno.connect({ hostname: "127.0.0.1", port });
  await plain.write(encodeFrame({
    type: "hello",
    protocolVersion: 2,
    role: "follower",
    clusterId: "tandem",
    nodeId: "b",
    lastIndex: 0,
    lastEpoch: 0,
    nodeEpoch: 0,
    nonce: new Uint8Array(32),
  }));
  const got = await plain.read(new Uint8Array(64)).catch(() => null);
  plain.close();
  // Whatever a TLS server answers to plain text (an alert or nothing), never a frame.
  assert(got === null || got < 64, "plain TCP got no replication frame");
  const line = await a.waitFor("tls-handshake-failed");
  assert(line.includes("replication handshake refused"), line);
  assertEquals(client.wrongOrders(), []);
});
