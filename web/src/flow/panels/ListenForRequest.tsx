import { useEffect, useState, useSyncExternalStore, type ReactNode } from 'react';
import { CopyButton } from '../../pages/gateway/parts.tsx';
import { JsonView } from '../../ui/JsonView.tsx';
import type { SourceSample, SourceSummary } from '../flow-api.ts';
import { ListenStore } from '../listen-store.ts';
import './listen.css';

/** A body a marketer can paste into a terminal to try the URL. */
export const curlExample = (url: string) =>
  `curl -X POST '${url}' \\\n  -H 'Content-Type: application/json' \\\n  -d '{"name": "Jane Smith", "email": "jane@example.com", "type": "lead"}'`;

const size = (bytes: number) => (bytes < 1024 ? `${bytes} bytes` : `${Math.round(bytes / 1024)} KB`);

/**
 * "Listen for a test request" (as n8n and Zapier do): waits for the next request to the source's
 * URL, shows it, and "Use as sample" hands it to the steps' field pickers. The editor's `store`
 * keeps listening while this panel is closed; without one (a panel on its own), the wait ends
 * with the panel.
 */
export function ListenForRequest({
  source,
  chosen,
  onUse,
  idle,
  store: shared,
}: {
  source: SourceSummary;
  chosen: string | null;
  onUse?: (sample: SourceSample) => void;
  idle?: ReactNode;
  store?: ListenStore;
}) {
  const [own] = useState(() => (shared ? null : new ListenStore()));
  const store = shared ?? (own as ListenStore);
  useEffect(() => (own ? () => own.stopAll() : undefined), [own]);
  const state = useSyncExternalStore(store.subscribe, () => store.get(source.id));
  const listen = () => void store.start(source.id);
  const cancel = () => store.stop(source.id);

  const listenButton = (label: string) => (
    <button type="button" data-testid="listen-start" onClick={listen}>
      {label}
    </button>
  );

  switch (state.kind) {
    case 'idle':
      // What the steps read now: hidden while listening, so the request heard is not shown twice.
      return (
        <div className="flow-listen">
          {listenButton('Listen for a test request')}
          {idle}
        </div>
      );
    case 'listening':
      return (
        <div className="flow-listen listening" data-testid="listen-waiting" role="status">
          <p>
            <span className="flow-listen-dot" aria-hidden /> Waiting for a request to <code>{source.url}</code> (send one now). Listening for 2 minutes.
          </p>
          <details open>
            <summary>Send one from a terminal</summary>
            <pre className="flow-listen-curl" data-testid="listen-curl">
              {curlExample(source.url)}
            </pre>
            <CopyButton text={curlExample(source.url)} testId="copy-curl" label="Copy the command" />
          </details>
          {state.rejected && (
            <p className="flow-note" data-testid="listen-rejected">
              A request arrived at {new Date(state.rejected.received_at).toLocaleTimeString()} but was turned away:{' '}
              {state.rejected.rejection_cause ?? 'it failed verification'}. Still listening…
            </p>
          )}
          <button type="button" data-testid="listen-stop" onClick={cancel}>
            Stop listening
          </button>
        </div>
      );
    case 'heard': {
      const r = state.request;
      const used = chosen === r.request_id;
      return (
        <div className="flow-listen heard" data-testid="listen-heard">
          <p>
            <strong>Request received</strong> at {new Date(r.received_at).toLocaleTimeString()}: {r.method} {r.sample.path}
            {Object.keys(r.sample.query).length > 0 ? `?${new URLSearchParams(r.sample.query as Record<string, string>)}` : ''} ({size(r.size)})
          </p>
          <div className="flow-listen-body" data-testid="listen-body">
            <JsonView value={r.sample.body} />
          </div>
          {r.truncated ? (
            <p className="flow-note" data-testid="listen-truncated">
              Its body is {size(r.size)}: shown cut at 64 KB, too big to use as the sample. Send a smaller one.
            </p>
          ) : used ? (
            <p className="good" data-testid="listen-used">
              ✓ The next steps now offer its fields (body.…).
            </p>
          ) : (
            <button
              type="button"
              className="primary"
              data-testid="listen-use"
              disabled={!onUse}
              onClick={() => onUse?.({ sample: r.sample, request_id: r.request_id, received_at: r.received_at })}
            >
              Use as sample
            </button>
          )}
          {listenButton('Listen again')}
        </div>
      );
    }
    case 'timed-out':
      return (
        <div className="flow-listen">
          <p className="flow-note" data-testid="listen-timed-out">
            No request reached <code>{source.url}</code> in 2 minutes.
          </p>
          {listenButton('Listen again')}
        </div>
      );
    case 'failed':
      return (
        <div className="flow-listen">
          <p className="error" role="alert" data-testid="listen-failed">
            Listening stopped: {state.message}
          </p>
          {listenButton('Listen again')}
        </div>
      );
  }
}
