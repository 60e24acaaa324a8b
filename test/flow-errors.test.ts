// Issue 14, item 7: a flow the hub refuses says so in sentences that name the step in words
// ("The Google Sheet step “Leads”: column 2 needs a name."), not `nodes.s1.data.columns.1: …`;
// each detail keeps its machine path (and the node's id) so the portal can still mark the node.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newWorkspace, startTestHub, type TestHub } from './support/hub.ts';

const V = '/api/v1';
const at = (col: number) => ({ x: col * 300, y: 0 });
const node = (id: string, kind: string, data: object, col = 0) => ({ id, kind, position: at(col), data });
const chain = (...ids: string[]) => ids.slice(1).map((id, i) => ({ id: `e_${ids[i]}_${id}`, source: ids[i], target: id }));
const lead = (id = 't1') => node(id, 'trigger', { eventType: 'lead.captured' });

describe('a refused flow reads as sentences naming its steps', () => {
  let hub: TestHub;
  let key: string;
  const save = (graph: object) => hub.api('post', `${V}/flows`, key).send({ name: 'Leads', graph });

  beforeAll(async () => {
    hub = await startTestHub();
    key = (await newWorkspace(hub)).key;
  });
  afterAll(async () => {
    await hub?.close();
  });

  it('a sheet column with no name: "The Google Sheet step “Leads”: column 2 needs a name."', async () => {
    const res = await save({
      nodes: [lead(), node('s1', 'sheets', { spreadsheetId: '1BxiMVs0XRA5nFMdKvBdBZjgmUUqptlbs74OgvE2upms', sheetName: 'Leads', columns: ['Name', ' '] }, 1)],
      edges: chain('t1', 's1'),
    });
    expect(res.status, res.text).toBe(422);
    expect(res.body.error).toEqual({
      code: 'INVALID_FLOW',
      message: 'This flow cannot be saved. The Google Sheet step “Leads”: column 2 needs a name.',
      details: [
        { path: 'nodes.s1.data.columns.1', node_id: 's1', message: 'a column needs a name', sentence: 'The Google Sheet step “Leads”: column 2 needs a name.' },
      ],
    });
  });

  it('a filter on the headers of an incoming webhook names the condition, not a field path first', async () => {
    const src = await hub.api('post', `${V}/sources`, key).send({ name: 'shop-orders' });
    expect(src.status, src.text).toBe(201);
    const res = await save({
      nodes: [
        node('t1', 'trigger', { sourceId: src.body.id }),
        node(
          'f1',
          'filter',
          {
            conditions: [
              { field: 'body.kind', op: 'eq', value: 'lead' },
              { field: 'headers.x-shop', op: 'eq', value: 'acme' },
            ],
            mode: 'all',
          },
          1,
        ),
        node('w1', 'webhook', { url: 'https://example.com/in', signing: 'hmac' }, 2),
      ],
      edges: chain('t1', 'f1', 'w1'),
    });
    expect(res.status, res.text).toBe(422);
    const sentence =
      "The filter step: condition 2 reads “headers.x-shop”, but a filter on an incoming webhook reads only the request's body (such as body.type), not its headers, query or path.";
    expect(res.body.error.message).toBe(`This flow cannot be saved. ${sentence}`);
    expect(res.body.error.details).toEqual([
      { path: 'nodes.f1.data.conditions.1.field', node_id: 'f1', message: expect.stringMatching(/^condition 2 reads/), sentence },
    ]);
  });

  it('a webhook without a URL, empty or left out, and two webhooks told apart by their id', async () => {
    const empty = await save({ nodes: [lead(), node('w1', 'webhook', { url: '', signing: 'hmac' }, 1)], edges: chain('t1', 'w1') });
    expect(empty.status, empty.text).toBe(422);
    expect(empty.body.error.message).toBe('This flow cannot be saved. The webhook step: enter the URL to deliver to.');
    expect(empty.body.error.details).toEqual([
      { path: 'nodes.w1.data.url', node_id: 'w1', message: 'enter the URL to deliver to', sentence: 'The webhook step: enter the URL to deliver to.' },
    ]);

    const missing = await save({
      nodes: [lead(), node('w1', 'webhook', { signing: 'hmac' }, 1), node('w2', 'webhook', { signing: 'hmac' }, 1)],
      edges: [...chain('t1', 'w1'), ...chain('t1', 'w2')],
    });
    expect(missing.status, missing.text).toBe(422);
    expect(missing.body.error.details.map((d: { path: string; sentence: string }) => [d.path, d.sentence])).toEqual([
      ['nodes.w1.data.url', 'The webhook step “w1”: the URL is missing.'],
      ['nodes.w2.data.url', 'The webhook step “w2”: the URL is missing.'],
    ]);
    expect(missing.body.error.message).not.toMatch(/nodes\./);
  });

  it('JSONata that does not compile, in a transform step and in a map step, on save and on test', async () => {
    const transform = await save({
      nodes: [lead(), node('x1', 'transform', { expression: '$merge([$, {' }, 1), node('w1', 'webhook', { url: 'https://example.com/in', signing: 'hmac' }, 2)],
      edges: chain('t1', 'x1', 'w1'),
    });
    expect(transform.status, transform.text).toBe(422);
    expect(transform.body.error.message).toMatch(/^This flow cannot be saved\. The transform step: .+\.$/);
    expect(transform.body.error.details).toEqual([
      { path: 'nodes.x1.data.expression', node_id: 'x1', message: expect.any(String), sentence: expect.stringMatching(/^The transform step: /) },
    ]);

    const graph = {
      nodes: [
        lead(),
        node(
          'm1',
          'map',
          {
            mappings: [
              { to: 'email', from: 'data.email' },
              { to: 'x', expression: '$$$(' },
            ],
            envelope: 'flat',
          },
          1,
        ),
        node('w1', 'webhook', { url: 'https://hooks.example.com/in', signing: 'hmac' }, 2),
      ],
      edges: chain('t1', 'm1', 'w1'),
    };
    const map = await save(graph);
    expect(map.status, map.text).toBe(422);
    expect(map.body.error.message).toMatch(/^This flow cannot be saved\. The map step: mapping 2 \("x"\)/);
    expect(map.body.error.details).toEqual([
      {
        path: 'nodes.m1.data.mappings.1.expression',
        node_id: 'm1',
        message: expect.stringMatching(/^mapping 2/),
        sentence: expect.stringMatching(/^The map step: mapping 2 \("x"\)/),
      },
    ]);

    const tested = await hub.api('post', `${V}/flows/test`, key).send({ graph });
    expect(tested.status, tested.text).toBe(422);
    expect(tested.body.error.message).toMatch(/^This flow cannot be tested\. The map step: /);
    expect(tested.body.error.details).toMatchObject([{ path: 'nodes.m1.data.mappings.1.expression', node_id: 'm1' }]);
  });

  it('an unknown event type and an unconnected destination name the trigger and the step', async () => {
    const res = await save({
      nodes: [node('t1', 'trigger', { eventType: 'lead.vanished' }), node('w1', 'webhook', { url: 'https://crm.example.com/in', signing: 'hmac' }, 1)],
      edges: chain('t1', 'w1'),
    });
    expect(res.status, res.text).toBe(422);
    expect(res.body.error.message).toBe('This flow cannot be saved. The trigger “lead.vanished”: unknown event type "lead.vanished".');

    const dangling = await save({ nodes: [lead(), node('w1', 'webhook', { url: 'https://crm.example.com/in', signing: 'hmac' }, 1)], edges: [] });
    expect(dangling.status, dangling.text).toBe(422);
    expect(dangling.body.error.details.map((d: { sentence: string }) => d.sentence)).toEqual([
      'The trigger “lead.captured”: this trigger leads to no destination: connect it to one.',
      'The webhook step “crm.example.com”: no trigger leads to this destination: connect one.',
    ]);
  });
});
