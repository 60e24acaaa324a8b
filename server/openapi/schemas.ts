import { z } from 'zod';
import { SignatureSchema } from '../../connectors/http-webhook/signature.ts';
import type { apiKeysService } from '../auth/api-keys.service.ts';
import { SCOPES } from '../auth/scopes.ts';
import type { bulkOperationOut } from '../gateway/bulk-operations.service.ts';
import type { ConnectionOut } from '../gateway/connections.service.ts';
import type { DestinationOut } from '../gateway/destinations.service.ts';
import type { EventsLogService } from '../gateway/events-log.service.ts';
import type { RequestsLogService } from '../gateway/requests-log.service.ts';
import { SourceAuthSchema } from '../gateway/source-auth.ts';
import type { SourceOut } from '../gateway/sources.service.ts';
import type { EventTypeOut } from '../publish/event-types.service.ts';
import { MappingEntry } from '../gateway/mappings.ts';
import type { WebhookOut } from '../publish/webhooks.service.ts';
import type { Health } from '../health.routes.ts';
import type { CredentialOut } from '../settings/credentials.service.ts';
import type { projectSecretsView } from '../gateway/project-secrets.service.ts';
import type { MockRequestOut, mockApiService } from '../gateway/mock-api.service.ts';
import type * as auth from '../auth/auth.service.ts';
import type { teamsService } from '../auth/teams.service.ts';
import type { invitesService } from '../auth/invites.service.ts';
import type { usedByService } from '../flows/used-by.service.ts';
import type { ExecutionOut, TransformationOut } from '../transformations/transformations.service.ts';

/**
 * The API's answers as they cross the wire, for the OpenAPI document and its contract test
 * (test/openapi-contract.test.ts). Each is checked against the type its service returns
 * (`Fits` below): a field whose type changes, or one documented as always there that the service
 * no longer returns, fails the type check; the contract test checks real answers against these
 * with every object closed, so a field the service adds fails it until it is documented here.
 */

const time = z.iso.datetime({ offset: true });
const id = (prefix: string) => z.string().startsWith(`${prefix}_`);
const json = z.unknown();
const headers = z.record(z.string(), z.string());

export const ErrorOut = z
  .object({
    error: z.object({
      code: z.string().meta({ description: 'Stable, machine-readable: VALIDATION_ERROR, NOT_FOUND, INSUFFICIENT_SCOPE…' }),
      message: z.string().meta({ description: 'For people' }),
      details: z.unknown().optional().meta({ description: 'For a validation error, every problem with its path' }),
    }),
  })
  .meta({ id: 'Error' });

export const Pagination = z.object({
  order_by: z.string(),
  dir: z.enum(['asc', 'desc']),
  limit: z.number().int(),
  next: z.string().nullable(),
  prev: z.string().nullable(),
});

/** A page of a list: `models`, the cursors to the pages either side, and the count. */
export const page = <T extends z.ZodType>(item: T) => z.object({ models: z.array(item), pagination: Pagination, count: z.number().int() });
/** A list answered whole (no cursor). */
export const all = <T extends z.ZodType>(item: T) => z.object({ models: z.array(item), count: z.number().int() });

export const Deleted = z.object({ id: z.string(), deleted: z.literal(true) });
export const Count = z.object({ count: z.number().int() });

export const Source = z
  .object({
    id: id('src'),
    team_id: id('tm'),
    name: z.string(),
    description: z.string().nullable(),
    type: z.string().meta({ description: 'A preset (STRIPE, GITHUB, SHOPIFY, STANDARD_WEBHOOKS…) or WEBHOOK' }),
    url: z.string().meta({ description: 'Where senders post: PUBLIC_URL/e/<id>. Read-only; ignored when sent back on an update.' }),
    config: z.object({
      auth_type: z.enum(SourceAuthSchema.options.map((o) => o.shape.type.value) as [string, ...string[]]).nullable(),
      auth: SourceAuthSchema.nullable().optional().meta({ description: 'Only with include=config.auth, for owners and admins' }),
      allowed_http_methods: z.array(z.string()),
    }),
    disabled_at: time.nullable(),
    created_at: time,
    updated_at: time,
  })
  .meta({ id: 'Source' });

