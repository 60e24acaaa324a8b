import { useEffect, useState } from 'react';
import { isFullId, RANGES, type EventFilterState } from './filters.ts';

const STATUSES: [string, string][] = [
  ['', 'Any status'],
  ['FAILED', 'Failed'],
  ['SUCCESSFUL', 'Delivered'],
  ['QUEUED,SCHEDULED', 'Queued or scheduled'],
  ['HOLD', 'On hold'],
  ['CANCELLED', 'Cancelled'],
];

export type Named = { id: string; name: string };

/** Status, source, destination, connection, time range and an id search; each change updates the URL. */
export function EventFilters({
  value,
  sources,
  destinations,
  connections,
  onChange,
  requestsOnly = false,
}: {
  value: EventFilterState;
  sources: Named[];
  destinations: Named[];
  connections: Named[];
  onChange: (patch: Partial<EventFilterState>) => void;
  /** The requests view: a request has no delivery status or destination of its own. */
  requestsOnly?: boolean;
}) {
  const [search, setSearch] = useState(value.q);
  useEffect(() => setSearch(value.q), [value.q]);
  const statuses = STATUSES.some(([v]) => v === value.status) ? STATUSES : [...STATUSES, [value.status, value.status] as [string, string]];
  const select = (label: string, key: keyof EventFilterState, options: [string, string][], testId: string) => (
    <label>
      {label}
      <select aria-label={label} value={value[key]} onChange={(e) => onChange({ [key]: e.target.value })} data-testid={testId}>
        {options.map(([v, text]) => (
          <option key={v} value={v}>
            {text}
          </option>
        ))}
      </select>
    </label>
  );
  // An id from a link (a deleted destination, a flow's connection) still shows, by id.
  const withCurrent = (list: Named[], current: string, any: string): [string, string][] => [
    ['', any],
    ...list.map((n): [string, string] => [n.id, n.name]),
    ...(current && !list.some((n) => n.id === current) ? [[current, current] as [string, string]] : []),
  ];

  return (
    <div className="filters" data-testid="events-filters">
      <div className="row">
        {!requestsOnly && select('Status', 'status', statuses, 'events-filter-status')}
        {select('Source', 'source_id', withCurrent(sources, value.source_id, 'Any source'), 'events-filter-source')}
        {!requestsOnly &&
          select('Destination', 'destination_id', withCurrent(destinations, value.destination_id, 'Any destination'), 'events-filter-destination')}
        {select('Webhook / connection', 'connection_id', withCurrent(connections, value.connection_id, 'Any connection'), 'events-filter-connection')}
        {select('Time', 'range', RANGES, 'events-filter-range')}
      </div>
      {value.range === 'custom' && (
        <div className="row">
          <label>
            From
            <input type="datetime-local" value={value.from} onChange={(e) => onChange({ from: e.target.value })} data-testid="events-filter-from" />
          </label>
          <label>
            To
            <input type="datetime-local" value={value.to} onChange={(e) => onChange({ to: e.target.value })} data-testid="events-filter-to" />
          </label>
        </div>
      )}
      <form
        className="row"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          onChange({ q: search.trim() });
        }}
      >
        <label style={{ flex: '0 1 24rem' }}>
          Search by id
          <input
            type="search"
            value={search}
            onChange={(e) => setSearch(e.target.value)}
            placeholder="Paste req_… (the id the sender got), evt_… or msg_…"
            aria-label="Search by id"
            data-testid="events-search"
          />
        </label>
        <button type="submit" data-testid="events-search-submit">
          Search
        </button>
        {isFullId(value.q) && <span className="muted small-text">Found by its id, whatever the other filters say.</span>}
        {(Object.values(value).some(Boolean) || search) && (
          <button
            type="button"
            onClick={() => {
              setSearch('');
              onChange({ status: '', source_id: '', destination_id: '', connection_id: '', range: '', from: '', to: '', q: '' });
            }}
            data-testid="events-clear-filters"
          >
            Clear filters
          </button>
        )}
      </form>
    </div>
  );
}
