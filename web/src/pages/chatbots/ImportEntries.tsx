import { useState } from 'react';
import { api } from '../../api.ts';
import { ErrorBox } from '../../ui/ErrorBox.tsx';
import type { ImportResult } from './types.ts';
import { useSubmit } from '../../ui/useSubmit.ts';
import { FormButtons } from '../../ui/FormButtons.tsx';

/** Text starting with '[' or '{' is JSON (an array of entries, or {entries}); anything else is CSV with a header row. */
export function importBody(text: string, replace: boolean): { entries: unknown; replace: boolean } | { csv: string; replace: boolean } {
  const trimmed = text.trim();
  if (!trimmed.startsWith('[') && !trimmed.startsWith('{')) return { csv: text, replace };
  let parsed: unknown;
  try {
    parsed = JSON.parse(trimmed);
  } catch (err) {
    throw new Error(`That is not valid JSON: ${(err as Error).message}`);
  }
  const entries = Array.isArray(parsed) ? parsed : (parsed as { entries?: unknown }).entries;
  if (!Array.isArray(entries)) throw new Error('The JSON must be an array of entries, or an object with an "entries" array.');
  return { entries, replace };
}

export function ImportEntries({ botId, onImported, onCancel }: { botId: string; onImported: (count: number) => Promise<void>; onCancel: () => void }) {
  const [text, setText] = useState('');
  const [fileName, setFileName] = useState('');
  const [replace, setReplace] = useState(false);
  const { busy, error, run } = useSubmit();
  const submit = () =>
    run(async () => {
      const out = await api<ImportResult>('POST', `/chatbots/${botId}/entries/import`, importBody(text, replace));
      await onImported(out.imported);
    });

  return (
    <form className="card" aria-label="Import entries" onSubmit={(e) => (e.preventDefault(), void submit())}>
      <h3>Import entries</h3>
      <p className="muted">
        A JSON array of <code>{'{"question", "answer", "tags"}'}</code>, or CSV with the header <code>question,answer,tags</code> (tags separated by{' '}
        <code>;</code> or <code>|</code>
        ).
      </p>
      <label>
        From a file
        <input
          type="file"
          accept=".json,.csv,application/json,text/csv"
          onChange={async (e) => {
            const file = e.target.files?.[0];
            if (!file) return;
            setFileName(file.name);
            setText(await file.text());
          }}
        />
      </label>
      <div className="field">
        <label htmlFor="kb-import-text">Or paste {fileName ? `(loaded from ${fileName})` : ''}</label>
        <textarea
          id="kb-import-text"
          rows={8}
          value={text}
          onChange={(e) => setText(e.target.value)}
          placeholder={'question,answer,tags\nDo you work weekends?,Yes, Saturdays 9–1.,hours'}
        />
      </div>
      <label className="inline">
        <input type="checkbox" checked={replace} onChange={(e) => setReplace(e.target.checked)} /> Replace the whole knowledge base (otherwise the entries are
        added)
      </label>
      <ErrorBox error={error} />
      <FormButtons label="Import" busyLabel="Importing…" busy={busy} disabled={!text.trim()} onCancel={onCancel} />
    </form>
  );
}
