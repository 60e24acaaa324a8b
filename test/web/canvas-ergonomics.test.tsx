// @vitest-environment happy-dom
// Issue 14, items 6–8, piece by piece: which problems are "not connected yet" (soft) and which are
// errors (red), where "+" puts the next step, the node's soft state and its "+" menu, errors as
// sentences in the ErrorBox, the "Saved." toast, and the guard on leaving with unsaved changes.
import { act, cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { ReactFlowProvider, type NodeProps } from '@xyflow/react';
import { useState } from 'react';
import { createMemoryRouter, Link, RouterProvider } from 'react-router';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { NodeKind } from '../../shared/flow-graph.ts';
import { ApiError } from '../../web/src/api.ts';
import { CanvasContext, type CanvasInfo } from '../../web/src/flow/canvas-context.ts';
import { FlowNodeView } from '../../web/src/flow/FlowNodeView.tsx';
import { check, defaultData, nextPosition, splitProblems, type CanvasNode } from '../../web/src/flow/graph.ts';
import { useLeaveGuard } from '../../web/src/flow/LeaveGuard.tsx';
import { ErrorBox } from '../../web/src/ui/ErrorBox.tsx';
import { Toast } from '../../web/src/ui/Toast.tsx';

afterEach(cleanup);

const node = (id: string, kind: NodeKind, data: Record<string, unknown>, x = 0, y = 0): CanvasNode => ({ id, type: kind, position: { x, y }, data });

describe('soft "not connected yet" before a save attempt, red after', () => {
  it('keeps a fresh trigger and webhook soft, turns them red once the user tried to save', () => {
    const nodes = [node('trigger_1', 'trigger', { eventType: 'lead.captured' }), node('webhook_1', 'webhook', defaultData('webhook'))];
    const problems = check(nodes, []);
    expect(problems.length).toBeGreaterThan(0);
    const soft = splitProblems(problems, nodes, false);
    expect(soft.errors).toEqual([]);
    expect(soft.pending.get('trigger_1')).toMatchObject({ unconnected: true });
    // The webhook lacks both its connection and its URL: still "not connected yet".
    expect(soft.pending.get('webhook_1')).toMatchObject({ unconnected: true });
    expect(soft.pending.get('webhook_1')?.messages.join(' ')).toMatch(/URL/);
    const tried = splitProblems(problems, nodes, true);
    expect(tried.errors).toEqual(problems);
    expect(tried.pending.size).toBe(0);
  });

  it("shows a real error (a URL that is not http) in red at once, with the node's pending problems", () => {
    const nodes = [node('trigger_1', 'trigger', { eventType: 'lead.captured' }), node('webhook_1', 'webhook', { url: 'ftp://example.com', signing: 'hmac' })];
    const { errors, pending } = splitProblems(check(nodes, [{ id: 'e1', source: 'trigger_1', target: 'webhook_1' }]), nodes, false);
    expect(errors.map((e) => e.nodeId)).toContain('webhook_1');
    expect(errors.some((e) => /http/.test(e.message))).toBe(true);
    expect(pending.has('webhook_1')).toBe(false);
  });

  it('flags nothing on a finished flow', () => {
    const nodes = [
      node('trigger_1', 'trigger', { eventType: 'lead.captured' }),
      node('webhook_1', 'webhook', { url: 'https://hooks.example.com/x', signing: 'hmac' }),
    ];
    const { errors, pending } = splitProblems(check(nodes, [{ id: 'e1', source: 'trigger_1', target: 'webhook_1' }]), nodes, false);
    expect(errors).toEqual([]);
    expect(pending.size).toBe(0);
  });
});

describe('"+": where the next step goes', () => {
  it('goes right of the node at its height, below any node already there', () => {
    const from = node('trigger_1', 'trigger', {}, 100, 50);
    expect(nextPosition(from, [from], 200)).toEqual({ x: 400, y: 50 });
    const taken = node('map_1', 'map', {}, 400, 60);
    expect(nextPosition(from, [from, taken], 200)).toEqual({ x: 400, y: 180 });
  });
});

function NodeOnCanvas({ info, data, kind = 'trigger' }: { info: Partial<CanvasInfo>; data: Record<string, unknown>; kind?: NodeKind }) {
  const props = {
    id: 'trigger_1',
    type: kind,
    data,
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
  return (
    <ReactFlowProvider>
      <CanvasContext.Provider value={{ problems: new Map(), test: null, stats: null, destinations: [], ...info }}>
        <FlowNodeView {...props} />
      </CanvasContext.Provider>
    </ReactFlowProvider>
  );
}

describe('the node on the canvas', () => {
  it('reads "Not connected yet" in a soft, dashed style, not red', () => {
    render(
      <NodeOnCanvas
        info={{ pending: new Map([['trigger_1', { unconnected: true, messages: ['this trigger leads to no destination: connect it to one'] }]]) }}
        data={{ eventType: 'lead.captured' }}
      />,
    );
    const el = screen.getByTestId('node-trigger_1');
    expect(el.className).toContain('pending');
    expect(el.className).not.toContain('invalid');
    expect(screen.getByTestId('pending-trigger_1').textContent).toBe('Not connected yet');
    expect(screen.queryByTestId('problems-trigger_1')).toBeNull();
  });

  it('is red with its problems listed when they are errors', () => {
    render(
      <NodeOnCanvas
        info={{ problems: new Map([['trigger_1', ['choose an event']]]), pending: new Map([['trigger_1', { unconnected: true, messages: ['x'] }]]) }}
        data={{ eventType: '' }}
      />,
    );
    expect(screen.getByTestId('node-trigger_1').className).toContain('invalid');
    expect(screen.queryByTestId('pending-trigger_1')).toBeNull();
    expect(screen.getByTestId('problems-trigger_1').textContent).toContain('choose an event');
  });

  it('offers the next step\'s kinds behind "+", and adds the one chosen', () => {
    const onAddNext = vi.fn();
    render(<NodeOnCanvas info={{ onAddNext }} data={{ eventType: 'lead.captured' }} />);
    expect(screen.queryByTestId('add-next-menu-trigger_1')).toBeNull();
    fireEvent.click(screen.getByTestId('add-next-trigger_1'));
    const menu = screen.getByTestId('add-next-menu-trigger_1');
    const kinds = [...menu.querySelectorAll('[role="menuitem"]')].map((b) => b.textContent);
    expect(kinds).toEqual(['Filter', 'Map fields', 'Transform', 'Delay', 'Deduplicate', 'Webhook', 'Google Sheet', 'CRM', 'Zapier', 'Slack']);
    fireEvent.click(screen.getByTestId('add-next-trigger_1-map'));
    expect(onAddNext).toHaveBeenCalledWith('trigger_1', 'map');
    expect(screen.queryByTestId('add-next-menu-trigger_1')).toBeNull();
    // Escape closes it without adding anything.
    fireEvent.click(screen.getByTestId('add-next-trigger_1'));
    fireEvent.keyDown(document, { key: 'Escape' });
    expect(screen.queryByTestId('add-next-menu-trigger_1')).toBeNull();
    expect(onAddNext).toHaveBeenCalledTimes(1);
  });

  it('has no "+" on a destination: nothing follows it', () => {
    render(<NodeOnCanvas info={{ onAddNext: vi.fn() }} kind="webhook" data={{ url: 'https://x.example', signing: 'hmac' }} />);
    expect(screen.queryByTestId('add-next-trigger_1')).toBeNull();
  });
});

describe('messages people read', () => {
  it("words a validation error's details as sentences, not paths", () => {
    const err = new ApiError(400, 'VALIDATION_ERROR', 'The name is missing. The URL is not a valid web address (URL).', [
      { path: 'body.name', message: 'Invalid input: expected string, received undefined' },
      { path: 'body.config.url', message: 'Invalid URL' },
    ]);
    render(<ErrorBox error={err} />);
    const box = screen.getByRole('alert');
    expect(box.textContent).toBe('The name is missing. The URL is not a valid web address (URL).');
    expect(box.textContent).not.toContain('body.');
  });

  it('lists details the message does not already say, as sentences', () => {
    const err = new ApiError(422, 'INVALID_FLOW', 'The flow cannot be saved.', [{ path: 'nodes.webhook_1.data.url', message: 'use an http(s) URL' }]);
    render(<ErrorBox error={err} />);
    const item = screen.getByRole('listitem');
    expect(item.textContent).toBe('The URL: use an http(s) URL.');
    expect(item.getAttribute('title')).toBe('nodes.webhook_1.data.url');
  });

  it("says a flow's problems with their sentences, naming the step, not the path", () => {
    const details = [
      { path: 'nodes.s1.data.columns.1', node_id: 's1', message: 'a column needs a name', sentence: 'The Google Sheet step “Leads”: column 2 needs a name.' },
      { path: 'nodes.w1.data.url', node_id: 'w1', message: 'enter the URL to deliver to', sentence: 'The webhook step: enter the URL to deliver to.' },
      { path: 'nodes.x1.data.expression', node_id: 'x1', message: 'invalid expression', sentence: 'The transform step: invalid expression.' },
      { path: 'edges.e1', message: 'connects a node to itself', sentence: 'The connection from the map step to the map step: connects a node to itself.' },
    ];
    const err = new ApiError(
      422,
      'INVALID_FLOW',
      `This flow cannot be saved. ${details
        .slice(0, 3)
        .map((d) => d.sentence)
        .join(' ')} (1 more problem.)`,
      details,
    );
    render(<ErrorBox error={err} />);
    const items = screen.getAllByRole('listitem');
    expect(items.map((i) => i.textContent)).toEqual(details.map((d) => d.sentence));
    expect(items[0].getAttribute('title')).toBe('nodes.s1.data.columns.1');
    expect(screen.getByRole('alert').textContent).not.toContain('nodes.');
  });

  it('shows "Saved." in a toast that leaves by itself', () => {
    vi.useFakeTimers();
    try {
      const done = vi.fn();
      render(<Toast message="Saved." onDone={done} ms={1000} />);
      expect(screen.getByRole('status').textContent).toBe('Saved.');
      act(() => void vi.advanceTimersByTime(1000));
      expect(done).toHaveBeenCalledTimes(1);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('leaving with unsaved changes', () => {
  function Editor({ save }: { save: () => Promise<boolean> }) {
    const [dirty, setDirty] = useState(true);
    const guard = useLeaveGuard(dirty, save);
    return (
      <div>
        <button onClick={() => setDirty(false)}>mark saved</button>
        <Link to="/events">Events log</Link>
        {guard.dialog}
      </div>
    );
  }
  const app = (save: () => Promise<boolean>) => {
    const router = createMemoryRouter(
      [
        { path: '/flows/1', element: <Editor save={save} /> },
        { path: '/events', element: <p>the events log</p> },
      ],
      { initialEntries: ['/flows/1'] },
    );
    render(<RouterProvider router={router} />);
    return router;
  };

  it('asks before a link leaves; Stay stays, Leave without saving goes', async () => {
    const router = app(async () => true);
    fireEvent.click(screen.getByText('Events log'));
    await screen.findByTestId('leave-dialog');
    expect(router.state.location.pathname).toBe('/flows/1');
    fireEvent.click(screen.getByTestId('leave-stay'));
    await waitFor(() => expect(screen.queryByTestId('leave-dialog')).toBeNull());
    expect(router.state.location.pathname).toBe('/flows/1');
    fireEvent.click(screen.getByText('Events log'));
    fireEvent.click(await screen.findByTestId('leave-discard'));
    await screen.findByText('the events log');
  });

  it('saves, then leaves, on "Save and leave"; stays when the save fails', async () => {
    const save = vi.fn<() => Promise<boolean>>().mockResolvedValueOnce(false).mockResolvedValueOnce(true);
    const router = app(save);
    fireEvent.click(screen.getByText('Events log'));
    fireEvent.click(await screen.findByTestId('leave-save'));
    await waitFor(() => expect(screen.queryByTestId('leave-dialog')).toBeNull());
    expect(router.state.location.pathname).toBe('/flows/1');
    fireEvent.click(screen.getByText('Events log'));
    fireEvent.click(await screen.findByTestId('leave-save'));
    await screen.findByText('the events log');
    expect(save).toHaveBeenCalledTimes(2);
  });

  it('lets a link through when nothing is unsaved, and warns on closing the tab only while something is', async () => {
    app(async () => true);
    const unload = new Event('beforeunload', { cancelable: true });
    window.dispatchEvent(unload);
    expect(unload.defaultPrevented).toBe(true);
    fireEvent.click(screen.getByText('mark saved'));
    const again = new Event('beforeunload', { cancelable: true });
    window.dispatchEvent(again);
    expect(again.defaultPrevented).toBe(false);
    fireEvent.click(screen.getByText('Events log'));
    await screen.findByText('the events log');
  });
});
