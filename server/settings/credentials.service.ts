import { sql, type Kysely } from 'kysely';
import { z } from 'zod';
import { manifestOf } from '../../connectors/index.ts';
import { CrmTokenSchema } from '../../connectors/crm-relay/config.ts';
import { ServiceAccountKeyInput, type GoogleOAuthGrant, type ServiceAccountKey } from '../../connectors/google-sheets/config.ts';
import { mask } from '../core/crypto.ts';
import { AppError, notFound, zodDetails } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import type { CredentialKind, CredentialRow, DB } from '../db/schema.ts';
import type { Deps } from '../deps.ts';
import { connectorOf, destinationConfig, sealConfig } from '../gateway/destination-config.ts';

/** Kinds an owner pastes; a Google account signed in with (google-oauth) is saved by signing in. */
export const CREDENTIAL_KINDS = ['google-service-account', 'hubspot', 'pipedrive'] as const satisfies readonly CredentialKind[];
const ALL_KINDS = ['google-service-account', 'google-oauth', 'hubspot', 'pipedrive'] as const satisfies readonly CredentialKind[];

/** What the owner calls each kind, and where to add one: error messages point there. */
const LABEL: Record<CredentialKind, string> = {
  'google-service-account': 'Google service account',
  'google-oauth': 'Google account',
  hubspot: 'HubSpot private-app token',
  pipedrive: 'Pipedrive API token',
};
const SETTINGS_HINT: Record<CredentialKind, string> = {
  'google-service-account': 'add one in Settings → Google service account',
  'google-oauth': 'sign in with Google in the Google Sheet step',
  hubspot: 'add one in Settings → CRM credentials',
  pipedrive: 'add one in Settings → CRM credentials',
};

const secretSchema = z.union([z.string(), z.record(z.string(), z.unknown())], {
  message: 'the service account JSON key (an object or its text) or the token',
});
const nameField = z.string().trim().min(1).max(155);

export const CredentialIn = z.object({ kind: z.enum(CREDENTIAL_KINDS), name: nameField.optional(), secret: secretSchema }).strict();
export const CredentialPatch = z
  .object({ kind: z.enum(CREDENTIAL_KINDS).optional(), name: nameField.optional(), secret: secretSchema.optional() })
  .strict()
  .refine((p) => p.name !== undefined || p.secret !== undefined, 'give name, secret or both');
export const CredentialsQuery = z.object({ kind: z.enum(ALL_KINDS).optional() });
export type CredentialInT = z.output<typeof CredentialIn>;
export type CredentialPatchT = z.output<typeof CredentialPatch>;

export type CredentialOut = {
  id: string;
  kind: CredentialKind;
  name: string;
  /** The service account's e-mail for Google, a masked token for CRMs; never the secret. */
  hint: string;
  /** Google service accounts only: the address each spreadsheet must be shared with. */
  client_email?: string;
  /** Google accounts signed in with: the account's address (its token is never shown). */
  google_account?: string;
  created_at: Date;
  updated_at: Date;
  /** Ids of the destinations whose config names this credential. */
  used_by: string[];
};

type Secret = ServiceAccountKey | GoogleOAuthGrant | string;

/** Checks a secret for its kind; a bad one is a 422 naming the field under `body.secret`. */
function checkSecret(kind: CredentialKind, raw: unknown): { secret: Secret; hint: string } {
  if (kind === 'google-service-account') {
    const parsed = ServiceAccountKeyInput.safeParse(raw);
    if (!parsed.success) throw invalidSecret(kind, parsed.error);
    return { secret: parsed.data, hint: parsed.data.client_email };
  }
  const parsed = CrmTokenSchema.safeParse(raw);
  if (!parsed.success) throw invalidSecret(kind, parsed.error);
  return { secret: parsed.data, hint: mask(parsed.data) };
}

