import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newWorkspace, startTestHub, waitFor, type TestHub } from './support/hub.ts';
import { startReceiver } from './support/receiver.ts';

const V = '/api/v1';

describe('API keys: rotation and resource scopes', () => {
  let hub: TestHub;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let ws: Awaited<ReturnType<typeof newWorkspace>>;
  beforeAll(async () => {
    hub = await startTestHub();
    receiver = await startReceiver();
    ws = await newWorkspace(hub);
  });
  afterAll(async () => {
    await hub?.close();
    await receiver?.close();
  });

  const mint = async (scopes: string[], name = scopes.join('+')) => {
    const res = await hub.api('post', `${V}/api-keys`, ws.token).send({ name, scopes });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body as { id: string; key: string; name: string; scopes: string[] };
  };
  const publish = (key: string, path = `${V}/publish`) =>
    hub.api('post', path, key).send({ eventType: 'lead.captured', data: { name: 'Jane', email: 'jane@example.com' } });

  describe('rotation', () => {
    it('stops the old key at once and shows the new one, with the same name and scopes, in the answer only', async () => {
      const old = await mint(['read', 'publish'], 'shop sync');
      expect((await hub.api('get', `${V}/sources`, old.key)).status).toBe(200);
      // Cached now: the rotation must not leave it working for the cache's second.
      expect((await hub.api('get', `${V}/sources`, old.key)).status).toBe(200);

      const rotated = await hub.api('post', `${V}/api-keys/${old.id}/rotate`, ws.token);
      expect(rotated.status).toBe(201);
      expect(rotated.body).toMatchObject({ name: 'shop sync', scopes: ['publish', 'read'], kind: 'api_key', replaces: old.id });
      expect(rotated.body.key).toMatch(/^wh_live_/);
      expect(rotated.body.key).not.toBe(old.key);
      expect(rotated.body.id).not.toBe(old.id);

      const refused = await hub.api('get', `${V}/sources`, old.key);
      expect([refused.status, refused.body.error.code]).toEqual([401, 'UNAUTHORIZED']);
      expect((await publish(old.key)).status).toBe(401);
      expect((await hub.api('get', `${V}/sources`, rotated.body.key)).status).toBe(200);
      expect((await publish(rotated.body.key)).status).toBe(202);

      // Listed by its prefix, never in full again.
      const list = (await hub.api('get', `${V}/api-keys`, ws.token)).body.models as { id: string; key?: string; prefix: string }[];
      expect(list.map((k) => k.id)).toContain(rotated.body.id);
      expect(list.map((k) => k.id)).not.toContain(old.id);
      expect(list.every((k) => k.key === undefined)).toBe(true);
      expect(JSON.stringify(list)).not.toContain(rotated.body.key);
      // Rotating it again (the old id) is a 404; the new one rotates.
      expect((await hub.api('post', `${V}/api-keys/${old.id}/rotate`, ws.token)).status).toBe(404);
    });

    it('is allowed to whoever may make keys: owners, admins and write keys, not members, read-only keys or the project key', async () => {
      const target = await mint(['read']);
      const readOnly = await mint(['read'], 'looker');
      const asReader = await hub.api('post', `${V}/api-keys/${target.id}/rotate`, readOnly.key);
      expect([asReader.status, asReader.body.error.code]).toEqual([403, 'INSUFFICIENT_SCOPE']);
      const scoped = await mint(['webhooks:write', 'events:read', 'publish', 'chat:read'], 'narrow');
      expect((await hub.api('post', `${V}/api-keys/${target.id}/rotate`, scoped.key)).status).toBe(403);

      // A member (invited, accepted) may not.
      const invite = await hub.api('post', `${V}/teams/${ws.teamId}/invites`, ws.token).send({ email: 'member@example.test', role: 'member' });
      const member = await hub
        .api('post', `${V}/auth/signup`)
        .send({ email: 'member@example.test', password: 'correct horse battery', name: 'M', workspace: 'Own' });
      const token = invite.body.url.split('/invite/')[1] as string;
      expect((await hub.api('post', `${V}/invites/${token}/accept`, member.body.token)).status).toBe(200);
      const asMember = await hub.api('post', `${V}/api-keys/${target.id}/rotate`, member.body.token).set('x-team-id', ws.teamId);
      expect([asMember.status, asMember.body.error.code]).toEqual([403, 'FORBIDDEN']);

      // The project key speaks for nobody: it cannot mint, so it cannot rotate a person's key.
      const secrets = await hub.api('get', `${V}/project-secrets?reveal=true`, ws.token);
      const asProject = await hub.api('post', `${V}/api-keys/${target.id}/rotate`, secrets.body.api_key.value);
      expect([asProject.status, asProject.body.error.code]).toEqual([403, 'FORBIDDEN']);

      // A write key rotates, and the old key is gone.
      const byKey = await hub.api('post', `${V}/api-keys/${target.id}/rotate`, ws.key);
      expect(byKey.status).toBe(201);
      expect((await hub.api('get', `${V}/sources`, target.key)).status).toBe(401);
      // Another team's key is not found.
      const other = await newWorkspace(hub);
      expect((await hub.api('post', `${V}/api-keys/${byKey.body.id}/rotate`, other.token)).status).toBe(404);
    });

    it('rotates the project key in place, showing the new one once', async () => {
      const before = (await hub.api('get', `${V}/project-secrets?reveal=true`, ws.token)).body.api_key.value as string;
      expect((await hub.api('get', `${V}/sources`, before)).status).toBe(200);
      const list = (await hub.api('get', `${V}/api-keys`, ws.token)).body.models as { id: string; kind: string }[];
      const project = list.find((k) => k.kind === 'project_key')!;
      const rotated = await hub.api('post', `${V}/api-keys/${project.id}/rotate`, ws.token);
      expect(rotated.status).toBe(201);
      expect(rotated.body).toMatchObject({ id: project.id, kind: 'project_key', replaces: project.id });
      expect((await hub.api('get', `${V}/sources`, before)).status).toBe(401);
      expect((await hub.api('get', `${V}/sources`, rotated.body.key)).status).toBe(200);
    });
  });

  describe('resource scopes', () => {
    let eventId: string;
    let requestId: string;
    let webhookId: string;
    let botId: string;
    beforeAll(async () => {
      const hook = await hub.api('post', `${V}/webhooks`, ws.key).send({ name: 'crm', url: `${receiver.url}/crm`, events: ['lead.captured'] });
      expect(hook.status).toBe(201);
      webhookId = hook.body.id;
      const published = await publish(ws.key);
      expect(published.status).toBe(202);
      const event = await waitFor(
        async () => {
          const res = await hub.api('get', `${V}/events?status=SUCCESSFUL`, ws.key);
          return res.body.models?.[0] as { id: string; request_id: string } | undefined;
        },
        15_000,
        'the delivery',
      );
      eventId = event.id;
      requestId = event.request_id;
      const bot = await hub.api('post', `${V}/chatbots`, ws.key).send({ name: 'Support' });
      expect(bot.status).toBe(201);
      botId = bot.body.id;
    });

    /** The status each call answers with `key`. */
    const statuses = async (key: string, calls: [method: 'get' | 'post' | 'patch' | 'delete', path: string, body?: object][]) => {
      const out: Record<string, number> = {};
      for (const [method, path, body] of calls) {
        const req = hub.api(method, `${V}${path}`, key);
        out[`${method.toUpperCase()} ${path}`] = (await (body ? req.send(body) : req)).status;
      }
      return out;
    };
    const denied = async (key: string, method: 'get' | 'post', path: string, needed: string[], body?: object) => {
      const req = hub.api(method, `${V}${path}`, key);
      const res = await (body ? req.send(body) : req);
      expect([res.status, res.body.error?.code], `${method} ${path}`).toEqual([403, 'INSUFFICIENT_SCOPE']);
      expect(res.body.error.details.needed).toEqual(needed);
      for (const s of needed) expect(res.body.error.message).toContain(`"${s}"`);
    };

    it('a publish-only key publishes, on every path, and does nothing else', async () => {
      const { key } = await mint(['publish']);
      expect((await publish(key)).status).toBe(202);
      expect((await publish(key, '/v1/publish')).status).toBe(202);
      // A spelling Express serves (the trailing slash) checks the same scope.
      expect((await publish(key, `${V}/publish/`)).status).toBe(202);
      await denied(key, 'get', '/sources', ['read']);
      await denied(key, 'get', '/events', ['read', 'events:read']);
      await denied(key, 'get', '/webhooks', ['read', 'webhooks:write']);
      await denied(key, 'post', '/webhooks', ['write', 'webhooks:write'], { name: 'x', url: `${receiver.url}/x`, events: ['lead.captured'] });
      await denied(key, 'post', '/sources', ['write'], { name: 'nope' });
      await denied(key, 'get', '/auth/me', ['read']);
      await denied(key, 'get', '/chatbots', ['read', 'chat:read']);
    });

    it('events:read reads the events, requests and attempts logs only', async () => {
      const { key } = await mint(['events:read']);
      expect(
        await statuses(key, [
          ['get', '/events'],
          ['get', `/events/${eventId}`],
          ['get', '/events/count'],
          ['get', '/requests'],
          ['get', `/requests/${requestId}`],
          ['get', `/requests/${requestId}/events`],
          ['get', `/attempts?event_id=${eventId}`],
          ['get', '/ignored_events'],
          ['get', '/events/bulk_operations'],
        ]),
      ).toEqual({
        'GET /events': 200,
        [`GET /events/${eventId}`]: 200,
        'GET /events/count': 200,
        'GET /requests': 200,
        [`GET /requests/${requestId}`]: 200,
        [`GET /requests/${requestId}/events`]: 200,
        [`GET /attempts?event_id=${eventId}`]: 200,
        'GET /ignored_events': 200,
        'GET /events/bulk_operations': 200,
      });
      await denied(key, 'post', `/events/${eventId}/retry`, ['write']);
      await denied(key, 'post', `/requests/${requestId}/retry`, ['write']);
      await denied(key, 'get', '/sources', ['read']);
      await denied(key, 'get', '/destinations', ['read']);
      await denied(key, 'get', '/event-types', ['read']);
      await denied(key, 'get', '/webhooks', ['read', 'webhooks:write']);
      await denied(key, 'post', '/publish', ['write', 'publish'], { eventType: 'lead.captured', data: {} });
    });

    it('webhooks:write manages and reads webhooks, and touches nothing else', async () => {
      const { key } = await mint(['webhooks:write']);
      const made = await hub.api('post', `${V}/webhooks`, key).send({ name: 'scoped', url: `${receiver.url}/scoped`, events: ['lead.captured'] });
      expect(made.status, JSON.stringify(made.body)).toBe(201);
      expect(
        await statuses(key, [
          ['get', '/webhooks'],
          ['get', `/webhooks/${made.body.id}`],
          ['patch', `/webhooks/${made.body.id}`, { url: `${receiver.url}/scoped2` }],
          ['post', `/webhooks/${made.body.id}/disable`],
          ['post', `/webhooks/${made.body.id}/rotate-secret`],
          ['post', '/mappings/preview', { eventType: 'lead.captured' }],
          ['delete', `/webhooks/${made.body.id}`],
        ]),
      ).toEqual({
        'GET /webhooks': 200,
        [`GET /webhooks/${made.body.id}`]: 200,
        [`PATCH /webhooks/${made.body.id}`]: 200,
        [`POST /webhooks/${made.body.id}/disable`]: 200,
        [`POST /webhooks/${made.body.id}/rotate-secret`]: 200,
        'POST /mappings/preview': 200,
        [`DELETE /webhooks/${made.body.id}`]: 200,
      });
      await denied(key, 'get', '/events', ['read', 'events:read']);
      await denied(key, 'get', '/destinations', ['read']);
      await denied(key, 'post', '/sources', ['write'], { name: 'nope' });
      await denied(key, 'post', '/publish', ['write', 'publish'], { eventType: 'lead.captured', data: {} });
      // Minting credentials takes `write`: a resource scope never makes keys.
      await denied(key, 'post', '/api-keys', ['write'], { name: 'escalate', scopes: ['write'] });
      expect((await hub.api('get', `${V}/webhooks/${webhookId}`, key)).status).toBe(200);
    });

    it('chat:read reads chatbots and their conversations, and nothing else', async () => {
      const { key } = await mint(['chat:read']);
      expect(
        await statuses(key, [
          ['get', '/chatbots'],
          ['get', `/chatbots/${botId}`],
          ['get', `/chatbots/${botId}/conversations`],
          ['get', `/chatbots/${botId}/entries`],
        ]),
      ).toEqual({
        'GET /chatbots': 200,
        [`GET /chatbots/${botId}`]: 200,
        [`GET /chatbots/${botId}/conversations`]: 200,
        [`GET /chatbots/${botId}/entries`]: 200,
      });
      await denied(key, 'post', '/chatbots', ['write'], { name: 'Another' });
      await denied(key, 'post', `/chatbots/${botId}/preview-chat`, ['write'], { message: 'hi' });
      await denied(key, 'get', '/events', ['read', 'events:read']);
      await denied(key, 'get', '/sources', ['read']);
    });

    it('read and write keep meaning everything, and scopes combine', async () => {
      const reader = await mint(['read']);
      expect(
        await statuses(reader.key, [
          ['get', '/sources'],
          ['get', '/events'],
          ['get', '/webhooks'],
          ['get', '/chatbots'],
        ]),
      ).toEqual({
        'GET /sources': 200,
        'GET /events': 200,
        'GET /webhooks': 200,
        'GET /chatbots': 200,
      });
      await denied(reader.key, 'post', '/publish', ['write', 'publish'], { eventType: 'lead.captured', data: {} });
      const writer = await mint(['write']);
      expect((await publish(writer.key)).status).toBe(202);
      expect((await hub.api('post', `${V}/sources`, writer.key).send({ name: 'by-writer' })).status).toBe(201);
      await denied(writer.key, 'get', '/sources', ['read']);

      const both = await mint(['events:read', 'publish']);
      expect((await publish(both.key)).status).toBe(202);
      expect((await hub.api('get', `${V}/events`, both.key)).status).toBe(200);
      await denied(both.key, 'get', '/sources', ['read']);
    });

    it('refuses an unknown scope when the key is made, naming the scopes there are', async () => {
      for (const scopes of [['admin'], ['read', 'webhooks:read'], ['Publish'], []]) {
        const res = await hub.api('post', `${V}/api-keys`, ws.token).send({ name: 'bad', scopes });
        expect([res.status, res.body.error.code], JSON.stringify(scopes)).toEqual([400, 'VALIDATION_ERROR']);
        expect(res.body.error.details[0].path).toMatch(/^body\.scopes/);
      }
      const res = await hub.api('post', `${V}/api-keys`, ws.token).send({ name: 'bad', scopes: ['admin'] });
      expect(res.body.error.details[0].message).toContain('webhooks:write, events:read, publish, chat:read');
      const listed = await mint(['publish', 'events:read', 'publish']);
      expect(listed.scopes).toEqual(['events:read', 'publish']);
      const me = await hub.api('get', `${V}/auth/me`, (await mint(['read', 'chat:read'])).key);
      expect(me.body.key.scopes).toEqual(['chat:read', 'read']);
    });
  });
});
