// MongoDB URLs for tests that share one server between several databases.

/** `url` with its database path set to `database` (the query, e.g. `?replicaSet=rs0`, is kept). */
export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}
