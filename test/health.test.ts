import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { agendaLastPollAt } from '../server/health.routes.ts';
import { VERSION } from '../server/version.ts';
import { startTestHub, waitFor, type TestHub } from './support/hub.ts';

const databaseUrl = inject('databaseUrl');

async function health(hub: TestHub, path = '/api/health') {
  const started = Date.now();
  const res = await hub.api('get', path);
  return { status: res.status, body: res.body as Record<string, unknown>, ms: Date.now() - started };
}

const healthy = (hub: TestHub, path?: string) =>
  waitFor(async () => (await health(hub, path)).status === 200, 15_000, `${path ?? '/api/health'} to answer 200`);

describe('GET /api/health', () => {
  const hubs: TestHub[] = [];
  afterAll(async () => {
    // Some of these hubs lost their database or their jobs on purpose; closing them again may fail.
    for (const h of hubs.reverse()) await h.close().catch(() => {});
  });

  it('answers 200 with the status, the database, the job runner, the version and the uptime', async () => {
    const hub = await startTestHub();
    hubs.push(hub);
    const res = await hub.api('get', '/api/health');
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    // One process runs every delivery lane (4 by default), and says which.
    expect(res.body).toEqual({ status: 'ok', db: 'ok', jobs: 'ok', version: VERSION, uptime_s: expect.any(Number), role: 'all', lanes: [0, 1, 2, 3] });
    expect(res.body.uptime_s).toBeGreaterThanOrEqual(0);
    // The probe's "polled recently" reads Agenda's own record of its last poll: it must be there.
    const polledAt = agendaLastPollAt(hub.jobs!.agenda);
    expect(polledAt).toBeInstanceOf(Date);
    expect(Date.now() - polledAt!.getTime()).toBeLessThan(5_000);
    expect((await hub.api('get', '/healthz')).body).toMatchObject({ status: 'ok', db: 'ok', jobs: 'ok' });
  });

  it('answers 503 without waiting while the database does not answer, and 200 once it does again', async () => {
    const hub = await startTestHub();
    hubs.push(hub);
    await healthy(hub);
    // The app's pool has no connection to give (on the embedded database it has exactly one; on a
    // server, all of them are taken): to the app, a database that does not answer.
    const size = hub.deps.database.embedded ? 1 : hub.deps.config.dbPoolSize;
    const held = await Promise.all(Array.from({ length: size }, () => hub.deps.database.pool.connect()));
    try {
      const down = await health(hub);
      expect(down.status).toBe(503);
      expect(down.body).toMatchObject({ status: 'unavailable', db: 'down', version: VERSION });
      // Bounded by the probe's one-second timeout, not by the database: it would have waited forever.
      expect(down.ms).toBeLessThan(10_000);
      // Concurrent polls during the outage share the one stuck probe and answer 503 as well.
      for (const r of await Promise.all([health(hub), health(hub), health(hub)])) expect(r.body).toMatchObject({ status: 'unavailable', db: 'down' });
    } finally {
      for (const c of held) c.release();
    }
    await healthy(hub);
    expect((await health(hub)).body).toMatchObject({ status: 'ok', db: 'ok', jobs: 'ok' });
  });

  it('answers 503 once the job runner is stopped, while the database still answers', async () => {
    const hub = await startTestHub();
    hubs.push(hub);
    await healthy(hub);
    await hub.jobs!.stop();
    const res = await waitFor(
      async () => {
        const r = await health(hub);
        return r.status === 503 && r;
      },
      5_000,
      '503 after the jobs stopped',
    );
    expect(res.body).toMatchObject({ status: 'unavailable', db: 'ok', jobs: 'down' });
    expect((await health(hub, '/healthz')).status).toBe(503);
  });

  it.skipIf(databaseUrl)('answers 503 once the embedded database is closed under the app', async () => {
    const hub = await startTestHub();
    hubs.push(hub);
    await healthy(hub);
    await hub.jobs!.stop();
    await hub.deps.database.close();
    const res = await health(hub);
    expect(res.status).toBe(503);
    expect(res.body).toMatchObject({ status: 'unavailable', db: 'down' });
  });

  it.skipIf(!databaseUrl)('on a PostgreSQL server: 503 while its database refuses connections, 200 once it takes them again', async () => {
    const name = `wirehub_health_${randomBytes(4).toString('hex')}`;
    const admin = new pg.Client({ connectionString: databaseUrl! });
    await admin.connect();
    const url = new URL(databaseUrl!);
    url.pathname = `/${name}`;
    try {
      await admin.query(`CREATE DATABASE ${name}`);
      const hub = await startTestHub({}, { DATABASE_URL: url.toString() });
      hubs.push(hub);
      await healthy(hub);

      await admin.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS false`);
      await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [name]);
      const down = await waitFor(
        async () => {
          const r = await health(hub);
          return r.status === 503 && r;
        },
        10_000,
        '503 while the database refuses connections',
      );
      expect(down.body).toMatchObject({ status: 'unavailable', db: 'down' });
      expect(down.ms).toBeLessThan(10_000);

      await admin.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS true`);
      await healthy(hub);
      // Both the database and this process's scheduler are back, not just a cached answer.
      expect((await health(hub)).body).toMatchObject({ status: 'ok', db: 'ok', jobs: 'ok' });
      await hub.close();
    } finally {
      await admin.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS true`).catch(() => {});
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => {});
      await admin.end();
    }
  });

  it('an API-only process answers for the workers on /api/health and for itself on /healthz', async () => {
    const shared = { WIREHUB_DB_SCHEMA: `t_${randomBytes(6).toString('hex')}`, WIREHUB_SECRET_KEY: randomBytes(32).toString('hex') };
    const api = await startTestHub({}, { WIREHUB_ROLE: 'api', ...(databaseUrl ? shared : {}) });
    hubs.push(api);
    // No worker anywhere: nothing is delivered, which a status page must see.
    expect((await health(api)).body).toMatchObject({ status: 'unavailable', db: 'ok', jobs: 'down', role: 'api' });
    expect((await health(api)).status).toBe(503);
    const own = await health(api, '/healthz');
    expect(own.status).toBe(200);
    expect(own.body).toMatchObject({ status: 'ok', db: 'ok', jobs: 'not-running-here', role: 'api' });
    // The embedded database is one process: no worker can join it.
    if (!databaseUrl) return;

    const worker = await startTestHub({}, { WIREHUB_ROLE: 'worker', ...shared });
    hubs.push(worker);
    await healthy(api);
    expect((await health(api)).body).toMatchObject({ status: 'ok', jobs: 'ok', role: 'api' });
    // The API process runs no lane; the only worker runs them all.
    expect((await health(api)).body).not.toHaveProperty('lanes');
    expect((await health(worker)).body).toMatchObject({ status: 'ok', role: 'worker', lanes: [0, 1, 2, 3] });
    // A stopped worker gives its lanes up: no fresh lock is left, and the API process says so.
    await worker.jobs!.stop();
    await waitFor(async () => (await health(api)).status === 503, 10_000, 'the API process to see no worker');
    expect((await health(api)).body).toMatchObject({ db: 'ok', jobs: 'down' });
  });
});
