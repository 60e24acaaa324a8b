import { useState } from 'react';
import { api } from '../api.ts';
import { useLoad } from './useLoad.ts';

export const PAGE_SIZE = 50;

/** A page of a list as the API answers it (server/core/pagination.ts), as far as the portal reads it. */
export type ListPage<T> = { models: T[]; pagination: { next: string | null; prev: string | null }; count: number };

type Cursor = { next: string } | { prev: string } | null;

/**
 * One page of a list, with the API's keyset cursors. Moving a page keeps the cursor in state, so a
 * reload after an action shows the same page rather than jumping back to the first.
 */
export function usePagedList<T>(path: string, filters: Record<string, string> = {}) {
  const key = JSON.stringify(filters);
  // A cursor belongs to the filters it was made under; other filters start from their first page.
  const [at, setAt] = useState<{ key: string; cursor: Cursor }>({ key, cursor: null });
  const cursor = at.key === key ? at.cursor : null;
  const setCursor = (c: Cursor) => setAt({ key, cursor: c });
  const list = useLoad(() => {
    const q = new URLSearchParams({ limit: String(PAGE_SIZE), ...filters, ...(cursor ?? {}) });
    return api<ListPage<T>>('GET', `${path}?${q}`);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [path, key, cursor]);
  return {
    ...list,
    next: () => list.data?.pagination.next && setCursor({ next: list.data.pagination.next }),
    prev: () => list.data?.pagination.prev && setCursor({ prev: list.data.pagination.prev }),
    /**
     * After a create or a delete: the first page, fetched afresh. Moving off a later page fetches
     * it already (its cursor is a dependency of the load), so only the first page is reloaded here.
     */
    restart: async () => {
      if (cursor === null) await list.reload();
      else setCursor(null);
    },
    onFirstPage: cursor === null,
  };
}

export type PagedList<T> = ReturnType<typeof usePagedList<T>>;
