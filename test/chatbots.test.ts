import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newWorkspace, startTestHub, type TestHub } from './support/hub.ts';

const V = '/api/v1';

describe('chatbots: the management API', () => {
  let hub: TestHub;
  let ws: Awaited<ReturnType<typeof newWorkspace>>;
  let other: Awaited<ReturnType<typeof newWorkspace>>;
  let readonly: Awaited<ReturnType<typeof newWorkspace>>;
  const api = (method: 'get' | 'post' | 'patch' | 'put' | 'delete', path: string, key = ws.key) => hub.api(method, `${V}${path}`, key);
  const ask = (key: string, message: string, visitor = 'vis_1') =>
    hub.api('post', '/api/public/system-chat').send({ chatbot_key: key, visitor_id: visitor, message });

  beforeAll(async () => {
    hub = await startTestHub();
    ws = await newWorkspace(hub);
    other = await newWorkspace(hub);
    readonly = await newWorkspace(hub, ['read']);
  });
  afterAll(async () => {
    await hub?.close();
  });

  it('creates a chatbot with default settings, patches only what it names, and keeps it to its workspace', async () => {
    const created = await api('post', '/chatbots').send({
      name: 'Support',
      settings: { allowed_origins: ['https://shop.example.com/'], lead_capture: { default_region: 'gb' } },
    });
    expect(created.status, created.text).toBe(201);
    expect(created.body).toMatchObject({
      id: expect.stringMatching(/^bot_/),
      name: 'Support',
      welcome_message: expect.any(String),
      public_key: expect.stringMatching(/^pk_[A-Za-z0-9_-]{20,}$/),
      settings: {
        lead_capture: { fields: ['name', 'email', 'phone'], after_messages: 2, default_region: 'GB' },
        escalation: { keywords: expect.arrayContaining(['human', 'agent']), after_fallbacks: 2, on_thumbs_down: true },
        rate_limits: { per_minute: 20, per_day: 200 },
        allowed_origins: ['https://shop.example.com'],
        confidence_threshold: expect.any(Number),
      },
    });
    const id = created.body.id as string;

    const patched = await api('patch', `/chatbots/${id}`).send({ welcome_message: 'Hello!', settings: { rate_limits: { per_minute: 5 } } });
    expect(patched.status, patched.text).toBe(200);
    expect(patched.body.welcome_message).toBe('Hello!');
    expect(patched.body.settings.rate_limits).toMatchObject({ per_minute: 5, per_day: 200 });
    expect(patched.body.settings.allowed_origins).toEqual(['https://shop.example.com']);

    const bad = await api('post', '/chatbots').send({
      name: '',
      settings: {
        allowed_origins: ['https://x.test/path'],
        confidence_threshold: -1,
        lead_capture: { fields: ['name', 'fax'] },
        rate_limits: { per_minute: 0 },
      },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.map((d: { path: string }) => d.path).sort()).toEqual(
      [
        'body.name',
        'body.settings.allowed_origins.0',
        'body.settings.confidence_threshold',
        'body.settings.lead_capture.fields.1',
        'body.settings.rate_limits.per_minute',
      ].sort(),
    );

    expect((await api('get', '/chatbots')).body.models.map((b: { id: string }) => b.id)).toEqual([id]);
    expect((await api('get', `/chatbots/${id}`, other.key)).status).toBe(404);
    expect((await api('patch', `/chatbots/${id}`, other.key).send({ name: 'Mine now' })).status).toBe(404);
    expect((await api('get', `/chatbots/${id}/conversations`, other.key)).status).toBe(404);
    expect((await api('get', '/chatbots', other.key)).body.models).toEqual([]);
    expect((await api('post', '/chatbots', readonly.key).send({ name: 'No' })).status).toBe(403);
  });

  it('edits entries, and the next answer uses the change at once (the search index follows the knowledge base)', async () => {
    const bot = (await api('post', '/chatbots').send({ name: 'Hours' })).body;
    const entry = await api('post', `/chatbots/${bot.id}/entries`).send({
      question: 'What are your opening hours?',
      answer: 'We are open 9 to 5.',
      tags: ['Hours'],
    });
    expect(entry.status, entry.text).toBe(201);
    expect(entry.body).toMatchObject({ id: expect.stringMatching(/^kbe_/), tags: ['hours'] });
    expect((await ask(bot.public_key, 'opening hours?')).body.reply).toContain('9 to 5');

    const edited = await api('patch', `/chatbots/${bot.id}/entries/${entry.body.id}`).send({ answer: 'We are open 8 to 8 now.' });
    expect(edited.status, edited.text).toBe(200);
    expect((await ask(bot.public_key, 'opening hours?', 'vis_2')).body.reply).toContain('8 to 8');

    expect((await api('delete', `/chatbots/${bot.id}/entries/${entry.body.id}`)).body).toEqual({ id: entry.body.id, deleted: true });
    const gone = await ask(bot.public_key, 'opening hours?', 'vis_3');
    expect(gone.body.sources).toEqual([]);
    expect(gone.body.reply).toMatch(/human/);
    expect((await api('delete', `/chatbots/${bot.id}/entries/${entry.body.id}`)).status).toBe(404);
  });

  it('imports a JSON array, and CSV with quoted commas, line breaks and tags; a bad row refuses the whole import', async () => {
    const bot = (await api('post', '/chatbots').send({ name: 'Importer' })).body;
    const fromJson = await api('post', `/chatbots/${bot.id}/entries/import`).send([
      { question: 'Do you deliver?', answer: 'Yes, within 48 hours.', tags: ['delivery'] },
      { question: 'Can I return an item?', answer: 'Within 30 days.' },
    ]);
    expect(fromJson.status, fromJson.text).toBe(201);
    expect(fromJson.body).toMatchObject({ imported: 2, removed: 0 });

    const csv = [
      'question,answer,tags',
      '"Do you offer gift cards, too?","Yes — from $10, in any amount.",gifts;request_quote',
      '"What is your ""best"" plan?","The Pro plan:',
      'unlimited seats.",pricing|plans',
      'Where are you based?,London,',
    ].join('\r\n');
    const fromCsv = await api('post', `/chatbots/${bot.id}/entries/import`).send({ format: 'csv', csv });
    expect(fromCsv.status, fromCsv.text).toBe(201);
    expect(fromCsv.body.imported).toBe(3);
    expect(fromCsv.body.entries.map((e: { question: string; answer: string; tags: string[] }) => [e.question, e.answer, e.tags])).toEqual([
      ['Do you offer gift cards, too?', 'Yes — from $10, in any amount.', ['gifts', 'request_quote']],
      ['What is your "best" plan?', 'The Pro plan:\r\nunlimited seats.', ['pricing', 'plans']],
      ['Where are you based?', 'London', []],
    ]);
    const listed = await api('get', `/chatbots/${bot.id}/entries?limit=10&dir=asc`);
    expect(listed.body.models).toHaveLength(5);
    expect((await ask(bot.public_key, 'gift cards?')).body.reply).toContain('from $10');

    const badCsv = await api('post', `/chatbots/${bot.id}/entries/import`).send({ csv: 'question,answer\nFine?,Yes\n,missing question' });
    expect(badCsv.status).toBe(422);
    expect(badCsv.body.error.details.map((d: { path: string }) => d.path)).toEqual(['body.csv.2.question']);
    const badHeader = await api('post', `/chatbots/${bot.id}/entries/import`).send({ csv: 'q,a\nx,y' });
    expect(badHeader.status).toBe(422);
    expect(badHeader.body.error.code).toBe('INVALID_CSV');
    const unbalanced = await api('post', `/chatbots/${bot.id}/entries/import`).send({ csv: 'question,answer\n"open,quote' });
    expect(unbalanced.status).toBe(422);
    const badJson = await api('post', `/chatbots/${bot.id}/entries/import`).send([{ question: 'ok', answer: 'ok' }, { question: 'no answer' }]);
    expect(badJson.status).toBe(422);
    expect(badJson.body.error.details.map((d: { path: string }) => d.path)).toEqual(['body.1.answer']);
    expect((await api('get', `/chatbots/${bot.id}/entries`)).body.models).toHaveLength(5);

    const replaced = await api('post', `/chatbots/${bot.id}/entries/import`).send({
      entries: [{ question: 'Only this?', answer: 'Only this.' }],
      replace: true,
    });
    expect(replaced.body).toMatchObject({ imported: 1, removed: 5 });
    expect((await ask(bot.public_key, 'gift cards?', 'vis_9')).body.sources).toEqual([]);
  });

  it('rotates the public key: the old one stops answering', async () => {
    const bot = (await api('post', '/chatbots').send({ name: 'Rotating' })).body;
    expect((await ask(bot.public_key, 'hello')).status).toBe(200);
    const rotated = await api('post', `/chatbots/${bot.id}/rotate-key`);
    expect(rotated.status).toBe(200);
    expect(rotated.body.public_key).not.toBe(bot.public_key);
    expect((await ask(bot.public_key, 'hello')).status).toBe(404);
    expect((await ask(rotated.body.public_key, 'hello')).status).toBe(200);
  });

  it('lists conversations and shows a transcript with ratings; deleting the chatbot removes them', async () => {
    const bot = (await api('post', '/chatbots').send({ name: 'Transcripts' })).body;
    await api('post', `/chatbots/${bot.id}/entries`).send({ question: 'Do you ship abroad?', answer: 'Yes, to the EU and the UK.' });
    const first = await ask(bot.public_key, 'Do you ship abroad?', 'vis_t');
    await ask(bot.public_key, 'hi', 'vis_u');
    // A rating as the rating endpoint stores it.
    const conv = await hub.deps.db.selectFrom('conversations').selectAll().where('id', '=', first.body.conversation_id).executeTakeFirstOrThrow();
    await hub.deps.db
      .insertInto('message_ratings')
      .values({
        message_id: first.body.message_id,
        visitor_id: 'vis_t',
        conversation_id: conv.id,
        workspace_id: conv.workspace_id,
        rating: 'up',
        comment: 'great',
      })
      .execute();

    const list = await api('get', `/chatbots/${bot.id}/conversations?order_by=last_message_at`);
    expect(list.status, list.text).toBe(200);
    expect(list.body.models.map((c: { visitor_id: string }) => c.visitor_id).sort()).toEqual(['vis_t', 'vis_u']);
    expect((await api('get', `/chatbots/${bot.id}/conversations?visitor_id=vis_t`)).body.models).toHaveLength(1);
    const transcript = await api('get', `/chatbots/${bot.id}/conversations/${conv.id}`);
    expect(transcript.body.messages).toEqual([
      expect.objectContaining({ role: 'visitor', text: 'Do you ship abroad?' }),
      expect.objectContaining({
        role: 'bot',
        id: first.body.message_id,
        text: 'Yes, to the EU and the UK.',
        fallback: false,
        rating: expect.objectContaining({ rating: 'up', comment: 'great' }),
      }),
    ]);

    expect((await api('delete', `/chatbots/${bot.id}`)).body).toEqual({ id: bot.id, deleted: true });
    expect(await hub.deps.db.selectFrom('conversations').select('id').where('chatbot_id', '=', bot.id).execute()).toEqual([]);
    expect((await api('get', `/chatbots/${bot.id}`)).status).toBe(404);
  });
});
