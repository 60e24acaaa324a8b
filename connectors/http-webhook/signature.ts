import { z } from 'zod';

/**
 * Which headers carry a webhook's signature and event type, so that a receiver written for another
 * product verifies Wirehub's deliveries unchanged. Zod and data only: the portal draws the choice
 * from `SIGNATURE_PRESETS`, and the connector (index.ts) computes the values.
 *
 * HMACs are computed over the raw body with the secret's bytes as the key (a `whsec_…` secret as
 * the whole string), except Standard Webhooks', whose key is the base64 after `whsec_` and whose
 * signed content is `id.timestamp.body`, as that specification says.
 */

/** `hex`: the HMAC-SHA256 of the body in hex; `sha256=hex`: the same behind `sha256=`; `base64`: in base64; `secret`: the secret itself. */
export const SIGNATURE_FORMATS = ['hex', 'sha256=hex', 'base64', 'secret'] as const;
export type SignatureFormat = (typeof SIGNATURE_FORMATS)[number];

export type SignaturePreset = {
  label: string;
  /** The header that carries the signature, as its documentation spells it; null: the preset has its own scheme (Standard Webhooks) or none (Fluid CRM). */
  header: string | null;
  format: SignatureFormat | null;
  /** The header that carries the event type, when the convention has one. */
  eventHeader: string | null;
  /** The convention in a sentence, for the portal and the README. */
  says: string;
};

export const SIGNATURE_PRESETS = {
  // Today's signing, and so the default: nothing made before presets existed changes.
  'standard-webhooks': {
    label: 'Standard Webhooks',
    header: null,
    format: null,
    eventHeader: null,
    says: 'webhook-id, webhook-timestamp and webhook-signature (v1,<base64 HMAC of id.timestamp.body>), plus X-Wirehub-Signature-256: sha256=<hex>',
  },
  // seeds/000 (FillCue, "Webhook security"): "an X-FillCue-Signature header containing an HMAC-SHA256 signature of the request body".
  fillcue: { label: 'FillCue', header: 'X-FillCue-Signature', format: 'hex', eventHeader: null, says: 'X-FillCue-Signature: <hex HMAC-SHA256 of the body>' },
  // seeds/003 (FlowMaticX, "Setting up a webhook"): "we send X-Webhook-Signature with every POST (HMAC-SHA256 of the body + secret)".
  flowmaticx: {
    label: 'FlowMaticX',
    header: 'X-Webhook-Signature',
    format: 'hex',
    eventHeader: null,
    says: 'X-Webhook-Signature: <hex HMAC-SHA256 of the body>',
  },
  // seeds/004 (FusionChatalyst, "Shared-secret header" and the envelope example): "X-FC-Event: lead.captured", "X-FC-Signature: <your configured webhook secret>".
  fusionchatalyst: {
    label: 'FusionChatalyst',
    header: 'X-FC-Signature',
    format: 'secret',
    eventHeader: 'X-FC-Event',
    says: 'X-FC-Signature: <the secret itself>, X-FC-Event: <the event type>',
  },
  // seeds/001 (Fluid CRM, "Authorization header for webhooks"): "Fluid will include it as `Authorization: YOUR_TOKEN` on every delivery"; no signature.
  'fluid-crm': { label: 'Fluid CRM', header: null, format: null, eventHeader: null, says: 'Authorization: <the token you set>, and no signature header' },
  // GitHub's webhooks: X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body>.
  github: {
    label: 'GitHub-style',
    header: 'X-Hub-Signature-256',
    format: 'sha256=hex',
    eventHeader: null,
    says: 'X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body>',
  },
} as const satisfies Record<string, SignaturePreset>;

export type SignaturePresetName = keyof typeof SIGNATURE_PRESETS;
export const SIGNATURE_PRESET_NAMES = Object.keys(SIGNATURE_PRESETS) as [SignaturePresetName, ...SignaturePresetName[]];
export const DEFAULT_SIGNATURE_PRESET: SignaturePresetName = 'standard-webhooks';

/**
 * Names a receiver may be sent under: an HTTP token, and none the transport frames the request
 * with (hop-by-hop, Host, Content-Length…) or Wirehub sets on every delivery itself (the body's
 * type, the event's id and time, its own event header); the Authorization has its own field.
 */
/** Headers the HTTP transport frames a request with: hop-by-hop, Host, the body's length, type and encoding. */
export const TRANSPORT_HEADERS: readonly string[] = [
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  'content-length',
  'content-type',
  'content-encoding',
];

const NOT_SETTABLE = new Set([
  ...TRANSPORT_HEADERS,
  'http2-settings',
  'expect',
  'cookie',
  'authorization',
  'user-agent',
  'webhook-id',
  'webhook-timestamp',
  'x-wirehub-event',
]);

