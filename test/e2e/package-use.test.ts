/**
 * `@keyward/client` used from another Node project, installed as a user installs it: packed from
 * packages/client (`npm pack -w`), then `npm init -y` and `npm install @keyward/client` in a fresh
 * directory, against a registry on 127.0.0.1 that serves the tarball and this checkout's node_modules
 * (support/local-registry.ts), with npm's install scripts allowed. The install must stay light: only
 * the Connect runtime besides the client, no install scripts, none of the server's dependencies. Then
 * an ES module, a CommonJS script and a TypeScript consumer use it, the scripts against a real server.
 * (docs/client.md's examples, grpc-js included, are run as pasted by docs-examples.test.ts.)
 */
import { spawnSync } from "node:child_process";
import { existsSync, lstatSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect } from "chai";
import { runAsync, useClientProject } from "./support/local-registry.js";
import { useServer } from "./support/server-process.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
/** What a client install may bring: the client and the Connect runtime it calls with. */
const CLIENT_PACKAGES = ["@bufbuild/protobuf", "@connectrpc/connect", "@connectrpc/connect-node", "@keyward/client"];
/** The server's heavy dependencies, none of which a client needs. */
const SERVER_ONLY = ["better-sqlite3", "mongodb", "swagger-ui-dist", "@jongodb/memory-server-bin-linux-x64-gnu", "@node-rs/argon2", "@grpc/grpc-js", "prom-client"];
/** An upper bound on the installed size, with room for the runtime's own growth (the install measures about 5 MB). */
const MAX_INSTALLED_MB = 10;
const INSTALL_SCRIPTS = ["preinstall", "install", "postinstall"];

/** The one call both module systems make; `load` is how each gets the package. */
const CALLS = `
  const keyward = createKeywardClient({ baseUrl: process.env.KEYWARD_URL, apiKey: process.env.KEYWARD_API_KEY });
  const info = await keyward.auth.getAuthInfo({});
  const refusal = await createKeywardClient({ baseUrl: process.env.KEYWARD_URL, apiKey: "NNSXS.not-a-key" }).auth.getAuthInfo({}).catch((error) => error);
  console.log(JSON.stringify({
    userId: info.user?.userId,
    all: info.rights.includes(Right.ALL),
    reason: errorReason(refusal),
    unauthenticated: refusal instanceof ConnectError && refusal.code === Code.Unauthenticated,
    service: AuthService.typeName,
  }));
`;
const ESM_SCRIPT = `import { Code, ConnectError, createKeywardClient, errorReason, Right } from "@keyward/client";
import { AuthService } from "@keyward/client/gen/keyward/v1/auth_pb.js";
${CALLS}`;
const CJS_SCRIPT = `const { Code, ConnectError, createKeywardClient, errorReason, Right } = require("@keyward/client");
const { AuthService } = require("@keyward/client/gen/keyward/v1/auth_pb.js");
(async () => {${CALLS}})();
`;
/** Types from both entry points; each `@ts-expect-error` fails the check if the types were `any`. */
const TS_CONSUMER = `import { createKeywardClient, errorReason, Right, type KeywardClient } from "@keyward/client";
import { GetAuthInfoResponseSchema } from "@keyward/client/gen/keyward/v1/auth_pb.js";
const client: KeywardClient = createKeywardClient({ baseUrl: "http://127.0.0.1:8080" });
const reason: string | undefined = errorReason(new Error("not a Keyward error"));
// @ts-expect-error baseUrl is required
createKeywardClient({});
// @ts-expect-error Right has no such member
Right.NOT_A_RIGHT;
export const used = [client.auth.getAuthInfo, reason, GetAuthInfoResponseSchema.typeName];
`;

