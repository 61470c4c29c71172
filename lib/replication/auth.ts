/**
 * Mutual authentication of replication peers with a shared secret that never
 * crosses the wire, bound to who proves to whom.
 *
 * ```
 * dialer (follower or probing leader)          listener (leader)
 *   Hello(cluster, nodeId D, purpose, …, nonceD) ───────►
 *                                   refuse D = own id, D not a member, nonceD = own nonce
 *                                   ◄─────── Challenge(nodeId L, nonceL, proofL)
 *   refuse L = own id, L not a member, nonceL = own nonce; verify proofL
 *   Response(proofD)                            ───────►
 *                                               verify proofD
 *                                   ◄─────── Welcome | Truncate+Welcome | Close
 * ```
 *
 * ```
 * proof(side) = HMAC-SHA256(secret,
 *   "tandem-replication/2" ‖ u8 side ‖ str clusterId ‖ str proverId ‖ str verifierId ‖
 *   u8 purpose ‖ nonceD ‖ nonceL ‖ u64 lastIndex ‖ u32 lastEpoch ‖ u32 nodeEpoch)
 * ```
 *
 * where `side` is 1 for the listener's proof (prover L, verifier D) and 2 for
 * the dialer's (prover D, verifier L), `str` is a u16 length then UTF-8, and
 * `purpose`, `lastIndex`, `lastEpoch`, `nodeEpoch` are the Hello's claims.
 *
 * What that buys:
 *
 * - **Replay**: both nonces are 32 random bytes, fresh per connection, so a
 *   recorded proof is useless on another connection.
 * - **Reflection**: a proof names its prover and its verifier. A node's own
 *   handshake relayed back to its own listener (an attacker listening where a
 *   peer should be) carries the node's own id and nonce: both ends refuse it
 *   before any proof is computed ({@linkcode PeerGuard}); and a relay that
 *   rewrites the ids gets proofs for the wrong pair, which do not verify.
 * - **Membership**: a node only talks to the node ids configured as its
 *   peers, so knowing the secret is not enough to pose as any node.
 * - **Claims**: the epoch and journal position a Hello announces are inside
 *   both proofs, so a relay cannot raise a prober's epoch to make the listener
 *   step down.
 *
 * The listener proves itself first, so a follower never hands a proof to an
 * impostor. Verification uses `crypto.subtle.verify`, which compares in
 * constant time. Only the web Crypto API is used (no `Deno.*`), so this
 * module stays in the pure core.
 *
 * What it does not do: the stream after the handshake is neither encrypted
 * nor authenticated (frames carry a CRC, not a MAC), so an active
 * man-in-the-middle between two genuine peers could read or alter records.
 * Against that, run replication over TLS (`replication.tls`).
 *
 * @module
 */

import { type HelloRole, NONCE_BYTES } from "./protocol.ts";

const encoder = new TextEncoder();

/** Which end of the handshake makes a proof: the node that answered Hello, or the one that sent it. */
export type ProofRole = "listener" | "dialer";

/** Everything one handshake's proofs bind. */
export interface HandshakeTranscript {
  /** Cluster both nodes belong to. */
  readonly clusterId: string;
  /** Node id of the side that sent Hello (connected). */
  readonly dialerId: string;
  /** Node id of the side that answered with Challenge (listened). */
  readonly listenerId: string;
  /** What the dialer asked for: to follow, or (as a leader) to probe. */
  readonly purpose: HelloRole;
  /** The dialer's nonce, from Hello. */
  readonly dialerNonce: Uint8Array;
  /** The listener's nonce, from Challenge. */
  readonly listenerNonce: Uint8Array;
  /** Hello's last index. */
  readonly lastIndex: number;
  /** Hello's last epoch. */
  readonly lastEpoch: number;
  /** Hello's node epoch. */
  readonly nodeEpoch: number;
}

/** The transcript of a handshake from its Hello and the listener's id and nonce. */
export function transcriptOf(
  hello: {
    readonly clusterId: string;
    readonly nodeId: string;
    readonly role: HelloRole;
    readonly nonce: Uint8Array;
    readonly lastIndex: number;
    readonly lastEpoch: number;
    readonly nodeEpoch: number;
  },
  listenerId: string,
  listenerNonce: Uint8Array,
): HandshakeTranscript {
  return {
    clusterId: hello.clusterId,
    dialerId: hello.nodeId,
    listenerId,
    purpose: hello.role,
    dialerNonce: hello.nonce,
    listenerNonce,
    lastIndex: hello.lastIndex,
    lastEpoch: hello.lastEpoch,
    nodeEpoch: hello.nodeEpoch,
  };
}

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

  /** Computes the proof `role` sends in the handshake `transcript`. */
  async prove(role: ProofRole, transcript: HandshakeTranscript): Promise<Uint8Array> {
    const data = proofInput(role, transcript);
    return new Uint8Array(await crypto.subtle.sign("HMAC", this.#key, data));
  }

  /** Whether `proof` is the one `role` must send in `transcript` (constant time). */
  verify(role: ProofRole, transcript: HandshakeTranscript, proof: Uint8Array): Promise<boolean> {
    const data = proofInput(role, transcript);
    return crypto.subtle.verify("HMAC", this.#key, new Uint8Array(proof), data);
  }
}

/** The shortest secret accepted. */
export const MIN_SECRET_BYTES = 16;

/** 32 fresh random bytes. */
export function newNonce(): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(NONCE_BYTES));
}