function invalidSecret(kind: CredentialKind, err: z.ZodError): AppError {
  const details = zodDetails(err, 'body.secret');
  return new AppError(422, 'INVALID_CREDENTIAL', `This is not a usable ${LABEL[kind]}: ${details.map((d) => `${d.path}: ${d.message}`).join('; ')}`, details);
}

/**
 * Which credentials a connector config takes (the first is what an error asks for), and the config
 * key each kind's secret goes into, as its manifest says; the other kinds' keys are cleared, so a
 * sheet that moves from a service account to a Google account does not keep the key it no longer uses.
 */
type Need = { kinds: CredentialKind[]; fields: Partial<Record<CredentialKind, string>> };
function needOf(connectorId: string, config: Record<string, unknown>): Need | null {
  return manifestOf(connectorId)?.credential?.(config) ?? null;
}

/** The config with the credential's secret in its key, and the other kinds' keys removed. */
function withSecret(need: Need, kind: CredentialKind, config: Record<string, unknown>, secret: Secret): Record<string, unknown> {
  const out = { ...config };
  for (const field of Object.values(need.fields)) delete out[field];
  out[need.fields[kind] as string] = secret;
  return out;
}

export type ApplyOptions = {
  /** Where `credential_id` sits in the caller's request, for error details (default `credential_id`). */
  path?: string;
  /**
   * The caller's transaction: the credential row stays locked (FOR SHARE) until it commits, so a
   * replace waiting on it re-seals what the caller stores, and a delete cannot miss it.
   */
  db?: Kysely<DB>;
};

