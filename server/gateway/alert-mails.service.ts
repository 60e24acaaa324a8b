import { sql } from 'kysely';
import type { Mail, Mailer } from '../core/mailer.ts';
import type { Deps } from '../deps.ts';

/** An alert older than this is not mailed any more (SMTP was off then, or down all along): news a day late is noise. */
const STALE_MS = 24 * 3_600_000;
/** Alerts looked at per sweep and kind; the next sweep takes the rest. */
const PER_SWEEP = 50;

/** What a bulk operation's events came to once each has had its try. */
export type BulkTally = { total: number; delivered: number; failed: number; retrying: number; held: number };

/**
 * Mails a team's owners when the hub did something they must know about without them asking: a
 * destination the engine disabled, a bulk retry whose events failed again. Runs from a worker's
 * job (jobs/alert-mail.job.ts), never in a delivery's way: the delivery path only marks the
 * destination in the UPDATE that disables it.
 *
 * Each alert is claimed by an UPDATE before its mail is sent, so two workers never both send it;
 * a mail that fails puts the claim back, and a later sweep tries again (within a day).
 * What a team saved is hostile: names are quoted on one line and cut, URLs in a reason are cut to
 * their origin (a path or query may hold a credential), and no URL, header or secret of a
 * destination is ever written.
 */
