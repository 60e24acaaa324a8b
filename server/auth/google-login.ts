import { OAuth2Client } from 'google-auth-library';
import { sql } from 'kysely';
import { AppError } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import type { Deps } from '../deps.ts';
import { issueSession, sessionTeam } from './auth.service.ts';
import { claimAccount, type AccountClaim } from './email-links.service.ts';
import type { GoogleSigningKeys } from './google-keys.ts';
import { createTeam } from './teams.service.ts';

/** The two spellings Google puts in `iss` (https://developers.google.com/identity/gsi/web/guides/verify-google-id-token). */
const ISSUERS = ['accounts.google.com', 'https://accounts.google.com'];

export type GoogleIdentity = { sub: string; email: string; name: string | null; picture: string | null };

const invalid = (message: string) => new AppError(401, 'INVALID_CREDENTIALS', message);

/**
 * The library's errors are plain Errors whose messages quote the whole token; the caller gets a
 * sentence saying which check failed instead.
 */
const LIBRARY_FAILURES: [RegExp, string][] = [
  [/^Invalid token signature/, "The Google credential's signature is invalid."],
  [/^Token used too late/, 'The Google credential has expired; sign in with Google again.'],
  [/^Token used too early/, 'The Google credential is not valid yet (issued in the future); check the clock.'],
  [/^Expiration time too far in future/, 'The Google credential claims a lifetime longer than Google issues.'],
  [/^Wrong recipient/, 'The Google credential was issued for another application (its audience is not this server’s GOOGLE_CLIENT_ID).'],
  [/^Invalid issuer/, 'The Google credential was not issued by accounts.google.com.'],
  [/^No (issue|expiration) time|field using invalid format/, 'The Google credential lacks a valid issue or expiry time.'],
];

/** Checks Google ID tokens with google-auth-library against keys read from a configurable URL. */
export class GoogleVerifier {
  // Only its offline JWT check is used; the keys come from GoogleSigningKeys, so the URL is ours to set.
  private readonly client = new OAuth2Client();

  constructor(
    private readonly clientId: string,
    private readonly keys: GoogleSigningKeys,
  ) {}

  async verify(credential: string): Promise<GoogleIdentity> {
    const segments = credential.split('.');
    if (segments.length !== 3) throw invalid('The credential is not a Google ID token (expected a JWT of three dot-separated parts).');
    let header: { alg?: unknown; kid?: unknown };
    try {
      header = JSON.parse(Buffer.from(segments[0], 'base64url').toString('utf8')) as typeof header;
    } catch {
      throw invalid('The credential is not a Google ID token (its header is not JSON).');
    }
    // Google signs ID tokens with RS256 only: "none", HS256 and the like are refused before any key is looked at.
    if (header?.alg !== 'RS256') throw invalid(`The credential is signed with ${JSON.stringify(header?.alg ?? null)}; Google ID tokens are signed with RS256.`);
    if (typeof header.kid !== 'string' || !header.kid) throw invalid('The credential names no signing key (kid).');
    const certs = await this.keys.lookup(header.kid);
    if (!Object.hasOwn(certs, header.kid)) throw invalid('The credential was signed with a key Google does not publish (unknown kid).');

    let payload;
    try {
      const ticket = await this.client.verifySignedJwtWithCertsAsync(credential, certs, this.clientId, ISSUERS);
      payload = ticket.getPayload();
    } catch (err) {
      const message = err instanceof Error ? err.message : '';
      const known = LIBRARY_FAILURES.find(([pattern]) => pattern.test(message));
      throw invalid(known ? known[1] : 'The Google credential is invalid.');
    }
    if (!payload?.sub) throw invalid('The Google credential names no account (sub).');
    if (!payload.email) throw invalid('The Google credential carries no e-mail address; request the "email" scope.');
    // Google has sent this claim both as a boolean and as the string "true".
    if ((payload.email_verified as unknown) !== true && (payload.email_verified as unknown) !== 'true') {
      throw invalid(`Google has not verified the e-mail address ${payload.email}; verify it with Google first.`);
    }
    return { sub: payload.sub, email: payload.email.toLowerCase(), name: payload.name?.trim() || null, picture: payload.picture ?? null };
  }
}

/**
 * Signs a Google account in. First sign-in makes the user and a personal team; a user who signed
 * up with a password under the same (Google-verified) address is linked to the Google account.
 * The verified party wins: if that address had never been verified, whoever typed it at sign-up
 * may not own it, so the account is claimed for the Google identity (claimAccount: password,
 * sessions and the credentials it made are dropped) before it is linked.
 */
export async function googleLogin(deps: Deps, identity: GoogleIdentity, teamId?: string) {
  const { userId, claimed } = await findOrCreateUser(deps, identity);
  // A claimed account's API keys were deleted: forget them now that it is committed.
  if (claimed) deps.apiKeys.invalidate();
  const session = await issueSession(deps, userId, await sessionTeam(deps, userId, teamId));
  return claimed ? { ...session, account_claimed: claimed } : session;
}

async function findOrCreateUser(deps: Deps, identity: GoogleIdentity): Promise<{ userId: string; claimed: AccountClaim | null }> {
  return deps.db.transaction().execute(async (trx) => {
    // Two first sign-ins of one address at once would otherwise both try to create the user.
    await sql`SELECT pg_advisory_xact_lock(42002, hashtext(${identity.email}))`.execute(trx);
    const bySub = await trx.selectFrom('users').select(['id', 'picture_url']).where('google_sub', '=', identity.sub).executeTakeFirst();
    if (bySub) {
      if (identity.picture && bySub.picture_url !== identity.picture) {
        await trx.updateTable('users').set({ picture_url: identity.picture, updated_at: new Date() }).where('id', '=', bySub.id).execute();
      }
      return { userId: bySub.id, claimed: null };
    }
    const byEmail = await trx
      .selectFrom('users')
      .select(['id', 'google_sub', 'picture_url', 'email_verified_at'])
      .where('email', '=', identity.email)
      .forUpdate()
      .executeTakeFirst();
    if (byEmail) {
      if (byEmail.google_sub) {
        throw new AppError(409, 'ACCOUNT_LINKED_ELSEWHERE', `The account ${identity.email} is already linked to a different Google account.`);
      }
      const claimed = byEmail.email_verified_at ? null : await claimAccount(deps, trx, byEmail.id);
      await trx
        .updateTable('users')
        .set({
          google_sub: identity.sub,
          picture_url: identity.picture ?? byEmail.picture_url,
          email_verified_at: byEmail.email_verified_at ?? new Date(),
          updated_at: new Date(),
        })
        .where('id', '=', byEmail.id)
        .execute();
      return { userId: byEmail.id, claimed };
    }
    const userId = newId('usr');
    const name = (identity.name ?? identity.email.split('@')[0]).slice(0, 120);
    await trx
      .insertInto('users')
      .values({
        id: userId,
        email: identity.email,
        name,
        password_hash: null,
        google_sub: identity.sub,
        picture_url: identity.picture,
        email_verified_at: new Date(),
      })
      .execute();
    await createTeam(trx, userId, `${name}'s team`.slice(0, 120));
    return { userId, claimed: null };
  });
}
