import type { EventEmitter } from 'node:events';
import pg from 'pg';
import type { Logger } from '../core/logger.ts';
import type { Database } from '../db/database.ts';

const CHANNEL = 'wirehub_due';

/** Wakes lanes in this process at once, and on a PostgreSQL server in every other worker too. */
export function createWaker(database: Database, due: EventEmitter, log: Logger): (lanes: number[]) => void {
  return (lanes) => {
    if (lanes.length === 0) return;
    due.emit('due', lanes);
    if (!database.embedded) {
      database.pool.query('SELECT pg_notify($1, $2)', [CHANNEL, lanes.join(',')]).catch((err: Error) => log.debug({ err: err.message }, 'notify failed'));
    }
  };
}

/** Worker side: turn NOTIFYs from API processes into in-process wake-ups. Polling covers any loss. */
export async function listenForWakeups(database: Database, due: EventEmitter, log: Logger): Promise<() => Promise<void>> {
  if (database.embedded) return async () => {};
  let client: pg.Client | null = null;
  let closed = false;
  const connect = async () => {
    const c = new pg.Client(database.poolConfig);
    c.on('error', (err) => {
      log.warn({ err: err.message }, 'wake-up listener lost its connection; reconnecting');
      if (!closed) setTimeout(() => void connect().catch(() => {}), 1000);
    });
    await c.connect();
    c.on('notification', (msg) => {
      if (msg.channel !== CHANNEL || !msg.payload) return;
      // Our own NOTIFYs come back too; the lanes were already woken, and a second poke is harmless.
      due.emit('due', msg.payload.split(',').map(Number));
    });
    await c.query(`LISTEN ${CHANNEL}`);
    client = c;
  };
  await connect();
  return async () => {
    closed = true;
    await client?.end().catch(() => {});
  };
}
