import { sql } from 'kysely';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { startTestHub, type TestHub } from './support/hub.ts';

// A session the server ends while its client is checked out of the pool between two statements
// (a transaction waiting on JavaScript) emitted 'error' to no listener: an uncaught exception that
// takes the whole process down (seen in CI from the health test's pg_terminate_backend).
describe.skipIf(!inject('databaseUrl'))('a database session ended by the server mid-transaction', () => {
  let hub: TestHub | undefined;
  afterAll(async () => hub?.close());

  it('fails that transaction and nothing else', async () => {
    hub = await startTestHub();
    const uncaught: unknown[] = [];
    const hear = (err: unknown) => uncaught.push(err);
    process.on('uncaughtException', hear);
    try {
      const outcome = await hub.deps.db
        .transaction()
        .execute(async (trx) => {
          const { rows } = await sql<{ pid: number }>`SELECT pg_backend_pid() AS pid`.execute(trx);
          // Ended from another session while this one sits idle in its transaction.
          await sql`SELECT pg_terminate_backend(${rows[0].pid})`.execute(hub!.deps.db);
          await new Promise((r) => setTimeout(r, 300));
          await sql`SELECT 1`.execute(trx);
        })
        .then(
          () => 'committed',
          (err: Error) => err.message,
        );
      expect(outcome).not.toBe('committed');
      await new Promise((r) => setTimeout(r, 100));
      expect(uncaught).toEqual([]);
      // The pool carries on with new sessions.
      expect((await sql<{ one: number }>`SELECT 1 AS one`.execute(hub.deps.db)).rows[0].one).toBe(1);
    } finally {
      process.off('uncaughtException', hear);
    }
  });
});
