import { assert, assertEquals, assertNotEquals, assertRejects } from "../testing/assert.ts";
import {
  type HandshakeTranscript,
  MIN_SECRET_BYTES,
  newNonce,
  PeerGuard,
  ReplicationSecret,
  transcriptOf,
} from "./auth.ts";

const secret = await ReplicationSecret.import("0123456789abcdef-shared");
const other = await ReplicationSecret.import("0123456789abcdef-other!");

function transcript(over: Partial<HandshakeTranscript> = {}): HandshakeTranscript {
  return {
    clusterId: "prod",
    dialerId: "b",
    listenerId: "a",
    purpose: "follower",
    dialerNonce: newNonce(),
    listenerNonce: newNonce(),
    lastIndex: 10,
    lastEpoch: 2,
    nodeEpoch: 3,
    ...over,
  };
}

Deno.test("ReplicationSecret verifies the proof it made for the same side and transcript", async () => {
  const t = transcript();
  const proof = await secret.prove("listener", t);
  assertEquals(proof.length, 32);
  assertEquals(await secret.verify("listener", t, proof), true);
  assertEquals(await secret.verify("dialer", t, await secret.prove("dialer", t)), true);
});

Deno.test("ReplicationSecret rejects a proof from another secret, side, cluster or nonce", async () => {
  const t = transcript();
  const proof = await secret.prove("listener", t);
  assertEquals(await other.verify("listener", t, proof), false, "other secret");
  assertEquals(await secret.verify("dialer", t, proof), false, "reflected side");
  assertEquals(await secret.verify("listener", { ...t, clusterId: "test" }, proof), false);
  assertEquals(
    await secret.verify("listener", { ...t, dialerNonce: newNonce() }, proof),
    false,
    "replayed",
  );
  assertEquals(
    await secret.verify("listener", { ...t, listenerNonce: newNonce() }, proof),
    false,
    "replayed",
  );
  assertEquals(
    await secret.verify(
      "listener",
      { ...t, dialerNonce: t.listenerNonce, listenerNonce: t.dialerNonce },
      proof,
    ),
    false,
    "swapped nonces",
  );
});

Deno.test("ReplicationSecret proofs bind who proves to whom: another prover or verifier does not verify", async () => {
  const t = transcript({ dialerId: "b", listenerId: "a" });
  const proof = await secret.prove("listener", t);
  // The same proof presented as coming from b to a, from a to a, or from a to c.
  assertEquals(
    await secret.verify("listener", { ...t, dialerId: "a", listenerId: "b" }, proof),
    false,
  );
  assertEquals(await secret.verify("listener", { ...t, dialerId: "a" }, proof), false);
  assertEquals(await secret.verify("listener", { ...t, dialerId: "c" }, proof), false);
  assertEquals(await secret.verify("listener", { ...t, listenerId: "c" }, proof), false);
  // Ids are length-prefixed: moving bytes between them changes the proof.
  const ab = await secret.prove("listener", { ...t, listenerId: "ab", dialerId: "c" });
  assertEquals(
    await secret.verify("listener", { ...t, listenerId: "a", dialerId: "bc" }, ab),
    false,
  );
});

Deno.test("ReplicationSecret proofs bind the Hello's purpose and epoch claims", async () => {
  const t = transcript();
  const dialerProof = await secret.prove("dialer", t);
  assertEquals(await secret.verify("dialer", { ...t, purpose: "leader" }, dialerProof), false);
  assertEquals(await secret.verify("dialer", { ...t, nodeEpoch: 99 }, dialerProof), false);
  assertEquals(await secret.verify("dialer", { ...t, lastEpoch: 99 }, dialerProof), false);
  assertEquals(await secret.verify("dialer", { ...t, lastIndex: 2 ** 40 }, dialerProof), false);
});

Deno.test("A node's own probe reflected to its own listener yields proofs its prober rejects", async () => {
  // Node a dials "b"'s address; an attacker relays the Hello to a's own listener,
  // rewriting the id so that a's listener does not refuse it as its own.
  const helloNonce = newNonce();
  const hello = {
    clusterId: "prod",
    nodeId: "a",
    role: "leader" as const,
    nonce: helloNonce,
    lastIndex: 5,
    lastEpoch: 1,
    nodeEpoch: 1,
  };
  const listenerNonce = newNonce();
  // a's listener answers the rewritten Hello (dialer "b") as itself (listener "a").
  const challengeProof = await secret.prove(
    "listener",
    transcriptOf({ ...hello, nodeId: "b" }, "a", listenerNonce),
  );
  // a's prober expects a proof from "b" to "a"; rewriting the Challenge's id to "b" does not help.
  const expected = transcriptOf(hello, "b", listenerNonce);
  assertEquals(await secret.verify("listener", expected, challengeProof), false);
});

Deno.test("PeerGuard.refusePeer() refuses this node's own id and ids that are not members", () => {
  const open = new PeerGuard({ nodeId: "a" });
  assert(open.refusePeer("a")?.includes(`"a" is this node's own`));
  assertEquals(open.refusePeer("b"), undefined);
  assertEquals(open.hasMembers, false);
  const closed = new PeerGuard({ nodeId: "a", members: ["b", "c"] });
  assertEquals(closed.refusePeer("b"), undefined);
  assertEquals(closed.refusePeer("c"), undefined);
  assertEquals(
    closed.refusePeer("mallory"),
    `peer node id "mallory" is not a configured member (b, c)`,
  );
  assert(closed.refusePeer("a")?.includes("own"), "own id even when listed");
  assert(new PeerGuard({ nodeId: "a", members: ["a", "b"] }).refusePeer("a") !== undefined);
});

Deno.test("PeerGuard.refuseNonce() refuses a nonce this node issued until it is released", () => {
  const g = new PeerGuard({ nodeId: "a" });
  const mine = g.issueNonce();
  assertEquals(mine.length, 32);
  assertEquals(g.refuseNonce(mine), "peer nonce is one this node issued (a reflected handshake)");
  assertEquals(g.refuseNonce(new Uint8Array(mine)), g.refuseNonce(mine), "by value, not identity");
  assertEquals(g.refuseNonce(newNonce()), undefined);
  g.release(mine);
  assertEquals(g.refuseNonce(mine), undefined);
});

Deno.test("newNonce() returns 32 fresh random bytes", () => {
  assertEquals(newNonce().length, 32);
  assertNotEquals(newNonce(), newNonce());
});

Deno.test("ReplicationSecret.import() refuses a secret shorter than MIN_SECRET_BYTES", async () => {
  await assertRejects(
    () => ReplicationSecret.import("x".repeat(MIN_SECRET_BYTES - 1)),
    RangeError,
    "15 bytes is shorter than 16",
  );
  await ReplicationSecret.import(new Uint8Array(MIN_SECRET_BYTES));
});
