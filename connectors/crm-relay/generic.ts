import { authHeaders, secretHeaderNames, signatureHeaders } from '../http-webhook/index.ts';
import { httpCall, redact } from '../shared/http-call.ts';
import type { ConnectionTest, DeliveryContext, DeliveryResult, OutboundMessage } from '../types.ts';
import type { GenericConfig } from './config.ts';
import { idAt, leadFields, parseJson } from './lead.ts';
import { after, explain, failedTest, genericFinal, payloadFailure, withRecord, type Vendor } from './outcome.ts';

const vendorOf = (config: GenericConfig): Vendor => ({
  name: new URL(config.url).host,
  credentialHint: "Check this destination's auth settings against what the CRM endpoint expects.",
});

/**
 * The event's own JSON body, signed like a webhook so the endpoint can verify it and de-duplicate on
 * webhook-id. A replay of a delivered lead goes to update_url with the id the endpoint returned.
 */
export async function deliverGeneric(ctx: DeliveryContext, config: GenericConfig, message: OutboundMessage): Promise<DeliveryResult> {
  const vendor = vendorOf(config);
  const headers = {
    'content-type': 'application/json',
    accept: 'application/json',
    'user-agent': ctx.userAgent,
    ...(message.eventType ? { 'x-wirehub-event': message.eventType } : {}),
    ...authHeaders(config.auth),
    ...signatureHeaders(message),
  };
  if (!leadFields(message.payload)) {
    return payloadFailure(
      { method: config.method, url: config.url, headers: redact(headers, secretHeaderNames(config.auth)) },
      'the event body is not a JSON object, so there is no lead to send',
    );
  }
  const send = (method: string, url: string) =>
    httpCall(
      ctx,
      { method, url, headers, body: message.body, timeoutMs: config.timeout_ms, secretHeaders: secretHeaderNames(config.auth) },
      { finalStatuses: genericFinal },
    );
  const recordId = (r: DeliveryResult, fallback?: string) => idAt(parseJson(r.response?.body), config.id_field) ?? fallback;

  let missing: DeliveryResult | undefined;
  if (message.previousRecordId && config.update_url) {
    const id = message.previousRecordId;
    const updated = await send(config.update_method, config.update_url.replaceAll('{id}', encodeURIComponent(id)));
    if (updated.ok) return withRecord(updated, recordId(updated, id));
    if (updated.status !== 404) return explain(updated, vendor);
    // The record is gone at the other end: create it again rather than fail forever.
    missing = updated;
  }
  let created = await send(config.method, config.url);
  if (missing) created = after(missing, created);
  return created.ok ? withRecord(created, recordId(created)) : explain(created, vendor);
}

/** HEAD, or OPTIONS where HEAD is not implemented: any answer below 500 proves the endpoint is there. */
export async function testGeneric(ctx: DeliveryContext, config: GenericConfig): Promise<ConnectionTest> {
  const vendor = vendorOf(config);
  const probe = (method: 'HEAD' | 'OPTIONS') =>
    httpCall(
      ctx,
      {
        method,
        url: config.url,
        headers: { 'user-agent': ctx.userAgent, ...authHeaders(config.auth) },
        timeoutMs: config.timeout_ms,
        secretHeaders: secretHeaderNames(config.auth),
      },
      { finalStatuses: genericFinal },
    );
  let result = await probe('HEAD');
  if (!result.ok && (result.status === 405 || result.status === 501)) result = await probe('OPTIONS');
  const status = result.status;
  if (result.ok || (status !== undefined && status < 500 && status !== 401 && status !== 403)) {
    const warnings = result.ok
      ? []
      : [`${vendor.name} answered ${status} to a ${result.request.method} probe; deliveries use ${config.method}, which may still be accepted.`];
    return { ok: true, message: `${vendor.name} answered in ${result.durationMs} ms.`, warnings, details: { status } };
  }
  return failedTest(result, vendor);
}
