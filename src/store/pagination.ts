// Shared keyset-pagination steps: which list a token belongs to and how a fetched slice becomes a Page.
// Adapters fetch `fetchSize(pageSize)` rows after the cursor, newest first, and hand them to `toPage`.
import { decodePageToken, encodePageToken, type SortKey } from "./page-token.js";
import type { ApiKeyFilter } from "./name-search.js";
import { StoreError, type EventListRequest, type EventPage, type EventRecord, type Page } from "./store.js";

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

/** The scope of an event list's page tokens: the filter and bounds of the list, page after page. */
export function eventListScope(request: EventListRequest): string {
  return JSON.stringify([
    "events",
    request.tenantId ?? null,
    request.userId ?? null,
    request.apiKeyId ?? null,
    request.typePrefix ?? null,
    request.afterSeq ?? null,
    request.beforeSeq ?? null,
    request.since?.getTime() ?? null,
  ]);
}

/**
 * The seq an event list's page token points after (the last event shown), or undefined for the first
 * page. Rejects a malformed or foreign token with `invalid_argument`, as {@link decodePageToken} does.
 */
export function decodeEventPageToken(scope: string, token: string): number | undefined {
  const key = decodePageToken(scope, token);
  if (key === undefined) return undefined;
  const seq = /^[1-9][0-9]{0,15}$/.test(key.id) ? Number(key.id) : NaN;
  if (!Number.isSafeInteger(seq)) throw new StoreError("invalid_argument", "invalid page token: pass a next_page_token from the same list and filter");
  return seq;
}

/** Cuts events fetched newest first with {@link fetchSize} into a page whose token points after its last event. */
export function toEventPage(fetched: EventRecord[], pageSize: number, scope: string): EventPage {
  const page = toPage(fetched, pageSize, 0, scope, (event) => ({ createdAt: event.time, id: String(event.seq) }));
  return { items: page.items, nextPageToken: page.nextPageToken };
}

/** The scope of a webhook list's page tokens: one tenant's webhooks, or all. */
export function webhookListScope(tenantId: string | undefined): string {
  return JSON.stringify(["webhooks", tenantId ?? null]);
}
