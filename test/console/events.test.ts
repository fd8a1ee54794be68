/**
 * Events in the web console (ARCHITECTURE.md, "Events" and "The web console"), in Debian's Chromium against
 * the real server: a user signed in with a password creates a key, disables it, has it used with a wrong
 * secret (over REST) and deletes it, and Activity shows the four kinds of event with who did them and from
 * where; a key's history shows that key's events only; an admin switches Activity to everyone; an admin
 * creates a webhook (its secret shown once, gone after a reload), sends a test to a receiver on 127.0.0.1
 * and sees deliveries counted; a non-admin has no Webhooks entry and is refused at its address. Each step
 * is checked against the API too, not only against what the page says.
 */
import { createHmac } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Browser, Page } from "playwright-core";
import { expect } from "chai";
import { Right } from "../../gen/keyward/v1/rights_pb.js";
import { generateKey } from "../../src/keys/index.js";
import { useServer } from "../e2e/support/server-process.js";
import { issuedKeys } from "../e2e/support/secret-scan.js";
import { PACKAGES, requirePackages } from "../support/test-packages.js";
import { expectAccessible, launchBrowser, newPerson, screenshot } from "./support/browser.js";
import { generateKey as generateKeyInConsole, keyRow, signInWithKey, signInWithPassword } from "./support/console-page.js";

const ERIN_PASSWORD = "erin events password 2026";

