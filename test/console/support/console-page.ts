/** Steps a person takes in the console, written once for every browser test. */
import type { Page } from "playwright-core";
import { expect } from "chai";

/** Opens the console and signs in with a pasted API key. */
export async function signInWithKey(page: Page, baseUrl: string, key: string): Promise<void> {
  await page.goto(`${baseUrl}/`);
  await page.getByRole("tab", { name: "API key" }).click();
  await page.getByRole("textbox", { name: "API key" }).fill(key);
  await page.getByRole("button", { name: "Sign in with key" }).click();
  await page.getByRole("heading", { level: 1, name: "My API keys" }).waitFor();
}

/** Opens the console and signs in with a password. */
export async function signInWithPassword(page: Page, baseUrl: string, userId: string, password: string): Promise<void> {
  await page.goto(`${baseUrl}/`);
  await page.getByLabel("User id", { exact: true }).fill(userId);
  await page.getByRole("textbox", { name: "Password", exact: true }).fill(password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await page.getByRole("heading", { level: 1, name: "My API keys" }).waitFor();
}

/** The row of the key named `name` in the keys table. */
export function keyRow(page: Page, name: string) {
  return page.locator("tbody tr", { has: page.locator(".key-name", { hasText: new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`) }) });
}

/**
 * Generates a key through the dialog and returns the full key read from the one-time dialog, which is
 * left open for the caller to inspect and close.
 */
export async function generateKey(page: Page, name: string, rightLabels: readonly string[]): Promise<string> {
  await page.getByRole("button", { name: "Generate key" }).click();
  const dialog = page.getByRole("dialog", { name: "Generate API key" });
  await dialog.getByLabel("Name", { exact: true }).fill(name);
  for (const label of rightLabels) await dialog.getByRole("checkbox", { name: label }).check();
  await dialog.getByRole("button", { name: "Generate key" }).click();
  const shown = page.getByRole("dialog", { name: "Your new API key" });
  const fullKey = (await shown.locator("code.secret").textContent())?.trim() ?? "";
  expect(fullKey).to.match(/^NNSXS\.[A-Z2-7]+\.[A-Z2-7]+$/);
  return fullKey;
}

/** Calls `GET /api/v1/auth_info` with `key` over REST; resolves with the status and reason. */
export async function restAuthInfo(baseUrl: string, key: string): Promise<{ status: number; reason: string | undefined; body: Record<string, unknown> }> {
  const response = await fetch(`${baseUrl}/api/v1/auth_info`, { headers: { authorization: `Bearer ${key}` } });
  const body = (await response.json()) as Record<string, unknown> & { details?: Array<{ reason?: string }> };
  return { status: response.status, reason: body.details?.[0]?.reason, body };
}
