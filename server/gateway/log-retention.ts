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