describe("e2e: @keyward/client installed into another project", function () {
  this.timeout(180_000);
  const ctx = useServer();
  const consumer = useClientProject(ROOT, "keyward-consumer-");
  let project: string;
  let installOutput: string;

  before(async function () {
    project = consumer.project;
    for (const args of [["init", "-y"], ["install", "@keyward/client"]]) {
      const npm = await runAsync("npm", args, { cwd: project, env: consumer.registry.npmEnv });
      expect(npm.status, `npm ${args.join(" ")}: ${npm.stderr}`).to.equal(0);
      installOutput = `${npm.stdout}\n${npm.stderr}`;
    }
  });

  /** The installed packages, as npm recorded them (`node_modules/.package-lock.json`). */
  function installed(): Record<string, { version: string; hasInstallScript?: boolean }> {
    const lock = JSON.parse(readFileSync(join(project, "node_modules/.package-lock.json"), "utf8")) as { packages: Record<string, { version: string; hasInstallScript?: boolean }> };
    return Object.fromEntries(Object.entries(lock.packages).map(([path, entry]) => [path.replace(/^.*node_modules\//, ""), entry]));
  }

  it("installs light: the client and the Connect runtime, a few MB, no install scripts, no server dependency", () => {
    const packages = installed();
    const megabytes = diskUsage(join(project, "node_modules")) / 2 ** 20;
    console.log(`      (installed: ${Object.keys(packages).length} packages, ${megabytes.toFixed(1)} MB)`);
    expect(Object.keys(packages).sort()).to.deep.equal(CLIENT_PACKAGES);
    for (const name of SERVER_ONLY) expect(existsSync(join(project, "node_modules", name)), name).to.equal(false);
    expect(megabytes).to.be.below(MAX_INSTALLED_MB);
    expect(installOutput).to.not.match(/install.?scripts/i);
    for (const [name, entry] of Object.entries(packages)) {
      expect(entry.hasInstallScript, `${name} has an install script`).to.not.equal(true);
      const manifest = JSON.parse(readFileSync(join(project, "node_modules", name, "package.json"), "utf8")) as { scripts?: Record<string, string> };
      expect(Object.keys(manifest.scripts ?? {}).filter((script) => INSTALL_SCRIPTS.includes(script)), name).to.deep.equal([]);
      expect(existsSync(join(project, "node_modules", name, "binding.gyp")), `${name} compiles native code`).to.equal(false);
    }
  });

  it("ships ES module and CommonJS builds with their .d.ts, and the protos with the google/api ones they import", () => {
    const pkg = join(project, "node_modules/@keyward/client");
    for (const build of ["esm", "cjs"]) {
      for (const file of ["src/client/index.js", "src/client/index.d.ts", "gen/keyward/v1/auth_pb.js", "gen/keyward/v1/auth_pb.d.ts", "gen/google/rpc/status_pb.js"]) {
        expect(existsSync(join(pkg, "dist", build, file)), `dist/${build}/${file}`).to.equal(true);
      }
    }
    for (const file of ["keyward/v1/auth.proto", "keyward/v1/api_key.proto", "google/api/annotations.proto", "google/api/http.proto", "google/api/field_behavior.proto"]) {
      expect(existsSync(join(pkg, "proto", file)), file).to.equal(true);
    }
    expect(readdirSync(pkg).sort()).to.deep.equal(["LICENSE", "README.md", "dist", "package.json", "proto"]);
  });

  it("type-checks a TypeScript consumer against both entry points (import and require)", () => {
    writeFileSync(join(project, "consumer.mts"), TS_CONSUMER);
    writeFileSync(join(project, "consumer.cts"), TS_CONSUMER);
    const config = { compilerOptions: { module: "nodenext", moduleResolution: "nodenext", target: "es2023", lib: ["es2023", "dom"], types: [], strict: true, noEmit: true, skipLibCheck: true }, files: ["consumer.mts", "consumer.cts"] };
    writeFileSync(join(project, "tsconfig.json"), JSON.stringify(config));
    const tsc = spawnSync(join(ROOT, "node_modules/.bin/tsc"), ["-p", "tsconfig.json"], { cwd: project, encoding: "utf8" });
    expect(tsc.status, tsc.stdout + tsc.stderr).to.equal(0);
  });

  for (const [kind, file, script] of [
    ["an ES module (import)", "connect-client.mjs", ESM_SCRIPT],
    ["a CommonJS script (require)", "connect-client.cjs", CJS_SCRIPT],
  ] as const) {
    it(`calls a real server from ${kind}, and reads the refusal's ErrorInfo.reason`, () => {
      writeFileSync(join(project, file), script);
      const result = spawnSync(process.execPath, [file], {
        cwd: project,
        encoding: "utf8",
        env: { ...process.env, KEYWARD_URL: ctx.server.httpUrl, KEYWARD_API_KEY: ctx.admin },
      });
      expect(result.status, result.stderr).to.equal(0);
      expect(result.stderr, "no warning (e.g. require of an ES module)").to.equal("");
      expect(JSON.parse(result.stdout)).to.deep.equal({ userId: "admin", all: true, reason: "CREDENTIALS_MALFORMED", unauthenticated: true, service: "keyward.v1.AuthService" });
    });
  }
});

/** Bytes on disk under `dir`, as `du` counts them (allocated blocks). */
function diskUsage(dir: string): number {
  let bytes = 0;
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    const stat = lstatSync(join(entry.parentPath, entry.name));
    bytes += stat.blocks * 512;
  }
  return bytes + lstatSync(dir).blocks * 512;
}
