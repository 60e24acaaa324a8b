import { useState } from 'react';
import { NavLink, Outlet, useNavigate } from 'react-router';
import { useAuth } from './auth.tsx';

type Item = { to: string; label: string; hint?: string };

/** What a marketer uses day to day, the dashboard (the first page after sign-in) first. */
const EVERYDAY: Item[] = [
  { to: '/dashboard', label: 'Dashboard', hint: 'What came in, what was delivered or failed, and which destinations fail' },
  { to: '/flows', label: 'Flows', hint: 'Where your leads and events go, drawn step by step' },
  { to: '/webhooks', label: 'Webhooks', hint: 'Every URL Wirehub sends to, including the webhook steps of your flows' },
  { to: '/chatbots', label: 'Chatbots' },
  { to: '/events', label: 'Events log', hint: 'Everything that came in and what became of it' },
];

/** The parts flows are made of, and the keys to the API: kept apart so the everyday list stays short. */
const DEVELOPER: Item[] = [
  { to: '/sources', label: 'Sources', hint: 'The URLs other apps send to (incoming webhooks)' },
  { to: '/destinations', label: 'Destinations', hint: 'Where events are delivered: URLs, sheets, CRMs, test receivers' },
  { to: '/connections', label: 'Connections', hint: 'Routes from a source to a destination, with their filter and mapping' },
  { to: '/transformations', label: 'Transformations', hint: 'JavaScript that reshapes a request before delivery' },
  { to: '/event-types', label: 'Event types', hint: 'The kinds of events your app and chatbots publish' },
  { to: '/api-keys', label: 'API keys' },
  { to: '/secrets', label: 'Project secrets', hint: 'The workspace API key and signing secret' },
];

const ACCOUNT: Item[] = [
  { to: '/settings', label: 'Settings' },
  { to: '/team', label: 'Team' },
];

const OPEN_KEY = 'wirehub.nav.developer';

const links = (items: Item[]) =>
  items.map((i) => (
    <NavLink key={i.to} to={i.to} title={i.hint}>
      {i.label}
    </NavLink>
  ));

export function Layout() {
  const { profile, logout, switchTeam } = useAuth();
  const navigate = useNavigate();
  // Open unless the user folded it away; remembered across visits.
  const [devOpen, setDevOpen] = useState(() => localStorage.getItem(OPEN_KEY) !== 'closed');
  const toggle = () => {
    localStorage.setItem(OPEN_KEY, devOpen ? 'closed' : 'open');
    setDevOpen(!devOpen);
  };
  return (
    <div className="shell">
      <aside>
        <div className="brand">Wirehub</div>
        <nav aria-label="Main">{links(EVERYDAY)}</nav>
        <nav aria-label="Developer" className="nav-group" data-testid="nav-developer">
          <button type="button" className="nav-heading" aria-expanded={devOpen} aria-controls="nav-developer-links" onClick={toggle}>
            <span aria-hidden="true">{devOpen ? '▾' : '▸'}</span> Developer
          </button>
          {devOpen && (
            <div id="nav-developer-links" className="nav-links">
              <p className="nav-note">The building blocks under your flows and webhooks, and API access.</p>
              {links(DEVELOPER)}
            </div>
          )}
        </nav>
        <div className="account" data-testid="nav-account">
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
          <nav aria-label="Account">{links(ACCOUNT)}</nav>
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
