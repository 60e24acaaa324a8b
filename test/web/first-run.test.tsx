// @vitest-environment happy-dom
// The template checklist of a flow started from a template, and the chatbot's Try it panel, against
// a small stand-in for the API (the real endpoints: test/chat-phone.test.ts, test/flow-templates.test.ts).
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { flowTemplate } from '../../shared/flow-templates.ts';
import { fromGraph } from '../../web/src/flow/graph.ts';
import { TemplateChecklist } from '../../web/src/flow/TemplateChecklist.tsx';
import { ChatPreview } from '../../web/src/pages/chatbots/ChatPreview.tsx';
import type { Chatbot } from '../../web/src/pages/chatbots/types.ts';

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

describe('TemplateChecklist', () => {
  it('marks each placeholder until it is filled, and "Fill in" opens its node', () => {
    const t = flowTemplate('lead-to-sheet')!;
    const onOpen = vi.fn();
    const { nodes } = fromGraph(t.graph);
    const { rerender } = render(<TemplateChecklist template={t} nodes={nodes} onOpen={onOpen} />);
    const row = screen.getByTestId('placeholder-sheet-spreadsheetId');
    expect(row.getAttribute('data-filled')).toBe('no');
    expect(screen.getByTestId('template-checklist').textContent).toContain('Sign in with Google and pick the sheet');
    fireEvent.click(screen.getByRole('button', { name: 'Fill in' }));
    expect(onOpen).toHaveBeenCalledWith('sheet');

    const filled = nodes.map((n) => (n.id === 'sheet' ? { ...n, data: { ...n.data, spreadsheetId: '1AbC' } } : n));
    rerender(<TemplateChecklist template={t} nodes={filled} onOpen={onOpen} />);
    expect(screen.getByTestId('placeholder-sheet-spreadsheetId').getAttribute('data-filled')).toBe('yes');
    expect(screen.queryByRole('button', { name: 'Fill in' })).toBeNull();
    expect(screen.getByTestId('template-checklist').textContent).toContain('Everything the template needs is filled in');
  });
});

describe('ChatPreview', () => {
  it('posts to the preview endpoint with the browser language and shows the reply and the lead', async () => {
    const calls: { path: string; body: Record<string, unknown> }[] = [];
    vi.stubGlobal('fetch', async (url: string, init: RequestInit = {}) => {
      const body = JSON.parse(String(init.body)) as Record<string, unknown>;
      calls.push({ path: url.replace(/^\/api\/v1/, ''), body });
      const reply = {
        conversation_id: 'conv_1',
        message_id: 'cmsg_1',
        reply: 'Thank you, Dana!',
        sources: [],
        lead: { name: 'Dana', phone: '+14155550199', complete: false, asking: 'email' },
        escalated: false,
      };
      return new Response(JSON.stringify(reply), { status: 200, headers: { 'content-type': 'application/json' } });
    });
    const bot = {
      id: 'bot_1',
      name: 'Bot',
      welcome_message: 'Hello there',
      settings: { lead_capture: { fields: ['name', 'email', 'phone'], after_messages: 0, default_region: null } },
    } as unknown as Chatbot;
    render(<ChatPreview bot={bot} />);
    expect(screen.getByTestId('preview-bot').textContent).toContain('Hello there');
    fireEvent.change(screen.getByLabelText('Message to the chatbot'), { target: { value: "I'm Dana, (415) 555-0199" } });
    fireEvent.click(screen.getByRole('button', { name: 'Send' }));
    await waitFor(() => expect(screen.getByTestId('preview-lead-phone').textContent).toBe('+14155550199'));
    expect(calls).toEqual([
      { path: '/chatbots/bot_1/preview-chat', body: { message: "I'm Dana, (415) 555-0199", conversation_id: null, locale: navigator.language } },
    ]);
    expect(screen.getAllByTestId('preview-bot').at(-1)?.textContent).toContain('Thank you, Dana!');

    fireEvent.change(screen.getByLabelText('Message to the chatbot'), { target: { value: 'dana@example.com' } });
    fireEvent.click(screen.getByRole('button', { name: 'Send' }));
    await waitFor(() => expect(calls).toHaveLength(2));
    expect(calls[1].body.conversation_id).toBe('conv_1');
  });
});
