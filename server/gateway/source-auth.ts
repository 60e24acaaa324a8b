import { z } from 'zod';
import { hmac, safeEqual, type SecretBox } from '../core/crypto.ts';
import type { SourceRow } from '../db/schema.ts';
import { githubAuth, verifyGithub } from './source-presets/github.ts';
import { verifyHmac, type VerifyInput } from './source-presets/hmac.ts';
import { shopifyAuth, verifyShopify } from './source-presets/shopify.ts';
import { stripeAuth, verifyStripe } from './source-presets/stripe.ts';

const secret = z.string().min(1).max(1024);
const headerName = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9-_]+$/, 'must be an HTTP header name')
  .transform((h) => h.toLowerCase());

export const SourceAuthSchema = z.discriminatedUnion('type', [
  z
    .object({
      type: z.literal('hmac'),
      algorithm: z.enum(['sha1', 'sha256', 'sha512']).default('sha256'),
      header_key: headerName,
      encoding: z.enum(['hex', 'base64']).default('hex'),
      prefix: z.string().max(32).optional(),
      webhook_secret_key: secret,
    })
    .strict(),
  z.object({ type: z.literal('basic_auth'), username: z.string().min(1).max(256), password: secret }).strict(),
  z.object({ type: z.literal('api_key'), header_key: headerName, api_key: secret }).strict(),
  z.object({ type: z.literal('standard_webhooks'), webhook_secret_key: secret, tolerance_seconds: z.number().int().min(1).max(86_400).default(300) }).strict(),
  // Vendor presets (source-presets/): the source's type implies these.
  stripeAuth,
  githubAuth,
  shopifyAuth,
]);
export type SourceAuth = z.infer<typeof SourceAuthSchema>;

export type { VerifyInput };

/** A stored source's verification settings (sealed apart from the rest of its config), or null when it has none. */
export function sourceAuthOf(deps: { box: SecretBox }, row: Pick<SourceRow, 'auth_enc'>): SourceAuth | null {
  return row.auth_enc ? deps.box.openJson<SourceAuth>(row.auth_enc) : null;
}

/** Returns null when the request is authentic, otherwise a cause a user can act on. */
export function verifySource(auth: SourceAuth, req: VerifyInput): string | null {
  switch (auth.type) {
    case 'hmac':
      return verifyHmac(auth, req);
    case 'basic_auth': {
      const header = req.headers.authorization ?? '';
      const m = /^Basic\s+(.+)$/i.exec(header);
      if (!m) return 'missing basic authorization';
      const expected = Buffer.from(`${auth.username}:${auth.password}`).toString('base64');
      return safeEqual(m[1].trim(), expected) ? null : 'basic authorization does not match';
    }
    case 'api_key': {
      const given = req.headers[auth.header_key];
      if (!given) return `missing API key header ${auth.header_key}`;
      return safeEqual(given, auth.api_key) ? null : `API key in ${auth.header_key} does not match`;
    }
    case 'standard_webhooks':
      return verifyStandardWebhook(auth.webhook_secret_key, req, auth.tolerance_seconds);
    case 'stripe':
      return verifyStripe(auth, req);
    case 'github':
      return verifyGithub(auth, req);
    case 'shopify':
      return verifyShopify(auth, req);
  }
}

export function standardWebhooksKey(secretValue: string): Buffer {
  return Buffer.from(secretValue.startsWith('whsec_') ? secretValue.slice(6) : secretValue, 'base64');
}

export function standardWebhooksSignature(key: Buffer, id: string, timestamp: number, body: Buffer | string): string {
  return hmac('sha256', key, Buffer.concat([Buffer.from(`${id}.${timestamp}.`), Buffer.isBuffer(body) ? body : Buffer.from(body)])).toString('base64');
}

function verifyStandardWebhook(secretValue: string, req: VerifyInput, toleranceSeconds: number): string | null {
  // Svix sends the same scheme under svix-* names.
  const id = req.headers['webhook-id'] ?? req.headers['svix-id'];
  const ts = req.headers['webhook-timestamp'] ?? req.headers['svix-timestamp'];
  const sigs = req.headers['webhook-signature'] ?? req.headers['svix-signature'];
  if (!id || !ts || !sigs) return 'missing webhook-id, webhook-timestamp or webhook-signature header';
  const timestamp = Number(ts);
  if (!Number.isInteger(timestamp) || Math.abs(Date.now() / 1000 - timestamp) > toleranceSeconds) return 'webhook-timestamp is outside the tolerance window';
  const expected = standardWebhooksSignature(standardWebhooksKey(secretValue), id, timestamp, req.rawBody);
  const ok = sigs.split(' ').some((s) => {
    const [version, sig] = s.split(',');
    return version === 'v1' && sig !== undefined && safeEqual(sig, expected);
  });
  return ok ? null : 'webhook-signature does not match';
}
