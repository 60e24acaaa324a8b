import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { Kysely, PostgresDialect } from 'kysely';
import type { Config } from '../config.ts';
import type { DB } from './schema.ts';
import { migrateToLatest } from './migrations.ts';
import type { Logger } from '../core/logger.ts';

// COUNT(*) and other int8 results: our counts fit comfortably in a double.
pg.types.setTypeParser(20, (v) => Number(v));

export type Database = {
  db: Kysely<DB>;
  pool: pg.Pool;
  /** Connection settings for extra clients (LISTEN, Agenda) on the same database and schema. */
  poolConfig: pg.PoolConfig;
  embedded: boolean;
  close(): Promise<void>;
};

export async function openDatabase(config: Config, log: Logger): Promise<Database> {
  let poolConfig: pg.PoolConfig;
  let closeEmbedded = async () => {};
  if (config.databaseUrl) {
    poolConfig = { connectionString: config.databaseUrl };
  } else {
    const embedded = await startEmbedded(config.dataDir, log);
    poolConfig = { host: embedded.socketDir, port: 5432, user: 'postgres', database: 'postgres' };
    closeEmbedded = embedded.stop;
  }
  if (config.dbSchema) {
    const admin = new pg.Client(poolConfig);
    await admin.connect();
    await admin.query(`CREATE SCHEMA IF NOT EXISTS "${config.dbSchema}"`);
    await admin.end();
    poolConfig = { ...poolConfig, options: `-c search_path=${config.dbSchema}` };
  }
  // pglite-socket interleaves protocol messages of concurrent connections (one client's Bind can
  // meet another's Parse), so the embedded database gets exactly one connection, shared by all.
  const max = config.databaseUrl ? config.dbPoolSize : 1;
  const pool = new pg.Pool({ ...poolConfig, max, idleTimeoutMillis: config.databaseUrl ? 30_000 : 0 });
  // A pooled client that loses its server emits 'error'; without a listener that crashes the process.
  pool.on('error', (err) => log.warn({ err: err.message }, 'idle database client failed'));
  hearClientErrors(pool, log);
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
  try {
    await migrateToLatest(db, config.dbSchema);
  } catch (err) {
    await db.destroy().catch(() => {});
    await closeEmbedded();
    throw err;
  }
  return {
    db,
    pool,
    poolConfig,
    embedded: !config.databaseUrl,
    async close() {
      await db.destroy();
      await closeEmbedded();
    },
  };
}

/**
 * PGlite is a real PostgreSQL in WebAssembly. We expose it on a private Unix socket so the app's
 * `pg` pool and Agenda speak to it exactly as they would to a server.
 */
async function startEmbedded(dataDir: string, log: Logger) {
  const { PGlite } = await import('@electric-sql/pglite');
  const { PGLiteSocketServer } = await import('@electric-sql/pglite-socket');
  fs.mkdirSync(dataDir, { recursive: true });
  const releaseLock = acquireLock(path.join(dataDir, 'wirehub.lock'));
  const pgDir = path.join(dataDir, 'pg');
  const fresh = !fs.existsSync(pgDir);
  if (fresh) log.info({ dataDir }, 'creating the embedded database (first start takes a few seconds)');
  const pglite = await PGlite.create({ dataDir: pgDir });
  const socketDir = fs.mkdtempSync(path.join(os.tmpdir(), 'wirehub-pg-'));
  const server = new PGLiteSocketServer({
    db: pglite,
    path: path.join(socketDir, '.s.PGSQL.5432'),
    // One for the shared pool, a few for short-lived admin clients.
    maxConnections: 8,
  });
  await server.start();
  return {
    socketDir,
    async stop() {
      await server.stop().catch(() => {});
      await pglite.close().catch(() => {});
      fs.rmSync(socketDir, { recursive: true, force: true });
      releaseLock();
    },
  };
}

/** Nothing stops two processes from opening one PGlite directory and corrupting it; this does. */
function acquireLock(file: string): () => void {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(file, String(process.pid), { flag: 'wx' });
      return () => fs.rmSync(file, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number(fs.readFileSync(file, 'utf8'));
      if (pid && pid !== process.pid && isAlive(pid)) {
        throw new Error(
          `The embedded database in ${path.dirname(file)} is in use by process ${pid}. ` +
            'Stop that process, or set WIREHUB_DATA_DIR or DATABASE_URL to use another database.',
        );
      }
      fs.rmSync(file, { force: true }); // left behind by a process that died
    }
  }
  throw new Error(`Could not lock ${file}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * pg-pool listens for errors only on idle clients: a client checked out between two statements of
 * a transaction when the server ends its session (a restart, pg_terminate_backend) emits 'error'
 * to nobody, which crashes the process. The statement under way still fails as it should.
 */
export function hearClientErrors(pool: pg.Pool, log: Pick<Logger, 'warn'>): void {
  pool.on('connect', (client) => client.on('error', (err) => log.warn({ err: err.message }, 'database session lost')));
}
