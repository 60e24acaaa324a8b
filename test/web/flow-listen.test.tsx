// @vitest-environment happy-dom
// A source trigger's panel (issue 14, items 4 and 5): its name, renamed in place, and "Listen for a
// test request" — waiting with the URL and a curl command, a request turned away by verification,
// the request heard, "Use as sample" feeding the filter's field picker, and giving up after 2 minutes.
import { act, cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { useState } from 'react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { NodeKind } from '../../shared/flow-graph.ts';
import type { ListenOut, SourceSample, SourceSummary } from '../../web/src/flow/flow-api.ts';
import { defaultData, type CanvasNode } from '../../web/src/flow/graph.ts';
import { PANELS } from '../../web/src/flow/NodePanel.tsx';
import { panelEnv } from '../../web/src/flow/panel-env.ts';
import { LISTEN_FOR_MS, ListenStore } from '../../web/src/flow/listen-store.ts';

const hook: SourceSummary = { id: 'src_hook', name: 'Incoming webhook 1', type: 'WEBHOOK', url: 'http://127.0.0.1:3000/e/src_hook' };
const node = (id: string, kind: NodeKind, data: Record<string, unknown>): CanvasNode => ({ id, type: kind, position: { x: 0, y: 0 }, data });
const heard = (status: 'accepted' | 'rejected', id: string, body: unknown): ListenOut => ({
  status: 'received',
  cursor: id,
  request: {
    request_id: id,
    received_at: '2026-12-07T10:00:00.000Z',
    method: 'POST',
    status,
    rejection_cause: status === 'rejected' ? 'missing API key header x-api-key' : null,
    size: 64,
    truncated: false,
    sample: { headers: {}, body, query: {}, path: '/' },
  },
});

/** The API as the panel calls it: each listen answers the next of `answers`; other calls are recorded. */
function fakeApi(answers: (ListenOut | ((url: string) => ListenOut))[]) {
  const calls: { method: string; url: string; body?: unknown }[] = [];
  vi.stubGlobal(
    'fetch',
    vi.fn(async (url: string, init: RequestInit) => {
      calls.push({ method: init.method ?? 'GET', url, body: init.body ? JSON.parse(String(init.body)) : undefined });
      let out: unknown = { id: hook.id };
      if (url.includes('/flows/source-sample/listen')) {
        const next = answers.shift();
        if (!next) return new Promise<Response>(() => {});
        out = typeof next === 'function' ? next(url) : next;
      }
      return new Response(JSON.stringify(out), { status: 200, headers: { 'content-type': 'application/json' } });
    }),
  );
  return calls;
}

function mountTrigger(
  samples: Record<string, SourceSample | null>,
  actions: { rename: () => Promise<void>; chooseSample: (id: string, s: SourceSample) => void; listener?: ListenStore } = {
    rename: vi.fn(async () => {}),
    chooseSample: vi.fn(),
  },
) {
  const t = node('t1', 'trigger', { sourceId: hook.id });
  function Holder() {
    const [data, setData] = useState(t.data);
    const env = panelEnv({
      node: t,
      nodes: [t],
      edges: [],
      eventTypes: [],
      destinations: [],
      credentials: [],
      sources: [hook],
      sourceSamples: samples,
      test: null,
      preview: async () => undefined,
      testConnection: async () => ({ ok: true, message: '', warnings: [] }),
      sourceActions: actions,
    });
    const Panel = PANELS.trigger;
    return <Panel id="t1" data={data} env={env} onChange={setData} />;
  }
  render(<Holder />);
  return actions;
}

beforeEach(() => localStorage.setItem('wirehub.token', 'tok'));
afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
  vi.useRealTimers();
});

