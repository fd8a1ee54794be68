/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// Code passed to page.evaluate runs in the browser and is typed with the DOM library.
/**
 * What the console says and how it lays it out, as a newcomer found it: rights described for people, not
 * in the API's jargon; "Password set." for a first password; the API's messages without Markdown
 * backticks; "1 key" rather than "Showing 1–1 of 1 keys"; key ids on one line; the Generate dialog fitting
 * a 1280×800 screen; a non-admin at #/users seeing only the refusal; and a fresh load that logs nothing
 * in the browser's console. Debian's Chromium against the real server, axe-core on each screen.
 */
import type { Page } from "playwright-core";
import { expect } from "chai";
import { Right } from "../../gen/keyward/v1/rights_pb.js";
import { useServer } from "../e2e/support/server-process.js";
import { expectAccessible, newPerson, useBrowser } from "./support/browser.js";
import { keyRow, signInWithKey } from "./support/console-page.js";

/** Words of the API's reference that mean nothing to a person choosing a key's rights. */
const JARGON = /universe|grant rule|pseudo|RIGHT_|`/i;

describe("web console wording and layout (real browser)", function () {
  this.timeout(120_000);
  const sut = useServer();
  const chromium = useBrowser();
  let page: Page;
  let url: string;

  before(async () => {
    url = sut.server.httpUrl;
    page = await (await newPerson(chromium.browser)).newPage();
    await signInWithKey(page, url, sut.admin);
  });

  /** A fresh browser profile for one test, closed after it. */
  async function withPerson<T>(use: (page: Page) => Promise<T>): Promise<T> {
    const person = await newPerson(chromium.browser);
    try {
      return await use(await person.newPage());
    } finally {
      await person.close();
    }
  }

  it("a fresh load, and signing out, log no error in the browser's console: asking who is signed in is not a failed request", async () => {
    await withPerson(async (fresh) => {
      const errors: string[] = [];
      fresh.on("console", (message) => {
        if (message.type() === "error") errors.push(message.text());
      });
      fresh.on("response", (response) => {
        if (response.status() >= 400) errors.push(`${response.status()} ${response.url()}`);
      });
      await fresh.goto(`${url}/`);
      await fresh.getByRole("heading", { name: "Sign in to Keyward" }).waitFor();
      await fresh.waitForLoadState("networkidle");
      expect(errors, "on a fresh load").to.deep.equal([]);
      expect(await fresh.getByRole("alert").count(), "being signed out is not news").to.equal(0);

      await signInWithKey(fresh, url, sut.admin);
      await fresh.getByRole("button", { name: "Sign out" }).first().click();
      await fresh.getByRole("heading", { name: "Sign in to Keyward" }).waitFor();
      await fresh.waitForLoadState("networkidle");
      expect(errors, "after signing out").to.deep.equal([]);
    });
  });

  /** The admin's "My API keys", loaded afresh (the pasted key stays in the tab). */
  async function myKeys(): Promise<void> {
    await page.goto(`${url}/#/keys`);
    await page.reload();
    await page.getByRole("heading", { level: 1, name: "My API keys" }).waitFor();
  }

  it("describes rights for people, not in the API's jargon", async () => {
    await myKeys();
    await page.getByRole("button", { name: "Generate key" }).click();
    const dialog = page.getByRole("dialog", { name: "Generate API key" });
    const rights = dialog.getByRole("group", { name: "Rights", exact: true });
    const helps = await rights.locator(".check-help").allTextContents();
    expect(helps).to.have.length.at.least(9);
    for (const help of helps) expect(help, help).to.not.match(JARGON).and.not.equal("");
    const all = rights.locator("label", { hasText: "Grant all current and future rights" });
    expect(await all.locator(".check-help").textContent()).to.equal("Everything this user can do, now and in future versions.");
    await dialog.getByRole("button", { name: "Cancel" }).click();
  });

  it("fits the Generate dialog, with its button, on a 1280×800 screen without scrolling", async () => {
    await myKeys();
    await page.getByRole("button", { name: "Generate key" }).click();
    const dialog = page.getByRole("dialog", { name: "Generate API key" });
    await dialog.waitFor();
    const fit = await dialog.evaluate((element) => ({ scroll: element.scrollHeight, client: element.clientHeight }));
    expect(fit.scroll, "the dialog's content fits in it").to.be.at.most(fit.client);
    const button = (await dialog.getByRole("button", { name: "Generate key" }).boundingBox())!;
    expect(button.y + button.height, "the button is on the screen").to.be.at.most(800);
    await expectAccessible(page, "generate dialog");
    await dialog.getByRole("button", { name: "Cancel" }).click();
  });

  it("keeps a key id on one line, cut with an ellipsis, with the whole id in its title", async () => {
    const { apiKey } = await sut.fx.key("admin", [Right.USER_INFO], { name: "one-line-id" });
    await myKeys();
    const id = keyRow(page, "one-line-id").locator(".key-id");
    await id.waitFor();
    const shown = await id.evaluate((element) => {
      const style = getComputedStyle(element);
      return { lines: Math.round(element.getBoundingClientRect().height / parseFloat(style.lineHeight)), overflow: style.textOverflow, text: element.textContent };
    });
    expect(shown).to.deep.equal({ lines: 1, overflow: "ellipsis", text: apiKey.id });
    expect(await id.getAttribute("title")).to.contain(apiKey.id);
  });

  it("counts keys in plain words: '1 key' on one page, 'Showing 21 of 21 keys' on the last of several", async () => {
    const userId = await sut.fx.user();
    await sut.fx.key(userId, [Right.USER_INFO], { name: "only-key" });
    await page.goto(`${url}/#/users/${userId}/keys`);
    const pager = page.getByRole("navigation", { name: "Pages of keys" });
    await pager.getByText("1 key", { exact: true }).waitFor();

    for (let i = 2; i <= 21; i++) await sut.fx.key(userId, [Right.USER_INFO], { name: `key-${i}` });
    await page.reload();
    await pager.getByText("Showing 1–20 of 21 keys", { exact: true }).waitFor();
    await pager.getByRole("button", { name: "Next" }).click();
    await pager.getByText("Showing 21 of 21 keys", { exact: true }).waitFor();
  });

  it("says 'Password set.' for a first password, and names ended sessions only when some were ended", async () => {
    await page.goto(`${url}/#/account`);
    await page.getByRole("heading", { level: 2, name: "Set a password" }).waitFor();
    await page.getByLabel("New password", { exact: true }).fill("first password 2026");
    await page.getByLabel("Repeat the new password").fill("first password 2026");
    await page.getByRole("button", { name: "Set password" }).click();
    await page.getByRole("status").getByText("Password set.", { exact: true }).waitFor();

    // Signed in with a key, the admin has no password session: changing the password ends none.
    await page.getByLabel("Current password").fill("first password 2026");
    await page.getByLabel("New password", { exact: true }).fill("second password 2026");
    await page.getByLabel("Repeat the new password").fill("second password 2026");
    expect(await page.getByLabel("Sign out my other sessions").isChecked()).to.equal(true);
    await page.getByRole("button", { name: "Change password" }).click();
    await page.getByRole("status").getByText("Password changed.", { exact: true }).waitFor();
    await expectAccessible(page, "account after a password change");
  });

  it("shows the API's messages without Markdown backticks, the quoted parts as code", async () => {
    await page.goto(`${url}/#/users/nobody-here`);
    const alert = page.getByRole("alert");
    await alert.waitFor();
    const direct = (await (await fetch(`${url}/api/v1/users/nobody-here`, { headers: { authorization: `Bearer ${sut.admin}` } })).json()) as { message: string };
    expect(direct.message, "the API quotes the id").to.contain("`nobody-here`");
    expect(await alert.textContent()).to.equal(direct.message.replace(/`/g, ""));
    expect(await alert.locator("code").allTextContents()).to.deep.equal(["nobody-here"]);
  });

  it("shows a non-admin at #/users only the refusal: no search, table or paging around it", async () => {
    const userId = await sut.fx.user();
    const { key } = await sut.fx.key(userId, [Right.USER_ALL], { name: "not-an-admin" });
    await withPerson(async (person) => {
      await signInWithKey(person, url, key);
      await person.goto(`${url}/#/users`);
      const alert = person.getByRole("alert");
      await alert.waitFor();
      const direct = (await (await fetch(`${url}/api/v1/users`, { headers: { authorization: `Bearer ${key}` } })).json()) as { message: string };
      expect(await alert.textContent()).to.equal(direct.message.replace(/`/g, ""));
      expect(await person.getByRole("heading", { level: 1, name: "Users" }).count()).to.equal(1);
      expect(await person.getByRole("searchbox").count(), "no search").to.equal(0);
      expect(await person.getByRole("table").count(), "no table").to.equal(0);
      expect(await person.getByRole("navigation", { name: "Pages of users" }).count(), "no paging").to.equal(0);
      expect(await person.getByRole("button", { name: "Open user id" }).count()).to.equal(0);
      await expectAccessible(person, "users, refused");
    });
  });
});
