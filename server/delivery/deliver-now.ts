import type { Agent } from 'undici';
import type { DeliveryContext, DeliveryResult } from '../../connectors/types.ts';
import type { ConnectionRow, DestinationRow } from '../db/schema.ts';
import type { Deps } from '../deps.ts';
import { connectorOf, destinationConfig } from '../gateway/destination-config.ts';
import type { Rule } from '../gateway/rules.ts';
import { APPLICATION_SOURCE_TYPE } from '../gateway/source-types.ts';
import { MappingError } from '../gateway/mappings.ts';
import type { PublishedEvent } from '../../shared/envelope.ts';
import { createDispatcher, deliveryContext } from './dispatcher.ts';
import { shaperFor, outboundMessage, payloadFailure } from './outbound.ts';

/** A test delivery as the API answers it: what was sent and what came back. */
export type DeliveryReport = {
  ok: boolean;
  status: number | null;
  error_code: string | null;
  error: string | null;
  duration_ms: number;
  request: { method: string; url: string; headers: Record<string, string>; body: unknown };
  response: { status: number; headers: Record<string, string>; body: string } | null;
};

// By address policy: hubs with different policies (tests run several in one process) must not share
// an agent, and replacing one on every alternation would leave the old one's sockets open.
const dispatchers = new Map<string, Agent>();
/**
 * API processes send test deliveries too: one small pooled agent, guarded like the workers'. A test
 * delivery to a MOCK_API destination is recorded there, as a real receiver would have seen it.
 */
export function apiDeliveryContext(deps: Pick<Deps, 'config' | 'delivery'>, destination?: DeliveryContext['destination']): DeliveryContext {
  const policy = JSON.stringify([deps.config.allowPrivateDestinations, deps.config.allowedPrivateHosts]);
  let agent = dispatchers.get(policy);
  if (!agent) dispatchers.set(policy, (agent = createDispatcher(deps.config, 16)));
  return deliveryContext(deps.config, agent, { destination, mockApi: deps.delivery.mockApi });
}

/** A request to an inbound source (stored or given), sent as a connection from that source would send it. */
export type InboundSample = {
  id: string;
  source_type: string;
  body: Buffer;
  content_type: string | null;
  request: { headers: Record<string, string>; query: Record<string, unknown>; path: string };
};

/**
 * Sends one published event (or one inbound request) to one connection's destination right now,
 * through the same shaping, signing and connector as the delivery engine, without queueing or
 * recording it.
 */
export async function deliverNow(
  deps: Deps,
  destination: DestinationRow,
  connection: Pick<ConnectionRow, 'id' | 'updated_at' | 'rules'>,
  event: PublishedEvent | InboundSample,
): Promise<DeliveryReport> {
  const connector = connectorOf(destination.type);
  const config = connector.configSchema.parse(destinationConfig(deps, destination));
  const inbound = 'request' in event ? event : null;
  const started = new Date();
  let result: DeliveryResult;
  let sent: Buffer | null = null;
  try {
    const shaped = await shaperFor(deps).shape({
      id: inbound ? inbound.id : (event as PublishedEvent).eventId,
      workspace_id: destination.workspace_id,
      connection_id: connection.id,
      connection_updated_at: connection.updated_at,
      source_type: inbound ? inbound.source_type : APPLICATION_SOURCE_TYPE,
      rules: connection.rules as Rule[],
      body: inbound ? inbound.body : Buffer.from(JSON.stringify(event)),
      content_type: inbound ? inbound.content_type : 'application/json',
      request: inbound ? inbound.request : null,
    });
    sent = shaped.body;
    const secret = await deps.delivery.signingSecret(destination.workspace_id);
    result = await connector.deliver(
      apiDeliveryContext(deps, { id: destination.id, workspaceId: destination.workspace_id }),
      config,
      outboundMessage(shaped, started, secret),
    );
  } catch (err) {
    if (!(err instanceof MappingError)) throw err;
    const url = (config as { url?: unknown }).url;
    result = payloadFailure(err, typeof url === 'string' ? url : destination.type, started);
  }
  const requestBody = result.request.body ?? sent?.toString('utf8');
  return {
    ok: result.ok,
    status: result.ok ? result.status : (result.status ?? null),
    error_code: result.ok ? null : result.errorCode,
    error: result.ok ? null : result.error,
    duration_ms: result.durationMs,
    request: { ...result.request, body: requestBody === undefined ? null : tryJson(requestBody) },
    response: result.response ?? null,
  };
}

function tryJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
