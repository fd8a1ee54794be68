// Keyset pagination in MongoDB terms: the sort order and the "after this item" filter.
import type { SortKey } from "../page-token.js";

/** Newest first, `_id` breaking ties: the order of every list and of its index. */
export const NEWEST_FIRST = { createdAt: -1, _id: -1 } as const;

/** Matches the documents that sort after `key` in {@link NEWEST_FIRST} order. */
export function afterSortKey(key: SortKey) {
  return {
    $or: [{ createdAt: { $lt: key.createdAt } }, { createdAt: key.createdAt, _id: { $lt: key.id } }],
  };
}
