// @vitest-environment happy-dom
// The "Received requests" panel of a MOCK_API destination: newest first, one opens to its headers
// and body, Clear empties it. The API is played by a fetch that answers from an in-memory list
// shaped like GET/DELETE /destinations/:id/mock_requests (the routes themselves: test/mock-api.test.ts).
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MockRequests, type MockRequest } from '../../web/src/pages/gateway/MockRequests.tsx';

const DES = 'des_01jmock0000000000000000000';
const at = (s: number) => new Date(Date.UTC(2026, 0, 2, 10, 0, s)).toISOString();
const request = (id: string, s: number, over: Partial<MockRequest> = {}): MockRequest => ({
  id,
  team_id: 'tm_1',
  destination_id: DES,
  event_id: `evt_${id}`,
  method: 'POST',
  path: '/orders',
  query: '',
  url: `mock://${DES}/orders`,
  headers: { 'content-type': 'application/json', 'webhook-signature': `v1,sig-${id}` },
  body_encoding: 'utf8',
  body_size: 20,
  body_truncated: false,
  response_status: 200,
  created_at: at(s),
  ...over,
});

let stored: MockRequest[];
let bodies: Record<string, string>;
let calls: string[];

beforeEach(() => {
  stored = [request('mrq_b', 2, { response_status: 503, query: 'from=shop' }), request('mrq_a', 1, { body_encoding: 'base64' })];
  bodies = { mrq_b: '{"order":{"id":"o_1","amount":50}}', mrq_a: 'AP8QQQ==' };
  calls = [];
  vi.stubGlobal('fetch', async (url: string, init?: RequestInit) => {
    const method = init?.method ?? 'GET';
    calls.push(`${method} ${url}`);
    const path = new URL(url, 'http://portal.test').pathname.replace('/api/v1', '');
    const json = (value: unknown) => new Response(JSON.stringify(value), { status: 200, headers: { 'content-type': 'application/json' } });
    if (path === `/destinations/${DES}/mock_requests` && method === 'GET') {
      return json({ models: stored, pagination: { order_by: 'created_at', dir: 'desc', limit: 50, next: null, prev: null }, count: stored.length });
    }
    if (path === `/destinations/${DES}/mock_requests` && method === 'DELETE') {
      const deleted = stored.length;
      stored = [];
      return json({ destination_id: DES, deleted });
    }
    const one = stored.find((r) => path === `/destinations/${DES}/mock_requests/${r.id}`);
    if (one) return json({ ...one, body: bodies[one.id] });
    return new Response(JSON.stringify({ error: { code: 'NOT_FOUND', message: 'not found' } }), { status: 404 });
  });
});
afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

describe("a test receiver's Received requests panel", () => {
  it('lists what the test receiver got, newest first, with the status it answered', async () => {
    render(<MockRequests destination={{ id: DES, name: 'try-it' }} onClose={() => undefined} />);
    const rows = await screen.findAllByTestId('mock-request-row');
    // Named in plain words: the API's MOCK_API type is a "test receiver" wherever a user reads it.
    expect(screen.getByRole('heading', { level: 2 }).textContent).toMatch(/^\s*Test receiver “try-it”: received requests\s*$/);
    expect(document.body.textContent).not.toMatch(/mock api/i);
    expect(rows.map((r) => r.dataset.id)).toEqual(['mrq_b', 'mrq_a']);
    expect(rows[0].textContent).toContain('POST /orders?from=shop');
    expect(rows[0].textContent).toContain('503');
    expect(calls[0]).toMatch(new RegExp(`^GET /api/v1/destinations/${DES}/mock_requests\\?limit=50$`));
  });

  it('opens one to its headers and its JSON body; a binary body shows as base64', async () => {
    render(<MockRequests destination={{ id: DES, name: 'try-it' }} onClose={() => undefined} />);
    const [newest, older] = await screen.findAllByTestId('mock-request-row');
    fireEvent.click(within(newest).getByTestId('mock-request-open'));
    const detail = await screen.findByTestId('mock-request-detail');
    await waitFor(() => expect(detail.textContent).toContain('v1,sig-mrq_b'));
    // The body is parsed into the folding JSON view, not shown as one string.
    const body = within(detail).getByTestId('mock-request-body');
    expect(body.querySelector('details.json')?.textContent).toContain('"o_1"');
    expect(body.querySelector('pre')).toBeNull();

    fireEvent.click(within(older).getByTestId('mock-request-open'));
    // One request is open at a time.
    await waitFor(() => expect(screen.getByTestId('mock-request-body').querySelector('pre')?.textContent).toBe('AP8QQQ=='));
    expect(screen.getAllByTestId('mock-request-detail')).toHaveLength(1);
    expect(screen.getByTestId('mock-request-body').textContent).toContain('Not text: shown as base64');
  });

  it('clears after a confirmation, and then says nothing was received', async () => {
    render(<MockRequests destination={{ id: DES, name: 'try-it' }} onClose={() => undefined} />);
    await screen.findAllByTestId('mock-request-row');
    fireEvent.click(screen.getByTestId('mock-requests-clear'));
    expect(calls.some((c) => c.startsWith('DELETE'))).toBe(false);
    fireEvent.click(screen.getByTestId('confirm-delete-yes'));
    await screen.findByTestId('mock-requests-empty');
    expect(calls.filter((c) => c.startsWith('DELETE'))).toEqual([`DELETE /api/v1/destinations/${DES}/mock_requests`]);
    expect(screen.queryAllByTestId('mock-request-row')).toHaveLength(0);
  });
});
