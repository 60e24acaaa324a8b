import { api } from '../api.ts';
import type { FlowStats } from './flow-api.ts';
import { usePolled } from './usePolled.ts';

export const STATS_EVERY_MS = 3_000;

/** The saved flow's counts of the last 24 hours, asked again every 3 s while the editor is in view. */
export function useFlowStats(flowId: string | null, refresh: unknown): FlowStats | null {
  return usePolled(flowId ? () => api<FlowStats>('GET', `/flows/${flowId}/stats?hours=24`) : null, STATS_EVERY_MS, `${flowId}:${String(refresh)}`);
}
