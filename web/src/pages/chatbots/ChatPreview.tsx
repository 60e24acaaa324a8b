import { useRef, useState } from 'react';
import { api } from '../../api.ts';
import { ErrorBox } from '../../ui/ErrorBox.tsx';
import type { SystemChatOut } from '../../../../shared/api.ts';
import type { Chatbot } from './types.ts';

type Line = { who: 'bot' | 'visitor'; text: string };

/** The browser's language tag (en-US), which the bot reads local phone numbers with when it has no country set. */
const browserLocale = (): string | undefined => (/^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$/.test(navigator.language ?? '') ? navigator.language : undefined);

/**
 * Chat with the bot right here, as a visitor of your site would, without pasting the snippet into a
 * page: answers come from the knowledge base, and details you give are captured as a real lead
 * (it shows under Leads and publishes lead.captured, so flows run too).
 */
export function ChatPreview({ bot }: { bot: Chatbot }) {
  const [lines, setLines] = useState<Line[]>([{ who: 'bot', text: bot.welcome_message }]);
  const [conversation, setConversation] = useState<string | null>(null);
  const [lead, setLead] = useState<SystemChatOut['lead'] | null>(null);
  const [text, setText] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const input = useRef<HTMLInputElement>(null);

  const send = async () => {
    const message = text.trim();
    if (!message || busy) return;
    setBusy(true);
    setError(null);
    setLines((l) => [...l, { who: 'visitor', text: message }]);
    setText('');
    try {
      const locale = browserLocale();
      const out = await api<SystemChatOut>('POST', `/chatbots/${bot.id}/preview-chat`, {
        message,
        conversation_id: conversation,
        ...(locale ? { locale } : {}),
      });
      setConversation(out.conversation_id);
      setLead(out.lead);
      setLines((l) => [...l, { who: 'bot', text: out.reply }]);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
      input.current?.focus();
    }
  };
  const restart = () => {
    setLines([{ who: 'bot', text: bot.welcome_message }]);
    setConversation(null);
    setLead(null);
    setError(null);
  };
  const region = bot.settings.lead_capture.default_region;

  return (
    <div className="chat-preview" data-testid="chat-preview">
      <div className="card">
        <header className="row">
          <h2>Try your chatbot</h2>
          <button type="button" onClick={restart} disabled={busy}>
            Start over
          </button>
        </header>
        <p className="muted">
          Chat as a visitor would. Details you give become a real lead (under Leads, and a lead.captured event for your flows). Phone numbers without +code are
          read as {region ? `${region} numbers (Settings)` : 'numbers of your browser’s country, as the chatbot has no default country set'}.
        </p>
        <ol className="chat-log" aria-label="Preview conversation" aria-live="polite">
          {lines.map((l, i) => (
            <li key={i} className={`chat-msg ${l.who}`} data-testid={`preview-${l.who}`}>
              <span className="who">{l.who === 'bot' ? bot.name : 'You'}</span>
              <p>{l.text}</p>
            </li>
          ))}
          {busy && (
            <li className="chat-msg bot">
              <p className="muted">…</p>
            </li>
          )}
        </ol>
        <ErrorBox error={error} />
        <form className="row nowrap" onSubmit={(e) => (e.preventDefault(), void send())}>
          <input
            ref={input}
            aria-label="Message to the chatbot"
            value={text}
            onChange={(e) => setText(e.target.value)}
            placeholder="Ask a question, or give a name, e-mail and phone"
            maxLength={4000}
          />
          <button className="primary" type="submit" disabled={busy || !text.trim()}>
            Send
          </button>
        </form>
      </div>
      <section className="card" aria-label="Lead so far" data-testid="preview-lead">
        <h3>Lead so far</h3>
        <dl>
          <dt>Name</dt>
          <dd data-testid="preview-lead-name">{lead?.name ?? '—'}</dd>
          <dt>E-mail</dt>
          <dd data-testid="preview-lead-email">{lead?.email ?? '—'}</dd>
          <dt>Phone</dt>
          <dd data-testid="preview-lead-phone">{lead?.phone ?? '—'}</dd>
        </dl>
        {lead?.complete && <p className="good">Captured: it is under Leads, and lead.captured was published.</p>}
      </section>
    </div>
  );
}
