/**
 * A key's rate limit, usage credits and metadata in the web console (ARCHITECTURE.md, "Keys" and "The web
 * console"), in Debian's Chromium against the real server: the Generate dialog folds them away (its fit on
 * a laptop screen is console-wording.test.ts's), sets all four, and the API stores exactly what was typed;
 * the key's row shows the limit, the uses left, the refill and when it is next due, and the metadata; the
 * API's refusals naming one of these fields are shown next to that field, and nothing is created; Edit
 * opens them unfolded, changes only what was changed (an edit of the name leaves the count of uses alone),
 * clears a limit and replaces the metadata whole; Activity words the changes; a metered key's refusal, a
 * pasted key with no uses left and one over its rate limit each read the API's message and what to do.
 * Each step is checked against the API too, not only against what the page says.
 */
import type { Locator, Page } from "playwright-core";
import { expect } from "chai";
import { Right } from "../../gen/keyward/v1/rights_pb.js";
import { useServer } from "../e2e/support/server-process.js";
import { issuedKeys } from "../e2e/support/secret-scan.js";
import { PACKAGES, requirePackages } from "../support/test-packages.js";
import { expectAccessible, newPerson, screenshot, useBrowser } from "./support/browser.js";
import { keyRow, signInWithKey, signInWithPassword } from "./support/console-page.js";

const HANA_PASSWORD = "hana limits password 2026";