export const sentHeaderName = z
  .string()
  .min(1, 'give a header name')
  .max(128)
  .regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, "must be an HTTP header name (letters, digits and !#$%&'*+.^_`|~-, no spaces or colons)")
  .refine((n) => !NOT_SETTABLE.has(n.toLowerCase()), { message: 'is a header the HTTP transport or Wirehub sets itself; choose another name' });

/** A preset, or a header and format of one's own; either may add a header carrying the event type. */
export const SignatureSchema = z
  .object({
    preset: z.enum(SIGNATURE_PRESET_NAMES).optional(),
    header: sentHeaderName.optional(),
    format: z.enum(SIGNATURE_FORMATS).optional(),
    event_header: sentHeaderName.nullable().optional(),
  })
  .strict()
  .superRefine((s, ctx) => {
    if (s.preset !== undefined && (s.header !== undefined || s.format !== undefined)) {
      ctx.addIssue({ code: 'custom', path: [s.header !== undefined ? 'header' : 'format'], message: 'give a preset or a header and format, not both' });
    } else if (s.preset === undefined && s.header === undefined) {
      ctx.addIssue({ code: 'custom', path: ['preset'], message: `give a preset (${SIGNATURE_PRESET_NAMES.join(', ')}) or a header and format` });
    } else if (s.header !== undefined && s.format === undefined) {
      ctx.addIssue({ code: 'custom', path: ['format'], message: `give the format (${SIGNATURE_FORMATS.join(', ')})` });
    }
    const sig = s.header ?? (s.preset ? SIGNATURE_PRESETS[s.preset].header : null);
    if (s.event_header && sig && s.event_header.toLowerCase() === sig.toLowerCase()) {
      ctx.addIssue({ code: 'custom', path: ['event_header'], message: 'must differ from the signature header' });
    }
  });
export type Signature = z.output<typeof SignatureSchema>;

/** What a webhook sends, resolved: the scheme, the signature header and format, and the event header. */
export type ResolvedSignature =
  | { scheme: 'standard-webhooks'; eventHeader: string | null }
  | { scheme: 'none'; eventHeader: string | null }
  | { scheme: 'header'; header: string; format: SignatureFormat; eventHeader: string | null };

/** The legacy `signing` modes as signatures: `hmac` is Standard Webhooks, `shared-secret` the secret in X-Wirehub-Signature. */
export const LEGACY_SHARED_SECRET: Signature = { header: 'X-Wirehub-Signature', format: 'secret' };

/** The signature a config sends: its own, or the one its `signing` mode has always meant. */
export function signatureOf(config: { signing?: 'hmac' | 'shared-secret'; signature?: Signature | undefined }): Signature {
  return config.signature ?? (config.signing === 'shared-secret' ? LEGACY_SHARED_SECRET : { preset: DEFAULT_SIGNATURE_PRESET });
}

export function resolveSignature(s: Signature): ResolvedSignature {
  const own = s.event_header ?? null;
  if (s.header !== undefined && s.format !== undefined) return { scheme: 'header', header: s.header, format: s.format, eventHeader: own };
  const p: SignaturePreset = SIGNATURE_PRESETS[s.preset ?? DEFAULT_SIGNATURE_PRESET];
  const eventHeader = own ?? p.eventHeader;
  if (p.header && p.format) return { scheme: 'header', header: p.header, format: p.format, eventHeader };
  return { scheme: s.preset === 'fluid-crm' ? 'none' : 'standard-webhooks', eventHeader };
}

/** Whether the secret itself goes out in a header (so it is a credential that follows the URL, and is masked in logs). */
export const sendsSecret = (s: Signature): boolean => {
  const r = resolveSignature(s);
  return r.scheme === 'header' && r.format === 'secret';
};

/** The coarse `signing` mode a signature amounts to, kept in step with it for readers that know only that. */
export const signingOf = (s: Signature): 'hmac' | 'shared-secret' => (sendsSecret(s) ? 'shared-secret' : 'hmac');

/**
 * A config (as stored, or being made) under a `signing` mode: its signature is kept while it amounts
 * to that mode and dropped otherwise, so that choosing the coarse mode (a flow's webhook step, an
 * older client) means that mode's own headers and never contradicts the signature.
 */
export function withSigning(config: Readonly<Record<string, unknown>>, signing: 'hmac' | 'shared-secret'): Record<string, unknown> {
  const { signature, ...rest } = config;
  const parsed = SignatureSchema.safeParse(signature);
  return parsed.success && signingOf(parsed.data) === signing ? { ...rest, signing, signature: parsed.data } : { ...rest, signing };
}
