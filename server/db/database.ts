import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { Kysely, PostgresDialect } from 'kysely';
import type { Config } from '../config.ts';
import type { DB } from './schema.ts';
import { migrateToLatest } from './migrations/index.ts';
import type { Logger } from '../core/logger.ts';
import { fromRoot } from '../core/root.ts';

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
 * PostgreSQL settings of the embedded database, added to PGlite's own start parameters. PGlite runs
 * one backend in one process, so the server-sized defaults (128 MB shared_buffers, 100
 * connections' worth of shared memory) only cost RSS: with these a reopened data dir holds
 * ~170 MB instead of ~290 MB (bench/results-memory.md). Command-line `-c` settings override
 * postgresql.conf without rewriting it (PGlite's `postgresqlconf` option replaces the whole file,
 * initdb's timezone and locale lines included).
 */
export const EMBEDDED_SETTINGS: Readonly<Record<string, string>> = {
  shared_buffers: '16MB',
  max_connections: '4',
};

const INITDB_SCRIPT = fromRoot('server/db/pglite-initdb.mjs');

/**
 * PGlite is a real PostgreSQL in WebAssembly. We expose it on a private Unix socket so the app's
 * `pg` pool and Agenda speak to it exactly as they would to a server.
 */
async function startEmbedded(dataDir: string, log: Logger) {
  const { PGlite } = await import('@electric-sql/pglite');
  const { PGLiteSocketServer } = await import('@electric-sql/pglite-socket');
  fs.mkdirSync(dataDir, { recursive: true });
  const releaseLock = acquireLock(path.join(dataDir, 'wirehub.lock'));
  try {
    const pgDir = path.join(dataDir, 'pg');
    if (!fs.existsSync(pgDir)) {
      log.info({ dataDir }, 'creating the embedded database (first start takes a few seconds)');
      await createEmbeddedDataDir(pgDir);
    }
    const startParams = [...PGlite.defaultStartParams, ...Object.entries(EMBEDDED_SETTINGS).flatMap(([k, v]) => ['-c', `${k}=${v}`])];
    const pglite = await PGlite.create({ dataDir: pgDir, startParams });
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
  } catch (err) {
    releaseLock();
    throw err;
  }
}

/**
 * Runs initdb for a new embedded database in a short-lived child process (see pglite-initdb.mjs
 * for why), into a side directory renamed into place only once complete: a first start that dies
 * half-way leaves no `pg` dir that a later start would take for a database. The side directory is
 * named after this process, so a child that outlived an earlier start (it exits when its parent
 * does, but only between two steps of initdb) never writes into ours.
 */
export async function createEmbeddedDataDir(pgDir: string, script: string = INITDB_SCRIPT): Promise<void> {
  const parent = path.dirname(pgDir);
  const prefix = `${path.basename(pgDir)}.initdb-`;
  for (const leftover of fs.readdirSync(parent).filter((f) => f.startsWith(prefix))) {
    fs.rmSync(path.join(parent, leftover), { recursive: true, force: true });
  }
  const partial = path.join(parent, `${prefix}${process.pid}`);
  const child = spawn(process.execPath, [script, partial], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  const outcome = await new Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: Error }>((resolve) => {
    child.once('error', (error) => resolve({ code: null, signal: null, error }));
    child.once('close', (code, signal) => resolve({ code, signal }));
  });
  if (outcome.error || outcome.code !== 0) {
    fs.rmSync(partial, { recursive: true, force: true });
    const how = outcome.error ? outcome.error.message : outcome.signal ? `killed by ${outcome.signal}` : `exit code ${outcome.code}`;
    const detail = stderr.trim().split('\n').slice(-5).join('\n');
    throw new Error(`Creating the embedded database in ${pgDir} failed (${how})${detail ? `:\n${detail}` : ''}`);
  }
  fs.renameSync(partial, pgDir);
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
