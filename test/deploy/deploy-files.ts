// Reading deploy/ and the Dockerfile for the deploy tests: YAML documents, Dockerfile instructions, and
// every KEYWARD_* variable, port, path and node flag the files use.
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));
export const K8S_DIR = join(ROOT, "deploy", "k8s");
export const COMPOSE_FILE = join(ROOT, "deploy", "compose.yaml");

/** A Kubernetes object as written (only the fields the tests read are typed). */
export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; annotations?: Record<string, string> };
  [field: string]: unknown;
}

/** Every YAML document of `file`, failing on YAML errors. */
export function readYaml(file: string): unknown[] {
  const documents = parseAllDocuments(readFileSync(file, "utf8"));
  return documents.map((document) => {
    if (document.errors.length > 0) throw new Error(`${file}: ${document.errors.map((e) => e.message).join("; ")}`);
    return document.toJS() as unknown;
  });
}

/** The YAML files of deploy/k8s, by name. */
export function k8sFiles(): string[] {
  return readdirSync(K8S_DIR).filter((name) => name.endsWith(".yaml")).sort();
}

/** The objects the kustomization applies, with the file each came from. */
export function k8sManifests(): Array<{ file: string; manifest: Manifest }> {
  const kustomization = readYaml(join(K8S_DIR, "kustomization.yaml"))[0] as { resources: string[] };
  return kustomization.resources.flatMap((file) => readYaml(join(K8S_DIR, file)).map((manifest) => ({ file, manifest: manifest as Manifest })));
}

/** A Dockerfile instruction with its arguments, continuation lines joined. */
export interface Instruction {
  readonly keyword: string;
  readonly args: string;
}

/** The instructions of the root Dockerfile, comments dropped. */
export function dockerfile(): Instruction[] {
  const text = readFileSync(join(ROOT, "Dockerfile"), "utf8");
  const logical = text
    .split("\n")
    .filter((line) => !line.trimStart().startsWith("#"))
    .join("\n")
    .replace(/\\\n/g, " ");
  return logical
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "")
    .map((line) => {
      const [keyword = "", ...rest] = line.split(/\s+/);
      return { keyword: keyword.toUpperCase(), args: rest.join(" ") };
    });
}

/** `ENV A=1 B=2` pairs of the Dockerfile's last stage. */
export function dockerfileEnv(instructions: readonly Instruction[]): Record<string, string> {
  const lastStage = instructions.slice(instructions.map((i) => i.keyword).lastIndexOf("FROM"));
  const env: Record<string, string> = {};
  for (const { keyword, args } of lastStage) {
    if (keyword !== "ENV") continue;
    for (const pair of args.split(/\s+/)) {
      const [name = "", ...value] = pair.split("=");
      env[name] = value.join("=");
    }
  }
  return env;
}

/** The JSON-array form of an instruction (`CMD ["node", ...]`), after an optional `--option=...` prefix. */
export function execForm(args: string): string[] {
  return JSON.parse(args.replace(/^(--\S+\s+)*/, "").replace(/^CMD\s+/, "")) as string[];
}

/** Every `KEYWARD_*` name mentioned anywhere in `text`. */
export function keywardVariables(text: string): string[] {
  return [...new Set(text.match(/\bKEYWARD_[A-Z0-9_]+\b/g) ?? [])].sort();
}

/** Every `http://host:port/path` a file's health checks fetch. */
export function fetchedUrls(text: string): URL[] {
  return (text.match(/https?:\/\/[\w.-]+:\d+\/[\w/.-]*/g) ?? []).map((url) => new URL(url));
}