describe("a source trigger's panel", () => {
  it('renames the source when the name field is left', async () => {
    fakeApi([]);
    const actions = mountTrigger({ [hook.id]: null });
    const name = screen.getByTestId('trigger-source-name') as HTMLInputElement;
    expect(name.value).toBe('Incoming webhook 1');
    fireEvent.change(name, { target: { value: 'Shop orders' } });
    fireEvent.blur(name);
    await waitFor(() => expect(actions.rename).toHaveBeenCalledWith(hook.id, 'Shop orders'));
    // Left unchanged or emptied: nothing is renamed.
    fireEvent.change(name, { target: { value: '  ' } });
    fireEvent.blur(name);
    expect(actions.rename).toHaveBeenCalledTimes(1);
  });

  it('listens: the URL and a curl command while waiting, a rejected request noted, then the request heard and used as the sample', async () => {
    const calls = fakeApi([
      { status: 'waiting', cursor: 'req_a' },
      heard('rejected', 'req_b', 'nope'),
      heard('accepted', 'req_c', { type: 'lead', email: 'jane@example.com', customer: { country: 'FR' } }),
    ]);
    let resolveLast: () => void = () => {};
    const gate = new Promise<void>((r) => (resolveLast = r));
    // Hold the third answer until the waiting screen has been seen.
    const fetchMock = globalThis.fetch as unknown as ReturnType<typeof vi.fn>;
    const real = fetchMock.getMockImplementation() as (url: string, init: RequestInit) => Promise<Response>;
    let n = 0;
    fetchMock.mockImplementation(async (url: string, init: RequestInit) => {
      if (url.includes('/listen') && ++n === 3) await gate;
      return real(url, init);
    });
    const actions = mountTrigger({ [hook.id]: null });

    fireEvent.click(screen.getByTestId('listen-start'));
    const waiting = await screen.findByTestId('listen-waiting');
    expect(waiting.textContent).toContain(`Waiting for a request to ${hook.url} (send one now)`);
    expect(screen.getByTestId('listen-curl').textContent).toContain(`curl -X POST '${hook.url}'`);
    expect((await screen.findByTestId('listen-rejected')).textContent).toContain('turned away: missing API key header x-api-key. Still listening');
    resolveLast();

    const body = await screen.findByTestId('listen-body');
    expect(body.textContent).toContain('jane@example.com');
    // Each wait after the first carries the cursor it was given, with the caller's session.
    const listens = calls.filter((c) => c.url.includes('/listen'));
    expect(listens.map((c) => new URL(c.url, 'http://x').searchParams.get('after'))).toEqual([null, 'req_a', 'req_b']);
    expect(new URL(listens[0].url, 'http://x').searchParams.get('source_id')).toBe(hook.id);
    const init = (fetchMock.mock.calls[0] as [string, RequestInit])[1];
    expect((init.headers as Record<string, string>).authorization).toBe('Bearer tok');

    fireEvent.click(screen.getByTestId('listen-use'));
    expect(actions.chooseSample).toHaveBeenCalledWith(hook.id, {
      request_id: 'req_c',
      received_at: '2026-12-07T10:00:00.000Z',
      sample: expect.objectContaining({ body: { type: 'lead', email: 'jane@example.com', customer: { country: 'FR' } } }),
    });
  });

  it("the sample chosen feeds the next filter's field picker as body.<field>", () => {
    const chosen: SourceSample = {
      request_id: 'req_c',
      received_at: '2026-12-07T10:00:00.000Z',
      sample: { headers: {}, body: { type: 'lead', email: 'jane@example.com' }, query: {}, path: '/' },
    };
    const t = node('t1', 'trigger', { sourceId: hook.id });
    const f = node('f1', 'filter', defaultData('filter'));
    const env = panelEnv({
      node: f,
      nodes: [t, f],
      edges: [{ id: 'e', source: 't1', target: 'f1' }],
      eventTypes: [],
      destinations: [],
      credentials: [],
      sources: [hook],
      sourceSamples: { [hook.id]: chosen },
      test: null,
      preview: async () => undefined,
      testConnection: async () => ({ ok: true, message: '', warnings: [] }),
    });
    const Panel = PANELS.filter;
    render(<Panel id="f1" data={f.data} env={env} onChange={() => {}} />);
    expect([...(document.querySelector('datalist') as HTMLDataListElement).querySelectorAll('option')].map((o) => o.value)).toEqual([
      'body.type',
      'body.email',
    ]);
  });

  it('once used, says so instead of offering it again; a big body cannot be used', async () => {
    const big = heard('accepted', 'req_big', 'xxxx…') as Extract<ListenOut, { status: 'received' }>;
    fakeApi([{ ...big, request: { ...big.request, truncated: true, size: 200_000 } }]);
    mountTrigger({ [hook.id]: null });
    fireEvent.click(screen.getByTestId('listen-start'));
    expect((await screen.findByTestId('listen-truncated')).textContent).toContain('too big to use as the sample');
    expect(screen.queryByTestId('listen-use')).toBeNull();
    cleanup();

    fakeApi([heard('accepted', 'req_c', { a: 1 })]);
    const used: SourceSample = { request_id: 'req_c', received_at: '2026-12-07T10:00:00.000Z', sample: { headers: {}, body: { a: 1 }, query: {}, path: '/' } };
    mountTrigger({ [hook.id]: used });
    fireEvent.click(screen.getByTestId('listen-start'));
    expect((await screen.findByTestId('listen-used')).textContent).toContain('now offer its fields');
  });

  it('keeps listening while the panel is closed (the next step being dropped), and shows the request when it opens again', async () => {
    let answer: (out: ListenOut) => void = () => {};
    vi.stubGlobal(
      'fetch',
      vi.fn(
        () =>
          new Promise<Response>(
            (resolve) => (answer = (out) => resolve(new Response(JSON.stringify(out), { status: 200, headers: { 'content-type': 'application/json' } }))),
          ),
      ),
    );
    const listener = new ListenStore();
    const actions = { rename: vi.fn(async () => {}), chooseSample: vi.fn(), listener };
    mountTrigger({ [hook.id]: null }, actions);
    fireEvent.click(screen.getByTestId('listen-start'));
    await screen.findByTestId('listen-waiting');
    cleanup();
    const signal = ((globalThis.fetch as unknown as ReturnType<typeof vi.fn>).mock.calls[0] as [string, RequestInit])[1].signal as AbortSignal;
    expect(signal.aborted).toBe(false);
    await act(async () => answer(heard('accepted', 'req_late', { email: 'late@example.com' })));
    mountTrigger({ [hook.id]: null }, actions);
    expect((await screen.findByTestId('listen-body')).textContent).toContain('late@example.com');
    // The editor going away stops what is still listening.
    fireEvent.click(screen.getByTestId('listen-start'));
    await screen.findByTestId('listen-waiting');
    listener.stopAll();
    const second = ((globalThis.fetch as unknown as ReturnType<typeof vi.fn>).mock.calls[1] as [string, RequestInit])[1].signal as AbortSignal;
    expect(second.aborted).toBe(true);
  });

  it('gives up after 2 minutes of silence, and Stop ends the wait at once', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    // Every wait comes back empty, 25 s later.
    const calls = fakeApi(Array.from({ length: 10 }, () => () => (vi.setSystemTime(Date.now() + 25_000), { status: 'waiting', cursor: 'req_x' }) as ListenOut));
    mountTrigger({ [hook.id]: null });
    fireEvent.click(screen.getByTestId('listen-start'));
    expect((await screen.findByTestId('listen-timed-out')).textContent).toContain('in 2 minutes');
    const listens = calls.filter((c) => c.url.includes('/listen')).length;
    expect(listens).toBe(Math.ceil(LISTEN_FOR_MS / 25_000));
    cleanup();

    vi.useRealTimers();
    fakeApi([]);
    mountTrigger({ [hook.id]: null });
    fireEvent.click(screen.getByTestId('listen-start'));
    await screen.findByTestId('listen-waiting');
    const signal = ((globalThis.fetch as unknown as ReturnType<typeof vi.fn>).mock.calls[0] as [string, RequestInit])[1].signal as AbortSignal;
    await act(async () => fireEvent.click(screen.getByTestId('listen-stop')));
    expect(signal.aborted).toBe(true);
    expect(screen.getByTestId('listen-start').textContent).toBe('Listen for a test request');
  });
});
