/**
 * Token paging as the API does it (`page_token` / `next_page_token`), with a stack of earlier tokens so
 * "Previous" works without the API having to go backwards.
 */
import { useMemo, useState } from "react";

/** The paging state of one list. */
export interface Paging {
  readonly token: string;
  readonly page: number;
  next(token: string): void;
  previous(): void;
  reset(): void;
}

/** Paging state that starts on the first page. */
export function usePaging(): Paging {
  const [stack, setStack] = useState<string[]>([""]);
  return useMemo(
    () => ({
      token: stack[stack.length - 1]!,
      page: stack.length,
      next: (token: string) => setStack((s) => [...s, token]),
      previous: () => setStack((s) => (s.length > 1 ? s.slice(0, -1) : s)),
      reset: () => setStack((s) => (s.length === 1 ? s : [""])),
    }),
    [stack],
  );
}

/** A noun in the singular and the plural: `["key", "keys"]`. */
export type Noun = readonly [one: string, other: string];

/** Props of {@link Pager}. */
export interface PagerProps {
  readonly paging: Paging;
  readonly nextToken: string | undefined;
  readonly total: number | undefined;
  readonly pageSize: number;
  readonly shown: number;
  readonly noun: Noun;
}

/** `count` and the noun, in the number it needs: "1 key", "7 keys". */
function counted(count: number, [one, other]: Noun): string {
  return `${count} ${count === 1 ? one : other}`;
}

/**
 * What the page shows of the list: "No keys"; "7 keys" when one page holds them all; else "Showing 21–40
 * of 1000 keys", or "Showing 41 of 41 keys" for a last page of one.
 */
function pageSummary({ page, pageSize, shown, total, nextToken, noun }: { page: number; pageSize: number; shown: number; total: number; nextToken: string | undefined; noun: Noun }): string {
  if (shown === 0) return `No ${noun[1]}`;
  if (page === 1 && !nextToken && shown === total) return counted(total, noun);
  const first = (page - 1) * pageSize + 1;
  const last = first + shown - 1;
  return `Showing ${first === last ? first : `${first}–${last}`} of ${counted(total, noun)}`;
}

/** The list's summary with Previous and Next. */
export function Pager({ paging, nextToken, total, pageSize, shown, noun }: PagerProps) {
  return (
    <nav className="pager" aria-label={`Pages of ${noun[1]}`}>
      <span aria-live="polite">{total === undefined ? "" : pageSummary({ page: paging.page, pageSize, shown, total, nextToken, noun })}</span>
      <span className="pager-buttons">
        <button type="button" className="button" disabled={paging.page === 1} onClick={paging.previous}>
          Previous
        </button>
        <button type="button" className="button" disabled={!nextToken} onClick={() => nextToken && paging.next(nextToken)}>
          Next
        </button>
      </span>
    </nav>
  );
}
