// Builds an adapter's Store from its parts, one per kind of record, so no facade restates each method
// (ARCHITECTURE.md, "The store").

/** The intersection of a tuple's element types: what an object made of all of them offers. */
type AllOf<Parts extends readonly object[]> = Parts extends readonly [infer First, ...infer Rest extends readonly object[]]
  ? First & AllOf<Rest>
  : unknown;

/**
 * One object offering every public method of every part (its class's methods, bound to the part) and
 * the members of `own` (close, accessors for tests). Each part implements a slice of `Store` and keeps
 * everything else private, so the object offers exactly the slices; an adapter declares the result as
 * its Store type, so a slice left out, or a method missing from a part, fails the type check.
 * Throws when two parts (or a part and `own`) offer the same name: one of them would be lost.
 */
export function composeStore<const Parts extends readonly object[], Own extends object>(parts: Parts, own: Own): AllOf<Parts> & Own {
  const composed: Record<string, unknown> = {};
  for (const part of parts) {
    for (const name of methodNames(part)) {
      if (name in composed) throw new Error(`two store parts offer ${name}`);
      const method = (part as Record<string, (...args: unknown[]) => unknown>)[name]!;
      composed[name] = method.bind(part);
    }
  }
  for (const name of Object.keys(own)) {
    if (name in composed) throw new Error(`two store parts offer ${name}`);
  }
  return Object.defineProperties(composed, Object.getOwnPropertyDescriptors(own)) as AllOf<Parts> & Own;
}

/** The methods a part's classes declare (its prototype chain below Object.prototype), not its constructor. */
function methodNames(part: object): string[] {
  const names = new Set<string>();
  for (let proto = Object.getPrototypeOf(part); proto !== null && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    for (const name of Object.getOwnPropertyNames(proto)) {
      if (name === "constructor") continue;
      const descriptor = Object.getOwnPropertyDescriptor(proto, name);
      if (descriptor !== undefined && typeof descriptor.value === "function") names.add(name);
    }
  }
  return [...names];
}
