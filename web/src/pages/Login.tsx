import { useState, type FormEvent } from 'react';
import { Link, useNavigate } from 'react-router';
import { useAuth } from '../auth.tsx';
import { ErrorBox } from '../ui/ErrorBox.tsx';
import { useSubmit } from '../ui/useSubmit.ts';

export function Login({ mode }: { mode: 'login' | 'signup' }) {
  const auth = useAuth();
  const navigate = useNavigate();
  const [form, setForm] = useState({ name: '', email: '', password: '', workspace: '' });
  const { busy, error, run } = useSubmit();
  const set = (k: keyof typeof form) => (e: { target: { value: string } }) => setForm({ ...form, [k]: e.target.value });

  const submit = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => {
      await (mode === 'signup' ? auth.signup({ ...form, workspace: form.workspace || `${form.name || 'My'} workspace` }) : auth.login(form.email, form.password));
      navigate('/flows');
    });
  };

  return (
    <main className="auth">
      <h1>Wirehub</h1>
      <p className="muted">Wire your events to the tools you use — no code needed.</p>
      <form onSubmit={submit} className="card">
        <h2>{mode === 'signup' ? 'Create your account' : 'Log in'}</h2>
        {mode === 'signup' && (
          <label>
            Your name
            <input name="name" value={form.name} onChange={set('name')} required autoComplete="name" />
          </label>
        )}
        <label>
          E-mail
          <input name="email" type="email" value={form.email} onChange={set('email')} required autoComplete="email" />
        </label>
        <label>
          Password {mode === 'signup' && <span className="muted">(at least 10 characters)</span>}
          <input name="password" type="password" value={form.password} onChange={set('password')} required minLength={mode === 'signup' ? 10 : 1} autoComplete={mode === 'signup' ? 'new-password' : 'current-password'} />
        </label>
        {mode === 'signup' && (
          <label>
            Workspace name <span className="muted">(optional)</span>
            <input name="workspace" value={form.workspace} onChange={set('workspace')} placeholder="Acme Plumbing" />
          </label>
        )}
        <ErrorBox error={error} />
        <button type="submit" className="primary" disabled={busy}>
          {mode === 'signup' ? 'Sign up' : 'Log in'}
        </button>
        <button type="button" disabled={busy} onClick={() => void run(auth.demo)}>
          Try the demo workspace
        </button>
        <p className="muted">
          {mode === 'signup' ? (
            <>
              Have an account? <Link to="/login">Log in</Link>
            </>
          ) : (
            <>
              New here? <Link to="/signup">Create an account</Link>
            </>
          )}
        </p>
      </form>
    </main>
  );
}
