import type { Kysely, Transaction } from 'kysely';
import { z } from 'zod';
import { AppError } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import type { Deps } from '../deps.ts';
import type { DB, Role } from '../db/schema.ts';
import { effectiveRetentionDays } from '../gateway/log-retention.ts';

export const TeamIn = z.object({ name: z.string().trim().min(1).max(120) });
const teamName = TeamIn.shape.name;

/**
 * Days a team keeps its log: 1 up to the hub's WIREHUB_RETENTION_DAYS (a team may only keep less,
 * see log-retention.ts); null gives the team the hub's again.
 */
const retentionDays = (hubDays: number) =>
  z
    .number({ error: "must be a whole number of days, or null for the hub's" })
    .int('must be a whole number of days')
    .min(1, 'must be at least 1 day')
    .max(hubDays, `must be at most ${hubDays} days: this Wirehub keeps logs ${hubDays} days (WIREHUB_RETENTION_DAYS), and a team may keep them fewer`)
    .nullable();

/** PATCH /teams/:id: the name, the retention, or both. */
export const teamPatch = (hubDays: number) =>
  z
    .object({ name: teamName.optional(), retention_days: retentionDays(hubDays).optional() })
    .refine((p) => p.name !== undefined || p.retention_days !== undefined, { message: 'give name or retention_days' });
/** PUT /teams/:id: the name, and the retention when given (left as it is otherwise). */
export const teamPut = (hubDays: number) => z.object({ name: teamName, retention_days: retentionDays(hubDays).optional() });
export type TeamPatch = z.infer<ReturnType<typeof teamPatch>>;
export const MemberPatch = z.object({ role: z.enum(['owner', 'admin', 'member']) });

type Db = Kysely<DB> | Transaction<DB>;

const notMember = (teamId: string) => new AppError(403, 'FORBIDDEN', `You are not a member of team ${teamId}.`);
const lastOwner = (leaving: boolean) =>
  new AppError(
    409,
    'LAST_OWNER',
    leaving
      ? "You are this team's last owner: make another member an owner before you leave."
      : "This is the team's last owner: make another member an owner first, so the team keeps one.",
  );

export async function roleIn(db: Db, userId: string, teamId: string): Promise<Role | null> {
  const row = await db.selectFrom('memberships').select('role').where('user_id', '=', userId).where('workspace_id', '=', teamId).executeTakeFirst();
  return row?.role ?? null;
}

/** The caller's role in the team; a non-member learns nothing more than that it may not look (not even whether the team exists). */
export async function requireMember(db: Db, userId: string, teamId: string): Promise<Role> {
  const role = await roleIn(db, userId, teamId);
  if (!role) throw notMember(teamId);
  return role;
}

export async function requireManager(db: Db, userId: string, teamId: string, doing: string): Promise<Role> {
  const role = await requireMember(db, userId, teamId);
  if (role === 'member') throw new AppError(403, 'FORBIDDEN', `Only owners and admins of this team can ${doing}.`);
  return role;
}

/**
 * Membership changes of one team run one at a time (the team's row is locked), so two owners
 * demoting each other at once cannot leave the team without an owner.
 */
async function lockTeam(trx: Transaction<DB>, teamId: string) {
  await trx.selectFrom('workspaces').select('id').where('id', '=', teamId).forUpdate().executeTakeFirst();
}

