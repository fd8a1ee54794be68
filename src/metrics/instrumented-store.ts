/**
 * A Store that times every operation of another into `keyward_store_operation_duration_seconds`. It wraps
 * whatever methods the store has (so operations added to the contract later are timed too), calling
 * them on the original object. Only misses of the verifier's cache reach the store on the hot path.
 */
import type { Store } from "../store/store.js";
import type { PlainHistogram } from "./plain-series.js";

/** Not an operation worth a series: releasing the store. */
const UNTIMED = new Set(["constructor", "close"]);

/** `store` with every method timed by `duration`, labelled with the method's name and `ok` or `error`. */
export function instrumentStore<S extends Store>(store: S, duration: PlainHistogram): S {
  const timed = Object.create(store) as Record<string, unknown>;
  for (const name of methodNames(store)) {
    if (UNTIMED.has(name)) continue;
    const method = (store as unknown as Record<string, (...args: unknown[]) => unknown>)[name]!;
    const ok = duration.series(name, "ok");
    const failed = duration.series(name, "error");
    timed[name] = (...args: unknown[]) => {
      const started = performance.now();
      const seconds = () => (performance.now() - started) / 1000;
      let result: unknown;
      try {
        result = method.apply(store, args);
      } catch (error) {
        failed.observe(seconds());
        throw error;
      }
      if (!(result instanceof Promise)) {
        ok.observe(seconds());
        return result;
      }
      return result.then(
        (value: unknown) => {
          ok.observe(seconds());
          return value;
        },
        (error: unknown) => {
          failed.observe(seconds());
          throw error;
        },
      );
    };
  }
  // Methods that are not operations (close) and accessors still run on the original, whose private
  // fields they need.
  timed["close"] = () => store.close();
  return timed as unknown as S;
}

/**
 * Every function-valued property of the store, its own (a composed store's methods) or on its prototype
 * chain below Object.prototype (a class's).
 */
function methodNames(store: object): string[] {
  const names = new Set<string>();
  for (let proto: object | null = store; proto !== null && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    for (const name of Object.getOwnPropertyNames(proto)) {
      const descriptor = Object.getOwnPropertyDescriptor(proto, name);
      if (descriptor !== undefined && typeof descriptor.value === "function") names.add(name);
    }
  }
  return [...names];
}
