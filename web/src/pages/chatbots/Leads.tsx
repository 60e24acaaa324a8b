import { ResourceTable } from '../../ui/ResourceTable.tsx';
import { usePagedList } from '../../ui/usePagedList.ts';
import { when } from '../gateway/parts.tsx';
import type { Chatbot, Lead } from './types.ts';

/** The contact details the chatbot collected, newest first. */
export function Leads({ bot }: { bot: Chatbot }) {
  const leads = usePagedList<Lead>(`/chatbots/${bot.id}/leads`);
  return (
    <div>
      <header className="row">
        <h2>Captured leads</h2>
        <button onClick={() => void leads.reload()}>Refresh</button>
      </header>
      <ResourceTable
        list={leads}
        loading="Loading…"
        empty={
          <div className="empty">
            <p>
              No leads yet. When a visitor gives the details you ask for ({bot.settings.lead_capture.fields.join(', ') || 'none chosen'}), they are listed here
              and a lead.captured event is published.
            </p>
          </div>
        }
        pager="leads"
        label="Leads"
        rowKey={(l) => l.id}
        rowAttributes={() => ({ 'data-testid': 'lead-row' })}
        columns={[
          { head: 'Name', cell: (l) => l.name ?? '—' },
          { head: 'E-mail', cell: (l) => (l.email ? <a href={`mailto:${l.email}`}>{l.email}</a> : '—') },
          { head: 'Phone', cell: (l) => (l.phone ? <a href={`tel:${l.phone}`}>{l.phone}</a> : '—') },
          { head: 'Intent', cell: (l) => l.intent ?? '—' },
          { head: 'Captured', cell: (l) => (l.captured_at ? when(l.captured_at) : <span className="muted">incomplete</span>) },
        ]}
      />
    </div>
  );
}
