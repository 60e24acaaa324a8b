import { useEffect, useRef, useState } from 'react';
import { api } from '../../api.ts';
import { ErrorBox } from '../../ui/ErrorBox.tsx';
import { JsonView } from '../../ui/JsonView.tsx';
import { useSubmit } from '../../ui/useSubmit.ts';
import { describeFilters } from './filters.ts';

export type BulkOperation = {
  id: string;
  state: 'planned' | 'running' | 'completed' | 'cancelled' | 'failed';
  estimated_count: number;
  processed_count: number;
  skipped_count: number;
  total: number;
  dry_run: boolean;
  error: string | null;
  sample?: { event_id: string; action: string; reason: string | null; delivery: { url: string | null; body: unknown } | null }[];
};

const ONGOING = ['planned', 'running'];
const POLL_MS = 1000;

type Step = { kind: 'idle' } | { kind: 'confirm'; count: number } | { kind: 'watch'; op: BulkOperation };

/**
 * "Retry all N matching": asks the API how many events the current filters match, says so and
 * waits for a yes, then starts a bulk operation and shows its progress until it is done (or cancelled).
 */
export function BulkRetry({
  filters,
  matching,
  names,
  onFinished,
}: {
  filters: Record<string, string>;
  matching: number | null;
  names: Record<string, string>;
  onFinished: () => void;
}) {
  const [step, setStep] = useState<Step>({ kind: 'idle' });
  const { busy, error, run, setError } = useSubmit();
  const [preview, setPreview] = useState<BulkOperation | null>(null);
  const filterKey = JSON.stringify(filters);
  // The page hands a new callback on every render; polling must not restart for that.
  const finished = useRef(onFinished);
  finished.current = onFinished;

  // An operation started earlier (another tab, before a reload) is shown until it ends.
  useEffect(() => {
    let live = true;
    api<{ models: BulkOperation[] }>('GET', '/events/bulk_operations?bucket=ongoing&limit=1')
      .then((r) => live && r.models[0] && setStep((s) => (s.kind === 'idle' ? { kind: 'watch', op: r.models[0] } : s)))
      .catch(() => {});
    return () => {
      live = false;
    };
  }, []);

  // A confirmation is about the filters it was asked for: changing them asks again.
  useEffect(() => {
    setStep((s) => (s.kind === 'confirm' ? { kind: 'idle' } : s));
    setPreview(null);
  }, [filterKey]);

  const watching = step.kind === 'watch' ? step.op : null;
  const watchedId = watching && ONGOING.includes(watching.state) ? watching.id : null;
  useEffect(() => {
    if (!watchedId) return;
    let live = true;
    const timer = setInterval(() => {
      api<BulkOperation>('GET', `/events/bulk_operations/${watchedId}`)
        .then((op) => {
          if (!live) return;
          setStep({ kind: 'watch', op });
          if (!ONGOING.includes(op.state)) finished.current();
        })
        .catch((err: unknown) => live && setError(err));
    }, POLL_MS);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, [watchedId]);

  const ask = () =>
    run(async () => {
      const { count } = await api<{ count: number }>('GET', `/events/count?${new URLSearchParams(filters)}`);
      setStep({ kind: 'confirm', count });
    });
  const dryRun = () => run(async () => setPreview(await api<BulkOperation>('POST', '/events/bulk_operations', { ...filters, dry_run: true })));
  const start = () => run(async () => setStep({ kind: 'watch', op: await api<BulkOperation>('POST', '/events/bulk_operations', filters) }));
  const cancel = (id: string) => run(async () => setStep({ kind: 'watch', op: await api<BulkOperation>('POST', `/events/bulk_operations/${id}/cancel`) }));

  return (
    <div data-testid="bulk-retry">
      {step.kind === 'idle' && (
        <button onClick={() => void ask()} disabled={busy || !matching} data-testid="bulk-retry-open">
          {matching === null ? 'Retry all matching' : `Retry all ${matching} matching`}
        </button>
      )}
      {step.kind === 'confirm' && (
        <div className="confirm" role="dialog" aria-label="Confirm bulk retry" data-testid="bulk-retry-confirm">
          <p>
            <strong data-testid="bulk-retry-count">{step.count === 1 ? '1 event' : `${step.count} events`}</strong> will be delivered again:{' '}
            {describeFilters(filters, names)}.
          </p>
          <p className="muted">
            Each goes out under the destination's current settings and mappings. New events keep going first; the retry follows as fast as the receivers take
            it.
          </p>
          <div className="row">
            <button className="primary" onClick={() => void start()} disabled={busy || step.count === 0} data-testid="bulk-retry-start">
              Retry {step.count} events
            </button>
            <button onClick={() => void dryRun()} disabled={busy || step.count === 0} data-testid="bulk-retry-preview">
              Preview what would be sent
            </button>
            <button onClick={() => setStep({ kind: 'idle' })} disabled={busy} data-testid="bulk-retry-dismiss">
              Cancel
            </button>
          </div>
          {preview && (
            <div data-testid="bulk-retry-sample">
              <p className="muted">
                The first {preview.sample?.length ?? 0} of {preview.estimated_count}, as they would be sent now (nothing was sent):
              </p>
              <ol>
                {preview.sample?.map((s) => (
                  <li key={s.event_id}>
                    <span className="mono">{s.event_id}</span> → {s.action === 'deliver' ? (s.delivery?.url ?? 'its destination') : `${s.action}: ${s.reason}`}
                    {s.delivery && <JsonView value={s.delivery.body} />}
                  </li>
                ))}
              </ol>
            </div>
          )}
        </div>
      )}
      {watching && <Progress op={watching} busy={busy} onCancel={() => void cancel(watching.id)} onClose={() => setStep({ kind: 'idle' })} />}
      <ErrorBox error={error} />
    </div>
  );
}

function Progress({ op, busy, onCancel, onClose }: { op: BulkOperation; busy: boolean; onCancel: () => void; onClose: () => void }) {
  const ongoing = ONGOING.includes(op.state);
  const words: Record<BulkOperation['state'], string> = {
    planned: 'Starting the retry…',
    running: 'Retrying…',
    completed: 'Retry finished.',
    cancelled: 'Retry cancelled.',
    failed: `Retry failed: ${op.error ?? 'unknown error'}`,
  };
  return (
    <div className={ongoing ? 'card' : op.state === 'completed' ? 'notice' : 'confirm'} data-testid="bulk-retry-progress" data-state={op.state}>
      <div className="row">
        <strong>{words[op.state]}</strong>
        <span data-testid="bulk-retry-processed">
          {op.processed_count} of {op.total} events
        </span>
        {op.skipped_count > 0 && (
          <span className="muted">({op.skipped_count} skipped: their destination is disabled or gone, or they were being delivered)</span>
        )}
      </div>
      <progress max={Math.max(1, op.total)} value={op.processed_count} aria-label="Bulk retry progress" style={{ width: '100%' }} />
      <div className="row">
        {ongoing ? (
          <button className="danger" onClick={onCancel} disabled={busy} data-testid="bulk-retry-cancel">
            Cancel the retry
          </button>
        ) : (
          <button onClick={onClose} data-testid="bulk-retry-close">
            Close
          </button>
        )}
        {!ongoing && <span className="muted">The events it queued are in the list; filter by status to follow them.</span>}
      </div>
    </div>
  );
}
