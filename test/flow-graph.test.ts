import { describe, expect, it } from 'vitest';
import { compileFilter } from '../server/gateway/rules.ts';
import { filterCondition, FlowGraph, planDestinations, validateGraph } from '../shared/flow-graph.ts';
import { dedupeData, dedupeRule } from '../server/flows/flow-objects.ts';

const at = { x: 0, y: 0 };
const trigger = (id: string, eventType = 'lead.captured') => ({ id, kind: 'trigger', position: at, data: { eventType } });
const map = (id: string, mappings: unknown[] = [{ to: 'email', from: 'data.email' }]) => ({
  id,
  kind: 'map',
  position: at,
  data: { mappings, envelope: 'flat' },
});
const filter = (id: string, conditions: unknown[], mode = 'all') => ({ id, kind: 'filter', position: at, data: { conditions, mode } });
const hook = (id: string, url = 'https://example.com/in') => ({ id, kind: 'webhook', position: at, data: { url, signing: 'hmac' } });
const edge = (source: string, target: string) => ({ id: `${source}-${target}`, source, target });
const paths = (graph: unknown) => validateGraph(graph).map((p) => p.path);

describe('the flow graph', () => {
  it('accepts trigger → map → webhook and plans one webhook from it', () => {
    const graph = { nodes: [trigger('t1'), map('m1'), hook('w1')], edges: [edge('t1', 'm1'), edge('m1', 'w1')] };
    expect(validateGraph(graph)).toEqual([]);
    const [plan] = planDestinations(FlowGraph.parse(graph));
    expect(plan).toMatchObject({
      events: ['lead.captured'],
      mapNodeId: 'm1',
      filters: [],
      map: { mappings: [{ to: 'email', from: 'data.email' }], envelope: 'flat' },
    });
  });

  it('merges the event types of every trigger upstream of a destination', () => {
    const graph = { nodes: [trigger('t1'), trigger('t2', 'escalation.created'), hook('w1')], edges: [edge('t1', 'w1'), edge('t2', 'w1')] };
    expect(validateGraph(graph)).toEqual([]);
    expect(planDestinations(FlowGraph.parse(graph))[0].events.sort()).toEqual(['escalation.created', 'lead.captured']);
  });

  it('names a trigger that leads nowhere and a destination with no trigger', () => {
    expect(paths({ nodes: [trigger('t1'), hook('w1')], edges: [] })).toEqual(['nodes.t1', 'nodes.w1']);
  });

  it('names every node of a cycle', () => {
    const graph = {
      nodes: [trigger('t1'), map('a'), filter('b', [{ field: 'x', op: 'exists' }]), hook('w1')],
      edges: [edge('t1', 'a'), edge('a', 'b'), edge('b', 'a'), edge('b', 'w1')],
    };
    expect(paths(graph).sort()).toEqual(['nodes.a', 'nodes.b']);
  });

  it('refuses two map steps on one path', () => {
    const graph = { nodes: [trigger('t1'), map('m1'), map('m2'), hook('w1')], edges: [edge('t1', 'm1'), edge('m1', 'm2'), edge('m2', 'w1')] };
    expect(paths(graph)).toEqual(['nodes.m2']);
  });

  it('refuses different steps on two paths into one destination', () => {
    const graph = {
      nodes: [trigger('t1'), trigger('t2', 'escalation.created'), map('m1'), hook('w1')],
      edges: [edge('t1', 'm1'), edge('m1', 'w1'), edge('t2', 'w1')],
    };
    expect(paths(graph)).toEqual(['nodes.w1']);
  });

  it('names an empty URL, an envelope key in a mapping, an unknown kind and a dangling edge', () => {
    const graph = {
      nodes: [trigger('t1'), map('m1', [{ to: 'eventId', from: 'data.id' }]), hook('w1', ''), { id: 'x1', kind: 'email', position: at, data: {} }],
      edges: [edge('t1', 'm1'), edge('m1', 'w1'), edge('m1', 'ghost')],
    };
    const problems = validateGraph(graph);
    expect(problems.map((p) => p.path)).toEqual(['nodes.m1.data.mappings.0.to', 'nodes.w1.data.url', 'nodes.x1.kind', 'edges.m1-ghost']);
    expect(problems[0].message).toContain('envelope');
    expect(problems[1].message).toBe('enter the URL to deliver to');
  });

  it('refuses edges into a trigger or out of a destination', () => {
    const graph = { nodes: [trigger('t1'), hook('w1'), hook('w2')], edges: [edge('t1', 'w1'), edge('w1', 'w2')] };
    expect(paths(graph)).toEqual(['edges.w1-w2', 'nodes.w2']);
  });

  it('turns filter steps into a rule condition on the event data', () => {
    const cond = filterCondition([
      {
        mode: 'all',
        conditions: [
          { field: 'intent', op: 'eq', value: 'request_quote' },
          { field: 'email', op: 'contains', value: '@acme.' },
        ],
      },
      {
        mode: 'any',
        conditions: [
          { field: 'score', op: 'gt', value: '5' },
          { field: 'vip', op: 'exists' },
        ],
      },
    ]);
    const test = compileFilter({ body: { eventType: { $in: ['lead.captured'] }, ...cond } });
    const req = (data: object) => ({ body: { eventType: 'lead.captured', data }, headers: {}, query: {}, path: '/' });
    expect(test(req({ intent: 'request_quote', email: 'j@ACME.com', score: 9 }))).toBe(true);
    expect(test(req({ intent: 'request_quote', email: 'j@acme.com', vip: true }))).toBe(true);
    expect(test(req({ intent: 'request_quote', email: 'j@acme.com', score: 2 }))).toBe(false);
    expect(test(req({ intent: 'other', email: 'j@acme.com', score: 9 }))).toBe(false);
    expect(test(req({ intent: 'request_quote', email: 'j@other.com', score: 9 }))).toBe(false);
    expect(filterCondition([])).toBeNull();
  });

  it('compares numbers typed as text', () => {
    const cond = filterCondition([
      {
        mode: 'all',
        conditions: [
          { field: 'count', op: 'eq', value: '3' },
          { field: 'n', op: 'neq', value: 'x' },
        ],
      },
    ]);
    const test = compileFilter({ body: cond ?? {} });
    expect(test({ body: { data: { count: 3, n: 'y' } }, headers: {}, query: {}, path: '/' })).toBe(true);
    expect(test({ body: { data: { count: '3', n: 'x' } }, headers: {}, query: {}, path: '/' })).toBe(false);
  });
});

