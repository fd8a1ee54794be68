/**
 * The version `keyward --version` prints: the `version` of Keyward's own package.json. Found by walking
 * up from this file, because it runs both from src/ (tsx) and from dist/src/ (the built CLI), and from
 * node_modules/keyward when installed as a dependency.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** Keyward's package version, e.g. `0.1.0`. */
export function packageVersion(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    const file = join(dir, "package.json");
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, "utf8")) as { name?: string; version?: string };
      if (pkg.name === "keyward" && typeof pkg.version === "string") return pkg.version;
    }
    if (dirname(dir) === dir) return "unknown";
  }
}