const Circuit = z.discriminatedUnion('state', [
  z.object({ state: z.literal('closed'), failures: z.number().int() }),
  z.object({ state: z.literal('open'), failures: z.number().int(), reason: z.string(), opened_at: time, next_probe_at: time.nullable(), message: z.string() }),
]);

export const Destination = z
  .object({
    id: id('des'),
    team_id: id('tm'),
    name: z.string(),
    description: z.string().nullable(),
    type: z.string(),
    config: z.record(z.string(), json).meta({ description: "The destination type's config; credentials masked unless include=config.auth" }),
    disabled_at: time.nullable(),
    disabled_reason: z.string().nullable(),
    warning: z.string().nullable(),
    consecutive_failures: z.number().int(),
    max_concurrency: z.number().int().nullable(),
    circuit: Circuit,
    created_at: time,
    updated_at: time,
    attempts_24h: z.object({ total: z.number().int(), successful: z.number().int(), failed: z.number().int() }).optional(),
  })
  .meta({ id: 'Destination' });

export const Connection = z
  .object({
    id: id('web'),
    team_id: id('tm'),
    name: z.string(),
    full_name: z.string(),
    description: z.string().nullable(),
    source: Source,
    destination: Destination,
    rules: z.array(json).meta({ description: 'filter, transform, transformation, delay, deduplicate and retry rules, in order' }),
    disabled_at: time.nullable(),
    paused_at: time.nullable(),
    created_at: time,
    updated_at: time,
  })
  .meta({ id: 'Connection' });

const EventStatus = z.enum(['SCHEDULED', 'QUEUED', 'HOLD', 'SUCCESSFUL', 'FAILED', 'CANCELLED']);

const eventFields = {
  id: id('evt'),
  team_id: id('tm'),
  request_id: id('req'),
  source_id: z.string(),
  connection_id: z.string(),
  webhook_id: z.string().meta({ description: 'The same as connection_id (seed 000)' }),
  destination_id: z.string().nullable(),
  status: EventStatus,
  attempts: z.number().int(),
  next_attempt_at: time.nullable(),
  last_attempt_at: time.nullable(),
  response_status: z.number().int().nullable(),
  error_code: z.string().nullable(),
  successful_at: time.nullable(),
  batch_operation_id: z.string().nullable(),
  created_at: time,
  updated_at: time,
};
/** An event as a request's events and a replay list it: without the log's labels. */
export const EventBare = z.object(eventFields).meta({ id: 'EventBare' });

export const Event = z
  .object({
    ...eventFields,
    event_type: z.string().nullable(),
    summary: z.string().nullable(),
    source_name: z.string().nullable(),
    connection_name: z.string().nullable(),
    destination_name: z.string().nullable(),
    flow: z.object({ id: z.string(), name: z.string() }).nullable(),
    reason: z.string().nullable().meta({ description: 'Why it is not delivered yet, in a sentence' }),
    retry: z.object({ at: time, attempt: z.number().int(), of: z.number().int() }).nullable(),
    data: z
      .object({ path: z.string(), query: json, headers: json, body: json })
      .nullable()
      .optional()
      .meta({ description: 'GET /events/{id} only: the request it came from, null once retention deleted it' }),
  })
  .meta({ id: 'Event' });

const OutcomeKind = z.enum(['rejected', 'no_connection', 'delivered', 'failed', 'retrying', 'waiting', 'held', 'filtered', 'duplicate', 'cancelled', 'mixed']);
const RequestOutcome = z.object({
  result: OutcomeKind,
  text: z.string(),
  connections: z.array(
    z.object({
      connection_id: z.string(),
      title: z.string(),
      flow: z.object({ id: z.string(), name: z.string() }).nullable(),
      result: z.enum(['delivered', 'failed', 'retrying', 'waiting', 'held', 'filtered', 'duplicate', 'cancelled', 'filter_failed']),
      count: z.number().int(),
    }),
  ),
});

