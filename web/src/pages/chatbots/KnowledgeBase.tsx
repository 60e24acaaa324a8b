import { useState } from 'react';
import { api } from '../../api.ts';
import { ErrorBox } from '../../ui/ErrorBox.tsx';
import { FormButtons } from '../../ui/FormButtons.tsx';
import { ResourceTable } from '../../ui/ResourceTable.tsx';
import { useConfirmRow } from '../../ui/rowActions.tsx';
import { usePagedList } from '../../ui/usePagedList.ts';
import { ConfirmDelete } from '../gateway/parts.tsx';
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
  const deleting = useConfirmRow<KbEntry>((e) => api('DELETE', `/chatbots/${bot.id}/entries/${e.id}`), entries.reload);
  const [notice, setNotice] = useState('');

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
      <ResourceTable
        list={entries}
        above={
          deleting.row && (
            <ConfirmDelete title={`Delete the entry “${deleting.row.question}”?`} onCancel={deleting.cancel} onConfirm={deleting.confirm}>
              <p>The chatbot stops using this answer at once.</p>
            </ConfirmDelete>
          )
        }
        loading="Loading…"
        empty={
          !adding &&
          !importing && (
            <div className="empty">
              <p>No entries yet. Add the questions your visitors ask and the answers the chatbot should give, or import them from a JSON or CSV file.</p>
            </div>
          )
        }
        pager="entries"
        className="kb"
        label="Knowledge base entries"
        rowKey={(e) => e.id}
        rowAttributes={() => ({ 'data-testid': 'kb-row' })}
        columns={[
          { head: 'Question', cell: (e) => e.question },
          { head: 'Answer', className: 'answer', cell: (e) => e.answer },
          {
            head: 'Tags',
            cell: (e) =>
              e.tags.map((t) => (
                <span key={t} className="badge">
                  {t}
                </span>
              )),
          },
        ]}
        actions={(e) => (
          <>
            <button className="small" onClick={() => setEditing(e.id)} aria-label={`Edit “${e.question}”`}>
              Edit
            </button>
            <button className="small danger" onClick={() => deleting.ask(e)} aria-label={`Delete “${e.question}”`}>
              Delete
            </button>
          </>
        )}
        replace={(e) =>
          editing === e.id && (
            <EntryForm
              botId={bot.id}
              entry={e}
              onDone={async () => {
                setEditing(null);
                await entries.reload();
              }}
              onCancel={() => setEditing(null)}
            />
          )
        }
      />
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
      <FormButtons label={entry ? 'Save entry' : 'Add entry'} busyLabel="Saving…" busy={busy} onCancel={onCancel} />
    </form>
  );
}
