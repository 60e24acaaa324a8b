// Phone numbers typed the local way ("(415) 555-0199"): read with the chatbot's default country,
// else the visitor's browser language; a number the bot cannot read gets a specific reply, not "I
// don't have an answer". And the portal's "Try it" preview, which chats through the same handler.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSettings } from '../server/chat/chatbot-settings.ts';
import { phoneRegion, unreadablePhone, unreadablePhoneReply, withoutContactDetails } from '../server/chat/leads.ts';
import { newWorkspace, startTestHub, type TestHub } from './support/hub.ts';

const V = '/api/v1';
const UNREADABLE = "I couldn't read that phone number — could you type it with the country code, like +1 415 555 0199?";

describe('phone numbers in the chat: the parts', () => {
  it('takes the chatbot’s country first, then the browser language’s region', () => {
    const none = readSettings({});
    const gb = readSettings({ lead_capture: { fields: ['email'], after_messages: 0, default_region: 'GB' } });
    expect(phoneRegion(none, undefined)).toBeUndefined();
    expect(phoneRegion(none, 'en-US')).toBe('US');
    expect(phoneRegion(none, 'fr-CA')).toBe('CA');
    expect(phoneRegion(none, 'de')).toBe('DE');
    expect(phoneRegion(none, 'not a tag!')).toBeUndefined();
    expect(phoneRegion(gb, 'en-US')).toBe('GB');
  });

  it('knows a phone number it could not read from prices, dates and order numbers', () => {
    expect(unreadablePhone('(415) 555-0199', undefined)).toBe(true);
    expect(unreadablePhone('my phone is 415 555 0199', undefined)).toBe(true);
    expect(unreadablePhone('4155550199', 'phone')).toBe(true);
    expect(unreadablePhone('Can you come on 2026-12-24?', undefined)).toBe(false);
    expect(unreadablePhone('Is a drain cleaning $149 or more?', undefined)).toBe(false);
    expect(unreadablePhone('Where is my order 1234567, it was due last week and nobody answers', undefined)).toBe(false);
    expect(unreadablePhone('jane.4155550199@example.com', undefined)).toBe(false);
  });

  it('searches the knowledge base without the contact details given', () => {
    expect(
      withoutContactDetails("I'm Dana Fox, dana.fox@example.com, (415) 555-0199", { name: 'Dana Fox', email: 'dana.fox@example.com', phone: '+14155550199' }),
    ).toBe('');
    expect(withoutContactDetails('my name is Jo Lee, do you fix water heaters?', { name: 'Jo Lee' })).toBe(', do you fix water heaters?');
  });

  it('gives an example number in the chatbot’s own country', () => {
    expect(unreadablePhoneReply(undefined)).toBe(UNREADABLE);
    expect(unreadablePhoneReply('US')).toBe(UNREADABLE);
    expect(unreadablePhoneReply('GB')).toMatch(/^I couldn't read that phone number — could you type it with the country code, like \+44 7\d{3} \d{6}\?$/);
  });
});

describe('phone numbers in the chat, through the public endpoint and the portal preview', () => {
  let hub: TestHub;
  let ws: Awaited<ReturnType<typeof newWorkspace>>;
  const api = (method: 'get' | 'post' | 'patch', path: string, key = ws.key) => hub.api(method, `${V}${path}`, key);
  const bots: Record<string, { id: string; public_key: string }> = {};
  let visitor = 0;
  /** One conversation: each message in turn, answering the last reply. */
  const converse = async (bot: string, messages: string[], extra: Record<string, unknown> = {}) => {
    let conversation: string | null = null;
    const replies: { reply: string; lead: Record<string, unknown>; escalated: boolean }[] = [];
    const vis = `vis_${++visitor}`;
    for (const message of messages) {
      const res: { status: number; text: string; body: { conversation_id: string; reply: string; lead: Record<string, unknown>; escalated: boolean } } =
        await hub
          .api('post', '/api/public/system-chat')
          .send({ chatbot_key: bots[bot].public_key, visitor_id: vis, message, ...(conversation ? { conversation_id: conversation } : {}), ...extra });
      expect(res.status, res.text).toBe(200);
      conversation = res.body.conversation_id;
      replies.push(res.body);
    }
    return replies;
  };

  beforeAll(async () => {
    hub = await startTestHub();
    ws = await newWorkspace(hub);
    for (const [name, region] of [
      ['none', null],
      ['us', 'US'],
    ] as const) {
      const res = await api('post', '/chatbots').send({
        name,
        settings: { lead_capture: { fields: ['email', 'phone'], after_messages: 0, default_region: region } },
      });
      expect(res.status, res.text).toBe(201);
      bots[name] = res.body;
    }
    await api('post', `/chatbots/${bots.us.id}/entries/import`).send([
      { question: 'What are your opening hours?', answer: 'Monday to Friday, 8am to 6pm.', tags: [] },
    ]);
  });
  afterAll(() => hub?.close());

  it('reads "(415) 555-0199" with the chatbot’s default country', async () => {
    const [r] = await converse('us', ['jane@example.com, (415) 555-0199']);
    expect(r.lead).toMatchObject({ email: 'jane@example.com', phone: '+14155550199', complete: true });
  });

  it('reads it with the browser’s language when the chatbot has no country', async () => {
    const [r] = await converse('none', ['jane@example.com (415) 555-0199'], { locale: 'en-US' });
    expect(r.lead).toMatchObject({ phone: '+14155550199', complete: true });
  });

  it('reads the browser’s Accept-Language when a client sends no locale', async () => {
    const res = await hub
      .api('post', '/api/public/system-chat')
      .set('accept-language', 'en-US,en;q=0.9')
      .send({ chatbot_key: bots.none.public_key, visitor_id: 'vis_header', message: 'joe@example.com (415) 555-0199' });
    expect(res.status, res.text).toBe(200);
    expect(res.body.lead).toMatchObject({ phone: '+14155550199', complete: true });
  });

  it('without either, asks for the country code instead of "I don’t have an answer", and never escalates for it', async () => {
    const replies = await converse('none', ['jane@example.com', '(415) 555-0199', '415-555-0199', '+1 415 555 0199']);
    expect(replies[0].lead.asking).toBe('phone');
    for (const r of replies.slice(1, 3)) {
      expect(r.reply).toBe(UNREADABLE);
      expect(r.reply).not.toMatch(/don't have an answer/);
      expect(r.escalated).toBe(false);
      expect(r.lead).toMatchObject({ asking: 'phone', complete: false });
    }
    expect(replies[3].lead).toMatchObject({ phone: '+14155550199', complete: true });
    const convs = await api('get', `/chatbots/${bots.none.id}/conversations`);
    const conv = convs.body.models.find((c: { lead: { phone: string | null } }) => c.lead.phone === '+14155550199');
    expect(conv).toMatchObject({ fallbacks: 0, escalated_at: null });
  });

  it('takes digits for a phone number only when the chatbot asks for phone numbers', async () => {
    const res = await api('post', '/chatbots').send({
      name: 'no phones',
      settings: { lead_capture: { fields: ['email'], after_messages: 0, default_region: null } },
    });
    bots.nophone = res.body;
    const [r] = await converse('nophone', ['(415) 555-0199']);
    expect(r.reply).not.toContain("couldn't read that phone number");
  });

  it('refuses a locale that is not a language tag, naming the field', async () => {
    const res = await hub
      .api('post', '/api/public/system-chat')
      .send({ chatbot_key: bots.none.public_key, visitor_id: 'v', message: 'hi', locale: 'en_US; drop' });
    expect(res.status).toBe(400);
    expect(res.body.error.details).toEqual([expect.objectContaining({ path: 'body.locale' })]);
  });

  it('the portal preview answers from the knowledge base and captures the lead, in the caller’s workspace only', async () => {
    const first = await api('post', `/chatbots/${bots.us.id}/preview-chat`, ws.token).send({ message: 'What are your opening hours?' });
    expect(first.status, first.text).toBe(200);
    expect(first.body.reply).toContain('Monday to Friday, 8am to 6pm.');
    const second = await api('post', `/chatbots/${bots.us.id}/preview-chat`, ws.token).send({
      message: 'ann@example.com (415) 555-0199',
      conversation_id: first.body.conversation_id,
    });
    expect(second.status, second.text).toBe(200);
    expect(second.body.lead).toMatchObject({ email: 'ann@example.com', phone: '+14155550199', complete: true });
    const leads = await api('get', `/chatbots/${bots.us.id}/leads`);
    expect(leads.body.models).toContainEqual(expect.objectContaining({ email: 'ann@example.com', phone: '+14155550199' }));
    const convs = await api('get', `/chatbots/${bots.us.id}/conversations`);
    expect(convs.body.models.find((c: { id: string }) => c.id === first.body.conversation_id).visitor_id).toMatch(/^portal-preview:usr_/);

    const other = await newWorkspace(hub);
    const foreign = await api('post', `/chatbots/${bots.us.id}/preview-chat`, other.token).send({ message: 'hello' });
    expect(foreign.status).toBe(404);
    expect(foreign.body.error.code).toBe('NOT_FOUND');
    const bad = await api('post', `/chatbots/${bots.us.id}/preview-chat`, ws.token).send({ message: '', extra: 1 });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.map((d: { path: string }) => d.path).sort()).toEqual(['body.extra', 'body.message']);
    const readOnly = await newWorkspace(hub, ['read']);
    expect((await api('post', `/chatbots/${bots.us.id}/preview-chat`, readOnly.key).send({ message: 'hi' })).status).toBe(403);
  });
});