const requestFields = {
  id: id('req'),
  team_id: id('tm'),
  source_id: z.string(),
  status: z.enum(['accepted', 'rejected']),
  rejection_cause: z.string().nullable(),
  verified: z.boolean(),
  events_count: z.number().int(),
  ignored_count: z.number().int(),
  is_retry: z.boolean(),
  retry_kind: z.string().nullable(),
  batch_operation_id: z.string().nullable(),
  created_at: time,
  event_type: z.string().nullable(),
  summary: z.string().nullable(),
  data: z
    .object({ method: z.string(), path: z.string(), query: json, headers: json, body: json })
    .optional()
    .meta({ description: 'On GET /requests/{id}, and on the list with include=data' }),
};
export const RequestBare = z.object(requestFields).meta({ id: 'RequestBare' });
export const Request = z.object({ ...requestFields, source_name: z.string().nullable(), outcome: RequestOutcome.optional() }).meta({ id: 'Request' });

export const RequestRetryOut = z.object({ request: RequestBare, events: z.array(EventBare), ignored_count: z.number().int() });

export const IgnoredEvent = z
  .object({
    id: z.string(),
    team_id: id('tm'),
    request_id: id('req'),
    connection_id: z.string(),
    cause: z.string().meta({ description: 'FILTERED, DUPLICATE, FILTER_FAILED…' }),
    step: z.string().nullable().optional(),
    created_at: time,
  })
  .meta({ id: 'IgnoredEvent' });

export const Attempt = z
  .object({
    id: id('atm'),
    team_id: id('tm'),
    event_id: id('evt'),
    destination_id: z.string(),
    attempt_number: z.number().int(),
    trigger: z.string(),
    status: z.string(),
    request: z.object({ method: z.string(), url: z.string(), headers: json, body: json.optional() }),
    request_body: z.string().nullable(),
    record_id: z.string().nullable(),
    response: z.object({ status: z.number().int(), headers: json, body: z.string().nullable() }).nullable(),
    duration_ms: z.number().int().nullable(),
    error: z.object({ code: z.string(), message: z.string().nullable() }).nullable(),
    created_at: time,
  })
  .meta({ id: 'Attempt' });

export const Webhook = z
  .object({
    id: id('web'),
    team_id: id('tm'),
    name: z.string(),
    description: z.string().nullable(),
    url: z.string(),
    events: z.array(z.string()),
    mappings: z.array(MappingEntry).nullable(),
    envelope: z.enum(['flat', 'nested']),
    signing: z.enum(['hmac', 'shared-secret']),
    signature: SignatureSchema,
    secret: z.string().optional().meta({ description: 'Only when made or rotated: shown once' }),
    secret_hint: z.string(),
    authorization: z.string().nullable(),
    enabled: z.boolean(),
    paused: z.boolean(),
    disabled_reason: z.string().nullable(),
    consecutive_failures: z.number().int(),
    max_concurrency: z.number().int().nullable(),
    circuit: Circuit,
    destination_id: id('des'),
    source_id: id('src'),
    flow: z.object({ id: z.string(), name: z.string(), node_id: z.string() }).nullable(),
    requests_from: z.object({ id: z.string(), name: z.string() }).nullable(),
    created_at: time,
    updated_at: time,
  })
  .meta({ id: 'Webhook' });

export const ApiKey = z
  .object({
    id: z.string(),
    kind: z.enum(['api_key', 'project_key']),
    name: z.string(),
    prefix: z.string(),
    scopes: z.array(z.string()).meta({ description: `Any of ${SCOPES.join(', ')}` }),
    created_by: z.string().nullable(),
    created_at: time,
    last_used_at: time.nullable(),
  })
  .meta({ id: 'ApiKey' });
