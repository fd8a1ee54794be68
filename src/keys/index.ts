/** The key format: generate, parse, checksum, hash. Leaf module: imports nothing from src/. */
export * from "./key-format.js";
export * from "./generate-key.js";
export * from "./parse-key.js";
export * from "./secret-hash.js";
export { keyChecksum } from "./checksum.js";
