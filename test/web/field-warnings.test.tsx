// @vitest-environment happy-dom
// Issue 14, trap 1: a field a filter or dedupe step names that its trigger's sample does not have
// is said before saving with every panel closed: on the node, in amber (not the red of an error),
// and in the toolbar's line ("1 warning: the sample has no field body.tpye"). It never blocks the
// save: a sample may simply lack an optional field.
import { cleanup, render, screen } from '@testing-library/react';
import { ReactFlowProvider, type NodeProps } from '@xyflow/react';
import { afterEach, describe, expect, it } from 'vitest';
import type { NodeKind } from '../../shared/flow-graph.ts';
import { CanvasContext } from '../../web/src/flow/canvas-context.ts';
import type { SourceSample, SourceSummary } from '../../web/src/flow/flow-api.ts';
import { FlowNodeView } from '../../web/src/flow/FlowNodeView.tsx';
import type { CanvasNode } from '../../web/src/flow/graph.ts';
import { flowFieldWarnings } from '../../web/src/flow/panel-env.ts';
import { warningsByNode, warningSummary } from '../../web/src/flow/step-fields.ts';

const eventTypes = [{ name: 'lead.captured', group: 'chat', description: '', sample: { name: 'Jane', email: 'jane@example.com', address: { city: 'Lyon' } } }];
const sources: SourceSummary[] = [{ id: 'src_form', name: 'form', type: 'WEBHOOK', url: 'http://127.0.0.1:3000/e/src_form' }];
const last: SourceSample = {
  sample: { headers: {}, body: { type: 'lead', email: 'sam@example.com' }, query: {}, path: '/' },
  request_id: 'req_1',
  received_at: '2026-11-23T15:00:00.000Z',
};
const node = (id: string, kind: NodeKind, data: Record<string, unknown>): CanvasNode => ({ id, type: kind, position: { x: 0, y: 0 }, data });
const edge = (source: string, target: string) => ({ id: `${source}-${target}`, source, target });
const filter = (id: string, ...fields: string[]) => node(id, 'filter', { conditions: fields.map((field) => ({ field, op: 'exists' })), mode: 'all' });

afterEach(cleanup);

describe('fields a step names that the sample lacks', () => {
  const requestFlow = (f: CanvasNode, u: CanvasNode) => ({
    nodes: [node('t1', 'trigger', { sourceId: 'src_form' }), f, u, node('w1', 'webhook', { url: 'https://example.com/in', signing: 'hmac' })],
    edges: [edge('t1', f.id), edge(f.id, u.id), edge(u.id, 'w1')],
  });

  it('after an incoming webhook: body.<field> and bare names read the request body; only the missing ones are said', () => {
    const g = requestFlow(
      filter('f1', 'body.type', 'type', 'body.tpye'),
      node('u1', 'dedupe', { window_ms: 60_000, include_fields: ['body.email', 'body.emial'] }),
    );
    const warnings = flowFieldWarnings(g.nodes, g.edges, eventTypes, sources, { src_form: last });
    expect(warnings).toEqual([
      { nodeId: 'f1', field: 'body.tpye' },
      { nodeId: 'u1', field: 'body.emial' },
    ]);
    expect(warningSummary(warnings)).toBe('2 warnings: the sample has no field body.tpye (and 1 more)');
    expect(warningSummary(warnings.slice(0, 1))).toBe('1 warning: the sample has no field body.tpye');
    // No request yet (or not loaded): nothing to compare with, nothing said.
    expect(flowFieldWarnings(g.nodes, g.edges, eventTypes, sources, { src_form: null })).toEqual([]);
    expect(flowFieldWarnings(g.nodes, g.edges, eventTypes, sources, {})).toEqual([]);
  });

  it('after an event trigger: data.<field> and bare names read the event data; a step no trigger reaches says nothing', () => {
    const t = node('t1', 'trigger', { eventType: 'lead.captured' });
    const f = filter('f1', 'data.email', 'address.city', 'data.emial');
    const u = node('u1', 'dedupe', { window_ms: 60_000, exclude_fields: ['data.address'] });
    const loose = filter('f2', 'data.nothing');
    const warnings = flowFieldWarnings([t, f, u, loose], [edge('t1', 'f1'), edge('f1', 'u1')], eventTypes, sources, {});
    expect(warnings).toEqual([{ nodeId: 'f1', field: 'data.emial' }]);
    expect(warningsByNode(warnings)).toEqual(new Map([['f1', ['data.emial']]]));
  });

  it('shows the warning on the node in amber, not as an error', () => {
    const props = {
      id: 'filter_1',
      type: 'filter',
      data: { conditions: [{ field: 'body.tpye', op: 'eq', value: 'lead' }], mode: 'all' },
      selected: false,
      dragging: false,
      zIndex: 0,
      isConnectable: true,
      positionAbsoluteX: 0,
      positionAbsoluteY: 0,
      draggable: true,
      selectable: true,
      deletable: true,
    } as unknown as NodeProps<CanvasNode>;
    render(
      <ReactFlowProvider>
        <CanvasContext.Provider value={{ problems: new Map(), warnings: new Map([['filter_1', ['body.tpye']]]), test: null, stats: null, destinations: [] }}>
          <FlowNodeView {...props} />
        </CanvasContext.Provider>
      </ReactFlowProvider>,
    );
    const el = screen.getByTestId('node-filter_1');
    expect(el.className).toContain('warned');
    expect(el.className).not.toContain('invalid');
    expect(screen.getByTestId('warning-filter_1').textContent).toBe('⚠ The sample has no field “body.tpye”');
    expect(screen.queryByTestId('problems-filter_1')).toBeNull();
  });
});