export const ApiKeyCreated = ApiKey.extend({ key: z.string().meta({ description: 'The key itself: shown once' }), replaces: z.string().optional() }).meta({
  id: 'ApiKeyCreated',
});

export const EventType = z
  .object({
    name: z.string(),
    group: z.string(),
    description: z.string().nullable(),
    schema: z.record(z.string(), json).nullable().meta({ description: 'A JSON Schema the event data must match' }),
    sample: z.record(z.string(), json),
    builtin: z.boolean(),
  })
  .meta({ id: 'EventType' });

export const Transformation = z
  .object({
    id: id('trs'),
    team_id: id('tm'),
    name: z.string(),
    code: z.string(),
    env: z.record(z.string(), z.string()),
    code_hash: z.string(),
    created_at: time,
    updated_at: time,
    deleted_at: time.nullable(),
  })
  .meta({ id: 'Transformation' });

const SandboxLog = z.object({ level: z.enum(['log', 'info', 'warn', 'error', 'debug']), message: z.string(), at_ms: z.number() });
export const TransformationExecution = z
  .object({
    id: z.string(),
    team_id: id('tm'),
    transformation_id: id('trs'),
    status: z.enum(['ok', 'failed']),
    error_code: z.string().nullable(),
    error_message: z.string().nullable(),
    event_id: z.string().nullable(),
    request_id: z.string().nullable(),
    connection_id: z.string().nullable(),
    logs: z.array(SandboxLog),
    duration_ms: z.number(),
    created_at: time,
    original: json.optional(),
    transformed: json.optional(),
  })
  .meta({ id: 'TransformationExecution' });

export const BulkOperation = z
  .object({
    id: id('bop'),
    team_id: id('tm'),
    kind: z.enum(['events', 'requests']),
    state: z.enum(['planned', 'running', 'completed', 'cancelled', 'failed']),
    dry_run: z.boolean(),
    query: json,
    estimated_count: z.number().int(),
    processed_count: z.number().int(),
    skipped_count: z.number().int(),
    total: z.number().int(),
    progress: z.number().min(0).max(1),
    sample: json.optional(),
    error: z.string().nullable(),
    created_at: time,
    updated_at: time,
    completed_at: time.nullable(),
  })
  .meta({ id: 'BulkOperation' });

export const HealthOut = z
  .object({
    status: z.enum(['ok', 'unavailable']),
    db: z.enum(['ok', 'down']),
    jobs: z.enum(['ok', 'down', 'not-running-here']),
    version: z.string(),
    uptime_s: z.number().int(),
    role: z.enum(['all', 'api', 'worker']),
    lanes: z.array(z.number().int()).optional(),
  })
  .meta({ id: 'Health' });

export const IngestAccepted = z.object({ status: z.literal('accepted'), request_id: id('req') });
export const PublishAccepted = z.object({
  eventId: id('msg').meta({ description: "The published message's id: the webhook-id its deliveries carry, not an evt_ of the log" }),
});

const Role = z.enum(['owner', 'admin', 'member']);

/** Who a session is: the user, the team it acts in, and every team of theirs. */
export const Profile = z
  .object({
    user: z.object({
      id: id('usr'),
      email: z.string(),
      name: z.string(),
      picture_url: z.string().nullable(),
      email_verified_at: time.nullable(),
      created_at: time,
      updated_at: time,
    }),
    team: z.object({ id: id('tm'), name: z.string(), role: Role }).nullable(),
    memberships: z.array(z.object({ team_id: id('tm'), team_name: z.string(), role: Role })),
  })
  .meta({ id: 'Profile' });