export function alertMailsService(deps: Pick<Deps, 'db' | 'config' | 'log'>, mailer: Mailer) {
  const { db, config, log } = deps;

  /** The team's owners whose address is verified: an unproven address may be anyone's. */
  async function owners(ws: string): Promise<string[]> {
    const rows = await db
      .selectFrom('memberships as m')
      .innerJoin('users as u', 'u.id', 'm.user_id')
      .select('u.email')
      .where('m.workspace_id', '=', ws)
      .where('m.role', '=', 'owner')
      .where('u.email_verified_at', 'is not', null)
      .orderBy('u.email')
      .execute();
    return rows.map((r) => r.email);
  }

  async function teamName(ws: string): Promise<string> {
    const row = await db.selectFrom('workspaces').select('name').where('id', '=', ws).executeTakeFirst();
    return row?.name ?? ws;
  }

  /** One mail to every owner; false when there was nobody to tell. Throws when SMTP does. */
  async function tell(ws: string, mail: (team: string) => Omit<Mail, 'to'>): Promise<boolean> {
    const to = await owners(ws);
    if (to.length === 0) return false;
    const m = mail(quoted(await teamName(ws)));
    await mailer.send({
      to: to.join(', '),
      subject: m.subject,
      text: `${m.text}\n\nYou get this mail as an owner of this team on Wirehub (${config.publicUrl}).\n`,
    });
    return true;
  }

  async function destinationsDisabled(): Promise<number> {
    const pending = await db.selectFrom('destinations').select('id').where('disable_alert_pending', '=', true).orderBy('id').limit(PER_SWEEP).execute();
    let sent = 0;
    for (const { id } of pending) {
      const d = await db
        .updateTable('destinations')
        .set({ disable_alert_pending: false })
        .where('id', '=', id)
        .where('disable_alert_pending', '=', true)
        .returning(['id', 'workspace_id', 'name', 'type', 'disabled_at', 'disabled_reason'])
        .executeTakeFirst();
      // Taken by another worker, enabled again since, or too old to be news.
      if (!d?.disabled_at || Date.now() - d.disabled_at.getTime() > STALE_MS) continue;
      try {
        const told = await tell(d.workspace_id, (team) => ({
          subject: `Wirehub: the destination ${quoted(d.name)} was disabled`,
          text: [
            `The destination ${quoted(d.name)} (${d.id}, ${d.type}) of the team ${team} was disabled automatically at ${d.disabled_at!.toISOString()}:`,
            `${withoutUrls((d.disabled_reason ?? 'it kept failing').replace(/^disabled automatically: /, ''))}.`,
            '',
            'Its events are held, not lost: they are delivered once you enable the destination again.',
            `Review it: ${config.publicUrl}/destinations`,
          ].join('\n'),
        }));
        if (told) sent++;
      } catch (err) {
        await db.updateTable('destinations').set({ disable_alert_pending: true }).where('id', '=', id).where('disabled_at', 'is not', null).execute();
        log.warn({ err: (err as Error).message, destinationId: id }, 'could not mail the owners about a disabled destination; will try again');
      }
    }
    return sent;
  }

  /** A bulk operation's events, once none waits for its bulk try; null while one still does. */
  async function tally(id: string): Promise<BulkTally | null> {
    const { rows } = await sql<BulkTally & { waiting: number }>`
      SELECT count(*)::int AS total,
        count(*) FILTER (WHERE status IN ('QUEUED', 'SCHEDULED') AND pending_trigger = 'bulk')::int AS waiting,
        count(*) FILTER (WHERE status = 'SUCCESSFUL')::int AS delivered,
        count(*) FILTER (WHERE status = 'FAILED')::int AS failed,
        count(*) FILTER (WHERE status IN ('QUEUED', 'SCHEDULED') AND pending_trigger <> 'bulk')::int AS retrying,
        count(*) FILTER (WHERE status = 'HOLD')::int AS held
      FROM events WHERE batch_operation_id = ${id}`.execute(db);
    const r = rows[0];
    if (!r || r.waiting > 0) return null;
    return { total: r.total, delivered: r.delivered, failed: r.failed, retrying: r.retrying, held: r.held };
  }

  async function bulkRetriesOver(): Promise<number> {
    const pending = await db
      .selectFrom('bulk_operations')
      .select(['id', 'completed_at'])
      .where('alerted_at', 'is', null)
      .where('state', '=', 'completed')
      .where('dry_run', '=', false)
      .orderBy('completed_at')
      .limit(PER_SWEEP)
      .execute();
    let sent = 0;
    for (const p of pending) {
      const stale = Date.now() - (p.completed_at ?? new Date()).getTime() > STALE_MS;
      const t = stale ? null : await tally(p.id);
      if (!t && !stale) continue;
      const op = await db
        .updateTable('bulk_operations')
        .set({ alerted_at: new Date() })
        .where('id', '=', p.id)
        .where('alerted_at', 'is', null)
        .returning(['id', 'workspace_id', 'kind', 'created_at'])
        .executeTakeFirst();
      if (!op || !t || t.failed + t.retrying === 0) continue;
      const what = op.kind === 'events' ? 'bulk retry' : 'bulk replay';
      const failures = t.failed + t.retrying;
      try {
        const told = await tell(op.workspace_id, (team) => ({
          subject: `Wirehub: a ${what} finished with ${failures} failed ${failures === 1 ? 'event' : 'events'}`,
          text: [
            `The ${what} ${op.id} of the team ${team}, started ${op.created_at.toISOString()}, is over: each of its ${t.total} events has had its try.`,
            '',
            `Delivered: ${t.delivered}`,
            `Failed again: ${failures} (${t.retrying} to be retried on their schedule, ${t.failed} failed for good)`,
            ...(t.held ? [`Held (their destination or connection is paused or disabled): ${t.held}`] : []),
            '',
            `See the events and why they failed: ${config.publicUrl}/events`,
          ].join('\n'),
        }));
        if (told) sent++;
      } catch (err) {
        await db.updateTable('bulk_operations').set({ alerted_at: null }).where('id', '=', op.id).execute();
        log.warn({ err: (err as Error).message, bulkOperationId: op.id }, 'could not mail the owners about a bulk retry; will try again');
      }
    }
    return sent;
  }

  return {
    /** Mails what is due; answers how many mails went out. */
    async sweep(): Promise<number> {
      return (await destinationsDisabled()) + (await bulkRetriesOver());
    },
  };
}

/** A saved name on one line, quoted and cut: it goes into a subject and a sentence. */
function quoted(name: string): string {
  // eslint-disable-next-line no-control-regex
  const line = name.replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, ' ').trim();
  return `"${line.length > 80 ? `${line.slice(0, 79)}…` : line}"`;
}

/** A receiver's error may quote a URL (a redirect's target, the destination's own): its path and query may hold a token. */
function withoutUrls(text: string): string {
  return text.replace(/\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>]+/gi, (url) => {
    try {
      return `${new URL(url).origin}/…`;
    } catch {
      return '[a URL]';
    }
  });
}
