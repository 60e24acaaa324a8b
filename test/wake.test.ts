// The worker's wake-up listener (LISTEN on PostgreSQL) survives its connection dropping and the
// server staying unreachable for a while: it keeps trying, and wake-ups flow again once it is back.
// Played with a local TCP proxy in front of the real server that is cut and then restored.
import { EventEmitter } from 'node:events';
import net from 'node:net';
import pg from 'pg';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { createLogger } from '../server/core/logger.ts';
import type { Database } from '../server/db/database.ts';
import { listenForWakeups } from '../server/delivery/wake.ts';
import { waitFor } from './support/hub.ts';

const databaseUrl = inject('databaseUrl');

async function proxyTo(host: string, port: number) {
  const sockets = new Set<net.Socket>();
  let server: net.Server | null = null;
  let listenPort = 0;
  const open = () =>
    new Promise<void>((resolve) => {
      server = net.createServer((inbound) => {
        const outbound = net.connect(port, host);
        for (const s of [inbound, outbound]) {
          sockets.add(s);
          s.on('close', () => sockets.delete(s));
          s.on('error', () => s.destroy());
        }
        inbound.pipe(outbound).pipe(inbound);
      });
      server.listen(listenPort, '127.0.0.1', () => {
        listenPort = (server!.address() as net.AddressInfo).port;
        resolve();
      });
    });
  await open();
  return {
    port: () => listenPort,
    /** Drops every connection and refuses new ones: the server is "down". */
    cut: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server?.close(() => resolve());
      }),
    restore: open,
  };
}

describe.skipIf(!databaseUrl)('the wake-up listener (PostgreSQL)', () => {
  const closers: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    for (const c of closers.reverse()) await c().catch(() => {});
  });

  it('reconnects after the server was unreachable for several tries, and wake-ups arrive again', async () => {
    const url = new URL(databaseUrl as string);
    const proxy = await proxyTo(url.hostname, Number(url.port || 5432));
    closers.push(proxy.cut);
    const due = new EventEmitter();
    const woken: number[][] = [];
    due.on('due', (lanes: number[]) => woken.push(lanes));
    // Through the proxy (a connectionString would win over host and port, so none is given).
    const poolConfig = {
      host: '127.0.0.1',
      port: proxy.port(),
      user: decodeURIComponent(url.username) || 'postgres',
      password: decodeURIComponent(url.password) || undefined,
      database: url.pathname.slice(1),
    };
    const database = { embedded: false, poolConfig } as unknown as Database;
    const stop = await listenForWakeups(database, due, createLogger('silent'), 100);
    closers.push(stop);
    const notifier = new pg.Client({ connectionString: databaseUrl as string });
    await notifier.connect();
    closers.push(() => notifier.end());
    const notify = (lane: number) => notifier.query('SELECT pg_notify($1, $2)', ['wirehub_due', String(lane)]);

    await notify(3);
    await waitFor(() => woken.some((l) => l[0] === 3), 5_000, 'the first wake-up');

    await proxy.cut();
    // Longer than one retry of the old listener (1 s), which gave up after a failed reconnect.
    await new Promise((r) => setTimeout(r, 2_500));
    await notify(5);
    expect(woken.some((l) => l[0] === 5)).toBe(false);
    await proxy.restore();

    // NOTIFYs sent while it was away are lost (polling covers them); new ones arrive once it is back.
    await waitFor(
      async () => {
        await notify(7);
        return woken.some((l) => l[0] === 7);
      },
      10_000,
      'a wake-up after the server came back',
    );
  });
});
