/**
 * Tenants in the web console (ARCHITECTURE.md, "The web console"), in Debian's Chromium against the real
 * server: a system admin creates the tenant acme and its admin on the Tenants pages; acme's admin signs
 * in with a password, sees only acme's users, creates a user and a key for it; a globex user and a system
 * user are not found, in the API's words; deleting a tenant with users is refused and explained. Each
 * step is checked against the API itself too, not only against what the page says.
 */
import type { Browser, Page } from "playwright-core";
import { expect } from "chai";
import { Right } from "../../gen/keyward/v1/rights_pb.js";
import { useServer } from "../e2e/support/server-process.js";
import { issuedKeys } from "../e2e/support/secret-scan.js";
import { PACKAGES, requirePackages } from "../support/test-packages.js";
import { expectAccessible, launchBrowser, newPerson, screenshot } from "./support/browser.js";
import { generateKey, restAuthInfo, signInWithKey, signInWithPassword } from "./support/console-page.js";

const ACME_ADMIN_PASSWORD = "acme admin password 2026";

describe("web console: tenants (real browser)", function () {
  this.timeout(120_000);
  before(function () {
    requirePackages(this, "test/console", PACKAGES.chromium);
  });
  const sut = useServer();
  let browser: Browser;
  let system: Page;
  let url: string;

  /** A REST call as `key`: the status, the reason of a refusal, and the body. */
  async function rest(key: string, path: string, init: RequestInit = {}): Promise<{ status: number; reason: string | undefined; body: Record<string, any> }> {
    const response = await fetch(`${url}${path}`, { ...init, headers: { authorization: `Bearer ${key}`, "content-type": "application/json", ...init.headers } });
    const body = (await response.json()) as Record<string, any>;
    return { status: response.status, reason: body.details?.[0]?.reason, body };
  }

  /** The console's way of showing an API message: its `quoted` parts as code, without the backticks. */
  const shown = (message: string) => message.replace(/`/g, "");

  before(async () => {
    url = sut.server.httpUrl;
    browser = await launchBrowser();
    system = await (await newPerson(browser)).newPage();
    await signInWithKey(system, url, sut.admin);
    // globex, its user and a system user exist beforehand, made through the API.
    expect((await rest(sut.admin, "/api/v1/tenants", { method: "POST", body: JSON.stringify({ tenantId: "globex", name: "Globex" }) })).status).to.equal(200);
    expect((await rest(sut.admin, "/api/v1/users", { method: "POST", body: JSON.stringify({ userId: "globex-ops", tenantId: "globex" }) })).status).to.equal(200);
    expect((await rest(sut.admin, "/api/v1/users", { method: "POST", body: JSON.stringify({ userId: "system-ops" }) })).status).to.equal(200);
  });
  after(async () => {
    await browser?.close();
  });

  it("a system admin sees Tenants in the navigation, creates acme, and creates its admin with a password on acme's page", async () => {
    const nav = system.getByRole("navigation", { name: "Main" });
    expect(await nav.getByRole("link").allTextContents()).to.deep.equal(["My API keys", "Activity", "Users", "Tenants", "Webhooks", "Account", "API docs"]);
    await system.getByRole("button", { name: "Generate key" }).click();
    const generate = system.getByRole("dialog", { name: "Generate API key" });
    await generate.getByRole("checkbox", { name: /^Admin: tenants/ }).waitFor();
    await generate.getByRole("button", { name: "Cancel" }).click();
    await nav.getByRole("link", { name: "Tenants" }).click();
    await system.getByRole("heading", { level: 1, name: "Tenants" }).waitFor();
    await system.locator("tbody tr[data-tenant-id='globex']").waitFor();

    await system.getByRole("button", { name: "Create tenant" }).click();
    const create = system.getByRole("dialog", { name: "Create tenant" });
    await create.getByLabel("Tenant id", { exact: true }).fill("acme");
    await create.getByLabel("Name", { exact: true }).fill("Acme Corp");
    await expectAccessible(system, "create tenant dialog");
    await create.getByRole("button", { name: "Create tenant" }).click();
    await system.getByRole("heading", { level: 1, name: "Acme Corp" }).waitFor();
    await system.getByRole("cell", { name: /No users in this tenant yet/ }).waitFor();
    expect((await rest(sut.admin, "/api/v1/tenants/acme")).body).to.include({ tenantId: "acme", name: "Acme Corp" });

    await system.getByRole("button", { name: "Create user" }).click();
    const dialog = system.getByRole("dialog", { name: "Create user in acme" });
    expect(await dialog.textContent()).to.contain("The user is created in the tenant acme and stays there.");
    await dialog.getByLabel("User id", { exact: true }).fill("acme-admin");
    await dialog.getByLabel("Name", { exact: true }).fill("Acme Admin");
    await dialog.getByLabel("First password").fill(ACME_ADMIN_PASSWORD);
    await dialog.getByRole("checkbox", { name: /^Admin of acme/ }).check();
    await expectAccessible(system, "create user in a tenant dialog");
    await dialog.getByRole("button", { name: "Create user" }).click();
    await system.getByRole("heading", { level: 1, name: "Acme Admin" }).waitFor();
    const stored = (await rest(sut.admin, "/api/v1/users/acme-admin")).body;
    expect(stored).to.include({ userId: "acme-admin", tenantId: "acme", admin: true, hasPassword: true });
    await system.getByText("Tenant", { exact: true }).waitFor();
    expect(await system.locator(".facts").textContent()).to.contain("Tenantacme");
  });

  it("the system admin's Tenants page lists every tenant with paging; a tenant's page lists its users only", async () => {
    await system.goto(`${url}/#/tenants`);
    const pager = system.getByRole("navigation", { name: "Pages of tenants" });
    await pager.getByText("2 tenants", { exact: true }).waitFor();
    expect(await system.locator("tbody tr[data-tenant-id]").evaluateAll((rows) => rows.map((row) => row.getAttribute("data-tenant-id")))).to.deep.equal(["acme", "globex"]);
    await expectAccessible(system, "tenants");
    await screenshot(system, "tenants");

    await system.getByRole("link", { name: "globex" }).click();
    await system.getByRole("heading", { level: 1, name: "Globex" }).waitFor();
    const table = system.getByRole("region", { name: "Users of globex table" });
    await table.locator("tr[data-user-id='globex-ops']").waitFor();
    expect(await table.locator("tbody tr[data-user-id]").count()).to.equal(1);
    await expectAccessible(system, "a tenant's page");

    // The Users page shows every user with its tenant.
    await system.goto(`${url}/#/users`);
    const row = system.locator("tbody tr[data-user-id='globex-ops']");
    await row.waitFor();
    expect(await row.locator("td[data-label='Tenant']").textContent()).to.equal("globex");
    expect(await system.locator("tbody tr[data-user-id='admin'] td[data-label='Tenant']").textContent()).to.equal("—");
  });

  it("a system admin picks the tenant when creating a user on the Users page", async () => {
    await system.goto(`${url}/#/users`);
    await system.getByRole("button", { name: "Create user" }).click();
    const dialog = system.getByRole("dialog", { name: "Create user" });
    await dialog.getByLabel("User id", { exact: true }).fill("globex-billing");
    const tenant = dialog.getByRole("combobox", { name: /^Tenant/ });
    await tenant.locator("option[value='globex']").waitFor({ state: "attached" });
    expect(await tenant.locator("option").allTextContents()).to.deep.equal(["None: a system user", "Acme Corp (acme)", "Globex (globex)"]);
    await tenant.selectOption("globex");
    await expectAccessible(system, "create user dialog with tenants");
    await dialog.getByRole("button", { name: "Create user" }).click();
    await system.getByRole("heading", { level: 1, name: "globex-billing" }).waitFor();
    expect((await rest(sut.admin, "/api/v1/users/globex-billing")).body.tenantId).to.equal("globex");
  });

  it("acme's admin signs in with a password, sees only acme's users, creates a user and a key for it", async () => {
    const person = await newPerson(browser);
    try {
      const acme = await person.newPage();
      await signInWithPassword(acme, url, "acme-admin", ACME_ADMIN_PASSWORD);
      const nav = acme.getByRole("navigation", { name: "Main" });
      expect(await nav.getByRole("link").allTextContents()).to.deep.equal(["My API keys", "Activity", "Users", "Webhooks", "Account", "API docs"], "no Tenants for a tenant admin");
      expect(await acme.locator(".whoami-name").textContent()).to.contain("tenant admin").and.contain("Acme Corp");
      // A tenant admin's keys are offered the admin rights it may hold, never managing tenants.
      await acme.getByRole("button", { name: "Generate key" }).click();
      const generate = acme.getByRole("dialog", { name: "Generate API key" });
      await generate.getByRole("checkbox", { name: /^Admin: users write/ }).waitFor();
      expect(await generate.getByRole("checkbox", { name: /^Admin: tenants/ }).count()).to.equal(0);
      await generate.getByRole("button", { name: "Cancel" }).click();

      await nav.getByRole("link", { name: "Users" }).click();
      await acme.getByRole("heading", { level: 1, name: "Users" }).waitFor();
      expect(await acme.locator(".page-head").textContent()).to.contain("The users of the tenant Acme Corp (acme), which you administer.");
      await acme.locator("tbody tr[data-user-id='acme-admin']").waitFor();
      expect(await acme.getByRole("columnheader").allTextContents()).to.not.include("Tenant");

      await acme.getByRole("button", { name: "Create user" }).click();
      const dialog = acme.getByRole("dialog", { name: "Create user in acme" });
      expect(await dialog.getByRole("combobox", { name: /^Tenant/ }).count(), "a tenant admin does not choose a tenant").to.equal(0);
      await dialog.getByLabel("User id", { exact: true }).fill("acme-billing");
      await dialog.getByLabel("Name", { exact: true }).fill("Acme Billing");
      await expectAccessible(acme, "a tenant admin's create user dialog");
      await dialog.getByRole("button", { name: "Create user" }).click();
      await acme.getByRole("heading", { level: 1, name: "Acme Billing" }).waitFor();
      expect((await rest(sut.admin, "/api/v1/users/acme-billing")).body.tenantId).to.equal("acme", "created in the tenant admin's tenant");

      // Only acme's users, as the API lists them for this caller: globex's and the system's are absent.
      await nav.getByRole("link", { name: "Users" }).click();
      await acme.locator("tbody tr[data-user-id='acme-billing']").waitFor();
      const ids = await acme.locator("tbody tr[data-user-id]").evaluateAll((rows) => rows.map((row) => row.getAttribute("data-user-id")));
      expect([...ids].sort()).to.deep.equal(["acme-admin", "acme-billing"]);
      await acme.getByRole("navigation", { name: "Pages of users" }).getByText("2 users", { exact: true }).waitFor();
      await expectAccessible(acme, "a tenant admin's users");
      await screenshot(acme, "tenant-admin-users");

      // The key screens work unchanged inside the tenant.
      await acme.getByRole("link", { name: "acme-billing" }).click();
      await acme.getByRole("link", { name: "API keys", exact: true }).click();
      await acme.getByRole("region", { name: "API keys of acme-billing table" }).waitFor();
      const key = await generateKey(acme, "acme-billing-prod", ["User: info"]);
      issuedKeys.add(key);
      await acme.getByRole("button", { name: "I have stored it" }).click();
      const info = await restAuthInfo(url, key);
      expect(info.status).to.equal(200);
      expect(info.body).to.deep.include({ rights: ["RIGHT_USER_INFO"] });
      expect((info.body.user as { userId: string; tenantId: string })).to.include({ userId: "acme-billing", tenantId: "acme" });
      await expectAccessible(acme, "a tenant user's keys");
    } finally {
      await person.close();
    }
  });

  it("acme's admin sees everyone's Activity in acme only, as the API lists it, and Webhooks says it serves acme's activity", async () => {
    const { key } = await sut.fx.key("acme-admin", [Right.ALL], { name: "acme-admin-activity" });
    issuedKeys.add(key);
    const person = await newPerson(browser);
    try {
      const acme = await person.newPage();
      await signInWithKey(acme, url, key);
      await acme.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Activity" }).click();
      await acme.getByRole("switch", { name: "Show everyone in Acme Corp" }).click();
      const table = acme.getByRole("region", { name: "Activity table" });
      await table.locator("tbody tr[data-event-id]").first().waitFor();
      const direct = await rest(key, "/api/v1/events");
      expect(direct.status).to.equal(200);
      const ids = await table.locator("tbody tr[data-event-id]").evaluateAll((rows) => rows.map((row) => row.getAttribute("data-event-id")));
      expect(ids).to.deep.equal(direct.body.events.map((event: { id: string }) => event.id));
      const subjects = await table.locator("tbody td[data-label='Subject']").allTextContents();
      expect(subjects.filter((subject) => !subject.includes("tenant acme")), "only acme's events").to.deep.equal([]);
      expect(subjects.some((subject) => subject.includes("user acme-billing")), "acme-billing's creation is there").to.equal(true);
      await expectAccessible(acme, "a tenant admin's activity");

      // A tenant admin's webhooks receive acme's events; the page says so.
      await acme.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Webhooks" }).click();
      await acme.getByRole("heading", { level: 1, name: "Webhooks" }).waitFor();
      expect(await acme.locator(".page-head").textContent()).to.contain("the activity of Acme Corp");
    } finally {
      await person.close();
    }
  });

  it("for acme's admin, a globex user and a system user are not found, in the API's words, and Tenants is refused", async () => {
    const { key } = await sut.fx.key("acme-admin", [Right.ALL], { name: "acme-admin-all" });
    const person = await newPerson(browser);
    try {
      const acme = await person.newPage();
      await signInWithKey(acme, url, key);
      for (const target of ["globex-ops", "system-ops", "admin"]) {
        const direct = await rest(key, `/api/v1/users/${target}`);
        expect([direct.status, direct.reason], target).to.deep.equal([404, "USER_NOT_FOUND"]);
        for (const path of [`#/users/${target}`, `#/users/${target}/keys`]) {
          await acme.goto(`${url}/${path}`);
          const alert = acme.getByRole("alert");
          await alert.waitFor();
          expect(await alert.textContent(), path).to.equal(shown(direct.body.message));
          expect(await acme.getByRole("link", { name: "API keys", exact: true }).count(), "no tabs for a user not found").to.equal(0);
        }
      }
      await acme.goto(`${url}/#/users/globex-ops`);
      await acme.getByRole("alert").waitFor();
      await expectAccessible(acme, "a user outside the tenant");

      const refused = await rest(key, "/api/v1/tenants");
      expect([refused.status, refused.reason]).to.deep.equal([403, "INSUFFICIENT_RIGHTS"]);
      await acme.goto(`${url}/#/tenants`);
      const alert = acme.getByRole("alert");
      await alert.waitFor();
      expect(await alert.textContent()).to.equal(shown(refused.body.message));
      expect(await acme.getByRole("button", { name: "Create tenant" }).count()).to.equal(0);
    } finally {
      await person.close();
    }
  });

  it("deleting a tenant that has users is refused with the reason explained; an empty tenant is deleted", async () => {
    await system.goto(`${url}/#/tenants/acme`);
    await system.getByRole("heading", { level: 1, name: "Acme Corp" }).waitFor();
    await system.getByRole("button", { name: "Delete tenant" }).click();
    const dialog = system.getByRole("dialog", { name: "Delete tenant?" });
    await dialog.getByRole("button", { name: "Delete tenant" }).click();
    const alert = dialog.getByRole("alert");
    await alert.waitFor();
    const direct = await rest(sut.admin, "/api/v1/tenants/acme", { method: "DELETE" });
    expect([direct.status, direct.reason]).to.deep.equal([400, "TENANT_NOT_EMPTY"]);
    expect(await alert.textContent()).to.equal(shown(direct.body.message));
    expect(await dialog.textContent()).to.contain("This tenant still has users, so it was not deleted.");
    await expectAccessible(system, "tenant not empty");
    await dialog.getByRole("button", { name: "Cancel" }).click();
    expect((await rest(sut.admin, "/api/v1/tenants/acme")).status).to.equal(200, "acme is still there");

    await system.goto(`${url}/#/tenants`);
    await system.getByRole("button", { name: "Create tenant" }).click();
    const create = system.getByRole("dialog", { name: "Create tenant" });
    await create.getByLabel("Tenant id", { exact: true }).fill("initech");
    await create.getByRole("button", { name: "Create tenant" }).click();
    await system.getByRole("heading", { level: 1, name: "initech" }).waitFor();
    await system.getByRole("button", { name: "Delete tenant" }).click();
    await system.getByRole("dialog", { name: "Delete tenant?" }).getByRole("button", { name: "Delete tenant" }).click();
    await system.getByRole("heading", { level: 1, name: "Tenants" }).waitFor();
    await system.locator("tbody tr[data-tenant-id='initech']").waitFor({ state: "detached" });
    expect((await rest(sut.admin, "/api/v1/tenants/initech")).reason).to.equal("TENANT_NOT_FOUND");
  });
});
