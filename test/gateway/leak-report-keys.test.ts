/**
 * The leak-report keys file (src/gateway/leak-report-keys.ts): read again when it changes, so GitHub's
 * rotated keys are taken without a restart; a rewrite that does not parse keeps the keys read before;
 * and a signature is checked strictly (base64 of DER ECDSA P-256 over SHA-256 of the raw bytes).
 */
import { generateKeyPairSync, sign, type KeyObject } from "node:crypto";
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { LeakReportKeyFile, signatureVerifies } from "../../src/gateway/leak-report-keys.js";
import type { Logger } from "../../src/logger.js";

const pair = () => generateKeyPairSync("ec", { namedCurve: "prime256v1" });
const pem = (key: KeyObject) => key.export({ type: "spki", format: "pem" }).toString();

describe("gateway: leak report keys", () => {
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), "keyward-leak-keys-"))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("reads the file again when it changes, at most once a second, and keeps the last good keys over a broken rewrite", () => {
    const path = join(dir, "keys.json");
    const first = pair();
    const second = pair();
    const write = (text: string, mtime: number) => {
      writeFileSync(path, text);
      utimesSync(path, mtime, mtime);
    };
    write(JSON.stringify({ public_keys: [{ key_identifier: "one", key: pem(first.publicKey), is_current: true }] }), 1_000);
    const warnings: string[] = [];
    const logger: Logger = { debug() {}, info() {}, warn: (msg) => warnings.push(msg), error() {} };
    let now = 0;
    const keys = new LeakReportKeyFile(path, logger, () => now);
    expect(keys.keyOf("one")).to.not.equal(undefined);
    expect(keys.keyOf("two")).to.equal(undefined);

    // GitHub rotates: a new key is listed beside the old one.
    write(JSON.stringify({ public_keys: [{ key_identifier: "one", key: pem(first.publicKey), is_current: false }, { key_identifier: "two", key: pem(second.publicKey), is_current: true }] }), 2_000);
    expect(keys.keyOf("two"), "not looked at again within a second").to.equal(undefined);
    now += 1_000;
    expect(keys.keyOf("two")).to.not.equal(undefined);
    expect(keys.keyOf("one")).to.not.equal(undefined);

    // A half-written file: logged, the keys read before stay.
    write('{"public_keys": [', 3_000);
    now += 1_000;
    expect(keys.keyOf("two")).to.not.equal(undefined);
    expect(warnings).to.deep.equal(["leak report keys file changed but cannot be used; keeping the keys read before"]);

    // The old key dropped from the list: reports signed with it are refused from then on.
    write(JSON.stringify({ public_keys: [{ key_identifier: "two", key: pem(second.publicKey), is_current: true }] }), 4_000);
    now += 1_000;
    expect(keys.keyOf("one")).to.equal(undefined);
    expect(keys.keyOf("two")).to.not.equal(undefined);
  });

  it("verifies base64 DER ECDSA signatures over the raw bytes, and nothing else", () => {
    const { publicKey, privateKey } = pair();
    const body = Buffer.from('[{"token":"t","type":"x","url":"","source":"content"}]');
    const der = sign("sha256", body, { key: privateKey, dsaEncoding: "der" });
    expect(signatureVerifies(publicKey, body, der.toString("base64"))).to.equal(true);
    // The same body re-serialised (a space added) is another body.
    expect(signatureVerifies(publicKey, Buffer.from(body.toString().replace(",", ", ")), der.toString("base64"))).to.equal(false);
    // IEEE P1363 (r || s) is not what GitHub sends.
    const p1363 = sign("sha256", body, { key: privateKey, dsaEncoding: "ieee-p1363" });
    expect(signatureVerifies(publicKey, body, p1363.toString("base64"))).to.equal(false);
    for (const bad of ["", "!!!!", "A".repeat(400), `${der.toString("base64")}AA`]) {
      expect(signatureVerifies(publicKey, body, bad), bad.slice(0, 20)).to.equal(false);
    }
  });
});
