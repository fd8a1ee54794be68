/**
 * The MongoDB driver, loaded on first use: loading it costs memory (its BSON library sets aside a
 * serialization buffer; docs/performance.md has the figures) that a server on SQLite, the default,
 * never needs.
 * The adapter's modules import only its types; the values come from here. A synchronous `require`
 * (the driver is CommonJS) keeps the callers synchronous and shares the module instance with any
 * `import "mongodb"` elsewhere, so `instanceof` checks hold.
 */
import { createRequire } from "node:module";

type Driver = typeof import("mongodb");

const require = createRequire(import.meta.url);
let driver: Driver | undefined;

/** The `mongodb` module, loaded now if it was not yet. */
export function mongoDriver(): Driver {
  return (driver ??= require("mongodb") as Driver);
}
