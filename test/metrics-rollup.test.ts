import { type RawBuilder, sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { newWorkspace, startTestHub, waitFor, type TestHub } from './support/hub.ts';
import { startReceiver } from './support/receiver.ts';

type Mismatch = { key: string; counted: number; logged: number };

// The per-minute counts behind the metrics (migration 013) are kept by triggers, not recomputed:
// after every kind of change the gateway makes to its logs, each counter must equal a count of
// the log rows themselves, read in the same statement (one snapshot), and the charts drawn from
// the counters must equal the charts drawn from the logs.
describe('per-minute counts follow every change to the logs', () => {
  let hub: TestHub;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let ws: Awaited<ReturnType<typeof newWorkspace>>;
  let down = true;
  const flakySeen = new Set<string>();
  const ids = {} as Record<
    | 'shop'
    | 'crm'
    | 'late'
    | 'locked'
    | 'tx'
    | 'txConn'
    | 'ok'
    | 'down'
    | 'flaky'
    | 'later'
    | 'held'
    | 'okConn'
    | 'downConn'
    | 'filterConn'
    | 'dedupeConn'
    | 'flakyConn'
    | 'laterConn'
    | 'heldConn',
    string
  >;

  const api = (method: 'get' | 'post' | 'put' | 'delete', url: string) => hub.api(method, `/api/v1${url}`, ws.key);
  const count = async (path: string) => {
    const res = await api('get', path);
    expect(res.status, res.text).toBe(200);
    return res.body.count as number;
  };
  const send = async (source: string, body: object, headers: Record<string, string> = {}) => {
    const res = await hub.api('post', `/e/${source}`).set(headers).send(body);
    const id = (res.body.request_id ?? res.body.error?.details?.request_id) as string;
    expect(id, res.text).toBeTruthy();
    return id;
  };

  /**
   * Every key's count (the sum of its rows) against the log rows it counts, in one statement; a
   * key at 0 is one with no rows left in the log.
   */
  async function mismatches(): Promise<{ events: Mismatch[]; requests: Mismatch[]; ignored: Mismatch[]; totals: Record<string, number> }> {
    const db = hub.deps.db;
    const minute = (column: string) => sql.raw(`date_bin('1 minute', ${column}, TIMESTAMPTZ 'epoch')`);
    const compare = async (counters: string, keys: string[], logs: RawBuilder<unknown>) => {
      const k = sql.raw(keys.join(', '));
      const { rows } = await sql<Mismatch>`
        WITH c AS (SELECT ${k}, sum(n) AS n FROM ${sql.table(counters)} GROUP BY ${k} HAVING sum(n) <> 0), l AS (${logs})
        SELECT concat_ws(' ', ${k}) AS key, COALESCE(c.n, 0)::int AS counted, COALESCE(l.n, 0)::int AS logged
        FROM c FULL JOIN l USING (${k})
        WHERE COALESCE(c.n, 0) <> COALESCE(l.n, 0) OR c.n < 0`.execute(db);
      return rows;
    };
    const events = await compare(
      'event_counts_1m',
      ['workspace_id', 'minute', 'connection_id', 'destination_id', 'source_id', 'status'],
      sql`SELECT workspace_id, ${minute('created_at')} AS minute, connection_id, destination_id, source_id, status, count(*) AS n FROM events GROUP BY 1, 2, 3, 4, 5, 6`,
    );
    const requests = await compare(
      'request_counts_1m',
      ['workspace_id', 'minute', 'source_id', 'status', 'verified'],
      sql`SELECT workspace_id, ${minute('created_at')} AS minute, source_id, status, verified, count(*) AS n FROM requests GROUP BY 1, 2, 3, 4, 5`,
    );
    const ignored = await compare(
      'ignored_counts_1m',
      ['workspace_id', 'minute', 'connection_id', 'source_id'],
      sql`SELECT i.workspace_id, ${minute('i.created_at')} AS minute, i.connection_id, r.source_id, count(*) AS n FROM ignored_events i JOIN requests r ON r.id = i.request_id GROUP BY 1, 2, 3, 4`,
    );
    const { rows } = await sql<Record<string, number>>`
      SELECT (SELECT count(*) FROM events)::int AS events, (SELECT count(*) FROM requests)::int AS requests, (SELECT count(*) FROM ignored_events)::int AS ignored,
             (SELECT COALESCE(sum(n), 0) FROM event_counts_1m)::int AS counted_events`.execute(db);
    return { events, requests, ignored, totals: rows[0] };
  }
  async function expectCountsMatchLogs(step: string) {
    const m = await mismatches();
    expect({ events: m.events, requests: m.requests, ignored: m.ignored }, step).toEqual({ events: [], requests: [], ignored: [] });
    expect(m.totals.counted_events, step).toBe(m.totals.events);
    return m.totals;
  }

  beforeAll(async () => {
    hub = await startTestHub({ autoDisableAfter: 100_000 });
    receiver = await startReceiver((r) => {
      if (r.url === '/down' && down) return { status: 500, body: 'down' };
      // Each event fails its first attempt at /flaky and succeeds on the retry.
      const id = String(r.headers['webhook-id']);
      if (r.url === '/flaky' && !flakySeen.has(id)) {
        flakySeen.add(id);
        return { status: 503, body: 'later' };
      }
      return { status: 200, body: 'ok' };
    });
    ws = await newWorkspace(hub);
    const create = async (path: string, body: object) => {
      const res = await api('post', path).send(body);
      expect(res.status, res.text).toBe(201);
      return res.body.id as string;
    };
    ids.shop = await create('/sources', { name: 'shop' });
    ids.crm = await create('/sources', { name: 'crm' });
    ids.late = await create('/sources', { name: 'late' });
    ids.locked = await create('/sources', { name: 'locked', config: { auth: { type: 'api_key', header_key: 'x-api-key', api_key: 'open sesame' } } });
    for (const name of ['ok', 'down', 'flaky', 'later', 'held'] as const)
      ids[name] = await create('/destinations', { name, config: { url: `${receiver.url}/${name}` } });
    const noRetry = { type: 'retry', count: 0, interval: 1000 };
    ids.okConn = await create('/connections', { name: 'ok', source_id: ids.shop, destination_id: ids.ok });
    ids.downConn = await create('/connections', { name: 'down', source_id: ids.shop, destination_id: ids.down, rules: [noRetry] });
    ids.filterConn = await create('/connections', {
      name: 'keep',
      source_id: ids.shop,
      destination_id: ids.ok,
      rules: [{ type: 'filter', body: { type: 'keep' } }],
    });
    ids.dedupeConn = await create('/connections', {
      name: 'once',
      source_id: ids.shop,
      destination_id: ids.ok,
      rules: [{ type: 'deduplicate', window: 3_600_000, include_fields: ['body.type'] }],
    });
    ids.flakyConn = await create('/connections', {
      name: 'flaky',
      source_id: ids.crm,
      destination_id: ids.flaky,
      rules: [{ type: 'retry', strategy: 'linear', count: 2, interval: 1000 }],
    });
    ids.laterConn = await create('/connections', {
      name: 'later',
      source_id: ids.late,
      destination_id: ids.later,
      rules: [{ type: 'delay', delay: 86_400_000 }],
    });
    ids.heldConn = await create('/connections', { name: 'held', source_id: ids.late, destination_id: ids.held, rules: [{ type: 'delay', delay: 86_400_000 }] });
    await create('/connections', { name: 'locked-ok', source_id: ids.locked, destination_id: ids.ok });
    // A filter after a transformation turns events away at delivery: they move to ignored_events.
    ids.tx = await create('/sources', { name: 'tx' });
    const code = 'addHandler("transform", (request) => ({ ...request, body: { ...request.body, keep: request.body.n % 2 === 0 } }))';
    ids.txConn = await create('/connections', {
      name: 'tx',
      source_id: ids.tx,
      destination_id: ids.ok,
      rules: [
        { type: 'transformation', transformation: { name: 'even', code } },
        { type: 'filter', body: { keep: true } },
      ],
    });
  }, 60_000);
  afterAll(async () => {
    await hub?.close();
    await receiver?.close();
  });

  it('counts what ingest writes: delivered, failed, retrying, delayed, filtered, duplicates, rejected', async () => {
    // Two of the ten are the first of their type at "once"; the other eight are duplicates.
    for (let n = 0; n < 10; n++) await send(ids.shop, { type: n % 2 ? 'skip' : 'keep', n });
    for (let n = 0; n < 4; n++) await send(ids.crm, { n });
    for (let n = 0; n < 3; n++) await send(ids.late, { n });
    await send(ids.locked, { n: 1 }, { 'x-api-key': 'wrong' });
    await send(ids.locked, { n: 2 }, { 'x-api-key': 'open sesame' });
    await waitFor(
      async () => (await count('/events/count?status=failed')) === 10 && (await count(`/events/count?status=delivered&source_id=${ids.shop}`)) === 17,
      20_000,
      'the shop events delivered or failed',
    );
    const totals = await expectCountsMatchLogs('after ingest');
    expect(totals).toMatchObject({ events: 10 + 10 + 5 + 2 + 4 + 6 + 1, requests: 19, ignored: 5 + 8 });
  });

  it('follows automatic retries to delivery', async () => {
    await waitFor(
      async () => (await count(`/events/count?status=delivered&connection_id=${ids.flakyConn}`)) === 4,
      20_000,
      'the flaky events delivered on their retry',
    );
    expect(receiver.received.filter((r) => r.url === '/flaky')).toHaveLength(8);
    await expectCountsMatchLogs('after retries');
  });

  it('follows events a transformation’s filter turns away at delivery, moved to ignored events', async () => {
    const before = (await mismatches()).totals;
    for (let n = 0; n < 4; n++) await send(ids.tx, { n });
    await waitFor(
      async () =>
        (await count(`/events/count?connection_id=${ids.txConn}`)) === 2 && (await count(`/events/count?status=delivered&connection_id=${ids.txConn}`)) === 2,
      20_000,
      'the even ones delivered, the odd ones moved',
    );
    const after = await expectCountsMatchLogs('after events moved to ignored events');
    expect(after.ignored - before.ignored).toBe(2);
  });

  it('follows a manual retry, a bulk retry and replays of requests', async () => {
    down = false;
    const failed = (await api('get', `/events?status=failed&limit=1`)).body.models[0];
    expect((await api('post', `/events/${failed.id}/retry`)).status).toBe(202);
    await waitFor(async () => (await count('/events/count?status=failed')) === 9, 10_000, 'the retried event delivered');
    await expectCountsMatchLogs('after a manual retry');

    const bulk = await api('post', '/events/bulk_operations').send({ status: 'failed' });
    expect(bulk.status, bulk.text).toBe(202);
    await waitFor(async () => (await api('get', `/events/bulk_operations/${bulk.body.id}`)).body.state === 'completed', 30_000, 'the bulk retry');
    await waitFor(async () => (await count('/events/count?status=failed')) === 0, 20_000, 'the bulk-retried events delivered');
    await expectCountsMatchLogs('after a bulk retry');

    // A replay makes new events and ignored events for old requests, and marks the requests.
    const request = (await api('get', `/requests?source_id=${ids.shop}&limit=1`)).body.models[0];
    expect((await api('post', `/requests/${request.id}/retry`)).status).toBeLessThan(300);
    const replay = await api('post', '/requests/bulk_operations').send({ source_id: ids.shop });
    expect(replay.status, replay.text).toBe(202);
    await waitFor(async () => (await api('get', `/requests/bulk_operations/${replay.body.id}`)).body.state === 'completed', 30_000, 'the bulk replay');
    await waitFor(async () => (await count('/events/count?status=QUEUED')) === 0, 20_000, 'the replayed events delivered');
    const totals = await expectCountsMatchLogs('after replays');
    expect(totals.ignored).toBeGreaterThan(13);
  });

  it('follows held, released and cancelled events as destinations and connections change', async () => {
    expect(await count('/events/count?status=SCHEDULED')).toBe(6);
    expect((await api('put', `/destinations/${ids.held}/disable`)).status).toBe(200);
    expect(await count('/events/count?status=HOLD')).toBe(3);
    await expectCountsMatchLogs('after holding');
    expect((await api('put', `/destinations/${ids.held}/enable`)).status).toBe(200);
    await waitFor(async () => (await count(`/events/count?status=delivered&destination_id=${ids.held}`)) === 3, 10_000, 'the released events delivered');
    await expectCountsMatchLogs('after releasing');

    // Deleting a connection or a destination cancels its waiting events; nothing deletes events.
    expect((await api('delete', `/connections/${ids.laterConn}`)).status).toBeLessThan(300);
    expect(await count('/events/count?status=CANCELLED')).toBe(3);
    expect((await api('delete', `/destinations/${ids.down}`)).status).toBeLessThan(300);
    await expectCountsMatchLogs('after deleting a connection and a destination');
  });

  it('follows rows moved in time or to another source, and deleted ones', async () => {
    const db = hub.deps.db;
    const request = await db.selectFrom('ignored_events').select('request_id').orderBy('created_at').executeTakeFirstOrThrow();
    const past = new Date(Date.now() - 90 * 60_000);
    // What test/metrics.test.ts does to place traffic at known times.
    await db.updateTable('requests').set({ created_at: past }).where('id', '=', request.request_id).execute();
    await db.updateTable('events').set({ created_at: past }).where('request_id', '=', request.request_id).execute();
    await db.updateTable('ignored_events').set({ created_at: past }).where('request_id', '=', request.request_id).execute();
    await expectCountsMatchLogs('after moving a request in time');

    // Its ignored events count under its source, and follow it.
    await db.updateTable('requests').set({ source_id: ids.crm }).where('id', '=', request.request_id).execute();
    await expectCountsMatchLogs('after moving a request to another source');

    const oneIgnored = await db.selectFrom('ignored_events').select('id').executeTakeFirstOrThrow();
    await db.deleteFrom('ignored_events').where('id', '=', oneIgnored.id).execute();
    await expectCountsMatchLogs('after deleting an ignored event');

    // What a retention job would do: the requests' events and ignored events go by cascade.
    const before = await expectCountsMatchLogs('before deleting requests');
    const gone = await db.deleteFrom('requests').where('source_id', '=', ids.shop).executeTakeFirst();
    expect(Number(gone.numDeletedRows)).toBeGreaterThan(0);
    const after = await expectCountsMatchLogs('after deleting requests');
    expect(after.events).toBeLessThan(before.events);
    expect(after.ignored).toBeLessThan(before.ignored);
  });

  it('stays exact under concurrent ingest and delivery', async () => {
    const sent = await Promise.all(Array.from({ length: 120 }, (_, n) => hub.api('post', `/e/${n % 2 ? ids.shop : ids.crm}`).send({ type: 'keep', n })));
    expect(sent.every((r) => r.status === 200)).toBe(true);
    await waitFor(
      async () => (await count('/events/count?status=QUEUED')) === 0 && (await count('/events/count?status=SCHEDULED')) === 0,
      30_000,
      'everything delivered',
    );
    await expectCountsMatchLogs('after concurrent traffic');
  });

  // The embedded database has one connection, so only the server can hold two transactions open.
  it.skipIf(!inject('databaseUrl'))('never makes a writer wait for the counters another transaction holds', async () => {
    const { rows } = await sql<{ ids: string[] }>`
      SELECT array_agg(id ORDER BY id) AS ids FROM events WHERE status = 'SUCCESSFUL'
      GROUP BY workspace_id, date_bin('1 minute', created_at, TIMESTAMPTZ 'epoch'), connection_id, destination_id, source_id
      HAVING count(*) >= 2 LIMIT 1`.execute(hub.deps.db);
    const [first, second] = rows[0].ids;
    const holder = new pg.Client(hub.deps.database.poolConfig);
    const other = new pg.Client(hub.deps.database.poolConfig);
    await Promise.all([holder.connect(), other.connect()]);
    try {
      // The holder's open transaction holds the rows of the key both events count under.
      await holder.query('BEGIN');
      await holder.query(`UPDATE events SET status = 'FAILED' WHERE id = $1`, [first]);
      // Waiting for them would end in this error (or, with statements in the other order, a deadlock).
      await other.query(`SET lock_timeout = '2s'`);
      await other.query(`UPDATE events SET status = 'FAILED' WHERE id = $1`, [second]);
      await holder.query('COMMIT');
    } finally {
      await holder.query('ROLLBACK').catch(() => {});
      await Promise.all([holder.end(), other.end()]);
    }
    await expectCountsMatchLogs('after two transactions changed the same key at once');
    await hub.deps.db.updateTable('events').set({ status: 'SUCCESSFUL' }).where('id', 'in', [first, second]).execute();
    await expectCountsMatchLogs('after both were put back');
  });

  it('draws the same charts from the counts as from the logs', async () => {
    // Whole minutes at 1m come from the counts, the partial ones at either end from the logs; at
    // 30s everything comes from the logs. Pairs of 30s buckets are the 1m buckets.
    const start = new Date(Math.floor(Date.now() / 60_000) * 60_000 - 120 * 60_000 + 15_000).toISOString();
    const end = new Date(Date.now() + 60_000).toISOString();
    const chart = async (path: string, granularity: string, filter: string) => {
      const res = await api('get', `/metrics/${path}?date_range[start]=${start}&date_range[end]=${end}&granularity=${granularity}${filter}`);
      expect(res.status, res.text).toBe(200);
      return res.body.data as ({ time: string } & Record<string, number>)[];
    };
    const byMinute = (data: ({ time: string } & Record<string, number>)[]) => {
      const out = new Map<string, Record<string, number>>();
      for (const { time, ...values } of data) {
        const minute = new Date(Math.floor(Date.parse(time) / 60_000) * 60_000).toISOString();
        const sum = out.get(minute) ?? {};
        for (const [k, v] of Object.entries(values)) sum[k] = (sum[k] ?? 0) + v;
        out.set(minute, sum);
      }
      return [...out.entries()];
    };
    let seen = 0;
    for (const filter of [
      '',
      `&source_id=${ids.crm}`,
      `&connection_id=${ids.okConn}`,
      `&destination_id=${ids.ok}`,
      '&status=delivered',
      '&status=ignored',
      '&status=CANCELLED,SCHEDULED',
    ]) {
      const counted = await chart('events', '1m', filter);
      const logged = await chart('events', '30s', filter);
      expect(byMinute(counted), filter).toEqual(byMinute(logged));
      seen += counted.reduce((n, d) => n + d.count + d.ignored_count, 0);
    }
    for (const filter of ['', `&source_id=${ids.locked}`, '&status=rejected', '&verified=false']) {
      expect(byMinute(await chart('requests', '1m', filter)), filter).toEqual(byMinute(await chart('requests', '30s', filter)));
    }
    expect(seen).toBeGreaterThan(100);
  });
});