async function ownerCount(trx: Transaction<DB>, teamId: string): Promise<number> {
  const row = await trx
    .selectFrom('memberships')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('workspace_id', '=', teamId)
    .where('role', '=', 'owner')
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function createTeam(db: Db, userId: string, name: string) {
  const id = newId('tm');
  const run = async (trx: Db) => {
    const team = await trx.insertInto('workspaces').values({ id, name }).returning(['id', 'name', 'created_at']).executeTakeFirstOrThrow();
    await trx.insertInto('memberships').values({ workspace_id: id, user_id: userId, role: 'owner' }).execute();
    return { ...team, role: 'owner' as Role };
  };
  return db.isTransaction ? run(db) : (db as Kysely<DB>).transaction().execute(run);
}

export function teamsService(deps: Deps) {
  const { db } = deps;

  async function team(userId: string, teamId: string) {
    const role = await requireMember(db, userId, teamId);
    const row = await db
      .selectFrom('workspaces')
      .select((eb) => [
        'id',
        'name',
        'is_demo',
        'created_at',
        'retention_days',
        eb
          .selectFrom('memberships')
          .select((m) => m.fn.countAll<string>().as('n'))
          .whereRef('memberships.workspace_id', '=', 'workspaces.id')
          .as('members_count'),
      ])
      .where('id', '=', teamId)
      .executeTakeFirstOrThrow();
    return {
      ...row,
      members_count: Number(row.members_count),
      role,
      // What applies: the team's days, or the hub's when it has none or the hub now keeps fewer.
      effective_retention_days: effectiveRetentionDays(deps.config.retentionDays, row.retention_days),
    };
  }

  return {
    team,

    async list(userId: string) {
      const models = await db
        .selectFrom('memberships')
        .innerJoin('workspaces', 'workspaces.id', 'memberships.workspace_id')
        .select(['workspaces.id', 'workspaces.name', 'workspaces.is_demo', 'workspaces.created_at', 'memberships.role', 'memberships.created_at as joined_at'])
        .where('memberships.user_id', '=', userId)
        .orderBy('memberships.created_at')
        .execute();
      return { models, count: models.length };
    },

    create: (userId: string, name: string) => createTeam(db, userId, name),

    async update(userId: string, teamId: string, patch: TeamPatch) {
      const role = await requireMember(db, userId, teamId);
      // Shortening the retention deletes the team's older log at the next housekeeping: the owners' call.
      if (patch.retention_days !== undefined && role !== 'owner') {
        throw new AppError(403, 'FORBIDDEN', 'Only owners of this team can change how long its log is kept.');
      }
      if (role === 'member') throw new AppError(403, 'FORBIDDEN', 'Only owners and admins of this team can rename it.');
      await db.updateTable('workspaces').set(patch).where('id', '=', teamId).execute();
      return team(userId, teamId);
    },

    // The same shape as list() above, read from the other side of memberships: one team's users.
    async members(userId: string, teamId: string) {
      await requireMember(db, userId, teamId);
      const models = await db
        .selectFrom('memberships')
        .innerJoin('users', 'users.id', 'memberships.user_id')
        .select(['users.id as user_id', 'users.email', 'users.name', 'users.picture_url', 'memberships.role', 'memberships.created_at as joined_at'])
        .where('memberships.workspace_id', '=', teamId)
        .orderBy('memberships.created_at')
        .execute();
      return { models, count: models.length };
    },

    async setRole(actorId: string, teamId: string, targetId: string, role: Role) {
      // A key lives only while its maker may make keys: a demotion ends the maker's keys at once.
      return deps.apiKeys.changed(
        await db.transaction().execute(async (trx) => {
          await lockTeam(trx, teamId);
          const actorRole = await requireManager(trx, actorId, teamId, "change members' roles");
          const current = await roleIn(trx, targetId, teamId);
          if (!current) throw new AppError(404, 'NOT_FOUND', `User ${targetId} is not a member of this team.`);
          if ((current === 'owner' || role === 'owner') && actorRole !== 'owner') {
            throw new AppError(403, 'FORBIDDEN', "Only owners can make someone an owner or change an owner's role.");
          }
          if (current === 'owner' && role !== 'owner' && (await ownerCount(trx, teamId)) === 1) throw lastOwner(false);
          await trx.updateTable('memberships').set({ role }).where('workspace_id', '=', teamId).where('user_id', '=', targetId).execute();
          return { team_id: teamId, user_id: targetId, role };
        }),
      );
    },

    /** Removes a member, or lets the caller leave (targetId = the caller). */
    async remove(actorId: string, teamId: string, targetId: string) {
      return deps.apiKeys.changed(
        await db.transaction().execute(async (trx) => {
          await lockTeam(trx, teamId);
          const leaving = actorId === targetId;
          const actorRole = leaving ? await requireMember(trx, actorId, teamId) : await requireManager(trx, actorId, teamId, 'remove members');
          const current = await roleIn(trx, targetId, teamId);
          if (!current) throw new AppError(404, 'NOT_FOUND', `User ${targetId} is not a member of this team.`);
          if (!leaving && current === 'owner' && actorRole !== 'owner') throw new AppError(403, 'FORBIDDEN', 'Only owners can remove an owner.');
          if (current === 'owner' && (await ownerCount(trx, teamId)) === 1) throw lastOwner(leaving);
          await trx.deleteFrom('memberships').where('workspace_id', '=', teamId).where('user_id', '=', targetId).execute();
          await rehomeSessions(trx, targetId, teamId);
          return { team_id: teamId, user_id: targetId, removed: true };
        }),
      );
    },
  };
}

/**
 * A session's own team is where requests without x-team-id/team_id run; once its user is out of
 * that team, the session moves to another of the user's teams. Someone left with no team at all
 * gets a new personal one, so that signing in always leads somewhere they may act.
 */
async function rehomeSessions(trx: Transaction<DB>, userId: string, formerTeamId: string) {
  const stale = await trx.selectFrom('sessions').select('id').where('user_id', '=', userId).where('workspace_id', '=', formerTeamId).executeTakeFirst();
  const next = await trx.selectFrom('memberships').select('workspace_id').where('user_id', '=', userId).orderBy('created_at').executeTakeFirst();
  let home = next?.workspace_id;
  if (!home) {
    const user = await trx.selectFrom('users').select('name').where('id', '=', userId).executeTakeFirstOrThrow();
    home = (await createTeam(trx, userId, `${user.name}'s team`.slice(0, 120))).id;
  }
  if (stale) await trx.updateTable('sessions').set({ workspace_id: home }).where('user_id', '=', userId).where('workspace_id', '=', formerTeamId).execute();
}
