// @vitest-environment happy-dom
// The pages the verification and password-reset mails link to, against a small stand-in for the API
// (the server side, and the attacks they answer, are in test/attack-account.test.ts).
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { MemoryRouter, Route, Routes } from 'react-router';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AuthProvider } from '../../web/src/auth.tsx';
import { ResetPassword, VerifyEmail } from '../../web/src/pages/AccountLinks.tsx';
import { Login } from '../../web/src/pages/Login.tsx';

type Call = { method: string; path: string; body: unknown };
const TOKEN = 'A'.repeat(43);

function fakeApi(passwordReset = true) {
  const calls: Call[] = [];
  const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
  vi.stubGlobal('fetch', async (url: string, init: RequestInit = {}) => {
    const method = init.method ?? 'GET';
    const path = url.replace(/^\/api\/v1/, '');
    const body = typeof init.body === 'string' ? JSON.parse(init.body) : undefined;
    calls.push({ method, path, body });
    if (path === '/auth/me') {
      return json(200, {
        user: { id: 'usr_me', email: 'me@example.test', name: 'Me', email_verified_at: null },
        team: { id: 'tm_1', name: 'T', role: 'owner' },
        memberships: [],
        email_verification: 'pending',
      });
    }
    if (path === '/auth/providers') {
      return json(200, {
        password: true,
        demo: false,
        google: { enabled: false, client_id: null },
        email: { enabled: passwordReset, verification: passwordReset, password_reset: passwordReset },
      });
    }
    if (path === '/auth/verify-email') return json(200, { email: 'me@example.test', email_verified_at: '2026-01-01T00:00:00Z' });
    if (path === '/auth/password-reset') return json(202, { message: 'If an account uses this address, a link is on its way.' });
    if (path === '/auth/password-reset/confirm') return json(200, { email: 'me@example.test', password_changed: true, sessions_ended: 1 });
    return json(404, { error: { code: 'NOT_FOUND', message: `no fake for ${method} ${path}` } });
  });
  return calls;
}

function renderAt(url: string) {
  return render(
    <MemoryRouter initialEntries={[url]}>
      <AuthProvider>
        <Routes>
          <Route path="/login" element={<Login mode="login" />} />
          <Route path="/verify-email/:token" element={<VerifyEmail />} />
          <Route path="/reset-password" element={<ResetPassword />} />
          <Route path="/reset-password/:token" element={<ResetPassword />} />
        </Routes>
      </AuthProvider>
    </MemoryRouter>,
  );
}

beforeEach(() => localStorage.clear());
afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

describe('the verify-email and reset-password pages', () => {
  it('confirms the address in the signed-in session', async () => {
    localStorage.setItem('wirehub.token', 'whs_test');
    const calls = fakeApi();
    renderAt(`/verify-email/${TOKEN}`);
    fireEvent.click(await screen.findByTestId('verify-email-confirm'));
    expect((await screen.findByTestId('verify-email-done')).textContent).toContain('me@example.test is confirmed');
    expect(calls.find((c) => c.path === '/auth/verify-email')).toMatchObject({ method: 'POST', body: { token: TOKEN } });
  });

  it('asks a visitor without a session to log in and come back, and does not post the token', async () => {
    const calls = fakeApi();
    renderAt(`/verify-email/${TOKEN}`);
    const login = await screen.findByRole('link', { name: 'Log in' });
    expect(login.getAttribute('href')).toBe(`/login?next=${encodeURIComponent(`/verify-email/${TOKEN}`)}`);
    expect(calls.some((c) => c.path === '/auth/verify-email')).toBe(false);
  });

  it('mails a reset link, then sets the new password from it', async () => {
    const calls = fakeApi();
    const first = renderAt('/reset-password');
    fireEvent.change(await screen.findByLabelText('E-mail'), { target: { value: 'me@example.test' } });
    fireEvent.click(screen.getByRole('button', { name: 'Mail me a link' }));
    expect((await screen.findByTestId('reset-password-done')).textContent).toContain('a link is on its way');
    expect(calls.find((c) => c.path === '/auth/password-reset')?.body).toEqual({ email: 'me@example.test' });
    first.unmount();

    renderAt(`/reset-password/${TOKEN}`);
    fireEvent.change(await screen.findByLabelText(/New password/), { target: { value: 'a-new-password' } });
    fireEvent.click(screen.getByRole('button', { name: 'Set the password' }));
    expect((await screen.findByTestId('reset-password-done')).textContent).toContain('every session was signed out');
    expect(calls.find((c) => c.path === '/auth/password-reset/confirm')?.body).toEqual({ token: TOKEN, password: 'a-new-password' });
  });

  it('offers "Forgot your password?" only when the server can mail', async () => {
    fakeApi(true);
    const on = renderAt('/login');
    expect(await screen.findByRole('link', { name: 'Forgot your password?' })).toBeTruthy();
    on.unmount();
    const calls = fakeApi(false);
    renderAt('/login');
    await waitFor(() => expect(calls.some((c) => c.path === '/auth/providers')).toBe(true));
    await new Promise((r) => setTimeout(r, 50));
    expect(screen.queryByRole('link', { name: 'Forgot your password?' })).toBeNull();
  });
});
