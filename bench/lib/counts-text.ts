/** How the bench prints counts and error kinds, shared by the report and the edge bench. */

/** A count with thousands separators. */
export function count(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}

/** "0 errors", or each kind of error with its count ("2 connection errors, 1 http 502"). */
export function kindsText(errors: number, errorKinds: Record<string, number>): string {
  const kinds = Object.entries(errorKinds)
    .filter(([, n]) => n > 0)
    .map(([kind, n]) => `${count(n)} ${kind}`);
  return kinds.length === 0 ? `${count(errors)} errors` : kinds.join(", ");
}
