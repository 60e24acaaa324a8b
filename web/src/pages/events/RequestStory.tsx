import { useEffect } from 'react';
import { Link } from 'react-router';
import { api } from '../../api.ts';
import { ErrorBox } from '../../ui/ErrorBox.tsx';
import { JsonView } from '../../ui/JsonView.tsx';
import { useLoad } from '../../ui/useLoad.ts';
import { OUTCOME_WORDS, retryText, type RetryPlan } from './words.ts';

type Step = { node_id: string | null; description: string; failed: string[] };
type ConnectionStory = {
  connection_id: string;
  title: string;
  flow: { id: string; name: string } | null;
  result: string;
  explanation: string;
  steps?: Step[];
  rules_changed?: boolean;
  event?: { id: string; status: string; attempts: number; reason: string | null; retry: RetryPlan | null };
};
type Story = { request_id: string; result: string; text: string; connections: ConnectionStory[] };
type RequestOut = {
  id: string;
  source_id: string;
  source_name: string | null;
  status: string;
  summary: string | null;
  event_type: string | null;
  created_at: string;
  data?: { method: string; path: string; body: unknown; headers: unknown };
};

/**
 * "What happened to req_…": the request as it came in, then what each flow or connection did with
 * it, in sentences (server/gateway/request-outcome.ts): delivered, filtered out by which step and
 * why, a duplicate, on hold, or failing and when it is tried again. `tick` reloads it (live log).
 */
export function RequestStory({ id, tick, onOpenEvent, onClose }: { id: string; tick: number; onOpenEvent: (eventId: string) => void; onClose?: () => void }) {
  const request = useLoad(() => api<RequestOut>('GET', `/requests/${id}`), [id]);
  const story = useLoad(() => api<Story>('GET', `/requests/${id}/outcome`), [id]);
  const reloadStory = story.reload;
  useEffect(() => {
    if (tick > 0) void reloadStory();
  }, [tick, reloadStory]);
  const r = request.data;
  const s = story.data;
  const [word, tone] = s ? (OUTCOME_WORDS[s.result] ?? [s.result, 'muted']) : ['', ''];
  return (
    <div className="card request-story" data-testid="request-story" data-request-id={id}>
      <header className="row">
        <h2>
          What happened to this request <span className="muted mono small-text">{id}</span>
        </h2>
        {onClose && (
          <button className="small" onClick={onClose} aria-label="Close the request">
            Close
          </button>
        )}
      </header>
      <ErrorBox error={request.error ?? story.error} />
      {r && (
        <p className="small-text">
          Received {new Date(r.created_at).toLocaleString()}
          {r.source_name ? (
            <>
              {' '}
              from <strong>{r.source_name}</strong>
            </>
          ) : null}
          {r.event_type && (
            <>
              {' '}
              · <span className="badge">{r.event_type}</span>
            </>
          )}
          {r.summary && <> · {r.summary}</>}
        </p>
      )}
      {s && (
        <>
          <p>
            <strong className={tone} data-testid="request-story-result">
              {word}
            </strong>
          </p>
          {s.connections.length === 0 && <p data-testid="request-story-text">{s.text}.</p>}
          <ul className="story" data-testid="request-story-connections">
            {s.connections.map((c, i) => {
              const [cWord, cTone] = OUTCOME_WORDS[c.result] ?? [c.result, 'muted'];
              return (
                <li key={`${c.connection_id}-${i}`} data-testid="request-story-connection">
                  {/* With one flow the headline already says it. */}
                  {s.connections.length > 1 && <span className={`badge ${cTone}`}>{cWord}</span>}{' '}
                  <span data-testid="request-story-explanation">{c.explanation}</span>
                  {c.event?.retry && (
                    <div className="warn small-text" data-testid="request-story-retry">
                      It {retryText(c.event.retry)}.
                    </div>
                  )}
                  <div className="row small-text">
                    {c.flow && (
                      <Link to={`/flows/${c.flow.id}`} data-testid="request-story-flow">
                        Open the flow “{c.flow.name}”
                      </Link>
                    )}
                    {c.event && (
                      <button className="link small-text" onClick={() => onOpenEvent(c.event?.id ?? '')} data-testid="request-story-open-event">
                        See the delivery attempts
                      </button>
                    )}
                  </div>
                  {c.rules_changed && <div className="muted small-text">The filters were edited after this request arrived.</div>}
                </li>
              );
            })}
          </ul>
        </>
      )}
      {r?.data && (
        <details>
          <summary>What the sender sent</summary>
          <JsonView value={r.data.body} name="body" />
          <JsonView value={r.data.headers} name="headers" />
        </details>
      )}
    </div>
  );
}
