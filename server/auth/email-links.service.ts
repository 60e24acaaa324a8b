import { hash } from '@node-rs/argon2';
import { sql, type Transaction } from 'kysely';
import { AppError } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import { mailerFor } from '../core/mailer.ts';
import { randomToken, sha256 } from '../core/crypto.ts';
import type { Deps } from '../deps.ts';
import type { DB } from '../db/schema.ts';
import { rotateProjectKey } from '../gateway/project-secrets.service.ts';
import { ARGON } from './argon.ts';
import { TOKEN_PATTERN } from './invites.service.ts';

type Purpose = 'verify_email' | 'password_reset';

const TTL_MS: Record<Purpose, number> = { verify_email: 24 * 3_600_000, password_reset: 3_600_000 };
/** Per account and purpose: a stranger asking for resets cannot fill the owner's mailbox. */
const MAILS_PER_WINDOW = 3;
const MAIL_WINDOW_MS = 15 * 60_000;

const invalidLink = () => new AppError(404, 'NOT_FOUND', 'This link is not valid or was already used: ask for a new one.');
const expiredLink = () => new AppError(410, 'LINK_EXPIRED', 'This link has expired: ask for a new one.');
export const mailUnavailable = (what: string) =>
  new AppError(404, 'NOT_FOUND', `${what} by e-mail is not available on this server (SMTP_URL is not set); ask its administrator.`);

/**
 * What the owner of an address sees about it. Without SMTP a password account's address can only
 * become verified by signing in with Google.
 */
export function verificationState(deps: Deps, verifiedAt: Date | null): 'verified' | 'pending' | 'unavailable' {
  if (verifiedAt) return 'verified';
  return deps.config.smtp ? 'pending' : 'unavailable';
}

/** Stores a new link for the account and returns its URL, or null when this account had its share of mails lately. */
async function newLink(deps: Deps, userId: string, email: string, purpose: Purpose): Promise<string | null> {
  return deps.db.transaction().execute(async (trx) => {
    // Requests arriving together would all count the same few links and all send one.
    await sql`SELECT pg_advisory_xact_lock(42003, hashtext(${userId}))`.execute(trx);
    const recent = await trx
      .selectFrom('email_tokens')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('user_id', '=', userId)
      .where('purpose', '=', purpose)
      .where('created_at', '>', new Date(Date.now() - MAIL_WINDOW_MS))
      .executeTakeFirstOrThrow();
    if (Number(recent.n) >= MAILS_PER_WINDOW) return null;
    const token = randomToken(32);
    await trx
      .insertInto('email_tokens')
      .values({ id: newId('etk'), user_id: userId, purpose, email, token_hash: sha256(token), expires_at: new Date(Date.now() + TTL_MS[purpose]) })
      .execute();
    const page = purpose === 'verify_email' ? 'verify-email' : 'reset-password';
    return `${deps.config.publicUrl}/${page}/${token}`;
  });
}

const MAILS: Record<Purpose, (url: string) => { subject: string; text: string }> = {
  verify_email: (url) => ({
    subject: 'Confirm your e-mail address for Wirehub',
    text: [
      'Someone signed up for Wirehub with this address. If it was you, log in and open this link within 24 hours to confirm it:',
      '',
      url,
      '',
      'If it was not you, ignore this mail. The account stays unconfirmed, and the owner of this address can take it over by signing in with Google or by resetting its password, which locks out whoever opened it.',
    ].join('\n'),
  }),
  password_reset: (url) => ({
    subject: 'Reset your Wirehub password',
    text: [
      'Someone asked to reset the Wirehub password of this address. To choose a new password, open this link within an hour:',
      '',
      url,
      '',
      'Choosing a new password signs out every other session. If you did not ask for this, ignore this mail.',
    ].join('\n'),
  }),
};

/**
 * Mails a link in the background: the caller answers at once, and a slow or failing mail server
 * neither delays nor reveals anything to the requester (a failure is logged).
 */
