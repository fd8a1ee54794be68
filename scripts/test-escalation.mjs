#!/usr/bin/env node
// `npm run test:escalation -- --runs N --seed S [--path P] [--shape TEXT]`: the escalation property alone
// (test/e2e/escalation-sequences.test.ts), with more sequences than `npm test` runs, a chosen seed, a
// failure's seed and path to replay it, or only the starting credential labelled TEXT (else those containing it)
// (e.g. "grace", "session", "ADMIN_API_KEYS"). The options reach the test as KEYWARD_ESCALATION_* variables.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { parseArgs } from "node:util";

const root = new URL("..", import.meta.url).pathname;
const { values } = parseArgs({
  options: { runs: { type: "string" }, seed: { type: "string" }, path: { type: "string" }, shape: { type: "string" }, help: { type: "boolean", short: "h" } },
  strict: true,
});
if (values.help) {
  console.log("usage: npm run test:escalation -- [--runs N] [--seed S] [--path P] [--shape TEXT]");
  process.exit(0);
}
const problems = [];
if (values.runs !== undefined && !/^[1-9]\d*$/.test(values.runs)) problems.push(`--runs must be a positive integer, not ${values.runs}`);
if (values.seed !== undefined && !/^-?\d+$/.test(values.seed)) problems.push(`--seed must be an integer, not ${values.seed}`);
if (values.path !== undefined && !/^\d+(:\d+)*$/.test(values.path)) problems.push(`--path must look like 12:0:3, not ${values.path}`);
if (problems.length > 0) {
  for (const problem of problems) console.error(problem);
  process.exit(2);
}

const env = { ...process.env };
if (values.runs !== undefined) env.KEYWARD_ESCALATION_RUNS = values.runs;
if (values.seed !== undefined) env.KEYWARD_ESCALATION_SEED = values.seed;
if (values.path !== undefined) env.KEYWARD_ESCALATION_PATH = values.path;
if (values.shape !== undefined) env.KEYWARD_ESCALATION_SHAPE = values.shape;
// The spec reporter instead of the suite's one-line summary: the runs print what they found as they go.
const mocha = join(root, "node_modules", ".bin", "mocha");
const args = ["--reporter", "spec", "test/e2e/escalation-sequences.test.ts"];
const result = spawnSync(mocha, args, { cwd: root, stdio: "inherit", env });
process.exit(result.status ?? 1);
