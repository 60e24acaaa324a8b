import { useEffect, useRef, useState } from 'react';

/**
 * A counter that goes up every `everyMs` while the tab is visible (and at once when it becomes
 * visible again), for views that reload themselves: the log follows deliveries as they happen
 * without a Refresh button, and a hidden tab costs the server nothing.
 */
export function useLiveTick(everyMs: number, enabled = true): number {
  const [tick, setTick] = useState(0);
  const timer = useRef<ReturnType<typeof setInterval> | null>(null);
  useEffect(() => {
    if (!enabled) return;
    const stop = () => {
      if (timer.current) clearInterval(timer.current);
      timer.current = null;
    };
    const start = () => {
      stop();
      if (document.visibilityState === 'hidden') return;
      timer.current = setInterval(() => setTick((t) => t + 1), everyMs);
    };
    const onVisibility = () => {
      if (document.visibilityState === 'visible') setTick((t) => t + 1);
      start();
    };
    start();
    document.addEventListener('visibilitychange', onVisibility);
    return () => {
      stop();
      document.removeEventListener('visibilitychange', onVisibility);
    };
  }, [everyMs, enabled]);
  return tick;
}
