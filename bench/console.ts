/**
 * `npm run bench:console`: the web console's size and speed, printed, never
 * asserted. Needs `npm run build` (it measures dist/console) and Debian's chromium.
 *
 * - Bundle: every file under dist/console, raw and gzipped as the server sends them (zlib default level).
 * - Time to interactive on "My API keys": from navigation start to the first page of the keys table
 *   rendered (a MutationObserver installed before the page loads records the moment), for an owner with
 *   20 keys and one with 1,000. Paging asks the API for 20 keys at a time, so the two should match.
 *   Each is loaded `RUNS` times in a fresh browser context; the median and range are printed.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { gzipSync } from "node:zlib";
import { launchBrowser, newPerson } from "../test/console/support/browser.js";
import { ROOT, startKeyward } from "./lib/processes.js";

const RUNS = 7;
const CONSOLE_DIR = join(ROOT, "dist", "console");

function bundleSize(): void {
  const files = readdirSync(CONSOLE_DIR, { recursive: true, withFileTypes: true }).filter((entry) => entry.isFile());
  let raw = 0;
  let gzip = 0;
  console.log("console bundle (dist/console):");
  for (const entry of files) {
    const path = join(entry.parentPath, entry.name);
    const body = readFileSync(path);
    const zipped = gzipSync(body).length;
    raw += statSync(path).size;
    gzip += zipped;
    console.log(`  ${relative(CONSOLE_DIR, path).padEnd(36)} ${(body.length / 1024).toFixed(1).padStart(7)} KiB  gzip ${(zipped / 1024).toFixed(1).padStart(6)} KiB`);
  }
  console.log(`  ${"total".padEnd(36)} ${(raw / 1024).toFixed(1).padStart(7)} KiB  gzip ${(gzip / 1024).toFixed(1).padStart(6)} KiB`);
}

async function createKeys(url: string, adminKey: string, userId: string, count: number): Promise<string> {
  const call = async (path: string, body: unknown) => {
    const response = await fetch(`${url}${path}`, {
      method: "POST",
      headers: { authorization: `Bearer ${adminKey}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
    return (await response.json()) as { key?: string };
  };
  await call("/api/v1/users", { userId, name: userId });
  const first = await call(`/api/v1/users/${userId}/api-keys`, { name: "console", rights: ["RIGHT_USER_ALL"] });
  for (let made = 1; made < count; made += 25) {
    await Promise.all(
      Array.from({ length: Math.min(25, count - made) }, (_, i) => call(`/api/v1/users/${userId}/api-keys`, { name: `key-${made + i}`, rights: ["RIGHT_USER_INFO"] })),
    );
  }
  return first.key!;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function main(): Promise<void> {
  bundleSize();
  const dataDir = mkdtempSync(join(tmpdir(), "keyward-bench-console-"));
  process.env.KEYWARD_MAX_API_KEYS_PER_USER = "1100";
  const server = await startKeyward(dataDir, { built: true });
  const browser = await launchBrowser();
  try {
    const url = server.announcement.http;
    const adminKey = readFileSync(join(dataDir, "admin.key"), "utf8").trim();
    for (const count of [20, 1000]) {
      const started = Date.now();
      const key = await createKeys(url, adminKey, `owner-${count}`, count);
      console.log(`\n${count} keys created in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      const times: number[] = [];
      const loads: number[] = [];
      for (let run = 0; run < RUNS; run++) {
        const context = await newPerson(browser);
        // Signed in as the tab would be after pasting the key; the observer notes when the first row shows.
        await context.addInitScript(
          `sessionStorage.setItem("keyward.pasted-key", ${JSON.stringify(key)});
           new MutationObserver((_, observer) => {
             if (document.querySelector("tbody tr[data-key-id]")) { globalThis.__interactiveAt = performance.now(); observer.disconnect(); }
           }).observe(document, { childList: true, subtree: true });`,
        );
        const page = await context.newPage();
        await page.goto(`${url}/`);
        await page.locator("tbody tr[data-key-id]").first().waitFor();
        const at = (await page.evaluate("globalThis.__interactiveAt")) as number;
        const rows = await page.locator("tbody tr[data-key-id]").count();
        loads.push((await page.evaluate("performance.getEntriesByType('navigation')[0].loadEventEnd")) as number);
        times.push(at);
        if (run === 0) console.log(`  rows rendered on the first page: ${rows}; pager: ${await page.getByRole("navigation", { name: "Pages of keys" }).textContent()}`);
        await context.close();
      }
      console.log(`  time to interactive (keys table shown): median ${median(times).toFixed(0)} ms, range ${Math.min(...times).toFixed(0)}–${Math.max(...times).toFixed(0)} ms over ${RUNS} loads`);
      console.log(`  load event: median ${median(loads).toFixed(0)} ms`);
    }
  } finally {
    await browser.close();
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
