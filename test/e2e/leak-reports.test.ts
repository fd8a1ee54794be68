/**
 * GitHub's leaked-key reports over the real server (ARCHITECTURE.md, "Keys"; docs/leak-reports.md): a
 * body signed with a P-256 key pair the test makes (listed in a `--leak-report-keys` file in the shape of
 * GitHub's keys answer) disables the real key it names, and the owner lists `api_key.leaked` with the
 * report's URL; wrong signatures, unknown key identifiers, replays (also with the signature's malleated
 * twin) and tokens with a bad checksum are answered as GitHub expects and change nothing; a leaked
 * previous secret ends its grace; `--leak-report-action delete` deletes; the work is bounded.
 */
import { createHash, generateKeyPairSync, sign, type KeyObject } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { expect } from "chai";
import { ApiKeyRegistry, ApiKeyState } from "../../gen/keyward/v1/api_key_pb.js";
import { AuthService } from "../../gen/keyward/v1/auth_pb.js";
import { EventRegistry, type Event } from "../../gen/keyward/v1/event_pb.js";
import { Right } from "../../gen/keyward/v1/rights_pb.js";
import { generateKey } from "../../src/keys/index.js";
import type { Doors } from "./support/doors.js";
import { ok, type Actor } from "./support/fixtures.js";
import { issuedKeys } from "./support/secret-scan.js";
import { useServer, type ServerUnderTest } from "./support/server-process.js";

/** GitHub's identifiers are hex SHA-256s; these are the test's own. */
const KEY_ID = "a".repeat(64);
const OTHER_KEY_ID = "b".repeat(64);
const URL_OF_LEAK = "https://github.com/octocat/Hello-World/blob/12345600b9cbe38a219f39a9941c9319b600c002/foo/bar.txt";
/** The order of P-256's group: (r, s) and (r, n - s) are both valid signatures of the same body. */
const P256_ORDER = BigInt("0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551");

const signer = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
const otherSigner = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
const stranger = generateKeyPairSync("ec", { namedCurve: "prime256v1" });

/** A keys file in the shape of https://api.github.com/meta/public_keys/secret_scanning. */
function keysFile(): string {
  const dir = mkdtempSync(join(tmpdir(), "keyward-leaks-"));
  const path = join(dir, "github-keys.json");
  const pem = (key: KeyObject) => key.export({ type: "spki", format: "pem" }).toString();
  writeFileSync(
    path,
    JSON.stringify({
      public_keys: [
        { key_identifier: KEY_ID, key: pem(signer.publicKey), is_current: true },
        { key_identifier: OTHER_KEY_ID, key: pem(otherSigner.publicKey), is_current: false },
      ],
    }),
  );
  return path;
}

interface Report {
  token: string;
  type?: string;
  url?: string;
  source?: string;
}

const bodyOf = (entries: Report[]) => JSON.stringify(entries.map((e) => ({ token: e.token, type: e.type ?? "keyward_api_key", url: e.url ?? URL_OF_LEAK, source: e.source ?? "content" })));
const signatureOf = (body: string | Buffer, key: KeyObject = signer.privateKey) => sign("sha256", Buffer.from(body), { key, dsaEncoding: "der" }).toString("base64");
const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

/** The same signature with s replaced by n - s: as valid, different bytes. */
function malleated(signature: string): string {
  const der = Buffer.from(signature, "base64");
  const rLength = der[3]!;
  const r = der.subarray(4, 4 + rLength);
  const sLength = der[5 + rLength]!;
  const s = BigInt(`0x${der.subarray(6 + rLength, 6 + rLength + sLength).toString("hex")}`);
  let hex = (P256_ORDER - s).toString(16);
  if (hex.length % 2 === 1) hex = `0${hex}`;
  if (parseInt(hex.slice(0, 2), 16) >= 0x80) hex = `00${hex}`;
  const twin = Buffer.from(hex, "hex");
  const content = Buffer.concat([Buffer.from([0x02, r.length]), r, Buffer.from([0x02, twin.length]), twin]);
  return Buffer.concat([Buffer.from([0x30, content.length]), content]).toString("base64");
}

