import { useEffect, useState } from 'react';
import { api } from '../api.ts';
import type { FlowStats } from './flow-api.ts';

export const STATS_EVERY_MS = 10_000;

/** The saved flow's counts of the last 24 hours, polled every 10 s while the editor is open. */
export function useFlowStats(flowId: string | null, refresh: unknown): FlowStats | null {
  const [stats, setStats] = useState<FlowStats | null>(null);
  useEffect(() => {
    if (!flowId) return setStats(null);
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = async () => {
      try {
        const next = await api<FlowStats>('GET', `/flows/${flowId}/stats?hours=24`);
        if (live) setStats(next);
      } catch {
        // Counts are a glance, not the task at hand: a failed poll keeps the last ones and tries again.
      }
      if (live) timer = setTimeout(() => void poll(), STATS_EVERY_MS);
    };
    void poll();
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [flowId, refresh]);
  return stats;
}
