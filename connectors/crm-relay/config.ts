import { z } from 'zod';
import { CredentialRef } from '../google-sheets/config.ts';
import { HttpAuthSchema } from '../http-webhook/config.ts';

const httpUrl = z.url({ protocol: /^https?$/, message: 'must be an http:// or https:// URL' }).max(2048);
// Tokens travel in a header or a query string: anything with spaces or line breaks is a paste error.
export const CrmTokenSchema = z
  .string()
  .trim()
  .min(1)
  .max(4096)
  .regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces');
const timeoutMs = z.number().int().min(100).max(60_000).default(10_000);

/** Our field (from the event's mapped fields) → the vendor's property name. */
const PropertyMap = z
  .record(
    z.string().min(1).max(128),
    z
      .string()
      .min(1)
      .max(128)
      .regex(/^[A-Za-z0-9_.-]+$/, 'must be a property name (letters, digits, _ . -)'),
  )
  .refine((m) => Object.keys(m).length <= 100, 'at most 100 mapped fields');

export const HubspotConfigSchema = z
  .object({
    preset: z.literal('hubspot'),
    /** A private-app access token with crm.objects.contacts.read and .write. */
    token: CrmTokenSchema,
    /** The workspace credential (Settings) the token came from; see CredentialRef. */
    credential_id: CredentialRef.optional(),
    base_url: httpUrl.default('https://api.hubapi.com'),
    /** Added to the defaults (email, phone; name split into firstname/lastname); mapping `name` turns the split off. */
    property_map: PropertyMap.default({}),
    timeout_ms: timeoutMs,
  })
  .strict();

export const PipedriveConfigSchema = z
  .object({
    preset: z.literal('pipedrive'),
    api_token: CrmTokenSchema,
    credential_id: CredentialRef.optional(),
    // A company domain (https://acme.pipedrive.com) works as well as the shared API host.
    base_url: httpUrl.default('https://api.pipedrive.com'),
    /** Extra person fields: our field → Pipedrive field key (custom fields have hash keys). */
    property_map: PropertyMap.default({}),
    timeout_ms: timeoutMs,
  })
  .strict();

export const GenericConfigSchema = z
  .object({
    preset: z.literal('generic'),
    url: httpUrl,
    method: z.enum(['POST', 'PUT', 'PATCH']).default('POST'),
    auth: HttpAuthSchema.default({ type: 'none' }),
    /** Where a replay goes once the first delivery created a record, e.g. https://crm.example/leads/{id}. */
    update_url: z
      .string()
      .max(2048)
      .refine((u) => u.includes('{id}'), 'must contain {id}, where the record id goes')
      .refine((u) => httpUrl.safeParse(u.replaceAll('{id}', '0')).success, 'must be an http:// or https:// URL')
      .optional(),
    update_method: z.enum(['PUT', 'PATCH', 'POST']).default('PATCH'),
    /** Dot path to the record id in the response JSON (`id`, `data.id`). */
    id_field: z
      .string()
      .min(1)
      .max(256)
      .regex(/^[^.]+(\.[^.]+)*$/, 'a dot path such as id or data.id')
      .default('id'),
    timeout_ms: timeoutMs,
  })
  .strict();

export const CrmRelayConfigSchema = z.discriminatedUnion('preset', [HubspotConfigSchema, PipedriveConfigSchema, GenericConfigSchema]);

export type CrmRelayConfig = z.output<typeof CrmRelayConfigSchema>;
export type HubspotConfig = z.output<typeof HubspotConfigSchema>;
export type PipedriveConfig = z.output<typeof PipedriveConfigSchema>;
export type GenericConfig = z.output<typeof GenericConfigSchema>;
