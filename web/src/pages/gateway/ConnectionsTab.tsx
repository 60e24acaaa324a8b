import { Link, useSearchParams } from 'react-router';
import { api } from '../../api.ts';
import { circuitSentence } from '../../ui/CircuitStatus.tsx';
import { ResourceTable } from '../../ui/ResourceTable.tsx';
import { RowSwitch, useConfirmRow, useRowAction } from '../../ui/rowActions.tsx';
import { usePagedList } from '../../ui/usePagedList.ts';
import { ConfirmDelete, NameCell, when } from './parts.tsx';
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
      if ((rule as { expression?: string }).expression)
        return `Reshape with an expression${rule.mappings ? `, then send ${rule.mappings.length} mapped fields` : ''}`;
      return rule.mappings
        ? `Send ${rule.mappings.length} mapped ${rule.mappings.length === 1 ? 'field' : 'fields'} (${rule.envelope} envelope)`
        : `Send every field (${rule.envelope} envelope)`;
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
  const deleting = useConfirmRow<Connection>((c) => api('DELETE', `/connections/${c.id}`), list.restart);
  const rows = list.data?.models ?? [];
  const used = useUsedBy('connection', list.data);
  const filtered = Object.keys(filters).length > 0;

  return (
    <>
      {filtered && (
        <p className="row" data-testid="connections-filter">
          {/* Named as on the other tabs; the id only until a row says the name. */}
          Showing the connections of{' '}
          {filters.source_id ? (
            <>source {rows[0] ? `“${rows[0].source.name}”` : <code>{filters.source_id}</code>}</>
          ) : (
            <>destination {rows[0] ? `“${rows[0].destination.name}”` : <code>{filters.destination_id}</code>}</>
          )}
          .<Link to="/connections">Show all</Link>
        </p>
      )}
      <ResourceTable
        list={list}
        error={action.error}
        above={
          deleting.row && (
            <ConfirmDelete title={`Delete the connection “${deleting.row.full_name}”?`} onCancel={deleting.cancel} onConfirm={deleting.confirm}>
              <p>
                Events from <strong>{deleting.row.source.name}</strong> stop going to <strong>{deleting.row.destination.name}</strong>, and deliveries still
                waiting are cancelled. The source and the destination themselves stay.
              </p>
              {deleting.row.source.type === 'APPLICATION' && (
                <p className="warn">It carries published events: if it belongs to a webhook or a flow, that webhook stops receiving them.</p>
              )}
            </ConfirmDelete>
          )
        }
        loading="Loading connections…"
        empty={
          <div className="empty" data-testid="connections-empty">
            {filtered ? <p>Nothing is connected to it yet.</p> : <p>No connections yet. A connection sends what a source receives to a destination.</p>}
            <p>
              <Link to="/flows">Build a flow</Link> to connect a trigger to a destination by dragging, or <Link to="/webhooks">add a webhook</Link>.
            </p>
          </div>
        }
        pager="connections"
        className="gateway"
        rowKey={(c) => c.id}
        rowAttributes={(c) => ({ 'data-testid': 'connection-row', 'data-id': c.id })}
        columns={[
          {
            head: 'Name',
            cell: (c) => (
              <NameCell of={c}>
                {/* Its two ends are the next column; what matters here is the flow that drew it. */}
                <UsedByLine usage={used.get(c.id)} loaded={used.loaded} skip={['sources', 'destinations']} label="Part of" empty="Made by hand (no flow)" />
              </NameCell>
            ),
          },
          { head: 'Source → destination', testId: 'connection-route', cell: (c) => <Route c={c} /> },
          {
            head: 'What happens on the way',
            title: 'Rules: the filter, retry policy and field mapping applied on the way',
            testId: 'connection-rules',
            cell: (c) =>
              c.rules.length === 0 ? (
                <span className="muted">Everything, as received</span>
              ) : (
                <ul className="rules">
                  {c.rules.map((r, i) => (
                    <li key={i}>{ruleSummary(r)}</li>
                  ))}
                </ul>
              ),
          },
          {
            head: 'Status',
            testId: 'status',
            cell: (c) =>
              c.disabled_at ? (
                <span className="bad">disabled</span>
              ) : c.paused_at ? (
                <span className="warn" title={`since ${when(c.paused_at)}; events are held until it is unpaused`}>
                  paused
                </span>
              ) : (
                <span className="good">active</span>
              ),
          },
          { head: 'Created', cell: (c) => when(c.created_at) },
        ]}
        actions={(c) => (
          <>
            {!c.disabled_at && (
              <RowSwitch
                action={action}
                id={c.id}
                path={`/connections/${c.id}`}
                testId="connection"
                verb={c.paused_at ? 'unpause' : 'pause'}
                title={c.paused_at ? 'Deliver again, starting with the events held while paused' : 'Hold new events without losing them'}
              />
            )}
            <RowSwitch action={action} id={c.id} path={`/connections/${c.id}`} testId="connection" verb={c.disabled_at ? 'enable' : 'disable'} />
            <button className="danger" data-testid="connection-delete" onClick={() => deleting.ask(c)}>
              Delete
            </button>
          </>
        )}
      />
    </>
  );
}

/** Where a connection goes, and what stops it at either end. */
function Route({ c }: { c: Connection }) {
  return (
    <>
      {c.source.name}
      {c.source.type === 'APPLICATION' && (
        <>
          {' '}
          <span className="badge">built in</span>
        </>
      )}
      {' → '}
      {c.destination.name}
      {c.source.disabled_at && <div className="bad small-text">its source is disabled</div>}
      {c.destination.disabled_at && <div className="bad small-text">its destination is disabled</div>}
      {!c.destination.disabled_at && c.destination.circuit.state === 'open' && (
        <div className="warn small-text" data-testid="connection-destination-paused">
          its destination is paused by Wirehub: {circuitSentence(c.destination.circuit)}
        </div>
      )}
    </>
  );
}
