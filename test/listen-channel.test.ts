import pg from 'pg';
import { PostgresNotificationChannel } from '@agendajs/postgres-backend';
import { describe, expect, inject, it } from 'vitest';
import { ListenChannel } from '../server/jobs/listen-channel.ts';

const databaseUrl = inject('databaseUrl');

/** A pool whose connections take a while to come, as a reconnect does on a loaded server. */
class SlowPool extends pg.Pool {
  override connect(): Promise<pg.PoolClient>;
  override connect(cb: (err: Error | undefined, client: pg.PoolClient | undefined, done: (release?: unknown) => void) => void): void;
  override connect(cb?: (err: Error | undefined, client: pg.PoolClient | undefined, done: (release?: unknown) => void) => void): Promise<pg.PoolClient> | void {
    if (cb) return super.connect(cb);
    return new Promise((r) => setTimeout(r, 300)).then(() => super.connect());
  }
}

/** Settles with 'ended' when the pool has ended, or 'stuck' when it has not within `ms`. */
function ends(pool: pg.Pool, ms: number): Promise<'ended' | 'stuck'> {
  return Promise.race([pool.end().then(() => 'ended' as const), new Promise<'stuck'>((r) => setTimeout(() => r('stuck'), ms))]);
}

/** Connects `channel` and disconnects it while that connect still waits for its client. */
async function disconnectDuringConnect(channel: PostgresNotificationChannel): Promise<void> {
  channel.on('error', () => {});
  const connecting = channel.connect();
  await new Promise((r) => setTimeout(r, 50));
  await channel.disconnect();
  await connecting;
}

describe.skipIf(!databaseUrl)("the job scheduler's LISTEN channel (PostgreSQL)", () => {
  it('a disconnect during a reconnect leaves no client checked out, so the pool (and the shutdown) ends', async () => {
    const pool = new SlowPool({ connectionString: databaseUrl!, max: 2 });
    const channel = new ListenChannel(() => pool);
    await disconnectDuringConnect(channel);
    expect(await ends(pool, 5_000)).toBe('ended');
    expect(pool.totalCount).toBe(0);
    // Closed is closed: a reconnect timer that fires late starts nothing.
    await channel.connect();
    expect(channel.state).not.toBe('connected');
  });

  it('the stock channel of @agendajs/postgres-backend has the race (remove ListenChannel when this fails)', async () => {
    const pool = new SlowPool({ connectionString: databaseUrl!, max: 2 });
    const channel = new PostgresNotificationChannel({ pool });
    await disconnectDuringConnect(channel);
    expect(await ends(pool, 1_000)).toBe('stuck');
    // Let the test process go: hand the leaked client back.
    const leaked = (channel as unknown as { listenClient?: pg.PoolClient }).listenClient;
    leaked?.release(true);
  });
});
