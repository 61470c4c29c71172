import { assertEquals, assertThrows } from "../testing/assert.ts";
import {
  closestMatch,
  editDistance,
  formatHostPort,
  parseByteSize,
  parseDuration,
  parseHostPort,
  parseTimeOfDay,
} from "./mod.ts";

Deno.test("parseHostPort() reads host names, IPv4 and bracketed IPv6", () => {
  assertEquals(parseHostPort("localhost:0"), { hostname: "localhost", port: 0 });
  assertEquals(parseHostPort("fix.example.com:9876"), { hostname: "fix.example.com", port: 9876 });
  assertEquals(parseHostPort("[::1]:65535"), { hostname: "::1", port: 65535 });
  assertEquals(formatHostPort(parseHostPort("[fe80::1]:80")), "[fe80::1]:80");
  for (
    const bad of [
      "",
      "host",
      "host:",
      "host:x",
      "host:70000",
      "[::1]80",
      "[::1",
      "a b:1",
      "1.2.3:4",
    ]
  ) {
    assertThrows(() => parseHostPort(bad), SyntaxError, "Cannot parse HOST:PORT");
  }
});

Deno.test("parseDuration() converts units into the key's unit and refuses fractions of it", () => {
  assertEquals(parseDuration(250, "ms"), 250);
  assertEquals(parseDuration("1.5s", "ms"), 1_500);
  assertEquals(parseDuration("2m", "s"), 120);
  assertEquals(parseDuration("1h", "ms"), 3_600_000);
  assertEquals(parseDuration("14d", "days"), 14);
  assertThrows(() => parseDuration("500ms", "s"), SyntaxError, "not a whole number of s");
  assertThrows(() => parseDuration(1.5, "s"), SyntaxError);
  assertThrows(() => parseDuration("soon", "s"), SyntaxError, "Cannot parse duration");
});

Deno.test("parseByteSize() reads binary and decimal units", () => {
  assertEquals(parseByteSize("64MiB"), 64 * 1024 * 1024);
  assertEquals(parseByteSize("1GB"), 1_000_000_000);
  assertEquals(parseByteSize("512 kib"), 524_288);
  assertEquals(parseByteSize(4096), 4096);
  assertThrows(() => parseByteSize("1.5B"), SyntaxError);
  assertThrows(() => parseByteSize("10 parsecs"), SyntaxError, "Cannot parse byte size");
});

Deno.test("parseTimeOfDay() reads HH:MM and HH:MM:SS", () => {
  assertEquals(parseTimeOfDay("00:00"), 0);
  assertEquals(parseTimeOfDay("23:59:59"), 86_399);
  for (const bad of ["24:00", "7:00", "12:60", "12:00:60", "noon"]) {
    assertThrows(() => parseTimeOfDay(bad), SyntaxError);
  }
});

Deno.test("closestMatch() suggests near keys, case-insensitively, and nothing for far ones", () => {
  assertEquals(editDistance("listen", "lsiten"), 1); // transposition
  assertEquals(closestMatch("lsten", ["listen", "maxConnections"]), "listen");
  assertEquals(closestMatch("SenderCompID", ["senderCompId", "targetCompId"]), "senderCompId");
  assertEquals(closestMatch("zzz", ["listen"]), undefined);
  assertEquals(closestMatch("x".repeat(100), ["x".repeat(100)]), undefined);
});
