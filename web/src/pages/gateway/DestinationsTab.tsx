import { useState } from 'react';
import { Link } from 'react-router';
import { CONNECTOR_NODES } from '../../../../shared/connectors.ts';
import { api } from '../../api.ts';
import { Sparkline } from '../../ui/Chart.tsx';
import { CircuitStatus } from '../../ui/CircuitStatus.tsx';
import { useSparklines } from '../../ui/useSparklines.ts';
import { ResourceTable } from '../../ui/ResourceTable.tsx';
import { RowSwitch, useConfirmRow, useRowAction } from '../../ui/rowActions.tsx';
import { usePagedList } from '../../ui/usePagedList.ts';
import { MOCK_API, MockRequests, NewMockApi } from './MockRequests.tsx';
import { ConfirmDelete, ConnectionsGoing, NameCell, when } from './parts.tsx';
import type { Destination } from './types.ts';
import { UsedByLine, useUsedBy, type Usage } from './UsedBy.tsx';

const TYPE_NAMES: Record<string, string> = {
  HTTP: 'Webhook (HTTP)',
  'http-webhook': 'Webhook (HTTP)',
  'google-sheets': 'Google Sheet',
  'crm-relay': 'CRM',
  zapier: 'Zapier hook',
  MOCK_API: 'Test receiver',
};
/** A type named here by nobody goes by its flow node's label (connectors/catalogue.ts). */
const typeName = (type: string) => (Object.hasOwn(TYPE_NAMES, type) ? TYPE_NAMES[type] : (CONNECTOR_NODES.find((n) => n.connector === type)?.label ?? type));

const str = (v: unknown) => (typeof v === 'string' ? v : '');

/** What a destination writes to, in the words of its type; the config shape is each connector's own. */
export function destinationTarget(d: Pick<Destination, 'type' | 'config'>): string {
  const c = d.config;
  switch (d.type) {
    case 'HTTP':
    case 'http-webhook':
      return `${str(c.http_method) || 'POST'} ${str(c.url)}`;
    case 'google-sheets':
      return `Sheet “${str(c.sheetName) || 'first sheet'}” of spreadsheet ${str(c.spreadsheetId)}${c.client_email ? ` (shared with ${str(c.client_email)})` : ''}`;
    case 'crm-relay':
      return c.preset === 'generic'
        ? `CRM at ${str(c.url)}`
        : `${c.preset === 'hubspot' ? 'HubSpot' : c.preset === 'pipedrive' ? 'Pipedrive' : str(c.preset)} contacts${c.base_url ? ` (${str(c.base_url)})` : ''}`;
    case 'zapier':
      return `${str(c.url)}${c.event ? ` on ${str(c.event)}` : ''}`;
    case MOCK_API:
      return `${str(c.url)}, answers ${typeof c.response_status === 'number' ? c.response_status : 200}`;
    default:
      // A connector whose URL is a credential (Slack's) shows it masked, as its `describe` gives it.
      return str(c.url_hint) || str(c.url) || JSON.stringify(c);
  }
}

