import { useState } from 'react';
import { CONNECTOR_NODES } from '../../../shared/connectors.ts';
import { isDestinationKind, type NodeKind } from '../../../shared/flow-graph.ts';
import { NEW_SOURCE_PRESET, SOURCE_PRESET, type DestinationSummary, type EventType, type SourceSummary } from './flow-api.ts';
import { humanize, KIND_HINT, KIND_LABEL } from './graph.ts';

export const DRAG_TYPE = 'application/wirehub-node';
export type PaletteItem = { kind: NodeKind; label: string; hint: string; testid: string; preset?: string; icon?: string };

/** Makes its source when dropped, so the URL is there before anything else is set up. */
export const INCOMING_WEBHOOK: PaletteItem = {
  kind: 'trigger',
  label: 'Incoming webhook',
  hint: 'A new URL: every request sent to it (a form, a shop, any app) starts the flow',
  testid: 'palette-incoming-webhook',
  preset: NEW_SOURCE_PRESET,
};

/** Everything that can go on the canvas, in three groups. */
export function paletteItems(
  eventTypes: EventType[],
  destinations: DestinationSummary[],
  sources: SourceSummary[] = [],
): { title: string; items: PaletteItem[] }[] {
  const kinds = (ks: Exclude<NodeKind, 'trigger'>[]) => ks.map((kind) => ({ kind, label: KIND_LABEL[kind], hint: KIND_HINT[kind], testid: `palette-${kind}` }));
  return [
    {
      title: 'Triggers',
      // A new URL to send to first, then the user's own sources: the event catalogue folds after a few.
      items: [
        INCOMING_WEBHOOK,
        ...sources.map((s) => ({
          kind: 'trigger' as const,
          label: `Requests to ${s.name}`,
          hint: `Every request sent to ${s.url}`,
          testid: `palette-source-${s.id}`,
          preset: `${SOURCE_PRESET}${s.id}`,
        })),
        ...eventTypes.map((t) => ({
          kind: 'trigger' as const,
          label: humanize(t.name),
          hint: t.description ?? t.name,
          testid: `palette-trigger-${t.name}`,
          preset: t.name,
        })),
      ],
    },
    { title: 'Steps', items: kinds(['filter', 'transform', 'map', 'delay', 'dedupe']) },
    {
      title: 'Destinations',
      items: [
        // Each connector's node, as its manifest names it (connectors/catalogue.ts).
        ...CONNECTOR_NODES.map((n) => ({ kind: n.kind, label: n.label, hint: n.hint, testid: `palette-${n.kind}`, icon: n.icon })),
        ...destinations.map((d) => ({
          kind: 'destination' as const,
          label: `Send to ${d.name}`,
          // A test receiver (MOCK_API) is made on the Destinations page; here it is any existing destination, named for what it is for.
          hint: d.type === 'MOCK_API' ? 'Test receiver (try without an endpoint): Wirehub records what it receives' : `Your existing ${d.type} destination`,
          testid: `palette-destination-${d.id}`,
          preset: d.id,
        })),
      ],
    },
  ];
}

const SEARCH_FROM = 12;
/** Triggers shown before "all events": the catalogue is long, and steps and destinations must stay in sight. */
const FIRST_TRIGGERS = 5;

/** Drag an item onto the canvas, or press it to add it beside the others. */
export function Palette({
  eventTypes,
  destinations,
  sources = [],
  collapsed,
  onCollapse,
  onAdd,
}: {
  eventTypes: EventType[];
  destinations: DestinationSummary[];
  sources?: SourceSummary[];
  collapsed: boolean;
  onCollapse: (c: boolean) => void;
  onAdd: (item: PaletteItem) => void;
}) {
  const [query, setQuery] = useState('');
  const [allTriggers, setAllTriggers] = useState(false);
  const groups = paletteItems(eventTypes, destinations, sources);
  const total = groups.reduce((n, g) => n + g.items.length, 0);
  const q = query.trim().toLowerCase();
  if (collapsed) {
    return (
      <div className="flow-palette collapsed" data-testid="palette">
        <button className="flow-strip" onClick={() => onCollapse(false)} data-testid="palette-expand" aria-label="Open the palette" title="Open the palette">
          + Add
        </button>
      </div>
    );
  }
  return (
    <div className="flow-palette" data-testid="palette">
      <div className="row flow-palette-head">
        <strong>Add to the flow</strong>
        <button onClick={() => onCollapse(true)} data-testid="palette-collapse" aria-label="Collapse the palette" title="Collapse the palette">
          ‹
        </button>
      </div>
      <p className="flow-field-hint">Drag onto the canvas, then connect the dots from left to right.</p>
      {total >= SEARCH_FROM && (
        <input
          type="search"
          placeholder="Search…"
          aria-label="Search the palette"
          data-testid="palette-search"
          value={query}
          onChange={(e) => setQuery(e.target.value)}
        />
      )}
      {groups.map((g) => {
        const matching = q ? g.items.filter((i) => `${i.label} ${i.hint} ${i.preset ?? ''}`.toLowerCase().includes(q)) : g.items;
        if (!matching.length) return null;
        const first = FIRST_TRIGGERS + sources.length + 1;
        const folded = g.title === 'Triggers' && !q && !allTriggers && matching.length > first + 1;
        const items = folded ? matching.slice(0, first) : matching;
        return (
          <section key={g.title}>
            <h4>{g.title}</h4>
            {items.map((item) => (
              <button
                key={item.testid}
                className={`flow-palette-item flow-${item.kind}${isDestinationKind(item.kind) ? ' flow-dest' : ''}`}
                draggable
                data-testid={item.testid}
                onDragStart={(e) => {
                  e.dataTransfer.setData(DRAG_TYPE, JSON.stringify({ kind: item.kind, preset: item.preset }));
                  e.dataTransfer.effectAllowed = 'move';
                }}
                onClick={() => onAdd(item)}
                title={`${item.hint}. Drag onto the canvas, or press to add.`}
              >
                <span className="flow-palette-label">
                  {item.icon && (
                    <span className="flow-palette-icon" aria-hidden="true">
                      {item.icon}
                    </span>
                  )}
                  {item.label}
                </span>
                <span className="flow-palette-hint">{item.hint}</span>
              </button>
            ))}
            {folded && (
              <button className="link" data-testid="palette-more-triggers" onClick={() => setAllTriggers(true)}>
                All {matching.length - sources.length - 1} events…
              </button>
            )}
          </section>
        );
      })}
      {q && groups.every((g) => !g.items.some((i) => `${i.label} ${i.hint} ${i.preset ?? ''}`.toLowerCase().includes(q))) && (
        <p className="muted">Nothing matches “{query}”.</p>
      )}
    </div>
  );
}
