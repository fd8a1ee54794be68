/**
 * A throwaway npm registry on 127.0.0.1, so a test installs a package the way a user does (`npm install
 * <name>`, dependencies resolved by npm from the registry's metadata, files copied, scripts run) without
 * the network. It serves the tarballs it is given (this checkout's packages, packed) and every package
 * in this checkout's node_modules, one entry per version found there, each packed on first request.
 *
 * What it cannot prove: that the public registry holds the same versions. It serves what `npm ci`
 * installed here, so a dependency range that only the public registry could meet would fail here first.
 */
import { spawn, spawnSync, type SpawnOptions } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import type { AddressInfo } from "node:net";
import { basename, dirname, join } from "node:path";
import { expect } from "chai";

/** A package.json, as far as a packument needs it. */
type Manifest = { name: string; version: string } & Record<string, unknown>;

/** One version the registry can serve: a tarball already made, or a folder to pack on request. */
interface Entry {
  readonly manifest: Manifest;
  readonly folder?: string;
  tarball?: string;
}

export interface LocalRegistry {
  /** The registry's URL, with its trailing slash. */
  readonly url: string;
  /** Environment for an npm command: this registry, a cache of its own, no audit or fund requests. */
  readonly npmEnv: Record<string, string>;
  close(): Promise<void>;
}

/** What a finished child process left. */
export interface Finished {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs a command without blocking the event loop, as anything that talks to this registry must: the
 * registry answers from this same process, so a `spawnSync("npm", …)` would wait on itself forever.
 */
export function runAsync(command: string, args: readonly string[], options: SpawnOptions & { input?: string }): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...options, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout!.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (status) => resolve({ status, stdout, stderr }));
    child.stdin!.end(options.input ?? "");
  });
}

/** The environment an npm child starts from: this one without the `npm_*` variables `npm test` set. */
function envWithoutNpm(): Record<string, string> {
  return Object.fromEntries(Object.entries(process.env).filter((pair): pair is [string, string] => !pair[0].toLowerCase().startsWith("npm_") && pair[1] !== undefined));
}

/**
 * `npm pack` of a workspace of this checkout, already built (npm test builds first), into `destination`.
 * Returns the tarball's path.
 */
function packWorkspace(root: string, workspace: string, destination: string): string {
  const pack = spawnSync("npm", ["pack", "--ignore-scripts", "--json", "-w", workspace, "--pack-destination", destination], { cwd: root, encoding: "utf8", env: envWithoutNpm() });
  expect(pack.status, pack.stderr).to.equal(0);
  const [packed] = JSON.parse(pack.stdout) as { filename: string }[];
  return join(destination, packed!.filename);
}

/** What {@link useLocalRegistry} sets up. */
export interface RegistryScratch {
  registry: LocalRegistry;
  /** A scratch directory of the describe's own, removed after it (the registry's files are in it too). */
  scratch: string;
}

/**
 * For one mocha `describe`: a scratch directory and a registry serving the built @keyward/client (packed
 * from `root`) and `root`'s node_modules; both gone after the describe.
 */
export function useLocalRegistry(root: string, prefix: string): RegistryScratch {
  const context = {} as RegistryScratch;
  before(async () => {
    if (!existsSync(join(root, "packages/client/dist/esm/src/client/index.js"))) throw new Error("packages/client/dist is missing: run `npm run build` (npm test builds first)");
    context.scratch = mkdtempSync(join(tmpdir(), prefix));
    context.registry = await startLocalRegistry({ tarballs: [packWorkspace(root, "@keyward/client", context.scratch)], nodeModules: join(root, "node_modules"), workDir: context.scratch });
  });
  after(async () => {
    await context.registry?.close();
    if (context.scratch !== undefined) rmSync(context.scratch, { recursive: true, force: true });
  });
  return context;
}

/** What {@link useClientProject} sets up. */
export interface ClientProject {
  /** An empty directory for the consumer's project, `<scratch>/my-service`. */
  project: string;
  registry: LocalRegistry;
}

/** {@link useLocalRegistry}, with an empty `my-service/` in the scratch directory for a consumer's project. */
export function useClientProject(root: string, prefix: string): ClientProject {
  const local = useLocalRegistry(root, prefix);
  const context = {} as ClientProject;
  before(() => {
    context.registry = local.registry;
    context.project = join(local.scratch, "my-service");
    mkdirSync(context.project);
  });
  return context;
}

