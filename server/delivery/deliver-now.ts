import { Agent } from 'undici';
import { publicOnlyLookup } from '../../connectors/http-webhook/address.ts';
import type { DeliveryContext, DeliveryResult } from '../../connectors/types.ts';
import type { ConnectionRow, DestinationRow } from '../db/schema.ts';
import type { Deps } from '../deps.ts';
import { connectorOf, destinationConfig } from '../gateway/destinations.service.ts';
import { ensureProjectSecrets } from '../gateway/project-secrets.service.ts';
import type { Rule } from '../gateway/rules.ts';
import { APPLICATION_SOURCE_TYPE } from '../hub/application-source.ts';
import { MappingError } from '../hub/mappings.ts';
import type { PublishedEvent } from '../hub/publish.service.ts';
import { VERSION } from '../version.ts';
import { OutboundShaper } from './outbound.ts';

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

const agents = new Map<boolean, Agent>();
/** API processes send test deliveries too; one pooled agent each, guarded like the workers'. */
export function apiDeliveryContext(deps: Pick<Deps, 'config'>): DeliveryContext {
  const open = deps.config.allowPrivateDestinations;
  let dispatcher = agents.get(open);
  if (!dispatcher) agents.set(open, (dispatcher = new Agent({ connections: 16, connect: open ? {} : { lookup: publicOnlyLookup as never } })));
  return { dispatcher, allowPrivateDestinations: open, userAgent: `Wirehub/${VERSION}` };
}

const shaper = new OutboundShaper();

/**
 * Sends one published event to one connection's destination right now, through the same shaping,
 * signing and connector as the delivery engine, without queueing or recording it.
 */
export async function deliverNow(
  deps: Deps,
  destination: DestinationRow,
  connection: Pick<ConnectionRow, 'id' | 'updated_at' | 'rules'>,
  event: PublishedEvent,
): Promise<DeliveryReport> {
  const connector = connectorOf(destination.type);
  const body = Buffer.from(JSON.stringify(event));
  const started = Date.now();
  let result: DeliveryResult;
  let sent: Buffer | null = null;
  try {
    const shaped = await shaper.shape({
      id: event.eventId,
      workspace_id: destination.workspace_id,
      connection_id: connection.id,
      connection_updated_at: connection.updated_at,
      source_type: APPLICATION_SOURCE_TYPE,
      rules: connection.rules as Rule[],
      body,
      content_type: 'application/json',
      request: null,
    });
    sent = shaped.body;
    const secrets = await ensureProjectSecrets(deps, destination.workspace_id);
    result = await connector.deliver(apiDeliveryContext(deps), connector.configSchema.parse(destinationConfig(deps, destination)), {
      eventId: shaped.messageId,
      eventType: shaped.eventType,
      timestamp: Math.floor(started / 1000),
      body: shaped.body,
      contentType: shaped.contentType,
      payload: shaped.payload,
      signingSecret: secrets.signingSecret,
    });
  } catch (err) {
    if (!(err instanceof MappingError)) throw err;
    result = { ok: false, retryable: false, errorCode: 'PAYLOAD', error: err.message, request: { method: 'POST', url: destination.type, headers: {} }, durationMs: Date.now() - started };
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
