/**
 * Parsers for the value forms used in configuration files and command-line flags: `HOST:PORT`
 * addresses, durations (`250ms`, `1.5s`, `2m`), byte sizes (`64MiB`) and times of day
 * (`HH:MM[:SS]`). All are pure; each throws a `SyntaxError` whose message says what failed and why.
 *
 * @module
 */

/** A network address: what `Deno.listen`/`Deno.connect` take (IPv6 without brackets). */
export interface HostPort {
  /** Host name or IP address; IPv6 addresses without the brackets. */
  readonly hostname: string;
  /** TCP port, 0–65535 (0 asks the OS for a free port when listening). */
  readonly port: number;
}

const HOSTNAME_RE =
  /^(?=.{1,253}$)[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,62})(?:\.[A-Za-z0-9_-]{1,63})*\.?$/;
const IPV4_RE = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
const IPV6_RE = /^[0-9A-Fa-f:.]+(%[A-Za-z0-9_.-]+)?$/;

/**
 * Parses `HOST:PORT`; IPv6 hosts go in brackets (`[::1]:9000`).
 *
 * @example
 * ```ts
 * parseHostPort("127.0.0.1:9876"); // { hostname: "127.0.0.1", port: 9876 }
 * ```
 */
export function parseHostPort(text: string): HostPort {
  const fail = (why: string): never => {
    throw new SyntaxError(`Cannot parse HOST:PORT "${text}": ${why}`);
  };
  if (text.length === 0) fail("value is empty");
  let host: string;
  let portText: string;
  if (text.startsWith("[")) {
    const close = text.indexOf("]");
    if (close < 0) fail("missing ] after an IPv6 address");
    host = text.slice(1, close);
    if (text[close + 1] !== ":") fail("missing :PORT after ]");
    portText = text.slice(close + 2);
    if (!host.includes(":") || !IPV6_RE.test(host)) fail(`"${host}" is not an IPv6 address`);
  } else {
    const colon = text.lastIndexOf(":");
    if (colon < 0) fail("missing :PORT");
    host = text.slice(0, colon);
    portText = text.slice(colon + 1);
    if (host.includes(":")) fail("an IPv6 address must be written in brackets, like [::1]:9000");
    if (host.length === 0) fail("missing host (use 0.0.0.0 to listen on every interface)");
    const v4 = IPV4_RE.exec(host);
    if (v4) {
      if (v4.slice(1).some((octet) => Number(octet) > 255)) {
        fail(`"${host}" is not an IPv4 address`);
      }
    } else if (!HOSTNAME_RE.test(host) || /^[\d.]+$/.test(host)) {
      fail(`"${host}" is not a valid host name`);
    }
  }
  if (!/^\d{1,5}$/.test(portText)) fail(`port "${portText}" is not a number`);
  const port = Number(portText);
  if (port > 65535) fail(`port ${port} is above 65535`);
  return { hostname: host, port };
}

/** Formats a {@linkcode HostPort} back to `HOST:PORT` (brackets around IPv6). */
export function formatHostPort(address: HostPort): string {
  const host = address.hostname.includes(":") ? `[${address.hostname}]` : address.hostname;
  return `${host}:${address.port}`;
}

/** Units a duration can be expressed in, with their length in milliseconds. */
export const DURATION_UNITS_MS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

/** The unit a duration-valued key is stored in (the suffix of its name). */
export type DurationUnit = "ms" | "s" | "days";

const UNIT_MS: Readonly<Record<DurationUnit, number>> = { ms: 1, s: 1_000, days: 86_400_000 };

/**
 * Parses a duration into `unit`: a bare number is already in `unit`; a string is a number followed
 * by `ms`, `s`, `m`, `h` or `d` (`250ms`, `1.5s`, `2m`, `7d`). The result must be a whole number of
 * `unit`.
 */
export function parseDuration(input: number | string, unit: DurationUnit): number {
  if (typeof input === "number") {
    if (!Number.isInteger(input)) {
      throw new SyntaxError(`Cannot parse duration ${input}: not a whole number of ${unit}`);
    }
    return input;
  }
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$/.exec(input);
  if (!m) {
    throw new SyntaxError(
      `Cannot parse duration "${input}": expected a number of ${unit} or a number with a unit ms, s, m, h or d (like 250ms, 1.5s, 2m)`,
    );
  }
  const ms = Number(m[1]) * DURATION_UNITS_MS[m[2]!]!;
  const value = ms / UNIT_MS[unit];
  if (!Number.isInteger(value)) {
    throw new SyntaxError(`Cannot parse duration "${input}": not a whole number of ${unit}`);
  }
  return value;
}

/** Byte-size suffixes (binary for KiB/MiB/GiB, decimal for KB/MB/GB). */
export const BYTE_SIZE_UNITS: Readonly<Record<string, number>> = {
  b: 1,
  kb: 1_000,
  mb: 1_000_000,
  gb: 1_000_000_000,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
};

/** Parses a byte count: a bare integer, or a number with B, KB, MB, GB, KiB, MiB or GiB. */
export function parseByteSize(input: number | string): number {
  if (typeof input === "number") {
    if (!Number.isInteger(input)) {
      throw new SyntaxError(`Cannot parse byte size ${input}: not a whole number of bytes`);
    }
    return input;
  }
  const m = /^\s*(\d+(?:\.\d+)?)\s*([A-Za-z]+)\s*$/.exec(input);
  const factor = m ? BYTE_SIZE_UNITS[m[2]!.toLowerCase()] : undefined;
  if (!m || factor === undefined) {
    throw new SyntaxError(
      `Cannot parse byte size "${input}": expected a number of bytes or a number with B, KB, MB, GB, KiB, MiB or GiB (like 64MiB)`,
    );
  }
  const value = Number(m[1]) * factor;
  if (!Number.isInteger(value)) {
    throw new SyntaxError(`Cannot parse byte size "${input}": not a whole number of bytes`);
  }
  return value;
}

/**
 * Parses a time of day `HH:MM` or `HH:MM:SS` (24-hour clock) into seconds after midnight.
 */
export function parseTimeOfDay(text: string): number {
  const m = /^(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(text);
  if (!m) throw new SyntaxError(`Cannot parse time of day "${text}": expected HH:MM or HH:MM:SS`);
  const h = Number(m[1]);
  const min = Number(m[2]);
  const s = m[3] === undefined ? 0 : Number(m[3]);
  if (h > 23 || min > 59 || s > 59) {
    throw new SyntaxError(`Cannot parse time of day "${text}": out of range (00:00:00–23:59:59)`);
  }
  return h * 3600 + min * 60 + s;
}

/** True when `timeZone` is an IANA time zone this runtime knows (`UTC`, `Europe/London`, …). */
export function isValidTimeZone(timeZone: string): boolean {
  if (timeZone.length === 0) return false;
  try {
    new Intl.DateTimeFormat("en-US", { timeZone });
    return true;
  } catch {
    return false;
  }
}