/** Starts a registry serving `tarballs` and every package under `nodeModules`; its files go to `workDir`. */
async function startLocalRegistry(options: { tarballs: readonly string[]; nodeModules: string; workDir: string }): Promise<LocalRegistry> {
  const packages = new Map<string, Map<string, Entry>>();
  const add = (entry: Entry) => {
    const versions = packages.get(entry.manifest.name) ?? new Map<string, Entry>();
    if (!versions.has(entry.manifest.version)) versions.set(entry.manifest.version, entry);
    packages.set(entry.manifest.name, versions);
  };
  for (const tarball of options.tarballs) {
    const read = spawnSync("tar", ["-xzOf", tarball, "package/package.json"], { encoding: "utf8" });
    expect(read.status, read.stderr).to.equal(0);
    add({ manifest: JSON.parse(read.stdout) as Manifest, tarball });
  }
  for (const folder of packageFolders(options.nodeModules)) add({ manifest: JSON.parse(readFileSync(join(folder, "package.json"), "utf8")) as Manifest, folder });

  const tarballsDir = join(options.workDir, "registry");
  mkdirSync(tarballsDir, { recursive: true });
  const byFile = new Map<string, string>();
  const tarballOf = (entry: Entry): string => {
    if (entry.tarball === undefined) {
      // The folder as installed is what was published; its own nested node_modules are not part of it.
      const file = join(tarballsDir, `${entry.manifest.name.replace("/", "-")}-${entry.manifest.version}.tgz`);
      const tar = spawnSync("tar", ["-czf", file, "-C", dirname(entry.folder!), "--exclude", `${basename(entry.folder!)}/node_modules`, basename(entry.folder!)], { encoding: "utf8" });
      expect(tar.status, tar.stderr).to.equal(0);
      entry.tarball = file;
    }
    byFile.set(basename(entry.tarball), entry.tarball);
    return entry.tarball;
  };

  const server = createServer((request, response) => {
    const path = decodeURIComponent(new URL(request.url ?? "/", "http://registry").pathname.slice(1));
    if (path.startsWith("-/tarballs/") && byFile.has(path.slice("-/tarballs/".length))) {
      response.writeHead(200, { "content-type": "application/octet-stream" }).end(readFileSync(byFile.get(path.slice("-/tarballs/".length))!));
      return;
    }
    const versions = packages.get(path);
    if (versions === undefined) {
      response.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ error: "not found" }));
      return;
    }
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const packument = {
      name: path,
      "dist-tags": { latest: [...versions.keys()][0] },
      versions: Object.fromEntries(
        [...versions.values()].map((entry) => {
          const file = tarballOf(entry);
          const integrity = `sha512-${createHash("sha512").update(readFileSync(file)).digest("base64")}`;
          return [entry.manifest.version, { ...entry.manifest, dist: { tarball: `${url}/-/tarballs/${basename(file)}`, integrity } }];
        }),
      ),
    };
    response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(packument));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  return {
    url,
    npmEnv: {
      ...envWithoutNpm(),
      npm_config_registry: url,
      npm_config_cache: join(options.workDir, "npm-cache"),
      npm_config_audit: "false",
      npm_config_fund: "false",
      npm_config_update_notifier: "false",
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * Every installed package folder under `nodeModules`, nested ones included, top level first (so a name's
 * first version is the one the checkout itself resolves to). Links (this checkout's workspaces) are left out.
 */
function packageFolders(nodeModules: string): string[] {
  const found: string[] = [];
  const nested: string[] = [];
  const visit = (folder: string) => {
    if (lstatSync(folder).isSymbolicLink() || !existsSync(join(folder, "package.json"))) return;
    found.push(folder);
    if (existsSync(join(folder, "node_modules"))) nested.push(join(folder, "node_modules"));
  };
  const scan = (dir: string) => {
    for (const name of readdirSync(dir)) {
      if (name.startsWith(".")) continue;
      if (name.startsWith("@")) for (const scoped of readdirSync(join(dir, name))) visit(join(dir, name, scoped));
      else visit(join(dir, name));
    }
  };
  scan(nodeModules);
  while (nested.length > 0) scan(nested.shift()!);
  return found;
}
