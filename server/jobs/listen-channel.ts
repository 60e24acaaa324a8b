import type pg from 'pg';
import { PostgresNotificationChannel } from '@agendajs/postgres-backend';

/**
 * Agenda's LISTEN channel (@agendajs/postgres-backend 3.0) with its shutdown race closed.
 *
 * After a lost connection the channel reconnects on a timer. A `disconnect()` that comes while such
 * a reconnect is between `pool.connect()` and its LISTENs finds no client to release; the reconnect
 * then finishes and keeps its client checked out for good, so the backend's `pool.end()` — and with
 * it `Agenda.stop()` and the whole shutdown — waits forever. (CI saw exactly that: a hub that had
 * lived through a database outage never closed.) Here a disconnect waits for the reconnect in flight
 * and then releases what it got, and no reconnect starts once closing has begun.
 *
 * The pool is the backend's own, which exists only once Agenda has connected the backend; Agenda
 * connects this channel after that, so the pool is looked up then.
 */
export class ListenChannel extends PostgresNotificationChannel {
  private closing = false;
  private connecting: Promise<unknown> | null = null;
  private hasPool = false;

  constructor(private readonly poolOf: () => pg.Pool) {
    super({ reconnect: { enabled: true } });
  }

  override async connect(): Promise<void> {
    if (this.closing) return;
    if (!this.hasPool) {
      this.setPool(this.poolOf());
      this.hasPool = true;
    }
    const attempt = super.connect();
    const settled = attempt.catch(() => {});
    this.connecting = settled;
    try {
      await attempt;
    } finally {
      if (this.connecting === settled) this.connecting = null;
    }
  }

  override async disconnect(): Promise<void> {
    this.closing = true;
    await this.connecting;
    await super.disconnect();
  }
}
