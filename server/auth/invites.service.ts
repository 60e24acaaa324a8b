import { z } from 'zod';
import { AppError } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import { randomToken, sha256 } from '../core/crypto.ts';
import type { Deps } from '../deps.ts';
import type { Role } from '../db/schema.ts';
import { requireManager, roleIn } from './teams.service.ts';

export const INVITE_TTL_MS = 7 * 24 * 3_600_000;
export const InviteIn = z.object({
  email: z
    .email()
    .max(254)
    .transform((e) => e.toLowerCase()),
  role: z.enum(['owner', 'admin', 'member']).default('member'),
});
/** 32 random bytes in base64url; anything else cannot be a token we issued. */
export const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

const unknownInvite = () => new AppError(404, 'NOT_FOUND', 'This invite link is not valid: check that it was copied whole, or ask for a new one.');
const used = () => new AppError(410, 'INVITE_ALREADY_USED', 'This invite link has already been used; ask a team admin for a new one.');
const expired = () => new AppError(410, 'INVITE_EXPIRED', 'This invite link has expired; ask a team admin for a new one.');

export function invitesService(deps: Deps) {
  const { db } = deps;

  const inviteColumns = [
    'team_invites.id',
    'team_invites.workspace_id as team_id',
    'team_invites.email',
    'team_invites.role',
    'team_invites.expires_at',
    'team_invites.created_at',
    'team_invites.invited_by',
  ] as const;

  return {
    /** The link carries the only copy of the token: it is shown in this answer and never again. */
    async create(actorId: string, teamId: string, input: z.output<typeof InviteIn>) {
      const actorRole = await requireManager(db, actorId, teamId, 'invite people');
      if (input.role === 'owner' && actorRole !== 'owner') throw new AppError(403, 'FORBIDDEN', 'Only owners can invite someone as an owner.');
      const member = await db
        .selectFrom('memberships')
        .innerJoin('users', 'users.id', 'memberships.user_id')
        .select('users.id')
        .where('memberships.workspace_id', '=', teamId)
        .where('users.email', '=', input.email)
        .executeTakeFirst();
      if (member) throw new AppError(409, 'ALREADY_MEMBER', `${input.email} is already a member of this team.`);
      const token = randomToken(32);
      const invite = await db.transaction().execute(async (trx) => {
        // Inviting the same address again replaces its pending link, so only the newest one works.
        await trx.deleteFrom('team_invites').where('workspace_id', '=', teamId).where('email', '=', input.email).where('accepted_at', 'is', null).execute();
        return trx
          .insertInto('team_invites')
          .values({
            id: newId('inv'),
            workspace_id: teamId,
            email: input.email,
            role: input.role,
            token_hash: sha256(token),
            invited_by: actorId,
            expires_at: new Date(Date.now() + INVITE_TTL_MS),
          })
          .returning(['id', 'workspace_id as team_id', 'email', 'role', 'expires_at', 'created_at', 'invited_by'])
          .executeTakeFirstOrThrow();
      });
      return { ...invite, status: 'pending' as const, url: `${deps.config.publicUrl}/invite/${token}` };
    },

    /** Links not yet used, expired ones included (marked), newest first. */
    async list(actorId: string, teamId: string) {
      await requireManager(db, actorId, teamId, 'see pending invites');
      const rows = await db
        .selectFrom('team_invites')
        .leftJoin('users', 'users.id', 'team_invites.invited_by')
        .select([...inviteColumns, 'users.name as invited_by_name'])
        .where('team_invites.workspace_id', '=', teamId)
        .where('team_invites.accepted_at', 'is', null)
        .orderBy('team_invites.created_at', 'desc')
        .execute();
      const now = Date.now();
      const models = rows.map(({ invited_by_name, ...r }) => ({
        ...r,
        invited_by: r.invited_by ? { id: r.invited_by, name: invited_by_name } : null,
        status: r.expires_at.getTime() <= now ? ('expired' as const) : ('pending' as const),
      }));
      return { models, count: models.length };
    },

    async revoke(actorId: string, teamId: string, inviteId: string) {
      await requireManager(db, actorId, teamId, 'revoke invites');
      const gone = await db
        .deleteFrom('team_invites')
        .where('id', '=', inviteId)
        .where('workspace_id', '=', teamId)
        .where('accepted_at', 'is', null)
        .returning('id')
        .executeTakeFirst();
      if (!gone) throw new AppError(404, 'NOT_FOUND', `Invite ${inviteId} was not found among this team's pending invites.`);
      return { id: inviteId, deleted: true as const };
    },

    /** What the invite page shows before anyone signs in: whose team, from whom, for which address. */
    async preview(token: string) {
      if (!TOKEN_PATTERN.test(token)) throw unknownInvite();
      const row = await db
        .selectFrom('team_invites')
        .innerJoin('workspaces', 'workspaces.id', 'team_invites.workspace_id')
        .leftJoin('users', 'users.id', 'team_invites.invited_by')
        .select([
          'team_invites.email',
          'team_invites.role',
          'team_invites.expires_at',
          'team_invites.accepted_at',
          'workspaces.id as team_id',
          'workspaces.name as team_name',
          'users.name as inviter_name',
        ])
        .where('team_invites.token_hash', '=', sha256(token))
        .executeTakeFirst();
      if (!row) throw unknownInvite();
      if (row.accepted_at) throw used();
      if (row.expires_at.getTime() <= Date.now()) throw expired();
      return {
        team: { id: row.team_id, name: row.team_name },
        invited_by: row.inviter_name ? { name: row.inviter_name } : null,
        email: row.email,
        role: row.role,
        expires_at: row.expires_at,
      };
    },

    /**
     * Joins the signed-in user to the invite's team. The link is for the address it was sent to:
     * a forwarded or leaked link does not let someone else in.
     */
    async accept(userId: string, token: string): Promise<{ team: { id: string; name: string; role: Role } }> {
      if (!TOKEN_PATTERN.test(token)) throw unknownInvite();
      return db.transaction().execute(async (trx) => {
        const invite = await trx
          .selectFrom('team_invites')
          .select(['id', 'workspace_id', 'email', 'role', 'expires_at', 'accepted_at'])
          .where('token_hash', '=', sha256(token))
          .forUpdate()
          .executeTakeFirst();
        if (!invite) throw unknownInvite();
        if (invite.accepted_at) throw used();
        if (invite.expires_at.getTime() <= Date.now()) throw expired();
        const user = await trx.selectFrom('users').select(['email', 'email_verified_at']).where('id', '=', userId).executeTakeFirstOrThrow();
        if (user.email !== invite.email) {
          throw new AppError(
            403,
            'INVITE_EMAIL_MISMATCH',
            `This invite was sent to ${invite.email}, but you are signed in as ${user.email}. Sign in with the invited address to accept it.`,
          );
        }
        // The address check means something only if the account's owner proved the address: else
        // anyone who signed up under it could use a leaked link. Without SMTP nobody can prove it
        // by mail, and the check is the address alone (README, "Accounts and e-mail").
        if (deps.config.smtp && !user.email_verified_at) {
          throw new AppError(
            403,
            'EMAIL_NOT_VERIFIED',
            `Confirm that ${user.email} is yours before joining a team: open the link we mailed you (POST /auth/verify-email/resend sends another), or sign in with Google.`,
          );
        }
        if (await roleIn(trx, userId, invite.workspace_id)) throw new AppError(409, 'ALREADY_MEMBER', 'You are already a member of this team.');
        await trx.insertInto('memberships').values({ workspace_id: invite.workspace_id, user_id: userId, role: invite.role }).execute();
        await trx.updateTable('team_invites').set({ accepted_at: new Date(), accepted_by: userId }).where('id', '=', invite.id).execute();
        const team = await trx.selectFrom('workspaces').select(['id', 'name']).where('id', '=', invite.workspace_id).executeTakeFirstOrThrow();
        return { team: { ...team, role: invite.role } };
      });
    },
  };
}
