import { type SelectQueryBuilder, sql } from 'kysely';
import { z } from 'zod';
import { AppError } from './errors.ts';
import { inCalendar } from './time.ts';

export const listParams = {
  order_by: z.enum(['name', 'created_at', 'updated_at']).default('created_at'),
  dir: z.enum(['asc', 'desc']).default('desc'),
  limit: z.coerce.number().int().min(1).max(255).default(100),
  next: z.string().max(512).optional(),
  prev: z.string().max(512).optional(),
  cursor: z.string().max(512).optional(),
};

export type Page<T> = {
  models: T[];
  pagination: { order_by: string; dir: 'asc' | 'desc'; limit: number; next: string | null; prev: string | null };
  count: number;
};

type Cursor = { v: string | null; id: string };

function encode(c: Cursor): string {
  return Buffer.from(JSON.stringify(c)).toString('base64url');
}

const invalidCursor = () =>
  new AppError(400, 'INVALID_CURSOR', 'The pagination cursor is not valid; use the value returned in pagination.next or pagination.prev.');

function decode(raw: string): Cursor {
  try {
    const c = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as Cursor;
    if (typeof c?.id === 'string' && (typeof c.v === 'string' || c.v === null)) return c;
  } catch {
    // fall through to the error below
  }
  throw invalidCursor();
}

const CURSOR_KEY = '__cursor_key';

/** PostgreSQL's text of a timestamptz, or an ISO string, with a year the calendar accepts. */
function validTime(v: string): boolean {
  const m = /^\d{4}-\d{2}-\d{2}[ T]([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,6})?(Z|[+-](0\d|1[0-5])(:?[0-5]\d)?)?$/.exec(v);
  return !!m && inCalendar(new Date(`${v.slice(0, 10)}T00:00:00Z`));
}

export type PageParams = { order_by: string; dir: 'asc' | 'desc'; limit: number; next?: string; prev?: string; cursor?: string };

/**
 * Keyset pagination over (order column, id). Ids are time-ordered, so the pair is a total order
 * and pages never skip or repeat rows while new ones arrive.
 */
export async function paginate<DB, TB extends keyof DB, O extends { id: string }>(
  qb: SelectQueryBuilder<DB, TB, O>,
  params: PageParams,
  column: string,
): Promise<Page<O>> {
  const forwardCursor = params.next ?? params.cursor;
  const backward = !forwardCursor && !!params.prev;
  const cursor = forwardCursor ? decode(forwardCursor) : params.prev ? decode(params.prev) : null;
  const asc = (params.dir === 'asc') !== backward;
  const col = sql.ref(column);
  const idCol = sql.ref(column.includes('.') ? `${column.split('.')[0]}.id` : 'id');
  const isTime = column.endsWith('_at');
  // The cursor carries the database's own text of the value: a JS Date keeps milliseconds, PostgreSQL
  // microseconds, and a rounded cursor would repeat or skip the rows of that millisecond.
  let q = qb.select(sql<string | null>`${col}::text`.as(CURSOR_KEY)) as unknown as SelectQueryBuilder<DB, TB, O>;
  if (cursor) {
    if (isTime && cursor.v !== null && !validTime(cursor.v)) throw invalidCursor(); // a forged time must not reach the database
    const value = isTime && cursor.v !== null ? sql`${cursor.v}::timestamptz` : cursor.v;
    q = asc ? q.where(sql<boolean>`(${col}, ${idCol}) > (${value}, ${cursor.id})`) : q.where(sql<boolean>`(${col}, ${idCol}) < (${value}, ${cursor.id})`);
  }
  const direction = asc ? sql`asc` : sql`desc`;
  const rows = await q
    .orderBy(sql`${col} ${direction}`)
    .orderBy(sql`${idCol} ${direction}`)
    .limit(params.limit + 1)
    .execute();
  const more = rows.length > params.limit;
  const keys = new Map<O, string | null>();
  const page = rows.slice(0, params.limit).map((row) => {
    const { [CURSOR_KEY]: k, ...rest } = row as O & { [CURSOR_KEY]: string | null };
    const model = rest as unknown as O;
    keys.set(model, k);
    return model;
  });
  if (backward) page.reverse();
  const key = (row: O): Cursor => ({ v: keys.get(row) ?? null, id: row.id });
  const first = page[0];
  const last = page[page.length - 1];
  const hasNext = backward ? !!cursor : more;
  const hasPrev = backward ? more : !!cursor;
  return {
    models: page,
    pagination: {
      order_by: params.order_by,
      dir: params.dir,
      limit: params.limit,
      next: hasNext && last ? encode(key(last)) : null,
      prev: hasPrev && first ? encode(key(first)) : null,
    },
    count: page.length,
  };
}
