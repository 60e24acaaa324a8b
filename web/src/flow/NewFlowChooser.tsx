import { useState } from 'react';
import { useNavigate } from 'react-router';
import { api } from '../api.ts';
import { ErrorBox } from '../ui/ErrorBox.tsx';
import { FLOW_TEMPLATES, type FlowTemplate } from '../../../shared/flow-templates.ts';
import type { IncomingWebhookOut } from './flow-api.ts';

/**
 * What "New flow" opens on: the templates, over the empty canvas. A template draws its graph
 * (`/flows/new?template=…`); one that starts from an incoming webhook gets its source, and URL, made
 * as the palette's "Incoming webhook" does. Dragging from the palette, or "Start from scratch",
 * leaves the canvas empty as before.
 */
export function NewFlowChooser({ onDismiss }: { onDismiss: () => void }) {
  const navigate = useNavigate();
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);

  const choose = async (t: FlowTemplate) => {
    setBusy(t.id);
    setError(null);
    try {
      const source = t.needsSource ? (await api<IncomingWebhookOut>('POST', '/flows/incoming-webhook', { exclude: [] })).id : '';
      navigate(`/flows/new?template=${encodeURIComponent(t.id)}${source ? `&source=${encodeURIComponent(source)}` : ''}`);
    } catch (err) {
      setError(err);
      setBusy(null);
    }
  };

  return (
    <aside className="flow-panel new-flow-chooser" aria-label="Start from a template" data-testid="new-flow-chooser">
      <header className="row">
        <h2>Start from a template</h2>
        <button type="button" data-testid="template-blank" onClick={onDismiss}>
          Start from scratch
        </button>
      </header>
      <p className="muted">Pick one to get its steps drawn and connected, or drag a trigger from the left onto the canvas.</p>
      <ErrorBox error={error} />
      <ul className="template-list">
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
    </aside>
  );
}
