import { NavLink } from 'react-router';
import { ConnectionsTab } from './gateway/ConnectionsTab.tsx';
import { DestinationsTab } from './gateway/DestinationsTab.tsx';
import { SourcesTab } from './gateway/SourcesTab.tsx';
import type { Tab } from './gateway/types.ts';

const TABS: { tab: Tab; label: string; intro: string }[] = [
  { tab: 'sources', label: 'Sources', intro: 'Where events come in: each source has its own URL that other apps send webhooks to.' },
  { tab: 'destinations', label: 'Destinations', intro: 'Where events go out: a URL, a Google Sheet, a CRM or a Zapier hook.' },
  { tab: 'connections', label: 'Connections', intro: 'Which source feeds which destination, and the rules (filter, retry, field mapping) on the way.' },
];

/** /sources, /destinations, /connections: the gateway's objects, one tab per route. */
export function Gateway({ tab }: { tab: Tab }) {
  const current = TABS.find((t) => t.tab === tab) ?? TABS[0];
  return (
    <section>
      <h1>Sources, destinations and connections</h1>
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
