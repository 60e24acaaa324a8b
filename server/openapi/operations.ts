import { z } from 'zod';
import { ApiKeyIn } from '../auth/api-keys.routes.ts';
import { LinkTokenIn, LoginIn, ProfilePatch, ResetConfirmIn, ResetIn, SignupIn } from '../auth/auth.routes.ts';
import { GoogleLoginIn } from '../auth/google.routes.ts';
import { InviteIn } from '../auth/invites.service.ts';
import { MemberPatch, TeamIn, teamPatch, teamPut } from '../auth/teams.service.ts';
import { PreviewChatIn } from '../chat/chat-preview.routes.ts';
import { ChatbotIn, ChatbotPatch, ChatListQuery, ConversationListQuery, EntryIn, EntryPatch, LeadListQuery } from '../chat/chatbots.service.ts';
import { ImportIn } from '../chat/kb-import.ts';
import { RateIn } from '../chat/ratings.service.ts';
import { SystemChatIn } from '../chat/system-chat.service.ts';
import { EventsBulkIn, ListQuery as BulkListQuery, RequestsBulkIn } from '../gateway/bulk-operations.routes.ts';
import { ConnectionIn, ConnectionPatch } from '../gateway/connections.service.ts';
import { DashboardQuery, SparklinesQuery } from '../gateway/dashboard.service.ts';
import { DestinationIn, DestinationPatch } from '../gateway/destinations.service.ts';
import { AttemptsQuery, CountQuery as EventCountQuery, EventsQuery, IgnoredQuery } from '../gateway/events.routes.ts';
import { EventMetricsQuery, RequestMetricsQuery } from '../gateway/metrics.service.ts';
import { MockRequestsQuery } from '../gateway/mock-api.service.ts';
import { SecretsPut, SecretsRotate } from '../gateway/project-secrets.routes.ts';
import { CountQuery as RequestCountQuery, RequestsQuery } from '../gateway/requests.routes.ts';
import { ListQuery } from '../gateway/resource-routes.ts';
import { SourceIn, SourcePatch } from '../gateway/sources.service.ts';
import { EventTypeIn } from '../publish/event-types.service.ts';
import { DestinationFieldsQuery, TestConnectionIn } from '../flows/flow-connection.ts';
import { FlowStatsQuery } from '../flows/flow-stats.ts';
import { FlowTestIn } from '../flows/flow-test.ts';
import { FlowIn, FlowPatch } from '../flows/flows.service.ts';
import { HookIn } from '../publish/hooks.routes.ts';
import { IncomingWebhookIn } from '../flows/incoming-webhook.ts';
import { PublishIn } from '../publish/publish.service.ts';
import { ListenQuery } from '../flows/source-listen.ts';
import { SourceSampleQuery } from '../flows/source-sample.ts';
import { UsedByQuery } from '../flows/used-by.service.ts';
import { WebhookIn, WebhookPatch } from '../publish/webhooks.service.ts';
import { PreviewIn, TestIn } from '../publish/webhooks.routes.ts';
import { QuotaPatch } from '../operator/quotas.service.ts';
import { CredentialIn, CredentialPatch, CredentialsQuery } from '../settings/credentials.service.ts';
import { ColumnsQuery, SpreadsheetsQuery } from '../settings/google-files.ts';
import { TransformationIn, TransformationPatch } from '../transformations/transformation-schema.ts';
import { ExecutionsQuery, RunIn, TransformationsQuery } from '../transformations/transformations.service.ts';
import * as out from './schemas.ts';

/** Who may call an operation: a team's credential (API key or session token), the operator's token, the metrics token, or anyone. */
export type Security = 'team' | 'operator' | 'metrics' | 'public';

/** One operation: its request schemas are the ones its route validates with; `responses` by status, `null` for a body not described yet. */
export type Operation = {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'OPTIONS';
  /** In Express's syntax (`/sources/:id`); under the API's bases unless `root`. */
  path: string;
  tag: string;
  summary: string;
  description?: string;
  query?: z.ZodType;
  body?: z.ZodType;
  /** The body is not JSON (ingest takes any content type; `/metrics` answers text). */
  rawBody?: boolean;
  responses: Record<number, z.ZodType | null | 'text'>;
  security: Security;
  /** Served at the server's root rather than under the API's bases. */
  root?: boolean;
};

