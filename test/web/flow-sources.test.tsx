// @vitest-environment happy-dom
// Flows that start from an inbound source, in the editor: the palette lists the workspace's
// sources as triggers, the trigger panel hands out the ingest URL, and the steps after it read the
// source's last request (map paths under `body`).
import { cleanup, fireEvent, render, screen, within } from '@testing-library/react';
import { useState, type ComponentType } from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FLOW_NODE_DATA, validateGraph, type NodeKind } from '../../shared/flow-graph.ts';
import type { SourceSample, SourceSummary } from '../../web/src/flow/flow-api.ts';
import { summary } from '../../web/src/flow/FlowNodeView.tsx';
import { defaultData, toGraph, type CanvasNode } from '../../web/src/flow/graph.ts';
import { PANELS } from '../../web/src/flow/NodePanel.tsx';
import { Palette, type PaletteItem } from '../../web/src/flow/Palette.tsx';
import { panelEnv } from '../../web/src/flow/panel-env.ts';
import type { PanelEnv, PanelProps } from '../../web/src/flow/panels/common.tsx';

const eventTypes = [
  'lead.captured',
  'escalation.created',
  'conversation.started',
  'conversation.ended',
  'message.rated',
  'contact.created',
  'contact.updated',
].map((name) => ({ name, group: 'chat', description: `When ${name}`, sample: { name: 'Jane' } }));
const sources: SourceSummary[] = [
  { id: 'src_shop', name: 'shop', type: 'WEBHOOK', url: 'http://127.0.0.1:3000/e/src_shop' },
  { id: 'src_stripe', name: 'stripe', type: 'STRIPE', url: 'http://127.0.0.1:3000/e/src_stripe' },
];
const last: SourceSample = {
  sample: {
    headers: { 'content-type': 'application/json' },
    body: { email: 'big@example.com', amount: 150, customer: { country: 'FR' } },
    query: {},
    path: '/',
  },
  request_id: 'req_1',
  received_at: '2026-11-23T15:00:00.000Z',
};
const node = (id: string, kind: NodeKind, data: Record<string, unknown>): CanvasNode => ({ id, type: kind, position: { x: 0, y: 0 }, data });
const edge = (source: string, target: string) => ({ id: `${source}-${target}`, source, target });

function envFor(selected: CanvasNode, nodes: CanvasNode[], edges: ReturnType<typeof edge>[], samples: Record<string, SourceSample | null>): PanelEnv {
  return panelEnv({
    node: selected,
    nodes,
    edges,
    eventTypes,
    destinations: [],
    credentials: [],
    sources,
    sourceSamples: samples,
    test: null,
    preview: async () => undefined,
    testConnection: async () => ({ ok: true, message: '', warnings: [] }),
  });
}

function mount(kind: NodeKind, initial: Record<string, unknown>, env: PanelEnv) {
  const Panel = PANELS[kind] as ComponentType<PanelProps>;
  let latest = initial;
  function Holder() {
    const [data, setData] = useState(initial);
    return <Panel id="n1" data={data} env={env} onChange={(next) => ((latest = next), setData(next))} />;
  }
  render(<Holder />);
  return { data: () => latest };
}

afterEach(cleanup);

