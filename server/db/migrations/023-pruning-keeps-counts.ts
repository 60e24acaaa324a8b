import { type Migration, sql } from 'kysely';

export default {
  async up(db) {
    await sql`
        -- Retention deletes the log past its days (prune-log.job.ts), and the charts must not lose
        -- them: the per-minute counts are the aggregate kept after the rows are gone (longer, see
        -- prune-log.job.ts). So the counters' DELETE triggers skip the pruner's deletes, which it
        -- marks with the transaction-local setting wirehub.pruning = on. Every other delete (an
        -- event a transformation filtered out becomes an ignored one) is counted as before. The
        -- INSERT and UPDATE triggers, the hot path, are untouched. (attempt_counts_1m counts only
        -- inserts: pruned attempts stay counted there too, whatever migration 018 foresaw.)
        DROP TRIGGER event_counts_1m_delete ON events;
        CREATE TRIGGER event_counts_1m_delete AFTER DELETE ON events REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT
          WHEN (current_setting('wirehub.pruning', true) IS DISTINCT FROM 'on') EXECUTE FUNCTION event_counts_1m_apply();
        DROP TRIGGER request_counts_1m_delete ON requests;
        CREATE TRIGGER request_counts_1m_delete AFTER DELETE ON requests REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT
          WHEN (current_setting('wirehub.pruning', true) IS DISTINCT FROM 'on') EXECUTE FUNCTION request_counts_1m_apply();
        DROP TRIGGER ignored_counts_1m_request_delete ON requests;
        CREATE TRIGGER ignored_counts_1m_request_delete BEFORE DELETE ON requests FOR EACH ROW
          WHEN (current_setting('wirehub.pruning', true) IS DISTINCT FROM 'on') EXECUTE FUNCTION ignored_counts_1m_forget_request();
        DROP TRIGGER ignored_counts_1m_delete ON ignored_events;
        CREATE TRIGGER ignored_counts_1m_delete AFTER DELETE ON ignored_events REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT
          WHEN (current_setting('wirehub.pruning', true) IS DISTINCT FROM 'on') EXECUTE FUNCTION ignored_counts_1m_apply();
      `.execute(db);
  },
} satisfies Migration;
