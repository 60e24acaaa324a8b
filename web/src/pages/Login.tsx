import { useEffect, useRef, useState, type FormEvent } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { api } from '../api.ts';
import { useAuth } from '../auth.tsx';
import { ErrorBox } from '../ui/ErrorBox.tsx';
import { useLoad } from '../ui/useLoad.ts';
import { useSubmit } from '../ui/useSubmit.ts';

type Providers = {
  password: boolean;
  demo: boolean;
  google: { enabled: boolean; client_id: string | null };
  email: { enabled: boolean; verification: boolean; password_reset: boolean };
};

/** Where to go after signing in: a page of this portal named by ?next= (an invite link), else the dashboard. */
export function nextPath(params: URLSearchParams): string {
  const next = params.get('next');
  return next?.startsWith('/') && !next.startsWith('//') ? next : '/dashboard';
}

export function Login({ mode }: { mode: 'login' | 'signup' }) {
  const auth = useAuth();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const next = nextPath(params);
  const keepNext = params.has('next') ? `?next=${encodeURIComponent(next)}` : '';
  const providers = useLoad(() => api<Providers>('GET', '/auth/providers'));
  const [form, setForm] = useState({ name: '', email: '', password: '', workspace: '' });
  const { busy, error, run } = useSubmit();
  const set = (k: keyof typeof form) => (e: { target: { value: string } }) => setForm({ ...form, [k]: e.target.value });

  const submit = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => {
      await (mode === 'signup'
        ? auth.signup({ ...form, workspace: form.workspace || `${form.name || 'My'} workspace` })
        : auth.login(form.email, form.password));
      navigate(next);
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
          <input
            name="password"
            type="password"
            value={form.password}
            onChange={set('password')}
            required
            minLength={mode === 'signup' ? 10 : 1}
            autoComplete={mode === 'signup' ? 'new-password' : 'current-password'}
          />
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
        {mode === 'login' && providers.data?.email?.password_reset && (
          <p className="muted">
            <Link to="/reset-password">Forgot your password?</Link>
          </p>
        )}
        {providers.data?.google.enabled && providers.data.google.client_id && (
          <GoogleButton
            clientId={providers.data.google.client_id}
            onCredential={(credential) => void run(async () => (await auth.google(credential), navigate(next)))}
          />
        )}
        {providers.data?.demo !== false && (
          <button type="button" disabled={busy} onClick={() => void run(async () => (await auth.demo(), navigate(next)))}>
            Try the demo workspace
          </button>
        )}
        <p className="muted">
          {mode === 'signup' ? (
            <>
              Have an account? <Link to={`/login${keepNext}`}>Log in</Link>
            </>
          ) : (
            <>
              New here? <Link to={`/signup${keepNext}`}>Create an account</Link>
            </>
          )}
        </p>
      </form>
    </main>
  );
}

type GoogleIdentityServices = {
  accounts: {
    id: {
      initialize(options: { client_id: string; callback: (response: { credential: string }) => void }): void;
      renderButton(parent: HTMLElement, options: Record<string, string | number>): void;
    };
  };
};
const GIS_SRC = 'https://accounts.google.com/gsi/client';

/** Google's own "Sign in with Google" button (Google Identity Services), which hands back an ID token. */
function GoogleButton({ clientId, onCredential }: { clientId: string; onCredential: (credential: string) => void }) {
  const box = useRef<HTMLDivElement>(null);
  const callback = useRef(onCredential);
  callback.current = onCredential;
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    const render = () => {
      const gis = (window as unknown as { google?: GoogleIdentityServices }).google;
      if (!gis || !box.current) return;
      gis.accounts.id.initialize({ client_id: clientId, callback: (r) => callback.current(r.credential) });
      gis.accounts.id.renderButton(box.current, { theme: 'outline', size: 'large', text: 'signin_with', width: 320 });
    };
    let script = document.querySelector<HTMLScriptElement>(`script[src="${GIS_SRC}"]`);
    if (!script) {
      script = document.createElement('script');
      script.src = GIS_SRC;
      script.async = true;
      document.head.appendChild(script);
    }
    const failedToLoad = () => setFailed(true);
    script.addEventListener('load', render);
    script.addEventListener('error', failedToLoad);
    render();
    return () => {
      script.removeEventListener('load', render);
      script.removeEventListener('error', failedToLoad);
    };
  }, [clientId]);
  return (
    <div className="google-signin" data-testid="google-signin">
      <div ref={box} />
      {failed && <p className="muted">Google sign-in could not be loaded; check your connection or use your password.</p>}
    </div>
  );
}
