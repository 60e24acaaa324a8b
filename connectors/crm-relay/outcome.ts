import type { ConnectionTest, DeliveryResult } from '../types.ts';
import { isRecord, parseJson } from './lead.ts';

export type Vendor = {
  name: string;
  /** What to check when the vendor refuses our credentials: one sentence the user can act on. */
  credentialHint: string;
  /** Said when the vendor answers 404 to a create: for a vendor API that means a wrong base_url. */
  notFoundHint?: string;
};

/** A vendor API answers 4xx only when it means it; 408 and 429 are the exceptions worth retrying. */
export const vendorFinal = (status: number) => status >= 400 && status < 500 && status !== 408 && status !== 429;

/** Generic endpoints may answer 404/409 while deploying, like any webhook receiver: only these are final. */
export const genericFinal = (status: number) => status === 400 || status === 401 || status === 403 || status === 422;

const MAX_DETAIL = 300;

/** The vendor's own words from an error body (HubSpot `message`, Pipedrive `error`, common API shapes). */
export function vendorMessage(body: string | undefined): string | undefined {
  const json = parseJson(body);
  if (!isRecord(json)) {
    const text = body?.trim();
    return text ? clip(text) : undefined;
  }
  const parts: string[] = [];
  const add = (v: unknown) => {
    if (typeof v === 'string' && v.trim() && !parts.includes(v.trim())) parts.push(v.trim());
  };
  add(json.message);
  if (typeof json.error === 'string') add(json.error);
  else if (isRecord(json.error)) add(json.error.message);
  // Pipedrive's error_info is a boilerplate link to its docs: it would only crowd out the reason.
  if (Array.isArray(json.errors)) for (const e of json.errors.slice(0, 3)) add(isRecord(e) ? e.message : e);
  return parts.length ? clip(parts.join('; ')) : undefined;
}

const clip = (s: string) => (s.length > MAX_DETAIL ? `${s.slice(0, MAX_DETAIL)}…` : s);

/** Turns an HTTP failure from httpCall into one the destination's owner can act on. */
export function explain(result: DeliveryResult, vendor: Vendor): DeliveryResult {
  if (result.ok || result.status === undefined) return result;
  const status = result.status;
  const detail = vendorMessage(result.response?.body);
  const said = detail ? `: ${detail}` : '';
  if (status === 401 || status === 403) {
    return { ...result, retryable: false, errorCode: 'AUTH', error: `${vendor.name} refused the credentials (${status})${said}. ${vendor.credentialHint}` };
  }
  if (status === 400 || status === 422) {
    return { ...result, retryable: false, errorCode: 'PAYLOAD', error: `${vendor.name} rejected the record (${status})${said}` };
  }
  if (status === 404 && vendor.notFoundHint) {
    return { ...result, retryable: false, errorCode: 'CONFIG', error: `${vendor.name} answered 404${said}. ${vendor.notFoundHint}` };
  }
  return { ...result, error: `${vendor.name} answered ${status}${said}` };
}

/** A failure found before anything was sent (the lead cannot become a CRM record). */
export function payloadFailure(request: DeliveryResult['request'], error: string): DeliveryResult {
  return { ok: false, retryable: false, errorCode: 'PAYLOAD', error, request, durationMs: 0 };
}

/** The stored attempt shows the exchange that decided the outcome, but the time of all of them. */
export function after(earlier: DeliveryResult, last: DeliveryResult): DeliveryResult {
  return { ...last, durationMs: earlier.durationMs + last.durationMs };
}

/** Adds the record id to a success; failures keep what they have. */
export function withRecord(result: DeliveryResult, recordId: string | undefined): DeliveryResult {
  return result.ok && recordId !== undefined ? { ...result, recordId } : result;
}

/** A connection test that failed, in words for the destination's owner. */
export function failedTest(result: DeliveryResult, vendor: Vendor): ConnectionTest {
  const explained = explain(result, vendor);
  if (explained.ok) return { ok: true, message: `${vendor.name} answered ${explained.status}.`, warnings: [] };
  const message = explained.status === undefined ? `Could not reach ${vendor.name}: ${explained.error}.` : sentence(explained.error);
  return { ok: false, message, warnings: [], details: { status: explained.status ?? null, errorCode: explained.errorCode } };
}

const sentence = (s: string) => (/[.!?…]$/.test(s) ? s : `${s}.`);