function mailLink(deps: Deps, userId: string, email: string, purpose: Purpose): void {
  const mailer = mailerFor(deps.config, deps.log);
  if (!mailer) return;
  void (async () => {
    const url = await newLink(deps, userId, email, purpose);
    if (!url) {
      deps.log.warn({ userId, purpose }, 'mail link not sent: too many asked for this account lately');
      return;
    }
    await mailer.send({ to: email, ...MAILS[purpose](url) });
  })().catch((err: unknown) => deps.log.error({ err, userId, purpose }, 'mail link could not be sent'));
}

export function sendVerification(deps: Deps, userId: string, email: string): void {
  mailLink(deps, userId, email, 'verify_email');
}

/** A signed-in user asks for the verification mail again. */
export async function resendVerification(deps: Deps, userId: string) {
  if (!deps.config.smtp) throw mailUnavailable('Address verification');
  const user = await deps.db.selectFrom('users').select(['email', 'email_verified_at']).where('id', '=', userId).executeTakeFirstOrThrow();
  if (user.email_verified_at) throw new AppError(409, 'EMAIL_ALREADY_VERIFIED', `${user.email} is already verified.`);
  sendVerification(deps, userId, user.email);
  return { email: user.email, sent: true };
}

/**
 * Always the same answer whether or not the address has an account: the lookup and the mail happen
 * after the response, so neither its content nor its timing tells.
 */
export function requestPasswordReset(deps: Deps, email: string): void {
  if (!deps.config.smtp) throw mailUnavailable('Password reset');
  const address = email.toLowerCase();
  void (async () => {
    const user = await deps.db.selectFrom('users').select('id').where('email', '=', address).executeTakeFirst();
    if (user) mailLink(deps, user.id, address, 'password_reset');
  })().catch((err: unknown) => deps.log.error({ err }, 'password reset lookup failed'));
}

/** Takes the link out of the table (so it works once, even when opened twice at the same moment) and checks it still applies. */
async function consume(trx: Transaction<DB>, token: string, purpose: Purpose) {
  if (!TOKEN_PATTERN.test(token)) throw invalidLink();
  const link = await trx
    .deleteFrom('email_tokens')
    .where('token_hash', '=', sha256(token))
    .where('purpose', '=', purpose)
    .returning(['user_id', 'email', 'expires_at'])
    .executeTakeFirst();
  if (!link) throw invalidLink();
  if (link.expires_at.getTime() <= Date.now()) throw expiredLink();
  const user = await trx.selectFrom('users').select(['id', 'email', 'email_verified_at']).where('id', '=', link.user_id).forUpdate().executeTakeFirstOrThrow();
  // The link proves the mailbox it went to, not whichever address the account has now.
  if (user.email !== link.email) throw invalidLink();
  return user;
}

/**
 * Opened by the account's own session. Were the link enough, the owner of a squatted address,
 * following the mail we sent them, would confirm the squatter's account and password.
 */
export async function verifyEmail(deps: Deps, userId: string, token: string) {
  return deps.db.transaction().execute(async (trx) => {
    const user = await consume(trx, token, 'verify_email');
    // Thrown inside the transaction, so the link is not used up by the wrong account.
    if (user.id !== userId) {
      throw new AppError(
        403,
        'EMAIL_LINK_OTHER_ACCOUNT',
        'This link confirms the address of another account: log in with the address it was sent to, then open it again.',
      );
    }
    const verifiedAt = user.email_verified_at ?? new Date();
    await trx.updateTable('users').set({ email_verified_at: verifiedAt, updated_at: new Date() }).where('id', '=', user.id).execute();
    return { email: user.email, email_verified_at: verifiedAt };
  });
}

/**
 * Sets the password of whoever holds the mailbox. Every session ends, this one's device included
 * (the caller logs in with the new password). If the address had never been proven, the mailbox's
 * owner is claiming an account someone else may have opened in their name: see claimAccount.
 */
