import { isIP } from 'node:net';
import { z } from 'zod';
import { parseHostEntry } from '../connectors/shared/guarded-http.ts';

const bool = z.enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'must be true or false' }).transform((v) => v === 'true' || v === '1' || v === 'yes');

const envSchema = z.object({
  PORT: z.coerce.number({ message: 'must be a port number' }).int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  PUBLIC_URL: z.url({ message: 'must be an absolute URL such as https://hooks.example.com' }).optional(),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// connection string')
    .optional(),
  WIREHUB_DATA_DIR: z.string().min(1).default('./data'),
  WIREHUB_ROLE: z.enum(['all', 'api', 'worker']).default('all'),
  WIREHUB_SECRET_KEY: z
    .string()
    .refine((v) => decodeKey(v) !== null, 'must be 32 bytes, as 64 hex characters or base64')
    .optional(),
  WIREHUB_ALLOW_PRIVATE_DESTINATIONS: bool.default(false),
  /** host:port pairs on a private network that deliveries may reach anyway (an internal CRM), comma-separated. */
  WIREHUB_ALLOWED_PRIVATE_HOSTS: z
    .string()
    .transform((v, ctx) => {
      const entries = v.split(/[\s,]+/).filter((e) => e !== '');
      const keys = entries.map(parseHostEntry);
      const bad = entries.filter((_, i) => keys[i] === null);
      if (bad.length) ctx.addIssue({ code: 'custom', message: `must be host:port pairs such as crm.internal:443,10.0.0.5:8080 (not ${bad.join(', ')})` });
      return keys.filter((k): k is string => k !== null);
    })
    .optional(),
  /**
   * Which proxies' X-Forwarded-For to believe, so per-address limits count clients and not the proxy:
   * `true` (any), a hop count, or addresses and subnets (`loopback`, `10.0.0.0/8`), comma-separated.
   */
  WIREHUB_TRUST_PROXY: z
    .string()
    .transform((v, ctx): TrustProxy => {
      const s = v.trim().toLowerCase();
      if (['true', 'yes'].includes(s)) return true;
      if (['false', 'no'].includes(s)) return false;
      if (/^\d+$/.test(s)) return Number(s);
      const entries = s.split(/[\s,]+/).filter((e) => e !== '');
      const bad = entries.filter((e) => !isProxyAddress(e));
      if (bad.length || entries.length === 0)
        ctx.addIssue({
          code: 'custom',
          message: `must be true, false, a hop count or addresses/subnets such as loopback,10.0.0.0/8 (not ${bad.join(', ') || v})`,
        });
      return entries;
    })
    .optional(),
  WIREHUB_DEMO: bool.optional(),
  WIREHUB_MAX_BODY_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(64 * 1024 * 1024)
    .default(1024 * 1024),
  WIREHUB_API_RATE_LIMIT: z.coerce.number().int().min(1).default(1200),
  // Seed 000's larger plan allows ten webhooks per workspace.
  WIREHUB_MAX_WEBHOOKS: z.coerce.number().int().min(0).max(100_000).default(10),
  /** The bearer token of the operator API (/api/v1/operator/…: teams' quotas); unset, that API is off. */
  WIREHUB_OPERATOR_TOKEN: z.string().min(24, 'must be at least 24 characters (e.g. openssl rand -hex 32)').optional(),
  WIREHUB_DELIVERY_LANES: z.coerce.number().int().min(1).max(64).default(4),
  WIREHUB_DELIVERY_CONCURRENCY: z.coerce.number().int().min(1).max(1000).default(64),
  // A destination's default share of a lane's delivery slots (a destination may set its own).
  WIREHUB_DESTINATION_CONCURRENCY: z.coerce.number().int().min(1).max(1000).default(16),
  // A team's share of a lane's slots; unset, three quarters of the lane.
  WIREHUB_TEAM_CONCURRENCY: z.coerce.number().int().min(1).max(1000).optional(),
  WIREHUB_CIRCUIT_OPEN_AFTER: z.coerce.number().int().min(1).max(1000).default(5),
  WIREHUB_AUTO_DISABLE_AFTER: z.coerce.number().int().min(1).max(1_000_000).default(10),
  WIREHUB_SESSION_TTL_HOURS: z.coerce
    .number()
    .int()
    .min(1)
    .default(24 * 14),
  WIREHUB_DB_POOL_SIZE: z.coerce.number().int().min(2).max(200).default(10),
  /**
   * Ingest and publish answer 503 + Retry-After, storing nothing, while a request arriving now would
   * wait longer than this for its commit (estimated from the queue and recent commit times); 0 never refuses.
   */
  WIREHUB_INGEST_MAX_WAIT_MS: z.coerce.number().int().min(0).max(60_000).default(1000),
  /**
   * The same answer while this process's event loop runs later than this: requests then wait
   * before any check can see them (in the sockets, behind other requests' work), and refusing is
   * what makes the loop catch up. 0 never refuses on lag.
   */
  WIREHUB_INGEST_MAX_LAG_MS: z.coerce.number().int().min(0).max(60_000).default(150),
  /**
   * The same answer to requests beyond what this process takes in while its event loop runs busier
   * than this share of the time (%), cut and grown back every 100 ms (server/ingest/admission-limit.ts):
   * a loop with room to spare reads every socket promptly. 0 never limits.
   */
  WIREHUB_INGEST_MAX_LOOP_BUSY_PERCENT: z.coerce.number().int().min(0).max(100).default(0),
  /**
   * The same answer while the JavaScript heap is fuller than this share of its limit: a flood of
   * requests then waits in the sockets instead of in memory, so a small heap (npm start caps it)
   * is not run out of. 0 never refuses on memory.
   */
  WIREHUB_INGEST_MAX_HEAP_PERCENT: z.coerce.number().int().min(0).max(100).default(85),
  /** Lets tests run many isolated apps in one database; not for production use. */
  WIREHUB_DB_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lower-case SQL identifier')
    .optional(),
  /**
   * Where destinations made from the portal reach Google Sheets, HubSpot and Pipedrive: a proxy, a
   * regional host, or a local vendor stand-in in tests. Unset means the vendors' public APIs.
   */
  WIREHUB_GOOGLE_SHEETS_URL: z.url({ message: 'must be an origin such as https://sheets.googleapis.com/' }).optional(),
  WIREHUB_HUBSPOT_URL: z.url({ message: 'must be a URL such as https://api.hubapi.com' }).optional(),
  WIREHUB_PIPEDRIVE_URL: z.url({ message: 'must be a URL such as https://api.pipedrive.com' }).optional(),
  /** An OpenAI-compatible API (…/v1) that writes chat replies from the retrieved entries; unset → retrieval alone answers. */
  WIREHUB_LLM_BASE_URL: z.url({ message: 'must be a URL such as https://api.openai.com/v1' }).optional(),
  WIREHUB_LLM_API_KEY: z.string().min(1).optional(),
  WIREHUB_LLM_MODEL: z.string().min(1).default('gpt-4o-mini'),
  /** A conversation without messages for this long has ended (conversation.ended). */
  WIREHUB_CHAT_INACTIVITY_MINUTES: z.coerce
    .number()
    .positive()
    .max(7 * 24 * 60)
    .default(30),
  /** The OAuth client id of the portal's "Sign in with Google"; unset turns Google sign-in off. */
  GOOGLE_CLIENT_ID: z.string().trim().min(1).optional(),
  /**
   * Mail for sign-up verification and password reset (smtp://user:pass@host:587, smtps://… for TLS
   * from the first byte). Unset: addresses of password accounts stay unverified and reset by mail is off.
   */
  SMTP_URL: z
    .url({ message: 'must be a URL such as smtp://user:password@mail.example.com:587' })
    .regex(/^smtps?:\/\//, 'must start with smtp:// or smtps://')
    .optional(),
  /** The From of those mails; defaults to no-reply at PUBLIC_URL's host. */
  SMTP_FROM: z.string().trim().min(3).max(320).optional(),
  /**
   * The OAuth client ("Web application") of "Sign in with Google" for Google Sheets; both unset turns it off.
   * Its authorized redirect URI is PUBLIC_URL + /api/v1/google/oauth/callback.
   */
  GOOGLE_OAUTH_CLIENT_ID: z.string().trim().min(1).optional(),
  GOOGLE_OAUTH_CLIENT_SECRET: z.string().trim().min(1).optional(),
  /** Google's consent page, token and revocation endpoints, and the Drive API: a proxy, or a local stand-in in tests. */
  WIREHUB_GOOGLE_AUTH_URL: z
    .url({ message: 'must be a URL such as https://accounts.google.com/o/oauth2/v2/auth' })
    .default('https://accounts.google.com/o/oauth2/v2/auth'),
  WIREHUB_GOOGLE_TOKEN_URL: z.url({ message: 'must be a URL such as https://oauth2.googleapis.com/token' }).default('https://oauth2.googleapis.com/token'),
  WIREHUB_GOOGLE_REVOKE_URL: z.url({ message: 'must be a URL such as https://oauth2.googleapis.com/revoke' }).default('https://oauth2.googleapis.com/revoke'),
  WIREHUB_GOOGLE_DRIVE_URL: z.url({ message: 'must be an origin such as https://www.googleapis.com/' }).optional(),
  /** Where Google's ID-token signing keys are read: a PEM map (oauth2/v1/certs) or a JWKS (oauth2/v3/certs). */
  WIREHUB_GOOGLE_CERTS_URL: z
    .url({ message: 'must be a URL such as https://www.googleapis.com/oauth2/v1/certs' })
    .default('https://www.googleapis.com/oauth2/v1/certs'),
  /** A transformation's run is stopped after this long, and its memory capped (issue 6: "e.g. 1 s, 64 MiB"). */
  WIREHUB_TRANSFORMATION_TIMEOUT_MS: z.coerce.number().int().min(10).max(30_000).default(1000),
  WIREHUB_TRANSFORMATION_MEMORY_MIB: z.coerce.number().int().min(8).max(1024).default(64),
  /** Transformation executions (their logs, input and output) are kept this long, at most 1,000 per transformation. */
  WIREHUB_TRANSFORMATION_EXECUTIONS_DAYS: z.coerce.number().positive().max(365).default(7),
  /** Days the log (requests with their bodies, events, attempts, ignored events) is kept; a team may keep it fewer. */
  WIREHUB_RETENTION_DAYS: z.coerce
    .number({ message: 'must be a whole number of days' })
    .int('must be a whole number of days')
    .min(1, 'must be at least 1 day')
    .max(365, 'must be at most 365 days')
    .default(30),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** A bearer token GET /metrics asks for; unset, it answers this machine only. */
  WIREHUB_METRICS_TOKEN: z.string().trim().min(16, 'must be at least 16 characters (e.g. openssl rand -hex 32)').optional(),
  /** On SIGTERM, deliveries in flight get this long to end and be recorded before the process exits anyway. */
  WIREHUB_SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(1000).max(600_000).default(30_000),
  /**
   * OpenTelemetry's own variables: either endpoint turns tracing on (the base gets /v1/traces, the
   * traces one is used as it is). Only OTLP over HTTP as JSON is sent, so another protocol is a
   * mistake to name at start-up rather than an exporter failing quietly for ever.
   */
  OTEL_EXPORTER_OTLP_ENDPOINT: z.url({ message: 'must be a URL such as http://otel-collector:4318' }).optional(),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: z.url({ message: 'must be a URL such as http://otel-collector:4318/v1/traces' }).optional(),
  OTEL_EXPORTER_OTLP_PROTOCOL: z.string().trim().optional(),
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: z.string().trim().optional(),
  OTEL_SERVICE_NAME: z.string().trim().min(1).max(200).default('wirehub'),
  /** The batch span processor's delay between exports (ms), as OpenTelemetry names it. */
  OTEL_BSP_SCHEDULE_DELAY: z.coerce.number().int().min(1).max(600_000).default(5_000),
  NODE_ENV: z.string().optional(),
});

/** Express's `trust proxy`: false (the default: X-Forwarded-For is ignored), true, a hop count, or addresses/subnets. */
export type TrustProxy = boolean | number | string[];

const PROXY_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);
function isProxyAddress(entry: string): boolean {
  if (PROXY_NAMES.has(entry)) return true;
  const [ip, bits, ...rest] = entry.split('/');
  const family = isIP(ip);
  if (!family || rest.length) return false;
  return bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128));
}

