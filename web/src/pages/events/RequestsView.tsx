import { useEffect, useRef, useState } from 'react';
import { useSearchParams } from 'react-router';
import { api } from '../../api.ts';
import { ResourceTable } from '../../ui/ResourceTable.tsx';
import { useLoad } from '../../ui/useLoad.ts';
import { RequestStory } from './RequestStory.tsx';
import { isEventId, OUTCOME_WORDS } from './words.ts';

type OutcomeOut = { result: string; text: string };
type RequestRow = {
  id: string;
  source_name: string | null;
  status: string;
  summary: string | null;
  event_type: string | null;
  created_at: string;
  outcome?: OutcomeOut;
};
type Page = { models: RequestRow[]; pagination: { next: string | null; prev: string | null } };

const PAGE_SIZE = 50;
/** server/gateway/log-filters.ts REQUEST_OUTCOMES, in words. */
const OUTCOMES: [string, string][] = [
  ['', 'Anything'],
  ['not_sent', 'Not sent anywhere (filtered, duplicate, rejected…)'],
  ['filtered', 'Filtered out'],
  ['duplicate', 'Duplicates'],
  ['rejected', 'Rejected (failed verification)'],
  ['no_connection', 'No flow takes it'],
  ['delivered', 'Delivered'],
  ['failed', 'Failed'],
  ['waiting', 'Waiting'],
  ['held', 'On hold'],
];
/** The filters the requests list takes (statuses and destinations belong to deliveries). */
const KEYS = ['source_id', 'connection_id', 'from', 'to', 'q'];

/**
 * Every request that came in, newest first, with what became of it: delivered, filtered out by
 * which flow, a duplicate, on hold, rejected, or sent nowhere. Choosing one tells its story.
 */
export function RequestsView({
  query,
  tick,
  selected,
  onSelect,
  onOpenEvent,
}: {
  query: Record<string, string>;
  tick: number;
  selected: string | null;
  onSelect: (id: string | null) => void;
  onOpenEvent: (id: string) => void;
}) {
  const [params, setParams] = useSearchParams();
  const outcome = params.get('outcome') ?? '';
  const filters: Record<string, string> = {
    ...Object.fromEntries(Object.entries(query).filter(([k]) => KEYS.includes(k))),
    ...(outcome && !query.q ? { outcome } : {}),
  };
  const chooseOutcome = (value: string) => {
    const next = new URLSearchParams(params);
    if (value) next.set('outcome', value);
    else next.delete('outcome');
    onSelect(null);
    setParams(next);
  };
  const key = new URLSearchParams(filters).toString();
  const [cursor, setCursor] = useState<{ next?: string; prev?: string }>({});
  useEffect(() => setCursor({}), [key]);
  // The page remembers the filters it answers: until the new one arrives, the last one stays on screen.
  const list = useLoad(
    async () => ({ key, ...(await api<Page>('GET', `/requests?${new URLSearchParams({ ...filters, limit: String(PAGE_SIZE), ...cursor })}`)) }),
    [key, cursor.next, cursor.prev],
  );
  const count = useLoad(() => api<{ count: number }>('GET', `/requests/count?${key}`), [key]);
  const { reload: reloadList } = list;
  const { reload: reloadCount } = count;
  useEffect(() => {
    if (tick === 0) return;
    void reloadList();
    void reloadCount();
  }, [tick, reloadList, reloadCount]);
  const rows = list.data?.models ?? [];
  // A request found by its id opens at once: the sender's req_… answers "what happened to it?".
  // Once per search, on the rows of that search, whatever was open: a second id pasted replaces
  // the first one's story (the selection is cleared before the new id reaches the URL, and the old
  // search's row reopened it), and a story the user closed stays closed.
  const opened = useRef<string | null>(null);
  useEffect(() => {
    const q = query.q?.trim() ?? '';
    if (!q) opened.current = null;
    if (!q || opened.current === q || list.data?.key !== key || rows.length !== 1) return;
    if (rows[0].id !== q && !isEventId(q)) return;
    opened.current = q;
    onSelect(rows[0].id);
  }, [rows, list.data?.key, key, query.q, onSelect]);

  return (
    <>
      <label className="inline" style={{ maxWidth: '30rem' }}>
        What became of it
        <select aria-label="What became of it" value={outcome} onChange={(e) => chooseOutcome(e.target.value)} data-testid="requests-filter-outcome">
          {OUTCOMES.map(([v, text]) => (
            <option key={v} value={v}>
              {text}
            </option>
          ))}
        </select>
      </label>
      {count.data && (
        <p className="muted" data-testid="requests-count">
          {Object.keys(filters).length
            ? count.data.count === 1
              ? '1 request matches'
              : `${count.data.count} requests match`
            : count.data.count === 1
              ? '1 request received'
              : `${count.data.count} requests received`}
          . Every request is listed, also those that no flow sent on.
        </p>
      )}
      <ResourceTable
        list={list}
        error={count.error}
        loading="Loading requests…"
        empty={
          <div className="empty" data-testid="requests-empty">
            {Object.keys(filters).length
              ? 'No request matches these filters.'
              : 'No request yet. Send one to a source’s URL, or publish an event, and it shows up here.'}
          </div>
        }
        rowKey={(r) => r.id}
        rowAttributes={(r) => ({
          className: selected === r.id ? 'selected' : '',
          onClick: () => onSelect(r.id),
          'data-testid': 'request-row',
          'data-id': r.id,
          'data-outcome': r.outcome?.result,
        })}
        columns={[
          {
            head: 'Received',
            cell: (r) => (
              <>
                <button className="link" onClick={() => onSelect(r.id)} aria-label={`Open request ${r.id}`}>
                  {new Date(r.created_at).toLocaleString()}
                </button>
                <div className="muted mono small-text">{r.id}</div>
              </>
            ),
          },
          { head: 'From', cell: (r) => r.source_name ?? <span className="mono small-text">—</span> },
          {
            head: 'What',
            cell: (r) => (
              <>
                {r.event_type && <span className="badge">{r.event_type}</span>} {r.summary ?? (r.event_type ? '' : <span className="muted">—</span>)}
              </>
            ),
          },
          { head: 'What became of it', testId: 'request-outcome', cell: (r) => <Outcome outcome={r.outcome} /> },
        ]}
      />
      {(list.data?.pagination.prev || list.data?.pagination.next) && (
        <div className="row pager">
          <button disabled={!list.data?.pagination.prev} onClick={() => setCursor({ prev: list.data?.pagination.prev ?? undefined })}>
            Newer
          </button>
          <button disabled={!list.data?.pagination.next} onClick={() => setCursor({ next: list.data?.pagination.next ?? undefined })}>
            Older
          </button>
        </div>
      )}
      {selected && <RequestStory key={selected} id={selected} tick={tick} onOpenEvent={onOpenEvent} onClose={() => onSelect(null)} />}
    </>
  );
}

function Outcome({ outcome }: { outcome: OutcomeOut | undefined }) {
  const [word, tone] = outcome ? (OUTCOME_WORDS[outcome.result] ?? [outcome.result, 'muted']) : ['', ''];
  return (
    <>
      <strong className={tone}>{word}</strong>
      {outcome && <div className="small-text">{outcome.text}</div>}
    </>
  );
}
