import { assert, assertEquals } from "../testing/assert.ts";
import { bearerToken, HttpEdge } from "./http_edge.ts";

Deno.test("HttpEdge.allowsHost() on loopback takes loopback names and addresses only", () => {
  const edge = new HttpEdge("127.0.0.1");
  for (const h of ["127.0.0.1:8080", "localhost:8080", "LOCALHOST", "[::1]:80", "127.0.0.2"]) {
    assert(edge.allowsHost(h), h);
  }
  for (const h of ["evil.example", "evil.example:8080", "10.0.0.1", "", "127.0.0.1.evil.example"]) {
    assert(!edge.allowsHost(h), h);
  }
});

Deno.test("HttpEdge.allowsHost() takes configured names, and IP literals on a wildcard bind", () => {
  const named = new HttpEdge("10.0.0.5", { allowedHosts: ["gw.internal"] });
  assert(named.allowsHost("10.0.0.5:9902"));
  assert(named.allowsHost("GW.internal:9902"));
  assert(!named.allowsHost("10.0.0.6"));
  assert(!named.allowsHost("localhost"));
  const wildcard = new HttpEdge("0.0.0.0");
  assert(wildcard.allowsHost("192.0.2.1:80"));
  assert(wildcard.allowsHost("[2001:db8::1]:80"));
  assert(!wildcard.allowsHost("evil.example"));
});

Deno.test("bearerToken() reads the Bearer scheme in any case, nothing else", () => {
  const req = (v: string) => new Request("http://x/", { headers: { authorization: v } });
  assertEquals(bearerToken(req("Bearer abc")), "abc");
  assertEquals(bearerToken(req("bearer abc")), "abc");
  assertEquals(bearerToken(req("BEARER  abc")), "abc");
  assertEquals(bearerToken(req("Bearer a token with spaces")), "a token with spaces");
  assertEquals(bearerToken(req("Basic abc")), undefined);
  assertEquals(bearerToken(new Request("http://x/")), undefined);
});

Deno.test("HttpEdge.readBody() stops reading a stream past maxBodyBytes", async () => {
  const edge = new HttpEdge("127.0.0.1", { maxBodyBytes: 1024 });
  let pulled = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(c) {
      pulled++;
      c.enqueue(new Uint8Array(512));
    },
  });
  const req = new Request("http://x/", { method: "POST", body });
  const err = await edge.readBody(req).catch((e) => e);
  assertEquals(err.status, 413);
  assert(pulled <= 4, `pulled ${pulled} chunks`);
});

Deno.test("HttpEdge.checkRequest() takes the server's own origin, refuses any other", () => {
  const edge = new HttpEdge("127.0.0.1", { allowedOrigins: ["https://ops.example"] });
  const req = (origin: string) =>
    new Request("http://127.0.0.1:9901/status", {
      headers: { host: "127.0.0.1:9901", origin },
    });
  const url = new URL("http://127.0.0.1:9901/status");
  edge.checkRequest(req("http://127.0.0.1:9901"), url);
  edge.checkRequest(req("https://ops.example"), url);
  for (const o of ["http://127.0.0.1:9902", "http://evil.example", "null"]) {
    let status = 0;
    try {
      edge.checkRequest(req(o), url);
    } catch (e) {
      status = (e as { status: number }).status;
    }
    assertEquals(status, 403, o);
  }
});
