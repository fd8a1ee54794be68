/**
 * Real edge proxies for the gateway tests: nginx and Caddy from Debian, run from the recipes in
 * deploy/gateways/ with only their ports replaced (so the recipes cannot drift from what is tested),
 * in a temp dir, plus a tiny upstream service that echoes what reaches it.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import { connect, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { installed, PACKAGES } from "../../support/test-packages.js";

const ROOT = fileURLToPath(new URL("../../..", import.meta.url));
export const RECIPES = join(ROOT, "deploy/gateways");

/** The recipe's own addresses, which the tests replace with free ports. */
export const RECIPE_ADDRESSES = { gateway: "127.0.0.1:8000", keyward: "127.0.0.1:8080", service: "127.0.0.1:3000" } as const;

/** What the upstream saw of one request. */
export interface SeenRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
}

/** The upstream service: answers 200 with the request it saw as JSON, and keeps every request. */
export interface Upstream {
  readonly port: number;
  readonly seen: SeenRequest[];
  close(): Promise<void>;
}

export async function startUpstream(): Promise<Upstream> {
  const seen: SeenRequest[] = [];
  const server: Server = createServer((request, response) => {
    request.resume();
    request.on("end", () => {
      const entry = { method: request.method ?? "", url: request.url ?? "", headers: request.headers };
      seen.push(entry);
      const body = JSON.stringify(entry);
      response.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
      response.end(body);
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    seen,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

/** A free TCP port on 127.0.0.1 (bound and released; the proxy binds it right after). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A recipe's text with its three addresses replaced by the given ports. */
export function renderRecipe(file: string, ports: { gateway: number; keyward: number; service: number }): string {
  const text = readFileSync(join(RECIPES, file), "utf8");
  for (const address of Object.values(RECIPE_ADDRESSES)) {
    if (!text.includes(address)) throw new Error(`${file} no longer names ${address}; update RECIPE_ADDRESSES`);
  }
  return text
    .replaceAll(RECIPE_ADDRESSES.gateway, `127.0.0.1:${ports.gateway}`)
    .replaceAll(RECIPE_ADDRESSES.keyward, `127.0.0.1:${ports.keyward}`)
    .replaceAll(RECIPE_ADDRESSES.service, `127.0.0.1:${ports.service}`);
}

/** Whether the proxy's program is installed (test/support/test-packages.ts decides, for tests and bench alike). */
export function hasProxy(kind: ProxyKind): boolean {
  return installed(PACKAGES[kind]);
}

/** A running proxy. */
export interface Proxy {
  readonly url: string;
  readonly pid: number;
  output(): string;
  stop(): Promise<void>;
}

export type ProxyKind = "nginx" | "caddy";

/** What the bench changes in a recipe; tests run the recipes as they are. */
export interface ProxyOptions {
  /** nginx: the same file without the auth subrequest (the bench's baseline). */
  readonly withoutAuth?: boolean;
  /** nginx: `keepalive_requests` for clients (1,000 by default), see bench/edge.ts. */
  readonly clientKeepaliveRequests?: number;
}

/** Starts nginx or Caddy from its recipe in front of Keyward (`keywardPort`) and `servicePort`. */
export async function startProxy(kind: ProxyKind, keywardPort: number, servicePort: number, options: ProxyOptions = {}): Promise<Proxy> {
  const dir = mkdtempSync(join(tmpdir(), `keyward-${kind}-`));
  const gateway = await freePort();
  const ports = { gateway, keyward: keywardPort, service: servicePort };
  let child: ChildProcess;
  if (kind === "nginx") {
    const conf = join(dir, "nginx.conf");
    const recipe = renderRecipe("nginx.conf", ports);
    // The bench's baseline: the same file and upstream, without the auth subrequest.
    let text = options.withoutAuth ? recipe.replace(/^\s*auth_request \/_keyward_check;\n/m, "") : recipe;
    if (options.withoutAuth && text === recipe) throw new Error("nginx.conf: no `auth_request /_keyward_check;` line to leave out");
    if (options.clientKeepaliveRequests !== undefined) {
      const listen = /^(\s*)listen [^;]+;\n/m;
      if (!listen.test(text)) throw new Error("nginx.conf: no `listen` line to add keepalive_requests after");
      text = text.replace(listen, (line, indent: string) => `${line}${indent}keepalive_requests ${options.clientKeepaliveRequests};\n`);
    }
    writeFileSync(conf, text);
    // Only process-level settings come from the command line: pid, logs and temp files in the temp dir.
    child = spawn("nginx", ["-p", dir, "-c", conf, "-e", join(dir, "error.log"), "-g", `daemon off; pid ${join(dir, "nginx.pid")};`], { stdio: ["ignore", "pipe", "pipe"] });
  } else {
    const conf = join(dir, "Caddyfile");
    writeFileSync(conf, renderRecipe("Caddyfile", ports));
    child = spawn("caddy", ["run", "--config", conf, "--adapter", "caddyfile"], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, HOME: dir, XDG_DATA_HOME: dir, XDG_CONFIG_HOME: dir },
    });
  }
  let output = "";
  child.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitForPort(gateway, () => (child.exitCode !== null ? `${kind} exited: ${output}` : undefined));
  } catch (error) {
    await stop();
    throw error;
  }
  return { url: `http://127.0.0.1:${gateway}`, pid: child.pid ?? 0, output: () => output, stop };
}

async function waitForPort(port: number, failed: () => string | undefined): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const problem = failed();
    if (problem !== undefined) throw new Error(problem);
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, "127.0.0.1");
      socket.once("connect", () => { socket.destroy(); resolve(true); });
      socket.once("error", () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`nothing listened on ${port} within 15 s`);
}
