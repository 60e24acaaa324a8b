import { api } from '../api.ts';
import type { SparklinesOut } from '../pages/dashboard/types.ts';
import { useLoad } from './useLoad.ts';

/** The 24 h sparklines of a list's rows, in one call for all of them (at most 100 ids; a list pages at that). */
export function useSparklines(by: 'flow' | 'destination', ids: string[]) {
  const key = ids.slice(0, 100).join(',');
  const load = useLoad(async () => (key ? api<SparklinesOut>('GET', `/metrics/sparklines?${new URLSearchParams({ by, ids: key })}`) : null), [by, key]);
  return load.data?.series ?? {};
}
