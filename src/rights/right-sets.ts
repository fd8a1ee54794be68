/**
 * The grant rule (The Things Stack's): a caller may grant, add or remove only rights it holds, and a
 * pseudo-right only if it holds that pseudo-right. Because `expand` puts a pseudo-right into the held set
 * only when the caller holds it (or a wider one), "held" is simply the caller's effective set. A key's
 * rights must also lie within its owner's universe; the same check against that set enforces it.
 */

/** The rights of `wanted` that `held` lacks, ascending and without repeats. */
export function missingRights(held: ReadonlySet<number>, wanted: Iterable<number>): number[] {
  // Every authorized call asks this, and the answer is almost always "none": no Set for that case.
  let missing: Set<number> | undefined;
  for (const right of wanted) if (!held.has(right)) (missing ??= new Set()).add(right);
  return missing === undefined ? [] : [...missing].sort((a, b) => a - b);
}

/** The rights an update from `before` to `after` adds or removes (the symmetric difference), ascending. */
export function changedRights(before: Iterable<number>, after: Iterable<number>): number[] {
  const a = new Set(before);
  const b = new Set(after);
  const changed = [...a].filter((r) => !b.has(r)).concat([...b].filter((r) => !a.has(r)));
  return changed.sort((x, y) => x - y);
}
