/**
 * The README and the pages of docs/ as runnable steps (the convention is described at the top of
 * docs-examples.test.ts): which blocks run, which are the output of the block before, which are marked
 * `no-run`, and how a page's text is fitted to the ports of the server a test started for it.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { codeBlocks, type CodeBlock } from "./markdown-blocks.js";
import { PACKAGES, type TestPackage } from "../../support/test-packages.js";

/** The pages whose examples run: the README and every Markdown page under docs/. */
export function docsPages(root: string): string[] {
  const docs = readdirSync(join(root, "docs")).filter((name) => name.endsWith(".md")).sort();
  return ["README.md", ...docs.map((name) => `docs/${name}`)];
}

/** A block of a page and what the runner does with it. */
export type Step =
  | { kind: "commands"; block: CodeBlock; where: string; output?: CodeBlock; needs: TestPackage[] }
  | { kind: "file"; block: CodeBlock; where: string; name: string }
  | { kind: "no-run"; block: CodeBlock; where: string };

/** The marker of a block that is shown but cannot run here (Docker, kubectl, a real MongoDB, the bench). */
export const NO_RUN = "no-run";
/** `needs:nginx`: the block runs where that test package (test/support/test-packages.ts) is installed. */
const NEEDS = /^needs:(\w+)$/;

/**
 * The page's blocks as steps, in order. Returns the problems instead of steps it cannot make: a block
 * that is neither runnable, nor the output of the `sh` block before it, nor marked `no-run`.
 */
export function pageSteps(root: string, page: string): { steps: Step[]; problems: string[] } {
  const blocks = codeBlocks(readFileSync(join(root, page), "utf8"));
  const steps: Step[] = [];
  const problems: string[] = [];
  for (const [i, block] of blocks.entries()) {
    const where = `${page}:${block.line}`;
    const needs: TestPackage[] = [];
    let noRun = false;
    for (const tag of block.tags) {
      const need = NEEDS.exec(tag)?.[1];
      if (tag === NO_RUN) noRun = true;
      else if (need !== undefined && need in PACKAGES) needs.push(PACKAGES[need as keyof typeof PACKAGES]);
      else problems.push(`${where}: unknown tag \`${tag}\` (${NO_RUN}, or needs:<${Object.keys(PACKAGES).join("|")}>)`);
    }
    const previous = blocks[i - 1];
    if (noRun) steps.push({ kind: "no-run", block, where });
    else if (block.lang === "sh") {
      const next = blocks[i + 1];
      steps.push({ kind: "commands", block, where, needs, ...(next?.lang === "text" && next.tags.length === 0 ? { output: next } : {}) });
    } else if (block.lang === "js") {
      const name = /^\/\/ (\S+)\n/.exec(block.text)?.[1];
      if (name === undefined) problems.push(`${where}: a js example starts with \`// <file name>\``);
      else steps.push({ kind: "file", block, where, name });
    } else if (!(block.lang === "text" && previous?.lang === "sh" && !previous.tags.includes(NO_RUN))) {
      problems.push(`${where}: a \`${block.lang}\` block neither runs (sh, js), nor is the output of the sh block before it, nor is marked \`${NO_RUN}\``);
    }
  }
  return { steps, problems };
}

/** The ports the docs are written for, and what a test runs them on. */
export interface DocsPorts {
  /** Keyward's HTTP listener (the docs' 8080). */
  readonly http: number;
  /** Keyward's gRPC listener (9090). */
  readonly grpc: number;
  /** A gateway in front of a service (8000). */
  readonly gateway: number;
  /** The stand-in service behind it (3000). */
  readonly service: number;
}

/** A page's text with the docs' ports (8080, 9090, 8000, 3000, as whole numbers) replaced by `ports`. */
export function withPorts(text: string, ports: DocsPorts): string {
  const to: Record<string, number> = { "8080": ports.http, "9090": ports.grpc, "8000": ports.gateway, "3000": ports.service };
  return text.replace(/\b(8080|9090|8000|3000)\b/g, (port) => String(to[port]));
}

/**
 * What differs from run to run, replaced in both a block's documented output and its real output before
 * they are compared: times (RFC 3339), keys and session tokens, and the 39-character ids inside them.
 * A missing final newline (curl prints none after a JSON answer) is not a difference.
 */
export function masked(output: string): string {
  return `${output.replace(/\n$/, "")}\n`
    .replace(/\b\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z\b/g, "<time>")
    .replace(/\b(NNSXS|ONSXG)\.[A-Z2-7]{39}\.[A-Z2-7]{52}\b/g, "<$1 token>")
    .replace(/\b[A-Z2-7]{39}\b/g, "<id>");
}

/**
 * The user ids a page's runnable blocks create (REST `POST /api/v1/users`, `keyward users create`,
 * `keyward bootstrap --user-id`), so a test can check that no two examples create the same user: a reader
 * runs every page against one server.
 */
export function createdUserIds(text: string): string[] {
  const ids: string[] = [];
  // One command per item: lines joined where they end with a backslash.
  for (const command of text.replace(/\\\n/g, " ").split("\n")) {
    if (/-X POST\b/.test(command) && /\/api\/v1\/users(?=["'\s])/.test(command)) {
      const id = /"userId":\s*"([^"]+)"/.exec(command)?.[1];
      if (id !== undefined) ids.push(id);
    }
    for (const match of command.matchAll(/\busers create (\S+)|\bbootstrap --user-id (\S+)/g)) ids.push((match[1] ?? match[2])!);
  }
  return ids;
}
