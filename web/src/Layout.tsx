import { NavLink, Outlet, useNavigate } from 'react-router';
import { useAuth } from './auth.tsx';

const NAV: [string, string][] = [
  ['/flows', 'Flows'],
  ['/webhooks', 'Webhooks'],
  ['/chatbots', 'Chatbots'],
  ['/events', 'Events log'],
  ['/sources', 'Sources'],
  ['/destinations', 'Destinations'],
  ['/connections', 'Connections'],
  ['/transformations', 'Transformations'],
  ['/event-types', 'Event types'],
  ['/api-keys', 'API keys'],
  ['/secrets', 'Project secrets'],
  ['/settings', 'Settings'],
  ['/team', 'Team'],
];

export function Layout() {
  const { profile, logout, switchTeam } = useAuth();
  const navigate = useNavigate();
  return (
    <div className="shell">
      <aside>
        <div className="brand">Wirehub</div>
        <nav>
          {NAV.map(([to, label]) => (
            <NavLink key={to} to={to}>
              {label}
            </NavLink>
          ))}
        </nav>
        <div className="account">
          {profile && profile.memberships.length > 0 && (
            <label>
              Workspace
              <select aria-label="Workspace" value={profile.team?.id ?? ''} onChange={(e) => void switchTeam(e.target.value)}>
                {profile.memberships.map((m) => (
                  <option key={m.team_id} value={m.team_id}>
                    {m.team_name}
                  </option>
                ))}
              </select>
            </label>
          )}
          <span className="muted">{profile?.user.email}</span>
          <button onClick={() => void logout().then(() => navigate('/login'))}>Log out</button>
        </div>
      </aside>
      <main className="page">
        <Outlet />
      </main>
    </div>
  );
}
