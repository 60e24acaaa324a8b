import { useCallback, useState } from 'react';
import { NavLink, Route, Routes, useNavigate, useParams } from 'react-router';
import { api } from '../api.ts';
import { ErrorBox } from '../ui/ErrorBox.tsx';
import { ResourceTable } from '../ui/ResourceTable.tsx';
import { Toast } from '../ui/Toast.tsx';
import { useLoad } from '../ui/useLoad.ts';
import { usePagedList } from '../ui/usePagedList.ts';
import { ChatbotForm } from './chatbots/ChatbotForm.tsx';
import { ChatPreview } from './chatbots/ChatPreview.tsx';
import { Conversations } from './chatbots/Conversations.tsx';
import { InstallTab } from './chatbots/InstallTab.tsx';
import { KnowledgeBase } from './chatbots/KnowledgeBase.tsx';
import { Leads } from './chatbots/Leads.tsx';
import { TABS, type Chatbot, type Tab } from './chatbots/types.ts';
import { Confirm, ConfirmDelete, when } from './gateway/parts.tsx';
import './chatbots/chatbots.css';

/** /chatbots (the list), /chatbots/:id/:tab (one chatbot) and /chatbots/:id/conversations/:conversationId. */
export function Chatbots() {
  return (
    <Routes>
      <Route index element={<ChatbotList />} />
      {/* :sub is a conversation id under conversations: the events' transcript_url lands there. */}
      <Route path=":id/:tab?/:sub?" element={<ChatbotPage />} />
    </Routes>
  );
}

function ChatbotList() {
  const bots = usePagedList<Chatbot>('/chatbots');
  const [creating, setCreating] = useState(false);
  const navigate = useNavigate();
  return (
    <section>
      <header className="row">
        <h1>Chatbots</h1>
        {!creating && (
          <button className="primary" onClick={() => setCreating(true)}>
            New chatbot
          </button>
        )}
      </header>
      <p className="muted">A chat bubble for your website that answers from your knowledge base, collects leads and hands over to a person when asked.</p>
      {creating && <ChatbotForm onSaved={(bot) => navigate(`/chatbots/${bot.id}/install`)} onCancel={() => setCreating(false)} />}
      <ResourceTable
        list={bots}
        loading="Loading…"
        empty={
          !creating && (
            <div className="empty">
              <p>No chatbots yet. Create one, add a few questions and answers, and paste one line into your website.</p>
            </div>
          )
        }
        pager="chatbots"
        label="Chatbots"
        rowKey={(b) => b.id}
        rowAttributes={() => ({ 'data-testid': 'chatbot-row' })}
        columns={[
          { head: 'Name', cell: (b) => <NavLink to={`/chatbots/${b.id}`}>{b.name}</NavLink> },
          { head: 'Public key', className: 'mono', cell: (b) => b.public_key },
          { head: 'Allowed origins', className: 'mono', cell: (b) => b.settings.allowed_origins.join(', ') || <span className="warn">none yet</span> },
          { head: 'Created', cell: (b) => when(b.created_at) },
        ]}
      />
    </section>
  );
}

function ChatbotPage() {
  const { id = '', tab = 'settings', sub } = useParams();
  const bot = useLoad(() => api<Chatbot>('GET', `/chatbots/${id}`), [id]);
  const [saved, setSaved] = useState(false);
  const hideSaved = useCallback(() => setSaved(false), []);
  const [deleting, setDeleting] = useState(false);
  const [rotating, setRotating] = useState(false);
  const navigate = useNavigate();
  const current: Tab = TABS.some((t) => t.tab === tab) ? (tab as Tab) : 'settings';

  if (!bot.data)
    return (
      <section>
        <NavLink to="/chatbots">← Chatbots</NavLink>
        <ErrorBox error={bot.error} />
        {bot.loading && <p className="loading">Loading…</p>}
      </section>
    );
  const b = bot.data;
  return (
    <section>
      <NavLink to="/chatbots">← Chatbots</NavLink>
      <header className="row">
        <h1>{b.name}</h1>
        <div className="row">
          <button onClick={() => setRotating(true)}>Rotate public key</button>
          <button className="danger" onClick={() => setDeleting(true)}>
            Delete chatbot
          </button>
        </div>
      </header>
      {deleting && (
        <ConfirmDelete
          title={`Delete “${b.name}”?`}
          onCancel={() => setDeleting(false)}
          onConfirm={async () => {
            await api('DELETE', `/chatbots/${b.id}`);
            navigate('/chatbots');
          }}
        >
          <p>Its knowledge base, conversations and leads are deleted with it, and the widget stops working on every site.</p>
        </ConfirmDelete>
      )}
      {rotating && (
        <Confirm
          verb="rotate"
          title={`Rotate the public key of “${b.name}”?`}
          onCancel={() => setRotating(false)}
          onConfirm={async () => {
            await api('POST', `/chatbots/${b.id}/rotate-key`);
            setRotating(false);
            await bot.reload();
          }}
        >
          <p>The snippet on your website stops working until you replace it with the new one.</p>
        </Confirm>
      )}
      <nav className="tabs" aria-label="Chatbot sections">
        {TABS.map((t) => (
          <NavLink key={t.tab} to={`/chatbots/${b.id}/${t.tab}`} className={current === t.tab ? 'active' : ''} end data-testid={`tab-${t.tab}`}>
            {t.label}
          </NavLink>
        ))}
      </nav>
      {current === 'settings' && (
        <>
          {/* Near the top of the window: the form's Save button is at its foot, below the fold. */}
          <Toast message={saved ? 'Saved.' : null} onDone={hideSaved} testid="chatbot-saved" />
          <ChatbotForm
            key={b.updated_at}
            bot={b}
            onSaved={async () => {
              setSaved(true);
              await bot.reload();
            }}
          />
        </>
      )}
      {current === 'try' && <ChatPreview bot={b} />}
      {current === 'install' && <InstallTab bot={b} />}
      {current === 'knowledge' && <KnowledgeBase bot={b} />}
      {current === 'conversations' && (
        <Conversations bot={b} open={sub ?? null} onOpen={(c) => navigate(`/chatbots/${b.id}/conversations${c ? `/${c}` : ''}`)} />
      )}
      {current === 'leads' && <Leads bot={b} />}
      <p className="muted small-text">Created {when(b.created_at)}</p>
    </section>
  );
}
