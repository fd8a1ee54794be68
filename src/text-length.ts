/**
 * Lengths in characters (code points), as people count them and as the limits on names and passwords are
 * stated. `[...text].length` would copy a whole string into an array first, which an unauthenticated
 * request could make costly; this counts without allocating and stops past the limit it is asked about.
 *
 * Leaf module: imports nothing from src/.
 */

/** The number of code points in `text`, or `cap + 1` as soon as there are more than `cap`. */
export function characterCount(text: string, cap: number): number {
  // A code point takes one or two UTF-16 units: beyond 2 × cap units there are more than cap of them.
  if (text.length > 2 * cap) return cap + 1;
  let count = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
    }
    if (++count > cap) return cap + 1;
  }
  return count;
}
