import { useState } from 'react';
import { useNavigate } from 'react-router';
import { api, session } from '../api.ts';
import { useAuth } from '../auth.tsx';
import { ErrorBox } from '../ui/ErrorBox.tsx';
import { ResourceTable } from '../ui/ResourceTable.tsx';
import { useConfirmRow, useRowAction } from '../ui/rowActions.tsx';
import { useLoad } from '../ui/useLoad.ts';
import { useSubmit } from '../ui/useSubmit.ts';
import { Confirm, CopyButton, when } from './gateway/parts.tsx';

type Role = 'owner' | 'admin' | 'member';
type Member = { user_id: string; email: string; name: string; picture_url: string | null; role: Role; joined_at: string };
type Invite = {
  id: string;
  email: string;
  role: Role;
  expires_at: string;
  created_at: string;
  status: 'pending' | 'expired';
  invited_by: { id: string; name: string | null } | null;
};
type List<T> = { models: T[]; count: number };

const ROLES: [Role, string][] = [
  ['member', 'Member — works with everything in the team'],
  ['admin', 'Admin — also manages members, invites and API keys'],
  ['owner', 'Owner — also makes and removes owners'],
];

/** The active team: its members and their roles, invites by link, its name, and making another team. */
export function Team() {
  const { profile, refresh, switchTeam } = useAuth();
  const navigate = useNavigate();
  const team = profile?.team ?? null;
  const teamId = team?.id ?? '';
  const myRole = (team?.role ?? 'member') as Role;
  const manages = myRole === 'owner' || myRole === 'admin';
  const none = Promise.resolve({ models: [], count: 0 });
  const members = useLoad(() => (teamId ? api<List<Member>>('GET', `/teams/${teamId}/members`) : none), [teamId]);
  const invites = useLoad(() => (teamId && manages ? api<List<Invite>>('GET', `/teams/${teamId}/invites`) : none), [teamId, manages]);
  const rows = useRowAction(members.reload);
  const removing = useConfirmRow<Member>(
    (m) => api('DELETE', `/teams/${teamId}/members/${m.user_id}`),
    (m) => afterRemoving(m),
  );
  const revoking = useConfirmRow<Invite>((inv) => api('DELETE', `/teams/${teamId}/invites/${inv.id}`), invites.reload);
  const [link, setLink] = useState<{ email: string; url: string } | null>(null);

  if (!team || !profile) return <p className="loading">Loading…</p>;
  const me = profile.user.id;
  const owners = members.data?.models.filter((m) => m.role === 'owner').length ?? 0;
  // An admin may not touch owners nor make one; the API says the same, this only spares a refused click.
  const mayChange = (m: Member) => manages && (myRole === 'owner' || m.role !== 'owner');
  const isLastOwner = (m: Member) => m.role === 'owner' && owners <= 1;

  const setRole = (m: Member, role: Role) =>
    rows.run(m.user_id, async () => {
      await api('PATCH', `/teams/${teamId}/members/${m.user_id}`, { role });
      if (m.user_id === me) await refresh();
    });

  const afterRemoving = async (m: Member) => {
    if (m.user_id !== me) return members.reload();
    // Left the team being looked at: carry on in another one.
    const other = profile.memberships.find((t) => t.team_id !== teamId);
    if (other) await switchTeam(other.team_id);
    else {
      session.set(session.token(), null);
      await refresh();
    }
    navigate('/team');
  };

  return (
    <section>
      <header className="row">
        <h1>Team</h1>
        <span className="badge" data-testid="team-role">
          you are {myRole}
        </span>
      </header>
      <p className="muted">
        Everyone in a team works with the same sources, flows, webhooks and logs. Switch teams with the workspace menu; API keys always stay in the team they
        were made in.
      </p>

      <TeamName key={teamId} id={teamId} name={team.name} editable={manages} onSaved={refresh} />

      <h2>Members</h2>
      <ResourceTable
        list={members}
        error={rows.error}
        above={
          removing.row && (
            <Confirm
              verb={removing.row.user_id === me ? 'leave' : 'remove'}
              title={removing.row.user_id === me ? `Leave “${team.name}”?` : `Remove ${removing.row.name} from “${team.name}”?`}
              onCancel={removing.cancel}
              onConfirm={removing.confirm}
            >
              <p>
                {removing.row.user_id === me
                  ? 'You lose access to everything in this team until someone invites you again.'
                  : `${removing.row.email} loses access to everything in this team at once.`}
              </p>
            </Confirm>
          )
        }
        loading="Loading…"
        className="gateway"
        testId="members"
        rowKey={(m) => m.user_id}
        rowAttributes={() => ({ 'data-testid': 'member-row' })}
        columns={[
          {
            head: 'Name',
            cell: (m) => (
              <>
                {m.name}
                {m.user_id === me && <span className="muted"> (you)</span>}
              </>
            ),
          },
          { head: 'E-mail', cell: (m) => m.email },
          {
            head: 'Role',
            cell: (m) =>
              mayChange(m) && !isLastOwner(m) ? (
                <select
                  aria-label={`Role of ${m.name}`}
                  data-testid="member-role"
                  value={m.role}
                  disabled={rows.busy === m.user_id}
                  onChange={(e) => void setRole(m, e.target.value as Role)}
                >
                  {ROLES.filter(([r]) => myRole === 'owner' || r !== 'owner').map(([r]) => (
                    <option key={r} value={r}>
                      {r}
                    </option>
                  ))}
                </select>
              ) : (
                <span title={isLastOwner(m) ? 'The last owner keeps the role until another member becomes an owner.' : undefined}>{m.role}</span>
              ),
          },
          { head: 'Joined', cell: (m) => when(m.joined_at) },
        ]}
        actions={(m) =>
          (m.user_id === me || mayChange(m)) && (
            <button
              className="danger small"
              data-testid="member-remove"
              disabled={isLastOwner(m)}
              title={isLastOwner(m) ? 'Make another member an owner first.' : undefined}
              onClick={() => removing.ask(m)}
            >
              {m.user_id === me ? 'Leave' : 'Remove'}
            </button>
          )
        }
      />

      {manages && (
        <>
          <h2>Invite people</h2>
          {link && (
            <div className="notice" role="status" data-testid="invite-created">
              <strong>Send this link to {link.email}.</strong> It works once, for that address only, for 7 days, and it will not be shown again.
              <div className="row">
                <code data-testid="invite-link">{link.url}</code>
                <CopyButton text={link.url} testId="invite-copy" />
                <button className="small" onClick={() => setLink(null)}>
                  Done
                </button>
              </div>
            </div>
          )}
          <InviteForm
            teamId={teamId}
            canInviteOwners={myRole === 'owner'}
            onSent={async (sent) => {
              setLink(sent);
              await invites.reload();
            }}
          />
          <ResourceTable
            list={invites}
            above={
              revoking.row && (
                <Confirm verb="revoke" title={`Revoke the invite for ${revoking.row.email}?`} onCancel={revoking.cancel} onConfirm={revoking.confirm}>
                  <p>The link stops working at once.</p>
                </Confirm>
              )
            }
            className="gateway"
            testId="invites"
            rowKey={(inv) => inv.id}
            rowAttributes={() => ({ 'data-testid': 'invite-row' })}
            columns={[
              { head: 'E-mail', cell: (inv) => inv.email },
              { head: 'Role', cell: (inv) => inv.role },
              { head: 'Invited by', cell: (inv) => inv.invited_by?.name ?? <span className="muted">someone who left</span> },
              { head: 'Expires', cell: (inv) => (inv.status === 'expired' ? <span className="warn">expired</span> : when(inv.expires_at)) },
            ]}
            actions={(inv) => (
              <button className="danger small" data-testid="invite-revoke" aria-label={`Revoke the invite for ${inv.email}`} onClick={() => revoking.ask(inv)}>
                Revoke
              </button>
            )}
          />
        </>
      )}

      <NewTeam onCreated={async (id) => (await switchTeam(id), navigate('/team'))} />
    </section>
  );
}

