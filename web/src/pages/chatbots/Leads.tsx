import { ErrorBox } from '../../ui/ErrorBox.tsx';
import { Pager, usePagedList, when } from '../gateway/parts.tsx';
import type { Chatbot, Lead } from './types.ts';

/** The contact details the chatbot collected, newest first. */
export function Leads({ bot }: { bot: Chatbot }) {
  const leads = usePagedList<Lead>(`/chatbots/${bot.id}/leads`);
  const rows = leads.data?.models ?? [];
  return (
    <div>
      <header className="row">
        <h2>Captured leads</h2>
        <button onClick={() => void leads.reload()}>Refresh</button>
      </header>
      <ErrorBox error={leads.error} />
      {leads.loading && !leads.data && <p className="loading">Loading…</p>}
      {leads.data && rows.length === 0 && (
        <div className="empty">
          <p>No leads yet. When a visitor gives the details you ask for ({bot.settings.lead_capture.fields.join(', ') || 'none chosen'}), they are listed here and a lead.captured event is published.</p>
        </div>
      )}
      {rows.length > 0 && (
        <table aria-label="Leads">
          <thead>
            <tr>
              <th>Name</th>
              <th>E-mail</th>
              <th>Phone</th>
              <th>Intent</th>
              <th>Captured</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((l) => (
              <tr key={l.id} data-testid="lead-row">
                <td>{l.name ?? '—'}</td>
                <td>{l.email ? <a href={`mailto:${l.email}`}>{l.email}</a> : '—'}</td>
                <td>{l.phone ? <a href={`tel:${l.phone}`}>{l.phone}</a> : '—'}</td>
                <td>{l.intent ?? '—'}</td>
                <td>{l.captured_at ? when(l.captured_at) : <span className="muted">incomplete</span>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Pager list={leads} what="leads" />
    </div>
  );
}
