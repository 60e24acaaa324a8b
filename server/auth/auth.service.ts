import { hash, verify } from '@node-rs/argon2';
import { sql } from 'kysely';
import { AppError } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import { randomToken, sha256 } from '../core/crypto.ts';
import type { ChatDeps } from '../chat/chat-deps.ts';
import type { Deps } from '../deps.ts';
import type { AuthContext } from './auth.middleware.ts';
import { ensureDemoContent, type DemoServices } from './demo-workspace.ts';
import type { Role } from '../db/schema.ts';
import { ARGON } from './argon.ts';
import { sendVerification } from './email-links.service.ts';

// Verifying against this keeps "no such user" as slow as "wrong password".
let dummyHash: Promise<string> | null = null;

export type UserOut = { id: string; email: string; name: string; created_at: Date };
export type TeamOut = { id: string; name: string; role: Role };

export async function signup(deps: Deps, input: { email: string; password: string; name: string; workspace: string }) {
  const email = input.email.toLowerCase();
  const passwordHash = await hash(input.password, ARGON);
  const userId = newId('usr');
  const teamId = newId('tm');
  await deps.db.transaction().execute(async (trx) => {
    const inserted = await trx
      .insertInto('users')
      .values({ id: userId, email, name: input.name, password_hash: passwordHash })
      .onConflict((oc) => oc.column('email').doNothing())
      .returning('id')
      .executeTakeFirst();
    if (!inserted) throw new AppError(409, 'RESOURCE_ALREADY_EXISTS', 'An account with this email already exists; log in instead.');
    await trx.insertInto('workspaces').values({ id: teamId, name: input.workspace }).execute();
    await trx.insertInto('memberships').values({ workspace_id: teamId, user_id: userId, role: 'owner' }).execute();
  });
  // The address stays unverified (and claimable by its verified owner) until the mailed link is opened.
  sendVerification(deps, userId, email);
  return issueSession(deps, userId, teamId);
}

export async function login(deps: Deps, input: { email: string; password: string }) {
  const user = await deps.db.selectFrom('users').select(['id', 'password_hash']).where('email', '=', input.email.toLowerCase()).executeTakeFirst();
  dummyHash ??= hash('not-a-real-password', ARGON);
  const ok = await verify(user?.password_hash ?? (await dummyHash), input.password).catch(() => false);
  if (!user?.password_hash || !ok) throw new AppError(401, 'INVALID_CREDENTIALS', 'The email or password is wrong.');
  return issueSession(deps, user.id, await sessionTeam(deps, user.id));
}

/** The team a new session opens in: the one asked for if the user belongs to it, else the user's first. */
export async function sessionTeam(deps: Deps, userId: string, teamId?: string): Promise<string> {
  const membership = await deps.db
    .selectFrom('memberships')
    .select('workspace_id')
    .where('user_id', '=', userId)
    .$if(teamId !== undefined, (q) => q.where('workspace_id', '=', teamId!))
    .orderBy('created_at')
    .executeTakeFirst();
  if (!membership) throw new AppError(403, 'FORBIDDEN', teamId ? `You are not a member of team ${teamId}.` : 'You are not a member of any team.');
  return membership.workspace_id;
}

/**
 * Opens (creating on first use) one shared demo workspace for local exploration, with sample flows,
 * a chatbot and the last day's events (demo-workspace.ts).
 */
export async function demoLogin(deps: ChatDeps, services: DemoServices) {
  if (!deps.config.demoEnabled) throw new AppError(404, 'NOT_FOUND', 'The demo is disabled on this server.');
  const email = 'demo@wirehub.local';
  await deps.db.transaction().execute(async (trx) => {
    // Serialize concurrent first demo logins so only one demo workspace is ever made.
    await sql`SELECT pg_advisory_xact_lock(42001)`.execute(trx);
    const existing = await trx.selectFrom('users').select('id').where('email', '=', email).executeTakeFirst();
    if (existing) return;
    const userId = newId('usr');
    const teamId = newId('tm');
    await trx.insertInto('users').values({ id: userId, email, name: 'Demo user', password_hash: null }).execute();
    await trx.insertInto('workspaces').values({ id: teamId, name: 'Demo workspace', is_demo: true }).execute();
    await trx.insertInto('memberships').values({ workspace_id: teamId, user_id: userId, role: 'owner' }).execute();
  });
  const row = await deps.db
    .selectFrom('users')
    .innerJoin('memberships', 'memberships.user_id', 'users.id')
    .select(['users.id as user_id', 'memberships.workspace_id'])
    .where('users.email', '=', email)
    .executeTakeFirstOrThrow();
  await ensureDemoContent(deps, services, row.workspace_id, row.user_id);
  return issueSession(deps, row.user_id, row.workspace_id);
}

export async function issueSession(deps: Deps, userId: string, workspaceId: string) {
  const token = `whs_${randomToken(32)}`;
  const expiresAt = new Date(Date.now() + deps.config.sessionTtlMs);
  await deps.db
    .insertInto('sessions')
    .values({ id: newId('ses'), token_hash: sha256(token), user_id: userId, workspace_id: workspaceId, expires_at: expiresAt })
    .execute();
  const profile = await getProfile(deps, userId, workspaceId);
  return { token, ...profile, session: { expires_at: expiresAt } };
}

export async function getProfile(deps: Deps, userId: string, workspaceId: string) {
  const user = await deps.db
    .selectFrom('users')
    .select(['id', 'email', 'name', 'picture_url', 'email_verified_at', 'created_at', 'updated_at'])
    .where('id', '=', userId)
    .executeTakeFirstOrThrow();
  const memberships = await deps.db
    .selectFrom('memberships')
    .innerJoin('workspaces', 'workspaces.id', 'memberships.workspace_id')
    .select(['memberships.workspace_id as team_id', 'workspaces.name as team_name', 'memberships.role'])
    .where('memberships.user_id', '=', userId)
    .orderBy('memberships.created_at')
    .execute();
  const current = memberships.find((m) => m.team_id === workspaceId) ?? memberships[0];
  return {
    user,
    team: current ? { id: current.team_id, name: current.team_name, role: current.role } : null,
    memberships,
  };
}

/** GET /auth/me for an API key or the project key, which have no user: the team's and the key's names. */
export async function keyProfile(deps: Pick<Deps, 'db'>, a: Pick<AuthContext, 'workspaceId' | 'apiKeyId' | 'scopes'>) {
  const [team, key] = await Promise.all([
    deps.db.selectFrom('workspaces').select('name').where('id', '=', a.workspaceId).executeTakeFirst(),
    a.apiKeyId ? deps.db.selectFrom('api_keys').select('name').where('id', '=', a.apiKeyId).executeTakeFirst() : undefined,
  ]);
  return {
    user: null,
    team: { id: a.workspaceId, name: team?.name ?? null },
    key: { id: a.apiKeyId, name: key?.name ?? null, scopes: a.scopes },
    memberships: [],
  };
}

export async function updateProfile(deps: Deps, userId: string, name: string) {
  await deps.db.updateTable('users').set({ name, updated_at: new Date() }).where('id', '=', userId).execute();
}

export async function logout(deps: Deps, sessionId: string) {
  await deps.db.deleteFrom('sessions').where('id', '=', sessionId).execute();
}
