import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newWorkspace, startTestHub, type TestHub } from './support/hub.ts';

const V = '/api/v1';
type Person = Awaited<ReturnType<typeof newWorkspace>>;

describe('privileges: who may see and make credentials', () => {
  let hub: TestHub;
  let owner: Person;
  let readKey: string;

  beforeAll(async () => {
    hub = await startTestHub();
    owner = await newWorkspace(hub);
    const ro = await hub.api('post', `${V}/api-keys`, owner.token).send({ name: 'dashboard', scopes: ['read'] });
    expect(ro.status, ro.text).toBe(201);
    readKey = ro.body.key;
  });
  afterAll(async () => hub?.close());

  /** Puts `email`'s user into the owner's team with `role`, through an invite like a person would. */
  const join = async (role: 'member' | 'admin'): Promise<Person & { userId: string }> => {
    const p = await newWorkspace(hub);
    const invite = await hub.api('post', `${V}/teams/${owner.teamId}/invites`, owner.token).send({ email: p.email, role });
    expect(invite.status, invite.text).toBe(201);
    const accepted = await hub.api('post', `${V}/invites/${invite.body.url.split('/invite/')[1]}/accept`, p.token);
    expect(accepted.status, accepted.text).toBe(200);
    const me = await hub.api('get', `${V}/auth/me`, p.token);
    return { ...p, userId: me.body.user.id };
  };
  const inTeam = (method: 'get' | 'post' | 'put' | 'patch' | 'delete', path: string, token: string) =>
    hub.api(method, `${V}${path}`, token).set('x-team-id', owner.teamId);

  it('a read-only key cannot reveal the project key (which reads and writes) nor use it', async () => {
    for (const q of ['reveal=true', 'reveal=1', 'include=value']) {
      const res = await hub.api('get', `${V}/project-secrets?${q}`, readKey);
      expect(res.status, q).toBe(403);
      expect(res.body.error.code).toBe('INSUFFICIENT_SCOPE');
      expect(JSON.stringify(res.body)).not.toContain('wh_proj_');
    }
    // Masked, it may still look.
    const masked = await hub.api('get', `${V}/project-secrets`, readKey);
    expect(masked.status).toBe(200);
    expect(masked.body.api_key.value).toBeUndefined();
    expect(masked.body.api_key.masked_value).toMatch(/…/);
  });

  it('a read-only key cannot read stored source, destination or webhook credentials with include=config.auth', async () => {
    const src = await hub
      .api('post', `${V}/sources`, owner.key)
      .send({ name: 'shop', config: { auth: { type: 'api_key', header_key: 'x-api-key', api_key: 'source-secret-123456' } } });
    const des = await hub
      .api('post', `${V}/destinations`, owner.key)
      .send({ name: 'crm', config: { url: 'https://example.com/hook', auth: { type: 'bearer', token: 'crm-token-abcdef' } } });
    const con = await hub.api('post', `${V}/connections`, owner.key).send({ name: 'shop to crm', source_id: src.body.id, destination_id: des.body.id });
    const hook = await hub.api('post', `${V}/webhooks`, owner.key).send({ name: 'orders', url: 'https://example.com/orders', events: ['lead.captured'] });
    expect([src.status, des.status, con.status, hook.status], hook.text).toEqual([201, 201, 201, 201]);
    const shownOnce = hook.body.secret as string;

    const tries = [
      `/sources/${src.body.id}?include=config.auth`,
      '/sources?include=config.auth',
      `/destinations/${des.body.id}?include=config.auth`,
      '/destinations?include=config.auth',
      `/connections/${con.body.id}?include=config.auth`,
      '/connections?include=config.auth',
      `/destinations/${hook.body.destination_id}?include=config.auth`,
    ];
    for (const path of tries) {
      const res = await hub.api('get', `${V}${path}`, readKey);
      expect(res.status, path).toBe(403);
      expect(res.body.error.code).toBe('INSUFFICIENT_SCOPE');
      for (const secret of ['source-secret-123456', 'crm-token-abcdef', shownOnce]) expect(res.text).not.toContain(secret);
    }
    // Without the include, the same key reads the objects with their secrets masked.
    const plain = await hub.api('get', `${V}/destinations/${hook.body.destination_id}`, readKey);
    expect(plain.status).toBe(200);
    expect(plain.text).not.toContain(shownOnce);
    // An owner's read+write key still reads them in clear.
    const full = await hub.api('get', `${V}/destinations/${des.body.id}?include=config.auth`, owner.key);
    expect(full.status).toBe(200);
    expect(full.body.config.auth).toEqual({ type: 'bearer', token: 'crm-token-abcdef' });
  });

  it("a read-only key sees a transformation's env names, not their values; a writer still edits them", async () => {
    const made = await hub
      .api('post', `${V}/transformations`, owner.key)
      .send({ name: 'add token', code: 'addHandler("transform", (request, context) => request);', env: { CRM_TOKEN: 'crm-live-token-998877' } });
    expect(made.status, made.text).toBe(201);
    for (const path of [`/transformations/${made.body.id}`, '/transformations']) {
      const res = await hub.api('get', `${V}${path}`, readKey);
      expect(res.status, path).toBe(200);
      expect(res.text).not.toContain('crm-live-token-998877');
      expect(res.text).toContain('CRM_TOKEN');
    }
    expect((await hub.api('get', `${V}/transformations/${made.body.id}`, owner.key)).body.env).toEqual({ CRM_TOKEN: 'crm-live-token-998877' });
  });

  it('a plain member cannot plant a project key, reveal or rotate the secrets, or mint keys, but still does ordinary writes', async () => {
    const member = await join('member');
    const planted = 'my-own-backdoor-key-000';
    const put = await inTeam('put', '/project-secrets', member.token).send({ api_key: planted });
    expect(put.status, put.text).toBe(403);
    expect(put.body.error.code).toBe('FORBIDDEN');
    expect((await hub.api('get', `${V}/sources`, planted)).status).toBe(401);

    const revealed = await inTeam('get', '/project-secrets?reveal=true', member.token);
    expect(revealed.status).toBe(403);
    expect(revealed.text).not.toContain('wh_proj_');
    expect((await inTeam('post', '/project-secrets/rotate', member.token).send({})).status).toBe(403);
    expect((await inTeam('post', '/api-keys', member.token).send({ name: 'mine', scopes: ['read', 'write'] })).status).toBe(403);
    expect((await inTeam('get', '/destinations?include=config.auth', member.token)).status).toBe(403);

    // Ordinary work is still theirs to do.
    const src = await inTeam('post', '/sources', member.token).send({ name: 'member source' });
    expect(src.status, src.text).toBe(201);
    expect((await inTeam('get', '/project-secrets', member.token)).status).toBe(200);
  });

  it("a plain member cannot save, replace or delete the workspace's vendor credentials (Settings); an admin can", async () => {
    const member = await join('member');
    const cred = await hub.api('post', `${V}/credentials`, owner.key).send({ kind: 'hubspot', name: 'Sales', secret: 'pat-na1-owners-token-0000' });
    expect(cred.status, cred.text).toBe(201);
    // Replacing the token would send every lead of the destinations using it to the member's own CRM account.
    for (const method of ['put', 'patch'] as const) {
      const swapped = await inTeam(method, `/credentials/${cred.body.id}`, member.token).send({ secret: 'pat-na1-members-own-0000' });
      expect(swapped.status, method).toBe(403);
      expect(swapped.body.error.code).toBe('FORBIDDEN');
    }
    expect((await inTeam('post', '/credentials', member.token).send({ kind: 'hubspot', secret: 'pat-na1-members-own-0000' })).status).toBe(403);
    expect((await inTeam('delete', `/credentials/${cred.body.id}`, member.token)).status).toBe(403);
    expect((await hub.api('get', `${V}/credentials/${cred.body.id}`, owner.key)).body.hint).toBe('pat-na…0000');
    // Reading the list (never a secret) stays open to members.
    expect((await inTeam('get', '/credentials', member.token)).status).toBe(200);
    const admin = await join('admin');
    expect((await inTeam('patch', `/credentials/${cred.body.id}`, admin.token).send({ secret: 'pat-na1-admins-new-0000' })).status).toBe(200);
  });

  it('an API key dies with its maker’s role: removed or demoted, their keys (and keys those keys made) stop', async () => {
    const admin = await join('admin');
    const made = await inTeam('post', '/api-keys', admin.token).send({ name: 'admin script', scopes: ['read', 'write'] });
    expect(made.status, made.text).toBe(201);
    expect(made.body.created_by).toBe(admin.userId);
    // A key minted by that key answers to the same person.
    const child = await hub.api('post', `${V}/api-keys`, made.body.key).send({ name: 'made by a key', scopes: ['read'] });
    expect(child.status, child.text).toBe(201);
    expect(child.body.created_by).toBe(admin.userId);
    expect((await hub.api('get', `${V}/sources`, made.body.key)).status).toBe(200);
    expect((await hub.api('get', `${V}/sources`, child.body.key)).status).toBe(200);

    const removed = await hub.api('delete', `${V}/teams/${owner.teamId}/members/${admin.userId}`, owner.token);
    expect(removed.status, removed.text).toBe(200);
    for (const key of [made.body.key, child.body.key]) {
      const res = await hub.api('get', `${V}/sources`, key);
      expect(res.status).toBe(401);
      expect(res.body.error.message).toMatch(/no longer an owner or admin/);
    }

    const other = await join('admin');
    const key = (await inTeam('post', '/api-keys', other.token).send({ name: 'other', scopes: ['read'] })).body.key as string;
    expect((await hub.api('get', `${V}/sources`, key)).status).toBe(200);
    const demoted = await hub.api('patch', `${V}/teams/${owner.teamId}/members/${other.userId}`, owner.token).send({ role: 'member' });
    expect(demoted.status, demoted.text).toBe(200);
    expect((await hub.api('get', `${V}/sources`, key)).status).toBe(401);
  });

  it('lists the project key with the API keys, and revoking it there stops the old value', async () => {
    const before = await hub.api('get', `${V}/project-secrets?reveal=true`, owner.key);
    expect(before.status).toBe(200);
    const projectKey = before.body.api_key.value as string;
    expect((await hub.api('get', `${V}/sources`, projectKey)).status).toBe(200);

    const list = await hub.api('get', `${V}/api-keys`, readKey);
    const row = list.body.models.find((k: { kind: string }) => k.kind === 'project_key');
    expect(row).toMatchObject({ name: 'Project API key', scopes: ['read', 'write'], prefix: projectKey.slice(0, 12) });
    expect(list.text).not.toContain(projectKey);

    // A read-only key cannot revoke it; the owner can.
    expect((await hub.api('delete', `${V}/api-keys/${row.id}`, readKey)).status).toBe(403);
    const revoked = await hub.api('delete', `${V}/api-keys/${row.id}`, owner.key);
    expect(revoked.status, revoked.text).toBe(200);
    expect((await hub.api('get', `${V}/sources`, projectKey)).status).toBe(401);
    const after = await hub.api('get', `${V}/project-secrets?reveal=true`, owner.key);
    expect(after.body.api_key.value).not.toBe(projectKey);
    expect(after.body.signing_secret.value).toBe(before.body.signing_secret.value);
  });
});

describe('privileges: rate limits follow the credential, not the header text', () => {
  it('"Bearer", "bearer", "BEARER" and extra spaces share one budget', async () => {
    const hub = await startTestHub({ apiRateLimitPerMinute: 3 });
    try {
      const ws = await newWorkspace(hub);
      const spellings = [`Bearer ${ws.key}`, `bearer ${ws.key}`, `BEARER ${ws.key}`, `Bearer   ${ws.key}  `, `bEaReR\t${ws.key}`];
      const statuses: number[] = [];
      for (const header of spellings) statuses.push((await hub.api('get', `${V}/sources`).set('authorization', header)).status);
      expect(statuses).toEqual([200, 200, 200, 429, 429]);
    } finally {
      await hub.close();
    }
  });
});
