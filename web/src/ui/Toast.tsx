import { useEffect } from 'react';

/**
 * A short confirmation pinned near the top of the viewport ("Saved."), so it is seen wherever the
 * page is scrolled; it leaves by itself after `ms`, or when pressed.
 */
export function Toast({ message, onDone, ms = 4000, testid = 'toast' }: { message: string | null; onDone: () => void; ms?: number; testid?: string }) {
  useEffect(() => {
    if (!message) return;
    const t = setTimeout(onDone, ms);
    return () => clearTimeout(t);
  }, [message, ms, onDone]);
  if (!message) return null;
  return (
    <div className="toast" role="status" aria-live="polite" data-testid={testid} onClick={onDone}>
      {message}
    </div>
  );
}