export type Config = {
  port: number;
  host: string;
  publicUrl: string;
  databaseUrl?: string;
  dataDir: string;
  role: 'all' | 'api' | 'worker';
  secretKey?: Buffer;
  allowPrivateDestinations: boolean;
  /** Private `host:port` keys deliveries may reach although allowPrivateDestinations is off (see guarded-http.ts). */
  allowedPrivateHosts: string[];
  trustProxy: TrustProxy;
  demoEnabled: boolean;
  maxBodyBytes: number;
  apiRateLimitPerMinute: number;
  deliveryLanes: number;
  deliveryConcurrency: number;
  /** In-flight deliveries one destination may hold in its lane unless it sets its own max_concurrency. */
  destinationConcurrency: number;
  /** In-flight deliveries one team may hold in a lane, so another team always finds free slots. */
  teamConcurrency: number;
  /** Consecutive timeouts or connection failures that open a destination's circuit. */
  circuitOpenAfter: number;
  sessionTtlMs: number;
  dbPoolSize: number;
  /** Past this expected wait for a commit (ms), ingest and publish refuse new requests with 503; 0: never. */
  ingestMaxWaitMs: number;
  ingestMaxLagMs: number;
  ingestMaxLoopBusyPercent: number;
  ingestMaxHeapPercent: number;
  dbSchema?: string;
  logLevel: z.infer<typeof envSchema>['LOG_LEVEL'];
  /** Default retry schedule when a connection has no retry rule, in ms after each failed attempt. */
  retrySchedule: number[];
  autoDisableAfter: number;
  /** hub.delivery.failed's bounds (server/publish/delivery-alerts.ts); not settable by environment, tests shorten them. */
  deliveryAlerts: DeliveryAlertBounds;
  maxWebhooks: number;
  /** WIREHUB_OPERATOR_TOKEN; null: the operator API answers 404. */
  operatorToken: string | null;
  /** How often an API process re-reads the teams' event quotas and counts (operator/event-quota.ts); tests shorten it. */
  quotaRefreshMs: number;
  /** Base URLs for destinations the portal creates (flows); absent keys use the connectors' defaults. */
  vendorUrls: { googleSheets?: string; googleDrive?: string; hubspot?: string; pipedrive?: string };
  /** Chat replies written by an OpenAI-compatible model; null when not configured (both URL and key). */
  llm: { baseUrl: string; apiKey: string; model: string } | null;
  chatInactivityMs: number;
  transformationTimeoutMs: number;
  transformationMemoryMiB: number;
  transformationExecutionsDays: number;
  /** Days the log is kept (WIREHUB_RETENTION_DAYS); a team's retention_days may only shorten it (log-retention.ts). */
  retentionDays: number;
  /** "Sign in with Google" for Google Sheets (an OAuth web client); null when its id and secret are not set. */
  googleOAuth: GoogleOAuthConfig | null;
  /** Google sign-in; null when GOOGLE_CLIENT_ID is not set. */
  google: { clientId: string; certsUrl: string } | null;
  /** Outgoing mail (verification, password reset); null when SMTP_URL is not set. */
  smtp: { url: string; from: string } | null;
  /** The bearer token of GET /metrics; null: it answers loopback callers only. */
  metricsToken: string | null;
  /** How long a SIGTERM'd process waits for its deliveries and requests in flight (server/main.ts). */
  shutdownTimeoutMs: number;
  /** OpenTelemetry traces (server/core/tracing.ts); null when no OTLP endpoint is set, and then no SDK is loaded. */
  tracing: TracingConfig | null;
  /** How often a worker looks for operator alerts to mail (server/jobs/alert-mail.job.ts); not settable by environment, tests shorten it. */
  alertMailEveryMs: number;
};

