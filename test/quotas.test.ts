import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { admin } from '../server/admin.ts';
import { loadConfig } from '../server/config.ts';
import { createLogger } from '../server/core/logger.ts';
import { openDatabase } from '../server/db/database.ts';
import { monthOf } from '../server/operator/quotas.service.ts';
import { newWorkspace, startTestHub, waitFor, type TestHub } from './support/hub.ts';
import { startReceiver } from './support/receiver.ts';

const V = '/api/v1';
const OPERATOR = `op_${'k'.repeat(40)}`;

describe('quotas per team, set by the operator', () => {
  let hub: TestHub;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  beforeAll(async () => {
    // The quotas are read every 300 ms here (every 5 s in production).
    hub = await startTestHub({ quotaRefreshMs: 300 }, { WIREHUB_OPERATOR_TOKEN: OPERATOR });
    receiver = await startReceiver();
  });
  afterAll(async () => {
    await hub?.close();
    await receiver?.close();
  });

  const operator = (method: 'get' | 'put' | 'patch', url: string, token = OPERATOR) => hub.api(method, `${V}/operator${url}`, token);
  const setQuota = async (team: string, quota: { webhooks?: number | null; events_per_month?: number | null }) => {
    const res = await operator('put', `/teams/${team}/quota`).send(quota);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body;
  };
  const webhook = (key: string, name: string) =>
    hub.api('post', `${V}/webhooks`, key).send({ name, url: `${receiver.url}/${name}`, events: ['lead.captured'] });
  const publish = (key: string) => hub.api('post', `${V}/publish`, key).send({ eventType: 'lead.captured', data: { email: 'jane@example.com' } });
  const requests = async (key: string) => (await hub.api('get', `${V}/requests/count`, key)).body.count as number;

  it('the operator API takes only WIREHUB_OPERATOR_TOKEN: no team credential reaches it', async () => {
    const ws = await newWorkspace(hub);
    expect((await hub.api('get', `${V}/operator/quotas`)).status).toBe(401);
    expect((await operator('get', '/quotas', `op_${'x'.repeat(40)}`)).status).toBe(401);
    for (const credential of [ws.token, ws.key]) {
      const res = await operator('put', `/teams/${ws.teamId}/quota`, credential).send({ webhooks: 100 });
      expect([res.status, res.body.error.code]).toEqual([401, 'UNAUTHORIZED']);
    }
    expect((await operator('get', '/quotas')).status).toBe(200);
    expect((await operator('get', `/teams/tm_${'0'.repeat(26)}/quota`)).status).toBe(404);
    expect((await operator('get', '/nothing-here')).status).toBe(404);
    const bad = await operator('put', `/teams/${ws.teamId}/quota`).send({ webhooks: -1, events: 3 });
    expect([bad.status, bad.body.error.code]).toEqual([400, 'VALIDATION_ERROR']);
  });

  it('refuses a webhook at the team’s limit with 403 QUOTA_EXCEEDED naming it; other teams keep the hub’s limit', async () => {
    const a = await newWorkspace(hub);
    const b = await newWorkspace(hub);
    const shown = await setQuota(a.teamId, { webhooks: 2 });
    expect(shown).toMatchObject({ team_id: a.teamId, webhooks: { max: 2, hub_max: 10, used: 0 }, events_per_month: { max: null } });

    expect((await webhook(a.key, 'one')).status).toBe(201);
    expect((await webhook(a.key, 'two')).status).toBe(201);
    const refused = await webhook(a.key, 'three');
    expect([refused.status, refused.body.error.code]).toEqual([403, 'QUOTA_EXCEEDED']);
    expect(refused.body.error.message).toContain('allows 2 webhooks');
    expect(refused.body.error.details).toEqual({ limit: 'webhooks', max: 2, current: 2 });
    expect((await hub.api('get', `${V}/webhooks`, a.key)).body.count).toBe(2);
    for (let i = 0; i < 3; i++) expect((await webhook(b.key, `b${i}`)).status).toBe(201);

    // Raised: one more; removed: the hub's WIREHUB_MAX_WEBHOOKS again (10).
    await setQuota(a.teamId, { webhooks: 3 });
    expect((await webhook(a.key, 'three')).status).toBe(201);
    expect((await webhook(a.key, 'four')).body.error.code).toBe('QUOTA_EXCEEDED');
    expect((await setQuota(a.teamId, { webhooks: null })).webhooks).toEqual({ max: null, hub_max: 10, used: 3 });
    expect((await webhook(a.key, 'four')).status).toBe(201);
    // A quota above the hub's limit is the team's: the operator's word wins.
    await setQuota(a.teamId, { webhooks: 12 });
    for (let i = 5; i <= 12; i++) expect((await webhook(a.key, `w${i}`)).status).toBe(201);
    expect((await webhook(a.key, 'w13')).body.error.code).toBe('QUOTA_EXCEEDED');
  });

  it('refuses publishing and ingesting past the monthly events with 429, naming the limit and when it resets; other teams are unaffected', async () => {
    const a = await newWorkspace(hub);
    const b = await newWorkspace(hub);
    const srcA = (await hub.api('post', `${V}/sources`, a.key).send({ name: 'shop' })).body.id as string;
    const srcB = (await hub.api('post', `${V}/sources`, b.key).send({ name: 'shop' })).body.id as string;
    await setQuota(a.teamId, { events_per_month: 5 });

    for (let i = 0; i < 3; i++) expect((await publish(a.key)).status).toBe(202);
    for (let i = 0; i < 2; i++) expect((await hub.api('post', `/e/${srcA}`).send({ n: i })).status).toBe(200);
    const before = await requests(a.key);
    expect(before).toBe(5);

    const now = Date.now();
    const { next } = monthOf(new Date(now));
    for (const res of [
      await publish(a.key),
      await hub.api('post', `/e/${srcA}`).send({ n: 9 }),
      await hub.api('post', '/v1/publish', a.key).send({ eventType: 'lead.captured', data: {} }),
    ]) {
      expect([res.status, res.body.error.code]).toEqual([429, 'QUOTA_EXCEEDED']);
      expect(res.body.error.message).toContain('quota of 5 events');
      expect(res.body.error.message).toContain(next.toISOString());
      expect(res.body.error.details).toMatchObject({ limit: 'events_per_month', max: 5, resets_at: next.toISOString() });
      const retryAfter = Number(res.headers['retry-after']);
      expect(Math.abs(retryAfter - (next.getTime() - now) / 1000)).toBeLessThan(120);
    }
    // Nothing of the refused requests was stored.
    expect(await requests(a.key)).toBe(before);
    const seen = await operator('get', `/teams/${a.teamId}/quota`);
    expect(seen.body.events_per_month).toMatchObject({
      max: 5,
      used: 5,
      month_start: monthOf(new Date(now)).start.toISOString(),
      resets_at: next.toISOString(),
    });

    // Another team, and the same team's reads, go on.
    expect((await publish(b.key)).status).toBe(202);
    expect((await hub.api('post', `/e/${srcB}`).send({})).status).toBe(200);
    expect((await hub.api('get', `${V}/events`, a.key)).status).toBe(200);

    // Raised by the operator: taken in again at once (this process re-reads on the change).
    await setQuota(a.teamId, { events_per_month: 6 });
    expect((await publish(a.key)).status).toBe(202);
    expect((await publish(a.key)).status).toBe(429);
    await setQuota(a.teamId, { events_per_month: null });
    expect((await publish(a.key)).status).toBe(202);
  });

  it('counts what other processes took in from the per-minute counters, refusing within a few seconds', async () => {
    const a = await newWorkspace(hub);
    const b = await newWorkspace(hub);
    // Another API process's traffic, none of it through this one: 600 requests at the month's start
    // (long settled: read once, when the quota is first seen)…
    const { start } = monthOf(new Date());
    const counted = { source_id: 'src_elsewhere', status: 'accepted' as const, verified: true };
    await hub.deps.db
      .insertInto('request_counts_1m')
      .values({ workspace_id: a.teamId, minute: start, ...counted, n: 600 })
      .execute();
    await setQuota(a.teamId, { events_per_month: 1000 });
    await setQuota(b.teamId, { events_per_month: 1000 });
    expect((await publish(a.key)).status).toBe(202);

    // …and 399 this minute, with refused requests of the other team (a bad signature) that do not count.
    const minute = new Date(Math.floor(Date.now() / 60_000) * 60_000);
    await hub.deps.db
      .insertInto('request_counts_1m')
      .values([
        { workspace_id: a.teamId, minute, ...counted, n: 399 },
        { workspace_id: b.teamId, minute, source_id: 'src_elsewhere', status: 'rejected', verified: false, n: 5000 },
      ])
      .execute();
    const started = Date.now();
    await waitFor(async () => (await publish(a.key)).status === 429, 5_000, 'the quota to be reached');
    expect(Date.now() - started).toBeLessThan(3_000);
    expect((await publish(b.key)).status).toBe(202);
    const seen = await operator('get', `/teams/${a.teamId}/quota`);
    expect(seen.body.events_per_month.used).toBeGreaterThanOrEqual(1000);

    // A new month starts from nothing, before the next read has seen it.
    const { next } = monthOf(new Date());
    expect(() => hub.deps.eventQuotas.check(a.teamId, next.getTime() + 1000)).not.toThrow();
    expect(() => hub.deps.eventQuotas.check(a.teamId)).toThrow(/quota of 1000 events/);
  });

  it.runIf(inject('databaseUrl'))('a running hub applies the admin command’s change within seconds (on PostgreSQL both open the database)', async () => {
    const a = await newWorkspace(hub);
    expect((await publish(a.key)).status).toBe(202);
    const env = { DATABASE_URL: inject('databaseUrl')!, WIREHUB_DB_SCHEMA: hub.deps.config.dbSchema! };
    expect(await admin(['quota', 'set', a.teamId, '--events-per-month', '1'], env)).toMatch(/events per month: +1 of 1 since/);
    const started = Date.now();
    await waitFor(async () => (await publish(a.key)).status === 429, 5_000, 'the quota set from the shell');
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('lists the teams with a quota, with their use', async () => {
    const a = await newWorkspace(hub);
    await setQuota(a.teamId, { webhooks: 2, events_per_month: 100 });
    expect((await publish(a.key)).status).toBe(202);
    const list = await operator('get', '/quotas');
    const mine = (list.body.models as { team_id: string }[]).find((m) => m.team_id === a.teamId);
    expect(mine).toMatchObject({ name: 'Test Co', webhooks: { max: 2, used: 0 }, events_per_month: { max: 100, used: 1 } });
  });
});

describe('the operator API, off', () => {
  it('answers 404 naming WIREHUB_OPERATOR_TOKEN while it is unset, and refuses a short token at start-up', async () => {
    const hub = await startTestHub();
    try {
      const res = await hub.api('get', `${V}/operator/quotas`, OPERATOR);
      expect([res.status, res.body.error.code]).toEqual([404, 'NOT_FOUND']);
      expect(res.body.error.message).toContain('WIREHUB_OPERATOR_TOKEN');
    } finally {
      await hub.close();
    }
    expect(() => loadConfig({ WIREHUB_OPERATOR_TOKEN: 'short' })).toThrow(/WIREHUB_OPERATOR_TOKEN: must be at least 24 characters/);
  });
});

describe('the admin command', () => {
  it('prints its usage and exits 2 on a mistake', () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'server/admin.ts', 'quota', 'set', 'acme'], { encoding: 'utf8' });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain("Give the team's id");
    expect(run.stderr).toContain('quota set <team id> [--webhooks N|none] [--events-per-month N|none]');
  });

  it('sets, shows and removes a team’s quotas on the database the environment names', async () => {
    const databaseUrl = inject('databaseUrl');
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'wirehub-admin-'));
    const templateDir = inject('templateDir');
    if (!databaseUrl && templateDir) fs.cpSync(path.join(templateDir, 'pg'), path.join(dataDir, 'pg'), { recursive: true });
    const env = { WIREHUB_DATA_DIR: dataDir, ...(databaseUrl ? { DATABASE_URL: databaseUrl, WIREHUB_DB_SCHEMA: `t_admin_${Date.now()}` } : {}) };
    try {
      // A team, made straight in the database (the embedded one opens in one process at a time).
      const database = await openDatabase(loadConfig(env), createLogger('silent'));
      const team = `tm_${'1'.repeat(26)}`;
      await database.db.insertInto('workspaces').values({ id: team, name: 'Acme' }).execute();
      await database.close();

      expect(await admin(['quota', 'list'], env)).toBe('No team has a quota.');
      const set = await admin(['quota', 'set', team, '--webhooks', '2', '--events-per-month', '100_000'], env);
      expect(set).toContain(`${team} (Acme)`);
      expect(set).toMatch(/webhooks: +0 of 2/);
      expect(set).toMatch(/events per month: +0 of 100,000 since/);
      const json = JSON.parse(await admin(['quota', 'get', team, '--json'], env));
      expect(json).toMatchObject({ team_id: team, webhooks: { max: 2 }, events_per_month: { max: 100000, used: 0 } });
      await admin(['quota', 'set', team, '--webhooks', 'none'], env);
      const listed = JSON.parse(await admin(['quota', 'list', '--json'], env));
      expect(listed).toMatchObject([{ team_id: team, webhooks: { max: null, hub_max: 10 }, events_per_month: { max: 100000 } }]);
      await expect(admin(['quota', 'get', `tm_${'2'.repeat(26)}`], env)).rejects.toThrow(/was not found/);
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
