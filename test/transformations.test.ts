import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { newId } from '../server/core/ids.ts';
import { pruneExecutions } from '../server/transformations/transformations.service.ts';
import { newWorkspace, startTestHub, waitFor, type TestHub } from './support/hub.ts';
import { startReceiver, type Received } from './support/receiver.ts';

type Transformation = {
  id: string;
  team_id: string;
  name: string;
  code: string;
  env: Record<string, string>;
  code_hash: string;
  updated_at: string;
  deleted_at: string | null;
};
type Log = { level: string; message: string };
type RunOut = {
  ok: boolean;
  request: { headers: Record<string, string>; body: unknown; query: Record<string, unknown>; path: string } | null;
  error: { code: string; message: string } | null;
  logs: Log[];
  duration_ms: number;
  input: unknown;
  execution_id: string | null;
};
type Execution = {
  id: string;
  status: 'ok' | 'failed';
  error_code: string | null;
  error_message: string | null;
  event_id: string | null;
  request_id: string | null;
  connection_id: string | null;
  logs: Log[];
  original?: unknown;
  transformed?: unknown;
};
type EventOut = { id: string; status: string; error_code: string | null; attempts: number; connection_id: string };
type Attempt = { status: string; error: { code: string; message: string } | null };

const RESHAPE = `
addHandler("transform", (request, context) => {
  console.log("tier", env.TIER);
  const order = request.body.order;
  return {
    ...request,
    headers: { ...request.headers, "x-tier": env.TIER },
    body: { order: { id: order.id, total_cents: Math.round(order.total * 100) } },
    path: "/orders",
    query: { src: "wirehub" },
  };
});`;

