import { useEffect, useMemo, useState, type Dispatch, type SetStateAction } from 'react';
import { api } from '../api.ts';
import type { IncomingWebhookOut, SourceSample } from './flow-api.ts';
import { ListenStore } from './listen-store.ts';

/** What the editor does with inbound sources besides listing them: make one for a dropped trigger, rename it, pick its sample. */
export type SourceActions = {
  /** POST /flows/incoming-webhook; `onCanvas`: the sources already drawn, which an idle one must not be. */
  create(onCanvas: string[]): Promise<IncomingWebhookOut>;
  rename(id: string, name: string): Promise<void>;
  /** The request the filter and map panels read their fields from, until the next page load (then: the last request). */
  chooseSample(id: string, sample: SourceSample): void;
  /** "Listen for a test request" of each source, kept while the trigger's panel is closed, stopped when the editor goes. */
  listener: ListenStore;
};

export function useSourceActions(reloadSources: () => Promise<void>, setSamples: Dispatch<SetStateAction<Record<string, SourceSample | null>>>): SourceActions {
  const [listener] = useState(() => new ListenStore());
  useEffect(() => () => listener.stopAll(), [listener]);
  return useMemo(
    () => ({
      listener,
      async create(onCanvas) {
        const made = await api<IncomingWebhookOut>('POST', '/flows/incoming-webhook', { exclude: onCanvas });
        // Made or taken back only while unused: it has no request to load.
        setSamples((m) => ({ ...m, [made.id]: null }));
        await reloadSources();
        return made;
      },
      async rename(id, name) {
        await api('PATCH', `/sources/${encodeURIComponent(id)}`, { name });
        await reloadSources();
      },
      chooseSample(id, sample) {
        setSamples((m) => ({ ...m, [id]: sample }));
      },
    }),
    [reloadSources, setSamples, listener],
  );
}
