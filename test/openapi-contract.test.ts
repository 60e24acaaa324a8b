import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { OpenApiDocument } from '../server/openapi/document.ts';
import { closeSchema, Contract } from './support/contract.ts';
import { newWorkspace, startTestHub, waitFor, type TestHub } from './support/hub.ts';
import { startReceiver } from './support/receiver.ts';

/**
 * Real traffic through a hub, every answer checked against the schema the OpenAPI document gives
 * for its operation and status, with every object closed: a field the service adds that the
 * document lacks, a missing or retyped one, or an undocumented status fails here.
 */
describe('the API answers as its OpenAPI document says', () => {
  let hub: TestHub;
  let doc: OpenApiDocument;
  let c: Contract;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let key: string;
  const V = '/api/v1';

  beforeAll(async () => {
    hub = await startTestHub();
    receiver = await startReceiver();
    doc = (await hub.api('get', `${V}/openapi.json`)).body as OpenApiDocument;
    c = new Contract(hub, doc);
    key = (await newWorkspace(hub)).key;
  }, 60_000);
  /**
   * Declares an event type. Its schema is compiled in a worker pool that answers 503 "retry
   * shortly" while busy (a loaded machine: a browser test beside this one), a documented answer.
   */
  const declare = async (eventType: object) => {
    const res = await waitFor(
      async () => {
        const r = await c.call('post', `${V}/event-types`, key, eventType);
        return r.status === 503 ? false : r;
      },
      30_000,
      'the schema checker',
    );
    expect(res.status, JSON.stringify(res.body)).toBe(201);
  };
  afterAll(async () => {
    await receiver?.close();
    await hub?.close();
  });

  test('the check itself refuses an extra field, a missing one, a wrong type and an undocumented status', async () => {
    const src = (await c.call('post', `${V}/sources`, key, { name: 'probe' }, 201)).body as Record<string, unknown>;
    expect(() => c.check('get', `${V}/sources/${src.id as string}`, 200, 'application/json', { ...src, surprise: 1 })).toThrow(/surprise/);
    const { name: _name, ...nameless } = src;
    expect(() => c.check('get', `${V}/sources/${src.id as string}`, 200, 'application/json', nameless)).toThrow(/name/);
    expect(() => c.check('get', `${V}/sources/${src.id as string}`, 200, 'application/json', { ...src, created_at: 17 })).toThrow(/created_at/);
    // Nested objects are closed too, and the published document is not.
    expect(() =>
      c.check('get', `${V}/sources/${src.id as string}`, 200, 'application/json', { ...src, config: { ...(src.config as object), extra: true } }),
    ).toThrow(/extra/);
    expect(() => c.check('get', `${V}/sources/${src.id as string}`, 202, 'application/json', src)).toThrow(/does not list/);
    expect(JSON.stringify(doc.components.schemas.Event)).not.toContain('"additionalProperties":false');
    expect(closeSchema({ type: 'object', properties: { type: { type: 'object', properties: {} } } })).toEqual({
      type: 'object',
      additionalProperties: false,
      properties: { type: { type: 'object', properties: {}, additionalProperties: false } },
    });
    await c.call('delete', `${V}/sources/${src.id as string}`, key, undefined, 200);
  });

  test('a delivery from ingest to receiver and the logs that tell of it', async () => {
    // API keys: made, listed, rotated, revoked.
    const made = await c.call('post', `${V}/api-keys`, key, { name: 'contract', scopes: ['read'] }, 201);
    await c.call('get', `${V}/api-keys`, key, undefined, 200);
    const rotated = await c.call('post', `${V}/api-keys/${made.body.id as string}/rotate`, key, undefined, 201);
    await c.call('delete', `${V}/api-keys/${rotated.body.id as string}`, key, undefined, 200);

    // Sources, destinations, a transformation and a connection between them.
    const src = (await c.call('post', `${V}/sources`, key, { name: 'shop', description: 'orders' }, 201)).body as { id: string };
    await c.call('get', `${V}/sources`, key, undefined, 200);
    await c.call('get', `${V}/sources/${src.id}`, key, undefined, 200);
    await c.call('patch', `${V}/sources/${src.id}`, key, { description: 'the shop' }, 200);
    await c.call('put', `${V}/sources`, key, { name: 'shop', description: 'the shop, again' }, 200);
    await c.call('put', `${V}/sources/${src.id}/disable`, key, undefined, 200);
    await c.call('put', `${V}/sources/${src.id}/enable`, key, undefined, 200);
    const signed = (await c.call('post', `${V}/sources`, key, { name: 'gh', type: 'GITHUB', config: { auth: { webhook_secret_key: 'shh' } } }, 201)).body as {
      id: string;
    };
    await c.call('get', `${V}/sources/${signed.id}?include=config.auth`, key, undefined, 200);

    const des = (await c.call('post', `${V}/destinations`, key, { name: 'crm', config: { url: `${receiver.url}/crm` } }, 201)).body as { id: string };
    await c.call('get', `${V}/destinations`, key, undefined, 200);
    await c.call('get', `${V}/destinations/${des.id}`, key, undefined, 200);
    await c.call('patch', `${V}/destinations/${des.id}`, key, { description: 'the CRM' }, 200);
    await c.call('post', `${V}/destinations/${des.id}/disable`, key, undefined, 200);
    await c.call('post', `${V}/destinations/${des.id}/enable`, key, undefined, 200);

    const code = 'addHandler("transform", (request) => { request.body = { ...request.body, tagged: true }; return request; });';
    const trs = (await c.call('post', `${V}/transformations`, key, { name: 'tag', code }, 201)).body as { id: string };
    await c.call('get', `${V}/transformations`, key, undefined, 200);
    await c.call('get', `${V}/transformations/${trs.id}`, key, undefined, 200);
    await c.call('patch', `${V}/transformations/${trs.id}`, key, { env: { TAG: 'x' } }, 200);

    const conn = (
      await c.call(
        'post',
        `${V}/connections`,
        key,
        {
          name: 'paid',
          source_id: src.id,
          destination_id: des.id,
          rules: [
            { type: 'filter', body: { type: 'order.paid' } },
            { type: 'transformation', transformation_id: trs.id },
          ],
        },
        201,
      )
    ).body as { id: string };
    await c.call('get', `${V}/connections`, key, undefined, 200);
    await c.call('get', `${V}/connections/${conn.id}`, key, undefined, 200);
    await c.call('patch', `${V}/connections/${conn.id}`, key, { description: 'paid orders' }, 200);
    await c.call('put', `${V}/connections/${conn.id}/pause`, key, undefined, 200);
    await c.call('put', `${V}/connections/${conn.id}/unpause`, key, undefined, 200);

    // Ingest: one routed, one filtered out (an ignored event).
    const accepted = await c.call('post', `/e/${src.id}`, undefined, { type: 'order.paid', amount: 42 }, 200);
    await c.call('post', `/e/${src.id}`, undefined, { type: 'order.refunded', amount: 1 }, 200);

    // Event types, a webhook and a published event.
    await declare({
      name: 'order.shipped',
      description: 'An order left',
      schema: { type: 'object', properties: { id: { type: 'string' } } },
      sample: { id: 'o_1' },
    });
    await c.call('get', `${V}/event-types`, key, undefined, 200);
    await c.call('get', `${V}/event-types/order.shipped`, key, undefined, 200);
    const web = (await c.call('post', `${V}/webhooks`, key, { name: 'shipping', url: `${receiver.url}/hook`, events: ['order.shipped'] }, 201)).body as {
      id: string;
    };
    await c.call('get', `${V}/webhooks`, key, undefined, 200);
    await c.call('get', `${V}/webhooks/${web.id}`, key, undefined, 200);
    await c.call('patch', `${V}/webhooks/${web.id}`, key, { description: 'to shipping' }, 200);
    await c.call('post', `${V}/webhooks/${web.id}/rotate-secret`, key, undefined, 200);
    await c.call('post', `${V}/webhooks/${web.id}/pause`, key, undefined, 200);
    await c.call('post', `${V}/webhooks/${web.id}/resume`, key, undefined, 200);
    await c.call('post', `${V}/publish`, key, { eventType: 'order.shipped', data: { id: 'o_1' } }, 202);

    // Both delivered.
    await waitFor(
      async () => {
        const done = await c.call('get', `${V}/events?status=SUCCESSFUL`, key, undefined, 200);
        return (done.body.models as unknown[]).length >= 2;
      },
      30_000,
      'both deliveries',
    );
    // The connection's rules outlived the PATCH of its description: the refund was filtered out, the order transformed.
    expect(receiver.received.map((r) => r.url).sort()).toEqual(['/crm', '/hook']);
    expect(JSON.parse(receiver.received.find((r) => r.url === '/crm')?.body.toString() ?? '{}')).toEqual({ type: 'order.paid', amount: 42, tagged: true });

    // The logs, as a user reads them.
    const events = (await c.call('get', `${V}/events`, key, undefined, 200)).body.models as { id: string; request_id: string }[];
    const evt = events.find((e) => e.request_id === accepted.body.request_id) as { id: string };
    await c.call('get', `${V}/events/${evt.id}`, key, undefined, 200);
    await c.call('get', `${V}/events/count`, key, undefined, 200);
    const attempts = (await c.call('get', `${V}/attempts?event_id=${evt.id}`, key, undefined, 200)).body.models as { id: string }[];
    await c.call('get', `${V}/attempts/${attempts[0].id}`, key, undefined, 200);
    await c.call('get', `${V}/attempts`, key, undefined, 200);
    await c.call('get', `${V}/ignored_events`, key, undefined, 200);
    await c.call('get', `${V}/requests`, key, undefined, 200);
    await c.call('get', `${V}/requests?include=data`, key, undefined, 200);
    await c.call('get', `${V}/requests/count`, key, undefined, 200);
    const reqId = accepted.body.request_id as string;
    await c.call('get', `${V}/requests/${reqId}`, key, undefined, 200);
    await c.call('get', `${V}/requests/${reqId}/events`, key, undefined, 200);
    const ignoredReq = ((await c.call('get', `${V}/ignored_events`, key, undefined, 200)).body.models as { request_id: string }[])[0].request_id;
    await c.call('get', `${V}/requests/${ignoredReq}/ignored_events`, key, undefined, 200);
    await c.call('post', `${V}/events/${evt.id}/retry`, key, undefined, 202);
    await c.call('post', `${V}/requests/${reqId}/retry`, key, undefined, 202);

    // What the transformation did.
    const runs = (await c.call('get', `${V}/transformations/${trs.id}/executions`, key, undefined, 200)).body.models as { id: string }[];
    expect(runs.length).toBeGreaterThan(0);
    await c.call('get', `${V}/transformations/${trs.id}/executions/${runs[0].id}`, key, undefined, 200);

    // Bulk retries and replays: an estimate, then one run.
    await c.call('post', `${V}/events/bulk_operations`, key, { dry_run: true, status: 'SUCCESSFUL' }, 200);
    const bop = (await c.call('post', `${V}/events/bulk_operations`, key, { status: 'SUCCESSFUL' }, 202)).body as { id: string };
    await c.call('get', `${V}/events/bulk_operations`, key, undefined, 200);
    await c.call('get', `${V}/events/bulk_operations/${bop.id}`, key, undefined, 200);
    await c.call('post', `${V}/requests/bulk_operations`, key, { dry_run: true }, 200);
    await c.call('get', `${V}/requests/bulk_operations`, key, undefined, 200);

    // Health, and the error every route answers with.
    await c.call('get', '/api/health', undefined, undefined, 200);
    await c.call('get', '/healthz', undefined, undefined, 200);
    await c.call('get', `${V}/sources/src_nothing`, key, undefined, 404);
    await c.call('post', `${V}/sources`, key, { name: 'bad/name' }, 400);

    // Everything deleted.
    await c.call('delete', `${V}/webhooks/${web.id}`, key, undefined, 200);
    await c.call('delete', `${V}/connections/${conn.id}`, key, undefined, 200);
    await c.call('delete', `${V}/transformations/${trs.id}`, key, undefined, 200);
    await c.call('delete', `${V}/destinations/${des.id}`, key, undefined, 200);
    await c.call('delete', `${V}/sources/${src.id}`, key, undefined, 200);
  }, 120_000);

  test('accounts, teams, members, invites, and what uses what', async () => {
    const owner = (
      await c.call('post', `${V}/auth/signup`, undefined, { email: 'owner@contract.test', password: 'a long password', name: 'Owner', workspace: 'Acme' }, 201)
    ).body as { token: string; team: { id: string } };
    const other = (
      await c.call('post', `${V}/auth/signup`, undefined, { email: 'other@contract.test', password: 'a long password', name: 'Other', workspace: 'Solo' }, 201)
    ).body as { token: string; user: { id: string } };
    const session = (await c.call('post', `${V}/auth/login`, undefined, { email: 'owner@contract.test', password: 'a long password' }, 200)).body
      .token as string;
    await c.call('get', `${V}/auth/me`, session, undefined, 200);
    await c.call('get', `${V}/auth/me`, key, undefined, 200);
    await c.call('patch', `${V}/auth/me`, session, { name: 'The Owner' }, 200);

    const team = owner.team.id;
    await c.call('get', `${V}/teams`, session, undefined, 200);
    await c.call('post', `${V}/teams`, session, { name: 'Second' }, 201);
    await c.call('get', `${V}/teams/${team}`, session, undefined, 200);
    await c.call('patch', `${V}/teams/${team}`, session, { name: 'Acme Inc', retention_days: 7 }, 200);

    const invite = (await c.call('post', `${V}/teams/${team}/invites`, session, { email: 'other@contract.test', role: 'member' }, 201)).body as { url: string };
    const spare = (await c.call('post', `${V}/teams/${team}/invites`, session, { email: 'nobody@contract.test' }, 201)).body as { id: string };
    await c.call('get', `${V}/teams/${team}/invites`, session, undefined, 200);
    await c.call('delete', `${V}/teams/${team}/invites/${spare.id}`, session, undefined, 200);
    const token = invite.url.split('/invite/')[1];
    await c.call('get', `${V}/invites/${token}`, undefined, undefined, 200);
    await c.call('post', `${V}/invites/${token}/accept`, other.token, undefined, 200);
    await c.call('get', `${V}/teams/${team}/members`, session, undefined, 200);
    await c.call('patch', `${V}/teams/${team}/members/${other.user.id}`, session, { role: 'admin' }, 200);
    await c.call('delete', `${V}/teams/${team}/members/${other.user.id}`, session, undefined, 200);

    // What uses what: a source and destination joined by a connection, a transformation in it.
    const src = (await c.call('post', `${V}/sources`, key, { name: 'used' }, 201)).body as { id: string };
    const des = (await c.call('post', `${V}/destinations`, key, { name: 'used', config: { url: `${receiver.url}/used` } }, 201)).body as { id: string };
    const trs = (await c.call('post', `${V}/transformations`, key, { name: 'used', code: 'addHandler("transform", (r) => r);' }, 201)).body as { id: string };
    const conn = (
      await c.call(
        'post',
        `${V}/connections`,
        key,
        { name: 'used', source_id: src.id, destination_id: des.id, rules: [{ type: 'transformation', transformation_id: trs.id }] },
        201,
      )
    ).body as { id: string };
    const usedBy = await c.call('get', `${V}/sources/${src.id}/used-by`, key, undefined, 200);
    expect((usedBy.body.connections as { id: string }[]).map((x) => x.id)).toEqual([conn.id]);
    await c.call('get', `${V}/destinations/${des.id}/used-by`, key, undefined, 200);
    await c.call('get', `${V}/connections/${conn.id}/used-by`, key, undefined, 200);
    await c.call('get', `${V}/transformations/${trs.id}/used-by`, key, undefined, 200);
    await c.call('get', `${V}/used-by?kind=source`, key, undefined, 200);
    await c.call('post', `${V}/auth/logout`, session, undefined, 200);
  }, 60_000);

  test('project secrets and a MOCK_API destination', async () => {
    await c.call('get', `${V}/project-secrets`, key, undefined, 200);
    await c.call('get', `${V}/project-secrets?reveal=true`, key, undefined, 200);
    await c.call('put', `${V}/project-secrets`, key, { signing_secret: 'a signing secret of ours' }, 200);
    await c.call('post', `${V}/project-secrets/rotate`, key, { rotate: ['api_key'] }, 200);
    await c.call('get', `${V}/project-secrets/signing_secret/used-by`, key, undefined, 200);

    const src = (await c.call('post', `${V}/sources`, key, { name: 'to-mock' }, 201)).body as { id: string };
    const mock = (await c.call('post', `${V}/destinations`, key, { name: 'mock', type: 'MOCK_API', config: {} }, 201)).body as { id: string };
    await c.call('post', `${V}/connections`, key, { name: 'to-mock', source_id: src.id, destination_id: mock.id }, 201);
    await c.call('post', `/e/${src.id}?x=1`, undefined, { hello: 'mock' }, 200);
    const got = await waitFor(
      async () => {
        const list = await c.call('get', `${V}/destinations/${mock.id}/mock_requests`, key, undefined, 200);
        return (list.body.models as { id: string }[])[0];
      },
      30_000,
      'the mock request',
    );
    await c.call('get', `${V}/destinations/${mock.id}/mock_requests?include=body`, key, undefined, 200);
    await c.call('get', `${V}/destinations/${mock.id}/mock_requests/${got.id}`, key, undefined, 200);
    await c.call('delete', `${V}/destinations/${mock.id}/mock_requests`, key, undefined, 200);
  }, 60_000);

  test('workspace credentials', async () => {
    const cred = (await c.call('post', `${V}/credentials`, key, { kind: 'hubspot', name: 'CRM', secret: 'pat-na1-0123456789abcdef' }, 201)).body as {
      id: string;
      hint: string;
    };
    expect(cred.hint).not.toContain('0123456789abcdef');
    await c.call('get', `${V}/credentials`, key, undefined, 200);
    await c.call('get', `${V}/credentials?kind=hubspot`, key, undefined, 200);
    await c.call('get', `${V}/credentials/${cred.id}`, key, undefined, 200);
    await c.call('patch', `${V}/credentials/${cred.id}`, key, { name: 'The CRM' }, 200);
    await c.call('delete', `${V}/credentials/${cred.id}`, key, undefined, 200);
  });

  test("REST hooks (Zapier's subscriptions)", async () => {
    await declare({ name: 'lead.won', sample: { lead: 'l_1' } });
    const hook = (await c.call('post', `${V}/hooks`, key, { target_url: `${receiver.url}/zap`, event: 'lead.won' }, 201)).body as { id: string };
    await c.call('get', `${V}/hooks`, key, undefined, 200);
    await c.call('post', `${V}/publish`, key, { eventType: 'lead.won', data: { lead: 'l_2' } }, 202);
    await waitFor(() => receiver.received.some((r) => r.url === '/zap'), 30_000, 'the hook delivery');
    const samples = await c.call('get', `${V}/hooks/samples/lead.won`, key, undefined, 200);
    expect(samples.body.length).toBeGreaterThan(0);
    await c.call('delete', `${V}/hooks/${hook.id}`, key, undefined, 200);
  }, 60_000);

  test('the traffic above reached the operations it means to check', () => {
    // A guard against the check quietly checking nothing (a matcher that stops matching, calls
    // made around it): the stories above cover this many operation + status pairs.
    for (const op of [
      'POST /sources 201',
      'GET /events/{id} 200',
      'GET /attempts 200',
      'POST /publish 202',
      'POST /e/{source} 200',
      'GET /teams/{id}/members 200',
      'GET /hooks 200',
      'GET /sources/{id} 404',
    ])
      expect(c.covered, op).toContain(op);
    expect(c.covered.size).toBeGreaterThanOrEqual(100);
  });
});
