import { Link, useNavigate, useParams } from 'react-router';
import { api } from '../api.ts';
import { useAuth } from '../auth.tsx';
import { ErrorBox } from '../ui/ErrorBox.tsx';
import { useLoad } from '../ui/useLoad.ts';
import { useSubmit } from '../ui/useSubmit.ts';
import { when } from './gateway/parts.tsx';

type InvitePreview = { team: { id: string; name: string }; invited_by: { name: string } | null; email: string; role: string; expires_at: string };

/**
 * Where an invite link lands. It says which team it is for and from whom; a visitor without a
 * session logs in or signs up first and is brought back here to accept.
 */
export function Invite() {
  const { token = '' } = useParams();
  const { profile, loading, switchTeam, logout } = useAuth();
  const navigate = useNavigate();
  const invite = useLoad(() => api<InvitePreview>('GET', `/invites/${encodeURIComponent(token)}`), [token]);
  const { busy, error, run } = useSubmit();
  const back = `?next=${encodeURIComponent(`/invite/${token}`)}`;
  const data = invite.data;
  const otherAddress = profile && data && profile.user.email.toLowerCase() !== data.email.toLowerCase();

  const accept = () =>
    run(async () => {
      const out = await api<{ team: { id: string } }>('POST', `/invites/${encodeURIComponent(token)}/accept`);
      await switchTeam(out.team.id);
      navigate('/team');
    });

  return (
    <main className="auth">
      <h1>Wirehub</h1>
      <div className="card" data-testid="invite">
        <h2>Team invite</h2>
        <ErrorBox error={invite.error} />
        {(invite.loading || loading) && !invite.error && <p className="loading">Loading…</p>}
        {data && !loading && (
          <>
            <p>
              {data.invited_by ? <strong>{data.invited_by.name}</strong> : 'Someone'} invited <strong>{data.email}</strong> to join{' '}
              <strong data-testid="invite-team">{data.team.name}</strong> as {data.role === 'admin' ? 'an admin' : `a ${data.role}`}.
            </p>
            <p className="muted">The link works once and expires {when(data.expires_at)}.</p>
            {!profile && (
              <>
                <p>Log in, or create an account, with {data.email} to accept it.</p>
                <p className="row">
                  <Link to={`/login${back}`}>Log in</Link>
                  <Link to={`/signup${back}`}>Create an account</Link>
                </p>
              </>
            )}
            {profile && otherAddress && (
              <p className="warn" data-testid="invite-other-address">
                You are signed in as {profile.user.email}; this invite is for {data.email}.{' '}
                <button type="button" className="small" onClick={() => void logout().then(() => navigate(`/login${back}`))}>
                  Log in as {data.email}
                </button>
              </p>
            )}
            <ErrorBox error={error} />
            {profile && (
              <button type="button" className="primary" data-testid="invite-accept" disabled={busy} onClick={() => void accept()}>
                {busy ? 'Joining…' : `Join ${data.team.name}`}
              </button>
            )}
          </>
        )}
        {invite.error !== null && (
          <p className="muted">
            <Link to="/">Go to Wirehub</Link>
          </p>
        )}
      </div>
    </main>
  );
}