type Spec = Omit<Operation, 'method' | 'path' | 'tag' | 'security' | 'responses'> & { responses?: Operation['responses']; security?: Security };

/** `'GET /sources'` → the operation, with the group's tag; team credentials and a 200 unless said otherwise. */
function group(tag: string, specs: Record<string, Spec>, defaults: Partial<Spec> = {}): Operation[] {
  return Object.entries(specs).map(([key, spec]) => {
    const [method, path] = key.split(' ') as [Operation['method'], string];
    return { method, path, tag, security: 'team', responses: { 200: null }, ...defaults, ...spec };
  });
}

/** The same spec for several method + path keys (PUT and PATCH of one update; a POST kept beside a PUT for seed 002's clients). */
const alias = (keys: string[], spec: Spec): Record<string, Spec> => Object.fromEntries(keys.map((k) => [k, spec]));

const retentionDaysForDocs = 365;
const deleted = { 200: out.Deleted };

/** The shared CRUD of sources, destinations and connections (resource-routes.ts). */
function resource(tag: string, path: string, one: z.ZodType, create: z.ZodType, patch: z.ZodType, what: string): Operation[] {
  return group(tag, {
    [`GET ${path}`]: { summary: `List ${what}s`, query: ListQuery, responses: { 200: out.page(one) } },
    [`POST ${path}`]: { summary: `Create a ${what}`, body: create, responses: { 201: one } },
    [`PUT ${path}`]: { summary: `Create or update a ${what} by name`, body: create, responses: { 200: one, 201: one } },
    [`GET ${path}/:id`]: { summary: `Get a ${what}`, query: ListQuery.pick({ include: true }), responses: { 200: one } },
    ...alias([`PUT ${path}/:id`, `PATCH ${path}/:id`], {
      summary: `Update a ${what}`,
      description: 'Read-only fields sent back as they were read (id, url, status, created_at…) are ignored.',
      body: patch,
      responses: { 200: one },
    }),
    ...alias([`PUT ${path}/:id/disable`, `POST ${path}/:id/disable`], { summary: `Disable a ${what}`, responses: { 200: one } }),
    ...alias([`PUT ${path}/:id/enable`, `POST ${path}/:id/enable`], { summary: `Enable a ${what}`, responses: { 200: one } }),
    [`DELETE ${path}/:id`]: { summary: `Delete a ${what}`, responses: deleted },
    [`GET ${path}/:id/used-by`]: { summary: `What uses this ${what}`, responses: { 200: out.UsedBy } },
  });
}

