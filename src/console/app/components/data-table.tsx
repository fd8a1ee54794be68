/**
 * The console's tables: a scrollable, keyboard-focusable region named "<name> table", a caption for
 * screen readers, one header cell per column and, when rows have buttons, an "Actions" column whose
 * header only screen readers see. Rows are the children; `message` is a row across every column (empty,
 * loading), so no page counts its columns for a `colSpan`.
 */
import type { ReactNode } from "react";

export interface DataTableProps {
  /** The region's name ("<name> table"). */
  readonly name: string;
  /** The caption, for screen readers; the name when omitted. */
  readonly caption?: string;
  readonly columns: readonly string[];
  /** Whether the rows end with a cell of buttons. */
  readonly actions?: boolean;
  /** While a new page loads (`aria-busy`). */
  readonly busy?: boolean;
  /** A row across the whole table after the rows ("No API keys yet."), when given. */
  readonly message?: ReactNode;
  /** The rows. */
  readonly children: ReactNode;
}

/** A table as the console shows every list. */
export function DataTable({ name, caption, columns, actions = false, busy, message, children }: DataTableProps) {
  return (
    <div className="table-wrap" role="region" aria-label={`${name} table`} tabIndex={0}>
      <table className="table" aria-busy={busy}>
        <caption className="visually-hidden">{caption ?? name}</caption>
        <thead>
          <tr>
            {columns.map((column) => (
              <th key={column} scope="col">
                {column}
              </th>
            ))}
            {actions && (
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            )}
          </tr>
        </thead>
        <tbody>
          {children}
          {message !== undefined && message !== false && (
            <tr>
              <td colSpan={columns.length + (actions ? 1 : 0)} className="empty">
                {message}
              </td>
            </tr>
          )}
        </tbody>
      </table>
    </div>
  );
}
