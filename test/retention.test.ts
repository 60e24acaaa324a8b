import { type Kysely, sql } from 'kysely';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { idAt, newId } from '../server/core/ids.ts';
import type { DB, EventStatus } from '../server/db/schema.ts';
import { laneOf } from '../server/delivery/lanes.ts';
import { planReplay, writeReplays } from '../server/gateway/request-replay.ts';
import { housekeeping } from '../server/jobs/housekeeping.job.ts';
import { pruneLog, pruneTuning } from '../server/jobs/prune-log.job.ts';
import { newWorkspace, startTestHub, waitFor, type TestHub } from './support/hub.ts';
import { startReceiver } from './support/receiver.ts';

const V = '/api/v1';
const DAY = 86_400_000;
const daysAgo = (d: number) => new Date(Date.now() - d * DAY);

type Team = Awaited<ReturnType<typeof newWorkspace>> & { source: string; destination: string; connection: string };
type Entry = { request: string; events: string[]; attempts: string[]; ignored: string };

/**
 * One request of `team` stored `age` days ago as ingest and delivery would have left it: an event
 * per status given (each with an attempt unless it never ran) and an ignored event. The ids are
 * made at that time (idAt), as newId made them then; `touched` dates the events' last change.
 */
async function storedAt(db: Kysely<DB>, team: Team, age: number, statuses: EventStatus[], touched = age): Promise<Entry> {
  const at = daysAgo(age);
  const changed = daysAgo(touched);
  const entry: Entry = { request: idAt('req', at), events: [], attempts: [], ignored: idAt('ign', at) };
  await db
    .insertInto('requests')
    .values({
      id: entry.request,
      workspace_id: team.teamId,
      source_id: team.source,
      status: 'accepted',
      verified: false,
      method: 'POST',
      path: '/',
      query: '{}',
      headers: '{}',
      content_type: 'application/json',
      body: Buffer.from('{"old":true}'),
      events_count: statuses.length,
      ignored_count: 1,
      batch_operation_id: null,
      retry_kind: null,
      created_at: at,
    })
    .execute();
  for (const status of statuses) {
    const event = idAt('evt', at);
    entry.events.push(event);
    const waiting = status === 'QUEUED' || status === 'SCHEDULED';
    await db
      .insertInto('events')
      .values({
        id: event,
        workspace_id: team.teamId,
        request_id: entry.request,
        source_id: team.source,
        connection_id: team.connection,
        destination_id: team.destination,
        lane: laneOf(team.destination, 4),
        status,
        attempts: 1,
        next_attempt_at: waiting ? new Date(Date.now() + DAY) : null,
        lease_until: null,
        last_attempt_at: changed,
        response_status: 500,
        error_code: null,
        successful_at: status === 'SUCCESSFUL' ? changed : null,
        batch_operation_id: null,
        created_at: at,
        updated_at: changed,
      })
      .execute();
    const attempt = idAt('atm', at);
    entry.attempts.push(attempt);
    await db
      .insertInto('attempts')
      .values({
        id: attempt,
        workspace_id: team.teamId,
        event_id: event,
        destination_id: team.destination,
        attempt_number: 1,
        trigger: 'initial',
        status: status === 'SUCCESSFUL' ? 'SUCCESSFUL' : 'FAILED',
        request_method: 'POST',
        request_url: 'http://127.0.0.1:9/',
        request_headers: '{}',
        response_status: 500,
        response_headers: null,
        response_body: null,
        duration_ms: 5,
        error_code: null,
        error_message: null,
        request_body: null,
        record_id: null,
        created_at: at,
      })
      .execute();
  }
  await db
    .insertInto('ignored_events')
    .values({
      id: entry.ignored,
      workspace_id: team.teamId,
      request_id: entry.request,
      connection_id: team.connection,
      cause: 'FILTERED',
      step: null,
      created_at: at,
    })
    .execute();
  return entry;
}

