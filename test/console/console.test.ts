/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// Code passed to page.evaluate runs in the browser and is typed with the DOM library.
/**
 * The web console in a real browser (ARCHITECTURE.md, "The web console"): Debian's Chromium against the
 * real server on free ports, one browser and one server for the whole file. Every screen is checked with
 * axe-core, the main screens are saved under docs/screenshots/, and each flow is checked against the API
 * itself (REST calls with the keys the console handed out), not only against what the page says.
 */
import type { Browser, BrowserContext, Page } from "playwright-core";
import { expect } from "chai";
import { Right } from "../../gen/keyward/v1/rights_pb.js";
import { CONSOLE_CSP } from "../../src/http/console-files.js";
import { useServer } from "../e2e/support/server-process.js";
import { PACKAGES, requirePackages } from "../support/test-packages.js";
import { issuedKeys } from "../e2e/support/secret-scan.js";
import { expectAccessible, launchBrowser, newPerson, screenshot, storageOf } from "./support/browser.js";
import { generateKey, keyRow, restAuthInfo, signInWithKey, signInWithPassword } from "./support/console-page.js";

describe("web console (real browser)", function () {
  this.timeout(120_000);
  // Before the server starts: without a browser there is nothing to do.
  before(function () {
    requirePackages(this, "test/console", PACKAGES.chromium);
  });
  const sut = useServer();
  let browser: Browser;
  let admin: BrowserContext;
  let page: Page;
  let url: string;

  before(async () => {
    url = sut.server.httpUrl;
    browser = await launchBrowser();
    admin = await newPerson(browser);
    page = await admin.newPage();
  });
  after(async () => {
    await browser?.close();
  });

  describe("serving", () => {
    it("serves the page at / to browsers with a CSP that forbids inline script, and leaves API paths alone", async () => {
      const html = await fetch(`${url}/`, { headers: { accept: "text/html" } });
      expect(html.status).to.equal(200);
      expect(html.headers.get("content-type")).to.match(/^text\/html/);
      expect(html.headers.get("content-security-policy")).to.equal(CONSOLE_CSP);
      expect(CONSOLE_CSP).to.contain("default-src 'self'").and.contain("script-src 'self'").and.not.contain("unsafe-inline");
      const body = await html.text();
      expect(body).to.not.match(/<script(?![^>]*\bsrc=)[^>]*>/, "no inline script in the page");
      const asset = /src="(\/console\/assets\/[^"]+\.js)"/.exec(body)?.[1];
      expect(asset, "the page loads its script from /console/").to.be.a("string");
      const js = await fetch(`${url}${asset}`);
      expect(js.status).to.equal(200);
      expect(js.headers.get("content-type")).to.match(/^text\/javascript/);

      // Not a browser: / keeps its old answer; API paths keep theirs even when a browser asks.
      expect((await fetch(`${url}/`)).status).to.equal(404);
      const api = await fetch(`${url}/api/v1/users`, { headers: { accept: "text/html" } });
      expect(api.status).to.equal(401);
      expect(api.headers.get("content-type")).to.equal("application/json");
      expect((await fetch(`${url}/openapi.json`, { headers: { accept: "text/html" } })).headers.get("content-type")).to.equal("application/json");
      expect(await (await fetch(`${url}/docs`, { headers: { accept: "text/html" } })).text()).to.contain("swagger-ui");
      expect((await fetch(`${url}/`, { method: "POST", headers: { accept: "text/html" } })).status).to.equal(404);
      expect((await fetch(`${url}/console/nothing-here.js`)).status).to.equal(404);
    });

    it("the browser refuses inline script on the console page", async () => {
      await page.goto(`${url}/`);
      await page.getByRole("heading", { name: "Sign in to Keyward" }).waitFor();
      const outcome = await page.evaluate(
        () =>
          new Promise<{ ran: boolean; violated: string }>((resolve) => {
            let violated = "";
            document.addEventListener("securitypolicyviolation", (event) => (violated = event.violatedDirective));
            const script = document.createElement("script");
            script.textContent = "window.__inlineRan = true";
            document.body.append(script);
            setTimeout(() => resolve({ ran: (window as unknown as { __inlineRan?: boolean }).__inlineRan === true, violated }), 200);
          }),
      );
      expect(outcome).to.deep.equal({ ran: false, violated: "script-src-elem" });
    });
  });

  describe("signed in with a pasted key", () => {
    it("shows the sign-in screen, accessible, and refuses a wrong key with the API's message", async () => {
      await page.goto(`${url}/`);
      await page.getByRole("heading", { name: "Sign in to Keyward" }).waitFor();
      await expectAccessible(page, "sign-in");
      await screenshot(page, "sign-in");
      await page.getByRole("tab", { name: "API key" }).click();
      await page.getByRole("textbox", { name: "API key" }).fill("NNSXS.NOT-A-KEY");
      await page.getByRole("button", { name: "Sign in with key" }).click();
      await expect((await page.getByRole("alert").textContent()) ?? "").to.match(/api key|malformed|invalid/i);
      expect((await storageOf(page)).session, "a refused key is not kept").to.deep.equal({});
    });

    it("signs in with the admin key, keeps it only in this tab's sessionStorage, and forgets it when the tab closes", async () => {
      await signInWithKey(page, url, sut.admin);
      await expectAccessible(page, "my keys (empty)");
      const storage = await storageOf(page);
      expect(storage.local).to.deep.equal({});
      expect(Object.values(storage.session)).to.deep.equal([sut.admin]);
      expect(await admin.cookies()).to.deep.equal([], "no cookie for a pasted key");

      await page.close();
      page = await admin.newPage();
      await page.goto(`${url}/`);
      await page.getByRole("heading", { name: "Sign in to Keyward" }).waitFor();
      expect(await storageOf(page)).to.deep.equal({ local: {}, session: {} });
      await signInWithKey(page, url, sut.admin);
    });

    it("generates a key, shows its secret once in the dialog only, and the key works over REST", async () => {
      const fullKey = await generateKey(page, "billing-gateway", ["User: info"]);
      issuedKeys.add(fullKey);
      const secret = fullKey.split(".")[2]!;
      const dialog = page.getByRole("dialog", { name: "Your new API key" });
      expect(await dialog.textContent()).to.contain("will not be shown again");
      await expectAccessible(page, "new key dialog");
      await screenshot(page, "new-key");
      // The secret is in the DOM exactly once, inside the one-time dialog.
      const where = await page.evaluate((s) => {
        const html = document.documentElement.outerHTML;
        const dialogHtml = document.querySelector("dialog[data-dialog='new-key']")?.outerHTML ?? "";
        return { total: html.split(s).length - 1, inDialog: dialogHtml.split(s).length - 1 };
      }, secret);
      expect(where).to.deep.equal({ total: 1, inDialog: 1 });

      expect((await restAuthInfo(url, fullKey)).status).to.equal(200);

      await dialog.getByRole("button", { name: "I have stored it" }).click();
      await dialog.waitFor({ state: "detached" });
      expect(await page.content()).to.not.contain(secret);
      const storage = await storageOf(page);
      expect(JSON.stringify(storage)).to.not.contain(secret);
      expect(storage.local).to.deep.equal({});

      const row = keyRow(page, "billing-gateway");
      await row.waitFor();
      expect(await row.locator("td[data-label='Rights']").textContent()).to.equal("User: info");
      expect(await row.getByRole("switch").getAttribute("aria-checked")).to.equal("true");
      expect(await row.locator("td[data-label='Status']").textContent()).to.contain("Active");
      expect(await row.locator("td[data-label='Expires']").textContent()).to.equal("Never");
      expect(await row.locator("td[data-label='Created'] time").getAttribute("datetime")).to.match(/^\d{4}-\d\d-\d\dT/);
      await expectAccessible(page, "my keys");
      await screenshot(page, "my-keys");
    });

    it("toggles a key off and on, and the API refuses and accepts it", async () => {
      const fullKey = await generateKey(page, "toggle-me", ["User: info"]);
      issuedKeys.add(fullKey);
      await page.getByRole("button", { name: "I have stored it" }).click();
      const row = keyRow(page, "toggle-me");
      const toggle = row.getByRole("switch", { name: "Enable key toggle-me" });
      await toggle.click();
      await row.getByText("Disabled").waitFor();
      expect(await toggle.getAttribute("aria-checked")).to.equal("false");
      const refused = await restAuthInfo(url, fullKey);
      expect([refused.status, refused.reason]).to.deep.equal([401, "API_KEY_DISABLED"]);
      await toggle.click();
      await row.getByText("Active").waitFor();
      expect((await restAuthInfo(url, fullKey)).status).to.equal(200);
    });

    it("edits a key's name, rights and expiry", async () => {
      const fullKey = await generateKey(page, "edit-me", ["User: info"]);
      issuedKeys.add(fullKey);
      await page.getByRole("button", { name: "I have stored it" }).click();
      await keyRow(page, "edit-me").getByRole("button", { name: "Edit edit-me" }).click();
      const dialog = page.getByRole("dialog", { name: "Edit API key edit-me" });
      await dialog.getByLabel("Name", { exact: true }).fill("edited");
      await dialog.getByRole("checkbox", { name: "User: settings basic" }).check();
      await dialog.getByLabel("Expires", { exact: true }).selectOption({ label: "In 30 days" });
      await expectAccessible(page, "edit dialog");
      await dialog.getByRole("button", { name: "Save changes" }).click();
      await dialog.waitFor({ state: "detached" });
      const row = keyRow(page, "edited");
      await row.waitFor();
      expect(await row.locator("td[data-label='Rights']").textContent()).to.equal("User: infoUser: settings basic");
      const info = (await restAuthInfo(url, fullKey)).body as { apiKey: { name: string; rights: string[]; expiresAt?: string } };
      expect(info.apiKey.name).to.equal("edited");
      expect(info.apiKey.rights).to.deep.equal(["RIGHT_USER_INFO", "RIGHT_USER_SETTINGS_BASIC"]);
      const days = (Date.parse(info.apiKey.expiresAt!) - Date.now()) / 86_400_000;
      expect(days).to.be.within(29.9, 30.1);
    });

    it("limits a key to networks, shows them and the last client, and a bad network gets the API's refusal", async () => {
      const fullKey = await generateKey(page, "net-me", ["User: info"]);
      issuedKeys.add(fullKey);
      await page.getByRole("button", { name: "I have stored it" }).click();
      expect((await restAuthInfo(url, fullKey)).status).to.equal(200); // used once from 127.0.0.1
      // Uses are written in batches about a second later (ARCHITECTURE.md, "Caches and the revocation feed"): wait for the API to show it.
      const keyId = fullKey.split(".")[1]!;
      for (let tries = 0; ; tries++) {
        const stored = (await (await fetch(`${url}/api/v1/users/admin/api-keys/${keyId}`, { headers: { authorization: `Bearer ${sut.admin}` } })).json()) as { lastUsedIp?: string };
        if (stored.lastUsedIp === "127.0.0.1") break;
        expect(tries, "the use is recorded within 5 s").to.be.below(50);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      await page.reload();
      const row = keyRow(page, "net-me");
      await row.locator("td[data-label='Last used']").getByText("from 127.0.0.1").waitFor();
      await row.getByRole("button", { name: "Edit net-me" }).click();
      const dialog = page.getByRole("dialog", { name: "Edit API key net-me" });
      await dialog.getByLabel("Allowed networks").fill("10.0.0.0/33");
      await dialog.getByRole("button", { name: "Save changes" }).click();
      expect(await dialog.getByRole("alert").textContent()).to.contain("allowed_ips");
      await dialog.getByLabel("Allowed networks").fill("10.0.0.0/8\n192.0.2.0/24");
      await dialog.getByRole("button", { name: "Save changes" }).click();
      await dialog.waitFor({ state: "detached" });
      await row.getByText("only from 10.0.0.0/8, 192.0.2.0/24").waitFor();
      const refused = await restAuthInfo(url, fullKey);
      expect([refused.status, refused.reason]).to.deep.equal([403, "API_KEY_IP_NOT_ALLOWED"]);
      await row.getByRole("button", { name: "Edit net-me" }).click();
      await dialog.getByLabel("Allowed networks").fill("");
      await dialog.getByRole("button", { name: "Save changes" }).click();
      await dialog.waitFor({ state: "detached" });
      expect((await restAuthInfo(url, fullKey)).status).to.equal(200);
    });

    it("shows the API's refusal in the dialog, as the API words it", async () => {
      await page.getByRole("button", { name: "Generate key" }).click();
      const dialog = page.getByRole("dialog", { name: "Generate API key" });
      await dialog.getByLabel("Name", { exact: true }).fill("no rights");
      await dialog.getByRole("button", { name: "Generate key" }).click();
      const message = (await dialog.getByRole("alert").textContent()) ?? "";
      const direct = await fetch(`${url}/api/v1/users/admin/api-keys`, {
        method: "POST",
        headers: { authorization: `Bearer ${sut.admin}`, "content-type": "application/json" },
        body: JSON.stringify({ name: "no rights", rights: [] }),
      });
      // The console shows the API's message with its `quoted` parts as code, without the backticks.
      expect(message).to.equal(((await direct.json()) as { message: string }).message.replace(/`/g, ""));
      await dialog.getByRole("button", { name: "Cancel" }).click();
    });

    it("regenerates without grace (old secret refused) and with grace (old secret still works)", async () => {
      const original = await generateKey(page, "rotate-me", ["User: info"]);
      issuedKeys.add(original);
      await page.getByRole("button", { name: "I have stored it" }).click();

      const regenerate = async (grace: string) => {
        await keyRow(page, "rotate-me").getByRole("button", { name: "Regenerate rotate-me" }).click();
        const dialog = page.getByRole("dialog", { name: "Regenerate rotate-me" });
        await dialog.getByLabel("Grace period for the old secret").selectOption({ label: grace });
        await expectAccessible(page, "regenerate dialog");
        await dialog.getByRole("button", { name: "Regenerate" }).click();
        const shown = page.getByRole("dialog", { name: "New secret for rotate-me" });
        const fresh = ((await shown.locator("code.secret").textContent()) ?? "").trim();
        issuedKeys.add(fresh);
        await shown.getByRole("button", { name: "I have stored it" }).click();
        await shown.waitFor({ state: "detached" });
        return fresh;
      };

      const second = await regenerate("None: the old secret stops working now");
      expect(second.split(".")[1]).to.equal(original.split(".")[1], "same key id");
      expect((await restAuthInfo(url, original)).status).to.equal(401);
      expect((await restAuthInfo(url, second)).status).to.equal(200);

      const third = await regenerate("1 hour");
      expect((await restAuthInfo(url, second)).status).to.equal(200, "the old secret works during the grace period");
      expect((await restAuthInfo(url, third)).status).to.equal(200);
      await keyRow(page, "rotate-me").getByText("old secret until").waitFor();
    });

    it("deletes a key only after confirmation", async () => {
      const fullKey = await generateKey(page, "delete-me", ["User: info"]);
      issuedKeys.add(fullKey);
      await page.getByRole("button", { name: "I have stored it" }).click();
      await keyRow(page, "delete-me").getByRole("button", { name: "Delete delete-me" }).click();
      let dialog = page.getByRole("dialog", { name: "Delete API key?" });
      await expectAccessible(page, "delete dialog");
      await dialog.getByRole("button", { name: "Cancel" }).click();
      await dialog.waitFor({ state: "detached" });
      expect((await restAuthInfo(url, fullKey)).status).to.equal(200, "cancel keeps the key");

      await keyRow(page, "delete-me").getByRole("button", { name: "Delete delete-me" }).click();
      dialog = page.getByRole("dialog", { name: "Delete API key?" });
      await dialog.getByRole("button", { name: "Delete key" }).click();
      await keyRow(page, "delete-me").waitFor({ state: "detached" });
      expect((await restAuthInfo(url, fullKey)).status).to.equal(401);
    });

    it("searches by name, filters by state and pages through the keys", async () => {
      for (let i = 1; i <= 25; i++) await sut.fx.key("admin", [Right.USER_INFO], { name: `batch-${String(i).padStart(2, "0")}` });
      await page.reload();
      await page.getByRole("heading", { level: 1, name: "My API keys" }).waitFor();
      const pager = page.getByRole("navigation", { name: "Pages of keys" });
      await pager.getByText(/^Showing 1–20 of \d+ keys$/).waitFor();
      await pager.getByRole("button", { name: "Next" }).click();
      await pager.getByText(/^Showing 21–\d+ of \d+ keys$/).waitFor();
      await pager.getByRole("button", { name: "Previous" }).click();
      await pager.getByText(/^Showing 1–20 of/).waitFor();

      await page.getByLabel("Search keys by name").fill("batch-1");
      await pager.getByText("10 keys", { exact: true }).waitFor();
      const names = await page.locator("tbody .key-name").allTextContents();
      expect(names).to.have.length(10);
      expect(names.every((name) => name.startsWith("batch-1"))).to.equal(true);

      await page.getByLabel("Search keys by name").fill("");
      await page.getByLabel("Filter by state").selectOption({ label: "Disabled" });
      await page.getByRole("cell", { name: "No key matches." }).waitFor();
      await page.getByLabel("Filter by state").selectOption({ label: "All states" });
      await pager.getByText(/^Showing 1–20 of/).waitFor();
    });
  });

  describe("signed in with a password", () => {
    const erinPassword = "correct horse battery";
    const newPassword = "staple battery horse correct";
    let laptop: BrowserContext;
    let phone: BrowserContext;
    after(async () => {
      await laptop?.close();
      await phone?.close();
    });

    /** Calls GetAuthInfo over REST with a session cookie, as a browser on `origin` would send it. */
    const withCookie = async (cookie: string, origin: string, site: string) =>
      (await fetch(`${url}/api/v1/auth_info`, { headers: { cookie: `keyward_session=${cookie}`, origin, "sec-fetch-site": site } })).status;

    it("a new install: sign in with admin.key, set a first password on the Account page, then sign in with it", async () => {
      await page.getByRole("link", { name: "Account" }).click();
      await page.getByRole("heading", { level: 2, name: "Set a password" }).waitFor();
      await page.getByLabel("New password", { exact: true }).fill("admin password 2026");
      await page.getByLabel("Repeat the new password").fill("admin password 2026");
      await page.getByRole("button", { name: "Set password" }).click();
      await page.getByText("Password set.", { exact: true }).waitFor();
      const fresh = await newPerson(browser);
      try {
        const freshPage = await fresh.newPage();
        await signInWithPassword(freshPage, url, "admin", "admin password 2026");
        expect(await freshPage.getByRole("link", { name: "Users" }).count()).to.equal(1);
      } finally {
        await fresh.close();
      }
    });

    it("an admin creates a user with a first password, who signs in; the cookie is HttpOnly and SameSite=Strict and no token is in storage", async () => {
      await page.goto(`${url}/#/users`);
      await page.getByRole("button", { name: "Create user" }).click();
      const dialog = page.getByRole("dialog", { name: "Create user" });
      await dialog.getByLabel("User id", { exact: true }).fill("erin");
      await dialog.getByLabel("Name", { exact: true }).fill("Erin Reyes");
      await dialog.getByLabel("First password").fill(erinPassword);
      await dialog.getByRole("button", { name: "Create user" }).click();
      await page.getByRole("heading", { level: 1, name: "Erin Reyes" }).waitFor();

      laptop = await newPerson(browser);
      const erin = await laptop.newPage();
      await signInWithPassword(erin, url, "erin", erinPassword);
      const cookies = await laptop.cookies();
      expect(cookies.map((c) => [c.name, c.httpOnly, c.sameSite, c.secure, c.path])).to.deep.equal([["keyward_session", true, "Strict", false, "/"]]);
      const token = cookies[0]!.value;
      expect(token).to.match(/^ONSXG\./);
      const storage = await storageOf(erin);
      expect(storage).to.deep.equal({ local: {}, session: {} });
      expect(await erin.evaluate(() => document.cookie)).to.equal("", "scripts cannot read the session cookie");
      expect(await erin.content()).to.not.contain(token.split(".")[2]);

      // The same cookie from another origin is not a credential (the CSRF defence); from this one it is.
      expect(await withCookie(token, "http://evil.example", "cross-site")).to.equal(401);
      expect(await withCookie(token, url, "same-origin")).to.equal(200);

      await erin.getByRole("link", { name: "Account" }).click();
      await erin.getByRole("heading", { level: 2, name: "Sessions" }).waitFor();
      await erin.getByText("this session", { exact: true }).waitFor();
      await expectAccessible(erin, "account");
      await screenshot(erin, "account");
    });

    it("changing the password with 'sign out my other sessions' ends the other browser's session", async () => {
      phone = await newPerson(browser, { width: 390, height: 844 });
      const erinPhone = await phone.newPage();
      await signInWithPassword(erinPhone, url, "erin", erinPassword);

      const erin = laptop.pages()[0]!;
      await erin.reload();
      await erin.locator("tbody tr[data-session-id]").nth(1).waitFor();
      expect(await erin.locator("tbody tr[data-session-id]").count()).to.equal(2);
      await erin.getByLabel("Current password").fill(erinPassword);
      await erin.getByLabel("New password", { exact: true }).fill(newPassword);
      await erin.getByLabel("Repeat the new password").fill(newPassword);
      await erin.getByRole("button", { name: "Change password" }).click();
      await erin.getByText("Password changed. Your other sessions have ended.").waitFor();
      await erin.locator("tbody tr[data-session-id]").nth(1).waitFor({ state: "detached" });

      await erinPhone.reload();
      await erinPhone.getByRole("heading", { name: "Sign in to Keyward" }).waitFor();
      expect(await erinPhone.getByRole("alert").count()).to.equal(1, "the ended session is explained");
      await erinPhone.getByRole("textbox", { name: "User id" }).fill("erin");
      await erinPhone.getByRole("textbox", { name: "Password", exact: true }).fill(erinPassword);
      await erinPhone.getByRole("button", { name: "Sign in", exact: true }).click();
      const failed = (await erinPhone.locator("form").getByRole("alert").textContent()) ?? "";
      const direct = await fetch(`${url}/api/v1/sessions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ userId: "erin", password: erinPassword }) });
      expect([failed, direct.status]).to.deep.equal([((await direct.json()) as { message: string }).message, 401], "the old password is refused, in the API's words");
      await signInWithPassword(erinPhone, url, "erin", newPassword);
    });

    it("signing out ends the session on the server", async () => {
      const erin = laptop.pages()[0]!;
      const token = (await laptop.cookies())[0]!.value;
      await erin.getByRole("button", { name: "Sign out" }).first().click();
      await erin.getByRole("heading", { name: "Sign in to Keyward" }).waitFor();
      expect(await withCookie(token, url, "same-origin")).to.equal(401);
      expect(await laptop.cookies()).to.deep.equal([], "signing out clears the cookie");
    });
  });

  describe("admins and other users", () => {
    it("an admin creates a user, opens their page and manages their keys", async () => {
      const mainNav = page.getByRole("navigation", { name: "Main" });
      await mainNav.getByRole("link", { name: "Users" }).click();
      await page.getByRole("heading", { level: 1, name: "Users" }).waitFor();
      await page.getByRole("button", { name: "Create user" }).click();
      const dialog = page.getByRole("dialog", { name: "Create user" });
      await dialog.getByLabel("User id", { exact: true }).fill("dana");
      await dialog.getByLabel("Name", { exact: true }).fill("Dana Scully");
      await dialog.getByLabel("Email", { exact: true }).fill("dana@example.com");
      await expectAccessible(page, "create user dialog");
      await dialog.getByRole("button", { name: "Create user" }).click();
      await page.getByRole("heading", { level: 1, name: "Dana Scully" }).waitFor();
      await expectAccessible(page, "user profile");
      await screenshot(page, "user-profile");

      await mainNav.getByRole("link", { name: "Users" }).click();
      await page.getByLabel("Search users by id, name or email").fill("dana");
      expect(await page.locator("tbody tr").count()).to.equal(1);
      await expectAccessible(page, "users");
      await screenshot(page, "users");
      await page.getByRole("link", { name: "dana" }).click();

      await page.getByRole("link", { name: "API keys", exact: true }).click();
      await page.getByRole("region", { name: "API keys of dana table" }).waitFor();
      const danaKey = await generateKey(page, "dana-laptop", ["Grant all current and future rights"]);
      issuedKeys.add(danaKey);
      await page.getByRole("button", { name: "I have stored it" }).click();
      const info = (await restAuthInfo(url, danaKey)).body as { user: { userId: string }; apiKey: { rights: string[] } };
      expect(info.user.userId).to.equal("dana");
      expect(info.apiKey.rights).to.deep.equal(["RIGHT_USER_ALL"], "a non-admin's 'all rights' is RIGHT_USER_ALL");
      await expectAccessible(page, "user keys");
      await screenshot(page, "user-keys");

      await page.getByRole("link", { name: "Profile", exact: true }).click();
      await page.getByRole("button", { name: "Suspend user" }).click();
      await page.getByText("suspended", { exact: true }).first().waitFor();
      expect((await restAuthInfo(url, danaKey)).reason).to.equal("USER_SUSPENDED");
      await page.getByRole("button", { name: "Reactivate user" }).click();
      await page.getByRole("button", { name: "Suspend user" }).waitFor();
      expect((await restAuthInfo(url, danaKey)).status).to.equal(200);
    });

    it("a non-admin sees no admin screens and is refused, in the API's words, when forcing one", async () => {
      const person = await newPerson(browser);
      try {
        const danaPage = await person.newPage();
        const danaKey = (await sut.fx.key("dana", [Right.USER_ALL], { name: "dana-console" })).key;
        await signInWithKey(danaPage, url, danaKey);
        expect(await danaPage.getByRole("navigation", { name: "Main" }).getByRole("link").allTextContents()).to.deep.equal(["My API keys", "Activity", "Account", "API docs"]);
        await danaPage.goto(`${url}/#/users/admin`);
        const refusal = (await danaPage.getByRole("alert").textContent()) ?? "";
        const direct = (await (await fetch(`${url}/api/v1/users/admin`, { headers: { authorization: `Bearer ${danaKey}` } })).json()) as { message: string };
        expect(refusal).to.equal(direct.message.replace(/`/g, ""));
        await danaPage.goto(`${url}/#/users`);
        expect(await danaPage.getByRole("alert").textContent()).to.match(/RIGHT_ADMIN_USERS_READ|permission|rights/i);
      } finally {
        await person.close();
      }
    });

    it("works at phone width", async () => {
      const phone = await newPerson(browser, { width: 390, height: 844 });
      try {
        const phonePage = await phone.newPage();
        await signInWithKey(phonePage, url, sut.admin);
        await phonePage.locator("tbody tr[data-key-id]").first().waitFor();
        const overflow = await phonePage.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
        expect(overflow, "no sideways scrolling").to.be.at.most(0);
        await expectAccessible(phonePage, "my keys at phone width");
        await screenshot(phonePage, "my-keys-phone");
      } finally {
        await phone.close();
      }
    });
  });
});