describe('flows from inbound sources in the editor', () => {
  it('lists each source under Triggers as "Requests to <name>" before the folded event catalogue, and adds a source trigger', () => {
    const onAdd = vi.fn<(item: PaletteItem) => void>();
    render(<Palette eventTypes={eventTypes} destinations={[]} sources={sources} collapsed={false} onCollapse={() => {}} onAdd={onAdd} />);
    const triggers = screen.getByText('Triggers').closest('section') as HTMLElement;
    const ids = within(triggers)
      .getAllByRole('button')
      .map((b) => b.dataset.testid);
    // "Incoming webhook" (a new source, made when dropped) comes first (issue 14, item 4).
    expect(ids.slice(0, 3)).toEqual(['palette-incoming-webhook', 'palette-source-src_shop', 'palette-source-src_stripe']);
    // Sources do not push events behind the fold: still five events, then "All 7 events".
    expect(ids.filter((id) => id?.startsWith('palette-trigger-'))).toHaveLength(5);
    expect(screen.getByTestId('palette-more-triggers').textContent).toBe('All 7 events…');
    expect(screen.getByTestId('palette-source-src_shop').textContent).toBe('Requests to shopEvery request sent to http://127.0.0.1:3000/e/src_shop');

    fireEvent.click(screen.getByTestId('palette-source-src_stripe'));
    const item = onAdd.mock.calls[0][0];
    const data = defaultData('trigger', item.preset);
    expect(data).toEqual({ sourceId: 'src_stripe' });
    expect(FLOW_NODE_DATA.trigger.parse(data)).toEqual({ sourceId: 'src_stripe' });
    expect(summary('trigger', data, [], sources)).toBe('Requests to stripe');
    // Event triggers keep their presets.
    expect(defaultData('trigger', 'lead.captured')).toEqual({ eventType: 'lead.captured' });
  });

  it("trigger panel: shows the source's ingest URL with a copy button and its last request, and switches source", () => {
    const t = node('t1', 'trigger', { sourceId: 'src_shop' });
    const p = mount('trigger', t.data, envFor(t, [t], [], { src_shop: last }));
    expect(screen.getByTestId('trigger-source-url').textContent).toBe('http://127.0.0.1:3000/e/src_shop');
    expect(screen.getByTestId('copy-source-url')).toBeTruthy();
    expect(screen.getByTestId('trigger-sample').textContent).toContain('big@example.com');
    fireEvent.change(screen.getByTestId('trigger-source'), { target: { value: 'src_stripe' } });
    expect(p.data()).toEqual({ sourceId: 'src_stripe' });
    cleanup();

    mount('trigger', t.data, envFor(t, [t], [], { src_shop: null }));
    expect(screen.getByTestId('trigger-no-request').textContent).toContain('No request yet');
    cleanup();
    mount('trigger', { sourceId: '' }, envFor(t, [t], [], {}));
    expect(screen.getByTestId('error-trigger-source').textContent).toBe('choose a source');
  });

  it('filter and map panels read the last request: body fields for conditions, body.<field> paths for mappings, no envelope', () => {
    const t = node('t1', 'trigger', { sourceId: 'src_shop' });
    const f = node('f1', 'filter', defaultData('filter'));
    const m = node('m1', 'map', defaultData('map'));
    const w = node('w1', 'webhook', { url: 'https://example.com/orders', signing: 'hmac' });
    const nodes = [t, f, m, w];
    const edges = [edge('t1', 'f1'), edge('f1', 'm1'), edge('m1', 'w1')];

    const filterEnv = envFor(f, nodes, edges, { src_shop: last });
    expect(filterEnv).toMatchObject({ samplePrefix: 'body', sampleFrom: 'the last request to “shop”', sample: last.sample.body });
    mount('filter', f.data, filterEnv);
    // The request's fields as the trigger, the map step and the Test output name them (issue 14, trap 1).
    expect([...(document.querySelector('datalist') as HTMLDataListElement).querySelectorAll('option')].map((o) => o.value)).toEqual([
      'body.email',
      'body.amount',
      'body.customer.country',
    ]);
    cleanup();
    mount(
      'filter',
      {
        conditions: [
          { field: 'body.amount', op: 'gt', value: '' },
          { field: 'amount', op: 'gt', value: '' },
          { field: 'body.total', op: 'gt', value: '' },
        ],
        mode: 'all',
      },
      filterEnv,
    );
    expect(screen.queryByTestId('condition-0-unknown')).toBeNull();
    expect(screen.queryByTestId('condition-1-unknown')).toBeNull();
    expect(screen.getByTestId('condition-2-unknown').textContent).toBe('The sample has no field “body.total”.');
    expect((screen.getByTestId('condition-0-value') as HTMLInputElement).placeholder).toBe('150');
    cleanup();

    const map = mount('map', m.data, envFor(m, nodes, edges, { src_shop: last }));
    expect(screen.queryByTestId('map-envelope')).toBeNull();
    expect(screen.getByTestId('map-request-note')).toBeTruthy();
    fireEvent.click(within(screen.getByLabelText('Sample fields')).getByRole('button', { name: 'email' }));
    expect(map.data().mappings).toEqual([{ to: 'email', from: 'body.email' }]);
    cleanup();

    // No request yet: the steps say where to send one.
    mount('map', m.data, envFor(m, nodes, edges, { src_shop: null }));
    expect(screen.getByTestId('sample-none').textContent).toContain('http://127.0.0.1:3000/e/src_shop');

    const graph = toGraph(
      [t, f, { ...m, data: map.data() }, w].map((n) =>
        n.id === 'f1' ? { ...n, data: { conditions: [{ field: 'amount', op: 'gt', value: 100 }], mode: 'all' } } : n,
      ),
      edges,
    );
    expect(validateGraph(graph)).toEqual([]);
    // One destination fed by a source and an event type is named before saving.
    const mixed = toGraph(
      [
        ...graph.nodes.map((n) => ({ id: n.id, type: n.kind, position: n.position, data: n.data as Record<string, unknown> })),
        node('t2', 'trigger', { eventType: 'lead.captured' }),
      ],
      [...edges, edge('t2', 'w1')],
    );
    expect(validateGraph(mixed).map((p) => p.path)).toEqual(['nodes.w1']);
  });

  it('a sheet fed by a source needs every column mapped: no envelope fills eventId', () => {
    const t = node('t1', 'trigger', { sourceId: 'src_shop' });
    const m = node('m1', 'map', { mappings: [{ to: 'Email', from: 'body.email' }], envelope: 'flat' });
    const s = node('s1', 'sheets', { spreadsheetId: '1AbCdEfGhIjKlMnOp', sheetName: 'Orders', columns: ['Email', 'eventId'] });
    const edges = [edge('t1', 'm1'), edge('m1', 's1')];
    expect(envFor(m, [t, m, s], edges, { src_shop: last }).targets?.map((f) => [f.name, f.required])).toEqual([
      ['Email', true],
      ['eventId', true],
    ]);
    expect(validateGraph(toGraph([t, m, s], edges))).toEqual([expect.objectContaining({ path: 'nodes.s1.data.columns.1' })]);
    // From an event type, the envelope fills eventId.
    const e = node('t1', 'trigger', { eventType: 'lead.captured' });
    expect(validateGraph(toGraph([e, m, s], edges))).toEqual([]);
  });
});
