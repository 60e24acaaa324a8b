import { useState } from 'react';

/**
 * A form's submit (or any user action): busy while it runs, the API's error kept for the ErrorBox.
 * `setError` is for the page's other failures (a file that cannot be read, a poll) shown in the same box.
 */
export function useSubmit() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const run = async (fn: () => Promise<unknown>) => {
    setBusy(true);
    setError(null);
    try {
      await fn();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, run, setError };
}
