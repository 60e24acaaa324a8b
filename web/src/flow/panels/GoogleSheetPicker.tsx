import { useEffect, useRef, useState } from 'react';
import { api, ApiError } from '../../api.ts';
import type { CredentialSummary } from '../flow-api.ts';
import { Field } from './common.tsx';

type OAuthStatus = { enabled: boolean; redirect_uri: string; message: string | null };
type OAuthResult = { type: 'wirehub-google-oauth'; ok: boolean; credential_id?: string; email?: string; message: string };
type Spreadsheet = { id: string; name: string; modified_at: string | null; owner: string | null };
type Tabs = { id: string; title: string; sheets: { title: string; index: number }[] };

const CHANNEL = 'wirehub-google-oauth';
const message = (err: unknown) => (err instanceof ApiError || err instanceof Error ? err.message : String(err));

/** Whether this server can sign in with Google (null while asking; a failed ask reads as "not set up"). */
export function useGoogleOAuthStatus(): OAuthStatus | null {
  const [status, setStatus] = useState<OAuthStatus | null>(null);
  useEffect(() => {
    let live = true;
    api<OAuthStatus>('GET', '/google/oauth')
      .then((s) => live && setStatus(s))
      .catch(() => live && setStatus({ enabled: false, redirect_uri: '', message: null }));
    return () => {
      live = false;
    };
  }, []);
  return status;
}

/**
 * "Sign in with Google" in a pop-up, as Zapier does, so the unsaved flow stays on screen. The
 * window opens on the click (pop-up blockers allow that), then goes to Google's consent page; the
 * page Google sends it back to answers through postMessage and a BroadcastChannel.
 */
export function SignInWithGoogle({ status, onConnected, again }: { status: OAuthStatus | null; onConnected: (c: CredentialSummary) => void; again: boolean }) {
  const [state, setState] = useState<{ busy: boolean; error?: string; blockedUrl?: string }>({ busy: false });
  const done = useRef<string | null>(null);
  useEffect(() => {
    const handle = (data: unknown) => {
      const r = data as OAuthResult | null;
      if (r?.type !== 'wirehub-google-oauth') return;
      if (!r.ok) return setState({ busy: false, error: r.message });
      // Both channels deliver the same answer; act on it once.
      if (!r.credential_id || done.current === r.credential_id) return;
      done.current = r.credential_id;
      setState({ busy: false });
      onConnected({ id: r.credential_id, kind: 'google-oauth', name: r.email ?? null, hint: r.email ?? null });
    };
    const onMessage = (e: MessageEvent) => {
      if (e.origin === window.location.origin) handle(e.data);
    };
    window.addEventListener('message', onMessage);
    const channel = typeof BroadcastChannel === 'function' ? new BroadcastChannel(CHANNEL) : null;
    if (channel) channel.onmessage = (e) => handle(e.data);
    return () => {
      window.removeEventListener('message', onMessage);
      channel?.close();
    };
  }, [onConnected]);

  if (!status) return null;
  if (!status.enabled) {
    return (
      <p className="flow-note" data-testid="google-signin-unavailable">
        “Sign in with Google” is not set up on this server. {status.message ?? 'The operator must set GOOGLE_OAUTH_CLIENT_ID and GOOGLE_OAUTH_CLIENT_SECRET.'}{' '}
        Meanwhile a service account key from <a href="/settings">Settings</a> works.
      </p>
    );
  }
  const start = async () => {
    done.current = null;
    const popup = window.open('about:blank', 'wirehub-google-signin', 'popup,width=520,height=680');
    setState({ busy: true });
    try {
      const { authorize_url } = await api<{ authorize_url: string }>('POST', '/google/oauth/start');
      if (popup) popup.location.href = authorize_url;
      else setState({ busy: false, blockedUrl: authorize_url });
    } catch (err) {
      popup?.close();
      setState({ busy: false, error: message(err) });
    }
  };
  return (
    <div className="flow-field">
      <button type="button" className={again ? 'link' : 'primary'} data-testid="google-signin" onClick={() => void start()} disabled={state.busy}>
        {state.busy ? 'Waiting for Google…' : again ? 'Use another Google account' : 'Sign in with Google'}
      </button>
      {!again && (
        <span className="flow-field-hint">Rows are written as your Google account, in spreadsheets you pick from a list. Nothing to share or paste.</span>
      )}
      {state.blockedUrl && (
        <span className="flow-note">
          The browser blocked the sign-in window.{' '}
          {/* biome-ignore lint/security/noBlankTarget: the sign-in window reports back to this page through window.opener; it is Google's own page. */}
          <a href={state.blockedUrl} target="_blank" rel="opener">
            Open Google sign-in
          </a>
        </span>
      )}
      {state.error && (
        <span className="flow-field-error" role="alert" data-testid="google-signin-error">
          {state.error}
        </span>
      )}
    </div>
  );
}

/**
 * The spreadsheet and its tab picked from the account's lists. Picking a tab whose first row has
 * headers makes those the columns, when none are set yet. "Paste an address instead" keeps the
 * typed way for a spreadsheet the list does not show (shared drives, a long list).
 */