async function post(sut: ServerUnderTest, body: string | Buffer, headers: Record<string, string>, method = "POST"): Promise<{ status: number; json: any; headers: Headers }> {
  const response = await fetch(`${sut.server.httpUrl}/api/v1/leaks/github`, { method, headers: { "content-type": "application/json", ...headers }, body: method === "GET" ? undefined : typeof body === "string" ? body : new Uint8Array(body) });
  const text = await response.text();
  return { status: response.status, json: text === "" ? undefined : JSON.parse(text), headers: response.headers };
}

/** Posts `entries` signed as GitHub would. */
function report(sut: ServerUnderTest, entries: Report[]) {
  const body = bodyOf(entries);
  return post(sut, body, { "github-public-key-identifier": KEY_ID, "github-public-key-signature": signatureOf(body) });
}

const reasonOf = (json: any): string | undefined => json?.details?.find((d: any) => String(d["@type"]).endsWith("ErrorInfo"))?.reason;

/** How `key` fares on a call now: "OK" or the refusal's reason. */
async function standing(doors: Doors, key: string): Promise<string> {
  const outcome = await doors.call("connect", AuthService.method.getAuthInfo, {}, key);
  return outcome.ok ? "OK" : outcome.reason;
}

async function eventsOf(doors: Doors, reader: string, userId: string): Promise<Event[]> {
  return ok(await doors.call("connect", EventRegistry.method.listEvents, { userId, pageSize: 100 }, reader)).events;
}

/** A user with a key to leak and a key that reads the user's events. */
async function owner(sut: ServerUnderTest): Promise<{ leaky: Actor; reader: string }> {
  const userId = await sut.fx.user();
  const leaky = await sut.fx.key(userId, [Right.USER_INFO], { name: "ci token" });
  const reader = (await sut.fx.key(userId, [Right.USER_EVENTS_READ], { name: "reader" })).key;
  return { leaky, reader };
}

/** A well-formed key with one character of its secret changed: a bad checksum. */
function mistyped(key: string): string {
  const last = key.at(-1) === "A" ? "B" : "A";
  return `${key.slice(0, -1)}${last}`;
}

