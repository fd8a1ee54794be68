/**
 * A leaked key in the web console (ARCHITECTURE.md, "Keys" and "Events"), in Debian's Chromium against the
 * real server started with `--leak-report-keys`: a report signed as GitHub signs them (ECDSA P-256 over the
 * raw body, with a key pair this test makes and lists in the keys file) names a real key; the key is
 * disabled, and its owner, signed in with a password, sees `api_key.leaked` in Activity with the URL where
 * it was found as a link, who did it (Keyward, on a leak report) and the state it changed, and the key's row
 * disabled. Checked against the API too.
 */
import { generateKeyPairSync, sign, type KeyObject } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { expect } from "chai";
import { useServer } from "../e2e/support/server-process.js";
import { issuedKeys } from "../e2e/support/secret-scan.js";
import { PACKAGES, requirePackages } from "../support/test-packages.js";
import { expectAccessible, newPerson, screenshot, useBrowser } from "./support/browser.js";
import { generateKey, keyRow, signInWithPassword } from "./support/console-page.js";

const IVY_PASSWORD = "ivy leaked-key password 2026";
const KEY_IDENTIFIER = "keyward-test-leak-key-1";
const LEAK_URL = "https://github.com/ivy-example/deploy/blob/0123abcd/config/.env";

/**
 * The keys file, in the shape of GitHub's `meta/public_keys/secret_scanning` answer, written before the
 * server starts (its flag names it), with the private half kept here to sign reports.
 */
function leakReportKeys(): { dir: string; file: string; privateKey: KeyObject } {
  const { publicKey, privateKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  const dir = mkdtempSync(join(tmpdir(), "keyward-leak-keys-"));
  const file = join(dir, "secret_scanning.json");
  const pem = publicKey.export({ type: "spki", format: "pem" }).toString();
  writeFileSync(file, JSON.stringify({ public_keys: [{ key_identifier: KEY_IDENTIFIER, key: pem, is_current: true }] }));
  return { dir, file, privateKey };
}

describe("web console: a key disabled by a signed GitHub leak report shows in its owner's Activity (real browser)", function () {
  this.timeout(120_000);
  before(function () {
    requirePackages(this, "test/console", PACKAGES.chromium);
  });
  const keys = leakReportKeys();
  after(() => rmSync(keys.dir, { recursive: true, force: true }));
  const sut = useServer({ args: ["--leak-report-keys", keys.file] });
  const chromium = useBrowser();
  let url: string;
  let ivy: Page;

  before(async () => {
    url = sut.server.httpUrl;
    const created = await fetch(`${url}/api/v1/users`, {
      method: "POST",
      headers: { authorization: `Bearer ${sut.admin}`, "content-type": "application/json" },
      body: JSON.stringify({ userId: "ivy", name: "Ivy", password: IVY_PASSWORD }),
    });
    expect(created.status).to.equal(200);
    ivy = await (await newPerson(chromium.browser)).newPage();
    await signInWithPassword(ivy, url, "ivy", IVY_PASSWORD);
  });

  it("disables the key a signed report names, and Activity shows api_key.leaked with the URL where it was found", async () => {
    const fullKey = await generateKey(ivy, "ci-deploy", ["User: info"]);
    issuedKeys.add(fullKey);
    await ivy.getByRole("button", { name: "I have stored it" }).click();
    const keyId = fullKey.split(".")[1]!;

    // GitHub's partner format: the raw body signed with ECDSA P-256 / SHA-256, base64 DER.
    const body = JSON.stringify([{ token: fullKey, type: "keyward_api_key", url: LEAK_URL, source: "content" }]);
    const signature = sign("sha256", Buffer.from(body), keys.privateKey).toString("base64");
    const report = await fetch(`${url}/api/v1/leaks/github`, {
      method: "POST",
      headers: { "content-type": "application/json", "github-public-key-identifier": KEY_IDENTIFIER, "github-public-key-signature": signature },
      body,
    });
    const answer = (await report.json()) as Array<{ label: string }>;
    expect(report.status, JSON.stringify(answer)).to.equal(200);
    expect(answer.map((entry) => entry.label)).to.deep.equal(["true_positive"]);

    const stored = await fetch(`${url}/api/v1/users/ivy/api-keys/${keyId}`, { headers: { authorization: `Bearer ${sut.admin}` } });
    expect(((await stored.json()) as { state: string }).state).to.equal("API_KEY_STATE_DISABLED");

    // The key's row, reloaded: disabled.
    await ivy.reload();
    await keyRow(ivy, "ci-deploy").getByText("Disabled", { exact: true }).waitFor();

    await ivy.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Activity" }).click();
    const leaked = ivy.getByRole("region", { name: "Activity table" }).locator("tbody tr[data-event-type='api_key.leaked']");
    await leaked.waitFor();
    expect(await leaked.count(), "one event for one report").to.equal(1);
    expect(await leaked.locator(".event-type").textContent()).to.equal("API key found leaked");
    const link = leaked.getByRole("link", { name: LEAK_URL });
    expect(await link.getAttribute("href")).to.equal(LEAK_URL);
    expect(await link.getAttribute("rel")).to.equal("noopener noreferrer nofollow");
    expect(await leaked.locator("td[data-label='Event'] .event-reason").textContent()).to.equal(`found at ${LEAK_URL}`);
    expect(await leaked.locator("td[data-label='Subject']").textContent()).to.contain(keyId);
    expect(await leaked.locator("td[data-label='Actor']").textContent()).to.equal("Keyward, on a leak report");
    expect(await leaked.locator("li[data-field='state']").textContent()).to.equal("State: Active → Disabled");
    await expectAccessible(ivy, "activity with a leaked key");
    await screenshot(ivy, "activity-leaked-key");

    // The API lists the same event for the owner.
    const events = await fetch(`${url}/api/v1/events?user_id=ivy&type=api_key.leaked`, { headers: { authorization: `Bearer ${sut.admin}` } });
    const listed = ((await events.json()) as { events: Array<{ reason: string; subject: { apiKeyId: string } }> }).events;
    expect(listed.map((event) => [event.reason, event.subject.apiKeyId])).to.deep.equal([[LEAK_URL, keyId]]);
  });
});
