#!/usr/bin/env node
// `npm test`: type-check (server and console), build (tsc, the client package and the console's Vite build), `buf lint`, a check
// that gen/ matches a fresh `buf generate`, then mocha.
// Mocha gets MONGODB_URL: the one given, else a MongoDB stand-in (jongodb) started for the run and
// stopped after it (scripts/jongodb.mjs), so the MongoDB tests run on every machine that installed it.
// Each check counts as one test; the last line is `tests: N passed, N failed, N skipped` and the exit code
// is non-zero on any failure.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { mongoLaneUrl } from "./jongodb.mjs";

const root = new URL("..", import.meta.url).pathname;
const bin = (name) => join(root, "node_modules", ".bin", name);
const counts = { passed: 0, failed: 0, skipped: 0 };

function run(title, command, args, env = {}) {
  const started = Date.now();
  const result = spawnSync(command, args, { cwd: root, stdio: "inherit", env: { ...process.env, ...env } });
  const ok = result.status === 0;
  console.log(`${ok ? "ok" : "FAILED"}: ${title} (${Date.now() - started} ms)`);
  return ok;
}

function check(title, ok) {
  if (ok) counts.passed++;
  else counts.failed++;
}

function listFiles(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)))
    .sort();
}

function genIsFresh() {
  const out = mkdtempSync(join(tmpdir(), "keyward-gen-"));
  try {
    if (!run("buf generate (into a temporary directory)", bin("buf"), ["generate", "--output", out])) return false;
    const fresh = join(out, "gen");
    const committed = join(root, "gen");
    const freshFiles = listFiles(fresh);
    const committedFiles = listFiles(committed);
    const stale = [
      ...freshFiles.filter((f) => !committedFiles.includes(f)).map((f) => `missing from gen/: ${f}`),
      ...committedFiles.filter((f) => !freshFiles.includes(f)).map((f) => `not generated any more: gen/${f}`),
      ...freshFiles
        .filter((f) => committedFiles.includes(f))
        .filter((f) => !readFileSync(join(fresh, f)).equals(readFileSync(join(committed, f))))
        .map((f) => `differs from a fresh generate: gen/${f}`),
    ];
    for (const line of stale) console.error(line);
    if (stale.length > 0) console.error("gen/ is stale: run `npm run generate` and commit the result.");
    return stale.length === 0;
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

check(
  "type-check",
  run("type-check (tsc --noEmit)", bin("tsc"), ["--noEmit", "-p", "tsconfig.json"]) &&
    run("type-check the console (tsc -p src/console/tsconfig.json)", bin("tsc"), ["-p", "src/console/tsconfig.json"]),
);
// The CLI tests run the built code, as users do; the browser tests load the built console; the package
// tests pack and install the built client package.
check(
  "build",
  run("build (tsc -p tsconfig.build.json)", bin("tsc"), ["-p", "tsconfig.build.json"]) &&
    run("make the CLI executable (scripts/make-cli-executable.mjs)", process.execPath, [join(root, "scripts/make-cli-executable.mjs")]) &&
    run("build the client package (packages/client/build.mjs)", process.execPath, [join(root, "packages/client/build.mjs")]) &&
    run("build the console (vite build)", bin("vite"), ["build", "--config", "src/console/vite.config.ts"]),
);
check("buf lint", run("buf lint", bin("buf"), ["lint"]));
const fresh = genIsFresh();
console.log(`${fresh ? "ok" : "FAILED"}: gen/ matches a fresh npm run generate`);
check("gen fresh", fresh);

const statsDir = mkdtempSync(join(tmpdir(), "keyward-stats-"));
const statsFile = join(statsDir, "stats.json");
const mongo = await mongoLaneUrl(process.env);
console.log(`MongoDB tests: ${mongo.description}`);
const mochaEnv = { KEYWARD_TEST_STATS: statsFile, ...(mongo.url === undefined ? {} : { MONGODB_URL: mongo.url }) };
let mochaOk;
try {
  // Every suite unless test files were named (`npm test -- test/keys/parse-key.test.ts`). The glob is not in
  // .mocharc.json, where mocha would add it to any files named on the command line.
  const args = process.argv.slice(2);
  const namesFiles = args.some((arg) => /\.test\.ts$/.test(arg) || arg.endsWith("/"));
  mochaOk = run("mocha", bin("mocha"), namesFiles ? args : ["test/**/*.test.ts", ...args], mochaEnv);
} finally {
  await mongo.stop();
}
if (existsSync(statsFile)) {
  const stats = JSON.parse(readFileSync(statsFile, "utf8"));
  counts.passed += stats.passed;
  counts.failed += stats.failed;
  counts.skipped += stats.skipped;
  if (!mochaOk && stats.failed === 0) counts.failed++; // mocha failed outside a test (e.g. zero tests, load error)
} else if (!mochaOk) {
  counts.failed++;
}
rmSync(statsDir, { recursive: true, force: true });

console.log(`tests: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`);
process.exit(counts.failed > 0 ? 1 : 0);
