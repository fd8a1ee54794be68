/**
 * Counters and histograms for the per-call metrics, as plain numbers rendered by prom-client's registry
 * at scrape time. prom-client's own label children hash their label values on every `inc`/`observe`,
 * which made the call metrics a large part of a cached call's CPU (bench/micro/metrics-overhead.ts; the
 * figures are in docs/performance.md). Here a caller looks a series up once and then adds to numbers.
 */
import type { Registry } from "prom-client";

type Labels = Record<string, string>;

/** One labelled counter value. */
export class CounterSeries {
  value = 0;
  constructor(readonly labels: Labels) {}

  inc(): void {
    this.value++;
  }
}

/** One labelled histogram: counts per bucket (not cumulative until rendered), sum and count. */
export class HistogramSeries {
  readonly buckets: number[];
  sum = 0;
  count = 0;

  constructor(
    readonly labels: Labels,
    private readonly bounds: readonly number[],
  ) {
    this.buckets = new Array<number>(bounds.length + 1).fill(0);
  }

  observe(value: number): void {
    let i = 0;
    while (i < this.bounds.length && value > this.bounds[i]!) i++;
    this.buckets[i]!++;
    this.sum += value;
    this.count++;
  }
}

/** What prom-client's registry reads from a metric. */
interface MetricValue {
  value: number;
  labels: Labels;
  metricName?: string;
}

abstract class PlainMetric<S> {
  protected readonly all = new Map<string, S>();

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly labelNames: readonly string[],
    registry: Registry,
  ) {
    registry.registerMetric(this as never);
  }

  /** The series of these label values (in `labelNames` order), created on first use. Cache it. */
  series(...values: string[]): S {
    const key = values.join("\u0000");
    let found = this.all.get(key);
    if (found === undefined) {
      found = this.create(Object.fromEntries(this.labelNames.map((name, i) => [name, values[i] ?? ""])));
      this.all.set(key, found);
    }
    return found;
  }

  protected abstract create(labels: Labels): S;
}

/** A counter of any number of label series. */
export class PlainCounter extends PlainMetric<CounterSeries> {
  readonly type = "counter";

  protected create(labels: Labels): CounterSeries {
    return new CounterSeries(labels);
  }

  get(): { name: string; help: string; type: string; values: MetricValue[]; aggregator: string } {
    const values = [...this.all.values()].map((series) => ({ value: series.value, labels: series.labels }));
    return { name: this.name, help: this.help, type: this.type, values, aggregator: "sum" };
  }
}

/** A histogram of any number of label series, with fixed bucket bounds. */
export class PlainHistogram extends PlainMetric<HistogramSeries> {
  readonly type = "histogram";

  constructor(
    name: string,
    help: string,
    labelNames: readonly string[],
    registry: Registry,
    private readonly bounds: readonly number[],
  ) {
    super(name, help, labelNames, registry);
  }

  protected create(labels: Labels): HistogramSeries {
    return new HistogramSeries(labels, this.bounds);
  }

  get(): { name: string; help: string; type: string; values: MetricValue[]; aggregator: string } {
    const values: MetricValue[] = [];
    for (const series of this.all.values()) {
      let cumulative = 0;
      this.bounds.forEach((bound, i) => {
        cumulative += series.buckets[i]!;
        values.push({ metricName: `${this.name}_bucket`, value: cumulative, labels: { le: String(bound), ...series.labels } });
      });
      values.push({ metricName: `${this.name}_bucket`, value: series.count, labels: { le: "+Inf", ...series.labels } });
      values.push({ metricName: `${this.name}_sum`, value: series.sum, labels: series.labels });
      values.push({ metricName: `${this.name}_count`, value: series.count, labels: series.labels });
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: "sum" };
  }
}