function TeamName({ id, name, editable, onSaved }: { id: string; name: string; editable: boolean; onSaved: () => Promise<void> }) {
  const [value, setValue] = useState(name);
  const { busy, error, run } = useSubmit();
  const submit = () =>
    run(async () => {
      await api('PATCH', `/teams/${id}`, { name: value });
      await onSaved();
    });
  if (!editable) return <p data-testid="team-name">{name}</p>;
  return (
    <form className="card" onSubmit={(e) => (e.preventDefault(), void submit())}>
      <label>
        Team name
        <input data-testid="team-name" value={value} onChange={(e) => setValue(e.target.value)} required maxLength={120} />
      </label>
      <ErrorBox error={error} />
      <button type="submit" data-testid="team-rename" disabled={busy || value.trim() === name}>
        {busy ? 'Saving…' : 'Rename'}
      </button>
    </form>
  );
}

function InviteForm({
  teamId,
  canInviteOwners,
  onSent,
}: {
  teamId: string;
  canInviteOwners: boolean;
  onSent: (sent: { email: string; url: string }) => Promise<void>;
}) {
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<Role>('member');
  const { busy, error, run } = useSubmit();
  const submit = () =>
    run(async () => {
      const out = await api<{ email: string; url: string }>('POST', `/teams/${teamId}/invites`, { email, role });
      setEmail('');
      await onSent(out);
    });
  return (
    <form className="card" onSubmit={(e) => (e.preventDefault(), void submit())}>
      <div className="row">
        <label>
          E-mail
          <input
            type="email"
            data-testid="invite-email"
            value={email}
            onChange={(e) => setEmail(e.target.value)}
            required
            placeholder="colleague@example.com"
          />
        </label>
        <label>
          Role
          <select data-testid="invite-role" value={role} onChange={(e) => setRole(e.target.value as Role)}>
            {ROLES.filter(([r]) => canInviteOwners || r !== 'owner').map(([r, label]) => (
              <option key={r} value={r}>
                {label}
              </option>
            ))}
          </select>
        </label>
      </div>
      <ErrorBox error={error} />
      <button type="submit" className="primary" data-testid="invite-send" disabled={busy}>
        {busy ? 'Creating link…' : 'Create invite link'}
      </button>
    </form>
  );
}

function NewTeam({ onCreated }: { onCreated: (id: string) => Promise<unknown> }) {
  const [name, setName] = useState('');
  const { busy, error, run } = useSubmit();
  const submit = () =>
    run(async () => {
      const team = await api<{ id: string }>('POST', '/teams', { name });
      setName('');
      await onCreated(team.id);
    });
  return (
    <form className="card" onSubmit={(e) => (e.preventDefault(), void submit())}>
      <h2>Create another team</h2>
      <p className="muted">A new, empty team that you own — for another company, client or project. You switch to it right away.</p>
      <label>
        Name
        <input data-testid="team-new-name" value={name} onChange={(e) => setName(e.target.value)} required maxLength={120} placeholder="Acme Plumbing" />
      </label>
      <ErrorBox error={error} />
      <button type="submit" data-testid="team-create" disabled={busy}>
        {busy ? 'Creating…' : 'Create team'}
      </button>
    </form>
  );
}
