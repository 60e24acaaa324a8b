import { setTimeout as sleep } from 'node:timers/promises';
import { forwardedUrl, webhookHeaders } from '../http-webhook/index.ts';
import { fail, redact, statusResult } from '../shared/http-call.ts';
import type { Connector, DeliveryContext, DeliveryResult, OutboundMessage } from '../types.ts';
import { MOCK_API_TYPE, MockApiConfigSchema, mockUrl, type MockApiConfig } from './config.ts';

const METHOD = 'POST';
// Signed exactly as an HTTP destination without custom headers or auth, with the team's secret.
const AS_WEBHOOK = { headers: {}, auth: { type: 'none' }, signing: 'hmac' } as const;

/**
 * A receiver built into the hub: it records each request and answers the configured status, so a
 * flow can be tried with no endpoint of one's own.
 *
 * It records through `ctx.mockApi` (the hub's database) rather than by calling a route of the hub
 * over HTTP: the hub does not reliably know an address at which it can reach itself (behind a
 * proxy, or an API and a worker process), a loopback call would have to get past the private-address
 * guard, and a public receiver route would need its own authentication against forged recordings.
 * What is recorded is still what an HTTP receiver gets: the same header builder, the body's bytes.
 */
export const mockApiConnector: Connector<typeof MockApiConfigSchema> = {
  id: MOCK_API_TYPE,
  // Shown to users as a test receiver; the type id (MOCK_API) and its routes keep their names.
  displayName: 'Test receiver',
  configSchema: MockApiConfigSchema,
  secretFields: [],
  targetUrls: () => [],
  describe: (config, destination) => ({ url: mockUrl(destination?.id, config.path) }),
  deliver,
  testConnection: async (_ctx, config) => ({
    ok: true,
    message: `The test receiver is built into Wirehub: it records every request it receives and answers ${config.response_status}.`,
    warnings: [],
  }),
};

async function deliver(ctx: DeliveryContext, config: MockApiConfig, message: OutboundMessage): Promise<DeliveryResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  // A transformation's headers, path and query land as they would at an HTTP destination's URL.
  const target = new URL(forwardedUrl(mockUrl(ctx.destination?.id, config.path), message.forward));
  // The transport adds content-length for a real receiver; host and connection would say nothing here.
  const headers = { ...message.forward?.headers, ...webhookHeaders(ctx, AS_WEBHOOK, message), 'content-length': String(message.body.length) };
  const request = { method: METHOD, url: target.toString(), headers: redact(headers) };
  if (!ctx.mockApi || !ctx.destination) {
    return fail(request, elapsed(), 'CONFIG', 'a test receiver records into the hub, and this delivery has nowhere to record', false);
  }
  let recorded: { id: string };
  try {
    recorded = await ctx.mockApi.record({
      destinationId: ctx.destination.id,
      workspaceId: ctx.destination.workspaceId,
      eventId: message.eventId,
      method: METHOD,
      path: target.pathname,
      query: target.search.slice(1),
      // A recording is a log in the hub, read like the attempts: a transformation's credential is masked here too.
      headers: request.headers,
      body: message.body,
      responseStatus: config.response_status,
    });
  } catch (err) {
    return fail(request, elapsed(), 'NETWORK', `the test receiver could not store the request: ${(err as Error).message}`, true);
  }
  if (config.response_delay_ms > 0) await sleep(config.response_delay_ms);
  const status = config.response_status;
  const answer =
    status < 400
      ? { received: true, mock_request_id: recorded.id }
      : { received: true, mock_request_id: recorded.id, error: `the test receiver answers ${status}, as its response_status says` };
  return statusResult(request, { status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(answer) }, elapsed());
}
