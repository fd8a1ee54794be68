/**
 * A client that has nothing but the server's reflection: `buf curl` without `--schema` (as the README
 * shows it), against the real server. Health and every Keyward service must be listed and callable.
 * Before the health descriptor was made canonical, buf curl answered `failed to find service named
 * "grpc.health.v1.Health" in schema`.
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect } from "chai";
import { useServer } from "./support/server-process.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const BUF = join(ROOT, "node_modules/.bin/buf");

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

describe("e2e: reflection-only clients (buf curl without --schema)", function () {
  this.timeout(60_000);
  const ctx = useServer();

  function bufCurl(args: string[]): Promise<Run> {
    const base = `http://${ctx.server.grpcAddress}`;
    const resolved = args.map((arg) => (arg.startsWith("/") ? `${base}${arg}` : arg === "BASE" ? base : arg));
    return new Promise((resolve, reject) => {
      const child = spawn(BUF, ["curl", "--protocol", "grpc", "--http2-prior-knowledge", ...resolved], { stdio: ["ignore", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
      child.once("error", reject);
      child.once("close", (code) => resolve({ code, stdout, stderr }));
    });
  }

  async function call<T>(path: string, body: unknown, withKey = true): Promise<T> {
    const auth = withKey ? ["-H", `authorization: Bearer ${ctx.admin}`] : [];
    const run = await bufCurl([...auth, "-d", JSON.stringify(body), path]);
    expect(run.code, `buf curl ${path}\n${run.stderr}`).to.equal(0);
    return JSON.parse(run.stdout) as T;
  }

  it("lists health and every Keyward service, and the methods of each", async () => {
    const services = await bufCurl(["--list-services", "BASE"]);
    expect(services.code, services.stderr).to.equal(0);
    const names = services.stdout.trim().split("\n");
    expect(names).to.include.members(["grpc.health.v1.Health", "keyward.v1.UserRegistry", "keyward.v1.ApiKeyRegistry", "keyward.v1.AuthService"]);
    const methods = await bufCurl(["--list-methods", "BASE"]);
    expect(methods.code, methods.stderr).to.equal(0);
    expect(methods.stdout).to.contain("grpc.health.v1.Health/Check").and.contain("keyward.v1.ApiKeyRegistry/RegenerateApiKey");
  });

  it("calls health without a key, and a method of every Keyward service with one", async () => {
    const [health, info, user, keys] = await Promise.all([
      call<{ status: string }>("/grpc.health.v1.Health/Check", {}, false),
      call<{ user: { userId: string } }>("/keyward.v1.AuthService/GetAuthInfo", {}),
      call<{ user: { userId: string; admin: boolean } }>("/keyward.v1.UserRegistry/GetUser", { userId: "admin" }),
      call<{ apiKeys: { userId: string }[]; totalSize: number }>("/keyward.v1.ApiKeyRegistry/ListApiKeys", { userId: "admin" }),
    ]);
    expect(health).to.deep.equal({ status: "SERVING" });
    expect(info.user.userId).to.equal("admin");
    expect(user.user).to.include({ userId: "admin", admin: true });
    expect(keys.totalSize).to.equal(1);
    expect(keys.apiKeys[0]?.userId).to.equal("admin");
  });
});