export function credentialsService(deps: Pick<Deps, 'db' | 'box'>) {
  const { db, box } = deps;

  const usedBy = async (q: Kysely<DB>, ws: string, ids: string[]): Promise<Map<string, { id: string; name: string }[]>> => {
    const out = new Map<string, { id: string; name: string }[]>();
    if (!ids.length) return out;
    const credentialId = sql<string>`config->>'credential_id'`;
    const rows = await q
      .selectFrom('destinations')
      .select(['id', 'name', credentialId.as('credential_id')])
      .where('workspace_id', '=', ws)
      .where(credentialId, 'in', ids)
      .orderBy('id')
      .execute();
    for (const r of rows) out.set(r.credential_id, [...(out.get(r.credential_id) ?? []), { id: r.id, name: r.name }]);
    return out;
  };

  const out = (row: CredentialRow, users: { id: string }[] = []): CredentialOut => ({
    id: row.id,
    kind: row.kind,
    name: row.name,
    hint: row.hint,
    ...(row.kind === 'google-service-account' ? { client_email: row.hint } : {}),
    ...(row.kind === 'google-oauth' ? { google_account: row.hint } : {}),
    created_at: row.created_at,
    updated_at: row.updated_at,
    used_by: users.map((u) => u.id),
  });

  const find = async (q: Kysely<DB>, ws: string, id: string, lock = false) => {
    let query = q.selectFrom('credentials').selectAll().where('workspace_id', '=', ws).where('id', '=', id);
    if (lock) query = query.forUpdate();
    const row = await query.executeTakeFirst();
    if (!row) throw notFound('Credential', id);
    return row;
  };

  /** Puts the new secret into every destination using the credential, sealed afresh (the caller's transaction). */
  const reseal = async (trx: Kysely<DB>, row: CredentialRow, secret: Secret) => {
    const dests = await trx
      .selectFrom('destinations')
      .select(['id', 'type', 'config', 'auth_enc'])
      .where('workspace_id', '=', row.workspace_id)
      .where(sql<string>`config->>'credential_id'`, '=', row.id)
      .forUpdate()
      .execute();
    for (const d of dests) {
      const config = destinationConfig(deps, d);
      const need = needOf(d.type, config);
      // A destination whose preset no longer matches the credential's kind keeps what it has.
      if (!need?.kinds.includes(row.kind)) continue;
      const sealed = sealConfig(deps, connectorOf(d.type), withSecret(need, row.kind, config, secret));
      await trx
        .updateTable('destinations')
        .set({ ...sealed, updated_at: new Date() })
        .where('id', '=', d.id)
        .execute();
    }
  };

  return {
    async list(ws: string, kind?: CredentialKind): Promise<CredentialOut[]> {
      let q = db.selectFrom('credentials').selectAll().where('workspace_id', '=', ws);
      if (kind) q = q.where('kind', '=', kind);
      const rows = await q.orderBy('id', 'desc').execute();
      const users = await usedBy(
        db,
        ws,
        rows.map((r) => r.id),
      );
      return rows.map((r) => out(r, users.get(r.id)));
    },

    async get(ws: string, id: string): Promise<CredentialOut> {
      const row = await find(db, ws, id);
      return out(row, (await usedBy(db, ws, [id])).get(id));
    },

    async create(ws: string, input: CredentialInT): Promise<CredentialOut> {
      const { secret, hint } = checkSecret(input.kind, input.secret);
      const row = await db
        .insertInto('credentials')
        .values({
          id: newId('cred'),
          workspace_id: ws,
          kind: input.kind,
          name: input.name ?? (input.kind === 'google-service-account' ? hint : LABEL[input.kind]),
          hint,
          secret_enc: box.sealJson(secret),
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return out(row);
    },

    /** A new secret reaches every destination using the credential in the same transaction. */
    async update(ws: string, id: string, patch: CredentialPatchT): Promise<CredentialOut> {
      return db.transaction().execute(async (trx) => {
        const before = await find(trx, ws, id, true);
        if (patch.kind !== undefined && patch.kind !== before.kind) {
          throw new AppError(422, 'KIND_IMMUTABLE', `A credential's kind cannot change (it is ${before.kind}); add a new credential instead.`, [
            { path: 'body.kind', message: 'cannot change' },
          ]);
        }
        if (before.kind === 'google-oauth' && patch.secret !== undefined) {
          throw new AppError(422, 'SECRET_NOT_EDITABLE', "A Google account's access is renewed by signing in with Google again, not by pasting it.", [
            { path: 'body.secret', message: 'cannot be given' },
          ]);
        }
        const checked = patch.secret !== undefined ? checkSecret(before.kind, patch.secret) : null;
        // A name that was only the old key's e-mail follows the new key.
        const name = patch.name ?? (checked && before.name === before.hint ? checked.hint : undefined);
        const row = await trx
          .updateTable('credentials')
          .set({
            ...(name !== undefined ? { name } : {}),
            ...(checked ? { hint: checked.hint, secret_enc: box.sealJson(checked.secret) } : {}),
            updated_at: new Date(),
          })
          .where('id', '=', id)
          .returningAll()
          .executeTakeFirstOrThrow();
        if (checked) await reseal(trx, row, checked.secret);
        return out(row, (await usedBy(trx, ws, [id])).get(id));
      });
    },

    /**
     * A credential still named by a destination stays: deleting it would leave them unable to deliver.
     * Answers the deleted row, so a Google account's access can be revoked at Google too.
     */
    async remove(ws: string, id: string): Promise<CredentialRow> {
      return db.transaction().execute(async (trx) => {
        const row = await find(trx, ws, id, true);
        const users = (await usedBy(trx, ws, [id])).get(id) ?? [];
        if (users.length) {
          throw new AppError(
            409,
            'CREDENTIAL_IN_USE',
            `This credential is used by ${users.map((u) => `"${u.name}" (${u.id})`).join(', ')}; give them another credential or delete them first.`,
            { used_by: users },
          );
        }
        await trx.deleteFrom('credentials').where('id', '=', id).execute();
        return row;
      });
    },

    /**
     * Saves a Google account the team signed in with. Signing in again as the same account replaces
     * its token (and, sealed afresh, in every destination using it) instead of adding a twin.
     */
    async saveGoogleAccount(ws: string, grant: GoogleOAuthGrant): Promise<CredentialOut> {
      return db.transaction().execute(async (trx) => {
        const same = await trx
          .selectFrom('credentials')
          .selectAll()
          .where('workspace_id', '=', ws)
          .where('kind', '=', 'google-oauth')
          .where('hint', '=', grant.email)
          .forUpdate()
          .executeTakeFirst();
        const sealed = box.sealJson(grant);
        const row = same
          ? await trx
              .updateTable('credentials')
              .set({ secret_enc: sealed, updated_at: new Date() })
              .where('id', '=', same.id)
              .returningAll()
              .executeTakeFirstOrThrow()
          : await trx
              .insertInto('credentials')
              .values({ id: newId('cred'), workspace_id: ws, kind: 'google-oauth', name: grant.email, hint: grant.email, secret_enc: sealed })
              .returningAll()
              .executeTakeFirstOrThrow();
        if (same) await reseal(trx, row, grant);
        return out(row, (await usedBy(trx, ws, [row.id])).get(row.id));
      });
    },

    /** A Google account's stored grant, for listing its spreadsheets; a 404 for another team's id or another kind. */
    async googleGrant(ws: string, id: string): Promise<GoogleOAuthGrant> {
      const row = await find(db, ws, id);
      if (row.kind !== 'google-oauth') {
        throw new AppError(
          422,
          'WRONG_CREDENTIAL_KIND',
          `Credential ${id} is a ${LABEL[row.kind]}; listing spreadsheets needs a Google account signed in with Google.`,
          [{ path: 'id', message: 'must be a google-oauth credential' }],
        );
      }
      return box.openJson<GoogleOAuthGrant>(row.secret_enc);
    },

    /**
     * When `config.credential_id` is set (`default` = the newest credential of the kind the
     * connector needs), merges the stored secret into the config (google-sheets `credentials`,
     * hubspot `token`, pipedrive `api_token`) and records the real id. Without it the config is
     * returned as it is.
     */
    async applyTo(ws: string, connectorId: string, config: Record<string, unknown>, opts: ApplyOptions = {}): Promise<Record<string, unknown>> {
      const ref = config.credential_id;
      if (ref === undefined) return config;
      const path = opts.path ?? 'credential_id';
      const need = needOf(connectorId, config);
      if (!need) {
        throw new AppError(
          422,
          'CREDENTIAL_NOT_SUPPORTED',
          'A saved credential can be used by Google Sheets destinations and the hubspot and pipedrive CRM presets only.',
          [{ path, message: 'not supported by this destination type or preset' }],
        );
      }
      if (typeof ref !== 'string')
        throw new AppError(422, 'NO_CREDENTIAL', 'credential_id must be a credential id or "default".', [{ path, message: 'must be a string' }]);
      const q = opts.db ?? db;
      let base = q.selectFrom('credentials').selectAll().where('workspace_id', '=', ws);
      base = ref === 'default' ? base.where('kind', 'in', need.kinds).orderBy('id', 'desc').limit(1) : base.where('id', '=', ref);
      const row = await base.forShare().executeTakeFirst();
      const wanted = need.kinds.map((k) => LABEL[k]).join(' or ');
      if (!row) {
        const message =
          ref === 'default'
            ? `No ${wanted} is saved in this workspace; ${SETTINGS_HINT[need.kinds[0]]}.`
            : `Credential ${ref} was not found in this workspace; ${SETTINGS_HINT[need.kinds[0]]}.`;
        throw new AppError(422, 'NO_CREDENTIAL', message, [{ path, message: ref === 'default' ? 'no credential of this kind' : 'not found' }]);
      }
      if (!need.kinds.includes(row.kind)) {
        throw new AppError(422, 'WRONG_CREDENTIAL_KIND', `Credential ${row.id} is a ${LABEL[row.kind]}; this destination needs a ${wanted}.`, [
          { path, message: `must be a ${need.kinds.join(' or ')} credential` },
        ]);
      }
      return { ...withSecret(need, row.kind, config, box.openJson<Secret>(row.secret_enc)), credential_id: row.id };
    },
  };
}

export type CredentialsService = ReturnType<typeof credentialsService>;
