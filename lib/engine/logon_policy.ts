/**
 * What an acceptor checks in a Logon before the application sees it: the Username (553) and
 * Password (554) configured for the session, and the HeartBtInt (108) bounds.
 *
 * Passwords are compared in constant time: both sides are first reduced to an HMAC-SHA-256 under
 * a key drawn at start, so neither the content nor the length of the expected value shows in
 * timing. The configured password may be a hash instead of the secret itself (recommended: the
 * configuration then holds nothing a reader could log on with):
 *
 * `scrypt:<log2 N>:<r>:<p>:<salt, base64>:<derived key, base64>` — scrypt (RFC 7914), memory-hard;
 * {@linkcode hashLogonPassword} makes one (`14:8:1` and a 16-byte salt by default, about 50–100 ms
 * per check). A successful check is remembered (as an HMAC of the presented password) so a
 * counterparty that reconnects is not charged the hash again.
 *
 * A refusal says only {@linkcode INVALID_CREDENTIALS_TEXT}, whichever part was wrong, and the
 * password never appears in a log line (the logger masks tag 554 in FIX messages as well).
 *
 * @module
 */

import { createHmac, randomBytes, scryptSync, timingSafeEqual } from "node:crypto";
import type { FixMessage } from "../fix/message.ts";
import { isPasswordHash, parseScryptHash, SCRYPT_PREFIX } from "../session/password_hash.ts";

export { PasswordHashError, SCRYPT_PREFIX } from "../session/password_hash.ts";

/** The Logout text of a refused Username/Password: the same for every cause. */
export const INVALID_CREDENTIALS_TEXT = "Invalid username or password";

/** Successful password checks remembered per session (reconnects skip the hash). */
export const MAX_REMEMBERED_LOGONS = 16;

/** What an acceptor requires of a Logon on one session. */
export interface LogonPolicy {
  /** Username (553) the counterparty must send. */
  readonly username?: string | undefined;
  /** Password (554) it must send: the secret, or a `scrypt:` hash of it. */
  readonly password?: string | undefined;
  /** Smallest HeartBtInt (108) accepted, in seconds. */
  readonly minHeartbeatIntervalS?: number | undefined;
  /** Largest HeartBtInt (108) accepted, in seconds. */
  readonly maxHeartbeatIntervalS?: number | undefined;
}

function base64(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes));
}

/** Hashes `password` for `sessions[].logonPassword` (see the module doc). */
export function hashLogonPassword(
  password: string,
  options: { log2N?: number; r?: number; p?: number; salt?: Uint8Array } = {},
): string {
  const log2N = options.log2N ?? 14;
  const r = options.r ?? 8;
  const p = options.p ?? 1;
  const salt = options.salt ?? randomBytes(16);
  const hash = scryptSync(password, salt, 32, {
    N: 2 ** log2N,
    r,
    p,
    maxmem: 256 * 2 ** log2N * r,
  });
  return `${SCRYPT_PREFIX}${log2N}:${r}:${p}:${base64(salt)}:${base64(hash)}`;
}

/** A constant-time comparison with `expected` (HMACs of both sides under a random key). */
export function plainVerifier(expected: string): (presented: string) => boolean {
  const key = randomBytes(32);
  const mac = (v: string) => createHmac("sha256", key).update(v).digest();
  const want = mac(expected);
  return (presented) => timingSafeEqual(mac(presented), want);
}

/** A constant-time verifier of presented passwords against `stored` (the secret or a hash). */
export function passwordVerifier(stored: string): (presented: string) => boolean {
  if (!isPasswordHash(stored)) return plainVerifier(stored);
  const key = randomBytes(32);
  const mac = (v: string) => createHmac("sha256", key).update(v).digest();
  const s = parseScryptHash(stored);
  const remembered: Uint8Array[] = [];
  return (presented) => {
    const m = mac(presented);
    for (const r of remembered) if (timingSafeEqual(r, m)) return true;
    const derived = scryptSync(presented, s.salt, s.hash.length, {
      N: s.n,
      r: s.r,
      p: s.p,
      maxmem: 256 * s.n * s.r,
    });
    const ok = timingSafeEqual(derived, s.hash);
    if (ok) {
      remembered.push(m);
      if (remembered.length > MAX_REMEMBERED_LOGONS) remembered.shift();
    }
    return ok;
  };
}

/**
 * The Logon check of `policy` for a session (`SessionHost`'s `checkLogon`), or undefined when the
 * policy asks nothing. Returns a Logout text to refuse the Logon.
 */
export function logonChecker(
  policy: LogonPolicy,
): ((logon: FixMessage) => string | undefined) | undefined {
  const { username, password, minHeartbeatIntervalS: min, maxHeartbeatIntervalS: max } = policy;
  const checkUser = username === undefined ? undefined : plainVerifier(username);
  const checkPassword = password === undefined ? undefined : passwordVerifier(password);
  if (!checkUser && !checkPassword && min === undefined && max === undefined) return undefined;
  return (logon) => {
    const hb = logon.getInt(108) ?? NaN;
    if ((min !== undefined && hb < min) || (max !== undefined && hb > max)) {
      return `HeartBtInt ${hb} outside the accepted range ${min ?? 0}-${max ?? "any"} seconds`;
    }
    // Both checks run whatever the first one says: the time taken does not tell which failed.
    const userOk = checkUser === undefined || checkUser(logon.get(553) ?? "");
    const passwordOk = checkPassword === undefined || checkPassword(logon.get(554) ?? "");
    return userOk && passwordOk ? undefined : INVALID_CREDENTIALS_TEXT;
  };
}
