import { useEffect, useState } from 'react';

/**
 * `load()` now and every `everyMs` while the page is visible, and at once when it becomes visible
 * again: counts that change as deliveries happen keep up without a reload, and a tab in the
 * background asks nothing. A failed load keeps the last answer (counts are a glance, not the task
 * at hand) and tries again at the next tick. `key` restarts it (another flow, a save).
 */
export function usePolled<T>(load: (() => Promise<T>) | null, everyMs: number, key: unknown): T | null {
  const [value, setValue] = useState<T | null>(null);
  useEffect(() => {
    if (!load) return setValue(null);
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let busy = false;
    const hidden = () => document.visibilityState === 'hidden';
    const tick = async () => {
      clearTimeout(timer);
      if (busy || hidden()) return;
      busy = true;
      try {
        const next = await load();
        if (live) setValue(next);
      } catch {
        // kept: the last answer stays on screen
      } finally {
        busy = false;
      }
      if (live && !hidden()) timer = setTimeout(() => void tick(), everyMs);
    };
    const onVisible = () => {
      if (!hidden()) void tick();
    };
    document.addEventListener('visibilitychange', onVisible);
    void tick();
    return () => {
      live = false;
      clearTimeout(timer);
      document.removeEventListener('visibilitychange', onVisible);
    };
    // `load` is a fresh closure on each render; `key` says when it asks something else.
  }, [key, everyMs, load === null]);
  return value;
}