async function present(db: Kysely<DB>, e: Entry) {
  const count = async (table: 'requests' | 'events' | 'attempts' | 'ignored_events', ids: string[]) =>
    Number(
      (
        await db
          .selectFrom(table)
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .where('id', 'in', ids)
          .executeTakeFirstOrThrow()
      ).n,
    );
  return {
    request: await count('requests', [e.request]),
    events: await count('events', e.events.length ? e.events : ['none']),
    attempts: await count('attempts', e.attempts.length ? e.attempts : ['none']),
    ignored: await count('ignored_events', [e.ignored]),
  };
}
const kept = (e: Entry) => ({ request: 1, events: e.events.length, attempts: e.attempts.length, ignored: 1 });
const GONE = { request: 0, events: 0, attempts: 0, ignored: 0 };

/** What the charts count for a team: the per-minute counts' totals. */
async function counted(db: Kysely<DB>, teamId: string) {
  const total = async (table: 'event_counts_1m' | 'request_counts_1m' | 'ignored_counts_1m' | 'attempt_counts_1m') =>
    Number((await sql<{ n: string }>`SELECT coalesce(sum(n), 0) AS n FROM ${sql.table(table)} WHERE workspace_id = ${teamId}`.execute(db)).rows[0].n);
  return {
    events: await total('event_counts_1m'),
    requests: await total('request_counts_1m'),
    ignored: await total('ignored_counts_1m'),
    attempts: await total('attempt_counts_1m'),
  };
}

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

