import type { z } from 'zod';
import type { Connector, SentCredential } from '../../connectors/types.ts';
import { AppError } from '../core/errors.ts';
import type { Deps } from '../deps.ts';
import type { AuthContext } from './auth.middleware.ts';
import { mayManageSecrets } from './privileges.ts';

type AnyConnector = Connector<z.ZodType>;
type Config = Record<string, unknown>;

/**
 * Credentials follow the address. Pointing a destination that keeps stored credentials (an auth
 * token, custom headers, a CRM token, a service-account key, a secret sent as-is) at a new
 * address hands them to whoever answers there: the same as reading them in clear, which only
 * owners and admins may (privileges.ts). So a write or a test that would send a stored credential
 * to an origin (scheme, host and port) it did not go to before needs `mayManageSecrets`, or the
 * caller gives that credential anew in the same request (then it is theirs, not the team's).
 *
 * What counts as "went there before": the origins the same credential value was sent to by the
 * stored config, the connector's own vendor defaults (api.hubapi.com, a key's own token_uri) and
 * the operator's vendor URLs (WIREHUB_GOOGLE_SHEETS_URL…). A credential a change starts sending
 * (a signing mode that sends the secret, another credential from Settings) went nowhere before.
 */
export type AddressChange = {
  connector: AnyConnector;
  /** The full stored config (credentials in); null for a destination being made or tested unsaved. */
  before: Config | null;
  /** The full config the write stores or the test runs. */
  after: Config;
  /** Top-level config keys the request gives itself: credentials given anew are the caller's own. */
  given: Iterable<string>;
  /** What the request calls a config key when it is not the key itself (a webhook's `authorization` is `auth`). */
  fieldNames?: Record<string, string>;
};

type Address = { path: string; origin: string };

function originOf(url: string | undefined): string | null {
  if (!url) return null;
  try {
    return new URL(url).origin;
  } catch {
    return null;
  }
}

function addresses(connector: AnyConnector, config: Config): Address[] {
  let targets: { path: string; url: string | undefined }[];
  try {
    targets = connector.targetUrls(config);
  } catch {
    // A stored config of an older shape: it vouches for no address.
    return [];
  }
  return targets.flatMap((t) => {
    const origin = originOf(t.url);
    return origin ? [{ path: t.path, origin }] : [];
  });
}

const isSet = (v: unknown) => v !== undefined && v !== null && v !== '' && !(typeof v === 'object' && Object.keys(v).length === 0);

function sent(connector: AnyConnector, config: Config): SentCredential[] {
  if (connector.sentCredentials) {
    try {
      return connector.sentCredentials(config);
    } catch {
      return connector.secretFields.map((field) => ({ field, what: field }));
    }
  }
  return connector.secretFields.filter((f) => isSet(config[f])).map((field) => ({ field, what: field }));
}

/** Where the connector goes when the config names no address of its own: the vendor it was made for. */
function vendorDefaults(connector: AnyConnector, config: Config): string[] {
  const own = new Set(connector.secretFields);
  const named = addresses(connector, config)
    .map((a) => a.path)
    .filter((p) => !p.includes('.') && !own.has(p));
  const bare = Object.fromEntries(Object.entries(config).filter(([k]) => !named.includes(k)));
  const parsed = connector.configSchema.safeParse(bare);
  return parsed.success ? addresses(connector, parsed.data as Config).map((a) => a.origin) : [];
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** Each stored credential the change would send somewhere new, with those addresses. */
export function credentialsAtNewAddresses(deps: Pick<Deps, 'config'>, change: AddressChange): { credential: SentCredential; to: Address[] }[] {
  const { connector, before, after } = change;
  const given = new Set(change.given);
  // A secret filled in from Settings is the team's, whatever the request wrote in its place.
  if (after.credential_id !== undefined) for (const f of connector.secretFields) given.delete(f);
  const kept = sent(connector, after).filter((c) => !given.has(c.field));
  if (!kept.length) return [];
  const vendor = [...vendorDefaults(connector, after), ...Object.values(deps.config.vendorUrls).map(originOf)];
  const beforeSent = before ? sent(connector, before) : [];
  const beforeAt = before ? addresses(connector, before).map((a) => a.origin) : [];
  const targets = addresses(connector, after);
  return kept.flatMap((credential) => {
    const wentThere = before !== null && beforeSent.some((b) => b.field === credential.field) && same(before[credential.field], after[credential.field]);
    const known = new Set([...vendor, ...(wentThere ? beforeAt : [])]);
    const to = targets.filter((t) => !known.has(t.origin));
    return to.length ? [{ credential, to }] : [];
  });
}

/**
 * Refuses (403 CREDENTIALS_NEED_ADMIN) a change that would send stored credentials to a new
 * address, unless the caller may manage secrets. The message says which credentials would go where
 * and which fields to give anew instead.
 */
export function requireCredentialsFollowAddress(deps: Pick<Deps, 'config'>, caller: AuthContext, change: AddressChange): void {
  if (mayManageSecrets(caller)) return;
  const found = credentialsAtNewAddresses(deps, change);
  if (!found.length) return;
  const name = (key: string) => change.fieldNames?.[key] ?? `config.${key}`;
  const to = [...new Set(found.flatMap((f) => f.to.map((t) => t.origin)))];
  const fields = [...new Set(found.map((f) => name(f.credential.field)))];
  const details = [
    ...found.map((f) => ({ path: name(f.credential.field), message: `${f.credential.what} is stored: give it again in this request to send your own` })),
    ...[...new Map(found.flatMap((f) => f.to).map((t) => [t.path, t])).values()].map((t) => ({
      path: name(t.path),
      message: `${t.origin} is a new address for the stored credentials`,
    })),
  ];
  throw new AppError(
    403,
    'CREDENTIALS_NEED_ADMIN',
    `Only owners and admins can send stored credentials to a new address: ${found.map((f) => f.credential.what).join(', ')} would go to ${to.join(', ')}. Give ${fields.join(', ')} again in the same request to send your own instead.`,
    details,
  );
}
