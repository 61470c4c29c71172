/**
 * Allow-lists of remote addresses as CIDR blocks (IPv4 and IPv6), as
 * QuickFIX/J's `AllowedRemoteAddresses`: `10.0.0.0/8`, `192.0.2.7` (a single
 * address, /32), `2001:db8::/32`, `::1`. An IPv4-mapped IPv6 address
 * (`::ffff:192.0.2.7`, what a dual-stack listener reports) is matched as the
 * IPv4 address it carries.
 *
 * Pure: no I/O, no name resolution (host names are refused, not looked up).
 *
 * ```ts
 * import { AddressFilter } from "./address_filter.ts";
 * const filter = AddressFilter.parse(["127.0.0.1/32", "2001:db8::/32"]);
 * filter.allows("127.0.0.1"); // true
 * filter.allows("127.0.0.2"); // false
 * ```
 *
 * @module
 */

/** Most CIDR blocks in one allow-list. */
export const MAX_ALLOWED_ADDRESSES = 1024;

/** A CIDR block that cannot be parsed. */
export class CidrSyntaxError extends SyntaxError {
  /** The text given. */
  readonly input: string;
  /** Builds the error; `why` says what is wrong. */
  constructor(input: string, why: string) {
    super(`Cannot parse address block "${input}": ${why}`);
    this.name = "CidrSyntaxError";
    this.input = input;
  }
}

/** One parsed block: 16 bytes (IPv4 as IPv4-mapped IPv6) and a prefix length out of 128. */
interface Block {
  readonly bytes: Uint8Array;
  readonly prefixBits: number;
}

function parseIpv4(text: string): Uint8Array | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!;
    if (!/^\d{1,3}$/.test(p) || (p.length > 1 && p[0] === "0")) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    out[i] = n;
  }
  return out;
}

function parseIpv6(text: string): Uint8Array | undefined {
  const zone = text.indexOf("%");
  if (zone >= 0) text = text.slice(0, zone);
  let tail: Uint8Array | undefined;
  const lastColon = text.lastIndexOf(":");
  if (lastColon >= 0 && text.slice(lastColon + 1).includes(".")) {
    tail = parseIpv4(text.slice(lastColon + 1));
    if (tail === undefined) return undefined;
    text = text.slice(0, lastColon + 1) + "0:0";
  }
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const groups = (s: string) => s === "" ? [] : s.split(":");
  const head = groups(halves[0]!);
  const rest = halves.length === 2 ? groups(halves[1]!) : [];
  const missing = 8 - head.length - rest.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const all = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill("0"), ...rest];
  const out = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    const g = all[i]!;
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
    const n = parseInt(g, 16);
    out[i * 2] = n >> 8;
    out[i * 2 + 1] = n & 0xff;
  }
  if (tail !== undefined) out.set(tail, 12);
  return out;
}

/** 16 bytes for an IPv4 or IPv6 address (IPv4 as `::ffff:a.b.c.d`), or undefined. */
export function parseIpAddress(text: string): Uint8Array | undefined {
  const t = text.startsWith("[") && text.endsWith("]") ? text.slice(1, -1) : text;
  const v4 = parseIpv4(t);
  if (v4 !== undefined) {
    const out = new Uint8Array(16);
    out[10] = 0xff;
    out[11] = 0xff;
    out.set(v4, 12);
    return out;
  }
  return t.includes(":") ? parseIpv6(t) : undefined;
}

function parseBlock(input: string): Block {
  const text = input.trim();
  const slash = text.indexOf("/");
  const addressText = slash < 0 ? text : text.slice(0, slash);
  const isV4 = parseIpv4(addressText) !== undefined;
  const bytes = parseIpAddress(addressText);
  if (bytes === undefined) {
    throw new CidrSyntaxError(input, "not an IPv4 or IPv6 address (host names are not resolved)");
  }
  const max = isV4 ? 32 : 128;
  let prefix = max;
  if (slash >= 0) {
    const p = text.slice(slash + 1);
    if (!/^\d{1,3}$/.test(p) || Number(p) > max) {
      throw new CidrSyntaxError(input, `prefix length must be an integer from 0 to ${max}`);
    }
    prefix = Number(p);
  }
  return { bytes, prefixBits: isV4 ? prefix + 96 : prefix };
}

function matches(block: Block, address: Uint8Array): boolean {
  let bits = block.prefixBits;
  for (let i = 0; bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if ((block.bytes[i]! & mask) !== (address[i]! & mask)) return false;
  }
  return true;
}

/** A parsed allow-list; see the module doc. */
export class AddressFilter {
  readonly #blocks: readonly Block[];
  /** The blocks as given. */
  readonly blocks: readonly string[];

  private constructor(blocks: readonly Block[], texts: readonly string[]) {
    this.#blocks = blocks;
    this.blocks = texts;
  }

  /**
   * Parses CIDR blocks (or single addresses).
   *
   * @throws {CidrSyntaxError} naming the first block that is not an address or CIDR
   * @throws {RangeError} with more than {@linkcode MAX_ALLOWED_ADDRESSES} blocks
   */
  static parse(blocks: readonly string[]): AddressFilter {
    if (blocks.length > MAX_ALLOWED_ADDRESSES) {
      throw new RangeError(
        `Cannot use ${blocks.length} address blocks: at most ${MAX_ALLOWED_ADDRESSES}`,
      );
    }
    return new AddressFilter(blocks.map(parseBlock), [...blocks]);
  }

  /** Whether `address` (an IP address as a socket reports it) is in one of the blocks. */
  allows(address: string): boolean {
    const bytes = parseIpAddress(address);
    if (bytes === undefined) return false;
    return this.#blocks.some((b) => matches(b, bytes));
  }
}
