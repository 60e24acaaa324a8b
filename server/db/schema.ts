import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
type Json<T> = ColumnType<T, string | T, string | T>;

export type EventStatus = 'QUEUED' | 'SCHEDULED' | 'HOLD' | 'SUCCESSFUL' | 'FAILED' | 'CANCELLED';
/** `bulk`: put back in the queue by a bulk retry or replay (bulk_operations). */
export type AttemptTrigger = 'initial' | 'automatic' | 'manual' | 'bulk';
export type Role = 'owner' | 'admin' | 'member';

export interface WorkspacesTable {
  id: string;
  name: string;
  is_demo: Generated<boolean>;
  created_at: Generated<Date>;
  /** Days this team's log is kept, at most the hub's WIREHUB_RETENTION_DAYS; null: the hub's. */
  retention_days: Generated<number | null>;
  /** The operator's quotas (server/operator/); null: none (webhooks: the hub's WIREHUB_MAX_WEBHOOKS). */
  max_webhooks: Generated<number | null>;
  max_events_per_month: Generated<number | null>;
}
export interface UsersTable {
  id: string;
  email: string;
  name: string;
  password_hash: string | null;
  google_sub: Generated<string | null>;
  picture_url: Generated<string | null>;
  email_verified_at: NullableTimestamp;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}
export interface EmailTokensTable {
  id: string;
  user_id: string;
  purpose: 'verify_email' | 'password_reset';
  email: string;
  token_hash: Buffer;
  expires_at: Timestamp;
  created_at: Generated<Date>;
}
export interface MembershipsTable {
  workspace_id: string;
  user_id: string;
  role: Role;
  created_at: Generated<Date>;
}
export interface TeamInvitesTable {
  id: string;
  workspace_id: string;
  email: string;
  role: Role;
  token_hash: Buffer;
  invited_by: string | null;
  expires_at: Timestamp;
  accepted_at: NullableTimestamp;
  accepted_by: string | null;
  created_at: Generated<Date>;
}
export interface SessionsTable {
  id: string;
  token_hash: Buffer;
  user_id: string;
  workspace_id: string;
  expires_at: Timestamp;
  created_at: Generated<Date>;
}
export interface ApiKeysTable {
  id: string;
  workspace_id: string;
  created_by: string | null;
  name: string;
  prefix: string;
  key_hash: Buffer;
  scopes: string[];
  created_at: Generated<Date>;
  last_used_at: NullableTimestamp;
}
export interface ProjectSecretsTable {
  workspace_id: string;
  api_key_enc: string;
  api_key_hash: Buffer;
  api_key_rotated_at: Generated<Date>;
  signing_secret_enc: string;
  signing_secret_rotated_at: Generated<Date>;
}
/** Sources and destinations begin with the same columns on purpose: see 001-foundation.ts. */
export interface SourcesTable {
  id: string;
  workspace_id: string;
  name: string;
  description: string | null;
  type: Generated<string>;
  config: Json<Record<string, unknown>>;
  auth_enc: string | null;
  disabled_at: NullableTimestamp;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}
export interface DestinationsTable {
  id: string;
  workspace_id: string;
  name: string;
  description: string | null;
  type: Generated<string>;
  config: Json<Record<string, unknown>>;
  auth_enc: string | null;
  disabled_at: NullableTimestamp;
  disabled_reason: string | null;
  warning: Generated<string | null>;
  /** Disabled by the engine and its team's owners not mailed yet (jobs/alert-mail.job.ts). */
  disable_alert_pending: Generated<boolean>;
  consecutive_failures: Generated<number>;
  max_concurrency: Generated<number | null>;
  circuit_failures: Generated<number>;
  circuit_opened_at: NullableTimestamp;
  circuit_probe_at: NullableTimestamp;
  circuit_reason: string | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}
export interface ConnectionsTable {
  id: string;
  workspace_id: string;
  name: string;
  description: string | null;
  source_id: string;
  destination_id: string;
  rules: Json<unknown[]>;
  disabled_at: NullableTimestamp;
  paused_at: NullableTimestamp;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}