/** One request a webhook receiver got. */
interface Received {
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** A webhook receiver on 127.0.0.1 answering `status()` to every POST, keeping what it got. */
async function startReceiver(status: () => number): Promise<{ server: Server; url: string; received: Received[] }> {
  const received: Received[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      received.push({ headers: request.headers, body: Buffer.concat(chunks).toString("utf8") });
      response.writeHead(status(), { "content-type": "text/plain" }).end("ok");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, received };
}

/** Polls `check` every 200 ms until it returns a value, for at most `ms`. */
async function eventually<T>(what: string, check: () => Promise<T | undefined>, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > end) expect.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe("web console: activity, a key's history and webhooks (real browser)", function () {
  this.timeout(120_000);
  before(function () {
    requirePackages(this, "test/console", PACKAGES.chromium);
  });
  // A short window, so a refused credential is written as its auth.fail event within a second.
  // The receiver is on 127.0.0.1, which webhooks reach only when the operator lists it.
  const sut = useServer({ args: ["--auth-fail-window", "1s", "--webhook-target-networks", "127.0.0.1/32"] });
  let browser: Browser;
  let url: string;
  let erin: Page;
  const receivers: Server[] = [];

  /** A REST call as `key`: the status, the reason of a refusal, and the body. */
  async function rest(key: string, path: string, init: RequestInit = {}): Promise<{ status: number; reason: string | undefined; body: Record<string, any> }> {
    const response = await fetch(`${url}${path}`, { ...init, headers: { authorization: `Bearer ${key}`, "content-type": "application/json", ...init.headers } });
    const body = (await response.json()) as Record<string, any>;
    return { status: response.status, reason: body.details?.[0]?.reason, body };
  }

  /** The events the API lists for `query`, newest first. */
  async function apiEvents(query: string): Promise<Array<Record<string, any>>> {
    const answer = await rest(sut.admin, `/api/v1/events?${query}`);
    expect(answer.status, JSON.stringify(answer.body)).to.equal(200);
    return (answer.body.events ?? []) as Array<Record<string, any>>;
  }

  /** The rows of an events table: id, type and the text of each cell. */
  async function eventRows(page: Page, table: string): Promise<Array<{ id: string; type: string; cells: Record<string, string> }>> {
    return page.getByRole("region", { name: `${table} table` }).locator("tbody tr[data-event-id]").evaluateAll((rows) =>
      rows.map((row) => ({
        id: row.getAttribute("data-event-id")!,
        type: row.getAttribute("data-event-type")!,
        cells: Object.fromEntries([...row.querySelectorAll("td")].map((cell) => [cell.getAttribute("data-label") ?? "", (cell.textContent ?? "").trim()])),
      })),
    );
  }

  before(async () => {
    url = sut.server.httpUrl;
    browser = await launchBrowser();
    expect((await rest(sut.admin, "/api/v1/users", { method: "POST", body: JSON.stringify({ userId: "erin", name: "Erin", password: ERIN_PASSWORD }) })).status).to.equal(200);
    erin = await (await newPerson(browser)).newPage();
    await signInWithPassword(erin, url, "erin", ERIN_PASSWORD);
  });
  after(async () => {
    await browser?.close();
    for (const server of receivers) server.close();
  });

  let deletedKeyId = "";
  /** The counts of the deleted key's auth.fail events, newest first. */
  let refusedCounts: number[] = [];

  it("a user's key created, disabled, used with a wrong secret and deleted shows up in Activity as four kinds of event, with actor and client address", async () => {
    const nav = erin.getByRole("navigation", { name: "Main" });
    expect(await nav.getByRole("link").allTextContents()).to.deep.equal(["My API keys", "Activity", "Account", "API docs"], "Activity, and no admin screen, for a user");

    const fullKey = await generateKeyInConsole(erin, "deploy-bot", ["User: info"]);
    issuedKeys.add(fullKey);
    await erin.getByRole("button", { name: "I have stored it" }).click();
    const keyId = fullKey.split(".")[1]!;
    deletedKeyId = keyId;
    await keyRow(erin, "deploy-bot").getByRole("switch", { name: "Enable key deploy-bot" }).click();
    await keyRow(erin, "deploy-bot").getByText("Disabled", { exact: true }).waitFor();

    // Three refusals of one wrong secret (well formed, checksum and all) from one address: counted, not
    // repeated: one auth.fail event with a count per window (two if the three straddle a window's end).
    const wrong = generateKey(keyId).key;
    const statuses = await Promise.all([0, 1, 2].map(async () => (await rest(wrong, "/api/v1/auth_info")).status));
    expect(statuses).to.deep.equal([401, 401, 401]);
    const refusals = await eventually("the auth.fail events counting three", async () => {
      const events = await apiEvents(`user_id=erin&type=auth.fail`);
      return events.reduce((sum, event) => sum + event.count, 0) === 3 ? events : undefined;
    });
    for (const refused of refusals) {
      expect(refused.subject).to.deep.include({ userId: "erin", apiKeyId: keyId });
      expect(refused.client.address).to.equal("127.0.0.1");
    }
    refusedCounts = refusals.map((event) => event.count as number);

    await keyRow(erin, "deploy-bot").getByRole("button", { name: "Delete deploy-bot" }).click();
    await erin.getByRole("dialog", { name: "Delete API key?" }).getByRole("button", { name: "Delete key" }).click();
    await erin.getByRole("cell", { name: /No API keys yet/ }).waitFor();

    await nav.getByRole("link", { name: "Activity" }).click();
    await erin.getByRole("heading", { level: 1, name: "Activity" }).waitFor();
    const table = erin.getByRole("region", { name: "Activity table" });
    await table.locator("tbody tr[data-event-type='api_key.delete']").waitFor();
    const rows = await eventRows(erin, "Activity");
    const fromApi = await apiEvents("user_id=erin");
    expect(rows.map((row) => row.id), "the page lists what the API lists, newest first").to.deep.equal(fromApi.map((event) => event.id));
    const keyRows = rows.filter((row) => row.cells.Subject?.includes(keyId));
    expect(keyRows.map((row) => row.type)).to.deep.equal(["api_key.delete", ...refusedCounts.map(() => "auth.fail"), "api_key.update", "api_key.create"]);
    const [deleted, created, disabled] = [keyRows[0]!, keyRows.at(-1)!, keyRows.at(-2)!];
    const failed = keyRows.slice(1, -2);

    expect(created.cells.Event).to.equal("API key created");
    expect(created.cells.Changes).to.contain("Rights: User: info").and.contain("State: Active");
    expect(disabled.cells.Event).to.equal("API key disabled");
    expect(disabled.cells.Changes).to.equal("State: Active → Disabled");
    expect(deleted.cells.Event).to.equal("API key deleted");
    for (const row of [created, disabled, deleted]) {
      expect(row.cells.Actor, row.type).to.equal("erin (you)with a password session");
      expect(row.cells.Client, row.type).to.match(/^127\.0\.0\.1/);
      expect(row.cells.Client, "the browser's user agent").to.contain("Chrome");
    }
    failed.forEach((row, i) => {
      expect(row.cells.Event).to.match(/^Credential refusedwrong or unknown API key/);
      if (refusedCounts[i]! > 1) expect(row.cells.Event).to.match(new RegExp(`${refusedCounts[i]} times$`));
      else expect(row.cells.Event).to.not.contain("times");
      expect(row.cells.Client).to.equal("127.0.0.1node");
      expect(row.cells.Actor, "a refused credential identifies nobody").to.equal("Not identified");
      expect(row.cells.Subject).to.contain(`key ${keyId}`);
    });
    // The user's creation (by the admin) and erin's sign-in are there too, oldest last.
    expect(rows.slice(-2).map((row) => [row.type, row.cells.Actor?.replace(/with .*/, "")])).to.deep.equal([
      ["session.create", "erin (you)"],
      ["user.create", "admin"],
    ]);
    await expectAccessible(erin, "activity");
    await screenshot(erin, "activity");

    // Filtering by kind asks the API for that type prefix.
    await erin.getByLabel("Filter by kind of event").selectOption({ label: "Refused credentials" });
    await table.locator("tbody tr[data-event-type='api_key.create']").waitFor({ state: "detached" });
    await table.locator("tbody tr[data-event-type='auth.fail']").first().waitFor();
    expect((await eventRows(erin, "Activity")).map((row) => row.type)).to.deep.equal(refusedCounts.map(() => "auth.fail"));
    await erin.getByLabel("Filter by kind of event").selectOption({ label: "Tenants" });
    await erin.getByRole("cell", { name: "No event matches." }).waitFor();
  });

  it("pages Activity with 'Load more', newest first", async () => {
    // 60 events of erin's: more than one page of 50.
    const { key } = await sut.fx.key("erin", [Right.USER_ALL], { name: "busy-key" });
    issuedKeys.add(key);
    const keyId = key.split(".")[1]!;
    for (let i = 0; i < 30; i++) {
      for (const state of ["API_KEY_STATE_DISABLED", "API_KEY_STATE_ACTIVE"]) {
        const answer = await rest(sut.admin, `/api/v1/users/erin/api-keys/${keyId}`, { method: "PATCH", body: JSON.stringify({ state }) });
        expect(answer.status, JSON.stringify(answer.body)).to.equal(200);
      }
    }
    await erin.goto(`${url}/#/activity`);
    await erin.reload();
    const more = erin.getByRole("navigation", { name: "More of Activity" });
    await more.getByText("Showing the newest 50 events", { exact: true }).waitFor();
    const first = await eventRows(erin, "Activity");
    expect(first.map((row) => row.cells.Event).slice(0, 2)).to.deep.equal(["API key enabled", "API key disabled"]);
    expect(first[0]!.cells.Actor, "an admin's change names the admin").to.match(/^admin/);
    await more.getByRole("button", { name: "Load more" }).click();
    // The last page loaded: the summary counts them all, and there is nothing more to load.
    await more.getByText(/^\d+ events$/).waitFor();
    expect(await more.getByRole("button", { name: "Load more" }).count()).to.equal(0);
    const all = await eventRows(erin, "Activity");
    expect(all.length).to.be.greaterThan(50);
    expect(all.map((row) => row.id), "the pages continue one another").to.deep.equal((await apiEvents("user_id=erin&page_size=1000")).map((event) => event.id));
  });

  it("shows a key's history: that key's events only, from the key's row", async () => {
    await erin.goto(`${url}/#/keys`);
    const fullKey = await generateKeyInConsole(erin, "history-key", ["User: info"]);
    issuedKeys.add(fullKey);
    await erin.getByRole("button", { name: "I have stored it" }).click();
    const keyId = fullKey.split(".")[1]!;
    await keyRow(erin, "history-key").getByRole("button", { name: "Edit history-key" }).click();
    const edit = erin.getByRole("dialog", { name: "Edit API key history-key" });
    await edit.getByLabel("Allowed networks").fill("127.0.0.0/8");
    await edit.getByRole("button", { name: "Save changes" }).click();
    await keyRow(erin, "history-key").getByText("only from 127.0.0.0/8").waitFor();

    await keyRow(erin, "history-key").getByRole("button", { name: "History of history-key" }).click();
    const dialog = erin.getByRole("dialog", { name: "History of history-key" });
    await dialog.locator("tbody tr[data-event-type='api_key.update']").waitFor();
    const rows = await eventRows(erin, "History of history-key");
    expect(rows.map((row) => row.cells.Event)).to.deep.equal(["API key changed", "API key created"]);
    expect(rows[0]!.cells.Changes).to.equal("Allowed networks: anywhere → 127.0.0.0/8");
    expect(rows.map((row) => row.id)).to.deep.equal((await apiEvents(`user_id=erin&api_key_id=${keyId}`)).map((event) => event.id));
    await expectAccessible(erin, "a key's history");
    await dialog.getByRole("button", { name: "Close", exact: true }).last().click();

    // The deleted key's history is still in the API, and Activity shows it: deleting a key keeps its past.
    expect((await apiEvents(`user_id=erin&api_key_id=${deletedKeyId}`)).map((event) => event.type)).to.deep.equal([
      "api_key.delete",
      ...refusedCounts.map(() => "auth.fail"),
      "api_key.update",
      "api_key.create",
    ]);
  });

  it("an admin switches Activity to everyone in scope; a user has no such switch", async () => {
    expect(await erin.getByRole("switch", { name: /^Show everyone/ }).count(), "no switch for a user").to.equal(0);
    const admin = await (await newPerson(browser)).newPage();
    await signInWithKey(admin, url, sut.admin);
    await admin.goto(`${url}/#/activity`);
    await admin.getByRole("heading", { level: 1, name: "Activity" }).waitFor();
    const everyone = admin.getByRole("switch", { name: "Show everyone" });
    expect(await everyone.getAttribute("aria-checked")).to.equal("false");
    // The admin's own view holds what the admin did or had done to it, never what erin did; everyone's holds both.
    await admin.getByRole("region", { name: "Activity table" }).locator("tbody tr[data-event-id]").first().waitFor();
    expect((await eventRows(admin, "Activity")).filter((row) => row.cells.Actor?.startsWith("erin"))).to.deep.equal([]);
    await everyone.click();
    await admin.getByRole("navigation", { name: "More of Activity" }).getByText("Showing the newest 50 events", { exact: true }).waitFor();
    const rows = await eventRows(admin, "Activity");
    expect(rows.map((row) => row.id)).to.deep.equal((await apiEvents("page_size=50")).map((event) => event.id));
    expect(rows.some((row) => row.cells.Actor?.startsWith("erin"))).to.equal(true, "what erin did is in everyone's view");
    await admin.getByPlaceholder("Any user (or type a user id)").fill("nobody-at-all");
    await admin.getByRole("alert").or(admin.getByRole("cell", { name: "No event matches." })).first().waitFor();
    await expectAccessible(admin, "activity, everyone");
    await admin.context().close();
  });

  it("offers the three new rights in the key dialogs, in plain words, to those who may hold them", async () => {
    await erin.goto(`${url}/#/keys`);
    await erin.reload();
    await erin.getByRole("button", { name: "Generate key" }).click();
    const forUser = erin.getByRole("dialog", { name: "Generate API key" });
    const userEvents = forUser.getByRole("checkbox", { name: /^User: events read/ });
    await userEvents.waitFor();
    expect(await forUser.getByRole("checkbox", { name: /^Admin: / }).count(), "no admin rights for a user").to.equal(0);
    await forUser.getByRole("button", { name: "Cancel" }).click();

    const admin = await (await newPerson(browser)).newPage();
    await signInWithKey(admin, url, sut.admin);
    await admin.getByRole("button", { name: "Generate key" }).click();
    const forAdmin = admin.getByRole("dialog", { name: "Generate API key" });
    for (const [label, help] of [
      ["User: events read", "See what was done to or by this user and their keys."],
      ["Admin: events read", "See the activity of every user this admin manages."],
      ["Admin: webhooks", "Manage webhooks, which send activity to other systems."],
    ] as const) {
      const box = forAdmin.locator("label.check", { has: admin.getByRole("checkbox", { name: new RegExp(`^${label}`) }) });
      expect(await box.locator(".check-help").textContent(), label).to.contain(help);
    }
    // A key holding only "Admin: webhooks" and "Admin: events read" manages webhooks, as the API says.
    await forAdmin.getByLabel("Name", { exact: true }).fill("webhooks-only");
    await forAdmin.getByRole("checkbox", { name: /^Admin: webhooks/ }).check();
    await forAdmin.getByRole("checkbox", { name: /^Admin: events read/ }).check();
    await forAdmin.getByRole("button", { name: "Generate key" }).click();
    const key = (await admin.getByRole("dialog", { name: "Your new API key" }).locator("code.secret").textContent())!.trim();
    issuedKeys.add(key);
    const info = await rest(key, "/api/v1/auth_info");
    expect(info.body.apiKey.rights).to.deep.equal(["RIGHT_ADMIN_EVENTS_READ", "RIGHT_ADMIN_WEBHOOKS"]);
    expect((await rest(key, "/api/v1/webhooks")).status).to.equal(200);
    await admin.context().close();
  });

  it("an admin creates a webhook: its secret is shown once and is gone after a reload; Send test shows the receiver's answer; deliveries are counted", async () => {
    let answer = 200;
    const receiver = await startReceiver(() => answer);
    receivers.push(receiver.server);
    const admin = await (await newPerson(browser)).newPage();
    await signInWithKey(admin, url, sut.admin);
    const nav = admin.getByRole("navigation", { name: "Main" });
    expect(await nav.getByRole("link").allTextContents()).to.deep.equal(["My API keys", "Activity", "Users", "Tenants", "Webhooks", "Account", "API docs"]);
    await nav.getByRole("link", { name: "Webhooks" }).click();
    await admin.getByRole("heading", { level: 1, name: "Webhooks" }).waitFor();
    await admin.getByRole("cell", { name: /No webhooks yet/ }).waitFor();

    await admin.getByRole("button", { name: "Create webhook" }).click();
    const create = admin.getByRole("dialog", { name: "Create webhook" });
    await create.getByLabel("URL", { exact: true }).fill(receiver.url);
    await create.getByLabel("Event types").fill("api_key.");
    await expectAccessible(admin, "create webhook dialog");
    await create.getByRole("button", { name: "Create webhook" }).click();
    const shown = admin.getByRole("dialog", { name: "Your webhook's signing secret" });
    const secret = (await shown.locator("code.secret").textContent())!.trim();
    expect(secret).to.match(/^whsec_/);
    expect(await shown.getByRole("note").textContent()).to.contain("Copy this secret now.").and.contain("will not be shown again");
    await shown.getByRole("button", { name: "Copy secret" }).waitFor();
    await expectAccessible(admin, "webhook secret");
    await screenshot(admin, "webhook-secret");
    await shown.getByRole("button", { name: "I have stored it" }).click();

    const row = admin.locator("tbody tr[data-webhook-id]");
    await row.waitFor();
    const webhookId = (await row.getAttribute("data-webhook-id"))!;
    const stored = (await rest(sut.admin, `/api/v1/webhooks/${webhookId}`)).body;
    expect(stored).to.deep.include({ url: receiver.url, eventTypes: ["api_key."], enabled: true });
    expect(JSON.stringify(stored)).to.not.contain(secret);
    await admin.reload();
    await row.waitFor();
    expect(await admin.content(), "the secret is nowhere in the page after a reload").to.not.contain(secret);
    expect(await row.textContent()).to.contain(receiver.url).and.contain("Only api_key.");

    // Send test: the receiver gets one signed webhook.test, and the page says what it answered.
    await row.getByRole("button", { name: `Send test to ${receiver.url}` }).click();
    const test = admin.getByRole("dialog", { name: "Test delivery" });
    await test.getByText("Delivered: the receiver answered HTTP 200.").waitFor();
    const got = receiver.received.at(-1)!;
    expect(JSON.parse(got.body)).to.deep.include({ type: "webhook.test" });
    const signature = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(got.headers["x-keyward-signature"]));
    expect(signature, String(got.headers["x-keyward-signature"])).to.not.equal(null);
    expect(signature![2]).to.equal(createHmac("sha256", secret).update(`${signature![1]}.${got.body}`).digest("hex"), "signed with the secret shown once");
    answer = 500;
    await test.getByRole("button", { name: "Send again" }).click();
    await test.getByText(/^Not delivered: .*500/).waitFor();
    await expectAccessible(admin, "test delivery");
    await test.getByRole("button", { name: "Close", exact: true }).last().click();
    answer = 200;

    // A real event goes out from the outbox and shows up in the delivery state.
    const before = receiver.received.length;
    await sut.fx.key("erin", [Right.USER_INFO], { name: "delivered-key" }).then(({ key }) => issuedKeys.add(key));
    await eventually("the delivery", async () => (receiver.received.length > before ? true : undefined));
    const delivered = row.locator("dd[data-count='delivered']");
    await eventually("the delivered count", async () => (Number(await delivered.textContent()) >= 1 ? true : undefined));
    expect(await row.locator("td[data-label='Last success']").textContent()).to.not.equal("Never");
    const state = (await rest(sut.admin, `/api/v1/webhooks/${webhookId}`)).body.delivery;
    expect(await row.locator("dd[data-count='delivered']").textContent()).to.equal(String(state.delivered));
    await expectAccessible(admin, "webhooks");
    await screenshot(admin, "webhooks");

    // Edit: disable it; the API agrees.
    await row.getByRole("button", { name: `Edit ${receiver.url}` }).click();
    const edit = admin.getByRole("dialog", { name: "Edit webhook" });
    await edit.getByRole("checkbox", { name: /^Enabled/ }).uncheck();
    await edit.getByRole("button", { name: "Save changes" }).click();
    await row.getByText("Disabled", { exact: true }).waitFor();
    expect((await rest(sut.admin, `/api/v1/webhooks/${webhookId}`)).body).to.deep.include({ enabled: false, url: receiver.url });

    // Delete, after confirming.
    await row.getByRole("button", { name: `Delete ${receiver.url}` }).click();
    const remove = admin.getByRole("dialog", { name: "Delete webhook?" });
    await remove.getByRole("button", { name: "Delete webhook" }).click();
    await admin.getByRole("cell", { name: /No webhooks yet/ }).waitFor();
    expect((await rest(sut.admin, `/api/v1/webhooks/${webhookId}`)).reason).to.equal("WEBHOOK_NOT_FOUND");
    expect(sut.server.output(), "the secret never reaches the server's output").to.not.contain(secret);
    await admin.context().close();
  });

  it("a key that may read no events has no Activity entry and no History button, and #/activity shows only the API's refusal", async () => {
    const { key } = await sut.fx.key("erin", [Right.USER_INFO, Right.USER_SETTINGS_API_KEYS], { name: "no-events" });
    issuedKeys.add(key);
    const person = await newPerson(browser);
    try {
      const page = await person.newPage();
      await signInWithKey(page, url, key);
      expect(await page.getByRole("navigation", { name: "Main" }).getByRole("link").allTextContents()).to.deep.equal(["My API keys", "Account", "API docs"]);
      await keyRow(page, "no-events").waitFor();
      expect(await page.getByRole("button", { name: /^History of / }).count(), "no History without the right").to.equal(0);
      await page.goto(`${url}/#/activity`);
      const alert = page.getByRole("alert");
      await alert.waitFor();
      const direct = await rest(key, "/api/v1/events?user_id=erin");
      expect([direct.status, direct.reason]).to.deep.equal([403, "INSUFFICIENT_RIGHTS"]);
      expect(await alert.textContent()).to.equal(String(direct.body.message).replace(/`/g, ""));
      expect(await page.getByRole("table").count(), "no table").to.equal(0);
      expect(await page.getByRole("combobox").count(), "no filter").to.equal(0);
      await expectAccessible(page, "activity, refused");
    } finally {
      await person.close();
    }
  });

  it("a non-admin has no Webhooks entry, and its address shows only the API's refusal", async () => {
    const nav = erin.getByRole("navigation", { name: "Main" });
    expect(await nav.getByRole("link", { name: "Webhooks" }).count()).to.equal(0);
    await erin.goto(`${url}/#/webhooks`);
    const alert = erin.getByRole("alert");
    await alert.waitFor();
    const { key } = await sut.fx.key("erin", [Right.USER_ALL], { name: "erin-rest" });
    issuedKeys.add(key);
    const direct = await rest(key, "/api/v1/webhooks");
    expect(direct.status).to.equal(403);
    expect(await alert.textContent()).to.equal(String(direct.body.message).replace(/`/g, ""));
    expect(await erin.getByRole("button", { name: "Create webhook" }).count()).to.equal(0);
    expect(await erin.getByRole("table").count()).to.equal(0);
  });
});
