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

/**
 * Worker side: turn NOTIFYs from API processes into in-process wake-ups. Polling covers any loss.
 * A lost connection is re-made every second until it comes back; a reconnect that fails while the
 * server is still down tries again rather than giving up.
 */
export async function listenForWakeups(database: Database, due: EventEmitter, log: Logger, retryMs = 1000): Promise<() => Promise<void>> {
  if (database.embedded) return async () => {};
  let client: pg.Client | null = null;
  let closed = false;
  const again = () => {
    if (closed) return;
    setTimeout(() => {
      connect().catch((err: Error) => {
        log.debug({ err: err.message }, 'wake-up listener could not reconnect yet');
        again();
      });
    }, retryMs);
  };
  const connect = async () => {
    if (closed) return;
    const c = new pg.Client(database.poolConfig);
    // pg may report one failure both as 'error' and as a rejected connect/query: act on the first only.
    let lost = false;
    const lose = () => {
      if (lost) return false;
      lost = true;
      if (client === c) client = null;
      c.end().catch(() => {});
      return true;
    };
    c.on('error', (err) => {
      if (!lose()) return;
      log.warn({ err: err.message }, 'wake-up listener lost its connection; reconnecting');
      again();
    });
    // A server that closes the connection cleanly ends it without an 'error'.
    c.on('end', () => {
      if (closed || !lose()) return;
      log.warn('wake-up listener lost its connection; reconnecting');
      again();
    });
    c.on('notification', (msg) => {
      if (msg.channel !== CHANNEL || !msg.payload) return;
      // Our own NOTIFYs come back too; the lanes were already woken, and a second poke is harmless.
      due.emit('due', msg.payload.split(',').map(Number));
    });
    try {
      await c.connect();
      await c.query(`LISTEN ${CHANNEL}`);
    } catch (err) {
      if (lose()) throw err;
      return; // the 'error' handler has already scheduled the next try
    }
    if (closed) await c.end().catch(() => {});
    else client = c;
  };
  await connect();
  return async () => {
    closed = true;
    await client?.end().catch(() => {});
  };
}
