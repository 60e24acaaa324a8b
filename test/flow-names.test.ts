// Names as people type them: a flow called "New leads → my webhook" saves under that name, the
// webhook it makes gets a readable slug of it, a name another object already holds does not fail
// the save, and a bad name is refused with a sentence instead of `body.name: may contain…`.
import { describe, expect, it } from 'vitest';
import { fieldWords, issueSentence, issuesMessage } from '../shared/issue-text.ts';
import { slugName } from '../server/core/validate.ts';
import { hubWithWorkspace, waitFor } from './support/hub.ts';

const V = '/api/v1';

describe('issue sentences and name slugs', () => {
  it('says each zod issue as a sentence naming the field in plain words', () => {
    expect(fieldWords('body.name')).toBe('the name');
    expect(fieldWords('body.config.url')).toBe('the URL');
    expect(fieldWords('body.mappings.1.to')).toBe('the to of item 2 of the field mappings');
    expect(issueSentence({ path: 'body.name', message: 'may contain letters, digits, spaces, dots, dashes, underscores and colons' })).toBe(
      'The name can only contain letters, digits, spaces, dots, dashes, underscores and colons.',
    );
    expect(issueSentence({ path: 'body.name', message: 'Invalid input: expected string, received undefined', code: 'invalid_type' })).toBe(
      'The name is missing.',
    );
    expect(issueSentence({ path: 'body.name', message: 'Too small: expected string to have >=1 characters', code: 'too_small' })).toBe(
      'The name is empty: fill it in.',
    );
    expect(issueSentence({ path: 'body.config.timeout_ms', message: 'Too big: expected number to be <=30000', code: 'too_big' })).toBe(
      'The timeout must be at most 30000.',
    );
    expect(issueSentence({ path: 'body.type', message: 'Invalid option: expected one of "HTTP"|"MOCK_API"', code: 'invalid_value' })).toBe(
      'The type must be one of HTTP, MOCK_API.',
    );
    expect(issueSentence({ path: 'body.colour', message: 'Unrecognized key: "colour"', code: 'unrecognized_keys' })).toBe(
      'The colour is not something this accepts: remove it.',
    );
    expect(issueSentence({ path: 'body.config.columns', message: 'Invalid input: expected array, received undefined', code: 'custom' })).toBe(
      'The columns are missing.',
    );
    expect(issueSentence({ path: 'query.status', message: 'Invalid input' })).toBe('The status is not valid.');
    expect(issuesMessage([1, 2, 3, 4, 5].map(() => ({ path: 'body.name', message: 'Invalid input' })))).toMatch(/\(2 more problems\.\)$/);
  });

  it('slugs a free-text name into the restricted names of derived objects', () => {
    expect(slugName('New leads → my webhook')).toBe('New leads - my webhook');
    expect(slugName('Café “Crème” leads')).toBe('Cafe - Creme - leads');
    expect(slugName('→→→')).toBe('flow');
    expect(slugName('a'.repeat(200), 60)).toHaveLength(60);
  });
});

describe('a flow named as people type it', () => {
  const env = hubWithWorkspace();
  const api = (method: 'get' | 'post' | 'put' | 'delete', path: string) => env.hub.api(method, `${V}${path}`, env.ws.key);
  const graph = (path: string) => ({
    nodes: [
      { id: 'trigger_1', kind: 'trigger', position: { x: 0, y: 0 }, data: { eventType: 'lead.captured' } },
      { id: 'webhook_1', kind: 'webhook', position: { x: 300, y: 0 }, data: { url: `${env.receiver.url}${path}`, signing: 'hmac' } },
    ],
    edges: [{ id: 'e1', source: 'trigger_1', target: 'webhook_1' }],
  });

  it('saves "New leads → my webhook" as typed, names its webhook with a slug of it, and delivers', async () => {
    const saved = await api('post', '/flows').send({ name: '  New leads → my webhook ', graph: graph('/typed') });
    expect(saved.status, saved.text).toBe(201);
    expect(saved.body.name).toBe('New leads → my webhook');
    expect((await api('get', `/flows/${saved.body.id}`)).body.name).toBe('New leads → my webhook');
    const hooks = await api('get', '/webhooks');
    const hook = hooks.body.models.find((h: { url: string }) => h.url.endsWith('/typed'));
    expect(hook.name).toBe(`New leads - my webhook: webhook_1 ${String(saved.body.id).slice(-8)}`);
    expect(hook.description).toContain('"New leads → my webhook"');

    // The same display name twice is fine: a flow's name is not an identifier.
    const twin = await api('post', '/flows').send({ name: 'New leads → my webhook', graph: graph('/twin') });
    expect(twin.status, twin.text).toBe(201);

    const published = await api('post', '/publish').send({ eventType: 'lead.captured', data: { name: 'Jane', email: 'jane@example.com' } });
    expect(published.status).toBe(202);
    await waitFor(
      () => env.receiver.received.some((r) => r.url === '/typed') && env.receiver.received.some((r) => r.url === '/twin'),
      15_000,
      'both flows delivering',
    );
  });

  it('renames a flow onto a name another webhook already holds without failing the save', async () => {
    const saved = await api('post', '/flows').send({ name: 'Orders', graph: graph('/orders') });
    expect(saved.status, saved.text).toBe(201);
    const id = saved.body.id as string;
    // A webhook made by hand under exactly the name the renamed flow's webhook would get.
    const squatter = await api('post', '/webhooks').send({
      name: `Orders - EU: webhook_1 ${id.slice(-8)}`,
      url: `${env.receiver.url}/squat`,
      events: ['lead.captured'],
    });
    expect(squatter.status, squatter.text).toBe(201);
    const renamed = await api('put', `/flows/${id}`).send({ name: 'Orders → EU', graph: graph('/orders') });
    expect(renamed.status, renamed.text).toBe(200);
    expect(renamed.body.name).toBe('Orders → EU');
    const names = (await api('get', '/webhooks')).body.models.map((h: { name: string }) => h.name);
    expect(names).toContain(`Orders - EU: webhook_1 ${id.slice(-8)}`);
    expect(names).toContain(`Orders - EU: webhook_1 ${id.slice(-8)} 2`);
  });

  it('refuses an empty name or control characters with a sentence, in the usual error shape', async () => {
    const empty = await api('post', '/flows').send({ name: '   ', graph: graph('/x') });
    expect(empty.status).toBe(400);
    expect(empty.body.error).toMatchObject({ code: 'VALIDATION_ERROR', message: 'The name is empty: give it a name.', details: [{ path: 'body.name' }] });
    const bell = await api('post', '/flows').send({ name: 'ding\u0007', graph: graph('/x') });
    expect(bell.status).toBe(400);
    expect(bell.body.error.message).toBe('The name cannot contain control characters.');
  });

  it('words every validation error as sentences, not paths', async () => {
    const res = await api('post', '/sources').send({ name: 'a/b<script>' });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('VALIDATION_ERROR');
    expect(res.body.error.message).toBe('The name can only contain letters, digits, spaces, dots, dashes, underscores and colons.');
    expect(res.body.error.message).not.toContain('body.');
    expect(res.body.error.details).toEqual([expect.objectContaining({ path: 'body.name' })]);
  });
});
