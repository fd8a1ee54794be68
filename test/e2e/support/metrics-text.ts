// Reading samples out of the Prometheus text format, for tests.

/**
 * The value of the sample `name` whose labels are exactly `labels`, or 0 when there is none (a counter
 * nothing has touched yet is absent).
 */
export function metricValue(text: string, name: string, labels: Record<string, string>): number {
  const wanted = Object.entries(labels)
    .map(([label, value]) => `${label}="${value}"`)
    .sort()
    .join(",");
  for (const line of text.split("\n")) {
    if (line.startsWith("#")) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const got = (match[2] ?? "").split(/,(?=[a-zA-Z_]+=")/).filter((part) => part !== "").sort().join(",");
    if (got === wanted) return Number(match[3]);
  }
  return 0;
}
