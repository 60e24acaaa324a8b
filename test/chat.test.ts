import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newWorkspace, startTestHub, waitFor, type TestHub } from './support/hub.ts';
import { startReceiver, type Received } from './support/receiver.ts';

const V = '/api/v1';
const ALLOWED = 'http://shop.allowed.test';
const REFUSED = 'http://evil.refused.test';
const SECRET = 'a-shared-secret-for-the-crm';

const ENTRIES = [
  { question: 'Can I get a quote for a new bathroom?', answer: 'Sure! We give free quotes for bathroom renovations.', tags: ['request_quote', 'bathroom'] },
  { question: 'What are your opening hours?', answer: 'We are open Monday to Friday, 8am to 6pm.', tags: ['hours'] },
  { question: 'Which areas do you cover?', answer: 'We cover San Francisco and Oakland.', tags: ['area'] },
];

const json = (r: Received) => JSON.parse(r.body.toString()) as Record<string, unknown>;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('the public chat: leads, escalation, rate limits and CORS, through the real publish pipeline', () => {
  let hub: TestHub;
  let ws: Awaited<ReturnType<typeof newWorkspace>>;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let bot: { id: string; public_key: string; name: string };
  const api = (method: 'get' | 'post' | 'patch' | 'delete', path: string) => hub.api(method, `${V}${path}`, ws.key);
  const chat = (body: Record<string, unknown>, origin?: string) => {
    const t = hub.api('post', '/api/public/system-chat');
    return (origin ? t.set('origin', origin) : t).send({ chatbot_key: bot.public_key, ...body });
  };
  const at = (path: string) => receiver.received.filter((r) => r.url === path);

  beforeAll(async () => {
    hub = await startTestHub();
    ws = await newWorkspace(hub);
    receiver = await startReceiver();
    const created = await api('post', '/chatbots').send({ name: 'Acme Plumbing Bot', settings: { allowed_origins: [ALLOWED] } });
    expect(created.status, created.text).toBe(201);
    bot = created.body;
    const imported = await api('post', `/chatbots/${bot.id}/entries/import`).send(ENTRIES);
    expect(imported.status, imported.text).toBe(201);
    // The CRM gets seed 004's body: the mapped lead fields in the flat envelope, with the shared-secret header.
    const crm = await api('post', '/webhooks').send({
      name: 'crm',
      url: `${receiver.url}/leads`,
      events: ['lead.captured'],
      mappings: ['name', 'email', 'phone', 'chatbot_name', 'intent'].map((f) => ({ to: f, from: `data.${f}` })),
      signing: 'shared-secret',
      secret: SECRET,
    });
    expect(crm.status, crm.text).toBe(201);
    const ops = await api('post', '/webhooks').send({ name: 'ops', url: `${receiver.url}/ops`, events: ['escalation.created', 'conversation.started'] });
    expect(ops.status, ops.text).toBe(201);
  });
  afterAll(async () => {
    await hub?.close();
    await receiver?.close();
  });

  it('captures name, e-mail and phone over a conversation and delivers exactly one lead.captured in seed 004’s envelope', async () => {
    const first = await chat({ visitor_id: 'vis_jane', message: 'Can I get a quote for a new bathroom?' });
    expect(first.status, first.text).toBe(200);
    expect(first.body).toMatchObject({ reply: expect.stringContaining('free quotes'), escalated: false, lead: { complete: false } });
    expect(first.body.sources[0]).toMatchObject({ question: ENTRIES[0].question });
    expect(first.body.conversation_id).toMatch(/^conv_/);
    expect(first.body.message_id).toMatch(/^cmsg_/);
    const conversation = first.body.conversation_id as string;

    // From the second message on (lead_capture.after_messages = 2) the bot asks for what is missing.
    const second = await chat({ visitor_id: 'vis_jane', conversation_id: conversation, message: 'My name is Jane Smith' });
    expect(second.body.lead).toEqual({ name: 'Jane Smith', complete: false, asking: 'email' });
    const third = await chat({ visitor_id: 'vis_jane', conversation_id: conversation, message: 'sure, it is jane@example.com' });
    expect(third.body.lead).toEqual({ name: 'Jane Smith', email: 'jane@example.com', complete: false, asking: 'phone' });
    const fourth = await chat({ visitor_id: 'vis_jane', conversation_id: conversation, message: '+1 (555) 555-0123' });
    expect(fourth.body.lead).toEqual({ name: 'Jane Smith', email: 'jane@example.com', phone: '+15555550123', complete: true });
    expect(fourth.body.conversation_id).toBe(conversation);
    // More messages, and a new e-mail, do not capture the lead again.
    await chat({ visitor_id: 'vis_jane', conversation_id: conversation, message: 'also try jane.smith@example.org' });

    const [delivery] = await waitFor(() => (at('/leads').length ? at('/leads') : null), 15_000, 'the lead delivery');
    await sleep(1000);
    expect(at('/leads')).toHaveLength(1);
    expect(delivery.headers['x-wirehub-signature']).toBe(SECRET);
    expect(delivery.headers['x-wirehub-event']).toBe('lead.captured');
    const body = json(delivery);
    expect(Object.keys(body).sort()).toEqual(
      ['name', 'email', 'phone', 'chatbot_name', 'intent', 'eventType', 'eventTimestamp', 'eventId', 'customerId', 'chatbotId', 'conversationId'].sort(),
    );
    expect(body).toMatchObject({
      name: 'Jane Smith',
      email: 'jane@example.com',
      phone: '+15555550123',
      chatbot_name: 'Acme Plumbing Bot',
      intent: 'request_quote',
      eventType: 'lead.captured',
      customerId: ws.teamId,
      chatbotId: bot.id,
      conversationId: conversation,
    });
    expect(body.eventTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);

    const leads = await api('get', `/chatbots/${bot.id}/leads`);
    expect(leads.body.models).toEqual([
      expect.objectContaining({ conversation_id: conversation, name: 'Jane Smith', email: 'jane@example.com', phone: '+15555550123', intent: 'request_quote' }),
    ]);
    const transcript = await api('get', `/chatbots/${bot.id}/conversations/${conversation}`);
    expect(transcript.body.messages).toHaveLength(10);
    expect(transcript.body.messages[1]).toMatchObject({ role: 'bot', fallback: false, sources: [{ question: ENTRIES[0].question }], rating: null });
  });

  it('escalates once when the visitor asks for a human, and after repeated fallbacks', async () => {
    const asked = await chat({ visitor_id: 'vis_help', message: 'I want to talk to a human please' });
    expect(asked.status, asked.text).toBe(200);
    expect(asked.body.escalated).toBe(true);
    expect(asked.body.lead.asking).toBe('name');
    const again = await chat({ visitor_id: 'vis_help', conversation_id: asked.body.conversation_id, message: 'hello? is an agent there?' });
    expect(again.body.escalated).toBe(true);
    const escalations = () =>
      at('/ops')
        .map(json)
        .filter((b) => b.eventType === 'escalation.created');
    await waitFor(() => escalations().some((b) => b.conversationId === asked.body.conversation_id), 15_000, 'the escalation');
    await sleep(800);
    const mine = escalations().filter((b) => b.conversationId === asked.body.conversation_id);
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({
      reason: 'requested_human',
      priority: 'high',
      chatbot_name: 'Acme Plumbing Bot',
      customerId: ws.teamId,
      chatbotId: bot.id,
      summary: 'I want to talk to a human please',
    });
    expect(
      at('/ops')
        .map(json)
        .filter((b) => b.eventType === 'conversation.started' && b.conversationId === asked.body.conversation_id),
    ).toHaveLength(1);

    // after_fallbacks = 2: two questions in a row the knowledge base cannot answer.
    const one = await chat({ visitor_id: 'vis_lost', message: 'Tell me about quantum chromodynamics' });
    expect(one.body).toMatchObject({ escalated: false, sources: [] });
    expect(one.body.reply).toMatch(/human/);
    const two = await chat({ visitor_id: 'vis_lost', conversation_id: one.body.conversation_id, message: 'And the weather on Jupiter?' });
    expect(two.body.escalated).toBe(true);
    const unanswered = await waitFor(
      () => escalations().find((b) => b.conversationId === one.body.conversation_id && b.reason === 'unanswered'),
      15_000,
      'the unanswered escalation',
    );
    // The latest visitor messages, oldest first: what a person taking over reads first.
    expect(unanswered.summary).toBe('Tell me about quantum chromodynamics / And the weather on Jupiter?');
    const conv = await api('get', `/chatbots/${bot.id}/conversations/${one.body.conversation_id}`);
    expect(conv.body).toMatchObject({ fallbacks: 2, escalated_at: expect.any(String) });
  });

  it('answers the 21st message of a minute with 429 and Retry-After; another visitor still passes', async () => {
    // All 21 must fall in one minute window (the database's clock).
    const s = new Date().getSeconds();
    if (s > 40) await sleep((61 - s) * 1000);
    let conversation: string | undefined;
    for (let i = 1; i <= 20; i++) {
      const res = await chat({
        visitor_id: 'vis_flood',
        message: `What are your opening hours? (${i})`,
        ...(conversation ? { conversation_id: conversation } : {}),
      });
      expect(res.status, `message ${i}: ${res.text}`).toBe(200);
      conversation = res.body.conversation_id;
    }
    const refused = await chat({ visitor_id: 'vis_flood', conversation_id: conversation, message: 'What are your opening hours?' });
    expect(refused.status).toBe(429);
    expect(refused.body.error).toMatchObject({ code: 'RATE_LIMITED', message: expect.stringContaining('20') });
    const retryAfter = Number(refused.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    const other = await chat({ visitor_id: 'vis_other', message: 'What are your opening hours?' });
    expect(other.status, other.text).toBe(200);
    expect(other.body.reply).toContain('Monday to Friday');
    const counters = await hub.deps.db.selectFrom('chat_rate_counters').select(['key', 'count']).where('key', 'like', `v:${bot.id}:vis_flood:%`).execute();
    expect(counters.map((c) => c.count)).toEqual([21, 21]);
  });

  it('answers only the allowed origins (preflight too); a refused origin gets 403 without CORS headers and nothing is stored', async () => {
    const pre = await hub
      .api('options' as 'get', `/api/public/system-chat?chatbot_key=${bot.public_key}`)
      .set('origin', ALLOWED)
      .set('access-control-request-method', 'POST')
      .set('access-control-request-headers', 'content-type');
    expect(pre.status).toBe(204);
    expect(pre.headers['access-control-allow-origin']).toBe(ALLOWED);
    expect(pre.headers['access-control-allow-methods']).toContain('POST');
    expect(pre.headers['access-control-allow-headers']).toMatch(/content-type/i);
    const preNoKey = await hub
      .api('options' as 'get', '/api/public/system-chat')
      .set('origin', ALLOWED)
      .set('access-control-request-method', 'POST');
    expect(preNoKey.status).toBe(204);
    const preRefused = await hub
      .api('options' as 'get', `/api/public/system-chat?chatbot_key=${bot.public_key}`)
      .set('origin', REFUSED)
      .set('access-control-request-method', 'POST');
    expect(preRefused.status).toBe(403);
    expect(preRefused.headers['access-control-allow-origin']).toBeUndefined();

    const ok = await chat({ visitor_id: 'vis_cors', message: 'Which areas do you cover?' }, ALLOWED);
    expect(ok.status, ok.text).toBe(200);
    expect(ok.headers['access-control-allow-origin']).toBe(ALLOWED);
    expect(ok.body.reply).toContain('Oakland');

    const before = await hub.deps.db.selectFrom('conversations').select('id').where('visitor_id', '=', 'vis_evil').execute();
    const refused = await chat({ visitor_id: 'vis_evil', message: 'Which areas do you cover?' }, REFUSED);
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('ORIGIN_NOT_ALLOWED');
    expect(refused.headers['access-control-allow-origin']).toBeUndefined();
    expect(await hub.deps.db.selectFrom('conversations').select('id').where('visitor_id', '=', 'vis_evil').execute()).toEqual(before);

    // A widget may post JSON as text/plain, a "simple" request that needs no preflight.
    const plain = await hub
      .api('post', '/api/public/system-chat')
      .set('origin', ALLOWED)
      .set('content-type', 'text/plain')
      .send(JSON.stringify({ chatbot_key: bot.public_key, visitor_id: 'vis_plain', message: 'opening hours' }));
    expect(plain.status, plain.text).toBe(200);
    expect(plain.body.reply).toContain('Monday');
  });

  it('refuses an unknown key, a missing visitor, a too long message and a conversation of another visitor', async () => {
    const unknown = await hub.api('post', '/api/public/system-chat').send({ chatbot_key: 'pk_nope', visitor_id: 'v', message: 'hi' });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('NOT_FOUND');
    const long = await chat({ visitor_id: 'v', message: 'x'.repeat(4001) });
    expect(long.status).toBe(400);
    expect(long.body.error.details.map((d: { path: string }) => d.path)).toEqual(['body.message']);
    const exact = await chat({ visitor_id: 'v4000', message: 'x'.repeat(4000) });
    expect(exact.status, exact.text).toBe(200);
    const missing = await chat({ message: 'hi' });
    expect(missing.status).toBe(400);
    expect(missing.body.error.details.map((d: { path: string }) => d.path)).toEqual(['body.visitor_id']);
    const stolen = await chat({ visitor_id: 'vis_thief', conversation_id: exact.body.conversation_id, message: 'hi' });
    expect(stolen.status).toBe(404);
  });
});

/** Plays an OpenAI-compatible API: records each request and answers with a completion. */
async function startFakeLlm() {
  const requests: { auth: string | undefined; body: { model: string; messages: { role: string; content: string }[] } }[] = [];
  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString()));
    req.on('end', () => {
      if (req.url !== '/v1/chat/completions') return void res.writeHead(404).end();
      requests.push({ auth: req.headers.authorization, body: JSON.parse(raw) });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          id: 'chatcmpl-1',
          object: 'chat.completion',
          choices: [{ index: 0, message: { role: 'assistant', content: 'We are open weekdays from 8 to 6 — happy to help!' }, finish_reason: 'stop' }],
        }),
      );
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}/v1`,
    requests,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

describe('LLM mode and the end of idle conversations', () => {
  let hub: TestHub;
  let ws: Awaited<ReturnType<typeof newWorkspace>>;
  let llm: Awaited<ReturnType<typeof startFakeLlm>>;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let key: string;
  let botId: string;

  beforeAll(async () => {
    llm = await startFakeLlm();
    receiver = await startReceiver();
    // Conversations end after 1.5 s without messages instead of 30 minutes.
    hub = await startTestHub({ chatInactivityMs: 1500 }, { WIREHUB_LLM_BASE_URL: llm.url, WIREHUB_LLM_API_KEY: 'sk-test', WIREHUB_LLM_MODEL: 'test-model' });
    ws = await newWorkspace(hub);
    const bot = await hub.api('post', `${V}/chatbots`, ws.key).send({ name: 'LLM Bot' });
    key = bot.body.public_key;
    botId = bot.body.id;
    await hub.api('post', `${V}/chatbots/${botId}/entries/import`, ws.key).send({ entries: ENTRIES });
    await hub.api('post', `${V}/webhooks`, ws.key).send({ name: 'ended', url: `${receiver.url}/ended`, events: ['conversation.ended'] });
  });
  afterAll(async () => {
    await hub?.close();
    await llm?.close();
    await receiver?.close();
  });

  it('writes the reply with the configured model from the retrieved entries', async () => {
    const res = await hub
      .api('post', '/api/public/system-chat')
      .send({ chatbot_key: key, visitor_id: 'vis_llm', message: 'When are you open? what are your opening hours' });
    expect(res.status, res.text).toBe(200);
    expect(res.body.reply).toBe('We are open weekdays from 8 to 6 — happy to help!');
    expect(res.body.sources[0].question).toBe(ENTRIES[1].question);
    expect(llm.requests).toHaveLength(1);
    const sent = llm.requests[0];
    expect(sent.auth).toBe('Bearer sk-test');
    expect(sent.body.model).toBe('test-model');
    expect(sent.body.messages[0].content).toContain(ENTRIES[1].answer);
    expect(sent.body.messages.at(-1)).toEqual({ role: 'user', content: 'When are you open? what are your opening hours' });
    // Below the threshold the model is not asked: no entry, no invented answer.
    const unknown = await hub.api('post', '/api/public/system-chat').send({ chatbot_key: key, visitor_id: 'vis_llm2', message: 'quantum chromodynamics' });
    expect(unknown.body.sources).toEqual([]);
    expect(llm.requests).toHaveLength(1);
  });

  it('publishes conversation.ended once a conversation has been idle for the inactivity period', async () => {
    const res = await hub.api('post', '/api/public/system-chat').send({ chatbot_key: key, visitor_id: 'vis_idle', message: 'Which areas do you cover?' });
    const conversation = res.body.conversation_id as string;
    const ended = await waitFor(() => receiver.received.map(json).find((b) => b.conversationId === conversation), 20_000, 'conversation.ended');
    expect(ended).toMatchObject({
      eventType: 'conversation.ended',
      chatbotId: botId,
      customerId: ws.teamId,
      ended_by: 'timeout',
      outcome: 'resolved',
      message_count: 2,
      lead_captured: false,
      escalated: false,
      chatbot_name: 'LLM Bot',
    });
    const row = await hub.deps.db.selectFrom('conversations').select(['ended_at']).where('id', '=', conversation).executeTakeFirstOrThrow();
    expect(row.ended_at).not.toBeNull();
    // The next message of that visitor starts a new conversation.
    const next = await hub
      .api('post', '/api/public/system-chat')
      .send({ chatbot_key: key, visitor_id: 'vis_idle', conversation_id: conversation, message: 'hi again' });
    expect(next.status, next.text).toBe(200);
    expect(next.body.conversation_id).not.toBe(conversation);
    await sleep(500);
    expect(receiver.received.map(json).filter((b) => b.conversationId === conversation)).toHaveLength(1);
  });
});
