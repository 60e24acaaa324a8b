import { useState } from 'react';
import { api } from '../../api.ts';
import { ErrorBox } from '../../ui/ErrorBox.tsx';
import { ConfirmDelete, Pager, usePagedList } from '../gateway/parts.tsx';
import { ImportEntries } from './ImportEntries.tsx';
import type { Chatbot, KbEntry } from './types.ts';
import { useSubmit } from '../../ui/useSubmit.ts';

const tagList = (text: string) =>
  text
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);

/** The chatbot's answers: what a visitor may ask, what the bot says, and tags that name the intent. */
export function KnowledgeBase({ bot }: { bot: Chatbot }) {
  const entries = usePagedList<KbEntry>(`/chatbots/${bot.id}/entries`);
  const [adding, setAdding] = useState(false);
  const [importing, setImporting] = useState(false);
  const [editing, setEditing] = useState<string | null>(null);
  const [deleting, setDeleting] = useState<KbEntry | null>(null);
  const [notice, setNotice] = useState('');
  const rows = entries.data?.models ?? [];

  return (
    <div>
      <header className="row">
        <h2>Knowledge base</h2>
        <div className="row">
          <button className="primary" onClick={() => (setAdding(true), setImporting(false))} disabled={adding}>
            Add entry
          </button>
          <button onClick={() => (setImporting(true), setAdding(false))} disabled={importing}>
            Import JSON or CSV
          </button>
        </div>
      </header>
      {notice && (
        <p className="notice" role="status">
          {notice}
        </p>
      )}
      {adding && (
        <EntryForm
          botId={bot.id}
          onDone={async () => {
            setAdding(false);
            await entries.reload();
          }}
          onCancel={() => setAdding(false)}
        />
      )}
      {importing && (
        <ImportEntries
          botId={bot.id}
          onImported={async (count) => {
            setImporting(false);
            setNotice(`Imported ${count} ${count === 1 ? 'entry' : 'entries'}.`);
            await entries.reload();
          }}
          onCancel={() => setImporting(false)}
        />
      )}
      {deleting && (
        <ConfirmDelete
          title={`Delete the entry “${deleting.question}”?`}
          onCancel={() => setDeleting(null)}
          onConfirm={async () => {
            await api('DELETE', `/chatbots/${bot.id}/entries/${deleting.id}`);
            setDeleting(null);
            await entries.reload();
          }}
        >
          <p>The chatbot stops using this answer at once.</p>
        </ConfirmDelete>
      )}
      <ErrorBox error={entries.error} />
      {entries.loading && !entries.data && <p className="loading">Loading…</p>}
      {entries.data && rows.length === 0 && !adding && !importing && (
        <div className="empty">
          <p>No entries yet. Add the questions your visitors ask and the answers the chatbot should give, or import them from a JSON or CSV file.</p>
        </div>
      )}
      {rows.length > 0 && (
        <table className="kb" aria-label="Knowledge base entries">
          <thead>
            <tr>
              <th>Question</th>
              <th>Answer</th>
              <th>Tags</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {rows.map((e) =>
              editing === e.id ? (
                <tr key={e.id}>
                  <td colSpan={4}>
                    <EntryForm
                      botId={bot.id}
                      entry={e}
                      onDone={async () => {
                        setEditing(null);
                        await entries.reload();
                      }}
                      onCancel={() => setEditing(null)}
                    />
                  </td>
                </tr>
              ) : (
                <tr key={e.id} data-testid="kb-row">
                  <td>{e.question}</td>
                  <td className="answer">{e.answer}</td>
                  <td>
                    {e.tags.map((t) => (
                      <span key={t} className="badge">
                        {t}
                      </span>
                    ))}
                  </td>
                  <td className="actions-cell">
                    <div className="actions">
                      <button className="small" onClick={() => setEditing(e.id)} aria-label={`Edit “${e.question}”`}>
                        Edit
                      </button>
                      <button className="small danger" onClick={() => setDeleting(e)} aria-label={`Delete “${e.question}”`}>
                        Delete
                      </button>
                    </div>
                  </td>
                </tr>
              ),
            )}
          </tbody>
        </table>
      )}
      <Pager list={entries} what="entries" />
    </div>
  );
}

function EntryForm({ botId, entry, onDone, onCancel }: { botId: string; entry?: KbEntry; onDone: () => Promise<void>; onCancel: () => void }) {
  const [question, setQuestion] = useState(entry?.question ?? '');
  const [answer, setAnswer] = useState(entry?.answer ?? '');
  const [tags, setTags] = useState(entry?.tags.join(', ') ?? '');
  const { busy, error, run } = useSubmit();
  const submit = () =>
    run(async () => {
      const body = { question, answer, tags: tagList(tags) };
      if (entry) await api('PATCH', `/chatbots/${botId}/entries/${entry.id}`, body);
      else await api('POST', `/chatbots/${botId}/entries`, body);
      await onDone();
    });
  return (
    <form className="card entry-form" aria-label={entry ? 'Edit entry' : 'New entry'} onSubmit={(e) => (e.preventDefault(), void submit())}>
      <label>
        Question
        <input value={question} onChange={(e) => setQuestion(e.target.value)} required placeholder="How much does a boiler service cost?" />
      </label>
      <label>
        Answer
        <textarea value={answer} onChange={(e) => setAnswer(e.target.value)} required rows={3} placeholder="A standard boiler service is $120, parts extra." />
      </label>
      <label>
        Tags <span className="muted">(comma-separated; a tag like request_quote becomes the lead's intent)</span>
        <input value={tags} onChange={(e) => setTags(e.target.value)} placeholder="pricing, request_quote" />
      </label>
      <ErrorBox error={error} />
      <div className="row">
        <button className="primary" type="submit" disabled={busy}>
          {busy ? 'Saving…' : entry ? 'Save entry' : 'Add entry'}
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
