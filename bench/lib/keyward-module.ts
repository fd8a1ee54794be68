/**
 * Loads one of Keyward's modules for an in-process bench: the tsc build in `dist/` when `built`, as the
 * main bench runs the server (tsx's transform adds work to every closure made per call), else the source
 * through tsx.
 */
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { ROOT } from "./processes.js";

/** Keyward's module at `path` (from the repository root, without extension). */
export function keywardModule<T>(path: string, built: boolean): Promise<T> {
  return import(pathToFileURL(built ? join(ROOT, "dist", `${path}.js`) : join(ROOT, `${path}.ts`)).href) as Promise<T>;
}
