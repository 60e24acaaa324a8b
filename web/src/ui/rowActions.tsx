import { useState } from 'react';
import { api } from '../api.ts';

/** Runs a row action and reloads the list; the API's error is shown above the table. */
export function useRowAction(reload: () => Promise<void>) {
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const run = async (id: string, fn: () => Promise<unknown>) => {
    setError(null);
    setBusy(id);
    try {
      await fn();
      await reload();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(null);
    }
  };
  return { error, busy, run, setError };
}

export type RowAction = ReturnType<typeof useRowAction>;

/**
 * A row action that asks first (delete, revoke, remove): `ask(row)` opens the page's confirmation
 * for that row, `confirm` does it, closes the confirmation, then runs `after` (the list reloaded).
 * A failure leaves the confirmation open; it shows the error itself (Confirm in gateway/parts.tsx).
 */
export function useConfirmRow<T>(act: (row: T) => Promise<unknown>, after?: (row: T) => Promise<unknown>) {
  const [row, setRow] = useState<T | null>(null);
  return {
    row,
    ask: (r: T) => setRow(r),
    cancel: () => setRow(null),
    confirm: async () => {
      if (row === null) return;
      await act(row);
      setRow(null);
      await after?.(row);
    },
  };
}

/**
 * A row's switch between two states through the API (disable ↔ enable, pause ↔ unpause): a button
 * that POSTs `<path>/<verb>` and reloads the list. Its test id is `<testId>-<verb>`.
 */
export function RowSwitch({
  action,
  id,
  path,
  verb,
  title,
  testId,
}: {
  action: RowAction;
  id: string;
  path: string;
  verb: string;
  title?: string;
  testId?: string;
}) {
  return (
    <button
      data-testid={testId && `${testId}-${verb}`}
      disabled={action.busy === id}
      title={title}
      onClick={() => void action.run(id, () => api('POST', `${path}/${verb}`))}
    >
      {verb.charAt(0).toUpperCase() + verb.slice(1)}
    </button>
  );
}
