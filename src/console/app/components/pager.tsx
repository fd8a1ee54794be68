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

/** Props of {@link Pager}. */
export interface PagerProps {
  readonly paging: Paging;
  readonly nextToken: string | undefined;
  readonly total: number | undefined;
  readonly pageSize: number;
  readonly shown: number;
  readonly noun: string;
}

/** "Showing 21–40 of 1000 keys" with Previous and Next. */
export function Pager({ paging, nextToken, total, pageSize, shown, noun }: PagerProps) {
  const first = shown === 0 ? 0 : (paging.page - 1) * pageSize + 1;
  const last = (paging.page - 1) * pageSize + shown;
  return (
    <nav className="pager" aria-label={`Pages of ${noun}`}>
      <span aria-live="polite">
        {total === undefined ? "" : shown === 0 ? `No ${noun}` : `Showing ${first}–${last} of ${total} ${noun}`}
      </span>
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
