import { httpCall, redact } from '../shared/http-call.ts';
import type { ConnectionTest, DeliveryContext, DeliveryResult, OutboundMessage } from '../types.ts';
import type { HubspotConfig } from './config.ts';
import { idAt, leadEmail, leadFields, mapProperties, parseJson, splitName, type LeadFields } from './lead.ts';
import { after, explain, failedTest, payloadFailure, vendorFinal, withRecord, type Vendor } from './outcome.ts';

const HUBSPOT: Vendor = {
  name: 'HubSpot',
  credentialHint: 'Check that the private-app token is current and has the crm.objects.contacts.read and crm.objects.contacts.write scopes.',
  notFoundHint: 'Check base_url (normally https://api.hubapi.com).',
};

const CONTACTS = '/crm/v3/objects/contacts';

/** Defaults first, the destination's map on top; `email` is always sent since HubSpot deduplicates on it. */
export function hubspotProperties(fields: LeadFields, email: string, map: Record<string, string>): Record<string, string> {
  const props: Record<string, string> = {};
  if (!('name' in map) && typeof fields.name === 'string' && fields.name.trim()) {
    const { first, last } = splitName(fields.name);
    props.firstname = first;
    if (last) props.lastname = last;
  }
  Object.assign(props, mapProperties(fields, { phone: 'phone', ...map }));
  props.email = email;
  return props;
}

/**
 * Create-or-update by email. POST /contacts, and on 409 PATCH the id HubSpot names in its
 * conflict message: unlike batch/upsert with idProperty=email, this works on every portal and
 * answers with plain single-object shapes. A known contact (previousRecordId) is PATCHed directly.
 */
export async function deliverHubspot(ctx: DeliveryContext, config: HubspotConfig, message: OutboundMessage): Promise<DeliveryResult> {
  const root = config.base_url.replace(/\/+$/, '');
  const headers = { authorization: `Bearer ${config.token}`, 'content-type': 'application/json', accept: 'application/json', 'user-agent': ctx.userAgent };
  const fields = leadFields(message.payload);
  const email = fields && leadEmail(fields);
  if (!fields || !email) {
    const why = fields
      ? `the lead has no valid email (email: ${JSON.stringify(fields.email ?? null)}); HubSpot matches contacts on it, so map an email field to this destination`
      : 'the event is not a JSON object, so there is no lead to send to HubSpot';
    return payloadFailure({ method: 'POST', url: root + CONTACTS, headers: redact(headers) }, why);
  }
  const body = JSON.stringify({ properties: hubspotProperties(fields, email, config.property_map) });
  const call = (method: 'POST' | 'PATCH', path: string) =>
    httpCall(ctx, { method, url: root + path, headers, body, timeoutMs: config.timeout_ms, recordBody: true }, { finalStatuses: vendorFinal });
  const contactId = (r: DeliveryResult, fallback?: string) => idAt(parseJson(r.response?.body), 'id') ?? fallback;

  let deleted: DeliveryResult | undefined;
  if (message.previousRecordId) {
    const id = message.previousRecordId;
    const updated = await call('PATCH', `${CONTACTS}/${encodeURIComponent(id)}`);
    if (updated.ok) return withRecord(updated, contactId(updated, id));
    if (updated.status !== 404) return explain(updated, HUBSPOT);
    // Someone deleted the contact in HubSpot since the first delivery: mirror the lead again.
    deleted = updated;
  }

  let created = await call('POST', CONTACTS);
  if (deleted) created = after(deleted, created);
  if (created.ok) return withRecord(created, contactId(created));
  const existing = created.status === 409 ? /Existing ID:\s*(\d+)/.exec(created.response?.body ?? '')?.[1] : undefined;
  if (!existing) return explain(created, HUBSPOT);

  const merged = after(created, await call('PATCH', `${CONTACTS}/${existing}`));
  return merged.ok ? withRecord(merged, contactId(merged, existing)) : explain(merged, HUBSPOT);
}

/** Reading one contact proves the token and the read scope without creating anything. */
export async function testHubspot(ctx: DeliveryContext, config: HubspotConfig): Promise<ConnectionTest> {
  const root = config.base_url.replace(/\/+$/, '');
  const result = await httpCall(
    ctx,
    {
      method: 'GET',
      url: `${root}${CONTACTS}?limit=1`,
      headers: { authorization: `Bearer ${config.token}`, accept: 'application/json', 'user-agent': ctx.userAgent },
      timeoutMs: config.timeout_ms,
    },
    { finalStatuses: vendorFinal },
  );
  if (!result.ok) return failedTest(result, HUBSPOT);
  return {
    ok: true,
    message: `HubSpot accepted the token and can read contacts (${result.durationMs} ms).`,
    warnings: ['Write access (crm.objects.contacts.write) is only proven by the first delivery: a test never creates a contact.'],
    details: { status: result.status },
  };
}
