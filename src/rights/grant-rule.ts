/**
 * The grant rule (The Things Stack's): a caller may grant, add or remove only rights it holds, and a
 * pseudo-right only if it holds that pseudo-right. Because `expand` puts a pseudo-right into the held set
 * only when the caller holds it (or a wider one), "held" is simply the caller's effective set. A key's
 * rights must also lie within its owner's universe; the same check against that set enforces it.
 */

/** The rights of `wanted` that `held` lacks, ascending and without repeats. */
export function missingRights(held: ReadonlySet<number>, wanted: Iterable<number>): number[] {
  const missing = new Set<number>();
  for (const right of wanted) if (!held.has(right)) missing.add(right);
  return [...missing].sort((a, b) => a - b);
}

/** The rights an update from `before` to `after` adds or removes (the symmetric difference), ascending. */
export function changedRights(before: Iterable<number>, after: Iterable<number>): number[] {
  const a = new Set(before);
  const b = new Set(after);
  const changed = [...a].filter((r) => !b.has(r)).concat([...b].filter((r) => !a.has(r)));
  return changed.sort((x, y) => x - y);
}
