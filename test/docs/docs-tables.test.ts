/**
 * The reference tables of docs/ against what they describe, so a setting, an error reason or a right
 * cannot be added without its line in the docs (the README's old configuration table had lost
 * `--client-ipv6-prefix` this way):
 * - docs/configuration.md's table has one row per setting of the server's own table, in its order, with
 *   the same flag, variable and default;
 * - docs/api.md's error table names every reason the server declares;
 * - docs/api.md's rights list names every value of the `Right` enum.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect } from "chai";
import { RightSchema } from "../../gen/keyward/v1/rights_pb.js";
import * as errors from "../../src/errors/errors.js";
import { SETTINGS } from "../../src/server/config.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const page = (name: string) => readFileSync(join(ROOT, "docs", name), "utf8");

/** The text of a page's `## title` section, up to the next `## ` heading. */
function section(markdown: string, title: string): string {
  const start = markdown.indexOf(`\n## ${title}\n`);
  expect(start, `a "## ${title}" section`).to.be.at.least(0);
  const end = markdown.indexOf("\n## ", start + 1);
  return markdown.slice(start, end < 0 ? undefined : end);
}

describe("docs: reference tables match the code", () => {
  it("docs/configuration.md lists every setting, in the server's order, with its flag, variable and default", () => {
    const rows = section(page("configuration.md"), "Every setting")
      .split("\n")
      .filter((line) => line.startsWith("| `--"))
      .map((line) => line.split("|").slice(1, 4).map((cell) => cell.trim()));
    const expected = Object.values(SETTINGS).map((s) => [`\`--${s.flag}\``, `\`${s.env}\``, s.fallback === "" ? "none" : `\`${s.fallback}\``]);
    expect(rows).to.deep.equal(expected);
  });

  it("docs/api.md's error table names every reason the server declares", () => {
    const table = section(page("api.md"), "Errors");
    const reasons = Object.values(errors)
      .filter((value): value is errors.ErrorDefinition => typeof value === "object" && value !== null && "reason" in value && "create" in value)
      .map((definition) => definition.reason);
    expect(reasons.length, "declared reasons found").to.be.greaterThan(30);
    const missing = [...new Set([...reasons, "VALIDATION_FAILED"])].filter((reason) => !table.includes(`\`${reason}\``));
    expect(missing).to.deep.equal([]);
  });

  it("docs/api.md names every right", () => {
    const rights = section(page("api.md"), "Rights");
    const names = RightSchema.values.filter((value) => value.number !== 0).map((value) => value.name);
    expect(names.length).to.be.greaterThan(5);
    expect(names.filter((name) => !rights.includes(`\`${name}\``))).to.deep.equal([]);
  });
});