export function SpreadsheetPicker({
  credentialId,
  data,
  onChange,
}: {
  credentialId: string;
  data: Record<string, unknown>;
  onChange: (data: Record<string, unknown>) => void;
}) {
  const spreadsheetId = typeof data.spreadsheetId === 'string' ? data.spreadsheetId : '';
  const sheetName = typeof data.sheetName === 'string' ? data.sheetName : '';
  const [files, setFiles] = useState<{ list?: Spreadsheet[]; error?: string }>({});
  const [tabs, setTabs] = useState<{ of?: string; value?: Tabs; error?: string }>({});
  const [pasting, setPasting] = useState(false);
  // The latest data, for answers that arrive after the user changed something else.
  const latest = useRef(data);
  latest.current = data;
  // What was last handed up counts at once: an answer may come back before the editor re-renders.
  const emit = (next: Record<string, unknown>) => {
    latest.current = next;
    onChange(next);
  };

  useEffect(() => {
    let live = true;
    setFiles({});
    api<{ models: Spreadsheet[] }>('GET', `/credentials/${credentialId}/spreadsheets`)
      .then((r) => live && setFiles({ list: r.models }))
      .catch((err: unknown) => live && setFiles({ error: message(err) }));
    return () => {
      live = false;
    };
  }, [credentialId]);

  const validId = /^[A-Za-z0-9_-]{10,200}$/.test(spreadsheetId);
  useEffect(() => {
    if (!validId) return setTabs({});
    let live = true;
    setTabs({ of: spreadsheetId });
    api<Tabs>('GET', `/credentials/${credentialId}/spreadsheets/${encodeURIComponent(spreadsheetId)}`)
      .then((r) => live && setTabs({ of: spreadsheetId, value: r }))
      .catch((err: unknown) => live && setTabs({ of: spreadsheetId, error: message(err) }));
    return () => {
      live = false;
    };
  }, [credentialId, spreadsheetId, validId]);

  /** Chooses a tab, and takes its header row as the columns when there are none yet. */
  const chooseTab = async (base: Record<string, unknown>, id: string, tab: string) => {
    emit({ ...base, sheetName: tab });
    try {
      const r = await api<{ columns: string[] }>(
        'GET',
        `/credentials/${credentialId}/spreadsheets/${encodeURIComponent(id)}/columns?sheet=${encodeURIComponent(tab)}`,
      );
      const now = latest.current;
      const columns = [...new Set(r.columns.filter((c) => c !== ''))];
      const unset = !Array.isArray(now.columns) || now.columns.length === 0;
      if (now.spreadsheetId === id && now.sheetName === tab && unset && columns.length) emit({ ...now, columns });
    } catch {
      // No header read: the columns are typed, as before.
    }
  };

  const pickSpreadsheet = async (id: string) => {
    emit({ ...latest.current, spreadsheetId: id });
    if (!id) return;
    try {
      const r = await api<Tabs>('GET', `/credentials/${credentialId}/spreadsheets/${encodeURIComponent(id)}`);
      setTabs({ of: id, value: r });
      const first = r.sheets[0]?.title;
      if (first && latest.current.spreadsheetId === id) await chooseTab(latest.current, id, first);
    } catch (err) {
      setTabs({ of: id, error: message(err) });
    }
  };

  const listed = files.list ?? [];
  const known = listed.some((f) => f.id === spreadsheetId);
  const tabList = tabs.of === spreadsheetId ? (tabs.value?.sheets ?? []) : [];
  return (
    <>
      {pasting || files.error ? (
        <Field
          label="Spreadsheet"
          hint={files.error ? `The list could not be loaded: ${files.error}` : 'Paste the sheet’s address from your browser, or its ID.'}
          testid="sheets-spreadsheet"
        >
          <input
            data-testid="sheets-spreadsheet"
            value={spreadsheetId}
            placeholder="https://docs.google.com/spreadsheets/d/…"
            onChange={(e) => onChange({ ...data, spreadsheetId: e.target.value })}
          />
        </Field>
      ) : (
        <Field label="Spreadsheet" testid="sheets-spreadsheet">
          <select data-testid="sheets-spreadsheet-select" value={spreadsheetId} disabled={!files.list} onChange={(e) => void pickSpreadsheet(e.target.value)}>
            <option value="">
              {files.list ? (listed.length ? 'Choose a spreadsheet…' : 'No spreadsheets in this Google account') : 'Loading your spreadsheets…'}
            </option>
            {spreadsheetId && !known && <option value={spreadsheetId}>{spreadsheetId}</option>}
            {listed.map((f) => (
              <option key={f.id} value={f.id}>
                {f.name}
              </option>
            ))}
          </select>
        </Field>
      )}
      {!files.error && (
        <button
          type="button"
          className="link"
          style={{ alignSelf: 'flex-start', marginBottom: '0.5rem' }}
          data-testid="sheets-paste-toggle"
          onClick={() => setPasting(!pasting)}
        >
          {pasting ? 'Choose from my spreadsheets' : 'Paste an address instead'}
        </button>
      )}
      <Field label="Tab" error={tabs.of === spreadsheetId ? tabs.error : undefined} testid="sheets-tab">
        {tabList.length ? (
          <select data-testid="sheets-tab-select" value={sheetName} onChange={(e) => void chooseTab(latest.current, spreadsheetId, e.target.value)}>
            {!tabList.some((t) => t.title === sheetName) && <option value={sheetName}>{sheetName || 'Choose a tab…'}</option>}
            {tabList.map((t) => (
              <option key={t.title} value={t.title}>
                {t.title}
              </option>
            ))}
          </select>
        ) : (
          <input data-testid="sheets-tab" value={sheetName} placeholder="Sheet1" onChange={(e) => onChange({ ...data, sheetName: e.target.value })} />
        )}
      </Field>
    </>
  );
}
