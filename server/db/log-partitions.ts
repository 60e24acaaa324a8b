import { type Kysely, sql } from 'kysely';

/**
 * The four log tables are partitioned by day on created_at (UTC days), all four on the same
 * boundaries, so a day of the log goes with one DROP TABLE per table instead of row DELETEs that
 * bloat `events` and wake every counter trigger. Partitions are named by their day
 * (`events_p20261207`); `<table>_default` catches a row dated outside every partition (an insert
 * never fails), and `<table>_before_<day>` holds what an existing database had when it was
 * partitioned (migration 021), dropped whole once all of it is past retention.
 *
 * No foreign keys join the four any more: a key into a partitioned table must include the
 * partition key, so every event would carry its request's created_at (and every attempt its
 * event's), and a referenced partition cannot be dropped while rows point into it, which forces
 * the drop order anyway. Their ON DELETE CASCADE served nothing but the row deletes this replaces,
 * and their checks cost an index probe per inserted event and attempt. Days are dropped for all
 * four tables together in one transaction; a replayed event (created later than its request) or
 * an attempt made after its event's day outlives its request or event by at most the gap between
 * the two, and readers already treat a missing request as gone (left joins), as after a replay.
 */
export const LOG_TABLES = ['requests', 'events', 'ignored_events', 'attempts'] as const;
export type LogTable = (typeof LOG_TABLES)[number];

/** Days of partitions kept ready ahead of today, so a late maintenance run never sends the day's rows to the default partition. */
export const DAYS_AHEAD = 3;

const DAY_MS = 86_400_000;

export function dayStart(t: Date | number): Date {
  const ms = typeof t === 'number' ? t : t.getTime();
  return new Date(Math.floor(ms / DAY_MS) * DAY_MS);
}

export function dayName(day: Date): string {
  return day.toISOString().slice(0, 10).replaceAll('-', '');
}

function parseDay(s: string): Date {
  return new Date(`${s.slice(0, 4)}-${s.slice(4, 6)}-${s.slice(6, 8)}T00:00:00Z`);
}

/** A partition's table name and the range it holds; `from` null for the pre-partitioning one (MINVALUE). */
export type LogPartition = { name: string; from: Date | null; to: Date };

/** The day partitions and the pre-partitioning partition of a table, oldest first (the default partition is not listed). */
export async function listPartitions(db: Kysely<any>, table: LogTable): Promise<LogPartition[]> {
  const { rows } = await sql<{ name: string }>`
    SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
    WHERE i.inhparent = to_regclass(${table})`.execute(db);
  const out: LogPartition[] = [];
  for (const { name } of rows) {
    const rest = name.slice(table.length + 1);
    const day = /^p(\d{8})$/.exec(rest);
    if (day) {
      const from = parseDay(day[1]);
      out.push({ name, from, to: new Date(from.getTime() + DAY_MS) });
    }
    const before = /^before_(\d{8})$/.exec(rest);
    if (before) out.push({ name, from: null, to: parseDay(before[1]) });
  }
  return out.sort((a, b) => a.to.getTime() - b.to.getTime());
}

/**
 * Makes sure the day partitions from `now`'s day to DAYS_AHEAD days later exist for the four tables.
 * A day whose rows already went to the default partition (rows dated ahead, or no maintenance
 * for days) cannot get its partition while they are there: it is left to the default partition
 * and reported, never a failed insert.
 */
export async function ensurePartitions(db: Kysely<any>, now: Date = new Date(), daysAhead = DAYS_AHEAD): Promise<{ created: string[]; skipped: string[] }> {
  const created: string[] = [];
  const skipped: string[] = [];
  const today = dayStart(now);
  for (const table of LOG_TABLES) {
    const have = new Set((await listPartitions(db, table)).map((p) => p.name));
    for (let d = 0; d <= daysAhead; d++) {
      const from = new Date(today.getTime() + d * DAY_MS);
      const name = `${table}_p${dayName(from)}`;
      if (have.has(name)) continue;
      try {
        await createDayPartition(db, table, from);
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

/** `parent`: the table being built by migration 021 before it takes the log table's name. */
export async function createDayPartition(db: Kysely<any>, table: LogTable, from: Date, parent: string = table): Promise<void> {
  const to = new Date(from.getTime() + DAY_MS);
  await sql`CREATE TABLE ${sql.id(`${table}_p${dayName(from)}`)} PARTITION OF ${sql.table(parent)}
            FOR VALUES FROM (${sql.lit(from.toISOString())}) TO (${sql.lit(to.toISOString())})`.execute(db);
}