export interface RequestsTable {
  id: string;
  workspace_id: string;
  source_id: string;
  status: 'accepted' | 'rejected';
  rejection_cause: string | null;
  verified: boolean;
  method: string;
  path: string;
  query: Json<Record<string, unknown>>;
  headers: Json<Record<string, string>>;
  content_type: string | null;
  body: Buffer;
  events_count: number;
  ignored_count: number;
  /** The bulk operation that last replayed it, and how it was last replayed. */
  batch_operation_id: string | null;
  retry_kind: 'single' | 'bulk' | null;
  /** One line from the payload's well-known fields, and its event type (payload-summary.ts); null before migration 017. */
  summary: Generated<string | null>;
  event_type: Generated<string | null>;
  /** The ingest span's W3C traceparent while traces are exported (core/tracing.ts); null otherwise. */
  traceparent: Generated<string | null>;
  created_at: Generated<Date>;
}
export interface EventsTable {
  id: string;
  workspace_id: string;
  request_id: string;
  source_id: string;
  connection_id: string;
  destination_id: string;
  lane: number;
  status: EventStatus;
  attempts: Generated<number>;
  next_attempt_at: NullableTimestamp;
  lease_until: NullableTimestamp;
  /** Claims since the last recorded outcome (poison-event detection). */
  claims: Generated<number>;
  pending_trigger: Generated<AttemptTrigger>;
  last_attempt_at: NullableTimestamp;
  response_status: number | null;
  error_code: string | null;
  successful_at: NullableTimestamp;
  /** The bulk operation that last retried it (or made it, replaying its request). */
  batch_operation_id: string | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}
export interface IgnoredEventsTable {
  id: string;
  workspace_id: string;
  request_id: string;
  connection_id: string;
  cause: string;
  /** The flow step (node id) whose rule turned the request away; null for rules made by hand. */
  step: string | null;
  created_at: Generated<Date>;
}
export interface AttemptsTable {
  id: string;
  workspace_id: string;
  event_id: string;
  destination_id: string;
  attempt_number: number;
  trigger: AttemptTrigger;
  status: 'SUCCESSFUL' | 'FAILED';
  request_method: string;
  request_url: string;
  request_headers: Json<Record<string, string>>;
  response_status: number | null;
  response_headers: Json<Record<string, string>> | null;
  response_body: string | null;
  duration_ms: number;
  error_code: string | null;
  error_message: string | null;
  request_body: string | null;
  record_id: string | null;
  created_at: Generated<Date>;
}
export interface EventTypesTable {
  workspace_id: string;
  name: string;
  description: string | null;
  schema: Json<Record<string, unknown> | null>;
  sample: Json<Record<string, unknown>>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}