describe('transformations', () => {
  let hub: TestHub;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let ws: Awaited<ReturnType<typeof newWorkspace>>;
  let src: string;

  const api = (m: 'get' | 'post' | 'put' | 'patch' | 'delete', url: string, key = ws.key) => hub.api(m, `/api/v1${url}`, key);
  const at = (path: string) => receiver.received.filter((r) => r.url.split('?')[0].startsWith(`/${path}`));
  const json = (r: Received) => JSON.parse(r.body.toString('utf8')) as unknown;
  const create = async (name: string, code: string, env: Record<string, string> = {}) => {
    const res = await api('post', '/transformations').send({ name, code, env });
    expect(res.status, res.text).toBe(201);
    return res.body as Transformation;
  };
  async function connect(path: string, rules: unknown[], source = src): Promise<string> {
    const des = await api('post', '/destinations').send({ name: `to-${path}`, config: { url: `${receiver.url}/${path}` } });
    expect(des.status, des.text).toBe(201);
    const conn = await api('post', '/connections').send({ name: path, source_id: source, destination_id: des.body.id, rules });
    expect(conn.status, conn.text).toBe(201);
    return conn.body.id as string;
  }
  const ingest = async (body: object, source = src) => {
    const res = await hub.api('post', `/e/${source}`).send(body);
    expect(res.status, res.text).toBe(200);
    return res.body.request_id as string;
  };
  const eventsOf = async (requestId: string) => (await api('get', `/requests/${requestId}/events`)).body.models as EventOut[];
  const ignoredOf = async (requestId: string) =>
    (await api('get', `/requests/${requestId}/ignored_events`)).body.models as { connection_id: string; cause: string }[];
  const eventOf = async (id: string) => (await api('get', `/events/${id}`)).body as EventOut;
  const attemptsOf = async (eventId: string) => (await api('get', `/attempts?event_id=${eventId}`)).body.models as Attempt[];
  const executionsOf = async (id: string, q = '') => (await api('get', `/transformations/${id}/executions${q}`)).body.models as Execution[];

  beforeAll(async () => {
    [hub, receiver] = await Promise.all([
      startTestHub(),
      startReceiver((r) =>
        r.url.startsWith('/flaky') && receiver.received.filter((x) => x.url.startsWith('/flaky')).length === 1 ? { status: 500 } : { status: 200, body: 'ok' },
      ),
    ]);
    ws = await newWorkspace(hub);
    const s = await api('post', '/sources').send({ name: 'shop' });
    expect(s.status).toBe(201);
    src = s.body.id;
  });
  afterAll(async () => {
    await hub?.close();
    await receiver?.close();
  });

  describe('the API', () => {
    it('creates, lists, reads, updates, upserts by name and deletes', async () => {
      const a = await create('alpha', 'addHandler("transform", (r) => r)', { API_KEY: 'k1-secret' });
      expect(a).toMatchObject({
        id: expect.stringMatching(/^trs_/),
        team_id: ws.teamId,
        name: 'alpha',
        env: { API_KEY: 'k1-secret' },
        code_hash: expect.stringMatching(/^[0-9a-f]{64}$/),
        deleted_at: null,
      });
      // The variables are sealed in the database, not stored as given.
      const stored = await hub.deps.db.selectFrom('transformations').select('env_enc').where('id', '=', a.id).executeTakeFirstOrThrow();
      // '-' is not a base64 character, so a ciphertext cannot hold the value by chance (plain 'k1' did, now and then).
      expect(stored.env_enc).not.toContain('k1-secret');
      expect(hub.deps.box.openJson(stored.env_enc)).toEqual({ API_KEY: 'k1-secret' });

      const dup = await api('post', '/transformations').send({ name: 'alpha', code: 'x' });
      expect(dup.status).toBe(409);
      expect(dup.body.error.code).toBe('RESOURCE_ALREADY_EXISTS');

      const b = await create('beta', 'addHandler("transform", (r) => r)');
      const byName = await api('get', '/transformations?order_by=name&dir=asc&limit=1');
      expect(byName.body.models.map((t: Transformation) => t.name)).toEqual(['alpha']);
      const next = await api('get', `/transformations?order_by=name&dir=asc&limit=1&next=${byName.body.pagination.next}`);
      expect(next.body.models.map((t: Transformation) => t.name)).toEqual(['beta']);
      expect((await api('get', '/transformations?name=beta')).body.models.map((t: Transformation) => t.id)).toEqual([b.id]);
      expect((await api('get', `/transformations/${a.id}`)).body.code).toBe('addHandler("transform", (r) => r)');

      const put = await api('put', `/transformations/${a.id}`).send({ code: 'addHandler("transform", (r) => ({...r, path: "/x"}))' });
      expect(put.status, put.text).toBe(200);
      expect(put.body.code_hash).not.toBe(a.code_hash);
      expect(put.body.env).toEqual({ API_KEY: 'k1-secret' });
      const patched = await api('patch', `/transformations/${a.id}`).send({ env: { API_KEY: 'k2' } });
      expect(patched.body.env).toEqual({ API_KEY: 'k2' });
      expect((await api('patch', `/transformations/${a.id}`).send({ name: 'beta' })).status).toBe(409);

      // PUT /transformations upserts by name: the same id, the variables kept when left out.
      const again = await api('put', '/transformations').send({ name: 'alpha', code: 'addHandler("transform", (r) => r)' });
      expect(again.status).toBe(200);
      expect(again.body).toMatchObject({ id: a.id, env: { API_KEY: 'k2' } });
      const fresh = await api('put', '/transformations').send({ name: 'gamma', code: 'addHandler("transform", (r) => r)' });
      expect(fresh.status).toBe(201);

      expect((await api('delete', `/transformations/${fresh.body.id}`)).body).toEqual({ id: fresh.body.id, deleted: true });
      expect((await api('get', `/transformations/${fresh.body.id}`)).status).toBe(404);
      expect((await api('get', '/transformations?name=gamma')).body.models).toEqual([]);
      // Its name is free again.
      expect((await api('post', '/transformations').send({ name: 'gamma', code: 'x' })).status).toBe(201);
    });

    it('refuses bad input with the field at fault, and unknown ids with 404', async () => {
      const bad = async (method: 'post' | 'put' | 'patch', url: string, body: unknown, paths: string[]) => {
        const res = await api(method, url).send(body as object);
        expect(res.status, res.text).toBe(400);
        expect(res.body.error.code).toBe('VALIDATION_ERROR');
        expect(res.body.error.details.map((d: { path: string }) => d.path).sort()).toEqual(paths.sort());
      };
      const env51 = Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`K${i}`, 'v']));
      await bad('post', '/transformations', { code: 'x' }, ['body.name']);
      await bad('post', '/transformations', { name: 'big', code: 'x'.repeat(64 * 1024 + 1) }, ['body.code']);
      await bad('post', '/transformations', { name: 'env', code: 'x', env: env51 }, ['body.env']);
      await bad('post', '/transformations', { name: 'env', code: 'x', env: { N: 1 } }, ['body.env.N']);
      await bad('post', '/transformations', { name: 'env', code: 'x', surprise: true }, ['body.surprise']);
      await bad('put', '/transformations/run', { request: {} }, ['body.code']);
      await bad('put', '/transformations/run', { code: 'x', transformation_id: `trs_${'0'.repeat(26)}` }, ['body.transformation_id']);
      await bad('put', '/transformations/run', { code: 'x', request: { path: 'no-slash', headers: { a: 1 } } }, [
        'body.request.path',
        'body.request.headers.a',
      ]);

      const unknown = `trs_${'0'.repeat(26)}`;
      for (const [m, url] of [
        ['get', `/transformations/${unknown}`],
        ['put', `/transformations/${unknown}`],
        ['delete', `/transformations/${unknown}`],
        ['get', `/transformations/${unknown}/executions`],
        ['get', '/transformations/not-an-id'],
      ] as const) {
        const res = await api(m, url).send(m === 'put' ? { code: 'x' } : undefined);
        expect(res.status, `${m} ${url}`).toBe(404);
      }
      const run = await api('put', '/transformations/run').send({ transformation_id: unknown });
      expect(run.status).toBe(404);

      // Another team cannot see or run ours.
      const mine = await create('private', 'addHandler("transform", (r) => r)');
      const other = await newWorkspace(hub);
      expect((await api('get', `/transformations/${mine.id}`, other.key)).status).toBe(404);
      expect((await api('put', '/transformations/run', other.key).send({ transformation_id: mine.id })).status).toBe(404);
    });

    it('runs inline code on a sample: output, console, and the failure as the answer', async () => {
      const res = await api('put', '/transformations/run').send({
        code: RESHAPE,
        env: { TIER: 'gold' },
        request: { body: { order: { id: 7, total: 12.5 } }, headers: { 'content-type': 'application/json' } },
      });
      expect(res.status, res.text).toBe(200);
      const out = res.body as RunOut;
      expect(out).toMatchObject({ ok: true, error: null, execution_id: null });
      expect(out.request).toEqual({
        headers: { 'content-type': 'application/json', 'x-tier': 'gold' },
        body: { order: { id: 7, total_cents: 1250 } },
        query: { src: 'wirehub' },
        path: '/orders',
      });
      expect(out.logs).toEqual([expect.objectContaining({ level: 'log', message: 'tier gold' })]);
      // Left-out parts of the sample get their defaults.
      expect(out.input).toEqual({ headers: { 'content-type': 'application/json' }, body: { order: { id: 7, total: 12.5 } }, query: {}, path: '/' });

      const threw = await api('put', '/transformations/run').send({
        code: 'addHandler("transform", () => { console.warn("about to"); throw new Error("no order here"); })',
      });
      expect(threw.status).toBe(200);
      expect(threw.body).toMatchObject({ ok: false, request: null, error: { code: 'THREW', message: expect.stringContaining('no order here') } });
      expect(threw.body.logs).toEqual([expect.objectContaining({ level: 'warn', message: 'about to' })]);
    });

    it('runs a saved one by id, keeps each run as an execution, and reads a stored event as the sample', async () => {
      const t = await create('by-id', RESHAPE, { TIER: 'silver' });
      const ok = await api('put', '/transformations/run').send({ transformation_id: t.id, request: { body: { order: { id: 1, total: 2 } } } });
      expect(ok.body).toMatchObject({ ok: true, execution_id: expect.stringMatching(/^exe_/) });
      const failed = await api('put', '/transformations/run').send({ transformation_id: t.id, request: { body: { nothing: true } } });
      expect(failed.body).toMatchObject({ ok: false, error: { code: 'THREW' } });

      const all = await executionsOf(t.id);
      expect(all.map((x) => x.id)).toEqual([failed.body.execution_id, ok.body.execution_id]); // newest first
      expect(all[1]).toMatchObject({ status: 'ok', error_code: null, logs: [expect.objectContaining({ message: 'tier silver' })] });
      expect(all[0]).toMatchObject({ status: 'failed', error_code: 'THREW', error_message: expect.stringContaining("'id' of undefined") });
      expect((await executionsOf(t.id, '?status=failed')).map((x) => x.id)).toEqual([failed.body.execution_id]);
      const page = await api('get', `/transformations/${t.id}/executions?limit=1`);
      expect(page.body.models).toHaveLength(1);
      expect((await api('get', `/transformations/${t.id}/executions?limit=1&next=${page.body.pagination.next}`)).body.models[0].id).toBe(ok.body.execution_id);

      const one = (await api('get', `/transformations/${t.id}/executions/${ok.body.execution_id}`)).body as Execution;
      expect(one.original).toEqual({ headers: {}, body: { order: { id: 1, total: 2 } }, query: {}, path: '/' });
      expect(one.transformed).toEqual({
        headers: { 'x-tier': 'silver' },
        body: { order: { id: 1, total_cents: 200 } },
        query: { src: 'wirehub' },
        path: '/orders',
      });
      expect((await api('get', `/transformations/${t.id}/executions/exe_${'0'.repeat(26)}`)).status).toBe(404);

      // From a stored event: its request as it arrived, and the run is filed under the event.
      const own = (await api('post', '/sources').send({ name: 'sampled-source' })).body.id as string;
      const conn = await connect('sampled', [], own);
      const req = await ingest({ sampled: true, order: { id: 9, total: 1 } }, own);
      const [event] = await waitFor(async () => (await eventsOf(req)).length === 1 && eventsOf(req), 5000, 'the event');
      const fromEvent = await api('put', '/transformations/run').send({ transformation_id: t.id, event_id: event.id });
      expect(fromEvent.status, fromEvent.text).toBe(200);
      expect(fromEvent.body.input).toMatchObject({ body: { sampled: true, order: { id: 9, total: 1 } }, path: '/' });
      expect(fromEvent.body.request.body).toEqual({ order: { id: 9, total_cents: 100 } });
      expect(await executionsOf(t.id, `?event_id=${event.id}`)).toEqual([
        expect.objectContaining({ event_id: event.id, request_id: req, connection_id: conn }),
      ]);
    });
  });

  describe('the transformation rule', () => {
    it('upserts an inline transformation by name and stores the rule with its id', async () => {
      const code = 'addHandler("transform", (r) => r)';
      const first = await connect('inline-1', [{ type: 'transformation', transformation: { name: 'inline shared', code, env: { A: '1' } } }]);
      const rule = (await api('get', `/connections/${first}`)).body.rules[0];
      expect(rule).toEqual({ type: 'transformation', transformation_id: expect.stringMatching(/^trs_/) });
      const saved = (await api('get', `/transformations/${rule.transformation_id}`)).body as Transformation;
      expect(saved).toMatchObject({ name: 'inline shared', code, env: { A: '1' } });

      // The same name again updates that transformation rather than making a second one.
      const code2 = 'addHandler("transform", (r) => ({ ...r, path: "/v2" }))';
      const second = await connect('inline-2', [{ type: 'transformation', transformation: { name: 'inline shared', code: code2 } }]);
      expect((await api('get', `/connections/${second}`)).body.rules).toEqual([rule]);
      expect((await api('get', `/transformations/${rule.transformation_id}`)).body).toMatchObject({ code: code2, env: { A: '1' } });
      expect((await api('get', '/transformations?name=inline shared')).body.models).toHaveLength(1);

      // An id that is not one of the team's, and two transformation rules, are refused with the rule's index.
      const foreign = await newWorkspace(hub);
      const theirs = (await api('post', '/transformations', foreign.key).send({ name: 'theirs', code })).body.id as string;
      const refused = await api('patch', `/connections/${first}`).send({
        rules: [
          { type: 'filter', body: { a: 1 } },
          { type: 'transformation', transformation_id: theirs },
        ],
      });
      expect(refused.status).toBe(400);
      expect(refused.body.error.details).toEqual([expect.objectContaining({ path: 'body.rules.1.transformation_id' })]);
      const twice = await api('patch', `/connections/${first}`).send({
        rules: [
          { type: 'transformation', transformation_id: rule.transformation_id },
          { type: 'transformation', transformation_id: rule.transformation_id },
        ],
      });
      expect(twice.status).toBe(400);
      expect(twice.body.error.details.map((d: { path: string }) => d.path)).toEqual(['body.rules.1.type']);

      // In use: deleting it names the connections; once they let go, it can go.
      const inUse = await api('delete', `/transformations/${rule.transformation_id}`);
      expect(inUse.status).toBe(409);
      expect(inUse.body.error.code).toBe('TRANSFORMATION_IN_USE');
      expect(inUse.body.error.details.connections.map((c: { id: string }) => c.id).sort()).toEqual([first, second].sort());
      for (const c of [first, second]) expect((await api('patch', `/connections/${c}`).send({ rules: [] })).status).toBe(200);
      expect((await api('delete', `/transformations/${rule.transformation_id}`)).status).toBe(200);
    });

    it('runs every rule in the documented order: filter → deduplicate → delay → transformation → filter → transform → deliver (retry)', async () => {
      const t = await create('orders', RESHAPE, { TIER: 'gold' });
      const own = (await api('post', '/sources').send({ name: 'orders-source' })).body.id as string;
      const conn = await connect(
        'flaky',
        [
          { type: 'retry', strategy: 'linear', count: 2, interval: 1000 },
          {
            type: 'transform',
            mappings: [
              { to: 'id', from: 'body.order.id' },
              { to: 'cents', from: 'body.order.total_cents' },
              { to: 'tier', from: 'headers.x-tier' },
              { to: 'where', from: 'path' },
            ],
          },
          { type: 'filter', body: { kind: 'order' } },
          { type: 'deduplicate', window: 60_000, include_fields: ['body.order.id'] },
          { type: 'delay', delay: 1500 },
          { type: 'transformation', transformation_id: t.id },
          { type: 'filter', body: { order: { total_cents: { $gte: 1000 } } } },
        ],
        own,
      );
      const notOrder = await ingest({ kind: 'refund', order: { id: 1, total: 99 } }, own);
      const small = await ingest({ kind: 'order', order: { id: 2, total: 3.5 } }, own);
      const big = await ingest({ kind: 'order', order: { id: 3, total: 12.34 } }, own);
      const dupe = await ingest({ kind: 'order', order: { id: 3, total: 12.34 } }, own);

      // Ingest: the first filter reads the request as it came; deduplicate sees the original body.
      expect(await ignoredOf(notOrder)).toEqual([expect.objectContaining({ connection_id: conn, cause: 'FILTERED' })]);
      expect(await ignoredOf(dupe)).toEqual([expect.objectContaining({ connection_id: conn, cause: 'DUPLICATE' })]);
      const [bigEvent] = await eventsOf(big);
      expect(bigEvent.status).toBe('SCHEDULED');

      // The first delivery gets a 500, the retry goes through: the transformation runs for each.
      await waitFor(async () => (await eventOf(bigEvent.id)).status === 'SUCCESSFUL', 10_000, 'the retried delivery');
      const got = at('flaky');
      expect(got).toHaveLength(2);
      const last = got[1];
      expect(json(last)).toEqual({ id: 3, cents: 1234, tier: 'gold', where: '/orders' });
      expect(last.headers['x-tier']).toBe('gold');
      expect(last.url).toBe('/flaky/orders?src=wirehub');
      expect(last.headers['webhook-signature']).toMatch(/^v1,/);

      // The small order passed at ingest but not the filter after the transformation: ignored, not delivered.
      await waitFor(async () => (await ignoredOf(small)).length === 1, 10_000, 'the small order ignored');
      expect(await ignoredOf(small)).toEqual([expect.objectContaining({ connection_id: conn, cause: 'TRANSFORMATION_FILTERED' })]);
      expect(await eventsOf(small)).toEqual([]);
      expect((await api('get', `/requests/${small}`)).body).toMatchObject({ events_count: 0, ignored_count: 1 });
      // The team's list of ignored events finds it too; /events says where they are rather than answering an empty list.
      const ignored = await api('get', `/ignored_events?connection_id=${conn}&request_id=${small}`);
      expect(ignored.body.models).toEqual([expect.objectContaining({ request_id: small, connection_id: conn, cause: 'TRANSFORMATION_FILTERED' })]);
      expect(
        (await api('get', `/ignored_events?connection_id=${conn}&cause=TRANSFORMATION_FILTERED`)).body.models.map((g: { request_id: string }) => g.request_id),
      ).toContain(small);
      expect((await api('get', `/events/count?connection_id=${conn}&status=ignored`)).status).toBe(400);

      const runs = await executionsOf(t.id, `?connection_id=${conn}`);
      expect(runs.filter((x) => x.event_id === bigEvent.id)).toHaveLength(2);
      expect(runs.filter((x) => x.request_id === small)).toEqual([expect.objectContaining({ status: 'ok' })]);
      expect(runs.some((x) => x.request_id === notOrder || x.request_id === dupe)).toBe(false);
    });

    it('a throwing transformation fails its event with the message, no retry; other connections deliver; a manual retry runs the fixed code', async () => {
      const t = await create('thrower', 'addHandler("transform", (r) => { console.error("bad input"); throw new Error("cannot read the customer"); })');
      const src2 = (await api('post', '/sources').send({ name: 'thrower-source' })).body.id as string;
      const bad = await connect('broken', [{ type: 'transformation', transformation_id: t.id }], src2);
      const good = await connect('healthy', [], src2);
      const req = await ingest({ customer: null }, src2);
      await waitFor(() => at('healthy').length === 1, 10_000, 'the healthy connection');
      const events = await eventsOf(req);
      const failed = events.find((e) => e.connection_id === bad)!;
      expect(events.find((e) => e.connection_id === good)).toBeDefined();
      await waitFor(async () => (await eventOf(failed.id)).status === 'FAILED', 10_000, 'the failed event');
      expect(await eventOf(failed.id)).toMatchObject({ status: 'FAILED', error_code: 'TRANSFORMATION_FAILED', attempts: 1 });
      expect(await attemptsOf(failed.id)).toEqual([
        expect.objectContaining({
          status: 'FAILED',
          error: { code: 'TRANSFORMATION_FAILED', message: expect.stringContaining('THREW: Error: cannot read the customer') },
        }),
      ]);
      const [run] = await executionsOf(t.id);
      expect(run).toMatchObject({
        status: 'failed',
        error_code: 'THREW',
        event_id: failed.id,
        logs: [expect.objectContaining({ level: 'error', message: 'bad input' })],
      });
      expect(at('broken')).toHaveLength(0);
      // The receiver is not to blame: its destination keeps a clean record.
      const dest = (await api('get', `/connections/${bad}`)).body.destination.id as string;
      expect(
        (await hub.deps.db.selectFrom('destinations').select('consecutive_failures').where('id', '=', dest).executeTakeFirstOrThrow()).consecutive_failures,
      ).toBe(0);

      expect((await api('put', `/transformations/${t.id}`).send({ code: 'addHandler("transform", (r) => ({ ...r, body: { fixed: true } }))' })).status).toBe(
        200,
      );
      // A bulk dry run previews what the fixed code would send now, and sends nothing.
      const dry = await api('post', '/events/bulk_operations').send({ connection_id: bad, status: 'failed', dry_run: true });
      expect(dry.status, dry.text).toBe(200);
      expect(dry.body.sample).toEqual([
        expect.objectContaining({ event_id: failed.id, action: 'deliver', delivery: expect.objectContaining({ body: { fixed: true } }) }),
      ]);
      expect(at('broken')).toHaveLength(0);
      expect((await api('post', `/events/${failed.id}/retry`)).status).toBe(202);
      await waitFor(() => at('broken').length === 1, 10_000, 'the retry with the fixed code');
      expect(json(at('broken')[0])).toEqual({ fixed: true });
    });

    it('a retried event that the transformed request now filters out is CANCELLED with its history kept', async () => {
      const t = await create('gatekeeper', 'addHandler("transform", () => { throw new Error("not yet"); })');
      const own = (await api('post', '/sources').send({ name: 'gate-source' })).body.id as string;
      const conn = await connect(
        'gate',
        [
          { type: 'transformation', transformation_id: t.id },
          { type: 'filter', body: { pass: true } },
        ],
        own,
      );
      await ingest({ n: 1 }, own);
      const [ev] = await waitFor(
        async () => {
          const models = (await api('get', `/events?connection_id=${conn}&status=FAILED`)).body.models as EventOut[];
          return models.length === 1 && models;
        },
        10_000,
        'the first failure',
      );
      expect((await api('put', `/transformations/${t.id}`).send({ code: 'addHandler("transform", (r) => ({ ...r, body: { pass: false } }))' })).status).toBe(
        200,
      );
      expect((await api('post', `/events/${ev.id}/retry`)).status).toBe(202);
      await waitFor(async () => (await eventOf(ev.id)).status === 'CANCELLED', 10_000, 'the cancelled retry');
      expect(await eventOf(ev.id)).toMatchObject({ error_code: 'TRANSFORMATION_FILTERED', attempts: 2 });
      expect((await attemptsOf(ev.id)).map((a) => a.error?.code).sort()).toEqual(['TRANSFORMATION_FAILED', 'TRANSFORMATION_FILTERED']);
      expect(at('gate')).toHaveLength(0);
    });

    it('an endless loop is stopped (TIMEOUT) while ingest and the API keep answering', async () => {
      const loop = 'addHandler("transform", (r) => { for (;;) {} })';
      const t = await create('spinner', loop);
      const src3 = (await api('post', '/sources').send({ name: 'spinner-source' })).body.id as string;
      const conn = await connect('spin', [{ type: 'transformation', transformation_id: t.id }], src3);
      const other = await connect('beside-spin', [], src3);

      // A run on the API spins for its full second; requests sent meanwhile are answered before it ends.
      const order: string[] = [];
      const running = api('put', '/transformations/run')
        .send({ code: loop })
        .then((r) => {
          order.push('run');
          return r;
        });
      await new Promise((r) => setTimeout(r, 100));
      const meanwhile = await Promise.all([
        api('get', '/transformations').then((r) => (order.push('list'), r.status)),
        hub.api('get', '/api/health').then((r) => (order.push('health'), r.status)),
        hub
          .api('post', `/e/${src3}`)
          .send({ n: 1 })
          .then((r) => (order.push('ingest'), r.status)),
      ]);
      const ran = await running;
      expect(meanwhile).toEqual([200, 200, 200]);
      expect(order[order.length - 1]).toBe('run');
      expect(ran.body).toMatchObject({ ok: false, error: { code: 'TIMEOUT' } });

      // The delivery of the ingested request: the looping connection fails, the other delivers.
      await waitFor(() => at('beside-spin').length === 1, 10_000, 'the other connection');
      const [ev] = (await api('get', `/events?connection_id=${conn}`)).body.models as EventOut[];
      await waitFor(async () => (await eventOf(ev.id)).status === 'FAILED', 10_000, 'the looping event');
      expect((await attemptsOf(ev.id))[0]).toMatchObject({ error: { code: 'TRANSFORMATION_FAILED', message: expect.stringContaining('TIMEOUT') } });
      // The other connection's event was delivered, not merely created.
      const [beside] = (await api('get', `/events?connection_id=${other}`)).body.models as EventOut[];
      await waitFor(async () => (await eventOf(beside.id)).status === 'SUCCESSFUL', 10_000, "the other connection's event");
      expect(await eventOf(beside.id)).toMatchObject({ status: 'SUCCESSFUL', attempts: 1 });
    });

    it('on a published event it reshapes the data inside the envelope', async () => {
      const t = await create(
        'published',
        'addHandler("transform", (r) => ({ ...r, body: { ...r.body, channel: r.body.channel.toUpperCase() }, headers: { "x-from": "code" } }))',
      );
      expect(
        (await api('post', '/publish').send({ eventType: 'conversation.started', data: { started_at: '2026-05-03T14:19:55Z', channel: 'web' } })).status,
      ).toBe(202);
      const appSrc = ((await api('get', '/sources')).body.models as { id: string; type: string }[]).find((x) => x.type === 'APPLICATION')!.id;
      await connect('published', [{ type: 'transformation', transformation_id: t.id }], appSrc);
      expect(
        (await api('post', '/publish').send({ eventType: 'conversation.started', data: { started_at: '2026-05-03T14:20:55Z', channel: 'web' } })).status,
      ).toBe(202);
      await waitFor(() => at('published').length === 1, 10_000, 'the published event');
      expect(json(at('published')[0])).toMatchObject({ eventType: 'conversation.started', channel: 'WEB', started_at: '2026-05-03T14:20:55Z' });
      expect(at('published')[0].headers['x-from']).toBe('code');
    });
  });

  it('keeps executions bounded: older than the retention, or past 1,000 per transformation', async () => {
    const t = await create('many', 'addHandler("transform", (r) => r)');
    const old = new Date(Date.now() - 8 * 86_400_000);
    const rows = Array.from({ length: 1003 }, (_, i) => ({
      id: newId('exe'),
      workspace_id: ws.teamId,
      transformation_id: t.id,
      status: 'ok' as const,
      logs: '[]',
      duration_ms: 1,
      created_at: i === 0 ? old : new Date(Date.now() - (1003 - i) * 1000),
    }));
    await hub.deps.db.insertInto('transformation_executions').values(rows).execute();
    await pruneExecutions(hub.deps);
    const left = await hub.deps.db
      .selectFrom('transformation_executions')
      .select(sql<number>`count(*)::int`.as('n'))
      .where('transformation_id', '=', t.id)
      .executeTakeFirstOrThrow();
    expect(left.n).toBe(1000);
    const ids = (await hub.deps.db.selectFrom('transformation_executions').select('id').where('transformation_id', '=', t.id).execute()).map((r) => r.id);
    expect(ids).not.toContain(rows[0].id); // too old
    expect(ids).not.toContain(rows[1].id); // beyond the newest 1,000
    expect(ids).toContain(rows[1002].id);
  });
});