export const OPERATIONS: Operation[] = [
  ...group(
    'Ingest',
    {
      ...alias(['POST /e/:source', 'PUT /e/:source', 'PATCH /e/:source'], {
        summary: 'Send a request to a source',
        description:
          "A sender's webhook. Verified as the source says (HMAC, basic auth, API-key header, Standard Webhooks), stored with its events, then answered. 503 OVERLOADED with Retry-After stores nothing. Any path below the source id is kept with the request (`/e/{source}/any/path`).",
        rawBody: true,
        responses: { 200: out.IngestAccepted },
      }),
    },
    { root: true, security: 'public' },
  ),
  ...group('Publish', {
    'POST /publish': {
      summary: 'Publish an application event',
      description: 'Scope `write` or `publish`. A repeated idempotencyKey within 24 hours answers the first event, with `Idempotent-Replayed: true`.',
      body: PublishIn,
      responses: { 202: out.PublishAccepted },
    },
  }),
  ...group(
    'Operations',
    {
      'GET /api/health': {
        summary: "The hub's health (status pages)",
        description: '503 when the database or the job runner is down.',
        responses: { 200: out.HealthOut, 503: out.HealthOut },
      },
      'GET /healthz': { summary: "This process's health (load balancers)", responses: { 200: out.HealthOut, 503: out.HealthOut } },
      'GET /metrics': {
        summary: 'Prometheus metrics',
        description: 'Behind WIREHUB_METRICS_TOKEN when set; otherwise answered to this machine only.',
        security: 'metrics',
        responses: { 200: 'text' },
      },
      'GET /docs': { summary: 'This reference, interactive', responses: { 200: 'text' } },
      'GET /docs/swagger-ui-bundle.js': { summary: "The reference's script: Swagger UI, served by Wirehub itself", responses: { 200: 'text' } },
      'GET /docs/swagger-ui.css': { summary: "The reference's stylesheet", responses: { 200: 'text' } },
      'GET /docs/start.js': { summary: 'Starts the reference on the document', responses: { 200: 'text' } },
    },
    { root: true, security: 'public' },
  ),
  ...group('Operations', { 'GET /openapi.json': { summary: 'This document (OpenAPI 3.1)' } }, { security: 'public' }),
  ...group(
    'Operator',
    {
      'GET /operator/quotas': { summary: "Every team's quotas and use" },
      'GET /operator/teams/:id/quota': { summary: "A team's quotas and use" },
      ...alias(['PUT /operator/teams/:id/quota', 'PATCH /operator/teams/:id/quota'], { summary: "Set a team's quotas", body: QuotaPatch }),
    },
    { security: 'operator' },
  ),
  ...group(
    'Public',
    {
      'OPTIONS /api/public/system-chat': { summary: "CORS preflight of the chat widget's endpoint", responses: { 204: null } },
      'POST /api/public/system-chat': { summary: "A visitor's chat message (seed 004)", body: SystemChatIn },
      'OPTIONS /api/public/conversations/:id/rate': { summary: 'CORS preflight of a rating', responses: { 204: null } },
      'POST /api/public/conversations/:id/rate': { summary: 'Rate a conversation', body: RateIn },
    },
    { root: true, security: 'public' },
  ),
  ...group(
    'Public',
    {
      'GET /public/chatbots/:public_key': { summary: "A chatbot's public settings (the widget's)" },
      'GET /invites/:token': { summary: 'Who invited whom to which team', responses: { 200: out.InvitePreview } },
      'GET /google/oauth/callback': { summary: "Google's redirect after a sheet's sign-in", responses: { 200: 'text' } },
    },
    { security: 'public' },
  ),
  ...group(
    'Accounts',
    {
      'POST /auth/signup': { summary: 'Sign up (a user and their team)', body: SignupIn, responses: { 201: out.SessionOut } },
      'POST /auth/login': { summary: 'Log in: a session token', body: LoginIn, responses: { 200: out.SessionOut } },
      'POST /auth/demo/login': { summary: 'Log in to the demo workspace (WIREHUB_DEMO)', responses: { 200: out.SessionOut } },
      'POST /auth/password-reset': { summary: 'Mail a link to choose a new password', body: ResetIn, responses: { 202: null } },
      'POST /auth/password-reset/confirm': { summary: 'Choose a new password with the link', body: ResetConfirmIn },
      'GET /auth/providers': { summary: 'How one may log in here' },
      'POST /auth/google/login': { summary: 'Log in with a Google ID token', body: GoogleLoginIn, responses: { 200: out.SessionOut } },
    },
    { security: 'public' },
  ),
  ...group('Accounts', {
    'GET /auth/me': { summary: 'Who the credential speaks for', responses: { 200: out.MeOut } },
    'POST /auth/verify-email': { summary: "Verify the account's address (session)", body: LinkTokenIn },
    'POST /auth/verify-email/resend': { summary: 'Mail the verification link again (session)', responses: { 202: null } },
    ...alias(['PATCH /auth/me', 'PUT /auth/me'], { summary: 'Change your name (session)', body: ProfilePatch, responses: { 200: out.Profile } }),
    'POST /auth/logout': { summary: 'End this session', responses: { 200: out.Ok } },
  }),
  ...group('Teams', {
    'GET /teams': { summary: 'Your teams (session)', responses: { 200: out.all(out.TeamListed) } },
    'POST /teams': { summary: 'Make a team', body: TeamIn, responses: { 201: out.TeamCreated } },
    'GET /teams/:id': { summary: 'A team', responses: { 200: out.Team } },
    'PATCH /teams/:id': { summary: "Change a team's name or log retention", body: teamPatch(retentionDaysForDocs), responses: { 200: out.Team } },
    'PUT /teams/:id': { summary: "Change a team's name or log retention", body: teamPut(retentionDaysForDocs), responses: { 200: out.Team } },
    'GET /teams/:id/members': { summary: "A team's members", responses: { 200: out.all(out.Member) } },
    'PATCH /teams/:id/members/:userId': { summary: "Change a member's role", body: MemberPatch, responses: { 200: out.MemberRole } },
    'DELETE /teams/:id/members/:userId': { summary: 'Remove a member', responses: { 200: out.MemberRemoved } },
    'POST /teams/:id/invites': { summary: 'Invite someone', body: InviteIn, responses: { 201: out.InviteCreated } },
    'GET /teams/:id/invites': { summary: "A team's open invites", responses: { 200: out.all(out.Invite) } },
    'DELETE /teams/:id/invites/:inviteId': { summary: 'Revoke an invite', responses: deleted },
    'POST /invites/:token/accept': { summary: 'Accept an invite (session)', responses: { 200: out.InviteAccepted } },
  }),
  ...group('API keys', {
    'POST /api-keys': { summary: 'Make an API key (the key is in this answer only)', body: ApiKeyIn, responses: { 201: out.ApiKeyCreated } },
    'GET /api-keys': { summary: "The team's API keys, the project key included", responses: { 200: out.all(out.ApiKey) } },
    'DELETE /api-keys/:id': { summary: 'Revoke an API key', responses: deleted },
    'POST /api-keys/:id/rotate': { summary: 'Rotate an API key: the old one stops, the new one is in this answer only', responses: { 201: out.ApiKeyCreated } },
    'GET /project-secrets': { summary: "The project's API key and signing secret (masked unless reveal=true)", responses: { 200: out.ProjectSecrets } },
    'PUT /project-secrets': { summary: 'Set the project secrets', body: SecretsPut, responses: { 200: out.ProjectSecrets } },
    'POST /project-secrets/rotate': { summary: 'Rotate the project secrets', body: SecretsRotate, responses: { 200: out.ProjectSecrets } },
    'GET /project-secrets/:name/used-by': { summary: 'What uses this secret', responses: { 200: out.UsedBy } },
  }),
  ...resource('Sources', '/sources', out.Source, SourceIn, SourcePatch, 'source'),
  ...resource('Destinations', '/destinations', out.Destination, DestinationIn, DestinationPatch, 'destination'),
  ...group('Destinations', {
    'POST /destinations/:id/test': { summary: "Check a destination's credentials and target" },
    'GET /destinations/:id/mock_requests': {
      summary: 'What a MOCK_API destination received',
      query: MockRequestsQuery,
      responses: { 200: out.page(out.MockRequest) },
    },
    'GET /destinations/:id/mock_requests/:requestId': { summary: 'One request a MOCK_API destination received', responses: { 200: out.MockRequest } },
    'DELETE /destinations/:id/mock_requests': { summary: "Clear a MOCK_API destination's requests", responses: { 200: out.MockRequestsCleared } },
  }),
  ...resource('Connections', '/connections', out.Connection, ConnectionIn, ConnectionPatch, 'connection'),
  ...group('Connections', {
    ...alias(['PUT /connections/:id/pause', 'POST /connections/:id/pause'], {
      summary: 'Pause a connection (its events wait)',
      responses: { 200: out.Connection },
    }),
    ...alias(['PUT /connections/:id/unpause', 'POST /connections/:id/unpause'], { summary: 'Unpause a connection', responses: { 200: out.Connection } }),
    'GET /connections/:id/latest-input': { summary: 'The latest request the connection received, as its rules see it' },
  }),
  ...group('Logs', {
    'GET /requests': { summary: 'The requests log', query: RequestsQuery, responses: { 200: out.page(out.Request) } },
    'GET /requests/count': { summary: 'Count requests', query: RequestCountQuery, responses: { 200: out.Count } },
    'GET /requests/:id': { summary: 'A request, with its body', responses: { 200: out.Request, 410: out.ErrorOut } },
    'GET /requests/:id/outcome': { summary: 'What became of a request, connection by connection' },
    'GET /requests/:id/events': {
      summary: "A request's events",
      query: z.object({ status: z.string().optional() }),
      responses: { 200: out.all(out.EventBare) },
    },
    'GET /requests/:id/ignored_events': { summary: "A request's ignored events (filtered, duplicates)", responses: { 200: out.all(out.IgnoredEvent) } },
    'POST /requests/:id/retry': { summary: 'Replay a request through the connections as they are now', responses: { 202: out.RequestRetryOut } },
    'GET /events': {
      summary: 'The events log',
      description: 'Ignored events are not events: `status=ignored` answers 400 and names /ignored_events.',
      query: EventsQuery,
      responses: { 200: out.page(out.Event) },
    },
    'GET /events/count': { summary: 'Count events', query: EventCountQuery, responses: { 200: out.Count } },
    'GET /events/:id': { summary: 'An event, with the request it came from', responses: { 200: out.Event, 410: out.ErrorOut } },
    'POST /events/:id/retry': { summary: 'Deliver an event again now', responses: { 202: out.Event } },
    'GET /ignored_events': { summary: "The team's ignored events", query: IgnoredQuery, responses: { 200: out.page(out.IgnoredEvent) } },
    'GET /attempts': { summary: 'Delivery attempts', query: AttemptsQuery, responses: { 200: out.page(out.Attempt) } },
    'GET /attempts/:id': { summary: 'An attempt, with the body of its request', responses: { 200: out.Attempt } },
  }),
  ...(['events', 'requests'] as const).flatMap((kind) =>
    group('Bulk operations', {
      [`GET /${kind}/bulk_operations`]: {
        summary: `Bulk ${kind === 'events' ? 'retries' : 'replays'}`,
        query: BulkListQuery,
        responses: { 200: out.all(out.BulkOperation) },
      },
      [`POST /${kind}/bulk_operations`]: {
        summary: kind === 'events' ? 'Retry every event matching a filter' : 'Replay every request matching a filter',
        description: 'With dry_run: true, an estimate and a sample (200); otherwise the operation starts (202).',
        body: kind === 'events' ? EventsBulkIn : RequestsBulkIn,
        responses: { 200: out.BulkOperation, 202: out.BulkOperation },
      },
      [`GET /${kind}/bulk_operations/:id`]: { summary: 'A bulk operation and its progress', responses: { 200: out.BulkOperation } },
      [`POST /${kind}/bulk_operations/:id/cancel`]: { summary: 'Cancel a bulk operation', responses: { 200: out.BulkOperation } },
    }),
  ),
  ...group('Transformations', {
    'GET /transformations': { summary: 'List transformations', query: TransformationsQuery, responses: { 200: out.page(out.Transformation) } },
    'POST /transformations': { summary: 'Create a transformation', body: TransformationIn, responses: { 201: out.Transformation } },
    'PUT /transformations': {
      summary: 'Create or update a transformation by name',
      body: TransformationIn,
      responses: { 200: out.Transformation, 201: out.Transformation },
    },
    ...alias(['PUT /transformations/run', 'POST /transformations/run'], { summary: 'Run code or a saved transformation on a sample', body: RunIn }),
    'GET /transformations/:id': { summary: 'A transformation', responses: { 200: out.Transformation } },
    ...alias(['PUT /transformations/:id', 'PATCH /transformations/:id'], {
      summary: 'Update a transformation',
      body: TransformationPatch,
      responses: { 200: out.Transformation },
    }),
    'DELETE /transformations/:id': { summary: 'Delete a transformation', responses: deleted },
    'GET /transformations/:id/executions': {
      summary: "A transformation's executions",
      query: ExecutionsQuery,
      responses: { 200: out.page(out.TransformationExecution) },
    },
    'GET /transformations/:id/executions/:executionId': { summary: 'An execution, with its input and output', responses: { 200: out.TransformationExecution } },
    'GET /transformations/:id/used-by': { summary: 'What uses this transformation', responses: { 200: out.UsedBy } },
  }),
  ...group('Metrics', {
    'GET /metrics/requests': { summary: 'Requests over time', query: RequestMetricsQuery },
    'GET /metrics/events': { summary: 'Events over time', query: EventMetricsQuery },
    'GET /metrics/dashboard': { summary: "The dashboard's figures", query: DashboardQuery },
    'GET /metrics/sparklines': { summary: "The lists' sparklines", query: SparklinesQuery },
  }),
  ...group('Event types', {
    'GET /event-types': { summary: 'The event types one may publish', responses: { 200: out.all(out.EventType) } },
    'POST /event-types': { summary: 'Declare an event type', body: EventTypeIn, responses: { 201: out.EventType } },
    'GET /event-types/:name': { summary: 'An event type', responses: { 200: out.EventType } },
    'DELETE /event-types/:name': { summary: 'Delete an event type' },
    'GET /event-types/:name/used-by': { summary: 'What uses this event type', responses: { 200: out.UsedBy } },
  }),
  ...group('Webhooks', {
    'GET /webhooks': { summary: "The team's webhooks", responses: { 200: out.all(out.Webhook) } },
    'POST /webhooks': { summary: 'Make a webhook (its secret is in this answer only)', body: WebhookIn, responses: { 201: out.Webhook } },
    'GET /webhooks/:id': { summary: 'A webhook', responses: { 200: out.Webhook } },
    ...alias(['PATCH /webhooks/:id', 'PUT /webhooks/:id'], { summary: 'Update a webhook', body: WebhookPatch, responses: { 200: out.Webhook } }),
    'DELETE /webhooks/:id': { summary: 'Delete a webhook', responses: deleted },
    'POST /webhooks/:id/rotate-secret': { summary: 'Rotate its signing secret (the new one is in this answer only)', responses: { 200: out.Webhook } },
    'POST /webhooks/:id/test': { summary: 'Send a test event now', body: TestIn },
    ...alias(['POST /webhooks/:id/pause'], { summary: 'Pause (events wait)', responses: { 200: out.Webhook } }),
    ...alias(['POST /webhooks/:id/resume', 'POST /webhooks/:id/unpause'], { summary: 'Resume', responses: { 200: out.Webhook } }),
    'POST /webhooks/:id/enable': { summary: 'Enable', responses: { 200: out.Webhook } },
    'POST /webhooks/:id/disable': { summary: 'Disable', responses: { 200: out.Webhook } },
    'POST /mappings/preview': { summary: 'The body a webhook with these mappings would send', body: PreviewIn },
    'GET /hooks': { summary: 'REST hooks (Zapier-style subscriptions)', responses: { 200: out.all(out.Hook) } },
    'POST /hooks': { summary: 'Subscribe a target URL to an event', body: HookIn, responses: { 201: out.Hook } },
    'DELETE /hooks/:id': { summary: 'Unsubscribe', responses: deleted },
    'GET /hooks/samples/:event': { summary: "An event type's samples, for a hook's set-up", responses: { 200: out.HookSamples } },
  }),
  ...group('Flows', {
    'GET /flows': { summary: "The team's flows" },
    'POST /flows': { summary: 'Save a new flow (what it draws is made)', body: FlowIn, responses: { 201: null } },
    'POST /flows/test': { summary: 'Run a flow on a sample, sending nothing', body: FlowTestIn },
    'POST /flows/test-connection': { summary: "Check a step's credentials", body: TestConnectionIn },
    'GET /flows/destination-fields': { summary: "The fields a destination step's map fills", query: DestinationFieldsQuery },
    'GET /flows/counts': { summary: 'What went through each flow' },
    'GET /flows/source-sample': { summary: "A source's latest request, as a sample", query: SourceSampleQuery },
    'GET /flows/source-sample/listen': { summary: "Wait for a source's next request", query: ListenQuery },
    'POST /flows/incoming-webhook': { summary: "Make an incoming webhook's source", body: IncomingWebhookIn },
    'GET /flows/:id': { summary: 'A flow' },
    'GET /flows/:id/stats': { summary: "A flow's figures", query: FlowStatsQuery },
    ...alias(['PUT /flows/:id', 'PATCH /flows/:id'], { summary: 'Save a flow', body: FlowPatch }),
    'DELETE /flows/:id': { summary: 'Delete a flow and what it made' },
    'GET /used-by': { summary: 'What uses what', query: UsedByQuery, responses: { 200: out.UsedByList } },
  }),
  ...group('Credentials', {
    'GET /credentials': { summary: "The workspace's credentials (Google, CRMs…)", query: CredentialsQuery, responses: { 200: out.all(out.Credential) } },
    'POST /credentials': { summary: 'Save a credential', body: CredentialIn, responses: { 201: out.Credential } },
    'GET /credentials/:id': { summary: 'A credential (secrets masked)', responses: { 200: out.Credential } },
    ...alias(['PUT /credentials/:id', 'PATCH /credentials/:id'], { summary: 'Update a credential', body: CredentialPatch, responses: { 200: out.Credential } }),
    'DELETE /credentials/:id': { summary: 'Delete a credential', responses: { 200: out.CredentialDeleted } },
    'GET /credentials/:id/spreadsheets': { summary: 'The Google Sheets a credential reaches', query: SpreadsheetsQuery },
    'GET /credentials/:id/spreadsheets/:spreadsheetId': { summary: 'A spreadsheet and its sheets' },
    'GET /credentials/:id/spreadsheets/:spreadsheetId/columns': { summary: "A sheet's columns", query: ColumnsQuery },
    'GET /google/oauth': { summary: 'Whether "Sign in with Google" is set up for sheets' },
    'POST /google/oauth/start': { summary: "Start a sheet's Google sign-in", responses: { 201: null } },
  }),
  ...group('Chatbots', {
    'GET /chatbots': { summary: "The team's chatbots", query: ChatListQuery },
    'POST /chatbots': { summary: 'Make a chatbot', body: ChatbotIn, responses: { 201: null } },
    'GET /chatbots/:id': { summary: 'A chatbot' },
    ...alias(['PATCH /chatbots/:id', 'PUT /chatbots/:id'], { summary: 'Update a chatbot', body: ChatbotPatch }),
    'DELETE /chatbots/:id': { summary: 'Delete a chatbot' },
    'POST /chatbots/:id/rotate-key': { summary: "Rotate a chatbot's public key" },
    'GET /chatbots/:id/entries': { summary: "A chatbot's knowledge entries" },
    'POST /chatbots/:id/entries': { summary: 'Add a knowledge entry', body: EntryIn, responses: { 201: null } },
    'POST /chatbots/:id/entries/import': { summary: 'Import knowledge entries (CSV or JSON)', body: ImportIn, responses: { 201: null } },
    ...alias(['PATCH /chatbots/:id/entries/:entryId', 'PUT /chatbots/:id/entries/:entryId'], { summary: 'Update a knowledge entry', body: EntryPatch }),
    'DELETE /chatbots/:id/entries/:entryId': { summary: 'Delete a knowledge entry' },
    'GET /chatbots/:id/conversations': { summary: "A chatbot's conversations", query: ConversationListQuery },
    'GET /chatbots/:id/conversations/:conversationId': { summary: 'A conversation' },
    'GET /chatbots/:id/leads': { summary: 'The leads a chatbot captured', query: LeadListQuery },
    'POST /chatbots/:id/preview-chat': { summary: 'Chat with a chatbot from the portal', body: PreviewChatIn },
  }),
];
