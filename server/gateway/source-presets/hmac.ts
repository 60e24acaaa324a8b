import { hmac, safeEqual } from '../../core/crypto.ts';

/** What a verification reads of a request. */
export type VerifyInput = { headers: Record<string, string>; rawBody: Buffer };

export type HmacCheck = {
  algorithm: 'sha1' | 'sha256' | 'sha512';
  header_key: string;
  encoding: 'hex' | 'base64';
  prefix?: string;
  webhook_secret_key: string;
};

/** A signature header holding `<prefix><digest>` of the raw body: the generic `hmac` auth, GitHub and Shopify. */
export function verifyHmac(check: HmacCheck, req: VerifyInput): string | null {
  const given = req.headers[check.header_key];
  if (!given) return `missing signature header ${check.header_key}`;
  const digest = hmac(check.algorithm, check.webhook_secret_key, req.rawBody).toString(check.encoding);
  return safeEqual(given.trim(), `${check.prefix ?? ''}${digest}`) ? null : `HMAC signature in ${check.header_key} does not match`;
}