describe('log retention: housekeeping deletes the log past its days', () => {
  let hub: TestHub;
  let db: Kysely<DB>;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  const tuning = { ...pruneTuning };
  const api = (team: Team, m: 'get' | 'post' | 'patch', url: string) => hub.api(m, `${V}${url}`, team.key);

  async function team(): Promise<Team> {
    const ws = await newWorkspace(hub);
    const create = async (path: string, body: object) => {
      const res = await hub.api('post', `${V}${path}`, ws.key).send(body);
      expect(res.status, res.text).toBe(201);
      return res.body.id as string;
    };
    const source = await create('/sources', { name: 'shop' });
    const destination = await create('/destinations', { name: 'orders api', config: { url: `${receiver.url}/orders` } });
    const connection = await create('/connections', { name: 'orders', source_id: source, destination_id: destination });
    // The team has been around for months: its log reaches back that far.
    await db
      .updateTable('workspaces')
      .set({ created_at: daysAgo(90) })
      .where('id', '=', ws.teamId)
      .execute();
    return { ...ws, source, destination, connection };
  }
  const ids = async (t: Team, list: string) => ((await api(t, 'get', `${list}?limit=250`)).body.models as { id: string }[]).map((m) => m.id);

  beforeAll(async () => {
    receiver = await startReceiver();
    hub = await startTestHub({}, { WIREHUB_RETENTION_DAYS: '7' });
    db = hub.deps.db;
    // The tests run housekeeping themselves, each at its moment: the minutely one would race them.
    await hub.jobs?.agenda.disable({ name: 'housekeeping' });
  });
  afterEach(() => Object.assign(pruneTuning, tuning));
  afterAll(async () => Promise.all([hub?.close(), receiver?.close()]));

  it('deletes old delivered requests with their events, attempts and ignored events, and keeps undelivered ones, recent ones and the charts', async () => {
    const t = await team();
    const res = await hub.api('post', `/e/${t.source}`).set('content-type', 'application/json').send({ order: 1 });
    expect(res.status, res.text).toBe(200);
    const live = res.body.request_id as string;
    await waitFor(
      async () => (await db.selectFrom('events').select('status').where('request_id', '=', live).executeTakeFirst())?.status === 'SUCCESSFUL',
      15_000,
      'the live request delivered',
    );

    const delivered = await storedAt(db, t, 10, ['SUCCESSFUL']);
    const failed = await storedAt(db, t, 9, ['FAILED', 'CANCELLED']);
    const rejected = await storedAt(db, t, 30, []);
    const retrying = await storedAt(db, t, 10, ['SCHEDULED']);
    const held = await storedAt(db, t, 10, ['HOLD']);
    const half = await storedAt(db, t, 10, ['SUCCESSFUL', 'QUEUED']);
    const replayed = await storedAt(db, t, 10, ['SUCCESSFUL'], 1);
    const recent = await storedAt(db, t, 6, ['SUCCESSFUL']);
    const charts = await counted(db, t.teamId);

    // Two requests a batch: the pass goes on batch after batch to the cutoff.
    Object.assign(pruneTuning, { batch: 2, embeddedBatch: 2, budgetMs: 60_000 });
    await housekeeping(hub.deps, new Map());

    for (const gone of [delivered, failed, rejected]) expect(await present(db, gone)).toEqual(GONE);
    for (const stays of [retrying, held, half, replayed, recent]) expect(await present(db, stays)).toEqual(kept(stays));
    expect(await db.selectFrom('requests').select('id').where('id', '=', live).executeTakeFirst()).toBeTruthy();
    // The log's lists no longer have them; the charts still count them.
    const listed = [...(await ids(t, '/requests')), ...(await ids(t, '/events')), ...(await ids(t, '/attempts'))];
    for (const gone of [delivered, failed, rejected]) for (const id of [gone.request, ...gone.events, ...gone.attempts]) expect(listed).not.toContain(id);
    for (const id of [retrying.request, ...held.events, ...half.attempts, recent.request]) expect(listed).toContain(id);
    expect(await counted(db, t.teamId)).toEqual(charts);

    // Asked for by id, a pruned row says why it is gone; a retry or replay of it is refused so, not a 500.
    const expired = (what: string, id: string, whose: string) => ({
      code: 'REQUEST_EXPIRED',
      message: `${what} ${id} is no longer kept: ${whose} removed after 7 days of retention.`,
      details: { retention_days: 7 },
    });
    const [event] = delivered.events;
    for (const [how, url, body] of [
      ['post', `/events/${event}/retry`, expired('Event', event, 'its request was')],
      ['get', `/events/${event}`, expired('Event', event, 'its request was')],
      ['post', `/requests/${delivered.request}/retry`, expired('Request', delivered.request, 'it was')],
      ['get', `/requests/${delivered.request}/events`, expired('Request', delivered.request, 'it was')],
      ['get', `/attempts/${delivered.attempts[0]}`, expired('Attempt', delivered.attempts[0], "its event's request was")],
    ] as const) {
      const res = await api(t, how, url);
      expect(res.status, `${how} ${url}`).toBe(410);
      expect(res.body.error).toEqual(body);
    }
    // One that never was is not found, as before: newer than the retention, or older than the team.
    for (const never of [newId('evt'), idAt('evt', daysAgo(100))]) {
      const unknown = await api(t, 'post', `/events/${never}/retry`);
      expect(unknown.status).toBe(404);
      expect(unknown.body.error.code).toBe('NOT_FOUND');
    }
    // A kept one is still retried.
    expect((await api(t, 'post', `/requests/${replayed.request}/retry`)).status).toBe(202);

    // Once its last event is final and the change is older than the retention, the request goes too.
    await db
      .updateTable('events')
      .set({ status: 'FAILED', next_attempt_at: null, updated_at: daysAgo(8) })
      .where('id', 'in', [...retrying.events, ...half.events])
      .execute();
    await pruneLog(hub.deps);
    expect(await present(db, retrying)).toEqual(GONE);
    expect(await present(db, half)).toEqual(GONE);
    expect(await present(db, held)).toEqual(kept(held));
  });

  it("prunes a team that keeps one day at its own cutoff, and another team's rows at the hub's", async () => {
    const short = await team();
    const other = await team();
    expect((await hub.api('patch', `${V}/teams/${short.teamId}`, short.token).send({ retention_days: 1 })).status).toBe(200);
    const shortOld = await storedAt(db, short, 2, ['SUCCESSFUL']);
    const shortNew = await storedAt(db, short, 0.5, ['SUCCESSFUL']);
    const otherOld = await storedAt(db, other, 2, ['SUCCESSFUL']);

    await housekeeping(hub.deps, new Map());

    expect(await present(db, shortOld)).toEqual(GONE);
    expect(await present(db, shortNew)).toEqual(kept(shortNew));
    expect(await present(db, otherOld)).toEqual(kept(otherOld));
    expect(await ids(short, '/requests')).not.toContain(shortOld.request);
    expect(await ids(other, '/requests')).toContain(otherOld.request);
    const retry = await api(short, 'post', `/events/${shortOld.events[0]}/retry`);
    expect(retry.status).toBe(410);
    expect(retry.body.error.message).toBe(`Event ${shortOld.events[0]} is no longer kept: its request was removed after 1 day of retention.`);
    expect((await api(other, 'get', `/events/${otherOld.events[0]}`)).status).toBe(200);
  });

  it('stores nothing for a replay planned before retention deleted its request, and says it was not replayed', async () => {
    const t = await team();
    const old = await storedAt(db, t, 10, ['SUCCESSFUL']);
    const row = await db.selectFrom('requests').selectAll().where('id', '=', old.request).executeTakeFirstOrThrow();
    const planned = await planReplay(hub.deps, row);
    expect(planned?.routed.events).toHaveLength(1);
    await pruneLog(hub.deps);
    // The request went between the replay's read and its write (the bulk replay's batch, the single replay's route).
    const written = await db.transaction().execute((trx) => writeReplays(trx, [planned!], { kind: 'single' }));
    expect(written).toEqual({ eventIds: [], replayed: [] });
    expect(await present(db, old)).toEqual(GONE);
  });

  it('stops a run at its time budget and goes on at the next run', async () => {
    const t = await team();
    const old: Entry[] = [];
    for (let i = 0; i < 5; i++) old.push(await storedAt(db, t, 20, ['SUCCESSFUL']));
    // No time at all: each run still does one batch, so the log always shrinks.
    Object.assign(pruneTuning, { batch: 2, embeddedBatch: 2, budgetMs: 0 });
    const left = async () => (await Promise.all(old.map((e) => present(db, e)))).filter((p) => p.request).length;
    const first = await pruneLog(hub.deps);
    expect(first).toMatchObject({ requests: 2, events: 2, attempts: 2, ignored: 2 });
    expect(await left()).toBe(3);
    for (let runs = 0; (await left()) > 0 && runs < 10; runs++) expect((await pruneLog(hub.deps)).requests).toBeLessThanOrEqual(2);
    expect(await left()).toBe(0);
  });

  it('vacuums the log tables after pruning on the embedded database, which has no autovacuum', async () => {
    const t = await team();
    for (let i = 0; i < 80; i++) await storedAt(db, t, 12, ['SUCCESSFUL']);
    // The pass the last test left half-way is above these rows (they were dated in the past after
    // it went by): it ends first, and the next pass starts from the oldest.
    let deleted = 0;
    const vacuumed = new Set<string>();
    for (let run = 0; run < 3 && deleted < 80; run++) {
      const report = await pruneLog(hub.deps);
      deleted += report.requests;
      for (const table of report.vacuumed) vacuumed.add(table);
    }
    expect(deleted).toBeGreaterThanOrEqual(80);
    if (!hub.deps.database.embedded) {
      expect([...vacuumed]).toEqual([]); // PostgreSQL's autovacuum does it
      return;
    }
    expect([...vacuumed]).toEqual(expect.arrayContaining(['requests', 'events', 'attempts', 'ignored_events']));
    const { rows } = await sql<{ relname: string; vacuumed: Date | null }>`
      SELECT relname, last_vacuum AS vacuumed FROM pg_stat_user_tables WHERE schemaname = current_schema() AND relname = 'events'`.execute(db);
    expect(rows[0].vacuumed).not.toBeNull();
  });
});
