import { api } from '../../api.ts';
import { ErrorBox } from '../../ui/ErrorBox.tsx';
import { Pager } from '../../ui/ResourceTable.tsx';
import { useLoad } from '../../ui/useLoad.ts';
import { usePagedList } from '../../ui/usePagedList.ts';
import { when } from '../gateway/parts.tsx';
import type { Chatbot, Conversation, Transcript } from './types.ts';

const leadText = (c: Conversation) => [c.lead?.name, c.lead?.email, c.lead?.phone].filter(Boolean).join(' · ');

/** Every conversation of the chatbot; one opens as its transcript with the visitor's ratings. */
export function Conversations({ bot, open, onOpen }: { bot: Chatbot; open: string | null; onOpen: (conversationId: string | null) => void }) {
  const list = usePagedList<Conversation>(`/chatbots/${bot.id}/conversations`);
  const rows = list.data?.models ?? [];
  return (
    <div>
      <header className="row">
        <h2>Conversations</h2>
        <button onClick={() => void list.reload()}>Refresh</button>
      </header>
      <ErrorBox error={list.error} />
      {list.loading && !list.data && <p className="loading">Loading…</p>}
      {list.data && rows.length === 0 && (
        <div className="empty">
          <p>No conversations yet. They appear here as soon as a visitor writes to the chat on your site.</p>
        </div>
      )}
      {(rows.length > 0 || open) && (
        <div className="conversations">
          <table aria-label="Conversations">
            <thead>
              <tr>
                <th>Started</th>
                <th>Lead</th>
                <th>Status</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((c) => (
                <tr key={c.id} className={open === c.id ? 'selected' : ''} data-testid="conversation-row">
                  <td>
                    <button className="link" onClick={() => onOpen(c.id)} aria-label={`Open the conversation of ${when(c.started_at)}`}>
                      {when(c.started_at)}
                    </button>
                    <div className="muted small-text">{c.visitor_messages} visitor messages</div>
                  </td>
                  <td>{leadText(c) || <span className="muted">—</span>}</td>
                  <td>
                    {c.escalated_at && <span className="badge escalated">escalated</span>} {c.lead_captured_at && <span className="badge custom">lead</span>}{' '}
                    {c.ended_at ? <span className="muted">ended</span> : <span className="good">open</span>}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {open && <TranscriptView botId={bot.id} conversationId={open} onClose={() => onOpen(null)} />}
        </div>
      )}
      <Pager list={list} what="conversations" />
    </div>
  );
}

function TranscriptView({ botId, conversationId, onClose }: { botId: string; conversationId: string; onClose: () => void }) {
  const t = useLoad(() => api<Transcript>('GET', `/chatbots/${botId}/conversations/${conversationId}`), [botId, conversationId]);
  return (
    <section className="card transcript" aria-label="Transcript" data-testid="transcript">
      <header className="row">
        <h3>Transcript</h3>
        <button className="small" onClick={onClose}>
          Close
        </button>
      </header>
      <ErrorBox error={t.error} />
      {t.loading && !t.data && <p className="loading">Loading…</p>}
      {t.data && (
        <>
          <p className="muted small-text">
            Visitor <code>{t.data.visitor_id}</code>
            {leadText(t.data) && <> · {leadText(t.data)}</>}
          </p>
          <ol className="chat-log">
            {t.data.messages.map((m) => (
              <li key={m.id} className={`chat-msg ${m.role}`}>
                <span className="who">{m.role === 'bot' ? 'Bot' : 'Visitor'}</span>
                <p>{m.text}</p>
                <span className="muted small-text">
                  {when(m.created_at)}
                  {m.fallback && ' · no answer found'}
                </span>
                {m.role === 'bot' && m.sources && m.sources.length > 0 && (
                  <span className="muted small-text">From: {m.sources.map((s) => s.question ?? s.id).join('; ')}</span>
                )}
                {m.role === 'bot' && m.rating && (
                  <span className={`rating ${m.rating.rating}`} data-testid="message-rating">
                    {m.rating.rating === 'up' ? 'Thumbs up: rated helpful' : 'Thumbs down: rated not helpful'}
                    {m.rating.comment && <>: “{m.rating.comment}”</>}
                  </span>
                )}
              </li>
            ))}
          </ol>
        </>
      )}
    </section>
  );
}
