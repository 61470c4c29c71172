/**
 * Mutual authentication of replication peers with a shared secret that never
 * crosses the wire.
 *
 * ```
 * follower                                   leader
 *   Hello(cluster, node, …, nonceF)  ───────►
 *                                    ◄─────── Challenge(node, nonceL, proofL)
 *   verify proofL
 *   Response(proofF)                 ───────►
 *                                             verify proofF
 *                                    ◄─────── Welcome | Truncate+Welcome | Close
 * ```
 *
 * `proofL = HMAC-SHA256(secret, "tandem-replication/1 leader"   ‖ 0 ‖ clusterId ‖ 0 ‖ nonceF ‖ nonceL)`
 * `proofF = HMAC-SHA256(secret, "tandem-replication/1 follower" ‖ 0 ‖ clusterId ‖ 0 ‖ nonceF ‖ nonceL)`
 *
 * Both nonces are 32 random bytes, fresh per connection, so a recorded proof
 * is useless on another connection (replay); the role label differs between
 * the two proofs so a leader's proof cannot be reflected back as a follower's.
 * The leader proves itself first, so a follower never hands a proof to an
 * impostor that could relay it. Verification uses `crypto.subtle.verify`,
 * which compares in constant time. Only the web Crypto API is used (no
 * `Deno.*`), so this module stays in the pure core.
 *
 * What it does not do: the stream after the handshake is neither encrypted
 * nor authenticated (frames carry a CRC, not a MAC), so an active
 * man-in-the-middle that relays the handshake could alter records. The
 * handshake keeps out misconfigured and unauthorised nodes; against an
 * active attacker run replication over TLS or a private network.
 *
 * @module
 */

import { NONCE_BYTES } from "./protocol.ts";

const encoder = new TextEncoder();

/** Which side a proof is made by. */
export type ProofRole = "leader" | "follower";

/** A replication secret imported once as an HMAC-SHA256 key. */
export class ReplicationSecret {
  readonly #key: CryptoKey;
  private constructor(key: CryptoKey) {
    this.#key = key;
  }

  /**
   * Imports a shared secret (UTF-8 string or raw bytes).
   *
   * @throws {RangeError} when the secret is shorter than 16 bytes.
   */
  static async import(secret: string | Uint8Array): Promise<ReplicationSecret> {
    const raw = typeof secret === "string" ? encoder.encode(secret) : secret;
    if (raw.length < MIN_SECRET_BYTES) {
      throw new RangeError(
        `Cannot use replication secret: ${raw.length} bytes is shorter than ${MIN_SECRET_BYTES}`,
      );
    }
    const key = await crypto.subtle.importKey(
      "raw",
      new Uint8Array(raw),
      { name: "HMAC", hash: "SHA-256" },
      false,
      ["sign", "verify"],
    );
    return new ReplicationSecret(key);
  }

  /** Computes the proof `role` sends for this pair of nonces. */
  async prove(
    role: ProofRole,
    clusterId: string,
    followerNonce: Uint8Array,
    leaderNonce: Uint8Array,
  ): Promise<Uint8Array> {
    const data = proofInput(role, clusterId, followerNonce, leaderNonce);
    return new Uint8Array(await crypto.subtle.sign("HMAC", this.#key, data));
  }

  /** Whether `proof` is the one `role` must send for this pair of nonces (constant time). */
  verify(
    role: ProofRole,
    clusterId: string,
    followerNonce: Uint8Array,
    leaderNonce: Uint8Array,
    proof: Uint8Array,
  ): Promise<boolean> {
    const data = proofInput(role, clusterId, followerNonce, leaderNonce);
    return crypto.subtle.verify("HMAC", this.#key, new Uint8Array(proof), data);
  }
}

/** The shortest secret accepted. */
export const MIN_SECRET_BYTES = 16;

/** 32 fresh random bytes. */
export function newNonce(): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(NONCE_BYTES));
}

function proofInput(
  role: ProofRole,
  clusterId: string,
  followerNonce: Uint8Array,
  leaderNonce: Uint8Array,
): Uint8Array<ArrayBuffer> {
  const label = encoder.encode(`tandem-replication/1 ${role}`);
  const cluster = encoder.encode(clusterId);
  const out = new Uint8Array(
    label.length + 1 + cluster.length + 1 + followerNonce.length + leaderNonce.length,
  );
  let o = 0;
  out.set(label, o);
  o += label.length + 1;
  out.set(cluster, o);
  o += cluster.length + 1;
  out.set(followerNonce, o);
  o += followerNonce.length;
  out.set(leaderNonce, o);
  return out;
}
