import { assertEquals, assertThrows } from "../testing/assert.ts";
import { parsePrometheusText } from "./prometheus_text.ts";
import { Registry } from "./registry.ts";

Deno.test("Registry.render() emits counters, gauges and histograms that parse as Prometheus text", () => {
  const r = new Registry();
  const c = r.counter("tandem_messages_total", "Messages");
  const g = r.gauge("tandem_lag_records", "Lag");
  const h = r.histogram("tandem_sync_seconds", "Sync latency", [0.001, 0.01]);
  c.inc({ session: "FIX.4.4:A->B", direction: "out", msg_type: "D" });
  c.inc({ direction: "out", session: "FIX.4.4:A->B", msg_type: "D" }, 2);
  g.set(7, { peer: 'x"y' });
  h.observe(0.0005);
  h.observe(0.005);
  h.observe(5);
  const samples = parsePrometheusText(r.render());
  const get = (name: string, labels: Record<string, string> = {}) =>
    samples.find((s) => s.name === name && JSON.stringify(s.labels) === JSON.stringify(labels))
      ?.value;
  assertEquals(
    get("tandem_messages_total", { direction: "out", msg_type: "D", session: "FIX.4.4:A->B" }),
    3,
  );
  assertEquals(get("tandem_lag_records", { peer: 'x"y' }), 7);
  assertEquals(get("tandem_sync_seconds_bucket", { le: "0.001" }), 1);
  assertEquals(get("tandem_sync_seconds_bucket", { le: "0.01" }), 2);
  assertEquals(get("tandem_sync_seconds_bucket", { le: "+Inf" }), 3);
  assertEquals(get("tandem_sync_seconds_count"), 3);
});

Deno.test("Registry refuses duplicate names and invalid metric names", () => {
  const r = new Registry();
  r.counter("a_total", "A");
  assertThrows(() => r.counter("a_total", "again"), TypeError, "already registered");
  assertThrows(() => r.gauge("bad-name", "x"), TypeError, "not a valid Prometheus name");
});

Deno.test("Counter.inc() refuses a negative increment", () => {
  const c = new Registry().counter("x_total", "X");
  assertThrows(() => c.inc({}, -1), RangeError);
  assertEquals(c.value(), 0);
});

Deno.test("Gauge.collectWith() computes series at scrape time", () => {
  const r = new Registry();
  let n = 1;
  r.gauge("g", "G").collectWith(() => [[{ k: "v" }, n]]);
  n = 42;
  assertEquals(parsePrometheusText(r.render())[0]?.value, 42);
});

Deno.test("parsePrometheusText() rejects malformed lines", () => {
  assertThrows(() => parsePrometheusText('metric{a="b" 1\n'), SyntaxError);
  assertThrows(() => parsePrometheusText("metric one\n"), SyntaxError);
  assertThrows(() => parsePrometheusText("# TYPE m bogus\n"), SyntaxError);
});

Deno.test("Counter.incLabelled() counts in the same series as inc() with the same labels", () => {
  const r = new Registry();
  const c = r.counter("tandem_test_total", "test");
  const names = ["session", "direction", "msg_type"] as const;
  c.inc({ session: "S", direction: "in", msg_type: "D" });
  c.incLabelled(names, "S", "in", "D");
  c.incLabelled(names, "S", "in", "D");
  c.incLabelled(names, "S", "out", "8");
  assertEquals(c.value({ session: "S", direction: "in", msg_type: "D" }), 3);
  assertEquals(c.value({ direction: "out", msg_type: "8", session: "S" }), 1);
  const two = ["session", "kind"] as const;
  c.incLabelled(two, "S", "business");
  assertEquals(c.value({ session: "S", kind: "business" }), 1);
  const out: string[] = [];
  c.render(out);
  assertEquals(out.filter((l) => l.startsWith("tandem_test_total{")).length, 3);
});

Deno.test("Counter.incLabelled() with one label name counts in the series of that label alone", () => {
  const r = new Registry();
  const c = r.counter("tandem_test_total", "test");
  const one = ["reason"] as const;
  c.incLabelled(one, "ack");
  c.incLabelled(one, "ack");
  c.inc({ reason: "ack" });
  c.incLabelled(one, "timeout");
  assertEquals(c.value({ reason: "ack" }), 3);
  assertEquals(c.value({ reason: "timeout" }), 1);
  const out: string[] = [];
  c.render(out);
  assertEquals(out.filter((l) => l.startsWith("tandem_test_total{")), [
    'tandem_test_total{reason="ack"} 3',
    'tandem_test_total{reason="timeout"} 1',
  ]);
});
