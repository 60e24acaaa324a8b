// @vitest-environment happy-dom
// The Team page against a small stand-in for the API (the server side is covered by test/teams.test.ts):
// what an owner and a plain member are offered, the invite link shown once, a role change, and a
// new team becoming the active one.
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { MemoryRouter } from 'react-router';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AuthProvider } from '../../web/src/auth.tsx';
import { Team } from '../../web/src/pages/Team.tsx';

type Role = 'owner' | 'admin' | 'member';
type Call = { method: string; path: string; body: unknown; team: string | null };

const ME = 'usr_me';
const TEAM = 'tm_acme';

function fakeApi(myRole: Role) {
  const calls: Call[] = [];
  const teams = [{ team_id: TEAM, team_name: 'Acme', role: myRole }];
  const members = [
    { user_id: ME, email: 'me@example.test', name: 'Me', picture_url: null, role: myRole, joined_at: '2026-01-01T00:00:00Z' },
    { user_id: 'usr_bo', email: 'bo@example.test', name: 'Bo', picture_url: null, role: 'member' as Role, joined_at: '2026-01-02T00:00:00Z' },
  ];
  if (myRole !== 'owner')
    members.push({ user_id: 'usr_ow', email: 'ow@example.test', name: 'Ow', picture_url: null, role: 'owner', joined_at: '2026-01-01T00:00:00Z' });
  const invites: {
    id: string;
    email: string;
    role: Role;
    expires_at: string;
    created_at: string;
    status: 'pending';
    invited_by: { id: string; name: string };
  }[] = [];
  const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

  vi.stubGlobal('fetch', async (url: string, init: RequestInit = {}) => {
    const method = init.method ?? 'GET';
    const path = url.replace(/^\/api\/v1/, '');
    const body = typeof init.body === 'string' ? JSON.parse(init.body) : undefined;
    const team = (init.headers as Record<string, string> | undefined)?.['x-team-id'] ?? null;
    calls.push({ method, path, body, team });
    const active = teams.find((t) => t.team_id === team) ?? teams[0];
    if (method === 'GET' && path === '/auth/me') {
      return json(200, {
        user: { id: ME, email: 'me@example.test', name: 'Me' },
        team: { id: active.team_id, name: active.team_name, role: active.role },
        memberships: teams,
      });
    }
    if (method === 'GET' && path === `/teams/${TEAM}/members`) return json(200, { models: members, count: members.length });
    if (method === 'GET' && path === `/teams/${TEAM}/invites`) return json(200, { models: invites, count: invites.length });
    if (method === 'POST' && path === `/teams/${TEAM}/invites`) {
      const b = body as { email: string; role: Role };
      invites.push({
        id: 'inv_1',
        ...b,
        expires_at: '2026-02-01T00:00:00Z',
        created_at: '2026-01-25T00:00:00Z',
        status: 'pending',
        invited_by: { id: ME, name: 'Me' },
      });
      return json(201, { id: 'inv_1', ...b, url: 'https://hub.example.test/invite/secret-token-shown-once' });
    }
    const role = new RegExp(`^/teams/${TEAM}/members/(usr_\\w+)$`).exec(path);
    if (method === 'PATCH' && role) {
      const m = members.find((x) => x.user_id === role[1])!;
      m.role = (body as { role: Role }).role;
      return json(200, { team_id: TEAM, user_id: m.user_id, role: m.role });
    }
    if (method === 'POST' && path === '/teams') {
      teams.push({ team_id: 'tm_new', team_name: (body as { name: string }).name, role: 'owner' });
      return json(201, { id: 'tm_new', name: (body as { name: string }).name, role: 'owner' });
    }
    return json(404, { error: { code: 'NOT_FOUND', message: `no fake for ${method} ${path}` } });
  });
  return calls;
}

function renderTeam() {
  return render(
    <MemoryRouter initialEntries={['/team']}>
      <AuthProvider>
        <Team />
      </AuthProvider>
    </MemoryRouter>,
  );
}

beforeEach(() => {
  localStorage.clear();
  localStorage.setItem('wirehub.token', 'whs_test');
  localStorage.setItem('wirehub.team', TEAM);
});
afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

describe('the Team page', () => {
  it("lets an owner invite (the link shown once), change a member's role, but not demote the last owner", async () => {
    const calls = fakeApi('owner');
    renderTeam();
    const rows = await screen.findAllByTestId('member-row');
    expect(rows.map((r) => r.textContent)).toEqual([expect.stringContaining('Me (you)'), expect.stringContaining('Bo')]);
    // The last owner (me) has no role menu and cannot leave.
    expect(within(rows[0]).queryByTestId('member-role')).toBeNull();
    expect((within(rows[0]).getByTestId('member-remove') as HTMLButtonElement).disabled).toBe(true);

    fireEvent.change(within(rows[1]).getByTestId('member-role'), { target: { value: 'admin' } });
    await waitFor(() => expect(calls.find((c) => c.method === 'PATCH')).toMatchObject({ path: `/teams/${TEAM}/members/usr_bo`, body: { role: 'admin' } }));

    fireEvent.change(screen.getByTestId('invite-email'), { target: { value: 'new@example.test' } });
    fireEvent.change(screen.getByTestId('invite-role'), { target: { value: 'admin' } });
    fireEvent.click(screen.getByTestId('invite-send'));
    expect((await screen.findByTestId('invite-link')).textContent).toBe('https://hub.example.test/invite/secret-token-shown-once');
    expect(screen.getByTestId('invite-copy')).toBeTruthy();
    expect(calls.find((c) => c.method === 'POST')).toMatchObject({ path: `/teams/${TEAM}/invites`, body: { email: 'new@example.test', role: 'admin' } });
    const invite = await screen.findByTestId('invite-row');
    expect(invite.textContent).toContain('new@example.test');
    expect(invite.textContent).not.toContain('secret-token');
  });

  it('offers a plain member no management, only leaving', async () => {
    const calls = fakeApi('member');
    renderTeam();
    const rows = await screen.findAllByTestId('member-row');
    expect(screen.queryAllByTestId('member-role')).toHaveLength(0);
    expect(screen.queryByTestId('invite-email')).toBeNull();
    expect(screen.getAllByTestId('member-remove').map((b) => b.textContent)).toEqual(['Leave']);
    expect(within(rows[0]).getByTestId('member-remove')).toBeTruthy();
    expect(screen.getByTestId('team-name').tagName).toBe('P');
    expect(calls.some((c) => c.path.endsWith('/invites'))).toBe(false);
    // Leaving is confirmed in its own words, not a delete's.
    fireEvent.click(screen.getByTestId('member-remove'));
    expect((await screen.findByTestId('confirm-leave-yes')).textContent).toBe('Yes, leave');
    expect(screen.getByRole('alertdialog').getAttribute('aria-label')).toBe('Leave “Acme”?');
  });

  it('creates a team and switches to it', async () => {
    const calls = fakeApi('admin');
    renderTeam();
    await screen.findAllByTestId('member-row');
    fireEvent.change(screen.getByTestId('team-new-name'), { target: { value: 'Side project' } });
    fireEvent.click(screen.getByTestId('team-create'));
    await waitFor(() => expect(localStorage.getItem('wirehub.team')).toBe('tm_new'));
    expect(calls.find((c) => c.method === 'POST' && c.path === '/teams')?.body).toEqual({ name: 'Side project' });
    // The profile (and so the workspace switcher) is read again under the new team.
    await waitFor(() => expect(calls.some((c) => c.path === '/auth/me' && c.team === 'tm_new')).toBe(true));
  });
});
