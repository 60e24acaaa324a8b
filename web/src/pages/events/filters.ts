/** The events log's filters live in the page's URL, so a filtered view can be linked to (a flow's failed count does). */
export type EventFilterState = {
  status: string;
  source_id: string;
  destination_id: string;
  connection_id: string;
  /** '', '1h', '24h', '7d' or 'custom' (then from/to are datetime-local values). */
  range: string;
  from: string;
  to: string;
  q: string;
};

export const FILTER_KEYS: (keyof EventFilterState)[] = ['status', 'source_id', 'destination_id', 'connection_id', 'range', 'from', 'to', 'q'];

export const RANGES: [string, string][] = [
  ['', 'Any time'],
  ['1h', 'Last hour'],
  ['24h', 'Last 24 hours'],
  ['7d', 'Last 7 days'],
  ['custom', 'Custom…'],
];

export function readFilters(params: URLSearchParams): EventFilterState {
  const get = (k: string) => params.get(k) ?? '';
  // Links elsewhere in the portal use webhook_id for a webhook's connection.
  return {
    status: get('status'),
    source_id: get('source_id'),
    destination_id: get('destination_id'),
    connection_id: get('connection_id') || get('webhook_id'),
    range: get('range'),
    from: get('from'),
    to: get('to'),
    q: get('q'),
  };
}

/** A datetime-local value (local time, no zone) as the ISO instant the API takes. */
const isoOf = (local: string) => {
  const d = new Date(local);
  return Number.isNaN(d.getTime()) ? '' : d.toISOString();
};

/** A whole id (`req_…`, `evt_…`, `msg_…`): it names one thing, whatever the other filters say. */
export const isFullId = (q: string) => /^[a-z]{2,4}_[0-9a-z]{26}$/.test(q.trim());

/** The API's filters (seed 002) for the page's state; the same object serves the list, the count and a bulk retry. */
export function apiFilters(f: EventFilterState): Record<string, string> {
  // The id a sender got is found even when the page was filtered to another source or time.
  if (isFullId(f.q)) return { q: f.q.trim() };
  const out: Record<string, string> = {};
  if (f.status) out.status = f.status;
  if (f.source_id) out.source_id = f.source_id;
  if (f.destination_id) out.destination_id = f.destination_id;
  if (f.connection_id) out.connection_id = f.connection_id;
  if (f.q.trim()) out.q = f.q.trim();
  if (f.range && f.range !== 'custom') out.from = `now-${f.range}`;
  if (f.range === 'custom') {
    if (f.from && isoOf(f.from)) out.from = isoOf(f.from);
    if (f.to && isoOf(f.to)) out.to = isoOf(f.to);
  }
  return out;
}

/** The filters in words, for the confirmation of a bulk retry. */
export function describeFilters(f: Record<string, string>, names: Record<string, string>): string {
  const parts: string[] = [];
  if (f.status) parts.push(`status ${f.status}`);
  if (f.source_id) parts.push(`from source ${names[f.source_id] ?? f.source_id}`);
  if (f.destination_id) parts.push(`to destination ${names[f.destination_id] ?? f.destination_id}`);
  if (f.connection_id) parts.push(`on connection ${names[f.connection_id] ?? f.connection_id}`);
  if (f.from)
    parts.push(
      f.from.startsWith('now-') ? `in the last ${f.from.slice(4).replace('h', ' h').replace('d', ' days')}` : `since ${new Date(f.from).toLocaleString()}`,
    );
  if (f.to) parts.push(`until ${new Date(f.to).toLocaleString()}`);
  if (f.q) parts.push(`matching “${f.q}”`);
  return parts.length ? parts.join(', ') : 'every event of this workspace';
}
