/**
 * Code, tests and docs point to ARCHITECTURE.md by section title (`ARCHITECTURE.md, "The store"`), never to
 * a file outside the repository or to a tracker's issue numbers, which a reader of a clone cannot open.
 * Every cited title must be a `## ` heading of ARCHITECTURE.md, so renaming a section cannot leave a
 * pointer to nowhere, and every file it names must exist.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect } from "chai";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const TEXT_FILE = /\.(ts|tsx|mts|mjs|js|md|json|ya?ml|proto|conf|sh)$|(^|\/)(Dockerfile|Caddyfile|run)$/;

/** Tracked text files, without generated code and the dated performance log (which quotes history). */
function trackedTexts(): string[] {
  const files = execFileSync("git", ["ls-files"], { cwd: ROOT, encoding: "utf8" }).split("\n");
  return files.filter((file) => TEXT_FILE.test(file) && !file.startsWith("gen/") && file !== "docs/performance.md" && existsSync(join(ROOT, file)));
}

const architecture = readFileSync(join(ROOT, "ARCHITECTURE.md"), "utf8");
const sections = new Set([...architecture.matchAll(/^## (.+)$/gm)].map((match) => match[1]!.trim()));

describe("docs: references to ARCHITECTURE.md", () => {
  it("has the sections the code points to", () => {
    expect(sections.size, "## sections in ARCHITECTURE.md").to.be.greaterThan(10);
  });

  it("every citation names a section of ARCHITECTURE.md", () => {
    const broken: string[] = [];
    let citations = 0;
    for (const file of trackedTexts()) {
      const text = readFileSync(join(ROOT, file), "utf8");
      for (const match of text.matchAll(/ARCHITECTURE\.md[,:]? (?:\(?)(["'])([^"'\n]+)\1/g)) {
        citations++;
        if (!sections.has(match[2]!)) broken.push(`${file}: "${match[2]}"`);
      }
    }
    expect(citations, "citations found (the pattern still matches how the code cites)").to.be.greaterThan(50);
    expect(broken).to.deep.equal([]);
  });

  it("nothing cites the design contract, a file outside the repository, or an issue number", () => {
    const problems: string[] = [];
    for (const file of trackedTexts()) {
      if (file === "test/docs/architecture-references.test.ts" || file === "test/e2e/docs-examples.test.ts") continue;
      const text = readFileSync(join(ROOT, file), "utf8");
      text.split("\n").forEach((line, index) => {
        if (/\bDESIGN(\.md)?\b|\.\.\/shared\b/.test(line) || /\bissues? #?\d+\b/i.test(line)) problems.push(`${file}:${index + 1}: ${line.trim().slice(0, 100)}`);
      });
    }
    expect(problems).to.deep.equal([]);
  });

  it("every file ARCHITECTURE.md names exists (paths relative to the repository or to src/)", () => {
    const paths = [...architecture.matchAll(/`([\w.-]+(?:\/[\w.-]+)+\.(?:ts|md|proto|json))`/g)].map((match) => match[1]!);
    expect(paths.length, "file paths named").to.be.greaterThan(10);
    const missing = paths.filter((path) => !existsSync(join(ROOT, path)) && !existsSync(join(ROOT, "src", path)));
    expect(missing).to.deep.equal([]);
  });
});
