// Shared keyset-pagination steps: which list a token belongs to and how a fetched slice becomes a Page.
// Adapters fetch `fetchSize(pageSize)` rows after the cursor, newest first, and hand them to `toPage`.
import { encodePageToken, type SortKey } from "./page-token.js";
import type { ApiKeyFilter } from "./name-search.js";
import type { Page } from "./store.js";

/** The scope of the user list's page tokens: every user, or one tenant's users. */
export function userListScope(tenantId: string | undefined): string {
  // The unfiltered list keeps its original scope, so tokens issued before tenants existed stay valid.
  return tenantId === undefined ? "users" : JSON.stringify(["users", tenantId]);
}

/** The scope of the tenant list's page tokens. */
export const TENANT_LIST_SCOPE = "tenants";

/** The scope of a key list's page tokens: one user's keys under one filter. */
export function apiKeyListScope(userId: string, filter: ApiKeyFilter): string {
  return JSON.stringify(["api_keys", userId, filter.state ?? null, filter.nameContains ?? null]);
}

/** The scope of a session list's page tokens: one user's sessions. */
export function sessionListScope(userId: string): string {
  return JSON.stringify(["sessions", userId]);
}

/** Rows to fetch for a page: one more than shown, to learn whether another page follows. */
export function fetchSize(pageSize: number): number {
  return pageSize + 1;
}

/** Cuts a slice fetched with {@link fetchSize} into a page whose token points after its last item. */
export function toPage<T>(
  fetched: T[],
  pageSize: number,
  totalSize: number,
  scope: string,
  sortKeyOf: (item: T) => SortKey,
): Page<T> {
  const items = fetched.slice(0, pageSize);
  const last = items.at(-1);
  const more = fetched.length > pageSize && last !== undefined;
  return { items, nextPageToken: more ? encodePageToken(scope, sortKeyOf(last)) : "", totalSize };
}
