// @vitest-environment happy-dom
// The Google Sheet panel with "Sign in with Google": the button (or what the operator must set),
// the pop-up's answer selecting the account, then the spreadsheet and tab chosen from lists, the
// tab's header row becoming the columns, and pasting an address as the fallback.
import { act, cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { useState } from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FLOW_NODE_DATA } from '../../shared/flow-graph.ts';
import { defaultData } from '../../web/src/flow/graph.ts';
import type { CredentialSummary } from '../../web/src/flow/flow-api.ts';
import type { PanelEnv } from '../../web/src/flow/panels/common.tsx';
import { SheetsPanel } from '../../web/src/flow/panels/SheetsPanel.tsx';

const SHEET_ID = '1BxiMVs0XRA5nFMdKvBdBZjgmUUqptlbs74OgvE2upms';
const account: CredentialSummary = { id: 'cred_01google', kind: 'google-oauth', name: 'jane@gmail.com', hint: 'jane@gmail.com' };

function env(credentials: CredentialSummary[]): PanelEnv {
  return {
    eventTypes: [],
    destinations: [],
    credentials,
    sample: {},
    sampleFrom: null,
    targets: null,
    targetsFor: null,
    preview: async () => undefined,
    testConnection: async () => ({ ok: true, message: 'ok', warnings: [] }),
  };
}

/** The API as the panel reads it; every call is recorded. */
function fakeApi(answers: Record<string, unknown>) {
  const calls: string[] = [];
  vi.stubGlobal(
    'fetch',
    vi.fn(async (url: string, init: RequestInit = {}) => {
      const key = `${init.method ?? 'GET'} ${url.replace('/api/v1', '')}`;
      calls.push(key);
      const hit = Object.entries(answers).find(([k]) => key === k || key.startsWith(`${k}?`));
      if (!hit) return new Response(JSON.stringify({ error: { code: 'NOT_FOUND', message: `no ${key}` } }), { status: 404 });
      return new Response(JSON.stringify(hit[1]), { status: 200, headers: { 'content-type': 'application/json' } });
    }),
  );
  return calls;
}

function mount(credentials: CredentialSummary[], initial: Record<string, unknown> = defaultData('sheets')) {
  let latest = initial;
  function Holder() {
    const [data, setData] = useState(initial);
    return (
      <SheetsPanel
        id="sheets_1"
        data={data}
        env={env(credentials)}
        onChange={(next) => {
          latest = next;
          setData(next);
        }}
      />
    );
  }
  render(<Holder />);
  return { data: () => latest };
}

const lists = {
  'GET /google/oauth': { enabled: true, redirect_uri: 'http://hub/api/v1/google/oauth/callback', message: null },
  [`GET /credentials/${account.id}/spreadsheets`]: {
    models: [
      { id: SHEET_ID, name: 'Leads 2026', modified_at: null, owner: null },
      { id: '1OtherXRA5nFMdKvBdBZjgmUUq', name: 'Budget', modified_at: null, owner: null },
    ],
    count: 2,
  },
  [`GET /credentials/${account.id}/spreadsheets/${SHEET_ID}`]: {
    id: SHEET_ID,
    title: 'Leads 2026',
    sheets: [
      { title: 'Leads', index: 0 },
      { title: 'Archive', index: 1 },
    ],
  },
  [`GET /credentials/${account.id}/spreadsheets/${SHEET_ID}/columns`]: { sheet: 'Leads', columns: ['name', 'email', '', 'phone', 'email'] },
};

