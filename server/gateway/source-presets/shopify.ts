import { z } from 'zod';
import { verifyHmac, type VerifyInput } from './hmac.ts';

/**
 * Shopify ("Verify webhooks"): `X-Shopify-Hmac-Sha256: <base64>`, the HMAC-SHA256 of the raw body
 * keyed with the app's client secret. Like GitHub, no timestamp is signed.
 */
export const shopifyAuth = z.object({ type: z.literal('shopify'), webhook_secret_key: z.string().min(1).max(1024) }).strict();

export function verifyShopify(auth: z.output<typeof shopifyAuth>, req: VerifyInput): string | null {
  return verifyHmac({ algorithm: 'sha256', header_key: 'x-shopify-hmac-sha256', encoding: 'base64', webhook_secret_key: auth.webhook_secret_key }, req);
}