export const SessionOut = Profile.extend({
  token: z.string().meta({ description: 'The session token (whs_…): a bearer credential' }),
  session: z.object({ expires_at: time }),
}).meta({ id: 'Session' });
/** GET /auth/me: a session's profile, or for an API key the team's and the key's names. */
export const MeOut = z.union([
  Profile.extend({ email_verification: z.enum(['verified', 'pending', 'unavailable']), session: z.object({ expires_at: time.nullable() }) }),
  z.object({
    user: z.null(),
    team: z.object({ id: id('tm'), name: z.string().nullable() }),
    key: z.object({ id: z.string().nullable(), name: z.string().nullable(), scopes: z.array(z.string()) }),
    memberships: z.array(z.never()),
  }),
]);
export const Ok = z.object({ ok: z.literal(true) });

export const TeamListed = z
  .object({ id: id('tm'), name: z.string(), is_demo: z.boolean(), created_at: time, role: Role, joined_at: time })
  .meta({ id: 'TeamListed' });
export const TeamCreated = z.object({ id: id('tm'), name: z.string(), created_at: time, role: Role });
export const Team = z
  .object({
    id: id('tm'),
    name: z.string(),
    is_demo: z.boolean(),
    created_at: time,
    retention_days: z.number().int().nullable().meta({ description: "The team's own log retention; null: the hub's" }),
    members_count: z.number().int(),
    role: Role,
    effective_retention_days: z.number().int(),
  })
  .meta({ id: 'Team' });
export const Member = z
  .object({ user_id: id('usr'), email: z.string(), name: z.string(), picture_url: z.string().nullable(), role: Role, joined_at: time })
  .meta({ id: 'Member' });
export const MemberRole = z.object({ team_id: id('tm'), user_id: id('usr'), role: Role });
export const MemberRemoved = z.object({ team_id: id('tm'), user_id: id('usr'), removed: z.boolean() });

const inviteFields = { id: id('inv'), team_id: id('tm'), email: z.string(), role: Role, expires_at: time, created_at: time };
export const InviteCreated = z
  .object({
    ...inviteFields,
    invited_by: z.string().nullable(),
    status: z.literal('pending'),
    url: z.string().meta({ description: 'The link to send (PUBLIC_URL/invite/<token>): in this answer only' }),
  })
  .meta({ id: 'InviteCreated' });
export const Invite = z
  .object({ ...inviteFields, invited_by: z.object({ id: z.string(), name: z.string().nullable() }).nullable(), status: z.enum(['pending', 'expired']) })
  .meta({ id: 'Invite' });
export const InvitePreview = z.object({
  team: z.object({ id: id('tm'), name: z.string() }),
  invited_by: z.object({ name: z.string() }).nullable(),
  email: z.string(),
  role: Role,
  expires_at: time,
});
export const InviteAccepted = z.object({ team: z.object({ id: id('tm'), name: z.string(), role: Role }) });

const ProjectSecret = z.object({
  value: z.string().optional().meta({ description: 'In clear: only with reveal=true, and in the answers of PUT and rotate' }),
  masked_value: z.string(),
  last_rotated_at: time,
});
export const ProjectSecrets = z.object({ team_id: id('tm'), api_key: ProjectSecret, signing_secret: ProjectSecret }).meta({ id: 'ProjectSecrets' });

export const MockRequest = z
  .object({
    id: id('mrq'),
    team_id: id('tm'),
    destination_id: id('des'),
    event_id: z.string().nullable(),
    method: z.string(),
    path: z.string(),
    query: z.string(),
    url: z.string(),
    headers: headers,
    body: z.string().optional().meta({ description: 'On one request, or the list with include=body; base64 when body_encoding says so' }),
    body_encoding: z.enum(['utf8', 'base64']),
    body_size: z.number().int(),
    body_truncated: z.boolean(),
    response_status: z.number().int(),
    created_at: time,
  })
  .meta({ id: 'MockRequest' });
export const MockRequestsCleared = z.object({ destination_id: id('des'), deleted: z.number().int() });

