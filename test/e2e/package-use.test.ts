/**
 * Keyward used from another Node project, as the README's "Calling Keyward from your service" shows it:
 * the project is packed (`npm pack`), the tarball installed into a scratch project, and two scripts
 * there call a real server: one through the package's typed Connect client (`createKeywardClient`),
 * one through plain grpc-js with @grpc/proto-loader and the `.proto` files the package ships (plus
 * google-proto-files on the include path). Both read `ErrorInfo.reason` from a refusal.
 *
 * The install runs offline: the scratch project's dependencies are links to this checkout's
 * node_modules (filled by `npm ci`), so npm only unpacks the tarball and checks what is there.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect } from "chai";
import { useServer } from "./support/server-process.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
/** What the scratch project's scripts import besides keyward itself. */
const SCRATCH_DEPENDENCIES = ["@connectrpc/connect", "@grpc/grpc-js", "@grpc/proto-loader", "google-proto-files"];

const CONNECT_SCRIPT = `
import { ConnectError } from "@connectrpc/connect";
import { createKeywardClient, errorReason, Right } from "keyward";
import { AuthService } from "keyward/gen/keyward/v1/auth_pb.js";

const keyward = createKeywardClient({ baseUrl: process.env.KEYWARD_URL, apiKey: process.env.KEYWARD_API_KEY });
const info = await keyward.auth.getAuthInfo({});
let reason;
try {
  await createKeywardClient({ baseUrl: process.env.KEYWARD_URL, apiKey: "NNSXS.not-a-key" }).auth.getAuthInfo({});
} catch (error) {
  reason = errorReason(ConnectError.from(error));
}
console.log(JSON.stringify({ userId: info.user?.userId, all: info.rights.includes(Right.ALL), reason, service: AuthService.typeName }));
`;

const GRPC_SCRIPT = `
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { anyUnpack } from "@bufbuild/protobuf/wkt";
import { fromBinary } from "@bufbuild/protobuf";
import { StatusSchema } from "keyward/gen/google/rpc/status_pb.js";
import { ErrorInfoSchema } from "keyward/gen/google/rpc/error_details_pb.js";

const require = createRequire(import.meta.url);
// The package roots: keyward/proto holds keyward/v1/*.proto, google-proto-files holds google/api/*.proto.
const includeDirs = [join(dirname(require.resolve("keyward/package.json")), "proto"), dirname(require.resolve("google-proto-files/package.json"))];
const definition = protoLoader.loadSync("keyward/v1/auth.proto", { includeDirs, enums: String, defaults: true });
const { AuthService } = grpc.loadPackageDefinition(definition).keyward.v1;
const client = new AuthService(process.env.KEYWARD_GRPC, grpc.credentials.createInsecure());
const call = (key) => new Promise((resolve) => {
  const metadata = new grpc.Metadata();
  metadata.set("authorization", "Bearer " + key);
  client.getAuthInfo({}, metadata, (error, response) => resolve({ error, response }));
});
const ok = await call(process.env.KEYWARD_API_KEY);
const refused = await call("NNSXS.not-a-key");
const [details] = refused.error.metadata.get("grpc-status-details-bin");
const status = fromBinary(StatusSchema, details);
const reason = status.details.map((any) => anyUnpack(any, ErrorInfoSchema)).find(Boolean)?.reason;
client.close();
console.log(JSON.stringify({ userId: ok.response.user.userId, rights: ok.response.rights, code: refused.error.code, reason }));
`;

describe("e2e: Keyward as a package in another project", function () {
  this.timeout(120_000);
  const ctx = useServer();
  let scratch: string;

  before(function () {
    if (!existsSync(join(ROOT, "dist/src/client/index.js"))) throw new Error("dist/ is missing: run `npm run build` (npm test builds first)");
    scratch = mkdtempSync(join(tmpdir(), "keyward-consumer-"));
    // dist/ is already built (npm test builds first): packing need not build it again.
    const pack = spawnSync("npm", ["pack", "--ignore-scripts", "--silent", "--pack-destination", scratch], { cwd: ROOT, encoding: "utf8" });
    expect(pack.status, pack.stderr).to.equal(0);
    const tarball = readdirSync(scratch).find((name) => name.endsWith(".tgz"));
    expect(tarball, pack.stdout).to.be.a("string");
    writeFileSync(join(scratch, "package.json"), JSON.stringify({ name: "consumer", version: "1.0.0", type: "module", private: true }));
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { dependencies: Record<string, string> };
    const link = (name: string) => {
      const at = join(scratch, "node_modules", name);
      if (existsSync(at)) return;
      mkdirSync(dirname(at), { recursive: true });
      symlinkSync(join(ROOT, "node_modules", name), at, "dir");
    };
    Object.keys(pkg.dependencies).forEach(link);
    const install = spawnSync("npm", ["install", "--offline", "--ignore-scripts", "--no-save", "--no-audit", "--no-fund", "--loglevel=error", `./${tarball}`], {
      cwd: scratch,
      encoding: "utf8",
    });
    expect(install.status, install.stderr).to.equal(0);
    // npm prunes what the scratch package.json does not name; the scripts' own dependencies go in after.
    SCRATCH_DEPENDENCIES.forEach(link);
    writeFileSync(join(scratch, "connect-client.mjs"), CONNECT_SCRIPT);
    writeFileSync(join(scratch, "grpc-client.mjs"), GRPC_SCRIPT);
  });
  after(() => rmSync(scratch, { recursive: true, force: true }));

  function run(script: string): Record<string, unknown> {
    const result = spawnSync(process.execPath, [script], {
      cwd: scratch,
      encoding: "utf8",
      env: { ...process.env, KEYWARD_URL: ctx.server.httpUrl, KEYWARD_GRPC: ctx.server.grpcAddress, KEYWARD_API_KEY: ctx.admin },
    });
    expect(result.status, result.stderr).to.equal(0);
    return JSON.parse(result.stdout) as Record<string, unknown>;
  }

  it("ships the compiled client, the generated descriptors with their .d.ts, and the protos", () => {
    const installed = join(scratch, "node_modules/keyward");
    for (const file of ["dist/src/client/index.js", "dist/src/client/index.d.ts", "dist/gen/keyward/v1/auth_pb.js", "dist/gen/keyward/v1/auth_pb.d.ts", "proto/keyward/v1/auth.proto"]) {
      expect(existsSync(join(installed, file)), file).to.equal(true);
    }
    expect(existsSync(join(installed, "src")), "TypeScript sources are not shipped").to.equal(false);
  });

  it("calls a real server with createKeywardClient over Connect, and reads ErrorInfo.reason", () => {
    expect(run("connect-client.mjs")).to.deep.equal({ userId: "admin", all: true, reason: "CREDENTIALS_MALFORMED", service: "keyward.v1.AuthService" });
  });

  it("calls a real server with grpc-js and proto-loader from the shipped protos, and reads ErrorInfo.reason", () => {
    const result = run("grpc-client.mjs");
    expect(result).to.deep.include({ userId: "admin", code: 16, reason: "CREDENTIALS_MALFORMED" });
    expect(result.rights).to.include("RIGHT_ALL");
  });
});
