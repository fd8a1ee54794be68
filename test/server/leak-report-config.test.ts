/**
 * `--leak-report-keys` and `--leak-report-action` (docs/leak-reports.md): the keys file is checked at
 * start, so a wrong path, a file that is not GitHub's keys answer or a key that is not P-256 is a
 * configuration problem (exit 2) rather than a server that refuses every report.
 */
import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { loadConfig } from "../../src/server/config.js";

describe("server: leak report settings", () => {
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), "keyward-leak-config-"))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  const file = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };
  const pem = (type: "ec" | "rsa") =>
    (type === "ec" ? generateKeyPairSync("ec", { namedCurve: "prime256v1" }) : generateKeyPairSync("rsa", { modulusLength: 1024 })).publicKey.export({ type: "spki", format: "pem" }).toString();
  const problemsOf = (flags: Record<string, string>, env: Record<string, string> = {}) => {
    const loaded = loadConfig(flags, env);
    return loaded.ok ? [] : loaded.problems;
  };

  it("is off by default, with disable as the action", () => {
    const loaded = loadConfig({}, {});
    expect(loaded.ok && loaded.config.leakReports).to.equal(undefined);
    const on = loadConfig({ "leak-report-keys": file("ok.json", JSON.stringify({ public_keys: [{ key_identifier: "k1", key: pem("ec"), is_current: true }] })) }, {});
    expect(on.ok && on.config.leakReports).to.deep.equal({ keysFile: join(dir, "ok.json"), action: "disable" });
  });

  it("takes the action from the flag or KEYWARD_LEAK_REPORT_ACTION, and names a wrong one", () => {
    const keys = file("ok2.json", JSON.stringify({ public_keys: [{ key_identifier: "k1", key: pem("ec") }] }));
    const loaded = loadConfig({ "leak-report-keys": keys }, { KEYWARD_LEAK_REPORT_ACTION: "delete" });
    expect(loaded.ok && loaded.config.leakReports?.action).to.equal("delete");
    expect(problemsOf({ "leak-report-action": "revoke" })).to.deep.equal(['--leak-report-action: "revoke" must be disable or delete']);
  });

  it("names each kind of bad keys file", () => {
    const cases: Array<[string, string | undefined, string]> = [
      ["missing.json", undefined, 'cannot read "PATH": ENOENT'],
      ["text.json", "not json", "is not JSON"],
      ["empty.json", JSON.stringify({ public_keys: [] }), 'needs a non-empty "public_keys" array'],
      ["no-id.json", JSON.stringify({ public_keys: [{ key: pem("ec") }] }), "public_keys[0].key_identifier must be a string"],
      ["not-pem.json", JSON.stringify({ public_keys: [{ key_identifier: "k", key: "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n" }] }), "public_keys[0].key is not a PEM public key"],
      ["rsa.json", JSON.stringify({ public_keys: [{ key_identifier: "k", key: pem("rsa") }] }), "public_keys[0].key must be an ECDSA P-256 key"],
    ];
    for (const [name, text, expected] of cases) {
      const path = text === undefined ? join(dir, name) : file(name, text);
      const problems = problemsOf({ "leak-report-keys": path });
      expect(problems, name).to.have.length(1);
      expect(problems[0], name).to.contain(`--leak-report-keys: `).and.contain(expected.replace("PATH", path));
    }
  });
});
