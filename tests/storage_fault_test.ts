/**
 * Storage faults with real processes and a real small file system: a tmpfs
 * of 2 MiB that the node fills, and a read-only one. Needs permission to
 * mount (the CI runs tests as root); without it the tests are skipped with a
 * message saying so.
 */
import {
  assert,
  assertEquals,
  assertRejects,
  assertStringIncludes,
} from "../lib/testing/assert.ts";
import { ExitCode } from "../lib/cli/exit_codes.ts";
import { Journal, JournalFailedError, RecordKind } from "../lib/journal/mod.ts";
import { TandemNode } from "../lib/node/node.ts";
import { loadConfig } from "../lib/config/mod.ts";
import { createLogger } from "../lib/log/mod.ts";
import {
  ACCEPTOR_COMP_ID,
  admin,
  Cluster,
  exitWithin,
  freePorts,
  INITIATOR_COMP_ID,
  NodeProcess,
  status,
  waitUntil,
} from "./_failover_cluster.ts";
import { OrderClient } from "./_failover_client.ts";

const TMPFS_SIZE = "2m";

async function sh(cmd: string, args: string[]): Promise<{ ok: boolean; stderr: string }> {
  try {
    const out = await new Deno.Command(cmd, { args, stdout: "null", stderr: "piped" }).output();
    return { ok: out.success, stderr: new TextDecoder().decode(out.stderr).trim() };
  } catch (err) {
    return { ok: false, stderr: (err as Error).message };
  }
}

/** Mounts a tmpfs of `size` on `dir`; false when mounting is not permitted here. */
async function mountTmpfs(dir: string, options = `size=${TMPFS_SIZE}`): Promise<boolean> {
  return (await sh("mount", ["-t", "tmpfs", "-o", options, "tmpfs", dir])).ok;
}

async function unmount(dir: string): Promise<void> {
  await sh("umount", ["-l", dir]);
}

const CAN_MOUNT = await (async () => {
  if (Deno.build.os !== "linux") return false;
  const probe = await Deno.makeTempDir({ prefix: "tandem-mount-probe-" });
  try {
    const ok = await mountTmpfs(probe, "size=64k");
    if (ok) await unmount(probe);
    return ok;
  } finally {
    await Deno.remove(probe, { recursive: true }).catch(() => {});
  }
})();
if (!CAN_MOUNT) {
  console.warn(
    "tests/storage_fault_test.ts: SKIPPED — cannot mount a tmpfs here (needs root or CAP_SYS_ADMIN on Linux)",
  );
}

function standaloneYaml(dataDir: string, fix: number, adminPort: number): string {
  return `node: { id: solo, role: acceptor, dataDir: ${JSON.stringify(dataDir)} }
fix: { listen: 127.0.0.1:${fix}, logoutTimeoutS: 1 }
admin: { listen: 127.0.0.1:${adminPort} }
journal: { syncPolicy: always }
log: { level: info, format: json }
sessions:
  - beginString: FIX.4.4
    senderCompId: ${ACCEPTOR_COMP_ID}
    targetCompId: ${INITIATOR_COMP_ID}
    heartbeatIntervalS: 30
    application: executor
`;
}

/** Polls /health of `port` until the process ends; returns every status seen after `after()` turned true. */
function watchHealth(
  port: number,
  done: Promise<unknown>,
  after: () => boolean,
): Promise<number[]> {
  let finished = false;
  done.finally(() => (finished = true));
  return (async () => {
    const seen: number[] = [];
    while (!finished) {
      // Read before asking: a request that was answered before the failure may arrive after it.
      const afterFault = after();
      const r = await admin(port, "/health");
      if (r !== undefined && afterFault) seen.push(r.status);
      await new Promise((r) => setTimeout(r, 10));
    }
    return seen;
  })();
}

function assertNamesFileAndOsError(lines: string[], dir: string): void {
  const line = lines.find((l) => l.includes("Journal storage failed"));
  assert(line !== undefined, lines.slice(-20).join("\n"));
  assertStringIncludes(line, "No space left on device");
  assertStringIncludes(line, `${dir}/`);
  assert(!lines.some((l) => l.includes("Uncaught")), lines.slice(-20).join("\n"));
  assert(!lines.some((l) => l.includes("it is closed")), lines.slice(-20).join("\n"));
}

