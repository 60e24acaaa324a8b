import { type Kysely, sql } from 'kysely';

/**
 * The four log tables are partitioned by week on created_at (UTC weeks from Monday), all four on
 * the same boundaries, so a week of the log goes with one DROP TABLE per table instead of row
 * DELETEs that bloat `events` and wake every counter trigger. Partitions are named by their first
 * day (`events_p20261207`); `<table>_default` catches a row dated outside every partition (an
 * insert never fails), and `<table>_before_<day>` holds what an existing database had when it was
 * partitioned (migration 021), dropped whole once all of it is past retention.
 *
 * Weeks, not days: every statement that cannot prune by created_at (the claim walks waiting events
 * by lane and destination, a log page reads by id) is planned over every partition, and planning
 * grows with their number. bench:retention measured the claim's planning at 170 ms with 39 day
 * partitions per table on a loaded machine; weeks keep 7 to 9 of them at the default 30 days,
 * for rows kept 0 to 7 days past retention.
 *
 * No foreign keys join the four any more: a key into a partitioned table must include the
 * partition key, so every event would carry its request's created_at (and every attempt its
 * event's), and a referenced partition cannot be dropped while rows point into it, which forces
 * the drop order anyway; their checks also cost an index probe per inserted event and attempt.
 * Their ON DELETE CASCADE is kept by statement triggers (migration 021) for rows deleted one by
 * one. Partitions are dropped for all four tables together in one transaction; a replayed event
 * (created later than its request) or an attempt made after its event's week outlives its request
 * or event by at most the gap between the two (a page that joins an event to its request, such as
 * GET /events/:id's, then shows it as not found).
 */
export const LOG_TABLES = ['requests', 'events', 'ignored_events', 'attempts'] as const;
export type LogTable = (typeof LOG_TABLES)[number];

/** Partitions cover at least this many days ahead of now, so a late maintenance run never sends rows to the default partition. */
export const DAYS_AHEAD = 7;
export const PARTITION_DAYS = 7;

const DAY_MS = 86_400_000;
const WIDTH_MS = PARTITION_DAYS * DAY_MS;
/** 1970-01-05, a Monday: weeks start on Mondays. */
const ORIGIN_MS = 4 * DAY_MS;

/** The start of the partition that holds `t`. */
export function periodStart(t: Date | number): Date {
  const ms = typeof t === 'number' ? t : t.getTime();
  return new Date(Math.floor((ms - ORIGIN_MS) / WIDTH_MS) * WIDTH_MS + ORIGIN_MS);
}

export function dayStart(t: Date | number): Date {
  const ms = typeof t === 'number' ? t : t.getTime();
  return new Date(Math.floor(ms / DAY_MS) * DAY_MS);
}

export function dayName(day: Date): string {
  return day.toISOString().slice(0, 10).replaceAll('-', '');
}

/** A partition's table name and the range it holds; `from` null for the pre-partitioning one (MINVALUE). */
export type LogPartition = { name: string; from: Date | null; to: Date };

/** The partitions of a table with their ranges as the catalogue has them, oldest first (the default partition is not listed). */
export async function listPartitions(db: Kysely<any>, table: LogTable): Promise<LogPartition[]> {
  const { rows } = await sql<{ name: string; from: Date | null; to: Date }>`
    SELECT c.relname AS name,
           (regexp_match(pg_get_expr(c.relpartbound, c.oid), 'FROM \\(''([^'']+)''\\)'))[1]::timestamptz AS "from",
           (regexp_match(pg_get_expr(c.relpartbound, c.oid), 'TO \\(''([^'']+)''\\)'))[1]::timestamptz AS "to"
    FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
    WHERE i.inhparent = to_regclass(${table}) AND NOT pg_get_expr(c.relpartbound, c.oid) = 'DEFAULT'`.execute(db);
  return rows.map((r) => ({ name: r.name, from: r.from, to: r.to })).sort((a, b) => a.to.getTime() - b.to.getTime());
}

/**
 * Makes sure the partitions from `now` to `daysAhead` days later exist for the four tables.
 * A period whose rows already went to the default partition (rows dated ahead, or no maintenance
 * for days) cannot get its partition while they are there: it is left to the default partition
 * and reported, never a failed insert.
 */
export async function ensurePartitions(db: Kysely<any>, now: Date = new Date(), daysAhead = DAYS_AHEAD): Promise<{ created: string[]; skipped: string[] }> {
  const created: string[] = [];
  const skipped: string[] = [];
  const last = now.getTime() + daysAhead * DAY_MS;
  for (const table of LOG_TABLES) {
    const have = new Set((await listPartitions(db, table)).map((p) => p.name));
    for (let from = periodStart(now); from.getTime() <= last; from = new Date(from.getTime() + WIDTH_MS)) {
      const name = `${table}_p${dayName(from)}`;
      if (have.has(name)) continue;
      try {
        await createPartition(db, table, from);
        created.push(name);
      } catch (err) {
        // 23514: the default partition holds rows of that day. 42P07: another process made it first.
        const code = (err as { code?: string }).code;
        if (code === '42P07') continue;
        if (code !== '23514') throw err;
        skipped.push(name);
      }
    }
  }
  return { created, skipped };
}

/** The partition that starts at `from` (a periodStart). `parent`: the table being built by migration 021 before it takes the log table's name. */
export async function createPartition(db: Kysely<any>, table: LogTable, from: Date, parent: string = table): Promise<void> {
  const to = new Date(from.getTime() + WIDTH_MS);
  await sql`CREATE TABLE ${sql.id(`${table}_p${dayName(from)}`)} PARTITION OF ${sql.table(parent)}
            FOR VALUES FROM (${sql.lit(from.toISOString())}) TO (${sql.lit(to.toISOString())})`.execute(db);
}
