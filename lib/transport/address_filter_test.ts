import { assert, assertEquals, assertThrows } from "../testing/assert.ts";
import { AddressFilter, CidrSyntaxError, parseIpAddress } from "./address_filter.ts";

Deno.test("AddressFilter.allows() matches IPv4 blocks and single addresses", () => {
  const f = AddressFilter.parse(["10.0.0.0/8", "127.0.0.1", "192.0.2.128/25"]);
  assert(f.allows("10.200.3.4"));
  assert(f.allows("127.0.0.1"));
  assert(!f.allows("127.0.0.2"));
  assert(f.allows("192.0.2.200"));
  assert(!f.allows("192.0.2.127"));
  assert(!f.allows("11.0.0.1"));
});

Deno.test("AddressFilter.allows() matches IPv6 blocks and IPv4-mapped addresses", () => {
  const f = AddressFilter.parse(["2001:db8::/32", "::1", "198.51.100.0/24"]);
  assert(f.allows("2001:db8:1:2::3"));
  assert(f.allows("::1"));
  assert(!f.allows("::2"));
  assert(!f.allows("2001:db9::1"));
  assert(f.allows("::ffff:198.51.100.7"));
  assert(f.allows("[::1]"));
  assert(!f.allows("example.com"));
});

Deno.test("AddressFilter with /0 allows every address of its family", () => {
  const v4 = AddressFilter.parse(["0.0.0.0/0"]);
  assert(v4.allows("203.0.113.9"));
  assert(!v4.allows("2001:db8::1"));
  assert(AddressFilter.parse(["::/0"]).allows("2001:db8::1"));
});

Deno.test("AddressFilter.parse() refuses what is not an address block, saying why", () => {
  for (const bad of ["localhost", "10.0.0.0/33", "1.2.3", "::1/129", "1.2.3.4/x", "01.2.3.4"]) {
    assertThrows(() => AddressFilter.parse([bad]), CidrSyntaxError, bad);
  }
});

Deno.test("parseIpAddress() expands :: and embedded IPv4", () => {
  assertEquals(parseIpAddress("::1")?.at(15), 1);
  assertEquals([...parseIpAddress("::ffff:1.2.3.4")!.subarray(10)], [255, 255, 1, 2, 3, 4]);
  assertEquals(parseIpAddress("1::2::3"), undefined);
  assertEquals(parseIpAddress("1:2:3:4:5:6:7:8:9"), undefined);
});
