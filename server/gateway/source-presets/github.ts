import { z } from 'zod';
import { verifyHmac, type VerifyInput } from './hmac.ts';

/**
 * GitHub ("Validating webhook deliveries"): `X-Hub-Signature-256: sha256=<hex>`, the HMAC-SHA256
 * of the raw body keyed with the webhook's secret. GitHub signs no timestamp, so there is no
 * replay window to check (its X-GitHub-Delivery id is stored with the request's headers).
 */
export const githubAuth = z.object({ type: z.literal('github'), webhook_secret_key: z.string().min(1).max(1024) }).strict();

export function verifyGithub(auth: z.output<typeof githubAuth>, req: VerifyInput): string | null {
  return verifyHmac(
    { algorithm: 'sha256', header_key: 'x-hub-signature-256', encoding: 'hex', prefix: 'sha256=', webhook_secret_key: auth.webhook_secret_key },
    req,
  );
}