/**
 * A REST hook (Zapier's subscription). hooks.routes.ts builds these answers itself, with no
 * service type to check against: the contract test alone holds them to this shape.
 */
export const Hook = z.object({ id: id('web'), target_url: z.string(), event: z.string(), created_at: time }).meta({ id: 'Hook' });
/** What a hook's target receives (the flat envelope, as Zapier's app reads it): any fields of the event's data. */
export const HookSamples = z.array(z.record(z.string(), json));

export const Credential = z
  .object({
    id: z.string(),
    kind: z.enum(['google-service-account', 'google-oauth', 'hubspot', 'pipedrive']),
    name: z.string(),
    hint: z.string().meta({ description: "The service account's e-mail for Google, a masked token for CRMs; never the secret" }),
    client_email: z.string().optional().meta({ description: 'Google service accounts: the address each spreadsheet must be shared with' }),
    google_account: z.string().optional().meta({ description: "Google accounts signed in with: the account's address" }),
    created_at: time,
    updated_at: time,
    used_by: z.array(z.string()).meta({ description: 'The destinations whose config names it' }),
  })
  .meta({ id: 'Credential' });
export const CredentialDeleted = Deleted.extend({
  revoked: z.boolean().optional().meta({ description: 'A Google account: whether Google revoked its token too' }),
});

const Ref = z.object({ id: z.string(), name: z.string(), flow_id: z.string().optional() });
const UsedByKind = z.enum(['source', 'destination', 'connection', 'transformation', 'event_type', 'secret']);
export const UsedBy = z
  .object({
    kind: UsedByKind,
    id: z.string(),
    flows: z.array(Ref),
    webhooks: z.array(Ref),
    connections: z.array(Ref),
    sources: z.array(Ref),
    destinations: z.array(Ref),
  })
  .meta({ id: 'UsedBy' });
export const UsedByList = z.object({ kind: UsedByKind, models: z.array(UsedBy), count: z.number().int() });

/**
 * What the service returns, as JSON carries it: dates become their ISO text. `Fits<A, B>` is
 * true when every value of A is a B, so the checks below fail to compile when a service's answer
 * drifts from its documented schema.
 */
