import { assertEquals, assertNotEquals, assertRejects } from "../testing/assert.ts";
import { MIN_SECRET_BYTES, newNonce, ReplicationSecret } from "./auth.ts";

const secret = await ReplicationSecret.import("0123456789abcdef-shared");
const other = await ReplicationSecret.import("0123456789abcdef-other!");

Deno.test("ReplicationSecret verifies the proof it made for the same role, cluster and nonces", async () => {
  const f = newNonce();
  const l = newNonce();
  const proof = await secret.prove("leader", "prod", f, l);
  assertEquals(proof.length, 32);
  assertEquals(await secret.verify("leader", "prod", f, l, proof), true);
});

Deno.test("ReplicationSecret rejects a proof from another secret, role, cluster or nonce", async () => {
  const f = newNonce();
  const l = newNonce();
  const proof = await secret.prove("leader", "prod", f, l);
  assertEquals(await other.verify("leader", "prod", f, l, proof), false, "other secret");
  assertEquals(await secret.verify("follower", "prod", f, l, proof), false, "reflected role");
  assertEquals(await secret.verify("leader", "test", f, l, proof), false, "other cluster");
  assertEquals(await secret.verify("leader", "prod", newNonce(), l, proof), false, "replayed");
  assertEquals(await secret.verify("leader", "prod", f, newNonce(), proof), false, "replayed");
  assertEquals(await secret.verify("leader", "prod", l, f, proof), false, "swapped nonces");
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
