import { useState } from 'react';
import { useNavigate } from 'react-router';
import { api, ApiError } from '../api.ts';
import { ErrorBox } from '../ui/ErrorBox.tsx';
import { FLOW_TEMPLATES, type FlowTemplate } from '../../../server/hub/flow-templates.ts';
import { listOf, type SourceSummary } from './flow-api.ts';

/** A source name not yet taken in the workspace: "Incoming webhook", then "Incoming webhook 2"… */
async function freeSourceName(base: string): Promise<string> {
  const taken = new Set(listOf(await api<{ models: SourceSummary[] }>('GET', '/sources?limit=255')).map((s) => s.name));
  let name = base;
  for (let i = 2; taken.has(name); i++) name = `${base} ${i}`;
  return name;
}

/**
 * "New flow": start from an empty canvas or from a template. A template opens the editor with its
 * graph drawn; one that starts from an incoming webhook gets its source (and URL) made here.
 */
export function NewFlowChooser({ onClose }: { onClose: () => void }) {
  const navigate = useNavigate();
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);

  const choose = async (t: FlowTemplate) => {
    setBusy(t.id);
    setError(null);
    try {
      let source = '';
      if (t.needsSource) {
        // Two people choosing at once may take the same free name: the second tries the next one.
        for (let attempt = 0; !source; attempt++) {
          try {
            source = (await api<SourceSummary>('POST', '/sources', { name: await freeSourceName(t.needsSource.name) })).id;
          } catch (err) {
            if (!(err instanceof ApiError && err.status === 409 && attempt < 3)) throw err;
          }
        }
      }
      navigate(`/flows/new?template=${encodeURIComponent(t.id)}${source ? `&source=${encodeURIComponent(source)}` : ''}`);
    } catch (err) {
      setError(err);
      setBusy(null);
    }
  };

  return (
    <div className="card new-flow-chooser" role="dialog" aria-label="New flow" data-testid="new-flow-chooser">
      <header className="row">
        <h2>New flow</h2>
        <button type="button" onClick={onClose}>
          Cancel
        </button>
      </header>
      <ErrorBox error={error} />
      <ul className="template-list">
        <li>
          <button type="button" className="template" data-testid="template-blank" disabled={busy !== null} onClick={() => navigate('/flows/new')}>
            <strong>Start from scratch</strong>
            <span className="muted">An empty canvas: drag a trigger, steps and a destination onto it.</span>
          </button>
        </li>
        {FLOW_TEMPLATES.map((t) => (
          <li key={t.id}>
            <button type="button" className="template" data-testid={`template-${t.id}`} disabled={busy !== null} onClick={() => void choose(t)}>
              <strong>{t.name}</strong>
              <span className="muted">{t.description}</span>
              {busy === t.id && <span className="muted">Opening…</span>}
            </button>
          </li>
        ))}
      </ul>
    </div>
  );
}
