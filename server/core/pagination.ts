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

type Params = { order_by: string; dir: 'asc' | 'desc'; limit: number; next?: string; prev?: string; cursor?: string };

/**
 * Keyset pagination over (order column, id). Ids are time-ordered, so the pair is a total order
 * and pages never skip or repeat rows while new ones arrive.
 */
export async function paginate<DB, TB extends keyof DB, O extends { id: string }>(
  qb: SelectQueryBuilder<DB, TB, O>,
  params: Params,
  column: string,
): Promise<Page<O>> {
  const forwardCursor = params.next ?? params.cursor;
  const backward = !forwardCursor && !!params.prev;
  const cursor = forwardCursor ? decode(forwardCursor) : params.prev ? decode(params.prev) : null;
  const asc = (params.dir === 'asc') !== backward;
  const col = sql.ref(column);
  const idCol = sql.ref(column.includes('.') ? `${column.split('.')[0]}.id` : 'id');
  let q = qb;
  if (cursor) {
    const value = column.endsWith('_at') && cursor.v !== null ? new Date(cursor.v) : cursor.v;
    if (value instanceof Date && !inCalendar(value)) throw invalidCursor(); // a forged time must not reach the database
    q = asc
      ? q.where(sql<boolean>`(${col}, ${idCol}) > (${value}, ${cursor.id})`)
      : q.where(sql<boolean>`(${col}, ${idCol}) < (${value}, ${cursor.id})`);
  }
  const direction = asc ? sql`asc` : sql`desc`;
  const rows = await q
    .orderBy(sql`${col} ${direction}`)
    .orderBy(sql`${idCol} ${direction}`)
    .limit(params.limit + 1)
    .execute();
  const more = rows.length > params.limit;
  const page = rows.slice(0, params.limit);
  if (backward) page.reverse();
  const key = (row: O): Cursor => {
    const raw = (row as Record<string, unknown>)[column.split('.').pop() as string];
    return { v: raw instanceof Date ? raw.toISOString() : raw == null ? null : String(raw), id: row.id };
  };
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
