import { useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { api } from '../../api.ts';
import { circuitSentence } from '../../ui/CircuitStatus.tsx';
import { ErrorBox } from '../../ui/ErrorBox.tsx';
import { ConfirmDelete, Pager, usePagedList, useRowAction, when } from './parts.tsx';
import type { Connection } from './types.ts';
import { UsedByLine, useUsedBy } from './UsedBy.tsx';

type Rule = Connection['rules'][number];

const compact = (v: unknown) => {
  const text = JSON.stringify(v);
  return text.length > 80 ? `${text.slice(0, 77)}…` : text;
};

const duration = (ms: number) => (ms >= 60_000 ? `${Math.round(ms / 60_000)} min` : `${Math.round(ms / 1000)} s`);

/** One line per rule, in the terms of the rule editor: what is filtered, how often it retries, what is mapped. */
export function ruleSummary(rule: Rule): string {
  switch (rule.type) {
    case 'filter': {
      const parts = (['body', 'headers', 'query', 'path'] as const).filter((k) => rule[k] !== undefined).map((k) => `${k} ${compact(rule[k])}`);
      return `Only when ${parts.join(' and ') || 'always'}`;
    }
    case 'retry':
      return `Retry ${rule.count}× (${rule.strategy}, every ${duration(rule.interval)})${rule.response_status_codes?.length ? ` on ${rule.response_status_codes.join(', ')}` : ''}`;
    case 'transform':
      if ((rule as { expression?: string }).expression) return `Reshape with an expression${rule.mappings ? `, then send ${rule.mappings.length} mapped fields` : ''}`;
      return rule.mappings ? `Send ${rule.mappings.length} mapped ${rule.mappings.length === 1 ? 'field' : 'fields'} (${rule.envelope} envelope)` : `Send every field (${rule.envelope} envelope)`;
    case 'transformation':
      // Filters listed after it read the transformed request (see Transformations).
      return `Run the transformation ${rule.transformation_id ?? rule.transformation?.name ?? ''}`.trim();
  }
  // Rule types (and fields) newer than the union this page was built against are read loosely, so a
  // server ahead of the portal still shows a sentence, or at least the rule's name.
  const other = rule as { type: string; delay?: number; window?: number; include_fields?: string[] };
  if (other.type === 'delay' && typeof other.delay === 'number') return `Wait ${duration(other.delay)} before delivering`;
  if (other.type === 'deduplicate' && typeof other.window === 'number') {
    return `Drop repeats within ${duration(other.window)}${other.include_fields ? ` (same ${other.include_fields.join(', ')})` : ''}`;
  }
  return other.type;
}

export function ConnectionsTab() {
  const [params] = useSearchParams();
  const filters: Record<string, string> = {};
  for (const k of ['source_id', 'destination_id']) {
    const v = params.get(k);
    if (v) filters[k] = v;
  }
  const list = usePagedList<Connection>('/connections', filters);
  const action = useRowAction(list.reload);
  const [deleting, setDeleting] = useState<Connection | null>(null);
  const rows = list.data?.models ?? [];
  const used = useUsedBy('connection', list.data);
  const filtered = Object.keys(filters).length > 0;

  return (
    <>
      {filtered && (
        <p className="row" data-testid="connections-filter">
          {/* Named as on the other tabs; the id only until a row says the name. */}
          Showing the connections of{' '}
          {filters.source_id ? <>source {rows[0] ? `“${rows[0].source.name}”` : <code>{filters.source_id}</code>}</> : <>destination {rows[0] ? `“${rows[0].destination.name}”` : <code>{filters.destination_id}</code>}</>}.
          <Link to="/connections">Show all</Link>
        </p>
      )}
      <ErrorBox error={action.error ?? list.error} />
      {deleting && (
        <ConfirmDelete
          title={`Delete the connection “${deleting.full_name}”?`}
          onCancel={() => setDeleting(null)}
          onConfirm={async () => {
            await api('DELETE', `/connections/${deleting.id}`);
            setDeleting(null);
            await list.restart();
          }}
        >
          <p>
            Events from <strong>{deleting.source.name}</strong> stop going to <strong>{deleting.destination.name}</strong>, and deliveries still waiting are cancelled. The source and the destination
            themselves stay.
          </p>
          {deleting.source.type === 'APPLICATION' && <p className="warn">It carries published events: if it belongs to a webhook or a flow, that webhook stops receiving them.</p>}
        </ConfirmDelete>
      )}
      {list.loading && !list.data && <p className="loading">Loading connections…</p>}
      {list.data && rows.length === 0 && list.onFirstPage && (
        <div className="empty" data-testid="connections-empty">
          {filtered ? (
            <p>Nothing is connected to it yet.</p>
          ) : (
            <p>No connections yet. A connection sends what a source receives to a destination.</p>
          )}
          <p>
            <Link to="/flows">Build a flow</Link> to connect a trigger to a destination by dragging, or <Link to="/webhooks">add a webhook</Link>.
          </p>
        </div>
      )}
      {rows.length > 0 && (
        <table className="gateway">
          <thead>
            <tr>
              <th>Name</th>
              <th>Source → destination</th>
              <th title="Rules: the filter, retry policy and field mapping applied on the way">What happens on the way</th>
              <th>Status</th>
              <th>Created</th>
              <th>
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((c) => (
              <tr key={c.id} data-testid="connection-row" data-id={c.id}>
                <td>
                  <strong>{c.name}</strong>
                  {c.description && <div className="muted small-text">{c.description}</div>}
                  <div className="muted mono small-text">{c.id}</div>
                  {/* Its two ends are the next column; what matters here is the flow that drew it. */}
                  <UsedByLine usage={used.get(c.id)} loaded={used.loaded} skip={['sources', 'destinations']} label="Part of" empty="Made by hand (no flow)" />
                </td>
                <td data-testid="connection-route">
                  {c.source.name}
                  {c.source.type === 'APPLICATION' && <> <span className="badge">built in</span></>}
                  {' → '}
                  {c.destination.name}
                  {c.source.disabled_at && <div className="bad small-text">its source is disabled</div>}
                  {c.destination.disabled_at && <div className="bad small-text">its destination is disabled</div>}
                  {!c.destination.disabled_at && c.destination.circuit.state === 'open' && (
                    <div className="warn small-text" data-testid="connection-destination-paused">
                      its destination is paused by Wirehub: {circuitSentence(c.destination.circuit)}
                    </div>
                  )}
                </td>
                <td data-testid="connection-rules">
                  {c.rules.length === 0 ? (
                    <span className="muted">Everything, as received</span>
                  ) : (
                    <ul className="rules">
                      {c.rules.map((r, i) => (
                        <li key={i}>{ruleSummary(r)}</li>
                      ))}
                    </ul>
                  )}
                </td>
                <td data-testid="status">
                  {c.disabled_at ? <span className="bad">disabled</span> : c.paused_at ? <span className="warn" title={`since ${when(c.paused_at)}; events are held until it is unpaused`}>paused</span> : <span className="good">active</span>}
                </td>
                <td>{when(c.created_at)}</td>
                <td className="actions-cell">
                  <div className="actions">
                    {!c.disabled_at && (
                      <button
                        data-testid={c.paused_at ? 'connection-unpause' : 'connection-pause'}
                        disabled={action.busy === c.id}
                        title={c.paused_at ? 'Deliver again, starting with the events held while paused' : 'Hold new events without losing them'}
                        onClick={() => void action.run(c.id, () => api('POST', `/connections/${c.id}/${c.paused_at ? 'unpause' : 'pause'}`))}
                      >
                        {c.paused_at ? 'Unpause' : 'Pause'}
                      </button>
                    )}
                    <button
                      data-testid={c.disabled_at ? 'connection-enable' : 'connection-disable'}
                      disabled={action.busy === c.id}
                      onClick={() => void action.run(c.id, () => api('POST', `/connections/${c.id}/${c.disabled_at ? 'enable' : 'disable'}`))}
                    >
                      {c.disabled_at ? 'Enable' : 'Disable'}
                    </button>
                    <button className="danger" data-testid="connection-delete" onClick={() => setDeleting(c)}>
                      Delete
                    </button>
                  </div>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Pager list={list} what="connections" />
    </>
  );
}