Deno.test({
  name:
    "a standalone node that fills its disk stops: /health fails, exit 5, the message names the file and the OS error",
  ignore: !CAN_MOUNT,
  fn: async () => {
    const root = await Deno.makeTempDir({ prefix: "tandem-full-" });
    const data = `${root}/data`;
    await Deno.mkdir(data);
    assert(await mountTmpfs(data), "mount");
    const [fix, adminPort] = freePorts(2);
    await Deno.writeTextFile(`${root}/solo.yaml`, standaloneYaml(data, fix!, adminPort!));
    const node = new NodeProcess("solo", ["--config", `${root}/solo.yaml`]);
    const client = await OrderClient.start({ ports: [fix!], reconnectDelayMs: 200 });
    try {
      await node.waitFor("node started");
      const faulted = () => node.lines.some((l) => l.includes("Journal storage failed"));
      const health = watchHealth(adminPort!, node.status, faulted);
      const streaming = client.stream(100_000, 50).catch(() => {});
      const exit = await exitWithin(node, 120_000);
      client.stop();
      await streaming;
      assertEquals(exit.code, ExitCode.StorageFailed, node.lines.slice(-20).join("\n"));
      assertNamesFileAndOsError(node.lines, data);
      const seen = await health;
      assert(!seen.includes(200), `/health answered 200 after the failure: ${seen}`);
      assert(client.filledOrders > 100, `the disk filled after ${client.filledOrders} orders`);
    } finally {
      await client[Symbol.asyncDispose]();
      await node[Symbol.asyncDispose]();
      await unmount(data);
      await Deno.remove(root, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "a primary that fills its disk exits 5 and the secondary promotes itself; under forever every fill the client saw is on the new primary",
  ignore: !CAN_MOUNT,
  fn: async () => {
    await using cluster = await Cluster.create({
      ackStrategy: "forever",
      syncPolicy: "always",
      heartbeatIntervalMs: 100,
    });
    const aData = `${cluster.dir}/a-data`;
    await Deno.mkdir(aData);
    assert(await mountTmpfs(aData), "mount");
    try {
      const a = await cluster.start("a", "primary");
      await cluster.start("b", "secondary", { autoPromoteAfterMs: 500 });
      const client = await OrderClient.start({
        ports: [cluster.ports.a.fix, cluster.ports.b.fix],
        reconnectDelayMs: 100,
      });
      try {
        const streaming = client.stream(100_000, 50).catch(() => {});
        const exit = await exitWithin(a, 120_000);
        assertEquals(exit.code, ExitCode.StorageFailed, a.lines.slice(-20).join("\n"));
        assertNamesFileAndOsError(a.lines, aData);
        const filledBefore = [...client.orders].filter(([, b]) => b.filled > 0).map(([id]) => id);
        await waitUntil(
          async () => (await status(cluster.ports.b.admin))?.role === "primary",
          "the secondary to promote itself",
          60_000,
        );
        // (Under `forever` the new primary releases nothing until a replica acks, by design,
        // so the client's next logon stalls there; what matters here is what it already holds.)
        client.stop();
        await streaming;
        // Nothing acknowledged is lost: every order the client saw filled is on b's journal.
        await using journal = await Journal.open(`${cluster.dir}/b-data`, { readOnly: true });
        const filledOnB = new Set<string>();
        const dec = new TextDecoder();
        for (let i = journal.firstIndex; i <= journal.lastIndex; i++) {
          const r = journal.read(i)!;
          if (r.kind !== RecordKind.Outbound) continue;
          const text = dec.decode(r.payload).replaceAll("\x01", "|");
          const id = /\|11=([^|]+)\|/.exec(text)?.[1];
          if (id !== undefined && text.includes("|39=2|")) filledOnB.add(id);
        }
        const missing = filledBefore.filter((id) => !filledOnB.has(id));
        assertEquals(missing, [], `${filledBefore.length} filled before the failure`);
        assert(filledBefore.length > 100, `the disk filled after ${filledBefore.length} orders`);
      } finally {
        await client[Symbol.asyncDispose]();
      }
    } finally {
      await cluster.kill("a");
      await cluster.kill("b");
      await unmount(aData);
    }
  },
});

Deno.test({
  name:
    "a node on a read-only data directory refuses to start cleanly, naming the directory and the OS error (config check: exit 2; journal open: JournalFailedError, exit 5), no uncaught error",
  ignore: !CAN_MOUNT,
  fn: async () => {
    const root = await Deno.makeTempDir({ prefix: "tandem-ro-" });
    const data = `${root}/data`;
    await Deno.mkdir(data);
    assert(await mountTmpfs(data), "mount");
    try {
      // A journal with records, then the file system turns read-only.
      {
        await using journal = await Journal.open(data);
        journal.audit("before read-only");
      }
      assert((await sh("mount", ["-o", "remount,ro", data])).ok, "remount read-only");
      const [fix, adminPort] = freePorts(2);
      await Deno.writeTextFile(`${root}/solo.yaml`, standaloneYaml(data, fix!, adminPort!));
      const node = new NodeProcess("ro", ["--config", `${root}/solo.yaml`]);
      const exit = await exitWithin(node, 120_000);
      await node[Symbol.asyncDispose]();
      // `run` checks the data directory with the configuration, before anything starts.
      assertEquals(exit.code, ExitCode.Usage, node.lines.join("\n"));
      const line = node.lines.find((l) => l.includes("Read-only file system"));
      assert(line !== undefined, node.lines.join("\n"));
      assertStringIncludes(line, data);
      assert(!node.lines.some((l) => l.includes("Uncaught")), node.lines.join("\n"));
      // Past that check (the file system turned read-only meanwhile), the journal open refuses
      // with a JournalFailedError, which `run` turns into exit 5.
      const config = loadConfig(standaloneYaml(data, 0, 0), { source: "ro.yaml", env: {} });
      const logger = createLogger(config.log, { sink: () => {}, isTerminal: false });
      const err = await assertRejects(
        () => TandemNode.start(config, { logger }),
        JournalFailedError,
      );
      assertStringIncludes(err.message, `Cannot open data directory ${data}`);
      assertStringIncludes(err.message, "Read-only file system");
      // The read-only tools still read it.
      const verify = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "-A",
          "--quiet",
          new URL("../main.ts", import.meta.url).pathname,
          "journal",
          "verify",
          data,
        ],
        stdout: "piped",
        stderr: "piped",
      }).output();
      assertEquals(verify.code, 0, new TextDecoder().decode(verify.stderr));
    } finally {
      await unmount(data);
      await Deno.remove(root, { recursive: true });
    }
  },
});
