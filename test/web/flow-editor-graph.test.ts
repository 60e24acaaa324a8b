// The editor's graph helpers: canvas ⇄ stored graph for every node kind, problems by node, the
// kind's schema errors per field, durations in units, the fields a destination takes.
import { describe, expect, it } from 'vitest';
import { FLOW_NODE_DATA, FlowGraph, NODE_KINDS, validateGraph, type FlowGraphT, type NodeKind } from '../../shared/flow-graph.ts';
import { destinationTargets } from '../../web/src/flow/panel-env.ts';
import { paletteItems } from '../../web/src/flow/Palette.tsx';
import { summary } from '../../web/src/flow/FlowNodeView.tsx';
import {
  defaultData,
  downstreamDestinations,
  fieldErrors,
  fromGraph,
  fromUnit,
  problemsByNode,
  toGraph,
  toUnit,
  upstreamEvents,
  type CanvasNode,
} from '../../web/src/flow/graph.ts';

/** A valid data of each kind, as a user would leave it after filling the panel. */
const FILLED: Record<NodeKind, Record<string, unknown>> = {
  trigger: { eventType: 'lead.captured' },
  filter: {
    conditions: [
      { field: 'email', op: 'exists' },
      { field: 'intent', op: 'eq', value: 'request_quote' },
    ],
    mode: 'any',
  },
  transform: { expression: '{ "fullName": name, "email": $lowercase(email) }' },
  map: {
    mappings: [
      { to: 'name', from: 'data.name' },
      { to: 'email', expression: '$lowercase(data.email)' },
      { to: 'source', value: 'chatbot' },
    ],
    envelope: 'nested',
  },
  delay: { delay_ms: 300_000 },
  dedupe: { window_ms: 120_000, include_fields: ['email'] },
  webhook: {
    url: 'https://hooks.example.com/crm',
    signing: 'shared-secret',
    webhookId: 'web_1',
    connectionId: 'web_1',
    destinationId: 'des_1',
    authorizationHint: 'Tok…en',
  },
  sheets: {
    spreadsheetId: 'https://docs.google.com/spreadsheets/d/1AbCdEfGhIjKlMnOp/edit',
    sheetName: 'Leads',
    columns: ['name', 'email', 'phone'],
    credentialId: 'cred_x',
    connectionId: 'web_2',
    destinationId: 'des_2',
  },
  crm: { preset: 'generic', url: 'https://crm.example.com/contacts' },
  zapier: { url: 'https://hooks.zapier.com/hooks/catch/1/abc/' },
  slack: { url: 'https://hooks.slack.com/services/T0001/B0001/abcdefghijklmnopqrstuvwx', title: 'New lead' },
  destination: { destinationId: 'des_3', connectionId: 'web_3' },
};

const node = (id: string, kind: NodeKind, data: Record<string, unknown>): CanvasNode => ({ id, type: kind, position: { x: 0, y: 0 }, data });

