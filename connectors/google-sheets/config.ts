import { z } from 'zod';

/** The endpoint Google's client libraries use for the JWT-bearer grant; real keys name it as `token_uri`. */
export const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';
export const SHEETS_ROOT_URL = 'https://sheets.googleapis.com/';

const httpUrl = z.url({ protocol: /^https?$/, message: 'must be an http:// or https:// URL' }).max(2048);

/**
 * A service-account key exactly as Google downloads it. Unknown keys are dropped rather than
 * refused, so a field Google adds later does not make existing keys invalid.
 */
export const ServiceAccountKeySchema = z.object({
  type: z.literal('service_account', { message: 'must be a service account key ("type": "service_account"), not an OAuth client or user key' }),
  client_email: z.email({ message: 'must be the service account e-mail (client_email)' }).max(320),
  private_key: z
    .string()
    // Keys pasted through an environment variable or a form often arrive with literal "\n".
    .transform((k) => k.replace(/\\n/g, '\n').trim())
    .pipe(
      z
        .string()
        .max(8192)
        .regex(
          /^-----BEGIN (RSA )?PRIVATE KEY-----\s+[A-Za-z0-9+/=\s]+-----END (RSA )?PRIVATE KEY-----$/,
          'must be the PEM private key from the service account JSON file',
        ),
    ),
  private_key_id: z.string().max(200).optional(),
  project_id: z.string().max(200).optional(),
  client_id: z.string().max(200).optional(),
  auth_uri: httpUrl.optional(),
  token_uri: httpUrl.optional(),
  auth_provider_x509_cert_url: httpUrl.optional(),
  client_x509_cert_url: httpUrl.optional(),
  universe_domain: z.string().max(200).optional(),
});

/**
 * A Google account's consent ("Sign in with Google"): the refresh token Google gave the hub. The
 * OAuth client it was given to is the operator's (DeliveryContext.googleOAuth), so it is not here.
 */
export const GoogleOAuthGrantSchema = z.object({
  refresh_token: z.string().min(1).max(2048),
  /** The account signed in with: whom a spreadsheet must be shared with, said in errors. */
  email: z.string().min(1).max(320),
  scope: z.string().max(2000).optional(),
});

/** The key may be pasted as the file's JSON text; it is stored as the parsed object. */
export const ServiceAccountKeyInput = z.preprocess((value, ctx) => {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value);
  } catch {
    ctx.addIssue({ code: 'custom', message: 'must be the service account JSON key (the file Google downloads), as an object or its JSON text' });
    return z.NEVER;
  }
}, ServiceAccountKeySchema);

/**
 * A workspace credential (Settings) the secret comes from, `default` for the newest of its kind.
 * The server expands it into the connector's secret field on save and keeps the resolved id, so
 * replacing the credential updates every destination using it. Shared with crm-relay.
 */
export const CredentialRef = z.string().regex(/^(default|cred_[0-9a-z]{26})$/, 'must be a credential id (cred_…) or "default"');

/** People paste the address bar; the ID is the part after /spreadsheets/d/. */
const spreadsheetId = z.preprocess(
  (value) => (typeof value === 'string' ? (/\/spreadsheets\/d\/([A-Za-z0-9_-]+)/.exec(value)?.[1] ?? value.trim()) : value),
  z.string().regex(/^[A-Za-z0-9_-]{10,200}$/, "must be a spreadsheet ID or the spreadsheet's URL"),
);

const columns = z
  .array(z.string().trim().min(1, 'a column needs a name').max(200))
  .min(1, 'at least one column')
  .max(100, 'at most 100 columns')
  .superRefine((cols, ctx) => {
    const seen = new Set<string>();
    cols.forEach((c, i) => {
      if (seen.has(c)) ctx.addIssue({ code: 'custom', path: [i], message: `duplicate column "${c}"` });
      seen.add(c);
    });
  });

export const GoogleSheetsConfigSchema = z
  .object({
    /** Either a service account's key… */
    credentials: ServiceAccountKeyInput.optional(),
    /** …or a Google account signed in with (filled from a google-oauth credential, never typed). */
    oauth: GoogleOAuthGrantSchema.optional(),
    credential_id: CredentialRef.optional(),
    spreadsheetId,
    // Tab names are free text in Sheets; control characters would break the A1 range.
    sheetName: z
      .string()
      .trim()
      .min(1)
      .max(100)
      .regex(/^[^\x00-\x1f]*$/, 'must not contain control characters')
      .default('Sheet1'),
    /** Payload fields, in sheet order; each is also the header cell's text. Dotted paths reach nested fields. */
    columns,
    /**
     * How long a checked header row is trusted before it is read again. 0 reads it before every
     * row (exact, but two Sheets calls per event and the per-minute read quota); the default
     * accepts that a column renamed in the last 30 s can still receive a row.
     */
    header_check_seconds: z.number().int().min(0).max(3600).default(30),
    /** Replaces https://sheets.googleapis.com/ (a proxy, or a fake in tests). */
    api_root_url: httpUrl
      // The Google client keeps only the origin of its root URL, so a path would be silently lost.
      .refine((u) => new URL(u).pathname === '/' && !new URL(u).search, 'must be an origin such as https://sheets.googleapis.com/, without a path')
      .transform((u) => `${new URL(u).origin}/`)
      .optional(),
  })
  .strict()
  // `when`: say that the key is missing even when another field (the columns) is wrong too, so one answer lists every fix.
  .refine((c) => c.credentials !== undefined || c.oauth !== undefined, {
    path: ['credentials'],
    message: 'is required: a service account JSON key, or a Google account signed in with (credential_id)',
    when: (p) => !p.issues.some((i) => i.path?.[0] === 'credentials' || i.path?.[0] === 'oauth'),
  })
  .refine((c) => !(c.credentials && c.oauth), { path: ['oauth'], message: 'give a service account key or a Google sign-in, not both' });

export type GoogleSheetsConfig = z.output<typeof GoogleSheetsConfigSchema>;
export type ServiceAccountKey = z.output<typeof ServiceAccountKeySchema>;
export type GoogleOAuthGrant = z.output<typeof GoogleOAuthGrantSchema>;