describe("leak reports (e2e)", function () {
  this.timeout(60_000);
  const keys = keysFile();
  after(() => rmSync(join(keys, ".."), { recursive: true, force: true }));

  describe("--leak-report-action disable (the default)", () => {
    const sut = useServer({ args: ["--leak-report-keys", keys] });

    it("disables the real key a signed report names, answers GitHub's feedback shape, and the owner lists api_key.leaked with the URL", async () => {
      const { leaky, reader } = await owner(sut);
      const bystander = await sut.fx.actor([Right.USER_INFO]);
      const unknown = generateKey().key;
      issuedKeys.add(unknown);
      const entries = [{ token: leaky.key }, { token: mistyped(bystander.key) }, { token: unknown }, { token: "some_token", type: "other_type", url: "", source: "commit" }];
      const answer = await report(sut, entries);
      expect(answer.status).to.equal(200);
      expect(answer.headers.get("content-type")).to.equal("application/json");
      expect(answer.json).to.deep.equal([
        { token_hash: sha256(leaky.key), token_type: "keyward_api_key", label: "true_positive" },
        { token_hash: sha256(mistyped(bystander.key)), token_type: "keyward_api_key", label: "false_positive" },
        { token_hash: sha256(unknown), token_type: "keyward_api_key", label: "false_positive" },
        { token_hash: sha256("some_token"), token_type: "other_type", label: "false_positive" },
      ]);
      expect(await standing(sut.doors, leaky.key)).to.equal("API_KEY_DISABLED");
      // The key whose mistyped twin was reported is untouched.
      expect(await standing(sut.doors, bystander.key)).to.equal("OK");

      const events = await eventsOf(sut.doors, reader, leaky.userId);
      const leaked = events.filter((e) => e.type === "api_key.leaked");
      expect(leaked).to.have.length(1);
      expect(leaked[0]!.reason).to.equal(URL_OF_LEAK);
      expect(leaked[0]!.subject).to.deep.include({ userId: leaky.userId, apiKeyId: leaky.apiKey.id });
      expect(leaked[0]!.actor).to.deep.include({ userId: "", apiKeyId: "", sessionId: "" });
      expect(leaked[0]!.client?.address).to.equal("127.0.0.1");
      expect(leaked[0]!.changed.map((c) => [c.field, c.before, c.after])).to.deep.equal([["state", '"active"', '"disabled"']]);
      // The report's body is no credential: GitHub's answer names tokens by hash only.
      expect(JSON.stringify(answer.json)).not.to.contain(leaky.key);
    });

    it("a replayed body, with its signature or that signature's malleated twin, is answered the same labels and changes nothing", async () => {
      const { leaky, reader } = await owner(sut);
      const body = bodyOf([{ token: leaky.key }, { token: "some_token" }]);
      const signature = signatureOf(body);
      const headers = (sig: string) => ({ "github-public-key-identifier": KEY_ID, "github-public-key-signature": sig });
      const first = await post(sut, body, headers(signature));
      expect(first.json.map((e: any) => e.label)).to.deep.equal(["true_positive", "false_positive"]);
      // The owner re-enables the key (say, after checking the leak was a test fixture).
      ok(await sut.doors.call("connect", ApiKeyRegistry.method.updateApiKey, { apiKey: { userId: leaky.userId, id: leaky.apiKey.id, state: ApiKeyState.ACTIVE }, updateMask: { paths: ["state"] } }, sut.admin));
      const eventsBefore = await eventsOf(sut.doors, reader, leaky.userId);
      for (const sig of [signature, malleated(signature)]) {
        const again = await post(sut, body, headers(sig));
        expect(again.status).to.equal(200);
        expect(again.json).to.deep.equal(first.json);
      }
      expect(await standing(sut.doors, leaky.key)).to.equal("OK");
      expect((await eventsOf(sut.doors, reader, leaky.userId)).map((e) => e.id)).to.deep.equal(eventsBefore.map((e) => e.id));
      // A new report (another body) of the same key acts again.
      const other = await report(sut, [{ token: leaky.key, url: `${URL_OF_LEAK}#L2` }]);
      expect(other.json.map((e: any) => e.label)).to.deep.equal(["true_positive"]);
      expect(await standing(sut.doors, leaky.key)).to.equal("API_KEY_DISABLED");
    });

    it("a wrong signature, a key the file does not list, another key's signature and missing headers are 401 LEAK_REPORT_SIGNATURE_INVALID and change nothing", async () => {
      const { leaky, reader } = await owner(sut);
      const body = bodyOf([{ token: leaky.key }]);
      const eventsBefore = await eventsOf(sut.doors, reader, leaky.userId);
      const tries: Record<string, Record<string, string>> = {
        "signature of another body": { "github-public-key-identifier": KEY_ID, "github-public-key-signature": signatureOf(bodyOf([{ token: "x" }])) },
        "unknown key identifier": { "github-public-key-identifier": "c".repeat(64), "github-public-key-signature": signatureOf(body) },
        "signed by a key not in the file": { "github-public-key-identifier": KEY_ID, "github-public-key-signature": signatureOf(body, stranger.privateKey) },
        "signed by the other listed key": { "github-public-key-identifier": KEY_ID, "github-public-key-signature": signatureOf(body, otherSigner.privateKey) },
        "not base64": { "github-public-key-identifier": KEY_ID, "github-public-key-signature": "not a signature!" },
        "no signature": { "github-public-key-identifier": KEY_ID },
        "no identifier": { "github-public-key-signature": signatureOf(body) },
      };
      for (const [what, headers] of Object.entries(tries)) {
        const answer = await post(sut, body, headers);
        expect(answer.status, what).to.equal(401);
        expect(reasonOf(answer.json), what).to.equal("LEAK_REPORT_SIGNATURE_INVALID");
      }
      expect(await standing(sut.doors, leaky.key)).to.equal("OK");
      expect((await eventsOf(sut.doors, reader, leaky.userId)).length).to.equal(eventsBefore.length);
      // Any listed key is accepted: the other one signs under its own identifier.
      const signedByOther = await post(sut, body, { "github-public-key-identifier": OTHER_KEY_ID, "github-public-key-signature": signatureOf(body, otherSigner.privateKey) });
      expect(signedByOther.json.map((e: any) => e.label)).to.deep.equal(["true_positive"]);
    });

    it("a token with a bad checksum, a disabled key's token and a regenerated key's old secret are false positives, and change nothing", async () => {
      const { leaky, reader } = await owner(sut);
      const disabled = await sut.fx.key(leaky.userId, [Right.USER_INFO]);
      ok(await sut.doors.call("connect", ApiKeyRegistry.method.updateApiKey, { apiKey: { userId: leaky.userId, id: disabled.apiKey.id, state: ApiKeyState.DISABLED }, updateMask: { paths: ["state"] } }, sut.admin));
      const rotated = await sut.fx.key(leaky.userId, [Right.USER_INFO]);
      const fresh = ok(await sut.doors.call("connect", ApiKeyRegistry.method.regenerateApiKey, { userId: leaky.userId, keyId: rotated.apiKey.id }, sut.admin));
      issuedKeys.add(fresh.key);
      const eventsBefore = await eventsOf(sut.doors, reader, leaky.userId);
      const answer = await report(sut, [{ token: mistyped(leaky.key) }, { token: disabled.key }, { token: rotated.key }, { token: `${leaky.key}x` }]);
      expect(answer.json.map((e: any) => e.label)).to.deep.equal(["false_positive", "false_positive", "false_positive", "false_positive"]);
      expect(await standing(sut.doors, leaky.key)).to.equal("OK");
      expect(await standing(sut.doors, fresh.key)).to.equal("OK");
      expect((await eventsOf(sut.doors, reader, leaky.userId)).length).to.equal(eventsBefore.length);
    });

    it("a leaked previous secret in its grace period ends the grace: the old secret stops, the key and its new secret stay", async () => {
      const { leaky, reader } = await owner(sut);
      const fresh = ok(await sut.doors.call("connect", ApiKeyRegistry.method.regenerateApiKey, { userId: leaky.userId, keyId: leaky.apiKey.id, gracePeriod: durationFromMs(3_600_000) }, sut.admin));
      issuedKeys.add(fresh.key);
      expect(await standing(sut.doors, leaky.key)).to.equal("OK");
      const answer = await report(sut, [{ token: leaky.key }]);
      expect(answer.json.map((e: any) => e.label)).to.deep.equal(["true_positive"]);
      expect(await standing(sut.doors, leaky.key)).to.equal("API_KEY_INVALID");
      expect(await standing(sut.doors, fresh.key)).to.equal("OK");
      const leaked = (await eventsOf(sut.doors, reader, leaky.userId)).filter((e) => e.type === "api_key.leaked");
      expect(leaked.map((e) => e.changed.map((c) => c.field))).to.deep.equal([["previous_secret_valid_until"]]);
    });

    it("bounds the work: the signature is checked before the body is parsed, a body over 1 MiB is 413, more than 1,000 matches or a malformed match is 400, other methods 405", async () => {
      const garbage = "not json at all";
      const unsigned = await post(sut, garbage, { "github-public-key-identifier": KEY_ID, "github-public-key-signature": signatureOf("something else") });
      expect([unsigned.status, reasonOf(unsigned.json)]).to.deep.equal([401, "LEAK_REPORT_SIGNATURE_INVALID"]);
      const signedGarbage = await post(sut, garbage, { "github-public-key-identifier": KEY_ID, "github-public-key-signature": signatureOf(garbage) });
      expect([signedGarbage.status, reasonOf(signedGarbage.json)]).to.deep.equal([400, "VALIDATION_FAILED"]);

      const huge = Buffer.alloc(1024 * 1024 + 1, 0x20);
      const tooLarge = await post(sut, huge, { "github-public-key-identifier": KEY_ID, "github-public-key-signature": signatureOf(huge) });
      expect([tooLarge.status, reasonOf(tooLarge.json)]).to.deep.equal([413, "BODY_TOO_LARGE"]);

      const many = Array.from({ length: 1001 }, (_, i) => ({ token: `token-${i}` }));
      const tooMany = await report(sut, many);
      expect(tooMany.status).to.equal(400);
      expect(tooMany.json.details.find((d: any) => String(d["@type"]).endsWith("BadRequest")).fieldViolations[0].description).to.contain("at most 1000");
      const thousand = await report(sut, many.slice(0, 1000));
      expect(thousand.status).to.equal(200);
      expect(thousand.json).to.have.length(1000);

      const malformedBody = JSON.stringify([{ token: "a", type: "t", url: "u", source: "s" }, { type: "t" }, "x"]);
      const malformed = await post(sut, malformedBody, { "github-public-key-identifier": KEY_ID, "github-public-key-signature": signatureOf(malformedBody) });
      expect(malformed.status).to.equal(400);
      expect(malformed.json.details.find((d: any) => String(d["@type"]).endsWith("BadRequest")).fieldViolations.map((v: any) => v.field)).to.deep.equal(["[1].token", "[2]"]);

      const get = await post(sut, "", {}, "GET");
      expect(get.status).to.equal(405);
      expect(get.headers.get("allow")).to.equal("POST");
    });
  });

  describe("--leak-report-action delete", () => {
    const sut = useServer({ args: ["--leak-report-keys", keys, "--leak-report-action", "delete"] });

    it("deletes the key whose current secret leaked, and the owner lists api_key.leaked; a leaked previous secret still only ends the grace", async () => {
      const { leaky, reader } = await owner(sut);
      const rotated = await sut.fx.key(leaky.userId, [Right.USER_INFO]);
      const fresh = ok(await sut.doors.call("connect", ApiKeyRegistry.method.regenerateApiKey, { userId: leaky.userId, keyId: rotated.apiKey.id, gracePeriod: durationFromMs(3_600_000) }, sut.admin));
      issuedKeys.add(fresh.key);
      const answer = await report(sut, [{ token: leaky.key }, { token: rotated.key }]);
      expect(answer.json.map((e: any) => e.label)).to.deep.equal(["true_positive", "true_positive"]);
      const gone = await sut.doors.call("connect", ApiKeyRegistry.method.getApiKey, { userId: leaky.userId, keyId: leaky.apiKey.id }, sut.admin);
      expect(gone.ok ? "found" : gone.reason).to.equal("API_KEY_NOT_FOUND");
      expect(await standing(sut.doors, leaky.key)).to.equal("API_KEY_INVALID");
      expect(await standing(sut.doors, rotated.key)).to.equal("API_KEY_INVALID");
      expect(await standing(sut.doors, fresh.key)).to.equal("OK");
      const leaked = (await eventsOf(sut.doors, reader, leaky.userId)).filter((e) => e.type === "api_key.leaked");
      expect(leaked.map((e) => [e.subject?.apiKeyId, e.reason])).to.have.deep.members([
        [leaky.apiKey.id, URL_OF_LEAK],
        [rotated.apiKey.id, URL_OF_LEAK],
      ]);
    });
  });

  describe("without --leak-report-keys", () => {
    const sut = useServer();

    it("answers 404 LEAK_REPORTS_NOT_CONFIGURED", async () => {
      const answer = await report(sut, [{ token: "some_token" }]);
      expect([answer.status, reasonOf(answer.json)]).to.deep.equal([404, "LEAK_REPORTS_NOT_CONFIGURED"]);
    });
  });
});
