/**
 * Responses answered many times unchanged. An implementation whose answer depends only on cached state
 * (GetAuthInfo: the cached principal) builds its message once and marks it reusable; every door then
 * encodes it once per encoding instead of once per call. In profiles of GetAuthInfo, building and
 * encoding the message was a large share of a call (protobuf-es encodes by reflection; the share is in
 * docs/performance.md).
 *
 * A reusable message is frozen, so a later mutation throws instead of silently changing what other calls
 * were, or will be, answered.
 *
 * A leaf, like errors.ts: services mark messages, the doors (transport, gateway) encode them, and neither
 * depends on the other for it.
 */

const reusable = new WeakSet<object>();

/** Freezes `message` (deeply) and marks it reusable. Returns it. */
export function reusableResponse<T extends object>(message: T): T {
  deepFreeze(message);
  reusable.add(message);
  return message;
}

/**
 * `encode`, remembering its result for each reusable message (held weakly: the memo goes when the
 * message does). Other messages are encoded on every call. The result must be treated as read-only.
 */
export function memoizeEncoding<M extends object, R>(encode: (message: M) => R): (message: M) => R {
  const encoded = new WeakMap<M, R>();
  return (message) => {
    if (!reusable.has(message)) return encode(message);
    let result = encoded.get(message);
    if (result === undefined) {
      result = encode(message);
      encoded.set(message, result);
    }
    return result;
  };
}

function deepFreeze(value: object): void {
  // Typed arrays (bytes fields) cannot be frozen; nothing else in a message needs skipping.
  if (Object.isFrozen(value) || ArrayBuffer.isView(value)) return;
  Object.freeze(value);
  for (const child of Object.values(value)) if (typeof child === "object" && child !== null) deepFreeze(child as object);
}
