// Case-insensitive name search, defined once so both adapters match exactly the same names.
// Adapters store `foldName(name)` next to the name and test plain substring containment on it: no LIKE
// or regex is involved, so `%`, `_` and regex metacharacters in a query are matched literally, and case
// folding is Unicode-aware in every backend (SQLite's LIKE/lower() fold ASCII only).
import type { ApiKeyListRequest, ApiKeyState } from "./store.js";

/** The searchable form of a name or query: NFC-normalized, lower case. */
export function foldName(name: string): string {
  return name.normalize("NFC").toLowerCase();
}

/** A key list filter in the form adapters query with. */
export interface ApiKeyFilter {
  state: ApiKeyState | undefined;
  /** Folded query to find within the folded name; `undefined` when there is no query. */
  nameContains: string | undefined;
}

/** Normalizes the filter part of a list request (an empty query matches everything). */
export function apiKeyFilterOf(request: ApiKeyListRequest): ApiKeyFilter {
  const query = request.query ?? "";
  return { state: request.state, nameContains: query === "" ? undefined : foldName(query) };
}
