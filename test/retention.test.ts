import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newWorkspace, startTestHub, type TestHub } from './support/hub.ts';

const V = '/api/v1';

describe('log retention: how long a team keeps its log', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub({}, { WIREHUB_RETENTION_DAYS: '7' });
  });
  afterAll(async () => hub?.close());

  it("lets a team's owner keep the log fewer days than the hub, shows it, and refuses days out of range", async () => {
    const owner = await newWorkspace(hub);
    const team = `${V}/teams/${owner.teamId}`;
    const before = await hub.api('get', team, owner.token);
    expect(before.body).toMatchObject({ retention_days: null, effective_retention_days: 7 });

    const set = await hub.api('patch', team, owner.token).send({ retention_days: 1 });
    expect(set.status, set.text).toBe(200);
    expect(set.body).toMatchObject({ retention_days: 1, effective_retention_days: 1 });
    expect((await hub.api('get', team, owner.token)).body).toMatchObject({ retention_days: 1, effective_retention_days: 1, name: 'Test Co' });
    // A rename leaves the retention as it is.
    const renamed = await hub.api('put', team, owner.token).send({ name: 'Renamed Co' });
    expect(renamed.body).toMatchObject({ name: 'Renamed Co', retention_days: 1 });

    for (const bad of [0, 8, -3, 2.5, '3', true]) {
      const res = await hub.api('patch', team, owner.token).send({ retention_days: bad });
      expect(res.status, `retention_days ${JSON.stringify(bad)}`).toBe(400);
      expect(res.body.error).toMatchObject({ code: 'VALIDATION_ERROR', details: [{ path: 'body.retention_days' }] });
    }
    const tooLong = await hub.api('patch', team, owner.token).send({ retention_days: 30 });
    expect(tooLong.body.error.details[0].message).toContain('at most 7 days');
    expect((await hub.api('patch', team, owner.token).send({})).status).toBe(400);

    const back = await hub.api('patch', team, owner.token).send({ retention_days: null });
    expect(back.body).toMatchObject({ retention_days: null, effective_retention_days: 7 });
  });

  it("lets no one else set it: another team's owner, an admin or an API key", async () => {
    const owner = await newWorkspace(hub);
    const other = await newWorkspace(hub);
    const team = `${V}/teams/${owner.teamId}`;
    const foreign = await hub.api('patch', team, other.token).send({ retention_days: 1 });
    expect(foreign.status).toBe(403);
    expect(foreign.body.error.code).toBe('FORBIDDEN');

    const invite = await hub.api('post', `${team}/invites`, owner.token).send({ email: other.email, role: 'admin' });
    expect(invite.status, invite.text).toBe(201);
    const accepted = await hub.api('post', `${V}/invites/${(invite.body.url as string).split('/invite/')[1]}/accept`, other.token);
    expect(accepted.status, accepted.text).toBe(200);
    const admin = await hub.api('patch', team, other.token).send({ retention_days: 1 });
    expect(admin.status).toBe(403);
    expect(admin.body.error.message).toBe('Only owners of this team can change how long its log is kept.');
    // An admin still renames it.
    expect((await hub.api('patch', team, other.token).send({ name: 'By the admin' })).status).toBe(200);

    expect((await hub.api('patch', team, owner.key).send({ retention_days: 1 })).status).toBe(403);
    expect((await hub.api('get', team, owner.token)).body.retention_days).toBeNull();
  });
});
