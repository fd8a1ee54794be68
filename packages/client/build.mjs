#!/usr/bin/env node
// Builds @keyward/client from the repository's one copy of each source: src/client and gen/ compiled twice
// (dist/esm, and dist/cjs for require()), the .proto files of proto/ with the google/api ones they import
// (from google-proto-files, the same files `npm run generate` reads), and the LICENSE.
import { spawnSync } from "node:child_process";
import { copyFileSync, cpSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const here = new URL(".", import.meta.url).pathname;
const root = join(here, "../..");
const tsc = join(root, "node_modules/.bin/tsc");
/** The google/api protos that proto/keyward/v1 imports (google/protobuf's come with every protobuf runtime). */
const GOOGLE_API = ["annotations.proto", "http.proto", "field_behavior.proto"];

for (const dir of ["dist", "proto"]) rmSync(join(here, dir), { recursive: true, force: true });
for (const config of ["tsconfig.json", "tsconfig.cjs.json"]) {
  const result = spawnSync(tsc, ["-p", join(here, config)], { stdio: "inherit" });
  if (result.status !== 0) process.exit(result.status ?? 1);
}
// dist/cjs's .js files are CommonJS although the package is "type": "module".
writeFileSync(join(here, "dist/cjs/package.json"), `${JSON.stringify({ type: "commonjs" })}\n`);
cpSync(join(root, "proto/keyward"), join(here, "proto/keyward"), { recursive: true });
mkdirSync(join(here, "proto/google/api"), { recursive: true });
for (const file of GOOGLE_API) copyFileSync(join(root, "node_modules/google-proto-files/google/api", file), join(here, "proto/google/api", file));
copyFileSync(join(root, "LICENSE"), join(here, "LICENSE"));
