import type { Kysely } from 'kysely';
import { AppError, notFound } from '../core/errors.ts';
import { idTime } from '../core/ids.ts';
import type { DB } from '../db/schema.ts';

/**
 * How long the log is kept (issue 15, item 8). A request, with its events, their attempts and its
 * ignored events, is kept WIREHUB_RETENTION_DAYS after it came in; a team's owners may keep their
 * team's for fewer days (`retention_days`), never more. The housekeeping job deletes what is past
 * it (prune-log.job.ts).
 */

export const DAY_MS = 86_400_000;

/** The days that apply to a team: its own, unless the hub keeps fewer (its setting can be lowered later). */
export const effectiveRetentionDays = (hubDays: number, teamDays: number | null): number => Math.min(teamDays ?? hubDays, hubDays);

/** Rows made before this are past a retention of `days`. */
export const retentionCutoff = (days: number, now: Date = new Date()): Date => new Date(now.getTime() - days * DAY_MS);

const GONE_TEXT = {
  Request: 'it was removed',
  Event: 'its request was removed',
  Attempt: "its event's request was removed",
} as const;

/**
 * Why a request, event or attempt of the team's log is not found: one made between the team's
 * creation and its retention's cutoff was deleted with its request (410 REQUEST_EXPIRED, so a
 * retry or replay of it says why instead of "not found"); a newer one, or one older than the team,
 * never existed here (404). Told from the id's own time (ids.ts), so nothing about other teams'
 * rows is revealed.
 */
export async function missingFromLog(db: Kysely<DB>, hubDays: number, ws: string, what: keyof typeof GONE_TEXT, id: string): Promise<AppError> {
  const made = idTime(id);
  const team = await db.selectFrom('workspaces').select(['retention_days', 'created_at']).where('id', '=', ws).executeTakeFirst();
  if (!made || !team) return notFound(what, id);
  const days = effectiveRetentionDays(hubDays, team.retention_days);
  // Ids are made to the millisecond and created_at to the microsecond: a second of slack.
  if (made >= retentionCutoff(days) || made.getTime() < team.created_at.getTime() - 1000) return notFound(what, id);
  return new AppError(410, 'REQUEST_EXPIRED', `${what} ${id} is no longer kept: ${GONE_TEXT[what]} after ${days} day${days === 1 ? '' : 's'} of retention.`, {
    retention_days: days,
  });
}