export interface PublishKeysTable {
  workspace_id: string;
  idempotency_key: string;
  event_id: string;
  request_id: string;
  created_at: Generated<Date>;
}
/** A deduplicate rule's key, held by the first event that had it until `expires_at`. */
export interface DedupeKeysTable {
  connection_id: string;
  key: string;
  expires_at: Date;
}
export type BulkOperationState = 'planned' | 'running' | 'completed' | 'cancelled' | 'failed';
/** A retry of many events, or a replay of many requests, chosen by the logs' filters (seed 002). */
export interface BulkOperationsTable {
  id: string;
  workspace_id: string;
  kind: 'events' | 'requests';
  state: BulkOperationState;
  query: Json<Record<string, unknown>>;
  dry_run: boolean;
  estimated_count: number;
  total: number;
  processed_count: Generated<number>;
  skipped_count: Generated<number>;
  /** The last id handled: the job resumes after it. */
  cursor: string | null;
  sample: Json<unknown[]> | null;
  error: string | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
  completed_at: NullableTimestamp;
  /** When its owners were mailed about it, or found nothing to mail (jobs/alert-mail.job.ts). */
  alerted_at: NullableTimestamp;
}
export interface FlowsTable {
  id: string;
  workspace_id: string;
  name: string;
  graph: Json<unknown>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export type CredentialKind = 'google-service-account' | 'google-oauth' | 'hubspot' | 'pipedrive';
export interface OauthStatesTable {
  state_hash: Buffer;
  session_id: string;
  workspace_id: string;
  user_id: string;
  browser_hash: Buffer;
  code_verifier_enc: string;
  expires_at: Timestamp;
  created_at: Generated<Date>;
}
export interface CredentialsTable {
  id: string;
  workspace_id: string;
  kind: CredentialKind;
  name: string;
  /** What the owner may see: the service account's e-mail, or a masked token. */
  hint: string;
  secret_enc: string;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export type LeadField = 'name' | 'email' | 'phone';
export interface ChatbotSettings {
  lead_capture: { fields: LeadField[]; after_messages: number; default_region?: string | null };
  escalation: { keywords: string[]; after_fallbacks: number; on_thumbs_down: boolean };
  /** Per visitor id; ip_* per client address, higher since one address can be a whole office. */
  rate_limits: { per_minute: number; per_day: number; ip_per_minute?: number; ip_per_day?: number };
  allowed_origins: string[];
  confidence_threshold: number;
}
export interface ChatbotsTable {
  id: string;
  workspace_id: string;
  name: string;
  welcome_message: Generated<string>;
  public_key: string;
  settings: Json<ChatbotSettings>;
  /** Bumped on every entry change: the search index cache key across processes. */
  kb_version: Generated<number>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}
export interface KbEntriesTable {
  id: string;
  chatbot_id: string;
  workspace_id: string;
  question: string;
  answer: string;
  tags: Generated<string[]>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}
export interface ConversationLead {
  name?: string;
  email?: string;
  phone?: string;
  /** What the visitor wants (matched entries' tags or keywords), e.g. request_quote. */
  intent?: string;
}
export interface ConversationsTable {
  id: string;
  chatbot_id: string;
  workspace_id: string;
  visitor_id: string;
  started_at: Generated<Date>;
  last_message_at: Generated<Date>;
  ended_at: NullableTimestamp;
  escalated_at: NullableTimestamp;
  lead: Json<ConversationLead>;
  lead_captured_at: NullableTimestamp;
  fallbacks: Generated<number>;
  fallback_streak: Generated<number>;
  visitor_messages: Generated<number>;
}
export interface ChatMessagesTable {
  id: string;
  conversation_id: string;
  workspace_id: string;
  role: 'visitor' | 'bot';
  text: string;
  entry_ids: Generated<string[]>;
  /** For a bot reply: the visitor message it answered. */
  query: string | null;
  fallback: Generated<boolean>;
  created_at: Generated<Date>;
}
export interface MessageRatingsTable {
  message_id: string;
  visitor_id: string;
  conversation_id: string;
  workspace_id: string;
  rating: 'up' | 'down';
  comment: string | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}
export interface ChatRateCountersTable {
  key: string;
  window_start: Date;
  count: Generated<number>;
}
/** User JavaScript a connection's `transformation` rule runs before delivery; `env_enc` is sealed. */
export interface TransformationsTable {
  id: string;
  workspace_id: string;
  name: string;
  code: string;
  env_enc: string;
  code_hash: string;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
  deleted_at: NullableTimestamp;
}
export interface TransformationExecutionsTable {
  id: string;
  workspace_id: string;
  transformation_id: string;
  event_id: string | null;
  request_id: string | null;
  connection_id: string | null;
  status: 'ok' | 'failed';
  error_code: string | null;
  error_message: string | null;
  logs: Json<unknown[]>;
  original: Json<unknown> | null;
  transformed: Json<unknown> | null;
  duration_ms: number;
  created_at: Generated<Date>;
}

/** A request a MOCK_API destination received, kept as the receiver saw it (body capped). */
export interface MockApiRequestsTable {
  id: string;
  workspace_id: string;
  destination_id: string;
  event_id: string | null;
  method: string;
  path: string;
  query: Generated<string>;
  headers: Json<Record<string, string>>;
  body: string;
  body_encoding: Generated<'utf8' | 'base64'>;
  body_size: number;
  body_truncated: Generated<boolean>;
  response_status: number;
  created_at: Generated<Date>;
}

/** Per-minute counts behind the metrics (migration 013), kept by triggers on their logs; `minute` is a bucket start. */
export interface EventCounts1mTable {
  workspace_id: string;
  minute: Date;
  connection_id: string;
  destination_id: string;
  source_id: string;
  status: EventStatus;
  n: number;
}
export interface RequestCounts1mTable {
  workspace_id: string;
  minute: Date;
  source_id: string;
  status: 'accepted' | 'rejected';
  verified: boolean;
  n: number;
}
export interface IgnoredCounts1mTable {
  workspace_id: string;
  minute: Date;
  connection_id: string;
  source_id: string;
  n: number;
}
/** Per-minute counts of delivery attempts (migration 018): failures and the latency histogram of the dashboard. */
export interface AttemptCounts1mTable {
  workspace_id: string;
  minute: Date;
  connection_id: string;
  destination_id: string;
  status: 'SUCCESSFUL' | 'FAILED';
  /** Bin b holds latencies in [2^(b/8), 2^((b+1)/8)) ms; -1: not in the histogram (a failure, a manual or bulk retry). */
  latency_bucket: number;
  n: number;
}
export interface DB {
  mock_api_requests: MockApiRequestsTable;
  workspaces: WorkspacesTable;
  users: UsersTable;
  memberships: MembershipsTable;
  sessions: SessionsTable;
  team_invites: TeamInvitesTable;
  email_tokens: EmailTokensTable;
  api_keys: ApiKeysTable;
  project_secrets: ProjectSecretsTable;
  sources: SourcesTable;
  destinations: DestinationsTable;
  connections: ConnectionsTable;
  requests: RequestsTable;
  events: EventsTable;
  ignored_events: IgnoredEventsTable;
  event_counts_1m: EventCounts1mTable;
  request_counts_1m: RequestCounts1mTable;
  ignored_counts_1m: IgnoredCounts1mTable;
  attempt_counts_1m: AttemptCounts1mTable;
  attempts: AttemptsTable;
  event_types: EventTypesTable;
  publish_keys: PublishKeysTable;
  flows: FlowsTable;
  bulk_operations: BulkOperationsTable;
  dedupe_keys: DedupeKeysTable;
  credentials: CredentialsTable;
  oauth_states: OauthStatesTable;
  chatbots: ChatbotsTable;
  kb_entries: KbEntriesTable;
  conversations: ConversationsTable;
  chat_messages: ChatMessagesTable;
  message_ratings: MessageRatingsTable;
  chat_rate_counters: ChatRateCountersTable;
  transformations: TransformationsTable;
  transformation_executions: TransformationExecutionsTable;
}

export type SourceRow = Selectable<SourcesTable>;
export type DestinationRow = Selectable<DestinationsTable>;
export type ConnectionRow = Selectable<ConnectionsTable>;
export type RequestRow = Selectable<RequestsTable>;
export type EventRow = Selectable<EventsTable>;
export type AttemptRow = Selectable<AttemptsTable>;
export type EventTypeRow = Selectable<EventTypesTable>;
export type FlowRow = Selectable<FlowsTable>;
export type BulkOperationRow = Selectable<BulkOperationsTable>;
export type CredentialRow = Selectable<CredentialsTable>;
export type ChatbotRow = Selectable<ChatbotsTable>;
export type KbEntryRow = Selectable<KbEntriesTable>;
export type ConversationRow = Selectable<ConversationsTable>;
export type ChatMessageRow = Selectable<ChatMessagesTable>;
export type MessageRatingRow = Selectable<MessageRatingsTable>;
export type NewAttempt = Insertable<AttemptsTable>;
export type TransformationRow = Selectable<TransformationsTable>;
export type TransformationExecutionRow = Selectable<TransformationExecutionsTable>;
export type NewTransformationExecution = Insertable<TransformationExecutionsTable>;
