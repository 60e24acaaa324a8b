import { isUtf8 } from 'node:buffer';
import { sql, type Kysely } from 'kysely';
import { z } from 'zod';
import { connectorFor } from '../../connectors/index.ts';
import { MOCK_API_TYPE, mockUrl } from '../../connectors/mock-api/config.ts';
import type { MockApiReceived, MockApiRecorder } from '../../connectors/types.ts';
import { AppError, notFound } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import { listParams, paginate, type Page } from '../core/pagination.ts';
import type { DB, MockApiRequestsTable } from '../db/schema.ts';
import type { Selectable } from 'kysely';

/** Kept per request: enough for any webhook a user would try, small enough for 1,000 of them. */
export const MAX_MOCK_BODY_BYTES = 256 * 1024;
export const MOCK_REQUESTS_PER_DESTINATION = 1000;
export const MOCK_REQUESTS_MAX_AGE_DAYS = 7;
/** Between housekeeping runs, a busy mock trims itself after this many recordings. */
const TRIM_EVERY = 100;

type MockRequestRow = Selectable<MockApiRequestsTable>;

/** The body as text when it is UTF-8 PostgreSQL can hold (no NUL), otherwise base64; both capped. */
export function storedBody(body: Buffer): { body: string; body_encoding: 'utf8' | 'base64'; body_size: number; body_truncated: boolean } {
  const truncated = body.length > MAX_MOCK_BODY_BYTES;
  const kept = truncated ? body.subarray(0, MAX_MOCK_BODY_BYTES) : body;
  const text = isUtf8(body) && !body.includes(0);
  // A cut through a multi-byte character shows as U+FFFD at the end of a truncated text body.
  return { body: kept.toString(text ? 'utf8' : 'base64'), body_encoding: text ? 'utf8' : 'base64', body_size: body.length, body_truncated: truncated };
}

/** Keeps the newest requests of each destination (of one, when given) and drops the rest. */
export async function trimMockRequests(db: Kysely<DB>, destinationId?: string): Promise<void> {
  const only = destinationId ? sql`WHERE destination_id = ${destinationId}` : sql``;
  await sql`
    DELETE FROM mock_api_requests m USING (
      SELECT c.destination_id, k.created_at, k.id
      FROM (SELECT destination_id FROM mock_api_requests ${only} GROUP BY destination_id HAVING count(*) > ${MOCK_REQUESTS_PER_DESTINATION}) c
      CROSS JOIN LATERAL (
        SELECT created_at, id FROM mock_api_requests x WHERE x.destination_id = c.destination_id
        ORDER BY created_at DESC, id DESC OFFSET ${MOCK_REQUESTS_PER_DESTINATION - 1} LIMIT 1
      ) k
    ) oldest_kept
    WHERE m.destination_id = oldest_kept.destination_id AND (m.created_at, m.id) < (oldest_kept.created_at, oldest_kept.id)`.execute(db);
}

/** Housekeeping: at most the last 1,000 per destination, none older than 7 days. */
export async function pruneMockRequests(db: Kysely<DB>): Promise<void> {
  await sql`DELETE FROM mock_api_requests WHERE created_at < now() - make_interval(days => ${MOCK_REQUESTS_MAX_AGE_DAYS})`.execute(db);
  await trimMockRequests(db);
}

/** What the delivery context hands MOCK_API deliveries: they are stored as they arrive. */
export function mockApiRecorder(db: Kysely<DB>): MockApiRecorder {
  const counts = new Map<string, number>();
  return {
    async record(r: MockApiReceived) {
      const id = newId('mrq');
      await db
        .insertInto('mock_api_requests')
        .values({
          id,
          workspace_id: r.workspaceId,
          destination_id: r.destinationId,
          event_id: r.eventId,
          method: r.method,
          path: r.path,
          query: r.query,
          headers: JSON.stringify(r.headers),
          ...storedBody(r.body),
          response_status: r.responseStatus,
        })
        .execute();
      const n = (counts.get(r.destinationId) ?? 0) + 1;
      if (counts.size > 10_000) counts.clear();
      counts.set(r.destinationId, n);
      if (n % TRIM_EVERY === 0) await trimMockRequests(db, r.destinationId);
      return { id };
    },
  };
}