export function DestinationsTab() {
  const list = usePagedList<Destination>('/destinations');
  const action = useRowAction(list.reload);
  const deleting = useConfirmRow<Destination>((d) => api('DELETE', `/destinations/${d.id}`), list.restart);
  const [creatingMock, setCreatingMock] = useState(false);
  const [viewing, setViewing] = useState<Pick<Destination, 'id' | 'name'> | null>(null);
  const used = useUsedBy('destination', list.data);
  const sparks = useSparklines(
    'destination',
    (list.data?.models ?? []).map((d) => d.id),
  );

  return (
    <>
      <div className="row">
        {!creatingMock && (
          <button
            data-testid="mock-api-new"
            title="A destination that needs no endpoint: Wirehub records what it receives"
            onClick={() => setCreatingMock(true)}
          >
            New test receiver
          </button>
        )}
      </div>
      {creatingMock && (
        <NewMockApi
          onCancel={() => setCreatingMock(false)}
          onCreated={async (d) => {
            setCreatingMock(false);
            setViewing(d);
            await list.restart();
          }}
        />
      )}
      {viewing && <MockRequests key={viewing.id} destination={viewing} onClose={() => setViewing(null)} />}
      <ResourceTable
        list={list}
        error={action.error}
        above={
          deleting.row && (
            <DestinationDeleteConfirm destination={deleting.row} usage={used.get(deleting.row.id)} onCancel={deleting.cancel} onConfirm={deleting.confirm} />
          )
        }
        loading="Loading destinations…"
        empty={
          <div className="empty" data-testid="destinations-empty">
            <p>No destinations yet. The quickest way to make one is a flow: drag a trigger and a destination onto the canvas.</p>
            <p>
              <Link to="/flows">Build a flow</Link> or <Link to="/webhooks">add a webhook</Link>.
            </p>
          </div>
        }
        pager="destinations"
        className="gateway"
        rowKey={(d) => d.id}
        rowAttributes={(d) => ({ 'data-testid': 'destination-row', 'data-id': d.id })}
        columns={[
          {
            head: 'Name',
            cell: (d) => (
              <NameCell of={d}>
                <UsedByLine usage={used.get(d.id)} loaded={used.loaded} />
              </NameCell>
            ),
          },
          { head: 'Type', cell: (d) => typeName(d.type) },
          { head: 'Writes to', className: 'mono', testId: 'destination-target', cell: destinationTarget },
          { head: 'Status', testId: 'status', cell: (d) => <DestinationStatus d={d} /> },
          { head: 'Last 24 h', cell: (d) => sparks[d.id] && <Sparkline {...sparks[d.id]} /> },
          { head: 'Created', cell: (d) => when(d.created_at) },
        ]}
        actions={(d) => (
          <>
            <Link to={`/connections?destination_id=${d.id}`} data-testid="destination-connections">
              Connections
            </Link>
            {d.type === MOCK_API && (
              <button data-testid="destination-mock-requests" onClick={() => setViewing(d)}>
                Received requests
              </button>
            )}
            <RowSwitch
              action={action}
              id={d.id}
              path={`/destinations/${d.id}`}
              testId="destination"
              verb={d.disabled_at ? 'enable' : 'disable'}
              title={
                d.disabled_at
                  ? 'Deliver again; the events held while it was disabled are sent'
                  : 'Stop delivering; new events are held until it is enabled again'
              }
            />
            <button className="danger" data-testid="destination-delete" onClick={() => deleting.ask(d)}>
              Delete
            </button>
          </>
        )}
      />
    </>
  );
}

function DestinationStatus({ d }: { d: Destination }) {
  const failing = d.consecutive_failures > 0 || !!d.disabled_reason;
  return (
    <>
      {/* Disabled (by a user or after failures) outranks a pause: its events are held either way. */}
      {d.disabled_at ? (
        <span className="bad">disabled</span>
      ) : d.circuit.state === 'open' ? (
        <CircuitStatus circuit={d.circuit} />
      ) : (
        <span className="good">enabled</span>
      )}
      {d.disabled_reason && <div className="small-text">{d.disabled_reason}</div>}
      {d.max_concurrency !== null && (
        <div className="muted small-text">
          {d.max_concurrency} {d.max_concurrency === 1 ? 'delivery' : 'deliveries'} at once
        </div>
      )}
      {d.warning && (
        <div className="warn small-text" data-testid="destination-warning">
          {d.warning}
        </div>
      )}
      {failing && (
        <div className="small-text">
          <Link to={`/events?destination_id=${d.id}`} className="failing" data-testid="destination-failing">
            {d.consecutive_failures > 0
              ? `failing: ${d.consecutive_failures} failed ${d.consecutive_failures === 1 ? 'attempt' : 'attempts'} in a row`
              : 'see its events'}{' '}
            →
          </Link>
        </div>
      )}
    </>
  );
}

function DestinationDeleteConfirm({
  destination,
  usage,
  onCancel,
  onConfirm,
}: {
  destination: Destination;
  usage: Usage | undefined;
  onCancel: () => void;
  onConfirm: () => Promise<void>;
}) {
  return (
    <ConfirmDelete title={`Delete the destination “${destination.name}”?`} onCancel={onCancel} onConfirm={onConfirm}>
      <p>Deliveries still waiting for it are cancelled; past events stay in the log.</p>
      {usage && usage.flows.length > 0 && (
        <p className="warn">The flows {usage.flows.map((f) => `“${f.name}”`).join(', ')} deliver to it: their step is left pointing at nothing.</p>
      )}
      <ConnectionsGoing by="destination_id" id={destination.id} name={(c) => c.full_name}>
        {/* A webhook (or flow destination) is a destination fed by the built-in application source. */}
        {(models) =>
          models.some((c) => c.source.type === 'APPLICATION') && (
            <p className="warn">It is one of your webhooks or flow destinations: the webhook disappears too.</p>
          )
        }
      </ConnectionsGoing>
    </ConfirmDelete>
  );
}
