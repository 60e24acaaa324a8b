import { withoutNul } from '../core/nul.ts';
import { isPlainObject } from './rules.ts';

/**
 * One line that says what a request was about ("Ada Lovelace · ada@example.com · Acme"), and its
 * event type, computed once when the request is stored so that the logs' lists never read a body.
 * Only well-known field names are read, so a secret (a password, a card, a token) never shows up:
 * the line is built from a fixed list, not from whatever the sender put first. Walks at most
 * MAX_OBJECTS objects, a few levels deep, and keeps each value and the whole line short.
 */

const MAX_OBJECTS = 20;
const MAX_DEPTH = 3;
const MAX_VALUE = 60;
export const MAX_SUMMARY = 160;
const MAX_TYPE = 100;

/** Where senders put the record itself: a published event's data, Stripe's data.object, a CRM's contact… */
const CONTAINERS = [
  'data',
  'object',
  'lead',
  'contact',
  'customer',
  'person',
  'user',
  'order',
  'payload',
  'record',
  'fields',
  'properties',
  'attributes',
  'submission',
  'form_response',
];

type Pick = (o: Record<string, unknown>) => string | null;

const text = (v: unknown): string | null => {
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (typeof v !== 'string') return null;
  // A sender's field can be megabytes long: look only at what the line can show (leading spaces included).
  // A NUL counts as a space: the line is text in PostgreSQL, which stores no NUL (the body keeps it).
  const t = v
    .slice(0, 4 * MAX_VALUE)
    .replace(/[\s\0]+/g, ' ')
    .trim();
  if (!t) return null;
  return t.length > MAX_VALUE ? `${t.slice(0, MAX_VALUE - 1)}…` : t;
};
const first =
  (...keys: string[]): Pick =>
  (o) => {
    for (const k of keys) {
      if (!Object.hasOwn(o, k)) continue;
      const v = text(o[k]);
      if (v) return v;
    }
    return null;
  };
const fullName: Pick = (o) => {
  const whole = first('name', 'full_name', 'fullName', 'fullname', 'display_name', 'displayName', 'customer_name', 'contact_name')(o);
  if (whole) return whole;
  const given = first('first_name', 'firstName', 'firstname', 'given_name')(o);
  const family = first('last_name', 'lastName', 'lastname', 'family_name', 'surname')(o);
  return given || family ? [given, family].filter(Boolean).join(' ') : null;
};
const amount: Pick = (o) => {
  const value = first('amount', 'total', 'total_price', 'price', 'value')(o);
  if (!value) return null;
  const currency = first('currency', 'currency_code')(o);
  return currency ? `${value} ${currency.toUpperCase()}` : value;
};

/** The parts of the line, in the order they are shown; a person first, then what identifies the record. */
const PARTS: Pick[] = [
  fullName,
  first('email', 'email_address', 'emailAddress', 'e-mail', 'mail'),
  first('phone', 'phone_number', 'phoneNumber', 'mobile', 'tel'),
  first('company', 'company_name', 'companyName', 'organization', 'organisation'),
  first('title', 'subject', 'product', 'plan'),
  amount,
  first('status', 'state'),
];
const ID: Pick = first('id', 'order_id', 'orderId', 'number', 'order_number', 'reference');

/** The objects to look in, nearest first: the body, then the usual containers under it (breadth first). */
function candidates(body: Record<string, unknown>): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  let level: Record<string, unknown>[] = [body];
  for (let depth = 0; depth < MAX_DEPTH && level.length && out.length < MAX_OBJECTS; depth++) {
    const next: Record<string, unknown>[] = [];
    for (const o of level) {
      if (out.length >= MAX_OBJECTS) break;
      out.push(o);
      for (const k of CONTAINERS) {
        const v = Object.hasOwn(o, k) ? o[k] : undefined;
        if (isPlainObject(v)) next.push(v);
        else if (Array.isArray(v) && isPlainObject(v[0])) next.push(v[0]);
      }
    }
    level = next;
  }
  return out;
}

export function payloadSummary(body: unknown): string | null {
  if (!isPlainObject(body)) return typeof body === 'string' ? text(body) : null;
  const objects = candidates(body);
  // Each part from the nearest object that has it; the record's id only when nothing else says what it is.
  const parts: string[] = [];
  for (const pick of PARTS) {
    for (const o of objects) {
      const v = pick(o);
      if (v && !parts.includes(v)) {
        parts.push(v);
        break;
      }
    }
    if (parts.length >= 4) break;
  }
  if (parts.length === 0) {
    for (const o of objects.length > 1 ? objects.slice(1).concat(objects[0]) : objects) {
      const id = ID(o);
      if (id) {
        parts.push(`#${id}`);
        break;
      }
    }
  }
  if (parts.length === 0) return null;
  const line = parts.join(' · ');
  return line.length > MAX_SUMMARY ? `${line.slice(0, MAX_SUMMARY - 1)}…` : line;
}

const TYPE_HEADERS = ['x-wirehub-event', 'x-github-event', 'x-shopify-topic', 'x-event-type', 'x-event-key', 'x-hook-event'];

/** What kind of request it was: a published event's type, a body's `type`/`event`, or a sender's event header. */
export function payloadType(body: unknown, headers: Record<string, string>): string | null {
  const pick = (v: unknown) => {
    const t = typeof v === 'string' ? withoutNul(v.trim()).slice(0, MAX_TYPE) : '';
    return t || null;
  };
  if (isPlainObject(body)) {
    for (const k of ['eventType', 'type', 'event_type', 'event', 'topic', 'action']) {
      const v = Object.hasOwn(body, k) ? pick(body[k]) : null;
      if (v) return v;
    }
  }
  for (const h of TYPE_HEADERS) {
    const v = pick(headers[h]);
    if (v) return v;
  }
  return null;
}
