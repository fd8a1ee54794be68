/** Small statistics helpers shared by the generators and the micro-benchmarks. */

export interface LatencySummary {
  readonly p50: number;
  readonly p99: number;
  readonly mean: number;
}

/** Percentiles (nearest rank) and mean of `values`; NaN for an empty sample. Sorts `values` in place. */
export function summarizeLatencies(values: Float64Array): LatencySummary {
  if (values.length === 0) return { p50: NaN, p99: NaN, mean: NaN };
  values.sort();
  let sum = 0;
  for (const v of values) sum += v;
  return { p50: percentile(values, 0.5), p99: percentile(values, 0.99), mean: sum / values.length };
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: ArrayLike<number>, q: number): number {
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[index]!;
}

/** The median of a few numbers. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
