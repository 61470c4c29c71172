/**
 * The format of a configured password hash (`sessions[].logonPassword` on an acceptor), parsed
 * without any cryptography so the configuration can be checked before a node starts; the engine
 * (lib/engine/logon_policy.ts) derives and compares.
 *
 * `scrypt:<log2 N>:<r>:<p>:<salt, base64>:<derived key, base64>` (scrypt, RFC 7914).
 *
 * @module
 */

/** Prefix of a scrypt password hash. */
export const SCRYPT_PREFIX = "scrypt:";

/** Largest scrypt cost accepted in a configured hash (log2 N), so a bad value cannot stall logons. */
export const MAX_SCRYPT_LOG2_N = 20;

/** A parsed scrypt hash. */
export interface ScryptHash {
  /** CPU/memory cost N (a power of two). */
  readonly n: number;
  /** Block size. */
  readonly r: number;
  /** Parallelisation. */
  readonly p: number;
  readonly salt: Uint8Array;
  readonly hash: Uint8Array;
}

/** Thrown for a configured password hash that cannot be used. */
export class PasswordHashError extends SyntaxError {
  constructor(message: string) {
    super(message);
    this.name = "PasswordHashError";
  }
}

/** Whether a configured password is a hash rather than the secret. */
export function isPasswordHash(stored: string): boolean {
  return stored.startsWith(SCRYPT_PREFIX);
}

/** Parses a `scrypt:` hash. @throws {PasswordHashError} naming what is wrong */
export function parseScryptHash(stored: string): ScryptHash {
  const parts = stored.slice(SCRYPT_PREFIX.length).split(":");
  const [logN, r, p, salt, hash] = parts;
  if (!stored.startsWith(SCRYPT_PREFIX) || parts.length !== 5) {
    throw new PasswordHashError(
      "Cannot use scrypt password hash: expected scrypt:<log2 N>:<r>:<p>:<salt>:<hash>",
    );
  }
  const nums = [Number(logN), Number(r), Number(p)];
  if (!nums.every((x) => Number.isInteger(x) && x >= 1) || nums[0]! > MAX_SCRYPT_LOG2_N) {
    throw new PasswordHashError(
      `Cannot use scrypt password hash: log2 N must be 1–${MAX_SCRYPT_LOG2_N}, r and p positive integers`,
    );
  }
  const bytes = (b64: string, what: string) => {
    try {
      const out = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      if (out.length >= 8) return out;
    } catch { /* below */ }
    throw new PasswordHashError(
      `Cannot use scrypt password hash: ${what} is not base64 of 8 or more bytes`,
    );
  };
  return {
    n: 2 ** nums[0]!,
    r: nums[1]!,
    p: nums[2]!,
    salt: bytes(salt!, "salt"),
    hash: bytes(hash!, "hash"),
  };
}
