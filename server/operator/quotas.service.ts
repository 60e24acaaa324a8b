import { type Kysely, sql } from 'kysely';
import { z } from 'zod';
import { httpConnector } from '../../connectors/http-webhook/index.ts';
import { AppError, notFound } from '../core/errors.ts';
import type { DB } from '../db/schema.ts';
import type { Config } from '../config.ts';
import { APPLICATION_SOURCE_TYPE } from '../gateway/source-types.ts';

/**
 * Quotas an operator running Wirehub for several customers sets per team: webhooks (seed 000's
 * plans: 2 and 10) and events taken in per calendar month (UTC). Set with `server/admin.ts quota
 * set` or the operator API; a team without one has the hub's WIREHUB_MAX_WEBHOOKS and no limit on
 * events.
 */
export const QuotaPatch = z
  .object({
    webhooks: z.number().int().min(0).max(100_000).nullable(),
    events_per_month: z.number().int().min(0).max(1_000_000_000_000).nullable(),
  })
  .partial()
  .strict()
  .refine((q) => q.webhooks !== undefined || q.events_per_month !== undefined, 'give webhooks, events_per_month or both (null removes a quota)');
export type QuotaPatchT = z.output<typeof QuotaPatch>;

export type TeamQuotaOut = {
  team_id: string;
  name: string;
  /** `max`: the team's quota, null for none (then `hub_max`, WIREHUB_MAX_WEBHOOKS, applies). */
  webhooks: { max: number | null; hub_max: number; used: number };
  /** `used`: requests taken in since `month_start`, as the per-minute counters have them. */
  events_per_month: { max: number | null; used: number; month_start: string; resets_at: string };
};

/** Where the calendar month (UTC) of `at` starts, and where the next one does: the quota's window. */
export function monthOf(at: Date): { start: Date; next: Date } {
  return { start: new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), 1)), next: new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth() + 1, 1)) };
}

/**
 * What counts against the events quota: the requests a team's sources took in (`/e/…`, and every
 * published event: POST /publish, the chat's and the hub's own), one each whatever the number of
 * connections they fan out to; refused ones (a bad signature) are not counted. Read from
 * request_counts_1m (migration 013), `since` a minute boundary, per team, split at `splitAt`.
 */
export async function acceptedRequests(
  db: Kysely<DB>,
  teams: readonly string[],
  since: Date,
  splitAt: Date,
): Promise<{ workspace_id: string; before: number; after: number }[]> {
  if (teams.length === 0) return [];
  return db
    .selectFrom('request_counts_1m')
    .select([
      'workspace_id',
      sql<number>`coalesce(sum(n) FILTER (WHERE minute < ${splitAt}), 0)::int8`.as('before'),
      sql<number>`coalesce(sum(n) FILTER (WHERE minute >= ${splitAt}), 0)::int8`.as('after'),
    ])
    .where('workspace_id', 'in', [...teams])
    .where('minute', '>=', since)
    .where('status', '=', 'accepted')
    .groupBy('workspace_id')
    .execute();
}

/** The hub webhooks a team has: what WIREHUB_MAX_WEBHOOKS and a webhooks quota count (webhooks.service.ts). */
export async function webhookCount(db: Kysely<DB>, team: string): Promise<number> {
  const { n } = await db
    .selectFrom('connections as c')
    .innerJoin('destinations as d', 'd.id', 'c.destination_id')
    .innerJoin('sources as s', 's.id', 'c.source_id')
    .where('c.workspace_id', '=', team)
    .where('s.type', '=', APPLICATION_SOURCE_TYPE)
    .where('d.type', '=', httpConnector.id)
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(n);
}

/** A webhook past the team's quota: 403, naming the limit. */
export function webhookQuotaExceeded(max: number, current: number): AppError {
  return new AppError(
    403,
    'QUOTA_EXCEEDED',
    `This team's quota allows ${max} webhook${max === 1 ? '' : 's'} and it has ${current}: delete one, or ask the hub's operator to raise the quota.`,
    { limit: 'webhooks', max, current },
  );
}

/** A request past the team's monthly events: 429, naming the limit and when it resets. */
export function eventQuotaExceeded(max: number, used: number, resetsAt: Date, now = Date.now()): AppError {
  const seconds = Math.max(1, Math.ceil((resetsAt.getTime() - now) / 1000));
  return new AppError(
    429,
    'QUOTA_EXCEEDED',
    `This team has taken in its quota of ${max} events this month (${used} so far); it takes events in again from ${resetsAt.toISOString()}, when the monthly quota resets (or ask the hub's operator to raise it).`,
    { limit: 'events_per_month', max, used, resets_at: resetsAt.toISOString() },
    { 'Retry-After': String(seconds) },
  );
}

/** The operator's reads and writes of the quotas, for the admin command and the operator API. */
export function quotasService(deps: { db: Kysely<DB>; config: Config }) {
  const { db } = deps;

  async function describe(rows: { id: string; name: string; max_webhooks: number | null; max_events_per_month: number | null }[]): Promise<TeamQuotaOut[]> {
    const now = new Date();
    const month = monthOf(now);
    // Split at the month's end: every minute of it lands in `before`.
    const used = new Map(
      (
        await acceptedRequests(
          db,
          rows.map((r) => r.id),
          month.start,
          month.next,
        )
      ).map((r) => [r.workspace_id, Number(r.before)]),
    );
    return Promise.all(
      rows.map(async (r) => ({
        team_id: r.id,
        name: r.name,
        webhooks: { max: r.max_webhooks, hub_max: deps.config.maxWebhooks, used: await webhookCount(db, r.id) },
        events_per_month: {
          max: r.max_events_per_month === null ? null : Number(r.max_events_per_month),
          used: used.get(r.id) ?? 0,
          month_start: month.start.toISOString(),
          resets_at: month.next.toISOString(),
        },
      })),
    );
  }
  const team = (id: string) => db.selectFrom('workspaces').select(['id', 'name', 'max_webhooks', 'max_events_per_month']).where('id', '=', id);

  return {
    async get(id: string): Promise<TeamQuotaOut> {
      const row = await team(id).executeTakeFirst();
      if (!row) throw notFound('Team', id);
      return (await describe([row]))[0];
    },

    /** Teams with a quota of either kind. */
    async list(): Promise<TeamQuotaOut[]> {
      const rows = await db
        .selectFrom('workspaces')
        .select(['id', 'name', 'max_webhooks', 'max_events_per_month'])
        .where((eb) => eb.or([eb('max_webhooks', 'is not', null), eb('max_events_per_month', 'is not', null)]))
        .orderBy('id')
        .execute();
      return describe(rows);
    },

    /** Sets (a number) or removes (null) each quota given; those left out stay. */
    async set(id: string, patch: QuotaPatchT): Promise<TeamQuotaOut> {
      const r = await db
        .updateTable('workspaces')
        .set({
          ...(patch.webhooks !== undefined ? { max_webhooks: patch.webhooks } : {}),
          ...(patch.events_per_month !== undefined ? { max_events_per_month: patch.events_per_month } : {}),
        })
        .where('id', '=', id)
        .executeTakeFirst();
      if (r.numUpdatedRows === 0n) throw notFound('Team', id);
      return this.get(id);
    },
  };
}
