import { assertEquals, assertThrows } from "../testing/assert.ts";
import { formatHostPort, HostPortSyntaxError, MAX_HOST_LENGTH, parseHostPort } from "./address.ts";

Deno.test("parseHostPort() reads host names, IPv4 and bracketed IPv6", () => {
  assertEquals(parseHostPort("fix.example.com:9876"), { host: "fix.example.com", port: 9876 });
  assertEquals(parseHostPort("127.0.0.1:0"), { host: "127.0.0.1", port: 0 });
  assertEquals(parseHostPort("[::1]:5001"), { host: "::1", port: 5001 });
  assertEquals(parseHostPort("[fe80::1%eth0]:65535"), { host: "fe80::1%eth0", port: 65535 });
  assertEquals(parseHostPort("  localhost:1  "), { host: "localhost", port: 1 });
});

Deno.test("parseHostPort() refuses malformed text, saying why", () => {
  const cases: [string, string][] = [
    ["localhost", "missing ':port'"],
    [":9876", "host is empty"],
    ["host:", `port "" is not a decimal integer`],
    ["host:12a", `port "12a" is not a decimal integer`],
    ["host:-1", `port "-1" is not a decimal integer`],
    ["host:65536", "port 65536 is above 65535"],
    ["host:123456", `port "123456" is not a decimal integer`],
    ["::1:80", "an IPv6 address must be written in brackets"],
    ["[::1:80", "missing ']' after IPv6 address"],
    ["[::1]80", "missing ':port'"],
    ["[host]:80", "brackets hold no IPv6 address"],
    ["a b:80", "host contains whitespace"],
    [`${"h".repeat(MAX_HOST_LENGTH + 1)}:80`, `host is longer than ${MAX_HOST_LENGTH} characters`],
  ];
  for (const [text, why] of cases) {
    const error = assertThrows(() => parseHostPort(text), HostPortSyntaxError, why);
    assertEquals(error.input, text);
    assertEquals(error.message, `Cannot parse address "${text}": ${why}`);
  }
  // The longest host is accepted.
  assertEquals(parseHostPort(`${"h".repeat(MAX_HOST_LENGTH)}:80`).port, 80);
});

Deno.test("formatHostPort() brackets IPv6 and round-trips through parseHostPort()", () => {
  for (const text of ["[::1]:9000", "10.1.2.3:443", "fix.example.com:9876"]) {
    assertEquals(formatHostPort(parseHostPort(text)), text);
  }
});