describe('graph.ts: the canvas and the stored graph', () => {
  it('round-trips a node of every kind and its edges, positions rounded, data untouched', () => {
    const graph: FlowGraphT = {
      nodes: NODE_KINDS.map((kind, i) => ({ id: `${kind}_1`, kind, position: { x: i * 200, y: i * 10 }, data: FILLED[kind] })) as FlowGraphT['nodes'],
      edges: [{ id: 'e1', source: 'trigger_1', target: 'filter_1' }],
    };
    expect(FlowGraph.safeParse(graph).success).toBe(true);
    const canvas = fromGraph(graph);
    expect(canvas.nodes.map((n) => n.type)).toEqual([...NODE_KINDS]);
    expect(canvas.edges[0]).toMatchObject({ id: 'e1', source: 'trigger_1', target: 'filter_1', type: 'counted' });
    expect(toGraph(canvas.nodes, canvas.edges)).toEqual(graph);
    // Dragging leaves fractions; the stored graph has whole pixels.
    const moved = canvas.nodes.map((n) => ({ ...n, position: { x: n.position.x + 0.4, y: n.position.y - 0.4 } }));
    expect(toGraph(moved, canvas.edges)).toEqual(graph);
  });

  it("every kind's filled data parses with its schema, and its default data is what the panel starts from", () => {
    for (const kind of NODE_KINDS) {
      expect(FLOW_NODE_DATA[kind].safeParse(FILLED[kind]).success, kind).toBe(true);
      expect(fieldErrors(kind, FILLED[kind]), kind).toEqual({});
    }
    // Defaults that need the user's input say which field is missing, in the schema's words.
    expect(fieldErrors('webhook', defaultData('webhook')).url).toBe('enter the URL to deliver to');
    expect(fieldErrors('sheets', defaultData('sheets'))).toMatchObject({
      spreadsheetId: "paste the spreadsheet's URL or ID",
      columns: "add the sheet's columns",
    });
    expect(fieldErrors('trigger', defaultData('trigger')).eventType).toBe('choose an event type');
    expect(fieldErrors('crm', { preset: 'generic', url: 'crm.example.com' }).url).toBe('enter the CRM endpoint URL');
    expect(fieldErrors('dedupe', { window_ms: 60_000, include_fields: ['a'], exclude_fields: ['b'] }).exclude_fields).toMatch(/not both/);
    expect(fieldErrors('delay', { delay_ms: 90_000_000 }).delay_ms).toBe('at most 24 hours');
    expect(defaultData('trigger', 'lead.captured')).toEqual({ eventType: 'lead.captured' });
    expect(defaultData('destination', 'des_9')).toEqual({ destinationId: 'des_9' });
    for (const kind of ['filter', 'map', 'delay', 'dedupe'] as const)
      expect(fieldErrors(kind, defaultData(kind)), kind).toEqual(
        kind === 'filter' ? { 'conditions.0.field': 'name a field, such as data.email (or body.email after an incoming webhook)' } : {},
      );
  });

  it('groups problems by node and by edge, from validateGraph, a 422 and a loaded flow', () => {
    const { nodes, edges } = fromGraph({
      nodes: [
        { id: 'webhook_1', kind: 'webhook', position: { x: 0, y: 0 }, data: { url: 'https://x.example.com', signing: 'hmac' } },
        { id: 'trigger_1', kind: 'trigger', position: { x: 0, y: 0 }, data: { eventType: 'lead.captured' } },
      ],
      edges: [{ id: 'e_back', source: 'webhook_1', target: 'trigger_1' }],
    });
    const problems = validateGraph(toGraph(nodes, edges));
    const byNode = problemsByNode(problems);
    expect(byNode.get('webhook_1')).toContain('no trigger leads to this destination: connect one');
    expect(byNode.get('trigger_1')).toContain('this trigger leads to no destination: connect it to one');
    expect(byNode.get('e_back')?.join(' ')).toMatch(/nothing can lead into it/);
    // A 422's details and GET /flows/:id `problems` have paths only.
    const server = problemsByNode([
      { path: 'nodes.webhook_1.data.url', message: 'the URL is refused' },
      { path: 'nodes.webhook_1', message: 'its connection was deleted' },
      { path: 'edges.e_back', message: 'edge problem' },
      { path: 'name', message: 'not a node' },
    ]);
    expect(Object.fromEntries(server)).toEqual({ webhook_1: ['the URL is refused', 'its connection was deleted'], e_back: ['edge problem'] });
  });

  it('finds what is upstream and downstream of a node', () => {
    const { nodes, edges } = fromGraph({
      nodes: [
        { id: 't1', kind: 'trigger', position: { x: 0, y: 0 }, data: { eventType: 'lead.captured' } },
        { id: 't2', kind: 'trigger', position: { x: 0, y: 0 }, data: { eventType: 'conversation.ended' } },
        { id: 'm', kind: 'map', position: { x: 0, y: 0 }, data: { mappings: [], envelope: 'flat' } },
        { id: 's', kind: 'sheets', position: { x: 0, y: 0 }, data: FILLED.sheets },
        { id: 'w', kind: 'webhook', position: { x: 0, y: 0 }, data: FILLED.webhook },
      ] as FlowGraphT['nodes'],
      edges: [
        { id: 'a', source: 't1', target: 'm' },
        { id: 'b', source: 't2', target: 'm' },
        { id: 'c', source: 'm', target: 's' },
        { id: 'd', source: 't1', target: 'w' },
      ],
    });
    expect(upstreamEvents('s', nodes, edges).sort()).toEqual(['conversation.ended', 'lead.captured']);
    expect(
      downstreamDestinations('t1', nodes, edges)
        .map((n: CanvasNode) => n.id)
        .sort(),
    ).toEqual(['s', 'w']);
    expect(downstreamDestinations('m', nodes, edges).map((n: CanvasNode) => n.id)).toEqual(['s']);
  });

  it('shows durations in the largest unit that divides them', () => {
    expect(toUnit(90_000)).toEqual({ amount: 90, unit: 'seconds' });
    expect(toUnit(120_000)).toEqual({ amount: 2, unit: 'minutes' });
    expect(toUnit(7_200_000)).toEqual({ amount: 2, unit: 'hours' });
    expect(toUnit(0)).toEqual({ amount: 0, unit: 'seconds' });
    expect(fromUnit(1.5, 'minutes')).toBe(90_000);
  });

  it("lists the destination fields a map step fills: sheet columns (the envelope's own need none), CRM preset fields", () => {
    const sheet = node('s', 'sheets', { ...FILLED.sheets, columns: ['name', 'email', 'eventId'] });
    expect(destinationTargets(sheet, 'flat')?.map((f) => [f.name, f.required])).toEqual([
      ['name', true],
      ['email', true],
      ['eventId', false],
    ]);
    expect(destinationTargets(sheet, 'nested')?.find((f) => f.name === 'eventId')?.required).toBe(true);
    const hubspot = node('c', 'crm', { preset: 'hubspot' });
    expect(destinationTargets(hubspot, 'flat')?.find((f) => f.name === 'email')).toMatchObject({ required: true });
    const webhook = node('w', 'webhook', FILLED.webhook);
    expect(destinationTargets(webhook, 'flat')).toBeNull();
  });

  it('puts every event type, step, destination kind and existing destination in the palette, and says what each node does', () => {
    const groups = paletteItems(
      [{ name: 'lead.captured', group: 'chat', description: 'A chatbot collected a lead.', sample: {} }],
      [{ id: 'des_1', name: 'Ops CRM', type: 'crm-relay', disabled_at: null, warning: null }],
    );
    expect(groups.map((g) => g.title)).toEqual(['Triggers', 'Steps', 'Destinations']);
    // "Incoming webhook" comes first: it makes its source on the spot (issue 14, item 4).
    expect(groups[0].items[0]).toMatchObject({ kind: 'trigger', label: 'Incoming webhook', testid: 'palette-incoming-webhook', preset: 'source:new' });
    expect(groups[0].items[1]).toMatchObject({ kind: 'trigger', label: 'Lead captured', testid: 'palette-trigger-lead.captured', preset: 'lead.captured' });
    expect(groups[1].items.map((i) => i.label)).toEqual(['Filter', 'Transform', 'Map fields', 'Delay', 'Deduplicate']);
    expect(groups[2].items.map((i) => i.label)).toEqual(['Webhook', 'Google Sheet', 'CRM', 'Zapier', 'Slack', 'Send to Ops CRM']);
    for (const g of groups) for (const i of g.items) expect(i.hint.length, i.label).toBeGreaterThan(5);

    expect(summary('delay', { delay_ms: 300_000 })).toBe('wait 5 minutes');
    expect(summary('dedupe', { window_ms: 1000, exclude_fields: ['lead_id'] })).toBe('repeats within 1 second, ignoring lead_id');
    expect(summary('sheets', FILLED.sheets)).toBe('Leads, 3 columns');
    expect(summary('destination', { destinationId: 'des_1' }, [{ id: 'des_1', name: 'Ops CRM', type: 'crm-relay', disabled_at: null, warning: null }])).toBe(
      'Send to Ops CRM',
    );
    expect(summary('trigger', FILLED.trigger)).toBe('Lead captured (lead.captured)');
  });
});
