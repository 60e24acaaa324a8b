import { Agenda, InMemoryNotificationChannel } from 'agenda';
import { PostgresBackend, PostgresJobRepository } from '@agendajs/postgres-backend';
import { sql } from 'kysely';
import type { Deps } from '../deps.ts';
import { DeliveryEngine, type EngineHooks } from '../delivery/delivery-engine.ts';
import type { LaneRunner } from '../delivery/lane-runner.ts';
import { LaneCoordinator } from '../delivery/lane-coordinator.ts';
import { housekeeping } from './housekeeping.job.ts';
import { hearClientErrors } from '../db/database.ts';
import { defineBulkOperationJobs } from '../gateway/bulk-operations.job.ts';
import type { ChatPublisher } from '../chat/chat-deps.ts';
import { scheduleChatJobs } from '../chat/conversation-ended.job.ts';
import { ListenChannel } from './listen-channel.ts';
import type { Services } from '../services.ts';
import { scheduleAlertMails } from './alert-mail.job.ts';

export type Jobs = {
  engine: DeliveryEngine;
  agenda: Agenda;
  lanes: LaneCoordinator;
  /** The delivery lanes this process runs (read by housekeeping and tests). */
  runners: Map<number, LaneRunner>;
  stop(): Promise<void>;
};

/**
 * Delivery lanes are run by the LaneCoordinator, on advisory locks: a worker that dies loses its
 * database session and with it its locks at once, so another worker takes its lanes within a
 * second, and lanes are spread over the live workers again whenever one joins or leaves. (They
 * were Agenda jobs: fail-over waited for the job lock to expire, ~30 s, and a joining worker never
 * got a lane from a busy one.) Agenda runs the rest: housekeeping, bulk operations, chat jobs.
 */
export async function startJobs(
  deps: Deps,
  { bulkOperations }: Pick<Services, 'bulkOperations'>,
  hooks: EngineHooks & { chatPublisher?: ChatPublisher } = {},
): Promise<Jobs> {
  const { database } = deps;
  const engine = new DeliveryEngine(deps, { onAutoDisabled: hooks.onAutoDisabled, onDeliveryFailed: hooks.onDeliveryFailed });
  const backend = new PostgresBackend({
    ...(database.embedded ? { pool: database.pool } : { poolConfig: { ...database.poolConfig, max: 4 } }),
    // Our own LISTEN channel replaces the backend's (listen-channel.ts says why).
    disableNotifications: true,
  });
  // A PostgreSQL server that restarts or terminates our sessions makes Agenda's own pool and its
  // LISTEN client emit 'error'; unheard, that kills the process. Agenda reconnects by itself.
  if (backend.repository instanceof PostgresJobRepository && backend.ownsConnection) {
    backend.repository.getPool().on('error', (err) => deps.log.warn({ err: err.message }, 'job scheduler lost a database connection'));
    hearClientErrors(backend.repository.getPool(), deps.log);
  }
  // Through the embedded database a NOTIFY reaches only its sender; one process runs everything there.
  const channel = database.embedded ? new InMemoryNotificationChannel() : new ListenChannel(() => (backend.repository as PostgresJobRepository).getPool());
  if (channel instanceof ListenChannel) {
    channel.on('error', (err: Error) => deps.log.warn({ err: err.message }, 'job scheduler lost its LISTEN connection'));
  }
  const agenda = new Agenda({
    backend,
    notificationChannel: channel,
    name: `wirehub-${process.pid}`,
    // A bulk operation asked for now starts within about a second.
    processEvery: '1 second',
    // Housekeeping, the bulk operations (two at a time) with their sweep, the chat job, the alert mails, and one spare.
    maxConcurrency: 7,
    defaultConcurrency: 1,
    // The bulk sweep's (every 15 s); the other jobs set their own.
    defaultLockLifetime: 30_000,
    removeOnComplete: false,
  });
  agenda.on('error', (err) => deps.log.warn({ err: err.message }, 'job scheduler error'));
  await agenda.ready;

  // Lanes were Agenda jobs before the lane coordinator; their rows have no handler any more.
  await sql`DELETE FROM agenda_jobs WHERE name LIKE 'deliver-lane-%'`.execute(deps.db);
  if (database.embedded) {
    // The data-dir lock guarantees no other process uses this database, so locks and leases left
    // by a crash belong to nobody: free them now instead of waiting for them to expire.
    await sql`UPDATE agenda_jobs SET locked_at = NULL WHERE locked_at IS NOT NULL`.execute(deps.db);
    await sql`UPDATE events SET lease_until = NULL WHERE lease_until IS NOT NULL`.execute(deps.db);
  }

  const lanes = new LaneCoordinator(deps, engine);
  agenda.define('housekeeping', async () => housekeeping(deps, lanes.runners), { concurrency: 1, lockLifetime: 5 * 60_000 });
  await agenda.every('1 minute', 'housekeeping');
  const bulk = defineBulkOperationJobs(deps, agenda, bulkOperations);
  await bulk.start();
  // Ends idle conversations (conversation.ended) and drops spent chat rate-limit windows.
  if (hooks.chatPublisher) await scheduleChatJobs({ ...deps, publisher: hooks.chatPublisher }, agenda);
  // Team owners hear of disabled destinations and failed bulk retries by mail, when SMTP is set.
  await scheduleAlertMails(deps, agenda);
  await lanes.start();
  await agenda.start();

  return {
    engine,
    agenda,
    lanes,
    runners: lanes.runners,
    async stop() {
      bulk.stop();
      // Returns once the lanes' deliveries are recorded and their locks released.
      await lanes.stop();
      await agenda.drain({ timeout: 30_000, closeConnection: true });
      await engine.close();
    },
  };
}