export type TracingConfig = {
  /** Where spans are POSTed: OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, else OTEL_EXPORTER_OTLP_ENDPOINT + /v1/traces. */
  url: string;
  serviceName: string;
  exportDelayMs: number;
};

export type GoogleOAuthConfig = { clientId: string; clientSecret: string; authUrl: string; tokenUrl: string; revokeUrl: string };

export type DeliveryAlertBounds = {
  /** At most one alert per destination in this long; the failures in between are counted into the next. */
  windowMs: number;
  /** The first failure's alert waits this long, so a burst that fails together is one alert. */
  gatherMs: number;
  /** At most this many alerts per team in a window; beyond them, alerts wait for room (still counting). */
  perTeam: number;
};
export const DEFAULT_DELIVERY_ALERTS: DeliveryAlertBounds = { windowMs: 60_000, gatherMs: 5_000, perTeam: 20 };

export const DEFAULT_RETRY_SCHEDULE = [0, 5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000];

export function decodeKey(value: string): Buffer | null {
  if (/^[0-9a-fA-F]{64}$/.test(value)) return Buffer.from(value, 'hex');
  const b = Buffer.from(value, 'base64');
  return b.length === 32 ? b : null;
}

export class ConfigError extends Error {}

// HOST may be an address such as "::" that makes no valid URL when PUBLIC_URL is unset.
function hostOf(url: string): string {
  try {
    return new URL(url).hostname || 'localhost';
  } catch {
    return 'localhost';
  }
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<Config> = {}): Config {
  // Empty strings are how shells usually "unset" a variable; treat them as absent.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(cleaned);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  const production = e.NODE_ENV === 'production';
  const lanes = e.WIREHUB_DELIVERY_LANES;
  // Mailed links lead to PUBLIC_URL; the listening address (127.0.0.1 by default) reaches nobody's mailbox.
  if (e.SMTP_URL && !e.PUBLIC_URL)
    throw new ConfigError('Invalid configuration:\n  SMTP_URL: needs PUBLIC_URL, the address the mailed links lead to (e.g. https://hooks.example.com)');
  // One without the other is a half-configured client: Google would refuse every code exchange.
  if (!e.GOOGLE_OAUTH_CLIENT_ID !== !e.GOOGLE_OAUTH_CLIENT_SECRET) {
    throw new ConfigError(
      `Invalid configuration:\n  ${e.GOOGLE_OAUTH_CLIENT_ID ? 'GOOGLE_OAUTH_CLIENT_SECRET' : 'GOOGLE_OAUTH_CLIENT_ID'}: set both GOOGLE_OAUTH_CLIENT_ID and GOOGLE_OAUTH_CLIENT_SECRET (the OAuth client of "Sign in with Google" for Google Sheets), or neither`,
    );
  }
  const publicUrl = (e.PUBLIC_URL ?? `http://${e.HOST}:${e.PORT}`).replace(/\/+$/, '');
  const tracesUrl =
    e.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? (e.OTEL_EXPORTER_OTLP_ENDPOINT ? `${e.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, '')}/v1/traces` : null);
  // Only a process that exports traces minds the protocol: a variable set for other services on the host stops nothing else.
  const protocolVar = e.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ? 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL' : 'OTEL_EXPORTER_OTLP_PROTOCOL';
  const protocol = e.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? e.OTEL_EXPORTER_OTLP_PROTOCOL;
  if (tracesUrl && protocol && protocol !== 'http/json') {
    throw new ConfigError(
      `Invalid configuration:\n  ${protocolVar}: Wirehub exports traces as OTLP over HTTP with JSON: set http/json (or leave it unset) and point the endpoint at the collector's HTTP port (4318), not ${JSON.stringify(protocol)}`,
    );
  }
  return {
    port: e.PORT,
    host: e.HOST,
    publicUrl,
    databaseUrl: e.DATABASE_URL,
    dataDir: e.WIREHUB_DATA_DIR,
    role: e.WIREHUB_ROLE,
    secretKey: e.WIREHUB_SECRET_KEY ? (decodeKey(e.WIREHUB_SECRET_KEY) ?? undefined) : undefined,
    allowPrivateDestinations: e.WIREHUB_ALLOW_PRIVATE_DESTINATIONS,
    allowedPrivateHosts: e.WIREHUB_ALLOWED_PRIVATE_HOSTS ?? [],
    trustProxy: e.WIREHUB_TRUST_PROXY ?? false,
    demoEnabled: e.WIREHUB_DEMO ?? !production,
    maxBodyBytes: e.WIREHUB_MAX_BODY_BYTES,
    apiRateLimitPerMinute: e.WIREHUB_API_RATE_LIMIT,
    deliveryLanes: lanes,
    deliveryConcurrency: e.WIREHUB_DELIVERY_CONCURRENCY,
    destinationConcurrency: e.WIREHUB_DESTINATION_CONCURRENCY,
    teamConcurrency: e.WIREHUB_TEAM_CONCURRENCY ?? Math.max(1, e.WIREHUB_DELIVERY_CONCURRENCY - Math.floor(e.WIREHUB_DELIVERY_CONCURRENCY / 4)),
    circuitOpenAfter: e.WIREHUB_CIRCUIT_OPEN_AFTER,
    sessionTtlMs: e.WIREHUB_SESSION_TTL_HOURS * 3_600_000,
    dbPoolSize: e.WIREHUB_DB_POOL_SIZE,
    ingestMaxWaitMs: e.WIREHUB_INGEST_MAX_WAIT_MS,
    ingestMaxLagMs: e.WIREHUB_INGEST_MAX_LAG_MS,
    ingestMaxLoopBusyPercent: e.WIREHUB_INGEST_MAX_LOOP_BUSY_PERCENT,
    ingestMaxHeapPercent: e.WIREHUB_INGEST_MAX_HEAP_PERCENT,
    dbSchema: e.WIREHUB_DB_SCHEMA,
    logLevel: e.LOG_LEVEL,
    retrySchedule: DEFAULT_RETRY_SCHEDULE,
    autoDisableAfter: e.WIREHUB_AUTO_DISABLE_AFTER,
    deliveryAlerts: DEFAULT_DELIVERY_ALERTS,
    maxWebhooks: e.WIREHUB_MAX_WEBHOOKS,
    operatorToken: e.WIREHUB_OPERATOR_TOKEN ?? null,
    quotaRefreshMs: 5_000,
    vendorUrls: {
      googleSheets: e.WIREHUB_GOOGLE_SHEETS_URL,
      googleDrive: e.WIREHUB_GOOGLE_DRIVE_URL,
      hubspot: e.WIREHUB_HUBSPOT_URL,
      pipedrive: e.WIREHUB_PIPEDRIVE_URL,
    },
    llm:
      e.WIREHUB_LLM_BASE_URL && e.WIREHUB_LLM_API_KEY
        ? { baseUrl: e.WIREHUB_LLM_BASE_URL.replace(/\/+$/, ''), apiKey: e.WIREHUB_LLM_API_KEY, model: e.WIREHUB_LLM_MODEL }
        : null,
    chatInactivityMs: e.WIREHUB_CHAT_INACTIVITY_MINUTES * 60_000,
    transformationTimeoutMs: e.WIREHUB_TRANSFORMATION_TIMEOUT_MS,
    transformationMemoryMiB: e.WIREHUB_TRANSFORMATION_MEMORY_MIB,
    transformationExecutionsDays: e.WIREHUB_TRANSFORMATION_EXECUTIONS_DAYS,
    retentionDays: e.WIREHUB_RETENTION_DAYS,
    googleOAuth:
      e.GOOGLE_OAUTH_CLIENT_ID && e.GOOGLE_OAUTH_CLIENT_SECRET
        ? {
            clientId: e.GOOGLE_OAUTH_CLIENT_ID,
            clientSecret: e.GOOGLE_OAUTH_CLIENT_SECRET,
            authUrl: e.WIREHUB_GOOGLE_AUTH_URL,
            tokenUrl: e.WIREHUB_GOOGLE_TOKEN_URL,
            revokeUrl: e.WIREHUB_GOOGLE_REVOKE_URL,
          }
        : null,
    google: e.GOOGLE_CLIENT_ID ? { clientId: e.GOOGLE_CLIENT_ID, certsUrl: e.WIREHUB_GOOGLE_CERTS_URL } : null,
    smtp: e.SMTP_URL ? { url: e.SMTP_URL, from: e.SMTP_FROM ?? `Wirehub <no-reply@${hostOf(publicUrl)}>` } : null,
    metricsToken: e.WIREHUB_METRICS_TOKEN ?? null,
    shutdownTimeoutMs: e.WIREHUB_SHUTDOWN_TIMEOUT_MS,
    tracing: tracesUrl ? { url: tracesUrl, serviceName: e.OTEL_SERVICE_NAME, exportDelayMs: e.OTEL_BSP_SCHEDULE_DELAY } : null,
    alertMailEveryMs: 15_000,
    ...overrides,
  };
}
