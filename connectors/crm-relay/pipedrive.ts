import { httpCall } from '../shared/http-call.ts';
import type { ConnectionTest, DeliveryContext, DeliveryResult, OutboundMessage } from '../types.ts';
import type { PipedriveConfig } from './config.ts';
import { idAt, isRecord, leadEmail, leadFields, mapProperties, parseJson, propertyValue, type LeadFields } from './lead.ts';
import { after, explain, failedTest, payloadFailure, vendorFinal, withRecord, type Vendor } from './outcome.ts';

const PIPEDRIVE: Vendor = {
  name: 'Pipedrive',
  credentialHint: 'Check the API token (Pipedrive → Personal preferences → API); it changes whenever it is regenerated.',
  notFoundHint: 'Check base_url (https://api.pipedrive.com or your company domain).',
};

/** Pipedrive's documented way to pass a personal token is `?api_token=`, so it is in every URL we call. */
function apiUrl(config: PipedriveConfig, path: string, query: Record<string, string> = {}): string {
  const q = new URLSearchParams({ ...query, api_token: config.api_token });
  return `${config.base_url.replace(/\/+$/, '')}/api/v1${path}?${q}`;
}

/** The stored attempt must not carry the token: not in the URL, nor anywhere the vendor echoed it. */
function scrub(result: DeliveryResult, token: string): DeliveryResult {
  const hide = (s: string) => s.split(token).join('[redacted]');
  const request = { ...result.request, url: hide(result.request.url.replace(/([?&]api_token=)[^&#]*/g, '$1[redacted]')) };
  const response = result.response && { ...result.response, body: hide(result.response.body) };
  return result.ok ? { ...result, request, response } : { ...result, request, response, error: hide(result.error) };
}

function personBody(fields: LeadFields, email: string | undefined, map: Record<string, string>): Record<string, unknown> | undefined {
  const phone = propertyValue(fields.phone);
  const name = propertyValue(fields.name) ?? email ?? phone;
  if (!name) return undefined;
  return {
    ...mapProperties(fields, map),
    name,
    ...(email ? { email: [{ value: email, primary: true }] } : {}),
    ...(phone ? { phone: [{ value: phone, primary: true }] } : {}),
  };
}

/**
 * PUT the known person (previousRecordId); else, or when that person was deleted, the person with
 * the lead's email (Pipedrive itself allows duplicates, so we look first); else POST a new one.
 */
export async function deliverPipedrive(ctx: DeliveryContext, config: PipedriveConfig, message: OutboundMessage): Promise<DeliveryResult> {
  const headers = { 'content-type': 'application/json', accept: 'application/json', 'user-agent': ctx.userAgent };
  const persons = apiUrl(config, '/persons');
  const fields = leadFields(message.payload);
  const email = fields && leadEmail(fields);
  // No email is fine for Pipedrive; a malformed one would be stored as is, so it is refused.
  const badEmail = fields !== undefined && !email && propertyValue(fields.email) !== undefined;
  const body = fields && !badEmail ? personBody(fields, email, config.property_map) : undefined;
  if (!fields || !body) {
    const why = !fields
      ? 'the event is not a JSON object, so there is no lead to send to Pipedrive'
      : badEmail
        ? `the lead's email is not a valid address (email: ${JSON.stringify(fields.email)})`
        : 'the lead has neither a name nor an email nor a phone, so Pipedrive cannot name the person';
    return scrub(payloadFailure({ method: 'POST', url: persons, headers }, why), config.api_token);
  }
  const json = JSON.stringify(body);
  const call = async (method: 'GET' | 'POST' | 'PUT', url: string) =>
    scrub(
      await httpCall(
        ctx,
        { method, url, headers, ...(method === 'GET' ? {} : { body: json, recordBody: true }), timeoutMs: config.timeout_ms },
        { finalStatuses: vendorFinal },
      ),
      config.api_token,
    );
  const personId = (r: DeliveryResult) => idAt(parseJson(r.response?.body), 'data.id');
  let earlier: DeliveryResult | undefined;
  const chain = (r: DeliveryResult) => (earlier ? after(earlier, r) : r);

  const update = async (id: string) => {
    const updated = chain(await call('PUT', apiUrl(config, `/persons/${encodeURIComponent(id)}`)));
    earlier = updated;
    return updated.ok ? withRecord(updated, personId(updated) ?? id) : updated;
  };

  if (message.previousRecordId) {
    const updated = await update(message.previousRecordId);
    if (updated.ok || updated.status !== 404) return explain(updated, PIPEDRIVE);
    // Deleted in Pipedrive since the first delivery: find it by email or create it again.
  }
  if (email) {
    const found = chain(await call('GET', apiUrl(config, '/persons/search', { term: email, fields: 'email', exact_match: 'true', limit: '1' })));
    if (!found.ok) return explain(found, PIPEDRIVE);
    earlier = found;
    const id = firstSearchHit(parseJson(found.response?.body));
    if (id) {
      const updated = await update(id);
      // A 404 here means the search index still lists a deleted person: create instead.
      if (updated.ok || updated.status !== 404) return explain(updated, PIPEDRIVE);
    }
  }
  const created = chain(await call('POST', persons));
  return created.ok ? withRecord(created, personId(created)) : explain(created, PIPEDRIVE);
}

/** `{data: {items: [{result_score, item: {id, …}}]}}` → the first person's id. */
function firstSearchHit(json: unknown): string | undefined {
  const items = isRecord(json) && isRecord(json.data) && Array.isArray(json.data.items) ? json.data.items : [];
  return items.length ? idAt(items[0], 'item.id') : undefined;
}

/** Who the token belongs to: proves the token and the company without writing anything. */
export async function testPipedrive(ctx: DeliveryContext, config: PipedriveConfig): Promise<ConnectionTest> {
  const result = scrub(
    await httpCall(
      ctx,
      { method: 'GET', url: apiUrl(config, '/users/me'), headers: { accept: 'application/json', 'user-agent': ctx.userAgent }, timeoutMs: config.timeout_ms },
      { finalStatuses: vendorFinal },
    ),
    config.api_token,
  );
  if (!result.ok) return failedTest(result, PIPEDRIVE);
  const me = parseJson(result.response?.body);
  const user = isRecord(me) && isRecord(me.data) ? me.data : {};
  const who = typeof user.name === 'string' ? ` as ${user.name}` : '';
  const company = typeof user.company_name === 'string' ? ` (${user.company_name})` : '';
  return {
    ok: true,
    message: `Connected to Pipedrive${who}${company}.`,
    warnings: [],
    details: { status: result.status, company_domain: user.company_domain ?? null },
  };
}