describe('Google Sheet panel: Sign in with Google', () => {
  afterEach(() => {
    cleanup();
    vi.unstubAllGlobals();
  });

  it('says what the operator must set when sign-in is not configured, and keeps the pasted way', async () => {
    fakeApi({
      'GET /google/oauth': {
        enabled: false,
        redirect_uri: 'x',
        message: 'Sign in with Google is not set up on this server: set GOOGLE_OAUTH_CLIENT_ID and GOOGLE_OAUTH_CLIENT_SECRET.',
      },
    });
    mount([]);
    expect((await screen.findByTestId('google-signin-unavailable')).textContent).toContain('GOOGLE_OAUTH_CLIENT_ID');
    expect(screen.queryByTestId('google-signin')).toBeNull();
    expect(screen.getByTestId('sheets-spreadsheet')).toBeTruthy();
  });

  it('opens Google in a pop-up, and the answer from it selects the account and lists its spreadsheets', async () => {
    const calls = fakeApi({ ...lists, 'POST /google/oauth/start': { authorize_url: 'https://accounts.example/auth?state=s', expires_at: 'x' } });
    const popup = { location: { href: 'about:blank' }, close: vi.fn() };
    const open = vi.fn(() => popup);
    vi.stubGlobal('open', open);
    const p = mount([]);
    const button = await screen.findByTestId('google-signin');
    expect(button.textContent).toBe('Sign in with Google');
    await act(async () => fireEvent.click(button));
    expect(open).toHaveBeenCalledWith('about:blank', 'wirehub-google-signin', expect.any(String));
    await waitFor(() => expect(popup.location.href).toBe('https://accounts.example/auth?state=s'));
    expect(calls).toContain('POST /google/oauth/start');
    // Another origin's message is ignored; the callback page's (same origin) is taken.
    await act(async () =>
      window.dispatchEvent(
        new MessageEvent('message', {
          origin: 'https://evil.example',
          data: { type: 'wirehub-google-oauth', ok: true, credential_id: 'cred_evil', email: 'x' },
        }),
      ),
    );
    expect(p.data().credentialId).toBeUndefined();
    await act(async () =>
      window.dispatchEvent(
        new MessageEvent('message', {
          origin: window.location.origin,
          data: { type: 'wirehub-google-oauth', ok: true, credential_id: account.id, email: 'jane@gmail.com' },
        }),
      ),
    );
    expect(p.data().credentialId).toBe(account.id);
    expect((await screen.findByTestId('sheets-google-account')).textContent).toContain('jane@gmail.com');
    await screen.findByText('Leads 2026');
  });

  it('shows why Google refused', async () => {
    fakeApi(lists);
    mount([]);
    await screen.findByTestId('google-signin');
    await act(async () =>
      window.dispatchEvent(
        new MessageEvent('message', {
          origin: window.location.origin,
          data: { type: 'wirehub-google-oauth', ok: false, message: 'Google access was not granted.' },
        }),
      ),
    );
    expect(screen.getByTestId('google-signin-error').textContent).toBe('Google access was not granted.');
  });

  it('picks the spreadsheet and tab from lists; the header row fills the columns; pasting stays possible', async () => {
    fakeApi(lists);
    const p = mount([account]);
    const select = (await screen.findByTestId('sheets-spreadsheet-select')) as HTMLSelectElement;
    await waitFor(() => expect(select.disabled).toBe(false));
    expect([...select.options].map((o) => o.textContent)).toEqual(['Choose a spreadsheet…', 'Leads 2026', 'Budget']);
    await act(async () => fireEvent.change(select, { target: { value: SHEET_ID } }));
    await waitFor(() => expect(p.data().columns).toEqual(['name', 'email', 'phone']));
    expect(p.data()).toMatchObject({ spreadsheetId: SHEET_ID, sheetName: 'Leads' });
    const tab = screen.getByTestId('sheets-tab-select') as HTMLSelectElement;
    expect([...tab.options].map((o) => o.textContent)).toEqual(['Leads', 'Archive']);
    // Columns already set are kept when another tab is chosen.
    await act(async () => fireEvent.change(tab, { target: { value: 'Archive' } }));
    expect(p.data()).toMatchObject({ sheetName: 'Archive', columns: ['name', 'email', 'phone'] });
    expect(FLOW_NODE_DATA.sheets.parse(p.data())).toEqual({ spreadsheetId: SHEET_ID, sheetName: 'Archive', columns: ['name', 'email', 'phone'] });

    fireEvent.click(screen.getByTestId('sheets-paste-toggle'));
    fireEvent.change(screen.getByTestId('sheets-spreadsheet'), { target: { value: 'https://docs.google.com/spreadsheets/d/1PastedXRA5nFMdKvBdBZ/edit' } });
    expect(p.data().spreadsheetId).toBe('https://docs.google.com/spreadsheets/d/1PastedXRA5nFMdKvBdBZ/edit');
  });
});
