import pg from 'pg';
import { fmt, table } from './report.ts';

/**
 * What each statement costs per stored request or delivered event (issue 15, item 2), from
 * pg_stat_statements when the server preloads it (`shared_preload_libraries = pg_stat_statements`;
 * the bench then creates the extension in its database). Without it `open` answers null and the
 * bench says how to get the profile. The view is cluster-wide: the rows are filtered to the bench's
 * database, and a reset clears that database's rows only. Planning time shows only where the server
 * also sets `pg_stat_statements.track_planning = on`; nested statements (trigger bodies) are listed
 * on their own and also counted in the statement that fired them (`track = all`).
 */
export class StatementProfile {
  private constructor(
    private readonly client: pg.Client,
    private readonly dbid: number,
  ) {}

  static async open(url: string): Promise<StatementProfile | null> {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
      const { rows } = await client.query<{ oid: number }>('SELECT oid FROM pg_database WHERE datname = current_database()');
      await client.query('SELECT 1 FROM pg_stat_statements LIMIT 1');
      return new StatementProfile(client, rows[0].oid);
    } catch {
      await client.end();
      return null;
    }
  }

  async reset(): Promise<void> {
    await this.client.query('SELECT pg_stat_statements_reset(0, $1, 0)', [this.dbid]);
  }

  /** The statements since the last reset, costliest first, per `units` (requests or events). */
  async report(units: number, unitName: string, top = 12): Promise<string> {
    type Row = { query: string; calls: number; ms: number; plan: number; rows: number; hit: number; dirtied: number; wal: number };
    const { rows } = await this.client.query<Row>(
      `SELECT query, calls::float8, total_exec_time AS ms, total_plan_time AS plan, rows::float8, shared_blks_hit::float8 AS hit,
              shared_blks_dirtied::float8 AS dirtied, wal_bytes::float8 AS wal
       FROM pg_stat_statements WHERE dbid = $1 AND calls > 0 ORDER BY total_exec_time + total_plan_time DESC`,
      [this.dbid],
    );
    const sum = (f: (r: Row) => number) => rows.reduce((s, r) => s + f(r), 0);
    const per = (v: number) => v / units;
    const line = (label: string, r: Pick<Row, 'calls' | 'ms' | 'plan' | 'rows' | 'hit' | 'dirtied' | 'wal'>) => [
      label,
      fmt(per(r.calls), 3),
      fmt(per(r.ms) * 1000, 1),
      fmt(per(r.plan) * 1000, 1),
      fmt(per(r.rows), 2),
      fmt(per(r.hit), 1),
      fmt(per(r.dirtied), 2),
      fmt(per(r.wal), 0),
    ];
    const shown = rows.slice(0, top).map((r) => line(r.query.replace(/\s+/g, ' ').slice(0, 90), r));
    const total = {
      calls: sum((r) => r.calls),
      ms: sum((r) => r.ms),
      plan: sum((r) => r.plan),
      rows: sum((r) => r.rows),
      hit: sum((r) => r.hit),
      dirtied: sum((r) => r.dirtied),
      wal: sum((r) => r.wal),
    };
    return table([
      [
        'statement',
        `calls/${unitName}`,
        `µs/${unitName}`,
        `planning µs/${unitName}`,
        `rows/${unitName}`,
        `buffers hit/${unitName}`,
        `dirtied/${unitName}`,
        `WAL bytes/${unitName}`,
      ],
      ...shown,
      line(`all ${rows.length} statements`, total),
    ]);
  }

  async close(): Promise<void> {
    await this.client.end();
  }
}
