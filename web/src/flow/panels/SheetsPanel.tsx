import { useCallback, useState } from 'react';
import type { CredentialSummary } from '../flow-api.ts';
import { Field, TestConnection, useFieldErrors, without, type PanelProps } from './common.tsx';
import { SignInWithGoogle, SpreadsheetPicker, useGoogleOAuthStatus } from './GoogleSheetPicker.tsx';

const GOOGLE_KINDS: readonly CredentialSummary['kind'][] = ['google-oauth', 'google-service-account'];

/** Column names typed or pasted as one line ("name, email; phone") or one per line. */
export const splitColumns = (text: string): string[] =>
  text
    .split(/[,;\t\n]+/)
    .map((c) => c.trim())
    .filter(Boolean);

/** A row per event in a Google Sheet: which sheet, which tab, and its columns in order. */
export function SheetsPanel({ data, onChange, env }: PanelProps) {
  const errors = useFieldErrors('sheets', data);
  const columns = (Array.isArray(data.columns) ? data.columns : []) as string[];
  const [typed, setTyped] = useState('');
  const columnsError = errors.columns ?? Object.entries(errors).find(([k]) => k.startsWith('columns.'))?.[1];
  const addTyped = () => {
    const next = splitColumns(typed).filter((c) => !columns.includes(c));
    if (next.length) onChange({ ...data, columns: [...columns, ...next] });
    setTyped('');
  };
  const move = (i: number, by: number) => {
    const next = [...columns];
    [next[i], next[i + by]] = [next[i + by], next[i]];
    onChange({ ...data, columns: next });
  };
  const status = useGoogleOAuthStatus();
  // Accounts signed in with from this panel: the editor loaded its credentials before they existed.
  const [connected, setConnected] = useState<CredentialSummary[]>([]);
  const known = env.credentials ?? [];
  // Newest first, as the API lists them and the server picks for "default"; just connected ones are newer still.
  const mine = [...connected.filter((c) => !known.some((k) => k.id === c.id)), ...known].filter((c) => GOOGLE_KINDS.includes(c.kind));
  const chosen = mine.find((c) => c.id === data.credentialId) ?? mine[0];
  const onConnected = useCallback(
    (c: CredentialSummary) => {
      setConnected((list) => [...list.filter((x) => x.id !== c.id), c]);
      onChange({ ...data, credentialId: c.id });
    },
    [data, onChange],
  );
  return (
    <>
      {env.credentials !== null && (
        <>
          {mine.length > 0 && (
            <Field
              label="Write as"
              hint={
                chosen?.kind === 'google-service-account' && chosen.hint ? (
                  <>
                    Share the sheet with <code data-testid="sheets-credential-email">{chosen.hint}</code> (Editor access).
                  </>
                ) : undefined
              }
            >
              <select
                data-testid="sheets-credential"
                value={(data.credentialId as string | undefined) ?? ''}
                onChange={(e) => onChange(e.target.value ? { ...data, credentialId: e.target.value } : without(data, 'credentialId'))}
              >
                <option value="">The newest Google account or service account</option>
                {mine.map((c) => (
                  <option key={c.id} value={c.id}>
                    {c.kind === 'google-oauth'
                      ? `${c.hint ?? c.name ?? c.id} (Google account)`
                      : `${c.name ?? c.id}${c.hint ? ` — ${c.hint}` : ''} (service account)`}
                  </option>
                ))}
              </select>
            </Field>
          )}
          {chosen?.kind === 'google-oauth' && (
            <p className="flow-field-hint" data-testid="sheets-google-account">
              Rows are written as <strong>{chosen.hint ?? chosen.name}</strong>.
            </p>
          )}
          <SignInWithGoogle status={status} onConnected={onConnected} again={mine.length > 0} />
          {mine.length === 0 && (
            <p className="flow-note" data-testid="sheets-credential-missing">
              Or use a service account: <a href="/settings">add its key in Settings</a>, then come back.
            </p>
          )}
        </>
      )}
      {chosen?.kind === 'google-oauth' ? (
        <SpreadsheetPicker credentialId={chosen.id} data={data} onChange={onChange} />
      ) : (
        <>
          <Field
            label="Spreadsheet"
            hint="Paste the sheet’s address from your browser, or its ID."
            error={data.spreadsheetId ? errors.spreadsheetId : undefined}
            testid="sheets-spreadsheet"
          >
            <input
              data-testid="sheets-spreadsheet"
              value={String(data.spreadsheetId ?? '')}
              placeholder="https://docs.google.com/spreadsheets/d/…"
              onChange={(e) => onChange({ ...data, spreadsheetId: e.target.value })}
            />
          </Field>
          <Field label="Tab" error={errors.sheetName} testid="sheets-tab">
            <input
              data-testid="sheets-tab"
              value={String(data.sheetName ?? '')}
              placeholder="Sheet1"
              onChange={(e) => onChange({ ...data, sheetName: e.target.value })}
            />
          </Field>
        </>
      )}
      <div className="flow-field">
        <span className="flow-field-label">Columns, left to right</span>
        <div className="flow-chips" data-testid="sheets-columns">
          {columns.map((c, i) => (
            <span key={c} className="flow-chip on" data-testid={`sheets-column-${c}`}>
              {i > 0 && (
                <button type="button" className="link" aria-label={`Move ${c} left`} onClick={() => move(i, -1)}>
                  ‹
                </button>
              )}
              {c}
              {i < columns.length - 1 && (
                <button type="button" className="link" aria-label={`Move ${c} right`} onClick={() => move(i, 1)}>
                  ›
                </button>
              )}
              <button
                type="button"
                className="link"
                aria-label={`Remove ${c}`}
                data-testid={`sheets-column-remove-${c}`}
                onClick={() => onChange({ ...data, columns: columns.filter((x) => x !== c) })}
              >
                ×
              </button>
            </span>
          ))}
        </div>
        <span className="flow-inline">
          <input
            aria-label="Column name"
            data-testid="sheets-column-input"
            placeholder="name, email, phone"
            value={typed}
            onChange={(e) => setTyped(e.target.value)}
            onKeyDown={(e) => {
              if (e.key !== 'Enter') return;
              e.preventDefault();
              addTyped();
            }}
          />
          <button type="button" data-testid="sheets-add-column" disabled={!typed.trim()} onClick={addTyped}>
            Add
          </button>
        </span>
        <span className="flow-field-hint">
          Type the sheet’s column headers (several at once with commas). An empty sheet gets them as its header row on the first delivery; a sheet that has a
          header must match it. A Map fields step before this fills each column.
        </span>
        {columnsError && (
          <span className="flow-field-error" data-testid="error-sheets-columns">
            {columnsError}
          </span>
        )}
      </div>
      <TestConnection run={() => env.testConnection(data)} disabled={!!errors.spreadsheetId} />
    </>
  );
}
