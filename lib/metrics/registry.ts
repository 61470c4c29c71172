/**
 * A small Prometheus metrics registry: counters, gauges and histograms with
 * labels, rendered in the Prometheus text exposition format (version 0.0.4).
 *
 * Metrics are created once (at wiring time) and updated on hot paths without
 * allocation for the unlabelled case; labelled series are looked up by a key
 * made from the label values.
 *
 * @module
 */

/** Label names → values for one series. */
export type Labels = Readonly<Record<string, string>>;

interface Series<T> {
  labels: Labels;
  value: T;
}

function labelKey(labels: Labels): string {
  const keys = Object.keys(labels);
  if (keys.length === 0) return "";
  keys.sort();
  let k = "";
  for (const name of keys) k += `${name}\u0000${labels[name]}\u0001`;
  return k;
}

function escapeLabelValue(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
}

function renderLabels(labels: Labels, extra?: [string, string]): string {
  const parts: string[] = [];
  for (const name of Object.keys(labels).sort()) {
    parts.push(`${name}="${escapeLabelValue(labels[name]!)}"`);
  }
  if (extra) parts.push(`${extra[0]}="${escapeLabelValue(extra[1])}"`);
  return parts.length === 0 ? "" : `{${parts.join(",")}}`;
}

function formatNumber(n: number): string {
  if (Number.isNaN(n)) return "NaN";
  if (n === Infinity) return "+Inf";
  if (n === -Infinity) return "-Inf";
  return String(n);
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

abstract class Metric<T> {
  readonly name: string;
  readonly help: string;
  protected readonly series = new Map<string, Series<T>>();

  constructor(name: string, help: string) {
    if (!METRIC_NAME.test(name)) {
      throw new TypeError(`Cannot create metric ${name}: name is not a valid Prometheus name`);
    }
    this.name = name;
    this.help = help;
  }

  protected abstract initial(): T;

  protected get(labels: Labels): Series<T> {
    const key = labelKey(labels);
    let s = this.series.get(key);
    if (s === undefined) {
      s = { labels: { ...labels }, value: this.initial() };
      this.series.set(key, s);
    }
    return s;
  }

  abstract render(out: string[]): void;
}

/** A monotonically increasing count. */
export class Counter extends Metric<number> {
  /** Series by label names, then by their values (see {@linkcode Counter.incLabelled}). */
  readonly #byValues = new Map<
    readonly string[],
    Map<string, Map<string, Map<string, Series<number>>>>
  >();
  protected initial(): number {
    return 0;
  }
  /** Adds `by` (default 1, never negative) to the series with `labels`. */
  inc(labels: Labels = {}, by = 1): void {
    if (by < 0) throw new RangeError(`Cannot decrease counter ${this.name}: by is ${by}`);
    this.get(labels).value += by;
  }
  /**
   * Adds 1 to the series whose labels `names` (one to three, in this order) have the values
   * `a`, `b` and `c`. The series is cached by its values under `names` (pass the same array each
   * time), so once it exists nothing is allocated: for per-message counts.
   */
  incLabelled(names: readonly string[], a: string, b = "", c = ""): void {
    let byA = this.#byValues.get(names);
    if (byA === undefined) this.#byValues.set(names, byA = new Map());
    let byB = byA.get(a);
    if (byB === undefined) byA.set(a, byB = new Map());
    let s = byB.get(b)?.get(c);
    if (s === undefined) {
      const labels: Record<string, string> = { [names[0]!]: a };
      if (names.length > 1) labels[names[1]!] = b;
      if (names.length > 2) labels[names[2]!] = c;
      s = this.get(labels);
      let byC = byB.get(b);
      if (byC === undefined) byB.set(b, byC = new Map());
      byC.set(c, s);
    }
    s.value++;
  }
  /** Current value of the series with `labels`. */
  value(labels: Labels = {}): number {
    return this.series.get(labelKey(labels))?.value ?? 0;
  }
  render(out: string[]): void {
    out.push(`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`);
    for (const s of this.series.values()) {
      out.push(`${this.name}${renderLabels(s.labels)} ${formatNumber(s.value)}`);
    }
  }
}

/** A value that goes up and down; may be computed when scraped. */
export class Gauge extends Metric<number> {
  #collect: (() => Iterable<[Labels, number]>) | undefined;
  protected initial(): number {
    return 0;
  }
  /** Sets the series with `labels` to `value`. */
  set(value: number, labels: Labels = {}): void {
    this.get(labels).value = value;
  }
  /** Adds `by` to the series with `labels`. */
  inc(labels: Labels = {}, by = 1): void {
    this.get(labels).value += by;
  }
  /** Current value of the series with `labels`. */
  value(labels: Labels = {}): number {
    return this.series.get(labelKey(labels))?.value ?? 0;
  }
  /** Computes the series on each scrape instead of storing them. */
  collectWith(collect: () => Iterable<[Labels, number]>): this {
    this.#collect = collect;
    return this;
  }
  render(out: string[]): void {
    out.push(`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} gauge`);
    if (this.#collect) {
      for (const [labels, v] of this.#collect()) {
        out.push(`${this.name}${renderLabels(labels)} ${formatNumber(v)}`);
      }
    }
    for (const s of this.series.values()) {
      out.push(`${this.name}${renderLabels(s.labels)} ${formatNumber(s.value)}`);
    }
  }
}

interface HistogramValue {
  counts: Float64Array;
  sum: number;
  count: number;
}

/** Default buckets in seconds, from 10 µs to 10 s. */
export const DEFAULT_SECONDS_BUCKETS: readonly number[] = [
  0.00001,
  0.000025,
  0.00005,
  0.0001,
  0.00025,
  0.0005,
  0.001,
  0.0025,
  0.005,
  0.01,
  0.025,
  0.05,
  0.1,
  0.25,
  0.5,
  1,
  2.5,
  5,
  10,
];

/** Observations counted into cumulative buckets. */
export class Histogram extends Metric<HistogramValue> {
  readonly buckets: readonly number[];
  constructor(name: string, help: string, buckets: readonly number[] = DEFAULT_SECONDS_BUCKETS) {
    super(name, help);
    for (let i = 1; i < buckets.length; i++) {
      if (!(buckets[i]! > buckets[i - 1]!)) {
        throw new RangeError(`Cannot create histogram ${name}: buckets are not increasing`);
      }
    }
    this.buckets = buckets;
  }
  protected initial(): HistogramValue {
    return { counts: new Float64Array(this.buckets.length), sum: 0, count: 0 };
  }
  /** Records one observation. */
  observe(value: number, labels: Labels = {}): void {
    const h = this.get(labels).value;
    h.sum += value;
    h.count++;
    const b = this.buckets;
    for (let i = 0; i < b.length; i++) {
      if (value <= b[i]!) {
        h.counts[i]!++;
        break;
      }
    }
  }
  /** Number of observations of the series with `labels`. */
  count(labels: Labels = {}): number {
    return this.series.get(labelKey(labels))?.value.count ?? 0;
  }
  render(out: string[]): void {
    out.push(`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`);
    for (const s of this.series.values()) {
      let cumulative = 0;
      for (let i = 0; i < this.buckets.length; i++) {
        cumulative += s.value.counts[i]!;
        out.push(
          `${this.name}_bucket${
            renderLabels(s.labels, ["le", formatNumber(this.buckets[i]!)])
          } ${cumulative}`,
        );
      }
      out.push(`${this.name}_bucket${renderLabels(s.labels, ["le", "+Inf"])} ${s.value.count}`);
      out.push(`${this.name}_sum${renderLabels(s.labels)} ${formatNumber(s.value.sum)}`);
      out.push(`${this.name}_count${renderLabels(s.labels)} ${s.value.count}`);
    }
  }
}

/** A set of metrics rendered together. */
export class Registry {
  readonly #metrics = new Map<string, Metric<unknown>>();

  #add<M extends Metric<unknown>>(metric: M): M {
    if (this.#metrics.has(metric.name)) {
      throw new TypeError(`Cannot register metric ${metric.name}: name is already registered`);
    }
    this.#metrics.set(metric.name, metric);
    return metric;
  }
  /** Creates and registers a counter. */
  counter(name: string, help: string): Counter {
    return this.#add(new Counter(name, help));
  }
  /** Creates and registers a gauge. */
  gauge(name: string, help: string): Gauge {
    return this.#add(new Gauge(name, help));
  }
  /** Creates and registers a histogram. */
  histogram(name: string, help: string, buckets?: readonly number[]): Histogram {
    return this.#add(new Histogram(name, help, buckets));
  }
  /** Renders every metric in the Prometheus text format. */
  render(): string {
    const out: string[] = [];
    for (const m of this.#metrics.values()) m.render(out);
    return out.join("\n") + "\n";
  }
}
