import { z } from 'zod';
import { hmac, safeEqual } from '../../core/crypto.ts';
import type { VerifyInput } from './hmac.ts';

/**
 * Stripe ("Verify signatures manually"): `Stripe-Signature: t=<unix>,v1=<hex>[,v1=…]`, each v1
 * the hex HMAC-SHA256 of `<t>.<raw body>` keyed with the endpoint's `whsec_…` secret as text.
 * A timestamp outside the tolerance is a replay and refused, whatever the signature.
 */
export const stripeAuth = z
  .object({
    type: z.literal('stripe'),
    webhook_secret_key: z.string().min(1).max(1024),
    tolerance_seconds: z.number().int().min(1).max(86_400).default(300),
  })
  .strict();

export function verifyStripe(auth: z.output<typeof stripeAuth>, req: VerifyInput): string | null {
  const header = req.headers['stripe-signature'];
  if (!header) return 'missing Stripe-Signature header';
  const pairs = header.split(',').map((p) => p.trim().split('='));
  const t = pairs.find(([k]) => k === 't')?.[1];
  const signatures = pairs.filter(([k, v]) => k === 'v1' && v).map(([, v]) => v);
  if (!t || !/^\d+$/.test(t) || signatures.length === 0) return 'Stripe-Signature has no t=… and v1=…';
  if (Math.abs(Date.now() / 1000 - Number(t)) > auth.tolerance_seconds) return 'Stripe-Signature timestamp is outside the tolerance window';
  const expected = hmac('sha256', auth.webhook_secret_key, Buffer.concat([Buffer.from(`${t}.`), req.rawBody])).toString('hex');
  return signatures.some((s) => safeEqual(s, expected)) ? null : 'Stripe-Signature does not match';
}
