/**
 * Network addresses as `host:port` text and as values.
 *
 * Accepted forms: `host:port`, `1.2.3.4:port` and `[v6]:port` (an IPv6 literal
 * must be bracketed, as in URLs, because it contains colons). Pure: no I/O, no
 * name resolution.
 *
 * @module
 */

/** A host (name, IPv4 or bare IPv6 literal without brackets) and a TCP port. */
export interface HostPort {
  /** Host name or IP literal; IPv6 literals are kept without brackets. */
  readonly host: string;
  /** TCP port, 0–65535 (0 only where a listener picks a free port). */
  readonly port: number;
}

/** The longest host name accepted (DNS limit). */
export const MAX_HOST_LENGTH = 253;

/** Thrown when `host:port` text cannot be parsed. */
export class HostPortSyntaxError extends SyntaxError {
  /** The text that failed to parse. */
  readonly input: string;
  /** Builds the error; `why` says what is wrong with `input`. */
  constructor(input: string, why: string) {
    super(`Cannot parse address "${input}": ${why}`);
    this.name = "HostPortSyntaxError";
    this.input = input;
  }
}

/**
 * Parses `host:port`, `[::1]:port` or `1.2.3.4:port`.
 *
 * @throws {HostPortSyntaxError} when the host is empty or too long, the port is
 * missing, not a decimal integer, or outside 0–65535, or an IPv6 literal is not
 * bracketed.
 */
export function parseHostPort(text: string): HostPort {
  const input = text.trim();
  let host: string;
  let portText: string;
  if (input.startsWith("[")) {
    const close = input.indexOf("]");
    if (close < 0) throw new HostPortSyntaxError(text, "missing ']' after IPv6 address");
    host = input.slice(1, close);
    if (input[close + 1] !== ":") throw new HostPortSyntaxError(text, "missing ':port'");
    portText = input.slice(close + 2);
    if (!host.includes(":")) throw new HostPortSyntaxError(text, "brackets hold no IPv6 address");
  } else {
    const colon = input.lastIndexOf(":");
    if (colon < 0) throw new HostPortSyntaxError(text, "missing ':port'");
    host = input.slice(0, colon);
    portText = input.slice(colon + 1);
    if (host.includes(":")) {
      throw new HostPortSyntaxError(text, "an IPv6 address must be written in brackets");
    }
  }
  if (host.length === 0) throw new HostPortSyntaxError(text, "host is empty");
  if (host.length > MAX_HOST_LENGTH) {
    throw new HostPortSyntaxError(text, `host is longer than ${MAX_HOST_LENGTH} characters`);
  }
  if (/\s/.test(host)) throw new HostPortSyntaxError(text, "host contains whitespace");
  if (!/^[0-9]{1,5}$/.test(portText)) {
    throw new HostPortSyntaxError(text, `port "${portText}" is not a decimal integer`);
  }
  const port = Number(portText);
  if (port > 65535) throw new HostPortSyntaxError(text, `port ${port} is above 65535`);
  return { host, port };
}

/** Formats an address back to text, bracketing IPv6 literals: `[::1]:9876`. */
export function formatHostPort(address: HostPort): string {
  const host = address.host.includes(":") ? `[${address.host}]` : address.host;
  return `${host}:${address.port}`;
}
