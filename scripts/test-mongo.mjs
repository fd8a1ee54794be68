#!/usr/bin/env node
// `npm run test:mongo`: only the MongoDB lane (the store conformance suite and the end-to-end runs of the
// server on MongoDB), against MONGODB_URL or else a stand-in started here. Extra arguments go to mocha.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { mongoLaneUrl } from "./jongodb.mjs";

const root = new URL("..", import.meta.url).pathname;
const mongo = await mongoLaneUrl(process.env);
console.log(`MongoDB tests: ${mongo.description}`);
let status = 1;
try {
  const env = { ...process.env, ...(mongo.url === undefined ? {} : { MONGODB_URL: mongo.url }) };
  const args = ["--config", join(root, ".mocharc.mongo.json"), ...process.argv.slice(2)];
  status = spawnSync(join(root, "node_modules", ".bin", "mocha"), args, { cwd: root, stdio: "inherit", env }).status ?? 1;
} finally {
  await mongo.stop();
}
process.exit(status);
