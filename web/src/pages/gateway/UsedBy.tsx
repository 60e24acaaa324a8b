import { Fragment } from 'react';
import { Link } from 'react-router';
import type { UsedByKindT, UsedByOut } from '../../../../shared/api.ts';
import { api } from '../../api.ts';
import { useLoad } from '../../ui/useLoad.ts';

export type Usage = UsedByOut;

/** Where every object of a kind is used, in one request for a whole list page (GET /used-by?kind=…). */
export function useUsedBy(kind: UsedByKindT, reloadKey: unknown = null) {
  const all = useLoad(() => api<{ models: Usage[] }>('GET', `/used-by?kind=${kind}`), [kind, reloadKey]);
  const byId = new Map((all.data?.models ?? []).map((u) => [u.id, u]));
  return { loaded: all.data !== null, get: (id: string) => byId.get(id), reload: all.reload, error: all.error };
}

type Kind = 'flows' | 'webhooks' | 'connections' | 'sources' | 'destinations';
const WORDS: Record<Kind, [string, string]> = {
  flows: ['flow', 'flows'],
  webhooks: ['webhook', 'webhooks'],
  connections: ['connection', 'connections'],
  sources: ['source', 'sources'],
  destinations: ['destination', 'destinations'],
};
const href: Record<Kind, (id: string) => string> = {
  flows: (id) => `/flows/${id}`,
  webhooks: () => '/webhooks',
  connections: () => '/connections',
  sources: () => '/sources',
  destinations: () => '/destinations',
};

/**
 * "Used by: flow Orders, webhook …" for one object, each name a link to where it is edited. More
 * than three of a kind read as a count. `skip` leaves out what the page shows already (a
 * connection's own ends), `label` replaces "Used by".
 */
export function UsedByLine({
  usage,
  loaded = true,
  skip = [],
  label = 'Used by',
  empty = 'Not used by any flow or connection yet',
}: {
  usage: Usage | undefined;
  loaded?: boolean;
  skip?: Kind[];
  label?: string;
  empty?: string;
}) {
  if (!loaded) return null;
  // What a flow drew is the flow: its connection and webhook are named once, as the flow; a webhook's connection, as the webhook.
  const flows = new Set(usage?.flows.map((f) => f.id));
  const webhooks = new Set(usage?.webhooks.map((w) => w.id));
  const shown: Usage | undefined = usage && {
    ...usage,
    webhooks: usage.webhooks.filter((w) => !w.flow_id || !flows.has(w.flow_id)),
    connections: usage.connections.filter((c) => !webhooks.has(c.id) && (!c.flow_id || !flows.has(c.flow_id))),
  };
  const kinds = (Object.keys(WORDS) as Kind[]).filter((k) => !skip.includes(k) && (shown?.[k].length ?? 0) > 0);
  if (!shown || kinds.length === 0) {
    return (
      <div className="muted small-text" data-testid="used-by">
        {empty}
      </div>
    );
  }
  return (
    <div className="small-text" data-testid="used-by">
      {label}:{' '}
      {kinds.map((k, i) => {
        const refs = shown[k];
        const [one, many] = WORDS[k];
        return (
          <Fragment key={k}>
            {i > 0 && ' · '}
            {refs.length > 3 ? (
              <Link to={k === 'flows' ? '/flows' : href[k](refs[0].id)}>
                {refs.length} {many}
              </Link>
            ) : (
              <>
                {refs.length === 1 ? one : many}{' '}
                {refs.map((r, j) => (
                  <Fragment key={r.id}>
                    {j > 0 && ', '}
                    <Link to={href[k](r.id)} data-testid={`used-by-${one}`}>
                      {r.name}
                    </Link>
                  </Fragment>
                ))}
              </>
            )}
          </Fragment>
        );
      })}
    </div>
  );
}