export const MockRequestsQuery = z.object({
  limit: listParams.limit,
  next: listParams.next,
  prev: listParams.prev,
  cursor: listParams.cursor,
  dir: listParams.dir,
  include: z.string().max(100).optional(),
});

const SUMMARY = [
  'id',
  'workspace_id',
  'destination_id',
  'event_id',
  'method',
  'path',
  'query',
  'headers',
  'body_encoding',
  'body_size',
  'body_truncated',
  'response_status',
  'created_at',
] as const;

export type MockRequestOut = {
  id: string;
  team_id: string;
  destination_id: string;
  event_id: string | null;
  method: string;
  path: string;
  query: string;
  url: string;
  headers: Record<string, string>;
  /** Only in one request's read, or a list with `include=body`. */
  body?: string;
  body_encoding: 'utf8' | 'base64';
  body_size: number;
  body_truncated: boolean;
  response_status: number;
  created_at: Date;
};

function mockRequestOut(row: Omit<MockRequestRow, 'body'> & { body?: string }): MockRequestOut {
  return {
    id: row.id,
    team_id: row.workspace_id,
    destination_id: row.destination_id,
    event_id: row.event_id,
    method: row.method,
    path: row.path,
    query: row.query,
    url: mockUrl(row.destination_id, row.query ? `${row.path}?${row.query}` : row.path),
    headers: row.headers,
    ...(row.body !== undefined ? { body: row.body } : {}),
    body_encoding: row.body_encoding,
    body_size: row.body_size,
    body_truncated: row.body_truncated,
    response_status: row.response_status,
    created_at: row.created_at,
  };
}

export function mockApiService(db: Kysely<DB>) {
  /** Another team's destination is not found; a destination of another type is the caller's mistake. */
  const mockDestination = async (ws: string, id: string) => {
    const row = await db.selectFrom('destinations').select(['id', 'type']).where('workspace_id', '=', ws).where('id', '=', id).executeTakeFirst();
    if (!row) throw notFound('Destination', id);
    if (connectorFor(row.type)?.id !== MOCK_API_TYPE) {
      throw new AppError(400, 'NOT_A_MOCK_API', `Destination ${id} is of type ${row.type}; only MOCK_API destinations record the requests they receive.`, [
        { path: 'id', message: 'must be a MOCK_API destination' },
      ]);
    }
  };

  return {
    /** Newest first by default; bodies only with `include=body` (each can be 256 KB). */
    async list(ws: string, destinationId: string, p: z.output<typeof MockRequestsQuery>): Promise<Page<MockRequestOut>> {
      await mockDestination(ws, destinationId);
      const withBody = (p.include ?? '').split(',').includes('body');
      const q = db
        .selectFrom('mock_api_requests')
        .select(withBody ? [...SUMMARY, 'body'] : SUMMARY)
        .where('destination_id', '=', destinationId);
      const page = await paginate(q, { ...p, order_by: 'created_at' }, 'created_at');
      return { ...page, models: page.models.map(mockRequestOut) };
    },
    async get(ws: string, destinationId: string, id: string): Promise<MockRequestOut> {
      await mockDestination(ws, destinationId);
      const row = await db.selectFrom('mock_api_requests').selectAll().where('destination_id', '=', destinationId).where('id', '=', id).executeTakeFirst();
      if (!row) throw notFound('Mock request', id);
      return mockRequestOut(row);
    },
    async clear(ws: string, destinationId: string): Promise<{ destination_id: string; deleted: number }> {
      await mockDestination(ws, destinationId);
      const res = await db.deleteFrom('mock_api_requests').where('destination_id', '=', destinationId).executeTakeFirst();
      return { destination_id: destinationId, deleted: Number(res.numDeletedRows) };
    },
  };
}