/** Options of {@linkcode PeerGuard}. */
export interface PeerGuardOptions {
  /** This node's id: a peer carrying it is this node itself (or a reflection of it). */
  readonly nodeId: string;
  /** Node ids allowed as peers; absent or empty: any id but this node's own. */
  readonly members?: readonly string[];
}

/**
 * The identity checks of one node, shared by its listener, its follower and
 * its probes: refuses a peer id that is this node's own or not a configured
 * member, and remembers the nonces of this node's handshakes in progress so
 * that one coming back from the other end (a reflected handshake) is refused.
 */
export class PeerGuard {
  /** This node's id. */
  readonly nodeId: string;
  readonly #members: ReadonlySet<string> | undefined;
  readonly #nonces = new Set<string>();

  /** Creates the guard of node `options.nodeId`. */
  constructor(options: PeerGuardOptions) {
    this.nodeId = options.nodeId;
    this.#members = options.members && options.members.length > 0
      ? new Set(options.members)
      : undefined;
  }

  /** Whether a member list is configured (otherwise any id but our own is accepted). */
  get hasMembers(): boolean {
    return this.#members !== undefined;
  }

  /** Why `peerId` may not be a peer of this node, or `undefined` when it may. */
  refusePeer(peerId: string): string | undefined {
    if (peerId === this.nodeId) {
      return `peer node id "${peerId}" is this node's own (a reflected handshake or a node talking to itself)`;
    }
    if (this.#members !== undefined && !this.#members.has(peerId)) {
      return `peer node id "${peerId}" is not a configured member (${
        [...this.#members].join(", ")
      })`;
    }
    return undefined;
  }

  /** Why `nonce` from a peer must be refused (it is one of ours), or `undefined`. */
  refuseNonce(nonce: Uint8Array): string | undefined {
    return this.#nonces.has(hex(nonce))
      ? "peer nonce is one this node issued (a reflected handshake)"
      : undefined;
  }

  /** A fresh nonce, remembered as this node's own until {@linkcode release}d. */
  issueNonce(): Uint8Array {
    const nonce = newNonce();
    this.#nonces.add(hex(nonce));
    return nonce;
  }

  /** Forgets a nonce from {@linkcode issueNonce} once its handshake ended. */
  release(nonce: Uint8Array): void {
    this.#nonces.delete(hex(nonce));
  }
}

function hex(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += b.toString(16).padStart(2, "0");
  return s;
}

const PROOF_LABEL = encoder.encode("tandem-replication/2");
const SIDE: Record<ProofRole, number> = { listener: 1, dialer: 2 };
const PURPOSE: Record<HelloRole, number> = { follower: 0, leader: 1 };
const TWO_32 = 0x1_0000_0000;

function proofInput(role: ProofRole, t: HandshakeTranscript): Uint8Array<ArrayBuffer> {
  const prover = encoder.encode(role === "listener" ? t.listenerId : t.dialerId);
  const verifier = encoder.encode(role === "listener" ? t.dialerId : t.listenerId);
  const cluster = encoder.encode(t.clusterId);
  const out = new Uint8Array(
    PROOF_LABEL.length + 1 + 2 + cluster.length + 2 + prover.length + 2 + verifier.length + 1 +
      t.dialerNonce.length + t.listenerNonce.length + 8 + 4 + 4,
  );
  const view = new DataView(out.buffer);
  let o = 0;
  const raw = (b: Uint8Array) => {
    out.set(b, o);
    o += b.length;
  };
  const str = (b: Uint8Array) => {
    view.setUint16(o, b.length);
    o += 2;
    raw(b);
  };
  raw(PROOF_LABEL);
  view.setUint8(o++, SIDE[role]);
  str(cluster);
  str(prover);
  str(verifier);
  view.setUint8(o++, PURPOSE[t.purpose]);
  raw(t.dialerNonce);
  raw(t.listenerNonce);
  view.setUint32(o, Math.floor(t.lastIndex / TWO_32));
  view.setUint32(o + 4, t.lastIndex >>> 0);
  view.setUint32(o + 8, t.lastEpoch);
  view.setUint32(o + 12, t.nodeEpoch);
  return out;
}
