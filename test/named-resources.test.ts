import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newWorkspace, startTestHub, type TestHub } from './support/hub.ts';

// Sources and destinations are unique by name in a team (server/gateway/named-resource.ts).
describe('sources and destinations are unique by name, and PUT upserts by that name', () => {
  let hub: TestHub;
  let ws: Awaited<ReturnType<typeof newWorkspace>>;
  beforeAll(async () => {
    hub = await startTestHub();
    ws = await newWorkspace(hub);
  });
  afterAll(async () => {
    await hub?.close();
  });
  const api = (m: 'get' | 'post' | 'put' | 'patch', url: string) => hub.api(m, `/api/v1${url}`, ws.key);

  const kinds = [
    { path: '/sources', noun: 'source', body: (name: string, description?: string) => ({ name, ...(description ? { description } : {}) }) },
    {
      path: '/destinations',
      noun: 'destination',
      body: (name: string, description?: string) => ({ name, url: 'https://example.com/hook', ...(description ? { description } : {}) }),
    },
  ];

  for (const k of kinds) {
    it(`${k.noun}s: PUT creates, PUT again updates the same one`, async () => {
      const first = await api('put', k.path).send(k.body('upserted'));
      expect(first.status, first.text).toBe(201);
      const again = await api('put', k.path).send(k.body('upserted', 'second time'));
      expect(again.status, again.text).toBe(200);
      expect(again.body.id).toBe(first.body.id);
      expect(again.body.description).toBe('second time');
    });

    it(`${k.noun}s: a name taken by another is a 409 on create and on rename`, async () => {
      const a = await api('post', k.path).send(k.body('taken'));
      expect(a.status, a.text).toBe(201);
      const clash = await api('post', k.path).send(k.body('taken'));
      expect(clash.status).toBe(409);
      expect(clash.body.error).toEqual({ code: 'RESOURCE_ALREADY_EXISTS', message: `A ${k.noun} named "taken" already exists.`, details: { name: 'taken' } });
      const b = await api('post', k.path).send(k.body('free'));
      const rename = await api('patch', `${k.path}/${b.body.id}`).send({ name: 'taken' });
      expect(rename.status).toBe(409);
      expect(rename.body.error.message).toBe(`A ${k.noun} named "taken" already exists.`);
      expect((await api('get', `${k.path}/${b.body.id}`)).body.name).toBe('free');
    });
  }
});