export async function confirmPasswordReset(deps: Deps, token: string, password: string) {
  // argon2 costs tens of milliseconds and 19 MiB: only for a link that exists (consume checks it again, race-safe).
  const known =
    TOKEN_PATTERN.test(token) &&
    (await deps.db.selectFrom('email_tokens').select('id').where('token_hash', '=', sha256(token)).where('purpose', '=', 'password_reset').executeTakeFirst());
  if (!known) throw invalidLink();
  const passwordHash = await hash(password, ARGON);
  // A claimed account's API keys are deleted: forget them once that is committed.
  return deps.apiKeys.changed(
    await deps.db.transaction().execute(async (trx) => {
      const user = await consume(trx, token, 'password_reset');
      const claimed = user.email_verified_at ? null : await claimAccount(deps, trx, user.id);
      const { numDeletedRows } = await trx.deleteFrom('sessions').where('user_id', '=', user.id).executeTakeFirst();
      await trx.deleteFrom('email_tokens').where('user_id', '=', user.id).where('purpose', '=', 'password_reset').execute();
      await trx
        .updateTable('users')
        .set({ password_hash: passwordHash, email_verified_at: user.email_verified_at ?? new Date(), updated_at: new Date() })
        .where('id', '=', user.id)
        .execute();
      return {
        email: user.email,
        password_changed: true,
        sessions_ended: Number(numDeletedRows) + (claimed?.sessions_ended ?? 0),
        ...(claimed ? { account_claimed: claimed } : {}),
      };
    }),
  );
}

export type AccountClaim = {
  password_removed: boolean;
  sessions_ended: number;
  api_keys_revoked: number;
  invites_revoked: number;
  project_keys_rotated: number;
  members_it_invited: number;
};

/**
 * The owner of an address (proven by Google or by a mail link) takes over an account whose address
 * had never been proven. Whoever opened it may have been someone else, so everything that would
 * let that person back in is undone: the password, every session, the API keys the account made,
 * the invites it sent that are still pending, and the project API key of each team it owns or
 * administers. The account's teams, memberships and data stay: they are now the
 * owner's. Must run inside the caller's transaction, which also marks the address verified.
 */
export async function claimAccount(deps: Deps, trx: Transaction<DB>, userId: string): Promise<AccountClaim> {
  const user = await trx.selectFrom('users').select('password_hash').where('id', '=', userId).executeTakeFirstOrThrow();
  await trx.updateTable('users').set({ password_hash: null, updated_at: new Date() }).where('id', '=', userId).execute();
  const sessions = await trx.deleteFrom('sessions').where('user_id', '=', userId).executeTakeFirst();
  const keys = await trx.deleteFrom('api_keys').where('created_by', '=', userId).executeTakeFirst();
  const invites = await trx.deleteFrom('team_invites').where('invited_by', '=', userId).where('accepted_at', 'is', null).executeTakeFirst();
  await trx.deleteFrom('email_tokens').where('user_id', '=', userId).execute();
  // Whoever held the account could reveal the project key of every team it managed, alone or not
  // (a second account of theirs, invited and accepted, would otherwise keep that team "shared").
  const managed = await trx.selectFrom('memberships').select('workspace_id').where('user_id', '=', userId).where('role', 'in', ['owner', 'admin']).execute();
  let rotated = 0;
  for (const { workspace_id } of managed) if (await rotateProjectKey(trx, deps.box, workspace_id)) rotated++;
  // Members it let in stay (they may be the owner's colleagues); the owner is told how many to review.
  const admitted = await trx
    .selectFrom('team_invites')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('invited_by', '=', userId)
    .where('accepted_at', 'is not', null)
    .executeTakeFirstOrThrow();
  const claim = {
    password_removed: user.password_hash !== null,
    sessions_ended: Number(sessions.numDeletedRows),
    api_keys_revoked: Number(keys.numDeletedRows),
    invites_revoked: Number(invites.numDeletedRows),
    project_keys_rotated: rotated,
    members_it_invited: Number(admitted.n),
  };
  deps.log.warn({ userId, ...claim }, 'an account whose address was never verified was claimed by the verified owner of the address');
  return claim;
}
