import type { ConnectionTest, DeliveryReport } from '../../../shared/api.ts';
import type { FlowGraphT } from '../../../shared/flow-graph.ts';
import type { EventType } from '../pages/webhooks/types.ts';
import type { CircuitWire } from '../ui/CircuitStatus.tsx';

/** The flow endpoints' answers as the editor reads them (contract of issue 4). */
export type FlowOut = {
  id: string;
  name: string;
  graph: FlowGraphT;
  webhooks: { nodeId: string; webhookId: string }[];
  secrets?: { nodeId: string; webhookId: string; secret: string }[];
  /** Nodes whose hub objects changed underneath (a connection deleted through the API…). */
  problems?: { path: string; message: string }[];
  updated_at: string;
};

export type NodeTestResult = { status: 'passed' | 'stopped' | 'error' | 'skipped'; input?: unknown; output?: unknown; message?: string };
export type FlowTestIn = { graph: FlowGraphT; trigger?: string; data?: Record<string, unknown>; use?: 'sample' | 'last'; deliver?: string };
/** `source`: what ran — the event type's sample, the last real event, or the data the user gave. */
export type FlowTestOut = {
  event: Record<string, unknown>;
  source?: 'sample' | 'last' | 'data';
  nodes: Record<string, NodeTestResult>;
  delivery?: DeliveryReport;
};
export type { ConnectionTest, DeliveryReport, EventType };

export type { Counts, FlowCountsOut, FlowStats } from '../../../shared/api.ts';

export type { DestinationField } from '../../../shared/connectors.ts';

/** An inbound source a flow can start from (GET /sources, the built-in APPLICATION source left out). */
export type SourceSummary = { id: string; name: string; type: string; url: string };
/** GET /flows/source-sample: the source's last request as the steps read it. */
export type SourceSample = {
  sample: { headers: Record<string, string>; body: unknown; query: Record<string, unknown>; path: string };
  request_id: string;
  received_at: string;
};
/** Where a `preset` of the palette names a source rather than an event type. */
export const SOURCE_PRESET = 'source:';
/** The palette's "Incoming webhook": a source made when the trigger is dropped (POST /flows/incoming-webhook). */
export const NEW_SOURCE_PRESET = 'source:new';
export type IncomingWebhookOut = SourceSummary & { reused: boolean };

/** GET /flows/source-sample/listen: the next request to a source, or `waiting` when none came within the wait. */
export type HeardRequest = SourceSample & { method: string; status: 'accepted' | 'rejected'; rejection_cause: string | null; size: number; truncated: boolean };
export type ListenOut = { status: 'waiting'; cursor: string } | { status: 'received'; cursor: string; request: HeardRequest };

/** What the palette and the "existing destination" panel need of GET /destinations. */
export type DestinationSummary = { id: string; name: string; type: string; disabled_at: string | null; warning: string | null; circuit?: CircuitWire };

/** GET /credentials (helper "settings"): never the secret, a hint (client_email, masked token). */
export type CredentialSummary = {
  id: string;
  kind: 'google-service-account' | 'google-oauth' | 'hubspot' | 'pipedrive';
  name: string | null;
  hint?: string | null;
};

/** `{models: […]}` or a bare list: both shapes the API uses for lists. */
export const listOf = <T>(v: { models?: T[] } | T[] | null | undefined): T[] => (Array.isArray(v) ? v : (v?.models ?? []));
