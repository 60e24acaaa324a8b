import { Fragment, type HTMLAttributes, type ReactNode } from 'react';
import { ErrorBox } from './ErrorBox.tsx';

type DataAttributes = { [name: `data-${string}`]: string | undefined };
/** What a row (`<tr>`) may carry besides its cells: test ids, `data-*` values, a class, a click. */
export type RowAttributes = HTMLAttributes<HTMLTableRowElement> & DataAttributes;

export type Column<T> = {
  /** The header; `null` leaves it empty. */
  head: ReactNode;
  /** The header's tooltip. */
  title?: string;
  cell: (row: T) => ReactNode;
  className?: string | ((row: T) => string);
  testId?: string;
};

type Cursors = { next: string | null; prev: string | null };

/** `cond && <X/>` is false, not null, when there is nothing to show. */
const given = (n: ReactNode) => n !== null && n !== undefined && n !== false;

/**
 * What the table reads of a list: `useLoad` of `{ models }`, or `usePagedList`, whose cursors and
 * moves give the pager and whose `onFirstPage` keeps the empty state to the first page.
 */
export type ListState<T> = {
  data: { models: T[]; pagination?: Cursors; count?: number } | null;
  loading: boolean;
  error: unknown;
  onFirstPage?: boolean;
  next?: () => void;
  prev?: () => void;
};

type Props<T> = {
  list: ListState<T>;
  /** The rows shown, when not the list's models as they came (sorted, or patched by an action until the reload). */
  rows?: T[];
  rowKey: (row: T) => string;
  rowAttributes?: (row: T) => RowAttributes;
  columns: Column<T>[];
  /** A row's buttons and links, in a last column named "Actions" for screen readers only. */
  actions?: (row: T) => ReactNode;
  /** Shown across the table under its row, when given (the row opened). */
  detail?: (row: T) => ReactNode;
  detailAttributes?: (row: T) => RowAttributes;
  /** Shown across the table instead of its row, when given (the row edited in place). */
  replace?: (row: T) => ReactNode;
  /** Another error of the page (a row action's), shown rather than the list's own. */
  error?: unknown;
  /** Between the error and the list: the open confirmation of a row action, a notice. */
  above?: ReactNode;
  /** Said while the first load runs; nothing is said without it. */
  loading?: ReactNode;
  /** Shown instead of the table when the (first) page has no rows; nothing without it. */
  empty?: ReactNode;
  /** The words of the pager ("sources"), for a list that pages; nothing for one that does not. */
  pager?: string;
  className?: string;
  testId?: string;
  label?: string;
};

/**
 * A list of resources as a table, with what every list page says around it: the error, an open
 * confirmation, "Loading…" until the first answer, the empty state, and the pager. Pages give
 * columns, a row's actions, and their own words; markup and test ids stay theirs.
 */
export function ResourceTable<T>(p: Props<T>) {
  const { list } = p;
  const rows = p.rows ?? list.data?.models ?? [];
  const width = p.columns.length + (p.actions ? 1 : 0);
  const whole = (content: ReactNode, attributes?: RowAttributes) => (
    <tr {...attributes}>
      <td colSpan={width}>{content}</td>
    </tr>
  );
  return (
    <>
      <ErrorBox error={p.error ?? list.error} />
      {p.above}
      {p.loading && list.loading && !list.data && <p className="loading">{p.loading}</p>}
      {list.data && rows.length === 0 && list.onFirstPage !== false && p.empty}
      {rows.length > 0 && (
        <table className={p.className} data-testid={p.testId} aria-label={p.label}>
          <thead>
            <tr>
              {p.columns.map((c, i) => (
                <th key={i} title={c.title}>
                  {c.head}
                </th>
              ))}
              {p.actions && (
                <th>
                  <span className="sr-only">Actions</span>
                </th>
              )}
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => {
              const instead = p.replace?.(row);
              const detail = p.detail?.(row);
              return (
                <Fragment key={p.rowKey(row)}>
                  {given(instead) ? (
                    whole(instead)
                  ) : (
                    <tr {...p.rowAttributes?.(row)}>
                      {p.columns.map((c, i) => (
                        <td key={i} className={typeof c.className === 'function' ? c.className(row) : c.className} data-testid={c.testId}>
                          {c.cell(row)}
                        </td>
                      ))}
                      {p.actions && (
                        <td className="actions-cell">
                          <div className="actions">{p.actions(row)}</div>
                        </td>
                      )}
                    </tr>
                  )}
                  {given(detail) && whole(detail, p.detailAttributes?.(row))}
                </Fragment>
              );
            })}
          </tbody>
        </table>
      )}
      {p.pager && <Pager list={list} what={p.pager} />}
    </>
  );
}

/** Previous and next page of a list that pages, with how many rows this page holds. */
export function Pager({ list, what }: { list: ListState<unknown>; what: string }) {
  const p = list.data?.pagination;
  if (!p || (!p.next && !p.prev)) return null;
  return (
    <nav className="row pager" aria-label={`Pages of ${what}`}>
      <button data-testid="page-prev" disabled={!p.prev} onClick={list.prev}>
        ← Previous
      </button>
      <span className="muted">
        {list.data?.count} {what} on this page
      </span>
      <button data-testid="page-next" disabled={!p.next} onClick={list.next}>
        Next →
      </button>
    </nav>
  );
}