type Json<T> = T extends Date ? string : T extends readonly (infer U)[] ? Json<U>[] : T extends object ? { [K in keyof T]: Json<T[K]> } : T;
type Fits<A, B> = [A] extends [B] ? true : false;
type Answer<F extends (...args: never[]) => unknown> = Json<Awaited<ReturnType<F>>>;
const fits = <T extends true>(): T | undefined => undefined;
type Wire<S extends z.ZodType> = z.input<S>;
fits<Fits<Json<SourceOut>, Wire<typeof Source>>>();
fits<Fits<Json<DestinationOut>, Wire<typeof Destination>>>();
fits<Fits<Json<ConnectionOut>, Wire<typeof Connection>>>();
fits<Fits<Json<WebhookOut>, Wire<typeof Webhook>>>();
fits<Fits<Json<EventTypeOut>, Wire<typeof EventType>>>();
fits<Fits<Json<TransformationOut>, Wire<typeof Transformation>>>();
fits<Fits<Json<ExecutionOut>, Wire<typeof TransformationExecution>>>();
fits<Fits<Json<ReturnType<typeof bulkOperationOut>>, Wire<typeof BulkOperation>>>();
fits<Fits<Json<Health>, Wire<typeof HealthOut>>>();
// The log's labels are typed optional (a Map's get) but every row is labelled (eventLabels); an
// event's `data` is typed unknown (eventOut's parameter), so the contract test alone holds its shape.
type Labelled<E> = Omit<Required<E>, 'data'>;
type LabelledPage<P> = P extends { models: (infer M)[] } ? Omit<P, 'models'> & { models: Labelled<M>[] } : never;
fits<Fits<LabelledPage<Answer<EventsLogService['list']>>, Wire<ReturnType<typeof page<typeof Event>>>>>();
fits<Fits<Labelled<Answer<EventsLogService['get']>>, Wire<typeof Event>>>();
fits<Fits<Answer<EventsLogService['listAttempts']>, Wire<ReturnType<typeof page<typeof Attempt>>>>>();
fits<Fits<Answer<EventsLogService['getAttempt']>, Wire<typeof Attempt>>>();
fits<Fits<Answer<EventsLogService['listIgnored']>, Wire<ReturnType<typeof page<typeof IgnoredEvent>>>>>();
fits<Fits<Answer<RequestsLogService['list']>, Wire<ReturnType<typeof page<typeof Request>>>>>();
fits<Fits<Answer<RequestsLogService['get']>, Wire<typeof Request>>>();
fits<Fits<Answer<RequestsLogService['events']>, Wire<ReturnType<typeof all<typeof EventBare>>>>>();
fits<Fits<Answer<RequestsLogService['ignoredEvents']>, Wire<ReturnType<typeof all<typeof IgnoredEvent>>>>>();
fits<Fits<Answer<RequestsLogService['retry']>, Wire<typeof RequestRetryOut>>>();
type Keys = ReturnType<typeof apiKeysService>;
fits<Fits<Answer<Keys['list']>, Wire<ReturnType<typeof all<typeof ApiKey>>>>>();
fits<Fits<Answer<Keys['create']>, Wire<typeof ApiKeyCreated>>>();
fits<Fits<Answer<Keys['rotate']>, Wire<typeof ApiKeyCreated>>>();
fits<Fits<Answer<typeof auth.issueSession>, Wire<typeof SessionOut>>>();
fits<Fits<Answer<typeof auth.getProfile>, Wire<typeof Profile>>>();
fits<Fits<Answer<typeof auth.keyProfile>, Wire<typeof MeOut>>>();
type Teams = ReturnType<typeof teamsService>;
fits<Fits<Answer<Teams['list']>, Wire<ReturnType<typeof all<typeof TeamListed>>>>>();
fits<Fits<Answer<Teams['team']>, Wire<typeof Team>>>();
fits<Fits<Answer<Teams['update']>, Wire<typeof Team>>>();
fits<Fits<Answer<Teams['create']>, Wire<typeof TeamCreated>>>();
fits<Fits<Answer<Teams['members']>, Wire<ReturnType<typeof all<typeof Member>>>>>();
fits<Fits<Answer<Teams['setRole']>, Wire<typeof MemberRole>>>();
fits<Fits<Answer<Teams['remove']>, Wire<typeof MemberRemoved>>>();
type UsedByService = ReturnType<typeof usedByService>;
fits<Fits<Answer<UsedByService['list']>, Wire<typeof UsedByList>>>();
fits<Fits<Answer<UsedByService['get']>, Wire<typeof UsedBy>>>();
type Invites = ReturnType<typeof invitesService>;
fits<Fits<Answer<Invites['create']>, Wire<typeof InviteCreated>>>();
fits<Fits<Answer<Invites['list']>, Wire<ReturnType<typeof all<typeof Invite>>>>>();
fits<Fits<Answer<Invites['revoke']>, Wire<typeof Deleted>>>();
fits<Fits<Answer<Invites['preview']>, Wire<typeof InvitePreview>>>();
fits<Fits<Answer<Invites['accept']>, Wire<typeof InviteAccepted>>>();
fits<Fits<Answer<typeof projectSecretsView>, Wire<typeof ProjectSecrets>>>();
type MockApi = ReturnType<typeof mockApiService>;
fits<Fits<Json<MockRequestOut>, Wire<typeof MockRequest>>>();
fits<Fits<Answer<MockApi['list']>, Wire<ReturnType<typeof page<typeof MockRequest>>>>>();
fits<Fits<Answer<MockApi['clear']>, Wire<typeof MockRequestsCleared>>>();
fits<Fits<Json<CredentialOut>, Wire<typeof Credential>>>();
