import { useState, type FormEvent } from 'react';
import { Link, useParams } from 'react-router';
import { api } from '../api.ts';
import { useAuth } from '../auth.tsx';
import { ErrorBox } from '../ui/ErrorBox.tsx';
import { useSubmit } from '../ui/useSubmit.ts';

/**
 * Where the verification link of a sign-up mail lands. The link works only in the session of the
 * account it was sent for (so the owner of a squatted address cannot confirm the squatter's
 * account by following it): a visitor without a session logs in first and comes back here.
 */
export function VerifyEmail() {
  const { token = '' } = useParams();
  const { profile, loading, refresh } = useAuth();
  const { busy, error, run } = useSubmit();
  const [done, setDone] = useState<string | null>(null);
  const back = `?next=${encodeURIComponent(`/verify-email/${token}`)}`;

  const confirm = () =>
    run(async () => {
      const out = await api<{ email: string }>('POST', '/auth/verify-email', { token });
      setDone(out.email);
      await refresh();
    });

  return (
    <main className="auth">
      <h1>Wirehub</h1>
      <div className="card" data-testid="verify-email">
        <h2>Confirm your e-mail address</h2>
        {loading && <p className="loading">Loading…</p>}
        {!loading && !profile && (
          <>
            <p>Log in with the account this address signed up for, then open the link again to confirm it.</p>
            <p className="muted">Did not sign up? Ignore the mail, or take the account over by resetting its password.</p>
            <p className="row">
              <Link to={`/login${back}`}>Log in</Link>
              <Link to="/reset-password">Reset the password</Link>
            </p>
          </>
        )}
        {!loading && profile && !done && (
          <>
            <p>
              Confirm that <strong>{profile.user.email}</strong> is yours.
            </p>
            <ErrorBox error={error} />
            <button type="button" className="primary" data-testid="verify-email-confirm" disabled={busy} onClick={() => void confirm()}>
              {busy ? 'Confirming…' : 'Confirm my address'}
            </button>
          </>
        )}
        {done && (
          <p data-testid="verify-email-done">
            {done} is confirmed. <Link to="/">Go to Wirehub</Link>
          </p>
        )}
      </div>
    </main>
  );
}

/**
 * Password reset: without a token, asks for the address to mail a link to (the answer never says
 * whether an account uses it); with the token of that link, chooses the new password.
 */
export function ResetPassword() {
  const { token } = useParams();
  const { busy, error, run } = useSubmit();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [message, setMessage] = useState<string | null>(null);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => {
      if (token) {
        await api('POST', '/auth/password-reset/confirm', { token, password });
        setMessage('Your password is changed, and every session was signed out.');
      } else {
        setMessage((await api<{ message: string }>('POST', '/auth/password-reset', { email })).message);
      }
    });
  };

  return (
    <main className="auth">
      <h1>Wirehub</h1>
      <form onSubmit={submit} className="card" data-testid="reset-password">
        <h2>{token ? 'Choose a new password' : 'Reset your password'}</h2>
        {message ? (
          <p data-testid="reset-password-done">
            {message} {token && <Link to="/login">Log in</Link>}
          </p>
        ) : (
          <>
            {token ? (
              <label>
                New password <span className="muted">(at least 10 characters)</span>
                <input
                  name="password"
                  type="password"
                  value={password}
                  onChange={(e) => setPassword(e.target.value)}
                  required
                  minLength={10}
                  autoComplete="new-password"
                />
              </label>
            ) : (
              <label>
                E-mail
                <input name="email" type="email" value={email} onChange={(e) => setEmail(e.target.value)} required autoComplete="email" />
              </label>
            )}
            <ErrorBox error={error} />
            <button type="submit" className="primary" disabled={busy}>
              {token ? 'Set the password' : 'Mail me a link'}
            </button>
          </>
        )}
        <p className="muted">
          <Link to="/login">Back to log in</Link>
        </p>
      </form>
    </main>
  );
}
