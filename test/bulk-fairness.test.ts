import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newWorkspace, startTestHub, waitFor, type TestHub } from './support/hub.ts';
import { startReceiver } from './support/receiver.ts';

const BULK = 2_000;

// A shop's CRM was down for an hour: 2,000 order events failed. The owner retries them all at
// once while the shop keeps taking orders. New orders must reach the CRM right away, not after
// the hour's backlog — on the same destination, in the same delivery lane, one delivery at a time.
describe('a bulk retry does not starve fresh traffic', () => {
  let hub: TestHub;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let ws: Awaited<ReturnType<typeof newWorkspace>>;
  let backfill: string;
  let live: string;
  const api = (m: 'get' | 'post', url: string) => hub.api(m, `/api/v1${url}`, ws.key);
  const kinds = () => receiver.received.map((r) => JSON.parse(r.body.toString('utf8')) as { bulk?: number; fresh?: number });
  const bulkDelivered = () => kinds().filter((k) => k.bulk !== undefined).length;

  beforeAll(async () => {
    // One lane, one delivery in flight: whatever the lane claims next is exactly what goes next.
    hub = await startTestHub({ deliveryConcurrency: 1, deliveryLanes: 1 });
    receiver = await startReceiver();
    ws = await newWorkspace(hub);
    backfill = (await api('post', '/sources').send({ name: 'backfill' })).body.id;
    live = (await api('post', '/sources').send({ name: 'shop' })).body.id;
    const crm = (await api('post', '/destinations').send({ name: 'crm', config: { url: `${receiver.url}/crm` } })).body.id;
    const old = (await api('post', '/connections').send({ name: 'backfill-crm', source_id: backfill, destination_id: crm })).body.id;
    expect((await api('post', '/connections').send({ name: 'shop-crm', source_id: live, destination_id: crm })).status).toBe(201);

    // The failed hour, written the way the bench writes it: the story here is the retry, not the outage.
    const db = hub.deps.db;
    await sql`
      INSERT INTO requests (id, workspace_id, source_id, status, verified, method, path, content_type, body, events_count, created_at)
      SELECT 'req_seed' || lpad(i::text, 22, '0'), ${ws.teamId}, ${backfill}, 'accepted', true, 'POST', '/', 'application/json',
             convert_to('{"bulk":' || i || '}', 'UTF8'), 1, now() - interval '1 hour' + i * interval '1 second'
      FROM generate_series(1, ${BULK}::int) AS i`.execute(db);
    await sql`
      INSERT INTO events (id, workspace_id, request_id, source_id, connection_id, destination_id, lane, status, attempts, response_status, created_at)
      SELECT 'evt_seed' || lpad(i::text, 22, '0'), ${ws.teamId}, 'req_seed' || lpad(i::text, 22, '0'), ${backfill}, ${old}, ${crm}, 0, 'FAILED', 1, 503,
             now() - interval '1 hour' + i * interval '1 second'
      FROM generate_series(1, ${BULK}::int) AS i`.execute(db);
  }, 60_000);
  afterAll(async () => {
    await hub?.close();
    await receiver?.close();
  });

  it('delivers new orders ahead of the retried backlog, and the retry still delivers every event once', async () => {
    const res = await api('post', '/events/bulk_operations').send({ status: 'failed', source_id: backfill });
    expect(res.status, res.text).toBe(202);
    expect(res.body.estimated_count).toBe(BULK);
    // Under way, with a queue of released bulk events waiting in the lane.
    await waitFor(() => bulkDelivered() >= 100, 60_000, '100 bulk deliveries');
    const queued = await api('get', `/events/count?status=QUEUED&batch_operation_id=${res.body.id}`);
    expect(queued.body.count).toBeGreaterThan(100);

    for (let round = 0; round < 3; round++) {
      const sent = await Promise.all([0, 1, 2].map((i) => hub.api('post', `/e/${live}`).send({ fresh: round * 3 + i })));
      for (const s of sent) expect(s.status).toBe(200);
      // Stored and due from here on: only what the lane already holds may go before them.
      const bulkBefore = bulkDelivered();
      await waitFor(() => kinds().filter((k) => k.fresh !== undefined).length === (round + 1) * 3, 30_000, `fresh round ${round}`);
      const seen = kinds();
      const lastFresh = seen.findLastIndex((k) => k.fresh !== undefined);
      const bulkAhead = seen.slice(0, lastFresh).filter((k) => k.bulk !== undefined).length - bulkBefore;
      // Oldest-first claiming put them behind every released bulk event (hundreds); fresh-first,
      // behind the one delivery in flight and a claim already under way.
      expect(bulkAhead, `bulk deliveries between round ${round}'s fresh events being stored and delivered`).toBeLessThanOrEqual(10);
      expect(seen.slice(0, lastFresh).filter((k) => k.bulk !== undefined).length).toBeLessThan(BULK / 2);
    }

    // Fresh first is not fresh only: the whole retry completes, each event delivered once.
    await waitFor(
      async () => (await api('get', `/events/bulk_operations/${res.body.id}`)).body.state === 'completed',
      120_000,
      'the bulk operation to complete',
    );
    await waitFor(() => bulkDelivered() === BULK, 120_000, 'every bulk event delivered');
    await new Promise((r) => setTimeout(r, 300));
    const ids = kinds().flatMap((k) => (k.bulk === undefined ? [] : [k.bulk]));
    expect(ids).toHaveLength(BULK);
    expect(new Set(ids).size).toBe(BULK);
    expect((await api('get', `/events/count?status=SUCCESSFUL&batch_operation_id=${res.body.id}`)).body.count).toBe(BULK);
  }, 240_000);
});
