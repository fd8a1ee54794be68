/**
 * deploy/ and the Dockerfile, checked without a Docker engine or a cluster: compose files through
 * Debian's `docker-compose config`, Kubernetes manifests through the Kubernetes API schemas compiled into
 * the `kubernetes-models` package, and a drift test that every variable, port, path and flag they use is
 * one Keyward has. What none of this proves (that the image builds, the replica set elects, probes pass
 * on a cluster) is listed in docs/operations.md, "What was verified".
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "chai";
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1/PodDisruptionBudget";
import { ConfigMap } from "kubernetes-models/v1/ConfigMap";
import { Secret } from "kubernetes-models/v1/Secret";
import { Service } from "kubernetes-models/v1/Service";
import { parse as parseYaml } from "yaml";
import { SETTINGS, loadConfig } from "../../src/server/config.js";
import { parseListenAddress } from "../../src/transport/listen-address.js";
import { OPS_PATHS } from "../../src/http/ops-endpoints.js";
import { PACKAGES, requirePackages } from "../support/test-packages.js";
import {
  COMPOSE_FILE,
  K8S_DIR,
  ROOT,
  dockerfile,
  dockerfileEnv,
  execForm,
  fetchedUrls,
  k8sFiles,
  k8sManifests,
  keywardVariables,
  readYaml,
  type Manifest,
} from "./deploy-files.js";

/** Validators by `apiVersion/kind`: each throws on an object its Kubernetes schema rejects. */
const MODELS: Record<string, (manifest: Manifest) => { validate(): void }> = {
  "apps/v1/Deployment": (m) => new Deployment(m as never),
  "policy/v1/PodDisruptionBudget": (m) => new PodDisruptionBudget(m as never),
  "v1/ConfigMap": (m) => new ConfigMap(m as never),
  "v1/Secret": (m) => new Secret(m as never),
  "v1/Service": (m) => new Service(m as never),
};

const KNOWN_ENV = new Set(Object.values(SETTINGS).map((setting) => setting.env));
const OPS = new Set<string>(Object.values(OPS_PATHS));
const PACKAGE = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string; scripts: { start: string } };
// npm start's command as the container runs it: the shell's `exec` (so signals reach node) is not part of it.
const NPM_START = PACKAGE.scripts.start.replace(/^exec\s+/, "").split(/\s+/);
/** `registry/repository:tag`: a registry host (a dot or a port tells it from a Docker Hub user), a path, a tag. */
const IMAGE_REFERENCE = /^(?<registry>[a-z0-9-]+(?:\.[a-z0-9-]+)+(?::\d+)?|[a-z0-9-]+:\d+)\/(?<repository>[a-z0-9._/-]+):(?<tag>[\w][\w.-]{0,127})$/;

interface ComposeService {
  environment?: Record<string, string>;
  healthcheck?: { test: string[] };
  ports?: Array<string | { target: number; published: number }>;
}

function container(deployment: Manifest) {
  const spec = deployment["spec"] as { template: { spec: { containers: Array<Record<string, any>> } } };
  return spec.template.spec.containers[0]!;
}

