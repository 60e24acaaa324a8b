import { NavLink } from 'react-router';
import { ConnectionsTab } from './gateway/ConnectionsTab.tsx';
import { DestinationsTab } from './gateway/DestinationsTab.tsx';
import { SourcesTab } from './gateway/SourcesTab.tsx';
import type { Tab } from './gateway/types.ts';

const TABS: { tab: Tab; label: string; intro: string }[] = [
  {
    tab: 'sources',
    label: 'Sources',
    intro: 'Where events come in: each source has its own URL (an incoming webhook) that other apps send to. A flow triggered by an incoming webhook uses one.',
  },
  {
    tab: 'destinations',
    label: 'Destinations',
    intro: 'Where events go out: a URL, a Google Sheet, a CRM, a Zapier hook, or a test receiver that just records what it gets.',
  },
  {
    tab: 'connections',
    label: 'Connections',
    intro:
      'A connection is a route from one source to one destination, with what happens on the way (its rules: filter, retry, field mapping). Each step of a flow that delivers somewhere is a connection underneath.',
  },
];

/** /sources, /destinations, /connections: the gateway's objects, one tab per route. */
export function Gateway({ tab }: { tab: Tab }) {
  const current = TABS.find((t) => t.tab === tab) ?? TABS[0];
  return (
    <section>
      <h1>Sources, destinations and connections</h1>
      <p className="muted">The building blocks under your flows and webhooks: what you draw in a flow is saved as these, and each one says where it is used.</p>
      <nav className="tabs" aria-label="Gateway objects">
        {TABS.map((t) => (
          <NavLink key={t.tab} to={`/${t.tab}`} data-testid={`tab-${t.tab}`}>
            {t.label}
          </NavLink>
        ))}
      </nav>
      <p className="muted">{current.intro}</p>
      {tab === 'sources' && <SourcesTab />}
      {tab === 'destinations' && <DestinationsTab />}
      {tab === 'connections' && <ConnectionsTab />}
    </section>
  );
}
