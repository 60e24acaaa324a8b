import supertest from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rankEntries } from '../server/chat/retrieval.ts';
import { feedbackFactors, MAX_FACTOR, MIN_FACTOR } from '../server/chat/feedback.ts';
import { builtinEventType } from '../server/publish/event-catalogue.ts';
import { compileSchema, validateValue } from '../server/publish/json-schema.ts';
import { newWorkspace, startTestHub, waitFor, type TestHub } from './support/hub.ts';
import { startReceiver, type Received } from './support/receiver.ts';

const V = '/api/v1';
const ALLOWED = 'http://shop.allowed.test';
const REFUSED = 'http://evil.refused.test';
// Two entries that both answer a question about boiler prices, and one about something else.
const SERVICE = { question: 'How much does a boiler service cost?', answer: 'A yearly boiler service costs $120.', tags: ['pricing'] };
const REPAIR = {
  question: 'What does a boiler service plan cost?',
  answer: 'Our boiler cover plan is $12 a month, with the yearly service included.',
  tags: ['pricing'],
};
const HOURS = { question: 'What are your opening hours?', answer: 'We are open Monday to Friday, 8am to 6pm.', tags: ['hours'] };
const ASKED = 'How much does a boiler service cost?';
const SIMILAR = "What's the cost of a boiler service?";
const UNRELATED = 'When are you open? What are your opening hours?';
// Plenty for one test file from one address.
const LIMITS = { per_minute: 100, per_day: 1000, ip_per_minute: 1000, ip_per_day: 10000 };