describe('what flow steps become', () => {
  const sheet = (columns: string[]) => ({
    id: 's1',
    kind: 'sheets',
    position: at,
    data: { spreadsheetId: '1BxiMVs0XRA5nFMdKvBdBZjgmUUqptlbs74OgvE2upms', columns },
  });

  it('names each sheet column the map step leaves empty; envelope keys and a map step mapping nothing need no mapping', () => {
    const graph = (mappings: unknown[]) => ({
      nodes: [trigger('t1'), map('m1', mappings), sheet(['Name', 'Email', 'eventId'])],
      edges: [edge('t1', 'm1'), edge('m1', 's1')],
    });
    expect(validateGraph(graph([{ to: 'Name', from: 'data.name' }]))).toEqual([
      { path: 'nodes.s1.data.columns.1', message: 'column "Email" has no mapping: map a field to it in the map step', nodeId: 's1' },
    ]);
    expect(
      validateGraph(
        graph([
          { to: 'Name', from: 'data.name' },
          { to: 'Email', from: 'data.email' },
        ]),
      ),
    ).toEqual([]);
    expect(validateGraph(graph([]))).toEqual([]);
  });

  it("compares a dedupe node's fields under body.data, and reads them back", () => {
    const cases = [{ window_ms: 5000 }, { window_ms: 5000, include_fields: ['email', 'address.city'] }, { window_ms: 5000, exclude_fields: ['note'] }];
    expect(cases.map(dedupeRule)).toEqual([
      { type: 'deduplicate', window: 5000, include_fields: ['body.data'] },
      { type: 'deduplicate', window: 5000, include_fields: ['body.data.email', 'body.data.address.city'] },
      {
        type: 'deduplicate',
        window: 5000,
        exclude_fields: ['body.eventType', 'body.eventId', 'body.eventTimestamp', 'body.customerId', 'body.chatbotId', 'body.conversationId', 'body.data.note'],
      },
    ]);
    // Read back, the fields are named as the map step names them (data.<field>); either spelling makes the same rule.
    for (const c of cases) {
      const back = dedupeData(dedupeRule(c) as never);
      expect(back).toEqual({
        ...c,
        ...(c.include_fields ? { include_fields: c.include_fields.map((f) => `data.${f}`) } : {}),
        ...(c.exclude_fields ? { exclude_fields: c.exclude_fields.map((f) => `data.${f}`) } : {}),
      });
      expect(dedupeRule(back!)).toEqual(dedupeRule(c));
    }
    // A rule made by hand that compares headers has no dedupe node to show it.
    expect(dedupeData({ type: 'deduplicate', window: 5000, include_fields: ['headers.x-id'] })).toBeNull();
  });
});
