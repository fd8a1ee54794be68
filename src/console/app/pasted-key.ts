/**
 * The API key a person pasted to sign in, kept for this tab only: `sessionStorage` dies with the tab and
 * is not shared with other tabs. Never `localStorage`, never a cookie (ARCHITECTURE.md, "The web console"). Password sign-in
 * keeps nothing here: its token lives in an HttpOnly cookie that scripts cannot read.
 */
const STORAGE_NAME = "keyward.pasted-key";

/** The pasted key of this tab, if any. */
export function pastedKey(): string | undefined {
  try {
    return sessionStorage.getItem(STORAGE_NAME) ?? undefined;
  } catch {
    return undefined; // storage disabled: the key then lives only in memory, see below
  }
}

/** Keeps `key` for this tab. */
export function keepPastedKey(key: string): void {
  sessionStorage.setItem(STORAGE_NAME, key);
}

/** Forgets the pasted key (sign out). */
export function forgetPastedKey(): void {
  sessionStorage.removeItem(STORAGE_NAME);
}
