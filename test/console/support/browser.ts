/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// Code passed to page.evaluate runs in the browser and is typed with the DOM library.
/**
 * One headless Chromium for the browser tests: Debian's `chromium` (`.ci/run` installs it), driven by
 * playwright-core, which never downloads a browser. Each test context is a fresh profile: Playwright's
 * `launch` gives the browser a new temporary `--user-data-dir` and each `newContext` its own cookies and
 * storage, so two contexts are two people (or two computers of one person).
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import axe from "axe-core";
import { expect } from "chai";
import { findProgram, PACKAGES } from "../../support/test-packages.js";


const ROOT = fileURLToPath(new URL("../../..", import.meta.url));
/** Screenshots the README shows, rewritten by every run. */
/**
 * Where the tests save screenshots: `test-output/screenshots/` (ignored by git), or the README's
 * `docs/screenshots/` when `KEYWARD_UPDATE_SCREENSHOTS=1`, so an ordinary test run leaves the tree clean.
 */
export const SCREENSHOT_DIR =
  process.env.KEYWARD_UPDATE_SCREENSHOTS === "1" ? join(ROOT, "docs", "screenshots") : join(ROOT, "test-output", "screenshots");

/** Flags for a root user on a machine without a GPU or outside network. */
const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** Starts the browser; fails with a clear message when chromium is not installed (test suites skip before). */
export async function launchBrowser(): Promise<Browser> {
  const executablePath = findProgram(PACKAGES.chromium);
  if (executablePath === undefined) expect.fail(`${PACKAGES.chromium.program} is missing: apt-get install ${PACKAGES.chromium.debianPackage}`);
  return chromium.launch({ executablePath, headless: true, args: ARGS, timeout: 60_000 });
}

/** The browser of one test file: launched before its tests, closed after them. */
export function useBrowser(): { browser: Browser } {
  const context = {} as { browser: Browser };
  before(async () => {
    context.browser = await launchBrowser();
  });
  after(async () => {
    await context.browser?.close();
  });
  return context;
}

/** A fresh person at a 1280×800 screen (or `viewport`). */
export async function newPerson(browser: Browser, viewport = { width: 1280, height: 800 }): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport, locale: "en-GB", timezoneId: "UTC", reducedMotion: "reduce" });
  context.setDefaultTimeout(15_000);
  // tsx compiles the functions tests pass to page.evaluate with esbuild's keepNames, which calls a
  // `__name` helper that only exists in Node; give the page a no-op one.
  await context.addInitScript("globalThis.__name = (target) => target;");
  return context;
}

/**
 * Runs axe-core in the page (evaluated through the DevTools protocol, so the page's CSP, which forbids
 * inline script, does not have to be loosened) and fails on any serious or critical violation.
 */
export async function expectAccessible(page: Page, screen: string): Promise<void> {
  await page.evaluate(axe.source);
  const violations = await page.evaluate(async () => {
    const result = await (window as unknown as { axe: typeof axe }).axe.run(document, { resultTypes: ["violations"] });
    return result.violations
      .filter((v) => v.impact === "serious" || v.impact === "critical")
      .map((v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).slice(0, 3).join("; ")})`);
  });
  expect(violations, `accessibility violations on ${screen}`).to.deep.equal([]);
}

/** Saves a screenshot of the page under {@link SCREENSHOT_DIR}. */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`), animations: "disabled" });
}

/** Everything in `localStorage` and `sessionStorage` of the page's origin. */
export async function storageOf(page: Page): Promise<{ local: Record<string, string>; session: Record<string, string> }> {
  return page.evaluate(() => {
    const dump = (storage: Storage) => Object.fromEntries(Array.from({ length: storage.length }, (_, i) => [storage.key(i)!, storage.getItem(storage.key(i)!)!]));
    return { local: dump(localStorage), session: dump(sessionStorage) };
  });
}
