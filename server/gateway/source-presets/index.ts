/**
 * Vendor source types (issue 6): a source created with one of these `type`s verifies that
 * vendor's signatures; its `config.auth` needs only the secret (and, where the vendor signs a
 * timestamp, an optional `tolerance_seconds`), the auth `type` being implied. Each preset is this
 * data plus one verification function, dispatched by auth type in source-auth.ts.
 */
export const SOURCE_PRESETS = [
  { sourceType: 'STRIPE', authType: 'stripe', header: 'Stripe-Signature' },
  { sourceType: 'GITHUB', authType: 'github', header: 'X-Hub-Signature-256' },
  { sourceType: 'SHOPIFY', authType: 'shopify', header: 'X-Shopify-Hmac-Sha256' },
  { sourceType: 'STANDARD_WEBHOOKS', authType: 'standard_webhooks', header: 'webhook-signature' },
  // Svix signs by the Standard Webhooks scheme (it wrote it), under svix-* header names too.
  { sourceType: 'SVIX', authType: 'standard_webhooks', header: 'svix-signature' },
] as const;

export type SourcePreset = (typeof SOURCE_PRESETS)[number];
export const presetOf = (sourceType: string | undefined): SourcePreset | undefined => SOURCE_PRESETS.find((p) => p.sourceType === sourceType);