describe("deploy: Dockerfile, compose and Kubernetes files", () => {
  const instructions = dockerfile();
  const imageEnv = dockerfileEnv(instructions);
  const manifests = k8sManifests();
  const deployment = manifests.find(({ manifest }) => manifest.kind === "Deployment")!.manifest;
  const configMap = manifests.find(({ manifest }) => manifest.kind === "ConfigMap")!.manifest;
  const secret = manifests.find(({ manifest }) => manifest.kind === "Secret")!.manifest;
  // Merge keys (`<<: *keyward`) as compose reads them.
  const compose = parseYaml(readFileSync(COMPOSE_FILE, "utf8"), { merge: true }) as { services: Record<string, ComposeService> };
  const httpPort = parseListenAddress(imageEnv["KEYWARD_HTTP_ADDR"] ?? "").port;
  const grpcPort = parseListenAddress(imageEnv["KEYWARD_GRPC_ADDR"] ?? "").port;

  describe("Dockerfile", () => {
    it("builds in stages and runs as a non-root user with a HEALTHCHECK on /healthz", () => {
      expect(instructions.filter((i) => i.keyword === "FROM")).to.have.length.at.least(2);
      const user = instructions.filter((i) => i.keyword === "USER").at(-1)?.args;
      expect(user).to.be.a("string").and.not.match(/^(root|0)(:|$)/);
      const healthcheck = instructions.find((i) => i.keyword === "HEALTHCHECK")?.args ?? "";
      expect(fetchedUrls(healthcheck).map((url) => `${url.port} ${url.pathname}`)).to.deep.equal([`${httpPort} ${OPS_PATHS.healthz}`]);
    });

    it("runs the server with npm start's node flags and entry point, and exposes both listeners", () => {
      const cmd = execForm(instructions.filter((i) => i.keyword === "CMD").at(-1)?.args ?? "[]");
      expect(cmd).to.deep.equal(NPM_START);
      const exposed = instructions.filter((i) => i.keyword === "EXPOSE").flatMap((i) => i.args.split(/\s+/)).map(Number);
      expect(exposed.sort()).to.deep.equal([httpPort, grpcPort].sort());
      expect(loadConfig({}, imageEnv).ok, JSON.stringify(loadConfig({}, imageEnv))).to.equal(true);
    });

    it("keeps everything it copies out of .dockerignore", () => {
      const ignored = readFileSync(join(ROOT, ".dockerignore"), "utf8")
        .split("\n")
        .map((line) => line.trim())
        .filter((line) => line !== "" && !line.startsWith("#"));
      const copied = instructions
        .filter((i) => i.keyword === "COPY" && !i.args.startsWith("--from"))
        .flatMap((i) => i.args.split(/\s+/).slice(0, -1));
      expect(copied).to.include.members(["package.json", "src", "gen"]);
      for (const source of copied) expect(ignored, source).to.not.include(source);
    });
  });

  describe("deploy/compose.yaml", () => {
    it("is a three-member replica set with its init, two Keyward replicas and a load balancer on both ports", () => {
      expect(Object.keys(compose.services).sort()).to.deep.equal(["keyward-1", "keyward-2", "lb", "mongo-1", "mongo-2", "mongo-3", "mongo-init"]);
      const store = compose.services["keyward-1"]?.environment?.["KEYWARD_STORE"] ?? "";
      expect(store).to.match(/[?&]replicaSet=rs0(&|$)/);
      expect(store).to.include("mongo-1:27017").and.include("mongo-2:27017").and.include("mongo-3:27017");
      expect(compose.services["lb"]?.ports).to.deep.equal([`${httpPort}:${httpPort}`, `${grpcPort}:${grpcPort}`]);
      const nginx = readFileSync(join(ROOT, "deploy", "nginx.conf"), "utf8");
      for (const replica of ["keyward-1", "keyward-2"]) {
        expect(nginx).to.include(`server ${replica}:${httpPort}`).and.include(`server ${replica}:${grpcPort}`);
      }
      expect(nginx).to.match(/grpc_pass grpc:\/\//);
    });

    it("is accepted by `docker-compose config`", function () {
      requirePackages(this, "test/deploy/deploy.test.ts (docker-compose config)", PACKAGES.dockerCompose);
      const result = spawnSync("docker-compose", ["-f", COMPOSE_FILE, "config"], { encoding: "utf8", cwd: ROOT });
      expect(result.status, result.stderr).to.equal(0);
      const resolved = parseYaml(result.stdout) as { services: Record<string, unknown> };
      expect(Object.keys(resolved.services)).to.have.length(7);
    });
  });

  describe("deploy/k8s", () => {
    it("applies every YAML file of the folder through kustomization.yaml", () => {
      const listed = (readYaml(join(K8S_DIR, "kustomization.yaml"))[0] as { resources: string[] }).resources;
      expect([...listed, "kustomization.yaml"].sort()).to.deep.equal(k8sFiles());
      expect(manifests.map(({ manifest }) => manifest.kind).sort()).to.deep.equal([
        "ConfigMap",
        "Deployment",
        "PodDisruptionBudget",
        "Secret",
        "Service",
        "Service",
      ]);
    });

    it("validates each object against its Kubernetes schema", () => {
      for (const { file, manifest } of manifests) {
        const model = MODELS[`${manifest.apiVersion}/${manifest.kind}`];
        expect(model, `${file}: no schema for ${manifest.apiVersion} ${manifest.kind}`).to.not.equal(undefined);
        expect(() => model!(manifest).validate(), file).to.not.throw();
      }
    });

    it("the schema check has teeth: a wrong type or a missing required field is refused", () => {
      const broken = structuredClone(deployment) as any;
      broken.spec.template.spec.containers[0].ports[0].containerPort = "8080";
      expect(() => new Deployment(broken).validate()).to.throw(/containerPort must be integer/);
      const unnamed = structuredClone(deployment) as any;
      delete unnamed.spec.selector;
      expect(() => new Deployment(unnamed).validate()).to.throw(/selector/);
    });

    it("probes readiness on /readyz and liveness on /healthz, sets resources, and runs npm start's command", () => {
      const keyward = container(deployment);
      const named = Object.fromEntries((keyward["ports"] as Array<{ name: string; containerPort: number }>).map((p) => [p.name, p.containerPort]));
      expect(named).to.deep.equal({ http: httpPort, grpc: grpcPort });
      expect(keyward["readinessProbe"].httpGet).to.deep.equal({ path: OPS_PATHS.readyz, port: "http" });
      expect(keyward["livenessProbe"].httpGet).to.deep.equal({ path: OPS_PATHS.healthz, port: "http" });
      expect(keyward["resources"].requests).to.have.keys("cpu", "memory");
      expect(keyward["resources"].limits).to.have.key("memory");
      expect(keyward["command"]).to.deep.equal(NPM_START);
      const template = (deployment as any).spec.template;
      expect(OPS.has(template.metadata.annotations["prometheus.io/path"])).to.equal(true);
      // Kubernetes must not SIGKILL a pod that is still draining within --shutdown-timeout.
      const loaded = loadConfig({}, (configMap as any).data);
      if (!loaded.ok) expect.fail(loaded.problems.join("; "));
      expect(template.spec.terminationGracePeriodSeconds * 1000).to.be.greaterThan(loaded.config.shutdownTimeoutMs);
    });

    it("names the image with a registry and the package's version as tag, and docs/operations.md builds and pushes it", () => {
      const image = container(deployment)["image"] as string;
      const parts = IMAGE_REFERENCE.exec(image)?.groups;
      expect(parts, `${image}: registry/repository:tag`).to.not.equal(undefined);
      expect(parts!["tag"]).to.equal(PACKAGE.version);
      // No kustomize `images:` entry overrides it behind the reader's back.
      expect(readYaml(join(K8S_DIR, "kustomization.yaml"))[0]).to.not.have.property("images");
      const operations = readFileSync(join(ROOT, "docs", "operations.md"), "utf8");
      expect(operations).to.contain(`docker build -t ${image} .`).and.contain(`docker push ${image}`);
    });

    it("refuses image references without a registry or a tag", () => {
      for (const bad of ["keyward", "keyward:0.1.0", "library/keyward:0.1.0", "registry.example.com/keyward", "registry.example.com/keyward:"]) {
        expect(IMAGE_REFERENCE.test(bad), bad).to.equal(false);
      }
      for (const good of ["registry.example.com/keyward:0.1.0", "localhost:5000/keyward:dev", "ghcr.io/acme/keyward:1.2.3"]) {
        expect(IMAGE_REFERENCE.test(good), good).to.equal(true);
      }
    });

    it("keeps the store URL in a Secret and points both Services at the named ports", () => {
      expect(Object.keys((secret as any).stringData)).to.deep.equal(["KEYWARD_STORE"]);
      expect((configMap as any).data).to.not.have.property("KEYWARD_STORE");
      const targets = manifests
        .filter(({ manifest }) => manifest.kind === "Service")
        .flatMap(({ manifest }) => (manifest as any).spec.ports.map((p: { targetPort: string }) => p.targetPort))
        .sort();
      expect(targets).to.deep.equal(["grpc", "http"]);
    });
  });

  describe("drift: everything the files use exists in Keyward", () => {
    const files = ["Dockerfile", "deploy/compose.yaml", ...k8sFiles().map((name) => `deploy/k8s/${name}`)];

    it("names only KEYWARD_* variables that `keyward serve` reads", () => {
      for (const file of files) {
        const unknown = keywardVariables(readFileSync(join(ROOT, file), "utf8")).filter((name) => !KNOWN_ENV.has(name));
        expect(unknown, file).to.deep.equal([]);
      }
    });

    it("gives every setting a value the server accepts (each file's environment through loadConfig)", () => {
      const environments: Record<string, Record<string, string>> = {
        Dockerfile: imageEnv,
        "k8s ConfigMap + Secret": { ...imageEnv, ...(configMap as any).data, ...(secret as any).stringData },
      };
      for (const name of ["keyward-1", "keyward-2"]) environments[`compose ${name}`] = { ...imageEnv, ...compose.services[name]?.environment };
      for (const [where, env] of Object.entries(environments)) {
        const loaded = loadConfig({}, env);
        expect(loaded.ok ? [] : loaded.problems, where).to.deep.equal([]);
      }
    });

    it("fetches and probes only paths and ports the server serves", () => {
      for (const file of ["Dockerfile", "deploy/compose.yaml"]) {
        const urls = fetchedUrls(readFileSync(join(ROOT, file), "utf8"));
        expect(urls, file).to.not.be.empty;
        for (const url of urls) {
          expect(OPS.has(url.pathname), `${file}: ${url.pathname}`).to.equal(true);
          expect(Number(url.port), `${file}: ${url}`).to.equal(httpPort);
        }
      }
    });

    it("passes `keyward serve` only flags it has", () => {
      const flags = new Set(Object.values(SETTINGS).map((setting) => `--${setting.flag}`));
      const commands = [execForm(instructions.filter((i) => i.keyword === "CMD").at(-1)?.args ?? "[]"), container(deployment)["command"] as string[]];
      for (const command of commands) {
        const serveArgs = command.slice(command.indexOf("serve") + 1).filter((arg) => arg.startsWith("--"));
        for (const arg of serveArgs) expect(flags.has(arg.split("=")[0]!), arg).to.equal(true);
        expect(command.slice(0, command.indexOf("serve") + 1)).to.deep.equal(NPM_START);
      }
    });
  });
});
