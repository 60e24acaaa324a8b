import { z } from 'zod';
import { SignatureSchema } from './signature.ts';

const headerName = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, 'must be an HTTP header name');
const headerValue = z
  .string()
  .max(4096)
  .regex(/^[^\r\n]*$/, 'must not contain line breaks');

export const HttpAuthSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('none') }).strict(),
  z.object({ type: z.literal('bearer'), token: z.string().min(1).max(4096) }).strict(),
  z.object({ type: z.literal('basic'), username: z.string().min(1).max(256), password: z.string().max(1024) }).strict(),
  z.object({ type: z.literal('api_key'), header_key: headerName, api_key: headerValue.min(1) }).strict(),
  // Sent verbatim as `Authorization: <value>` (seed 001: receivers such as Make.com want this).
  z.object({ type: z.literal('custom'), value: headerValue.min(1) }).strict(),
]);

export const HttpConfigSchema = z
  .object({
    url: z.url({ protocol: /^https?$/, message: 'must be an http:// or https:// URL' }).max(2048),
    http_method: z.enum(['POST', 'PUT', 'PATCH', 'GET', 'DELETE']).default('POST'),
    headers: z
      .record(headerName, headerValue)
      .refine((h) => Object.keys(h).length <= 50, 'at most 50 headers')
      .default({}),
    auth: HttpAuthSchema.default({ type: 'none' }),
    timeout_ms: z.number().int().min(100).max(60_000).default(10_000),
    rate_limit: z.number().int().min(1).max(100_000).nullable().optional(),
    rate_limit_period: z.enum(['second', 'minute', 'hour']).default('second'),
    // hmac: Standard Webhooks + GitHub-style signatures; shared-secret: the secret itself in a
    // header, for receivers (no-code tools) that can only compare a header (seed 004).
    signing: z.enum(['hmac', 'shared-secret']).default('hmac'),
    // Which headers carry the signature and the event type (signature.ts): a preset named after a
    // product's convention, or a header and format of one's own. Absent: what `signing` says.
    signature: SignatureSchema.optional(),
    // The destination's own signing secret; without one, the workspace's signing secret is used.
    secret: z
      .string()
      .min(8, 'at least 8 characters')
      .max(256)
      .regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces')
      .optional(),
  })
  .strict();

export type HttpConfig = z.output<typeof HttpConfigSchema>;