const json = (r: Received) => JSON.parse(r.body.toString()) as Record<string, unknown>;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('rating the chatbot’s answers', () => {
  let hub: TestHub;
  let ws: Awaited<ReturnType<typeof newWorkspace>>;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  const api = (method: 'get' | 'post' | 'patch', path: string) => hub.api(method, `${V}${path}`, ws.key);
  const at = (path: string) => receiver.received.filter((r) => r.url === path).map(json);

  async function newBot(name: string, settings: Record<string, unknown> = {}) {
    const created = await api('post', '/chatbots').send({ name, settings: { allowed_origins: [ALLOWED], rate_limits: LIMITS, ...settings } });
    expect(created.status, created.text).toBe(201);
    const imported = await api('post', `/chatbots/${created.body.id}/entries/import`).send([SERVICE, REPAIR, HOURS]);
    expect(imported.status, imported.text).toBe(201);
    return created.body as { id: string; public_key: string };
  }
  const chat = (bot: { public_key: string }, visitor: string, message: string, conversationId?: string) =>
    hub
      .api('post', '/api/public/system-chat')
      .send({ chatbot_key: bot.public_key, visitor_id: visitor, message, ...(conversationId ? { conversation_id: conversationId } : {}) });
  const rate = (conversationId: string, body: Record<string, unknown>, origin?: string) => {
    const t = hub.api('post', `/api/public/conversations/${conversationId}/rate`);
    return (origin ? t.set('origin', origin) : t).send(body);
  };
  /** The entries' order (and scores) for a question, straight from retrieval. */
  async function ranking(botId: string, question: string) {
    const row = await hub.deps.db.selectFrom('chatbots').select(['id', 'kb_version']).where('id', '=', botId).executeTakeFirstOrThrow();
    return (await rankEntries(hub.deps, row, question)).map((r) => ({ question: r.entry.question, score: r.score }));
  }

  beforeAll(async () => {
    hub = await startTestHub();
    ws = await newWorkspace(hub);
    receiver = await startReceiver();
    const hook = await api('post', '/webhooks').send({ name: 'feedback', url: `${receiver.url}/rated`, events: ['message.rated'] });
    expect(hook.status, hook.text).toBe(201);
    const ops = await api('post', '/webhooks').send({ name: 'ops', url: `${receiver.url}/ops`, events: ['escalation.created'] });
    expect(ops.status, ops.text).toBe(201);
  });
  afterAll(async () => {
    await hub?.close();
    await receiver?.close();
  });

  it('ratings alone re-rank answers: an entry rated down for a question yields to the other for it and for a similar one, and nothing else moves', async () => {
    const bot = await newBot('Ranking Bot', { escalation: { on_thumbs_down: false } });
    const before = { asked: await ranking(bot.id, ASKED), similar: await ranking(bot.id, SIMILAR), unrelated: await ranking(bot.id, UNRELATED) };
    // Both entries match; the service entry comes first.
    expect(before.asked.map((r) => r.question).slice(0, 2)).toEqual([SERVICE.question, REPAIR.question]);
    expect(before.similar[0].question).toBe(SERVICE.question);
    expect(before.unrelated[0].question).toBe(HOURS.question);
    const first = await chat(bot, 'vis_first', ASKED);
    expect(first.body.sources[0].question).toBe(SERVICE.question);

    // Three visitors ask that question and give the answer a thumbs-down. Nothing else changes.
    for (const visitor of ['vis_a', 'vis_b', 'vis_c']) {
      const reply = await chat(bot, visitor, ASKED);
      expect(reply.body.sources[0].question).toBe(SERVICE.question);
      const rated = await rate(reply.body.conversation_id, { message_id: reply.body.message_id, rating: 'down', visitor_id: visitor });
      expect(rated.status, rated.text).toBe(200);
    }

    const after = { asked: await ranking(bot.id, ASKED), similar: await ranking(bot.id, SIMILAR), unrelated: await ranking(bot.id, UNRELATED) };
    expect(after.asked[0].question).toBe(REPAIR.question);
    expect(after.similar[0].question).toBe(REPAIR.question);
    expect(after.unrelated).toEqual(before.unrelated);
    // Only the rated entry moved, and by a bounded factor; the other kept its score.
    const score = (rows: { question: string; score: number }[], q: string) => rows.find((r) => r.question === q)!.score;
    expect(score(after.asked, REPAIR.question)).toBe(score(before.asked, REPAIR.question));
    expect(score(after.asked, SERVICE.question) / score(before.asked, SERVICE.question)).toBeGreaterThanOrEqual(MIN_FACTOR);
    expect(score(after.asked, SERVICE.question)).toBeLessThan(score(before.asked, SERVICE.question));
    // The same shows in the chat itself: the next visitor gets the other answer, for both phrasings.
    expect((await chat(bot, 'vis_next', ASKED)).body.sources[0].question).toBe(REPAIR.question);
    expect((await chat(bot, 'vis_other', SIMILAR)).body.sources[0].question).toBe(REPAIR.question);
    expect((await chat(bot, 'vis_hours', UNRELATED)).body.sources[0].question).toBe(HOURS.question);

    // Thumbs-up works the other way. Visitors who meant the yearly service say whether each answer
    // was it: the plan is rated down, the service entry up whenever it answers, and it wins its place back.
    const serviceId = first.body.sources[0].id as string;
    const lowest = (await feedbackFactors(hub.deps, bot.id, ASKED)).get(serviceId)!;
    expect(lowest).toBeLessThan(1);
    let ups = 0;
    for (const visitor of ['vis_e', 'vis_f', 'vis_g', 'vis_h', 'vis_i', 'vis_j']) {
      const reply = await chat(bot, visitor, `${ASKED} I mean the yearly service`);
      const right = reply.body.sources[0].question === SERVICE.question;
      ups += right ? 1 : 0;
      await rate(reply.body.conversation_id, { message_id: reply.body.message_id, rating: right ? 'up' : 'down', visitor_id: visitor });
    }
    expect(ups).toBeGreaterThan(0);
    const factors = await feedbackFactors(hub.deps, bot.id, ASKED);
    expect(factors.get(serviceId)).toBeGreaterThan(lowest);
    for (const f of factors.values()) {
      expect(f).toBeGreaterThanOrEqual(MIN_FACTOR);
      expect(f).toBeLessThanOrEqual(MAX_FACTOR);
    }
    expect((await ranking(bot.id, ASKED))[0].question).toBe(SERVICE.question);
    expect(await ranking(bot.id, UNRELATED)).toEqual(before.unrelated);
  });

  it('one rating per message, by the conversation’s own visitor: a second call updates it; message.rated is delivered through a webhook each time it changes', async () => {
    const bot = await newBot('Feedback Bot', { escalation: { on_thumbs_down: false } });
    const reply = await chat(bot, 'vis_rater', ASKED);
    const conv = reply.body.conversation_id as string;
    const first = await rate(conv, { message_id: reply.body.message_id, rating: 'up', visitor_id: 'vis_rater' }, ALLOWED);
    expect(first.status, first.text).toBe(200);
    expect(first.body).toEqual({ message_id: reply.body.message_id, rating: 'up', updated: false });
    expect(first.headers['access-control-allow-origin']).toBe(ALLOWED);

    const second = await rate(conv, {
      message_id: reply.body.message_id,
      rating: 'down',
      comment: 'I asked about the yearly service price.',
      visitor_id: 'vis_rater',
    });
    expect(second.body).toEqual({ message_id: reply.body.message_id, rating: 'down', updated: true });
    // The same again changes nothing and is not news.
    const same = await rate(conv, {
      message_id: reply.body.message_id,
      rating: 'down',
      comment: 'I asked about the yearly service price.',
      visitor_id: 'vis_rater',
    });
    expect(same.body.updated).toBe(true);
    // Another visitor cannot rate a conversation that is not theirs (issue 12).
    const other = await rate(conv, { message_id: reply.body.message_id, rating: 'up', visitor_id: 'vis_colleague' });
    expect(other.status).toBe(403);
    expect(other.body.error).toMatchObject({ code: 'NOT_YOUR_CONVERSATION', details: [{ path: 'body.visitor_id' }] });
    const stored = await hub.deps.db.selectFrom('message_ratings').selectAll().where('message_id', '=', reply.body.message_id).orderBy('visitor_id').execute();
    expect(stored.map((r) => [r.visitor_id, r.rating, r.comment])).toEqual([['vis_rater', 'down', 'I asked about the yearly service price.']]);

    const mine = () => at('/rated').filter((b) => b.message_id === reply.body.message_id);
    await waitFor(() => mine().length >= 2, 15_000, 'two message.rated deliveries');
    await sleep(800);
    const delivered = mine().sort((a, b) => String(a.rating).localeCompare(String(b.rating)));
    expect(delivered).toHaveLength(2);
    const down = delivered.find((b) => b.rating === 'down')!;
    expect(down).toMatchObject({
      eventType: 'message.rated',
      customerId: ws.teamId,
      chatbotId: bot.id,
      conversationId: conv,
      message_id: reply.body.message_id,
      comment: 'I asked about the yearly service price.',
      question: ASKED,
      answer: SERVICE.answer,
      chatbot_name: 'Feedback Bot',
    });
    const validate = compileSchema(builtinEventType('message.rated')!.schema);
    for (const body of delivered) expect(validateValue(validate, body, 'data')).toEqual([]);
    expect(down.rated_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);

    const transcript = await api('get', `/chatbots/${bot.id}/conversations/${conv}`);
    // The transcript shows the message's latest rating.
    expect(transcript.body.messages[1]).toMatchObject({
      role: 'bot',
      rating: { rating: 'down', comment: 'I asked about the yearly service price.', visitor_id: 'vis_rater', rated_at: expect.any(String) },
    });
  });

  it('answers 404 for an unknown conversation or a message of another one, 422 for a visitor’s own message, 403 for an origin not allowed', async () => {
    const bot = await newBot('Strict Bot');
    const a = await chat(bot, 'vis_x', ASKED);
    const b = await chat(bot, 'vis_y', 'What are your opening hours?');
    const conv = a.body.conversation_id as string;
    const shape = { error: { code: expect.any(String), message: expect.any(String) } };

    const unknown = await rate('conv_00000000000000000000000000', { message_id: a.body.message_id, rating: 'up', visitor_id: 'vis_x' });
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ error: { code: 'NOT_FOUND' } });
    expect((await rate('not-a-conversation', { message_id: a.body.message_id, rating: 'up', visitor_id: 'vis_x' })).status).toBe(404);

    const elsewhere = await rate(conv, { message_id: b.body.message_id, rating: 'up', visitor_id: 'vis_x' });
    expect(elsewhere.status).toBe(404);
    expect(elsewhere.body).toMatchObject(shape);
    expect(elsewhere.body.error.details).toEqual([expect.objectContaining({ path: 'body.message_id' })]);
    expect((await rate(conv, { message_id: 'cmsg_00000000000000000000000000', rating: 'up', visitor_id: 'vis_x' })).status).toBe(404);

    const transcript = await api('get', `/chatbots/${bot.id}/conversations/${conv}`);
    const visitorMessage = transcript.body.messages.find((m: { role: string }) => m.role === 'visitor');
    const own = await rate(conv, { message_id: visitorMessage.id, rating: 'down', visitor_id: 'vis_x' });
    expect(own.status).toBe(422);
    expect(own.body).toMatchObject({ error: { code: 'NOT_RATABLE', details: [{ path: 'body.message_id' }] } });

    const refused = await rate(conv, { message_id: a.body.message_id, rating: 'up', visitor_id: 'vis_x' }, REFUSED);
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('ORIGIN_NOT_ALLOWED');
    expect(refused.headers['access-control-allow-origin']).toBeUndefined();
    // Nothing was stored by any of these.
    expect(
      await hub.deps.db.selectFrom('message_ratings').select('message_id').where('conversation_id', 'in', [conv, b.body.conversation_id]).execute(),
    ).toEqual([]);

    // A browser's preflight, and the widget's JSON sent as text/plain (no preflight).
    const options = await supertest(hub.url)
      .options(`/api/public/conversations/${conv}/rate`)
      .set('origin', ALLOWED)
      .set('access-control-request-method', 'POST');
    expect(options.status).toBe(204);
    expect(options.headers['access-control-allow-origin']).toBe(ALLOWED);
    const refusedPreflight = await supertest(hub.url).options(`/api/public/conversations/${conv}/rate`).set('origin', REFUSED);
    expect(refusedPreflight.status).toBe(403);
    const plain = await hub
      .api('post', `/api/public/conversations/${conv}/rate`)
      .set('origin', ALLOWED)
      .set('content-type', 'text/plain;charset=UTF-8')
      .send(JSON.stringify({ message_id: a.body.message_id, rating: 'up', visitor_id: 'vis_x' }));
    expect(plain.status, plain.text).toBe(200);
    expect(plain.body).toEqual({ message_id: a.body.message_id, rating: 'up', updated: false });
  });

  it('a thumbs-down escalates once when the chatbot’s escalation.on_thumbs_down is on, and not otherwise', async () => {
    const eager = await newBot('Eager Bot', { escalation: { on_thumbs_down: true } });
    const calm = await newBot('Calm Bot', { escalation: { on_thumbs_down: false } });
    const e = await chat(eager, 'vis_sad', ASKED);
    const c = await chat(calm, 'vis_sad', ASKED);
    expect((await rate(e.body.conversation_id, { message_id: e.body.message_id, rating: 'down', visitor_id: 'vis_sad' })).status).toBe(200);
    expect((await rate(c.body.conversation_id, { message_id: c.body.message_id, rating: 'down', visitor_id: 'vis_sad' })).status).toBe(200);
    // A second thumbs-down in the escalated conversation does not escalate again.
    const more = await chat(eager, 'vis_sad', 'And a boiler repair?', e.body.conversation_id);
    await rate(e.body.conversation_id, { message_id: more.body.message_id, rating: 'down', visitor_id: 'vis_sad' });

    const escalations = () => at('/ops').filter((b) => b.eventType === 'escalation.created');
    const delivered = await waitFor(() => escalations().find((b) => b.conversationId === e.body.conversation_id), 15_000, 'the escalation');
    expect(delivered).toMatchObject({ reason: 'negative_feedback', chatbotId: eager.id, chatbot_name: 'Eager Bot' });
    await sleep(1000);
    expect(escalations().filter((b) => b.conversationId === e.body.conversation_id)).toHaveLength(1);
    expect(escalations().filter((b) => b.conversationId === c.body.conversation_id)).toHaveLength(0);
    expect((await api('get', `/chatbots/${calm.id}/conversations/${c.body.conversation_id}`)).body.escalated_at).toBeNull();
    expect((await api('get', `/chatbots/${eager.id}/conversations/${e.body.conversation_id}`)).body.escalated_at).toEqual(expect.any(String));
  });
});
