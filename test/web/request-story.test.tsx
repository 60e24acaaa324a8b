// @vitest-environment happy-dom
// "What happened to this request" in the events log: the request's outcome per flow in sentences,
// a failing delivery's next try as local HH:MM with its attempt, a link to the flow, and a reload
// on each live tick. The API is played by a fetch shaped like GET /requests/:id and
// /requests/:id/outcome (the routes themselves: test/request-outcomes.test.ts).
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { MemoryRouter } from 'react-router';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RequestStory } from '../../web/src/pages/events/RequestStory.tsx';
import { retryText } from '../../web/src/pages/events/words.ts';

const REQ = 'req_01m97x0ze03zhk24v935rd5g8c';
const retryAt = new Date(2026, 11, 7, 14, 5);
let outcomeCalls = 0;
let story: unknown;

beforeEach(() => {
  outcomeCalls = 0;
  story = {
    request_id: REQ,
    result: 'mixed',
    text: '…',
    connections: [
      {
        connection_id: 'web_1',
        title: 'the flow “Leads to CRM”',
        flow: { id: 'flw_1', name: 'Leads to CRM' },
        result: 'filtered',
        explanation: 'Filtered out by the filter step “body.type is "lead"” of the flow “Leads to CRM”: body.type was "newsletter".',
        steps: [{ node_id: 'f1', description: 'the filter step', failed: ['body.type was "newsletter"'] }],
        rules_changed: true,
      },
      {
        connection_id: 'web_2',
        title: '“orders to crm”',
        flow: null,
        result: 'retrying',
        explanation: '“orders to crm” could not deliver it (the receiver answered 500 Internal Server Error); it will try again (attempt 4 of 8).',
        event: {
          id: 'evt_1',
          status: 'SCHEDULED',
          attempts: 3,
          reason: 'the receiver answered 500 Internal Server Error',
          retry: { at: retryAt.toISOString(), attempt: 4, of: 8 },
        },
      },
    ],
  };
  vi.stubGlobal('fetch', async (url: string) => {
    const path = new URL(url, 'http://portal.test').pathname.replace('/api/v1', '');
    const json = (value: unknown) => new Response(JSON.stringify(value), { status: 200, headers: { 'content-type': 'application/json' } });
    if (path === `/requests/${REQ}`)
      return json({
        id: REQ,
        source_id: 'src_1',
        source_name: 'website forms',
        status: 'accepted',
        summary: 'reader@example.com',
        event_type: 'newsletter',
        created_at: new Date(2026, 11, 7, 13, 0).toISOString(),
      });
    if (path === `/requests/${REQ}/outcome`) return (outcomeCalls++, json(story));
    return new Response('{"error":{"code":"NOT_FOUND","message":"no"}}', { status: 404 });
  });
});
afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

describe('request story', () => {
  it('words the next try as local HH:MM with its attempt', () => {
    expect(retryText({ at: retryAt.toISOString(), attempt: 4, of: 8 }, new Date(2026, 11, 7, 13, 0))).toBe('will retry at 14:05 (attempt 4 of 8)');
    expect(retryText({ at: new Date(2026, 11, 8, 0, 5).toISOString(), attempt: 2, of: 9 }, new Date(2026, 11, 7, 23, 0))).toMatch(
      /^will retry at \S+.* 00:05 \(attempt 2 of 9\)$/,
    );
  });

  it('tells each flow’s result in a sentence, links the flow, opens the delivery, and reloads on a tick', async () => {
    const opened: string[] = [];
    const view = (tick: number) => (
      <MemoryRouter>
        <RequestStory id={REQ} tick={tick} onOpenEvent={(id) => opened.push(id)} />
      </MemoryRouter>
    );
    const { rerender } = render(view(0));
    await waitFor(() => expect(screen.getAllByTestId('request-story-connection')).toHaveLength(2));
    expect(screen.getByTestId('request-story-result').textContent).toBe('Several outcomes');
    const [filtered, failing] = screen.getAllByTestId('request-story-explanation').map((e) => e.textContent);
    expect(filtered).toContain('body.type was "newsletter"');
    expect(failing).toContain('the receiver answered 500 Internal Server Error');
    expect(screen.getByTestId('request-story-retry').textContent).toMatch(/^It will retry at ([A-Z][a-z]{2} \d{1,2} )?\d\d:\d\d \(attempt 4 of 8\)\.$/);
    expect(screen.getByTestId('request-story-flow').getAttribute('href')).toBe('/flows/flw_1');
    expect(screen.getByText('The filters were edited after this request arrived.')).toBeTruthy();
    expect(screen.getByTestId('request-story').textContent).toContain('from website forms');
    fireEvent.click(screen.getByTestId('request-story-open-event'));
    expect(opened).toEqual(['evt_1']);

    const before = outcomeCalls;
    rerender(view(1));
    await waitFor(() => expect(outcomeCalls).toBe(before + 1));
  });
});