describe("web console: a key's rate limit, usage credits and metadata (real browser)", function () {
  this.timeout(120_000);
  before(function () {
    requirePackages(this, "test/console", PACKAGES.chromium);
  });
  const sut = useServer();
  const chromium = useBrowser();
  let url: string;
  let hana: Page;

  /** A REST call as the admin: the status, the reason of a refusal, and the body. */
  async function rest(path: string, init: RequestInit = {}, key = sut.admin): Promise<{ status: number; reason: string | undefined; body: Record<string, any> }> {
    const response = await fetch(`${url}${path}`, { ...init, headers: { authorization: `Bearer ${key}`, "content-type": "application/json", ...init.headers } });
    const body = (await response.json()) as Record<string, any>;
    return { status: response.status, reason: body.details?.[0]?.reason, body };
  }

  /** Hana's keys as the API lists them. */
  async function hanasKeys(): Promise<Array<Record<string, any>>> {
    const answer = await rest("/api/v1/users/hana/api-keys");
    expect(answer.status).to.equal(200);
    return (answer.body.apiKeys ?? []) as Array<Record<string, any>>;
  }

  async function storedKey(name: string): Promise<Record<string, any>> {
    const key = (await hanasKeys()).find((k) => k.name === name);
    expect(key, `key ${name} stored`).to.not.equal(undefined);
    return key!;
  }

  /** The limits part of a key dialog, unfolded. */
  async function unfoldLimits(dialog: Locator): Promise<void> {
    const details = dialog.locator("details.limits");
    if ((await details.getAttribute("open")) === null) await details.locator("summary").click();
    await dialog.getByLabel("Calls allowed").waitFor();
  }

  before(async () => {
    url = sut.server.httpUrl;
    expect((await rest("/api/v1/users", { method: "POST", body: JSON.stringify({ userId: "hana", name: "Hana", password: HANA_PASSWORD }) })).status).to.equal(200);
    hana = await (await newPerson(chromium.browser)).newPage();
    await signInWithPassword(hana, url, "hana", HANA_PASSWORD);
  });

  it("generates a key with a rate limit, uses, a refill and metadata folded away until wanted, and the API stores exactly those", async () => {
    await hana.getByRole("button", { name: "Generate key" }).click();
    const dialog = hana.getByRole("dialog", { name: "Generate API key" });
    await dialog.getByLabel("Name", { exact: true }).fill("metered-gateway");
    await dialog.getByRole("checkbox", { name: "User: info" }).check();
    const summary = dialog.locator("details.limits > summary");
    expect((await summary.textContent())?.trim()).to.equal("Rate limit, uses and metadata (none)");
    expect(await dialog.getByLabel("Calls allowed").isVisible(), "folded at first").to.equal(false);

    await unfoldLimits(dialog);
    await dialog.getByLabel("Calls allowed").fill("5");
    await dialog.getByRole("spinbutton", { name: "per (Rate limit period)" }).fill("1");
    await dialog.getByRole("combobox", { name: "Rate limit period unit" }).selectOption("second");
    await dialog.getByLabel("Remaining uses").fill("3");
    await dialog.getByLabel("Refill to").fill("100");
    await dialog.getByRole("combobox", { name: "Refill period unit" }).selectOption("day");
    await dialog.getByRole("button", { name: "Add metadata entry" }).click();
    await dialog.getByLabel("Metadata key 1").fill("plan");
    await dialog.getByLabel("Metadata value 1").fill("pro");
    await dialog.getByRole("button", { name: "Add metadata entry" }).click();
    await dialog.getByLabel("Metadata key 2").fill("region");
    await dialog.getByLabel("Metadata value 2").fill("eu-west ☁");
    expect((await summary.textContent())?.trim()).to.equal("Rate limit, uses and metadata (rate limit, uses with refill, 2 metadata entries)");
    await expectAccessible(hana, "generate dialog with limits");
    await screenshot(hana, "generate-key-limits");
    await dialog.getByRole("button", { name: "Generate key" }).click();

    const shown = hana.getByRole("dialog", { name: "Your new API key" });
    const fullKey = (await shown.locator("code.secret").textContent())?.trim() ?? "";
    issuedKeys.add(fullKey);
    await shown.getByRole("button", { name: "I have stored it" }).click();

    const stored = await storedKey("metered-gateway");
    expect(stored.rateLimit).to.deep.equal({ requests: 5, period: "1s" });
    expect(stored.remainingUses).to.equal(3);
    expect(stored.refill).to.deep.equal({ amount: 100, period: "86400s" });
    expect(stored.metadata).to.deep.equal({ plan: "pro", region: "eu-west ☁" });
    const nextRefill = Date.parse(stored.nextRefillAt as string);
    expect(nextRefill - Date.parse(stored.createdAt as string)).to.be.within(86_399_000, 86_401_000);

    const row = keyRow(hana, "metered-gateway");
    const limits = row.locator("td[data-label='Limits']");
    await limits.getByText("5 calls per second").waitFor();
    expect(await limits.locator(".key-uses").textContent()).to.equal("3 uses left");
    expect(await limits.locator(".key-refill").textContent()).to.match(/^refills to 100 every day, next \d+ \w+ \d{4}, \d\d:\d\d$/);
    expect(Date.parse((await limits.locator(".key-refill time").getAttribute("datetime"))!)).to.equal(nextRefill);
    expect(await row.getByRole("list", { name: "Metadata of metered-gateway" }).getByRole("listitem").allTextContents()).to.deep.equal([
      "plan: pro",
      "region: eu-west ☁",
    ]);
    expect(await keyRow(hana, "metered-gateway").locator("td[data-label='Name'] .key-name").textContent()).to.equal("metered-gateway");
    await expectAccessible(hana, "my keys with limits");
    await screenshot(hana, "my-keys-limits");
  });

  it("shows each of the API's refusals next to the field it names, and creates nothing", async () => {
    const before = (await hanasKeys()).length;
    await hana.getByRole("button", { name: "Generate key" }).click();
    const dialog = hana.getByRole("dialog", { name: "Generate API key" });
    await dialog.getByLabel("Name", { exact: true }).fill("refused-limits");
    await dialog.getByRole("checkbox", { name: "User: info" }).check();
    await unfoldLimits(dialog);
    await dialog.getByLabel("Calls allowed").fill("0");
    await dialog.getByLabel("Refill to").fill("10");
    await dialog.getByRole("button", { name: "Add metadata entry" }).click();
    await dialog.getByLabel("Metadata key 1").fill("bad key!");
    await dialog.getByLabel("Metadata value 1").fill("x");
    await dialog.getByRole("button", { name: "Add metadata entry" }).click();
    await dialog.getByLabel("Metadata key 2").fill("note");
    await dialog.getByLabel("Metadata value 2").fill("é".repeat(129));
    await dialog.getByRole("button", { name: "Generate key" }).click();
    await dialog.getByRole("alert").waitFor();

    // The same request straight to the API: the dialog shows its violations, each at its field.
    const direct = await rest("/api/v1/users/hana/api-keys", {
      method: "POST",
      body: JSON.stringify({ name: "refused-limits", rights: ["RIGHT_USER_INFO"], rateLimit: { requests: 0, period: "60s" }, refill: { amount: 10, period: "86400s" }, metadata: { "bad key!": "x", note: "é".repeat(129) } }),
    });
    expect([direct.status, direct.reason]).to.deep.equal([400, "VALIDATION_FAILED"]);
    const violations = (direct.body.details as Array<{ fieldViolations?: Array<{ field: string; description: string }> }>).flatMap((d) => d.fieldViolations ?? []);
    const descriptionOf = (field: string) => violations.find((v) => v.field === field)?.description.replace(/`/g, "");
    expect(descriptionOf("rate_limit.requests")).to.be.a("string");

    const calls = dialog.getByLabel("Calls allowed");
    expect(await calls.getAttribute("aria-invalid")).to.equal("true");
    const rateProblem = dialog.locator(`#${await calls.getAttribute("aria-describedby")}`.replace(/:/g, "\\:"));
    expect(await rateProblem.textContent()).to.equal(`Calls: ${descriptionOf("rate_limit.requests")}`);
    const refill = dialog.getByLabel("Refill to");
    expect(await refill.getAttribute("aria-invalid")).to.equal("true");
    expect(await dialog.locator(`#${(await refill.getAttribute("aria-describedby"))!.replace(/:/g, "\\:")}`).textContent()).to.equal(descriptionOf("refill"));
    const badKey = dialog.getByLabel("Metadata key 1");
    expect(await badKey.getAttribute("aria-invalid")).to.equal("true");
    expect(await dialog.locator(`#${(await badKey.getAttribute("aria-describedby"))!.replace(/:/g, "\\:")}`).textContent()).to.contain("bad key!");
    const note = dialog.getByLabel("Metadata key 2");
    expect(await note.getAttribute("aria-invalid")).to.equal("true");
    expect(await dialog.locator(`#${(await note.getAttribute("aria-describedby"))!.replace(/:/g, "\\:")}`).textContent()).to.equal(descriptionOf("metadata[note]"));
    expect(await dialog.getByLabel("Remaining uses").getAttribute("aria-invalid"), "a field the API did not name is not marked").to.equal(null);
    await expectAccessible(hana, "generate dialog refused");
    await screenshot(hana, "generate-key-refused");
    expect((await hanasKeys()).length, "nothing created").to.equal(before);

    // A key used twice is the console's own catch: a map cannot hold both, and no request is sent.
    await dialog.getByLabel("Metadata key 1").fill("note");
    await dialog.getByText("this key is already used above; each key once").waitFor();
    let requests = 0;
    const count = () => requests++;
    hana.on("request", count);
    await dialog.getByRole("button", { name: "Generate key" }).click();
    await hana.waitForTimeout(300);
    hana.off("request", count);
    expect(requests, "no request for a duplicate key").to.equal(0);
    await dialog.getByRole("button", { name: "Cancel" }).click();
  });

  it("offers at most 16 metadata entries", async () => {
    await hana.getByRole("button", { name: "Generate key" }).click();
    const dialog = hana.getByRole("dialog", { name: "Generate API key" });
    await unfoldLimits(dialog);
    const add = dialog.getByRole("button", { name: "Add metadata entry" });
    for (let i = 0; i < 16; i++) await add.click();
    expect(await add.isDisabled()).to.equal(true);
    await dialog.getByText("At most 16 entries.").waitFor();
    await dialog.getByRole("button", { name: "Remove metadata entry 16" }).click();
    expect(await add.isDisabled()).to.equal(false);
    await dialog.getByRole("button", { name: "Cancel" }).click();
  });

  it("edits only what was changed: a new name leaves the uses alone; limits lowered, cleared and metadata replaced whole", async () => {
    const row = keyRow(hana, "metered-gateway");
    const keyId = (await storedKey("metered-gateway")).id as string;
    await row.getByRole("button", { name: "Edit metered-gateway" }).click();
    let dialog = hana.getByRole("dialog", { name: "Edit API key metered-gateway" });
    expect(await dialog.getByLabel("Calls allowed").inputValue(), "unfolded, with the key's values").to.equal("5");
    expect(await dialog.getByLabel("Remaining uses").inputValue()).to.equal("3");
    expect(await dialog.getByLabel("Refill to").inputValue()).to.equal("100");
    expect(await dialog.getByRole("combobox", { name: "Refill period unit" }).inputValue()).to.equal("day");
    expect(await dialog.getByLabel("Metadata key 1").inputValue()).to.equal("plan");
    await dialog.getByLabel("Name", { exact: true }).fill("metered-gw");
    await dialog.getByRole("button", { name: "Save changes" }).click();
    await dialog.waitFor({ state: "detached" });
    const renamed = await rest(`/api/v1/events?user_id=hana&api_key_id=${keyId}&type=api_key.update`);
    expect(renamed.status, JSON.stringify(renamed.body)).to.equal(200);
    expect(renamed.body.events[0].changed.map((c: { field: string }) => c.field), "only the name was sent").to.deep.equal(["name"]);

    // Uses cleared while a refill stays: the API refuses, naming the refill.
    await keyRow(hana, "metered-gw").getByRole("button", { name: "Edit metered-gw" }).click();
    dialog = hana.getByRole("dialog", { name: "Edit API key metered-gw" });
    await dialog.getByLabel("Calls allowed").fill("10");
    await dialog.getByRole("spinbutton", { name: "per (Rate limit period)" }).fill("1");
    await dialog.getByRole("combobox", { name: "Rate limit period unit" }).selectOption("minute");
    await dialog.getByLabel("Remaining uses").fill("");
    await dialog.getByRole("button", { name: "Save changes" }).click();
    await dialog.getByRole("alert").waitFor();
    expect(await dialog.getByLabel("Refill to").getAttribute("aria-invalid")).to.equal("true");
    expect((await storedKey("metered-gw")).rateLimit, "nothing changed").to.deep.equal({ requests: 5, period: "1s" });

    await dialog.getByLabel("Refill to").fill("");
    await dialog.getByRole("button", { name: "Remove metadata entry 1" }).click();
    await dialog.getByRole("button", { name: "Add metadata entry" }).click();
    await dialog.getByLabel("Metadata key 2").fill("customer");
    await dialog.getByLabel("Metadata value 2").fill("c-42");
    await dialog.getByRole("button", { name: "Save changes" }).click();
    await dialog.waitFor({ state: "detached" });
    const stored = await storedKey("metered-gw");
    expect(stored.rateLimit).to.deep.equal({ requests: 10, period: "60s" });
    expect(stored.remainingUses).to.equal(undefined);
    expect(stored.refill).to.equal(undefined);
    expect(stored.nextRefillAt).to.equal(undefined);
    expect(stored.metadata).to.deep.equal({ region: "eu-west ☁", customer: "c-42" });
    const limits = keyRow(hana, "metered-gw").locator("td[data-label='Limits']");
    await limits.getByText("10 calls per minute").waitFor();
    expect(await limits.locator(".key-uses").count()).to.equal(0);

    // Every limit cleared: the row says so.
    await keyRow(hana, "metered-gw").getByRole("button", { name: "Edit metered-gw" }).click();
    dialog = hana.getByRole("dialog", { name: "Edit API key metered-gw" });
    await dialog.getByLabel("Calls allowed").fill("");
    await dialog.getByRole("button", { name: "Save changes" }).click();
    await dialog.waitFor({ state: "detached" });
    expect((await storedKey("metered-gw")).rateLimit).to.equal(undefined);
    await keyRow(hana, "metered-gw").locator("td[data-label='Limits']").getByText("None", { exact: true }).waitFor();
  });

  it("words the changes in Activity: the limit and uses before and after, metadata named without values", async () => {
    await hana.goto(`${url}/#/activity`);
    const table = hana.getByRole("region", { name: "Activity table" });
    const created = table.locator("tbody tr[data-event-type='api_key.create']").first();
    await created.waitFor();
    const changes = created.locator("td[data-label='Changes']");
    expect(await changes.locator("li[data-field='rate_limit']").textContent()).to.equal("Rate limit: 5 calls per second");
    expect(await changes.locator("li[data-field='remaining_uses']").textContent()).to.equal("Remaining uses: 3");
    expect(await changes.locator("li[data-field='refill']").textContent()).to.equal("Refill: to 100 every day");
    expect(await changes.locator("li[data-field='metadata']").textContent()).to.equal("Metadata changed");
    const lowered = table.locator("tbody tr[data-event-type='api_key.update']", { has: hana.locator("li[data-field='refill']") }).first();
    expect(await lowered.locator("li[data-field='rate_limit']").textContent()).to.equal("Rate limit: 5 calls per second → 10 calls per minute");
    expect(await lowered.locator("li[data-field='remaining_uses']").textContent()).to.equal("Remaining uses: 3 → unlimited");
    expect(await lowered.locator("li[data-field='refill']").textContent()).to.equal("Refill: to 100 every day → none");
    const text = (await table.textContent()) ?? "";
    expect(text, "metadata values are not in the trail").to.not.contain("c-42");
    await expectAccessible(hana, "activity with limit changes");
    await hana.goto(`${url}/#/keys`);
  });

  it("says what to do when a metered key is refused: the API's message, then the way out", async () => {
    const { key, apiKey } = await sut.fx.key("hana", [Right.USER_ALL], { name: "metered-console" });
    issuedKeys.add(key);
    const limited = await rest(`/api/v1/users/hana/api-keys/${apiKey.id}?update_mask=rate_limit`, { method: "PATCH", body: JSON.stringify({ rateLimit: { requests: 1000, period: "60s" } }) });
    expect(limited.status, JSON.stringify(limited.body)).to.equal(200);
    const person = await newPerson(chromium.browser);
    try {
      const page = await person.newPage();
      await signInWithKey(page, url, key);
      await page.getByRole("button", { name: "Generate key" }).click();
      const dialog = page.getByRole("dialog", { name: "Generate API key" });
      await dialog.getByLabel("Name", { exact: true }).fill("minted");
      await dialog.getByRole("checkbox", { name: "User: info" }).check();
      await dialog.getByRole("button", { name: "Generate key" }).click();
      const alert = dialog.getByRole("alert");
      await alert.waitFor();
      const direct = await rest("/api/v1/users/hana/api-keys", { method: "POST", body: JSON.stringify({ name: "minted", rights: ["RIGHT_USER_INFO"] }) }, key);
      expect([direct.status, direct.reason]).to.deep.equal([403, "API_KEY_METERED"]);
      const message = (direct.body.message as string).replace(/`/g, "");
      expect(await alert.textContent()).to.equal(
        `${message}A key with a rate limit or usage credits cannot create keys, set passwords or loosen any key's limits. Sign in with a password, or with a key without limits, to do this.`,
      );
      expect(await alert.locator(".error-hint").count()).to.equal(1);
      expect((await hanasKeys()).some((k) => k.name === "minted"), "nothing created").to.equal(false);
    } finally {
      await person.close();
    }
  });

  /** A key of hana's with all user rights and `limits` set by the admin over REST. */
  async function limitedKey(name: string, limits: Record<string, unknown>): Promise<string> {
    const { key, apiKey } = await sut.fx.key("hana", [Right.USER_ALL], { name });
    issuedKeys.add(key);
    const mask = Object.keys(limits).map((field) => field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)).join(",");
    const set = await rest(`/api/v1/users/hana/api-keys/${apiKey.id}?update_mask=${mask}`, { method: "PATCH", body: JSON.stringify(limits) });
    expect(set.status, JSON.stringify(set.body)).to.equal(200);
    return key;
  }

  it("a pasted key with no uses left is refused at sign-in with the API's message and what its owner can do", async () => {
    const key = await limitedKey("used-up", { remainingUses: 0 });
    const direct = await rest("/api/v1/auth_info", {}, key);
    expect([direct.status, direct.reason]).to.deep.equal([429, "API_KEY_USAGE_EXHAUSTED"]);
    const person = await newPerson(chromium.browser);
    try {
      const page = await person.newPage();
      await page.goto(`${url}/`);
      await page.getByRole("tab", { name: "API key" }).click();
      await page.getByRole("textbox", { name: "API key" }).fill(key);
      await page.getByRole("button", { name: "Sign in with key" }).click();
      const alert = page.getByRole("alert");
      await alert.waitFor();
      expect(await alert.textContent()).to.equal(
        `${(direct.body.message as string).replace(/`/g, "")}This key has used all its calls. Its owner can give it more uses in Edit, signed in with a password or a key without limits.`,
      );
      expect(await page.evaluate(() => sessionStorage.length), "a refused key is not kept").to.equal(0);
      await expectAccessible(page, "sign-in refused for no uses");
    } finally {
      await person.close();
    }
  });

  it("a pasted key over its rate limit gets the API's message and how long to wait, where the refused list would be", async () => {
    // Signing in asks "who am I" twice (the check, then the console's own): the third call is over.
    const key = await limitedKey("two-a-minute", { rateLimit: { requests: 2, period: "60s" } });
    const person = await newPerson(chromium.browser);
    try {
      const page = await person.newPage();
      await signInWithKey(page, url, key);
      const alert = page.getByRole("region", { name: "My API keys" }).getByRole("alert");
      await alert.waitFor();
      const text = (await alert.textContent()) ?? "";
      expect(text).to.match(/^API key \S+ may make 2 calls per/);
      expect(await alert.locator(".error-hint").textContent()).to.match(
        /^This key has made all the calls its rate limit allows for now\. Wait (\d+ seconds|a second) and try again, or raise its limit in Edit \(signed in with a password or a key without limits\)\.$/,
      );
      const seconds = Number(/Wait (\d+) seconds/.exec(text)?.[1] ?? "1");
      expect(seconds).to.be.within(1, 60);
      const direct = await rest("/api/v1/auth_info", {}, key);
      expect([direct.status, direct.reason]).to.deep.equal([429, "API_KEY_RATE_LIMITED"]);
    } finally {
      await person.close();
    }
  });
});
